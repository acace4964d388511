/* Events: subscription order, a failing subscriber stops the rest, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/events.h"

static char trail[16];
static int trail_len;

static enum fk_err record(char tag, const struct fk_event *ev)
{
    if (trail_len < (int)sizeof(trail) - 1)
        trail[trail_len++] = tag;
    trail[trail_len] = '\0';
    return ev->person_id == 13 && tag == 'b' ? FK_ERR_CONFLICT : FK_OK;
}
static enum fk_err sub_a(struct fk_conn *db, const struct fk_event *ev, void *ctx)
{
    (void)db;
    (void)ctx;
    return record('a', ev);
}
static enum fk_err sub_b(struct fk_conn *db, const struct fk_event *ev, void *ctx)
{
    (void)db;
    (void)ctx;
    return record('b', ev);
}
static enum fk_err sub_c(struct fk_conn *db, const struct fk_event *ev, void *ctx)
{
    (void)db;
    *(int64_t *)ctx += ev->person_id;
    return record('c', ev);
}

static void test_order_and_failure(void **state)
{
    (void)state;
    fk_event_reset();
    int64_t sum = 0;
    assert_int_equal(fk_event_subscribe(FK_EVENT_HOMEQ_STARTED, sub_a, NULL, "a"), FK_OK);
    assert_int_equal(fk_event_subscribe(FK_EVENT_HOMEQ_STARTED, sub_b, NULL, "b"), FK_OK);
    assert_int_equal(fk_event_subscribe(FK_EVENT_HOMEQ_STARTED, sub_c, &sum, "c"), FK_OK);
    assert_int_equal(fk_event_subscribe(FK_EVENT_HOMEQ_STARTED, sub_a, NULL, "a"), FK_OK);
    assert_int_equal(fk_event_subscribe(FK_EVENT_HOMEQ_ENDED, sub_c, &sum, "c"), FK_OK);

    struct fk_event ev = {.kind = FK_EVENT_HOMEQ_STARTED, .person_id = 7};
    trail_len = 0;
    assert_int_equal(fk_event_publish(NULL, &ev), FK_OK);
    assert_string_equal(trail, "abc"); /* the duplicate subscription of a is ignored */
    assert_int_equal(sum, 7);

    ev.person_id = 13; /* b fails: c must not run, the failure is returned */
    trail_len = 0;
    assert_int_equal(fk_event_publish(NULL, &ev), FK_ERR_CONFLICT);
    assert_string_equal(trail, "ab");
    assert_int_equal(sum, 7);

    ev.kind = FK_EVENT_RISK_AREA_CHANGED; /* nobody listens */
    trail_len = 0;
    assert_int_equal(fk_event_publish(NULL, &ev), FK_OK);
    assert_int_equal(trail_len, 0);
}

static void test_bounds(void **state)
{
    (void)state;
    fk_event_reset();
    struct fk_event ev = {.kind = FK_EVENT_KIND_COUNT};
    assert_int_equal(fk_event_publish(NULL, &ev), FK_ERR_INVALID);
    ev.kind = 0;
    assert_int_equal(fk_event_publish(NULL, &ev), FK_ERR_INVALID);
    assert_int_equal(fk_event_subscribe(FK_EVENT_KIND_COUNT, sub_a, NULL, "a"), FK_ERR_INVALID);
    assert_int_equal(fk_event_subscribe(FK_EVENT_CHECKIN_RECORDED, NULL, NULL, "x"),
                     FK_ERR_INVALID);
    /* a subscription under one kind is not called for another */
    assert_int_equal(fk_event_subscribe(FK_EVENT_CHECKIN_RECORDED, sub_a, NULL, "a"), FK_OK);
    ev.kind = FK_EVENT_HOMEQ_STARTED;
    trail_len = 0;
    assert_int_equal(fk_event_publish(NULL, &ev), FK_OK);
    assert_int_equal(trail_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_failure),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
