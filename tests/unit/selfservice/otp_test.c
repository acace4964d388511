/* The resident sign-in code rules (src/selfservice/selfservice.c): code
 * shape, keyed hashing, the judge's order (attempts, expiry, code), resend
 * spacing, rate windows, and the health report's date and temperature checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "selfservice/selfservice_internal.h"

/* 2022-03-02T08:00:00+08:00 */
static const int64_t T0 = 1646179200;

static struct fk_pii_key key;

static int setup(void **state)
{
    (void)state;
    if (fk_crypto_init() != FK_OK)
        return -1;
    memset(&key, 0x5A, sizeof(key));
    return 0;
}

static void test_code_shape(void **state)
{
    (void)state;
    int differ = 0;
    char first[FK_OTP_DIGITS + 1];
    fk_otp_new_code(first);
    for (int n = 0; n < 50; n++) {
        char code[FK_OTP_DIGITS + 1];
        fk_otp_new_code(code);
        assert_int_equal(strlen(code), 6);
        for (int i = 0; i < 6; i++)
            assert_true(code[i] >= '0' && code[i] <= '9');
        differ |= strcmp(code, first) != 0;
    }
    assert_true(differ);
}

static void test_hash_binds_phone_time_and_code(void **state)
{
    (void)state;
    char a[FK_BLIND_LEN], b[FK_BLIND_LEN];
    fk_otp_hash(&key, "phoneA", T0, "123456", a);
    fk_otp_hash(&key, "phoneA", T0, "123456", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), FK_BLIND_LEN - 1);
    assert_null(strstr(a, "123456"));
    fk_otp_hash(&key, "phoneB", T0, "123456", b);
    assert_string_not_equal(a, b);
    fk_otp_hash(&key, "phoneA", T0 + 1, "123456", b);
    assert_string_not_equal(a, b);
    fk_otp_hash(&key, "phoneA", T0, "123457", b);
    assert_string_not_equal(a, b);
}

static void test_judge(void **state)
{
    (void)state;
    struct fk_otp_state st = {.sent_at = T0, .expires_at = T0 + FK_OTP_TTL, .attempts = 0};
    fk_otp_hash(&key, "p", T0, "000111", st.code_hash);
    char right[FK_BLIND_LEN], wrong[FK_BLIND_LEN];
    fk_otp_hash(&key, "p", T0, "000111", right);
    fk_otp_hash(&key, "p", T0, "000112", wrong);
    assert_int_equal(fk_otp_judge(&st, right, T0), FK_OTP_OK);
    assert_int_equal(fk_otp_judge(&st, right, T0 + FK_OTP_TTL - 1), FK_OTP_OK);
    assert_int_equal(fk_otp_judge(&st, wrong, T0 + 10), FK_OTP_INVALID);
    assert_int_equal(fk_otp_judge(&st, "", T0 + 10), FK_OTP_INVALID);
    /* Exactly 5 minutes later the code is dead, right or wrong. */
    assert_int_equal(fk_otp_judge(&st, right, T0 + FK_OTP_TTL), FK_OTP_EXPIRED);
    assert_int_equal(fk_otp_judge(&st, wrong, T0 + FK_OTP_TTL + 1), FK_OTP_EXPIRED);
    st.attempts = FK_OTP_MAX_ATTEMPTS - 1;
    assert_int_equal(fk_otp_judge(&st, right, T0 + 10), FK_OTP_OK);
    /* After 5 wrong guesses even the right code is refused, before expiry is told. */
    st.attempts = FK_OTP_MAX_ATTEMPTS;
    assert_int_equal(fk_otp_judge(&st, right, T0 + 10), FK_OTP_TOO_MANY);
    assert_int_equal(fk_otp_judge(&st, right, T0 + FK_OTP_TTL + 10), FK_OTP_TOO_MANY);
}

static void test_resend_wait(void **state)
{
    (void)state;
    assert_int_equal(fk_otp_resend_wait(0, T0), 0);
    assert_int_equal(fk_otp_resend_wait(T0, T0), 60);
    assert_int_equal(fk_otp_resend_wait(T0, T0 + 59), 1);
    assert_int_equal(fk_otp_resend_wait(T0, T0 + 60), 0);
    assert_int_equal(fk_otp_resend_wait(T0, T0 - 100), 60); /* clock set back */
}

static void test_windows_follow_shanghai_days(void **state)
{
    (void)state;
    int64_t retry = 0;
    /* 08:00 Shanghai: the day began 8 hours ago (midnight local = 16:00 UTC). */
    assert_int_equal(fk_selfservice_window(T0, 86400, &retry), T0 - 8 * 3600);
    assert_int_equal(retry, 16 * 3600);
    assert_int_equal(fk_selfservice_window(T0 + 1800, 3600, &retry), T0);
    assert_int_equal(retry, 1800);
}

static void test_report_date_and_temperature(void **state)
{
    (void)state;
    assert_true(fk_report_date_ok("2022-03-02", T0));
    assert_true(fk_report_date_ok("2022-03-01", T0));
    assert_false(fk_report_date_ok("2022-02-28", T0));
    assert_false(fk_report_date_ok("2022-03-03", T0));
    assert_false(fk_report_date_ok("2022-3-02", T0));
    assert_false(fk_report_date_ok("2022-02-30", T0));
    assert_false(fk_report_date_ok(NULL, T0));
    /* 23:59 Shanghai on 03-02 is still 03-02; 00:00 is 03-03. */
    assert_true(fk_report_date_ok("2022-03-02", T0 + 16 * 3600 - 1));
    assert_false(fk_report_date_ok("2022-03-01", T0 + 16 * 3600));
    assert_int_equal(fk_report_temperature_tenths(36.5), 365);
    assert_int_equal(fk_report_temperature_tenths(35.0), 350);
    assert_int_equal(fk_report_temperature_tenths(42.0), 420);
    assert_int_equal(fk_report_temperature_tenths(37.25), 373);
    assert_int_equal(fk_report_temperature_tenths(34.9), -1);
    assert_int_equal(fk_report_temperature_tenths(42.1), -1);
    assert_string_equal(fk_symptom_label("fever"), "发热");
    assert_null(fk_symptom_label("sneeze"));
    assert_non_null(fk_symptom_at(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_shape),
        cmocka_unit_test(test_hash_binds_phone_time_and_code),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_resend_wait),
        cmocka_unit_test(test_windows_follow_shanghai_days),
        cmocka_unit_test(test_report_date_and_temperature),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
