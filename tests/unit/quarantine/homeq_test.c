/* Home quarantine rules: temperature slots, overdue computation, roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "quarantine/quarantine.h"

static int64_t at(const char *text)
{
    int64_t t = 0;
    assert_int_equal(fk_time_parse(text, &t), FK_OK);
    return t;
}

static void test_slots(void **state)
{
    (void)state;
    int64_t day, day2;
    int pm;
    fk_homeq_slot_of(at("2022-03-02T11:59:59+08:00"), &day, &pm);
    assert_int_equal(pm, 0);
    fk_homeq_slot_of(at("2022-03-02T12:00:00+08:00"), &day2, &pm);
    assert_int_equal(pm, 1);
    assert_int_equal(day, day2);
    assert_int_equal(day, fk_days_from_civil(2022, 3, 2));
    /* 23:30 UTC on 03-01 is 07:30 on 03-02 in Shanghai. */
    fk_homeq_slot_of(at("2022-03-01T23:30:00Z"), &day2, &pm);
    assert_int_equal(day2, day);
    assert_int_equal(pm, 0);
    assert_int_equal(fk_homeq_slot_due(day, 0), at("2022-03-02T12:00:00+08:00"));
    assert_int_equal(fk_homeq_slot_due(day, 1), at("2022-03-02T20:00:00+08:00"));
    assert_int_equal(fk_homeq_slot_opens(day, 1), at("2022-03-02T12:00:00+08:00"));
}

static void test_celsius(void **state)
{
    (void)state;
    int x10 = 0;
    assert_int_equal(fk_homeq_celsius_x10(36.54, &x10), 0);
    assert_int_equal(x10, 365);
    assert_int_equal(fk_homeq_celsius_x10(37.25, &x10), 0);
    assert_int_equal(x10, 373); /* rounds to 37.3: a fever */
    assert_int_equal(fk_homeq_celsius_x10(35.0, &x10), 0);
    assert_int_equal(fk_homeq_celsius_x10(42.0, &x10), 0);
    assert_int_equal(fk_homeq_celsius_x10(34.9, &x10), -1);
    assert_int_equal(fk_homeq_celsius_x10(42.1, &x10), -1);
    assert_int_equal(fk_homeq_celsius_x10(NAN, &x10), -1);
}

static void test_overdue(void **state)
{
    (void)state;
    struct fk_homeq_facts f = {.starts_at = at("2022-03-02T08:00:00+08:00"),
                               .planned_end = at("2022-03-16T08:00:00+08:00")};
    struct fk_homeq_due due[FK_HOMEQ_DUE_MAX];
    /* Nothing due at the start. */
    assert_int_equal(fk_homeq_overdue(&f, f.starts_at, due, FK_HOMEQ_DUE_MAX), 0);
    /* 19:59: the pm slot is not due yet; 20:00 it is. The am slot of the
     * first day opened before the start and is never required. */
    assert_int_equal(fk_homeq_overdue(&f, at("2022-03-02T19:59:59+08:00"), due, 8), 0);
    assert_int_equal(fk_homeq_overdue(&f, at("2022-03-02T20:00:00+08:00"), due, 8), 1);
    assert_int_equal(due[0].kind, FK_HOMEQ_DUE_TEMPERATURE);
    assert_int_equal(due[0].pm, 1);
    /* Next day 13:00: day-1 pm, day-2 am, and the four letter steps. */
    int64_t now = at("2022-03-03T13:00:00+08:00");
    assert_int_equal(fk_homeq_overdue(&f, now, due, FK_HOMEQ_DUE_MAX), 6);
    assert_int_equal(due[2].kind, FK_HOMEQ_DUE_LETTER);
    assert_int_equal(due[2].due, at("2022-03-03T08:00:00+08:00"));
    /* Readings and letters clear them. */
    struct fk_homeq_slot slots[] = {{fk_days_from_civil(2022, 3, 2), 1},
                                    {fk_days_from_civil(2022, 3, 3), 0}};
    f.recorded = slots;
    f.n_recorded = 2;
    for (int l = 0; l < 2; l++)
        for (int s = 0; s < 2; s++)
            f.letters[l][s] = f.starts_at;
    assert_int_equal(fk_homeq_overdue(&f, now, due, FK_HOMEQ_DUE_MAX), 0);
    /* Past the planned end: slots up to the end only, and the end. */
    f.n_recorded = 0;
    size_t n = fk_homeq_overdue(&f, at("2022-03-20T09:00:00+08:00"), due, FK_HOMEQ_DUE_MAX);
    /* 03-02 pm, 03-03..03-15 am+pm (26), 03-16 am due 12:00 is after the 08:00 end. */
    assert_int_equal(n, 1 + 26 + 1);
    assert_int_equal(due[n - 1].kind, FK_HOMEQ_DUE_END);
    /* Ended: nothing. The count goes on beyond max. */
    assert_int_equal(fk_homeq_overdue(&f, at("2022-03-20T09:00:00+08:00"), due, 3), n);
    f.ended_at = at("2022-03-16T09:00:00+08:00");
    assert_int_equal(fk_homeq_overdue(&f, at("2022-03-20T09:00:00+08:00"), due, 3), 0);
}

static void test_roles(void **state)
{
    (void)state;
    assert_int_equal(fk_homeq_role_from_name("village_doctor"), FK_HOMEQ_VILLAGE_DOCTOR);
    assert_int_equal(fk_homeq_role_from_name("sheriff"), -1);
    assert_string_equal(fk_homeq_role_label(FK_HOMEQ_GRID_WORKER), "网格员");
    struct fk_homeq_due t = {.kind = FK_HOMEQ_DUE_TEMPERATURE};
    struct fk_homeq_due l = {.kind = FK_HOMEQ_DUE_LETTER};
    assert_int_equal(fk_homeq_due_roles(&t),
                     (1u << FK_HOMEQ_GRID_WORKER) | (1u << FK_HOMEQ_VILLAGE_DOCTOR));
    assert_int_equal(fk_homeq_due_roles(&l), 1u << FK_HOMEQ_VILLAGE_CADRE);
    assert_true(fk_homeq_reason_known("close_contact"));
    assert_false(fk_homeq_reason_known("bored"));
    assert_true(fk_homeq_outcome_known("hospital"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_celsius),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
