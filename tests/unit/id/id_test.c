/* Tests for src/id: resident IDs, phones, plates and region codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "id/id.h"

/* 2022-03-02 08:00 Asia/Shanghai. */
static int64_t shanghai(int y, unsigned m, unsigned d, int hour)
{
    return fk_days_from_civil(y, m, d) * 86400 + (int64_t)(hour - 8) * 3600;
}

#define NOW shanghai(2022, 3, 2, 8)

/* Completes 17 digits with their check character. */
static void make_id(const char *digits17, char out[19])
{
    memcpy(out, digits17, 17);
    out[17] = fk_resident_id_check_char(digits17);
    out[18] = '\0';
}

static const char *reject_reason(const char *text, int64_t now)
{
    struct fk_resident_id id;
    memset(&id, 0x5a, sizeof id);
    const char *reason = NULL;
    assert_int_equal(fk_resident_id_parse(text, now, &id, &reason), FK_ERR_INVALID);
    assert_non_null(reason);
    /* Untouched on failure. */
    for (size_t i = 0; i < sizeof id.number; i++)
        assert_int_equal((unsigned char)id.number[i], 0x5a);
    return reason;
}

static void test_check_char_known(void **state)
{
    (void)state;
    /* The worked example of GB 11643-1999. */
    assert_int_equal(fk_resident_id_check_char("11010519491231002"), 'X');
    assert_int_equal(fk_resident_id_check_char("14110219900307123"), '6');
}

