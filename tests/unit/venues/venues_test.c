/* The pure rules of venues and check-ins: the category table, statuses,
 * input checks per field, the day key, the retention cutoff, who is refused
 * entry and name masking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "healthcode/healthcode.h"
#include "venues/venues_internal.h"

/* 2022-03-02T08:00:00+08:00 */
static const int64_t T0 = 1646179200;

static void test_categories(void **state)
{
    (void)state;
    static const char *const names[] = {
        "gate", "village",    "government", "school",        "hospital",  "supermarket", "market",
        "mall", "restaurant", "hotel",      "entertainment", "workplace", "transport"};
    for (size_t i = 0; i < FK_VENUE_CATEGORIES; i++) {
        const struct fk_venue_category *c = fk_venue_category_at(i);
        assert_non_null(c);
        assert_string_equal(c->name, names[i]);
        assert_true(strlen(c->label) > 0);
        assert_true(c->dwell_minutes > 0 && c->dwell_minutes <= FK_VENUE_DWELL_MAX);
        assert_ptr_equal(fk_venue_category_find(names[i]), c);
    }
    assert_null(fk_venue_category_at(FK_VENUE_CATEGORIES));
    assert_null(fk_venue_category_find("Hotel"));
    assert_null(fk_venue_category_find(NULL));
    assert_string_equal(fk_venue_category_find("hotel")->label, "宾馆酒店");
    assert_int_equal(fk_venue_category_find("hotel")->dwell_minutes, 720);
}

static void test_statuses(void **state)
{
    (void)state;
    assert_int_equal(fk_venue_status_from_name("open"), FK_VENUE_OPEN);
    assert_int_equal(fk_venue_status_from_name("sealed"), FK_VENUE_SEALED);
    assert_int_equal(fk_venue_status_from_name("closed"), 0);
    assert_int_equal(fk_venue_status_from_name(NULL), 0);
    assert_string_equal(fk_venue_status_label(FK_VENUE_SUSPENDED), "暂停开放");
    assert_null(fk_venue_status_name(4));
}

static const char *refused_field(struct fk_venue_input in, int creating)
{
    struct fk_venue_error why = {0};
    if (fk_venue_check(&in, creating, &why) == FK_OK)
        return NULL;
    return why.field;
}

static void test_check(void **state)
{
    (void)state;
    struct fk_venue_input ok = {.name = "滨河超市", .category = "supermarket", .region = "141102"};
    assert_null(refused_field(ok, 1));
    struct fk_venue_input in = ok;
    in.name = NULL;
    assert_string_equal(refused_field(in, 1), "name");
    assert_null(refused_field(in, 0)); /* a PATCH leaves it */
    in = ok;
    in.name = "a\tb";
    assert_string_equal(refused_field(in, 1), "name");
    char long_name[102];
    memset(long_name, 'x', 101);
    long_name[101] = '\0';
    in.name = long_name;
    assert_string_equal(refused_field(in, 1), "name");
    long_name[100] = '\0';
    assert_null(refused_field(in, 1));
    in = ok;
    in.category = "castle";
    assert_string_equal(refused_field(in, 1), "category");
    in = ok;
    in.region = NULL;
    assert_string_equal(refused_field(in, 1), "region");
    in = ok;
    in.contact_phone = "1391234567";
    assert_string_equal(refused_field(in, 1), "contact_phone");
    in.contact_phone = "13912345678";
    assert_null(refused_field(in, 1));
    in.contact_phone = "";
    assert_null(refused_field(in, 1));
    in = ok;
    in.status = "closed";
    assert_string_equal(refused_field(in, 1), "status");
    in = ok;
    in.has_dwell = 1;
    in.dwell_minutes = FK_VENUE_DWELL_MAX + 1;
    assert_string_equal(refused_field(in, 1), "dwell_minutes");
    in.dwell_minutes = 0;
    assert_null(refused_field(in, 1));
    in.dwell_minutes = -1;
    assert_string_equal(refused_field(in, 1), "dwell_minutes");
    in = ok;
    in.note = "x\x7f";
    assert_string_equal(refused_field(in, 1), "note");
    in = ok;
    in.contact_name = "王经理\n";
    assert_string_equal(refused_field(in, 1), "contact_name");
}

static void test_day_and_cutoff(void **state)
{
    (void)state;
    /* 08:00 Beijing time is day N; 23:59:59 too; midnight Beijing time starts N+1. */
    int64_t day = fk_checkin_day(T0);
    assert_int_equal(day, 19053);
    assert_int_equal(fk_checkin_day(T0 + 16 * 3600 - 1), day);
    assert_int_equal(fk_checkin_day(T0 + 16 * 3600), day + 1);
    assert_int_equal(fk_checkin_day(T0 - 8 * 3600), day);
    assert_int_equal(fk_checkin_day(T0 - 8 * 3600 - 1), day - 1);
    /* A purge at T0 keeps `at` >= T0 - 28 days. */
    assert_int_equal(fk_checkin_cutoff(T0, 28), T0 - 28 * 86400);
}

static void test_refused(void **state)
{
    (void)state;
    char reason[160];
    assert_false(fk_checkin_refused(FK_HEALTH_GREEN, reason, sizeof(reason)));
    assert_string_equal(reason, "");
    assert_true(fk_checkin_refused(FK_HEALTH_RED, reason, sizeof(reason)));
    assert_true(strncmp(reason, "红码人员，禁止进入", strlen("红码人员，禁止进入")) == 0);
    assert_true(fk_checkin_refused(FK_HEALTH_YELLOW, reason, sizeof(reason)));
    assert_true(strncmp(reason, "黄码人员，禁止进入", strlen("黄码人员，禁止进入")) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_categories), cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_check),      cmocka_unit_test(test_day_and_cutoff),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
