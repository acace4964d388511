#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"

static void test_plain(void **state)
{
    (void)state;
    assert_true(fk_text_plain("张三 3号楼"));
    assert_true(fk_text_plain(""));
    assert_true(fk_text_plain(NULL));
    assert_false(fk_text_plain("a\nb"));
    assert_false(fk_text_plain("a\tb"));
    assert_false(fk_text_plain("a\x7f"));
}

static void test_like_prefix(void **state)
{
    (void)state;
    char out[16];
    fk_like_prefix("王", out, sizeof(out));
    assert_string_equal(out, "王%");
    fk_like_prefix("5%_!", out, sizeof(out));
    assert_string_equal(out, "5!%!_!!%");
    /* Cut on a whole character: 4 × 3 bytes + '%' + NUL = 14 fits 16, 5 × 3 does not. */
    fk_like_prefix("一二三四五六", out, sizeof(out));
    assert_string_equal(out, "一二三四%");
    char tiny[3];
    fk_like_prefix("王", tiny, sizeof(tiny));
    assert_string_equal(tiny, "%");
    fk_like_prefix("", out, sizeof(out));
    assert_string_equal(out, "%");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_like_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
