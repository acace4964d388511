/* Tests for src/accounts/password_policy.c: the rule every new password meets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "accounts/accounts.h"

/* The Chinese message for `password` of `username`, or NULL if accepted. */
static const char *refusal(const char *username, const char *password)
{
    struct fk_field_error why = {0};
    enum fk_err err = fk_password_check(username, password, &why);
    if (err == FK_OK)
        return NULL;
    assert_int_equal(err, FK_ERR_INVALID);
    assert_string_equal(why.field, "password");
    assert_non_null(why.message);
    return why.message;
}

static void test_the_attackers_list_is_refused(void **state)
{
    (void)state;
    /* Issue 9: all four were accepted by the old 8-256 rule. */
    const char *weak[] = {"password", "aaaaaaaa", "abcdefgh1", "Demo@2022"};
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
        assert_non_null(strstr(refusal("t_admin", weak[i]), "至少需要 10 个字符"));
}

static void test_cracklib_reasons_in_chinese(void **state)
{
    (void)state;
    assert_non_null(strstr(refusal("u1", "aaaaaaaaaaaa"), "不同的字符太少"));
    assert_non_null(strstr(refusal("u1", "abcdefghij1234"), "过于简单或有规律"));
    assert_non_null(strstr(refusal("u1", "1234567890"), "过于简单或有规律"));
    assert_non_null(strstr(refusal("u1", "qwertyuiop"), "常见单词"));
    assert_non_null(strstr(refusal("u1", "password12"), "常见单词"));
    assert_non_null(strstr(refusal("u1", "drowssap12"), "倒写"));
    /* cracklib's own username check (reversed, mangled) */
    assert_non_null(strstr(refusal("nimda_t", "t_admin999"), "用户名"));
}

static void test_username_and_length(void **state)
{
    (void)state;
    assert_non_null(strstr(refusal("zhang.wei", "Xy9#ZHANG.WEI!"), "不能包含用户名"));
    assert_null(refusal("zhang.wei", "Lishi#Gate-2022"));
    assert_null(refusal(NULL, "Lishi#Gate-2022"));
    /* Characters, not bytes: 9 Chinese characters (27 bytes) are too short, 10 pass. */
    assert_non_null(strstr(refusal("u1", "春眠不觉晓处处闻啼"), "至少需要 10 个字符"));
    assert_null(refusal("u1", "春眠不觉晓处处闻啼鸟"));
    char longest[FK_PASSWORD_MAX + 2];
    for (size_t i = 0; i < sizeof(longest) - 1; i++)
        longest[i] = "Aq7#zP2!kM9$"[i % 12];
    longest[FK_PASSWORD_MAX + 1] = '\0';
    assert_non_null(strstr(refusal("u1", longest), "256"));
    longest[FK_PASSWORD_MAX] = '\0';
    assert_null(refusal("u1", longest));
}

int main(void)
{
    if (fk_password_dictionary_ready() != FK_OK) {
        fprintf(stderr, "cracklib-runtime is not installed (scripts/install-deps)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_attackers_list_is_refused),
        cmocka_unit_test(test_cracklib_reasons_in_chinese),
        cmocka_unit_test(test_username_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
