#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cards/cards.h"
#include "core/events.h"
#include "quarantine/quarantine.h"

#define H 3600
/* 2022-03-02T08:00:00+08:00 */
static const int64_t T0 = 1646179200;

static struct fk_gate_verdict scan(enum fk_card_color color, int out, int64_t at, int64_t last)
{
    struct fk_gate_verdict v;
    memset(&v, 0xAB, sizeof(v));
    fk_card_gate_rule(color, out, at, last, 0, FK_CARD_GREEN_WINDOW_DEFAULT, &v);
    return v;
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(fk_card_color_from_name("green"), FK_CARD_GREEN);
    assert_int_equal(fk_card_color_from_name("Green"), 0);
    assert_int_equal(fk_card_color_from_name(NULL), 0);
    assert_string_equal(fk_card_color_label(FK_CARD_YELLOW), "黄卡");
    assert_string_equal(fk_card_color_name(FK_CARD_BLUE), "blue");
}

static void test_red_and_yellow_never_go_out(void **state)
{
    (void)state;
    struct fk_gate_verdict v = scan(FK_CARD_RED, 1, T0, 0);
    assert_false(v.allowed);
    assert_string_equal(v.code, "red_card");
    v = scan(FK_CARD_YELLOW, 1, T0, 0);
    assert_false(v.allowed);
    assert_string_equal(v.code, "yellow_card");
    /* Coming home is always allowed. */
    assert_true(scan(FK_CARD_RED, 0, T0, 0).allowed);
    assert_true(scan(FK_CARD_YELLOW, 0, T0, 0).allowed);
}

static void test_blue_goes_out_every_time(void **state)
{
    (void)state;
    assert_true(scan(FK_CARD_BLUE, 1, T0, 0).allowed);
    assert_true(scan(FK_CARD_BLUE, 1, T0 + H, T0).allowed);
}

static void test_green_once_per_48_hours(void **state)
{
    (void)state;
    assert_true(scan(FK_CARD_GREEN, 1, T0, 0).allowed);
    struct fk_gate_verdict v = scan(FK_CARD_GREEN, 1, T0 + 47 * H, T0);
    assert_false(v.allowed);
    assert_string_equal(v.code, "green_used");
    /* The next allowed exit, Asia/Shanghai: 2022-03-04 08:00. */
    assert_non_null(strstr(v.reason, "2022-03-04 08:00"));
    assert_false(scan(FK_CARD_GREEN, 1, T0 + 48 * H - 1, T0).allowed);
    assert_true(scan(FK_CARD_GREEN, 1, T0 + 48 * H, T0).allowed);
    assert_true(scan(FK_CARD_GREEN, 1, T0 + 49 * H, T0).allowed);
    /* A configured window. */
    struct fk_gate_verdict w;
    fk_card_gate_rule(FK_CARD_GREEN, 1, T0 + 25 * H, T0, 0, 24 * H, &w);
    assert_true(w.allowed);
}

/* A backdated scan (an offline phone syncing late) meets an exit recorded
 * after it: the 48 h hold in both directions of time, same boundaries. */
static struct fk_gate_verdict before(int64_t at, int64_t next)
{
    struct fk_gate_verdict v;
    memset(&v, 0xAB, sizeof(v));
    fk_card_gate_rule(FK_CARD_GREEN, 1, at, 0, next, FK_CARD_GREEN_WINDOW_DEFAULT, &v);
    return v;
}

static void test_green_both_directions(void **state)
{
    (void)state;
    struct fk_gate_verdict v = before(T0 - H, T0);
    assert_false(v.allowed);
    assert_string_equal(v.code, "green_used");
    /* The window runs from the later exit: 2022-03-04 08:00 again. */
    assert_non_null(strstr(v.reason, "2022-03-04 08:00"));
    assert_false(before(T0 - 47 * H, T0).allowed);
    assert_false(before(T0 - 48 * H + 1, T0).allowed);
    assert_true(before(T0 - 48 * H, T0).allowed);
    assert_true(before(T0 - 49 * H, T0).allowed);
    /* The same instant twice: the second is refused. */
    assert_false(scan(FK_CARD_GREEN, 1, T0, T0).allowed);
    /* Between two exits 96 h apart, one 48 h from each fits; 47 h does not. */
    struct fk_gate_verdict w;
    fk_card_gate_rule(FK_CARD_GREEN, 1, T0 + 48 * H, T0, T0 + 96 * H, 48 * H, &w);
    assert_true(w.allowed);
    fk_card_gate_rule(FK_CARD_GREEN, 1, T0 + 49 * H, T0, T0 + 96 * H, 48 * H, &w);
    assert_false(w.allowed);
    fk_card_gate_rule(FK_CARD_GREEN, 1, T0 + 47 * H, T0, T0 + 96 * H, 48 * H, &w);
    assert_false(w.allowed);
    /* Other colours ignore exits either side. */
    fk_card_gate_rule(FK_CARD_BLUE, 1, T0, T0, T0 + H, 48 * H, &w);
    assert_true(w.allowed);
    fk_card_gate_rule(FK_CARD_GREEN, 0, T0, T0, T0 + H, 48 * H, &w);
    assert_true(w.allowed);
}

static void test_unknown_colour_never(void **state)
{
    (void)state;
    struct fk_gate_verdict v = scan((enum fk_card_color)0, 1, T0, 0);
    assert_false(v.allowed);
    assert_string_equal(v.code, "unknown_card");
    assert_false(scan((enum fk_card_color)9, 0, T0, 0).allowed);
}

/* Cards follow quarantine through events (no include of cards in
 * quarantine): subscribing twice is harmless, and an end other than a
 * release leaves the card alone (nothing is read or written: no connection
 * is needed). */
static void test_follows_quarantine_through_events(void **state)
{
    (void)state;
    fk_event_reset();
    assert_int_equal(fk_cards_subscribe(), FK_OK);
    assert_int_equal(fk_cards_subscribe(), FK_OK);
    struct fk_homeq_ended transferred = {.outcome = "transferred_to_centralized"};
    struct fk_event ended = {
        .kind = FK_EVENT_HOMEQ_ENDED, .at = T0, .person_id = 7, .detail = &transferred};
    assert_int_equal(fk_event_publish(NULL, &ended), FK_OK);
    ended.detail = NULL;
    assert_int_equal(fk_event_publish(NULL, &ended), FK_OK);
    fk_event_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_red_and_yellow_never_go_out),
        cmocka_unit_test(test_blue_goes_out_every_time),
        cmocka_unit_test(test_green_once_per_48_hours),
        cmocka_unit_test(test_green_both_directions),
        cmocka_unit_test(test_unknown_colour_never),
        cmocka_unit_test(test_follows_quarantine_through_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
