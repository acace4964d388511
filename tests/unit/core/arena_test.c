#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"

static void test_arena_small_and_large(void **state)
{
    (void)state;
    struct fk_arena a;
    fk_arena_init(&a, 0);
    char *first = NULL;
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = fk_arena_alloc(&a, (size_t)(i % 37) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        for (int k = 0; k < i % 37 + 1; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xab, (size_t)(i % 37) + 1);
        if (i == 0)
            first = (char *)p;
    }
    unsigned char *big = fk_arena_alloc(&a, 100000);
    assert_non_null(big);
    assert_int_equal(big[99999], 0);
    memset(big, 1, 100000);
    assert_int_equal((unsigned char)first[0], 0xab); /* earlier blocks untouched */
    char *copy = fk_arena_strdup(&a, "健康码");
    assert_string_equal(copy, "健康码");
    assert_string_equal(fk_arena_strndup(&a, "abcdef", 3), "abc");
    assert_null(fk_arena_strdup(&a, NULL));
    fk_arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
    assert_non_null(fk_arena_alloc(&a, 8)); /* reusable after free */
    fk_arena_free(&a);
}

static void test_arena_cap(void **state)
{
    (void)state;
    struct fk_arena a;
    fk_arena_init(&a, 1024);
    assert_non_null(fk_arena_alloc(&a, 1000));
    assert_null(fk_arena_alloc(&a, 100)); /* past the cap */
    assert_null(fk_arena_alloc(&a, SIZE_MAX));
    assert_non_null(fk_arena_alloc(&a, 8));
    fk_arena_free(&a);
    fk_arena_init(&a, 0);
    assert_null(fk_arena_alloc(&a, SIZE_MAX));
    fk_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_small_and_large),
        cmocka_unit_test(test_arena_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