static void test_valid_ids(void **state)
{
    (void)state;
    struct fk_resident_id id;
    const char *reason = "unset";
    char text[19];

    make_id("14110219900307123", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    assert_null(reason);
    assert_string_equal(id.number, text);
    assert_string_equal(id.region, "141102");
    assert_string_equal(id.birth_date, "1990-03-07");
    assert_int_equal(id.birth_year, 1990);
    assert_int_equal(id.birth_month, 3);
    assert_int_equal(id.birth_day, 7);
    assert_int_equal(id.sex, FK_SEX_MALE);

    make_id("14110219900307124", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    assert_int_equal(id.sex, FK_SEX_FEMALE);

    /* Old Lüliang prefecture codes (1423xx) are still on cards. */
    make_id("14232619750512001", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    assert_string_equal(id.region, "142326");

    /* Every other province part at least once: Hong Kong, Macao, Taiwan. */
    make_id("81000019800101001", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    make_id("82000019800101001", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    make_id("71000019800101001", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    make_id("65010219000101001", text); /* born on the earliest allowed day */
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
}

static void test_x_check_char(void **state)
{
    (void)state;
    struct fk_resident_id id;
    const char *reason = NULL;
    assert_int_equal(fk_resident_id_parse("11010519491231002X", NOW, &id, &reason), FK_OK);
    assert_string_equal(id.number, "11010519491231002X");
    assert_int_equal(id.sex, FK_SEX_FEMALE);
    /* Lower-case x is normalized. */
    assert_int_equal(fk_resident_id_parse("11010519491231002x", NOW, &id, &reason), FK_OK);
    assert_string_equal(id.number, "11010519491231002X");
}

static void test_reject_length(void **state)
{
    (void)state;
    assert_string_equal(reject_reason("", NOW), "length");
    assert_string_equal(reject_reason("11010519491231002", NOW), "length");
    assert_string_equal(reject_reason("11010519491231002X0", NOW), "length");
    assert_string_equal(reject_reason("11010519491231002X0000000000000000", NOW), "length");
    assert_string_equal(reject_reason(NULL, NOW), "length");
}

static void test_reject_characters(void **state)
{
    (void)state;
    assert_string_equal(reject_reason("1101051949123100AX", NOW), "characters");
    assert_string_equal(reject_reason("11010519491231002Y", NOW), "characters");
    assert_string_equal(reject_reason(" 1010519491231002X", NOW), "characters");
    assert_string_equal(reject_reason("-1010519491231002X", NOW), "characters");
    assert_string_equal(reject_reason("X10105194912310021", NOW), "characters");
}

static void test_reject_province(void **state)
{
    char text[19];
    (void)state;
    const char *bad[] = {"00", "10", "16", "20", "24", "30", "38", "40", "47",
                         "55", "60", "66", "70", "72", "80", "83", "91", "99"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char digits[18];
        memcpy(digits, bad[i], 2);
        memcpy(digits + 2, "010519491231002", 16);
        make_id(digits, text);
        assert_string_equal(reject_reason(text, NOW), "province");
    }
}

static void test_reject_birth_date(void **state)
{
    char text[19];
    (void)state;
    make_id("14110219901301123", text); /* month 13 */
    assert_string_equal(reject_reason(text, NOW), "birth_date");
    make_id("14110219900001123", text); /* month 0 */
    assert_string_equal(reject_reason(text, NOW), "birth_date");
    make_id("14110219900431123", text); /* April 31 */
    assert_string_equal(reject_reason(text, NOW), "birth_date");
    make_id("14110219900100123", text); /* day 0 */
    assert_string_equal(reject_reason(text, NOW), "birth_date");
    make_id("14110200000101123", text); /* year 0 */
    assert_string_equal(reject_reason(text, NOW), "birth_date");
}

static void test_feb_29(void **state)
{
    char text[19];
    struct fk_resident_id id;
    const char *reason = NULL;
    (void)state;
    make_id("14110220000229123", text); /* 2000: divisible by 400 */
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    assert_string_equal(id.birth_date, "2000-02-29");
    make_id("14110219960229123", text);
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    make_id("14110219000229123", text); /* 1900: divisible by 100, not 400 */
    assert_string_equal(reject_reason(text, NOW), "birth_date");
    make_id("14110220210229123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_date");
    make_id("14110220000230123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_date");
}

static void test_birth_in_future(void **state)
{
    char text[19];
    struct fk_resident_id id;
    const char *reason = NULL;
    (void)state;
    make_id("14110220220302123", text); /* born today */
    assert_int_equal(fk_resident_id_parse(text, NOW, &id, &reason), FK_OK);
    make_id("14110220220303123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_in_future");
    make_id("14110220220401123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_in_future");
    make_id("14110220230101123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_in_future");

    /* "Today" is the Shanghai date: 00:30 on 3 March in Shanghai is still
     * 2 March in UTC. */
    make_id("14110220220303123", text);
    int64_t just_after_midnight = shanghai(2022, 3, 3, 0) + 30 * 60;
    assert_int_equal(fk_resident_id_parse(text, just_after_midnight, &id, &reason), FK_OK);
    assert_string_equal(reject_reason(text, just_after_midnight - 3600), "birth_in_future");
}

static void test_birth_too_old(void **state)
{
    char text[19];
    (void)state;
    make_id("14110218991231123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_too_old");
    make_id("14110210000101123", text);
    assert_string_equal(reject_reason(text, NOW), "birth_too_old");
}

static void test_reject_checksum(void **state)
{
    (void)state;
    assert_string_equal(reject_reason("110105194912310021", NOW), "checksum");
    assert_string_equal(reject_reason("141102199003071230", NOW), "checksum");
    /* A single transposition is caught. */
    assert_string_equal(reject_reason("11010519491213002X", NOW), "checksum");
}

static void test_reason_may_be_null(void **state)
{
    struct fk_resident_id id;
    (void)state;
    assert_int_equal(fk_resident_id_parse("x", NOW, &id, NULL), FK_ERR_INVALID);
    assert_int_equal(fk_resident_id_parse("11010519491231002X", NOW, &id, NULL), FK_OK);
}

static void expect_phone(const char *text, const char *want_reason)
{
    const char *reason = "unset";
    enum fk_err err = fk_phone_check(text, &reason);
    if (want_reason == NULL) {
        assert_int_equal(err, FK_OK);
        assert_null(reason);
    } else {
        assert_int_equal(err, FK_ERR_INVALID);
        assert_string_equal(reason, want_reason);
    }
}

static void test_phone(void **state)
{
    (void)state;
    expect_phone("13812345678", NULL);
    expect_phone("19912345678", NULL);
    expect_phone("16600000000", NULL);
    expect_phone("", "length");
    expect_phone(NULL, "length");
    expect_phone("1381234567", "length");
    expect_phone("138123456789", "length");
    expect_phone("+8613812345678", "length");
    expect_phone("1381234567a", "characters");
    expect_phone("138 1234567", "characters");
    expect_phone("12812345678", "prefix");
    expect_phone("10012345678", "prefix");
    expect_phone("23812345678", "prefix");
}

static void expect_plate(const char *text, const char *want_reason)
{
    const char *reason = "unset";
    enum fk_err err = fk_plate_check(text, &reason);
    if (want_reason == NULL) {
        assert_int_equal(err, FK_OK);
        assert_null(reason);
    } else {
        assert_int_equal(err, FK_ERR_INVALID);
        assert_string_equal(reason, want_reason);
    }
}

static void test_plate(void **state)
{
    (void)state;
    expect_plate("晋K12345", NULL);
    expect_plate("京A8B9C7", NULL);
    expect_plate("琼Z0000Z", NULL);
    expect_plate("粤B1234港", NULL);
    expect_plate("晋A1234挂", NULL);
    expect_plate("川A1234学", NULL);
    expect_plate("沪A0001警", NULL);
    expect_plate("粤Z1234澳", NULL);
    /* New-energy plates: 6 characters after the office letter (8 in all). */
    expect_plate("京AD12345", NULL);
    expect_plate("晋KF12345", NULL);
    expect_plate("苏E12345D", NULL);

    expect_plate("", "length");
    expect_plate(NULL, "length");
    expect_plate("晋K1234", "length");
    expect_plate("晋KD1234567", "length");
    expect_plate("晋K12345挂", "length");
    expect_plate("AB123456", "length");
    expect_plate("港A12345", "province");
    expect_plate("台A12345", "province");
    expect_plate("ABCD12345", "province"); /* 9 bytes, like a real plate */
    expect_plate("\xe6\x99", "length");
    expect_plate("晋K\0002345", "length"); /* a NUL inside: only 4 bytes */
    expect_plate("晋I12345", "letter");
    expect_plate("晋O12345", "letter");
    expect_plate("晋k12345", "letter");
    expect_plate("晋112345", "letter");
    expect_plate("晋K1234I", "characters");
    expect_plate("晋K12O45", "characters");
    expect_plate("晋KD1234O", "characters");
    expect_plate("晋Kd2345", "characters");
    expect_plate("晋K1234京", "characters");
    expect_plate("晋K12 45", "characters");
    expect_plate("晋K12挂", "characters");
}

static void expect_region(const char *code, const char *want_prefix, int want_depth)
{
    char prefix[19];
    int depth = -1;
    const char *reason = "unset";
    assert_int_equal(fk_region_code_prefix(code, prefix, &depth, &reason), FK_OK);
    assert_null(reason);
    assert_string_equal(prefix, want_prefix);
    assert_int_equal(depth, want_depth);
}

static void expect_region_reject(const char *code, const char *want_reason)
{
    char prefix[19] = "untouched";
    int depth = -1;
    const char *reason = NULL;
    assert_int_equal(fk_region_code_prefix(code, prefix, &depth, &reason), FK_ERR_INVALID);
    assert_string_equal(reason, want_reason);
    assert_string_equal(prefix, "untouched");
    assert_int_equal(depth, -1);
}

static void test_region_prefix(void **state)
{
    (void)state;
    expect_region("141102", "141102", 1);
    expect_region("141102001", "141102001", 2);
    expect_region("141102000000", "141102", 1);
    expect_region("141102001000", "141102001", 2);
    expect_region("141102001001", "141102001001", 3);
    expect_region("141102000001", "141102000001", 3); /* only trailing groups strip */
    expect_region("140000000000", "140000", 1);       /* never shorter than 6 */
    expect_region("141102001001002", "141102001001002", 4);
    expect_region("141102001001000", "141102001001000", 4);
    expect_region("141102001001002003", "141102001001002003", 5);

    expect_region_reject("", "length");
    expect_region_reject(NULL, "length");
    expect_region_reject("14110", "length");
    expect_region_reject("1411020", "length");
    expect_region_reject("14110200", "length");
    expect_region_reject("1411020010", "length");
    expect_region_reject("14110200100", "length");
    expect_region_reject("1411020010010", "length");
    expect_region_reject("1411020010010020030", "length");
    expect_region_reject("14110200100100200300400500", "length");
    expect_region_reject("14110a", "characters");
    expect_region_reject("141102 01", "characters");
    expect_region_reject("-41102001001", "characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_char_known),
        cmocka_unit_test(test_valid_ids),
        cmocka_unit_test(test_x_check_char),
        cmocka_unit_test(test_reject_length),
        cmocka_unit_test(test_reject_characters),
        cmocka_unit_test(test_reject_province),
        cmocka_unit_test(test_reject_birth_date),
        cmocka_unit_test(test_feb_29),
        cmocka_unit_test(test_birth_in_future),
        cmocka_unit_test(test_birth_too_old),
        cmocka_unit_test(test_reject_checksum),
        cmocka_unit_test(test_reason_may_be_null),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_plate),
        cmocka_unit_test(test_region_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
