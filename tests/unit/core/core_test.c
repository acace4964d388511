#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/parse.h"

static void test_time_roundtrip(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(fk_time_parse("2022-03-02T08:00:00+08:00", &t), FK_OK);
    assert_int_equal(t, 1646179200);
    char text[FK_RFC3339_LEN];
    fk_time_format(t, text);
    assert_string_equal(text, "2022-03-02T08:00:00+08:00");
    assert_int_equal(fk_time_parse("2022-03-02T00:00:00Z", &t), FK_OK);
    assert_int_equal(t, 1646179200);
    assert_int_equal(fk_time_parse("2022-03-02T00:00:00.123Z", &t), FK_OK);
    assert_int_equal(fk_time_parse("2022-03-02", &t), FK_OK);
    assert_int_equal(t, 1646150400); /* midnight Shanghai */
    const char *bad[] = {"",
                         "2022-02-30T00:00:00Z",
                         "2022-03-02T24:00:00Z",
                         "2022-03-02T00:00:00",
                         "2022-3-2",
                         "2022-03-02T00:00:00+0800",
                         "garbage",
                         "2022-03-02T00:00:00Zx"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(fk_time_parse(bad[i], &t), FK_ERR_INVALID);
}

static void test_clock_set(void **state)
{
    (void)state;
    fk_clock_set(1646179200);
    int64_t now = fk_now();
    assert_true(now >= 1646179200 && now <= 1646179202);
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    assert_int_equal(y, 2022);
    assert_int_equal(m, 3);
    assert_int_equal(d, 2);
    setenv("FANGKONG_NOW", "not a time", 1);
    assert_int_equal(fk_clock_init(), FK_ERR_INVALID);
    setenv("FANGKONG_NOW", "2020-02-01T09:30:00+08:00", 1);
    assert_int_equal(fk_clock_init(), FK_OK);
    assert_true(fk_now() - 1580520600 < 3);
}

static void test_clock_frozen(void **state)
{
    (void)state;
    setenv("FANGKONG_NOW", "2020-02-01T09:30:00+08:00", 1);
    setenv("FANGKONG_CLOCK", "sometimes", 1);
    assert_int_equal(fk_clock_init(), FK_ERR_INVALID);
    unsetenv("FANGKONG_NOW");
    setenv("FANGKONG_CLOCK", "frozen", 1);
    assert_int_equal(fk_clock_init(), FK_ERR_INVALID); /* frozen needs a start */
    setenv("FANGKONG_NOW", "2020-02-01T09:30:00+08:00", 1);
    assert_int_equal(fk_clock_init(), FK_OK);
    assert_true(fk_clock_frozen());
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(fk_now(), 1580520600);
    assert_int_equal(fk_clock_advance(90), FK_OK);
    assert_int_equal(fk_now(), 1580520690);
    assert_int_equal(fk_clock_advance(-1), FK_ERR_INVALID);
    fk_clock_set(1646179200);
    assert_int_equal(fk_now(), 1646179200);
    /* Back to a running clock: advancing is refused, time runs from there. */
    fk_clock_freeze(0, 1646179200);
    assert_false(fk_clock_frozen());
    assert_int_equal(fk_clock_advance(1), FK_ERR_INVALID);
    assert_true(fk_now() - 1646179200 < 3);
    setenv("FANGKONG_CLOCK", "running", 1);
    assert_int_equal(fk_clock_init(), FK_OK);
    assert_false(fk_clock_frozen());
    unsetenv("FANGKONG_CLOCK");
}

static void test_parse_int(void **state)
{
    (void)state;
    int64_t v = 42;
    assert_int_equal(fk_parse_int64("17", 0, 100, &v), FK_OK);
    assert_int_equal(v, 17);
    const char *bad[] = {"", "abc", "1x", " 1", "+1", "101", "-1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        assert_int_equal(fk_parse_int64(bad[i], 0, 100, &v), FK_ERR_INVALID);
        assert_int_equal(v, 42);
    }
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct fk_buf buf;
    fk_buf_init(&buf, 10);
    assert_int_equal(fk_buf_append_str(&buf, "hello"), FK_OK);
    assert_int_equal(fk_buf_append_str(&buf, "world"), FK_OK);
    assert_string_equal(buf.data, "helloworld");
    assert_int_equal(fk_buf_append_str(&buf, "!"), FK_ERR_TOO_LARGE);
    assert_null(buf.data);
    assert_int_equal(buf.len, 0);
    fk_buf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_roundtrip), cmocka_unit_test(test_clock_set),
        cmocka_unit_test(test_clock_frozen),   cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_buf_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
