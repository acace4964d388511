/* The health-code engine as a table: every rule of both shipped rule sets,
 * precedence, expiry and transitions at a controlled clock; and strict
 * validation of rule-set files (a bad file is refused naming the field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "healthcode/healthcode_internal.h"

#define H 3600
#define D 86400
/* 2022-08-01T08:00:00+08:00 */
static const int64_t T0 = 1659312000;

#define RESIDENT "141102001005001" /* a compound of community 141102001005 */
#define OPEN 0

/* One row: a set, one fact (kind 0 = none) and/or an area, the instant, and
 * the expected colour and deciding rule ("" = green). */
struct row {
    const char *set;
    int kind;
    int level;
    const char *region;
    int64_t started, ended; /* offsets from T0; ended OPEN = open */
    int area_level;         /* 0 = no area */
    const char *area_region;
    int area_outside;
    int64_t now; /* offset from T0 */
    enum fk_health_color expect;
    const char *rule;
};

static const struct row rows[] = {
    /* ninth-2022-06: the Shanxi red list */
    {"ninth-2022-06", FK_FACT_CASE, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED, "case"},
    {"ninth-2022-06", FK_FACT_CASE, 0, NULL, -D, -H, 0, NULL, 0, 0, FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", FK_FACT_CLOSE_CONTACT, 0, NULL, -6 * D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "close_contact"},
    {"ninth-2022-06", FK_FACT_SECONDARY_CONTACT, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "secondary_contact"},
    {"ninth-2022-06", FK_FACT_CENTRAL_QUARANTINE, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "central_quarantine"},
    {"ninth-2022-06", FK_FACT_HOME_QUARANTINE, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "home_quarantine"},
    {"ninth-2022-06", FK_FACT_HOME_QUARANTINE, 0, NULL, -D, -1, 0, NULL, 0, 0, FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", 0, 0, NULL, 0, 0, FK_RISK_HIGH, "141102001005", 0, 0, FK_HEALTH_RED,
     "risk_resident"},
    {"ninth-2022-06", 0, 0, NULL, 0, 0, FK_RISK_MEDIUM, "141102001", 0, 0, FK_HEALTH_RED,
     "risk_resident"},
    {"ninth-2022-06", 0, 0, NULL, 0, 0, FK_RISK_LOW, "141102001005", 0, 0, FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", 0, 0, NULL, 0, 0, FK_RISK_HIGH, "141102002", 0, 0, FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", FK_FACT_RISK_STAY, FK_RISK_MEDIUM, "140105", -3 * D, -2 * D, 0, NULL, 0, 0,
     FK_HEALTH_RED, "risk_stay"},
    {"ninth-2022-06", FK_FACT_RISK_STAY, FK_RISK_MEDIUM, "140105", -9 * D, -8 * D, 0, NULL, 0, 0,
     FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", FK_FACT_RISK_STAY, FK_RISK_LOW, "140105", -D, -H, 0, NULL, 0, 0,
     FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", FK_FACT_RISK_ARRIVAL, FK_RISK_HIGH, "140105", -6 * D, OPEN, 0, NULL, 0, 0,
     FK_HEALTH_RED, "risk_arrival"},
    {"ninth-2022-06", FK_FACT_RISK_ARRIVAL, FK_RISK_HIGH, "140105", -8 * D, OPEN, 0, NULL, 0, 0,
     FK_HEALTH_GREEN, ""},
    /* arrived from a county containing a medium-risk area */
    {"ninth-2022-06", FK_FACT_ARRIVAL, 0, "140105", -2 * D, OPEN, FK_RISK_MEDIUM, "140105", 1, 0,
     FK_HEALTH_RED, "county_arrival"},
    {"ninth-2022-06", FK_FACT_ARRIVAL, 0, "141102", -2 * D, OPEN, FK_RISK_HIGH, "141102002001", 0,
     0, FK_HEALTH_RED, "county_arrival"},
    {"ninth-2022-06", FK_FACT_ARRIVAL, 0, "140106", -2 * D, OPEN, FK_RISK_HIGH, "140105", 1, 0,
     FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", FK_FACT_ARRIVAL, 0, "140105", -2 * D, OPEN, FK_RISK_LOW, "140105", 1, 0,
     FK_HEALTH_GREEN, ""},
    /* yellow */
    {"ninth-2022-06", FK_FACT_TESTS_OWED, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_YELLOW,
     "tests_owed"},
    {"ninth-2022-06", FK_FACT_OVERDUE_TEST, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_YELLOW,
     "overdue_test"},
    {"ninth-2022-06", FK_FACT_FEVER, 0, NULL, -H, -H, 0, NULL, 0, 0, FK_HEALTH_YELLOW, "fever"},
    {"ninth-2022-06", FK_FACT_FEVER, 0, NULL, -25 * H, -25 * H, 0, NULL, 0, 0, FK_HEALTH_GREEN, ""},
    {"ninth-2022-06", FK_FACT_POOL_RECALL, 0, NULL, -H, OPEN, 0, NULL, 0, 0, FK_HEALTH_YELLOW,
     "pool_recall"},
    /* twenty-2022-11: 5+3, no secondary contacts, high risk only, 5 days */
    {"twenty-2022-11", FK_FACT_CASE, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED, "case"},
    {"twenty-2022-11", FK_FACT_CLOSE_CONTACT, 0, NULL, -4 * D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "close_contact_central"},
    {"twenty-2022-11", FK_FACT_CLOSE_CONTACT, 0, NULL, -6 * D, OPEN, 0, NULL, 0, 0,
     FK_HEALTH_YELLOW, "close_contact_home"},
    {"twenty-2022-11", FK_FACT_CLOSE_CONTACT, 0, NULL, -9 * D, OPEN, 0, NULL, 0, 0, FK_HEALTH_GREEN,
     ""},
    {"twenty-2022-11", FK_FACT_SECONDARY_CONTACT, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_GREEN,
     ""},
    {"twenty-2022-11", FK_FACT_CENTRAL_QUARANTINE, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "central_quarantine"},
    {"twenty-2022-11", FK_FACT_HOME_QUARANTINE, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_RED,
     "home_quarantine"},
    {"twenty-2022-11", 0, 0, NULL, 0, 0, FK_RISK_HIGH, "141102001005", 0, 0, FK_HEALTH_RED,
     "risk_resident"},
    {"twenty-2022-11", 0, 0, NULL, 0, 0, FK_RISK_MEDIUM, "141102001005", 0, 0, FK_HEALTH_GREEN, ""},
    {"twenty-2022-11", FK_FACT_RISK_STAY, FK_RISK_HIGH, "140105", -4 * D, -4 * D, 0, NULL, 0, 0,
     FK_HEALTH_RED, "risk_stay"},
    {"twenty-2022-11", FK_FACT_RISK_STAY, FK_RISK_HIGH, "140105", -6 * D, -6 * D, 0, NULL, 0, 0,
     FK_HEALTH_GREEN, ""},
    {"twenty-2022-11", FK_FACT_RISK_STAY, FK_RISK_MEDIUM, "140105", -D, -D, 0, NULL, 0, 0,
     FK_HEALTH_GREEN, ""},
    {"twenty-2022-11", FK_FACT_RISK_ARRIVAL, FK_RISK_HIGH, "140105", -4 * D, OPEN, 0, NULL, 0, 0,
     FK_HEALTH_RED, "risk_arrival"},
    /* arrivals: from the high-risk area itself only, not its county */
    {"twenty-2022-11", FK_FACT_ARRIVAL, 0, "140105", -D, OPEN, FK_RISK_HIGH, "140105", 1, 0,
     FK_HEALTH_RED, "area_arrival"},
    {"twenty-2022-11", FK_FACT_ARRIVAL, 0, "141102", -D, OPEN, FK_RISK_HIGH, "141102002001", 0, 0,
     FK_HEALTH_GREEN, ""},
    {"twenty-2022-11", FK_FACT_TESTS_OWED, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_YELLOW,
     "tests_owed"},
    {"twenty-2022-11", FK_FACT_OVERDUE_TEST, 0, NULL, -D, OPEN, 0, NULL, 0, 0, FK_HEALTH_YELLOW,
     "overdue_test"},
    {"twenty-2022-11", FK_FACT_FEVER, 0, NULL, -H, -H, 0, NULL, 0, 0, FK_HEALTH_YELLOW, "fever"},
    {"twenty-2022-11", FK_FACT_POOL_RECALL, 0, NULL, -H, OPEN, 0, NULL, 0, 0, FK_HEALTH_YELLOW,
     "pool_recall"},
};

static void make_area(struct fk_harea *a, int level, const char *region, int outside)
{
    memset(a, 0, sizeof(*a));
    a->id = 7;
    a->level = level;
    a->outside = outside;
    snprintf(a->region, sizeof(a->region), "%s", region);
    /* the demo's codes: 12 digits padded; the significant prefix drops zeros */
    if (!outside) {
        snprintf(a->prefix, sizeof(a->prefix), "%s", region);
    }
    snprintf(a->county, sizeof(a->county), "%.6s", region);
    snprintf(a->name, sizeof(a->name), "测试区域");
    a->from = T0 - 2 * D;
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        const struct fk_hrules *set = fk_hrules_find(r->set);
        assert_non_null(set);
        struct fk_hfact fact = {.id = 1,
                                .kind = r->kind,
                                .level = r->level,
                                .region = r->region,
                                .started_at = T0 + r->started,
                                .ended_at = r->ended == OPEN ? 0 : T0 + r->ended,
                                .detail = ""};
        struct fk_harea area;
        if (r->area_level)
            make_area(&area, r->area_level, r->area_region, r->area_outside);
        struct fk_heval ev;
        fk_health_evaluate(set, RESIDENT, &fact, r->kind ? 1 : 0, &area, r->area_level ? 1 : 0,
                           T0 + r->now, &ev);
        if (ev.color != r->expect)
            fail_msg("row %zu (%s kind %d): colour %d, expected %d", i, r->set, r->kind, ev.color,
                     r->expect);
        if (r->rule[0] != '\0') {
            assert_true(ev.n_reasons >= 1);
            if (strcmp(ev.reasons[0].rule->id, r->rule) != 0)
                fail_msg("row %zu: rule %s, expected %s", i, ev.reasons[0].rule->id, r->rule);
        } else {
            assert_int_equal(ev.n_reasons, 0);
        }
    }
}

/* Every rule of both sets appears in the table. */
static void test_table_covers_every_rule(void **state)
{
    (void)state;
    const char *names[] = {"ninth-2022-06", "twenty-2022-11"};
    for (int s = 0; s < 2; s++) {
        const struct fk_hrules *set = fk_hrules_find(names[s]);
        assert_non_null(set);
        for (int i = 0; i < set->n_rules; i++) {
            int found = 0;
            for (size_t j = 0; j < sizeof(rows) / sizeof(rows[0]) && !found; j++)
                found = strcmp(rows[j].set, names[s]) == 0 &&
                        strcmp(rows[j].rule, set->rules[i].id) == 0;
            if (!found)
                fail_msg("rule %s of %s has no row", set->rules[i].id, names[s]);
        }
    }
}

static void test_precedence_and_reasons(void **state)
{
    (void)state;
    const struct fk_hrules *set = fk_hrules_find("ninth-2022-06");
    struct fk_hfact facts[] = {
        {1, FK_FACT_FEVER, 0, NULL, T0 - H, T0 - H, "体温 38.2"},
        {2, FK_FACT_OVERDUE_TEST, 0, NULL, T0 - 3 * D, 0, NULL},
        {3, FK_FACT_HOME_QUARANTINE, 0, NULL, T0 - 2 * D, 0, "居家隔离"},
    };
    struct fk_heval ev;
    fk_health_evaluate(set, RESIDENT, facts, 3, NULL, 0, T0, &ev);
    assert_int_equal(ev.color, FK_HEALTH_RED);
    assert_int_equal(ev.n_reasons, 3);
    assert_string_equal(ev.reasons[0].rule->id, "home_quarantine");
    assert_string_equal(ev.reasons[1].rule->id, "overdue_test"); /* earlier yellow first */
    assert_string_equal(ev.reasons[2].rule->id, "fever");
    assert_string_equal(ev.reasons[2].cause, "体温 38.2");
    assert_int_equal(ev.since, T0 - 2 * D);
    assert_int_equal(ev.next_change, T0 - H + D); /* the fever expires */
    /* the yellow alone */
    fk_health_evaluate(set, RESIDENT, facts, 2, NULL, 0, T0, &ev);
    assert_int_equal(ev.color, FK_HEALTH_YELLOW);
    assert_int_equal(ev.since, T0 - 3 * D);
    /* nothing */
    fk_health_evaluate(set, RESIDENT, facts, 0, NULL, 0, T0, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
    assert_int_equal(ev.since, 0);
    assert_int_equal(ev.next_change, 0);
}

static void test_expiry_of_fever(void **state)
{
    (void)state;
    const struct fk_hrules *set = fk_hrules_find("ninth-2022-06");
    struct fk_hfact f = {1, FK_FACT_FEVER, 0, NULL, T0, T0, NULL};
    struct fk_heval ev;
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + D - 1, &ev);
    assert_int_equal(ev.color, FK_HEALTH_YELLOW);
    assert_int_equal(ev.reasons[0].until, T0 + D);
    assert_int_equal(ev.next_change, T0 + D);
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + D, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
    assert_string_equal(ev.n_reasons ? "x" : "", "");
}

/* 5+3 under the twenty measures: red for 5 days, yellow for 3, then green;
 * each boundary is announced as the next change. */
static void test_five_plus_three_transitions(void **state)
{
    (void)state;
    const struct fk_hrules *set = fk_hrules_find("twenty-2022-11");
    struct fk_hfact f = {1, FK_FACT_CLOSE_CONTACT, 0, NULL, T0, 0, NULL};
    struct fk_heval ev;
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0, &ev);
    assert_int_equal(ev.color, FK_HEALTH_RED);
    assert_int_equal(ev.next_change, T0 + 5 * D);
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + 5 * D - 1, &ev);
    assert_int_equal(ev.color, FK_HEALTH_RED);
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + 5 * D, &ev);
    assert_int_equal(ev.color, FK_HEALTH_YELLOW);
    assert_int_equal(ev.since, T0 + 5 * D);
    assert_int_equal(ev.next_change, T0 + 8 * D);
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + 8 * D, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
    assert_int_equal(ev.next_change, 0);
    /* ended early by staff: green at once */
    f.ended_at = T0 + 2 * D;
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + 2 * D, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
    /* the ninth plan keeps a close contact red while the fact is open */
    set = fk_hrules_find("ninth-2022-06");
    f.ended_at = 0;
    fk_health_evaluate(set, RESIDENT, &f, 1, NULL, 0, T0 + 9 * D, &ev);
    assert_int_equal(ev.color, FK_HEALTH_RED);
}

static void test_area_in_force_and_ending(void **state)
{
    (void)state;
    const struct fk_hrules *set = fk_hrules_find("ninth-2022-06");
    struct fk_harea a;
    make_area(&a, FK_RISK_HIGH, "141102001005", 0);
    a.from = T0 + H; /* declared ahead */
    a.until = T0 + 3 * D;
    struct fk_heval ev;
    fk_health_evaluate(set, RESIDENT, NULL, 0, &a, 1, T0, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
    assert_int_equal(ev.next_change, T0 + H);
    fk_health_evaluate(set, RESIDENT, NULL, 0, &a, 1, T0 + H, &ev);
    assert_int_equal(ev.color, FK_HEALTH_RED);
    assert_int_equal(ev.reasons[0].until, T0 + 3 * D);
    assert_int_equal(ev.reasons[0].area_id, 7);
    fk_health_evaluate(set, RESIDENT, NULL, 0, &a, 1, T0 + 3 * D, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
    /* an outside county never matches residents */
    make_area(&a, FK_RISK_HIGH, "141102", 1);
    fk_health_evaluate(set, RESIDENT, NULL, 0, &a, 1, T0, &ev);
    assert_int_equal(ev.color, FK_HEALTH_GREEN);
}

static const char GOOD[] =
    "{\"name\":\"local-1\",\"version\":\"local-1.0\",\"effective_date\":\"2022-12-01\","
    "\"title\":\"本地规则\",\"risk_levels\":[\"high\",\"low\"],"
    "\"risk_area_steps\":[{\"level\":\"high\",\"days_without_case\":5,\"then\":\"low\"}],"
    "\"rules\":[{\"id\":\"case\",\"kind\":\"case\",\"color\":\"red\",\"label\":\"病例\"}]}";

/* Replaces the first `from` in GOOD by `to` and expects the parse to fail
 * naming `field`. */
static void expect_bad(const char *from, const char *to, const char *field)
{
    char text[2048];
    const char *p = strstr(GOOD, from);
    assert_non_null(p);
    snprintf(text, sizeof(text), "%.*s%s%s", (int)(p - GOOD), GOOD, to, p + strlen(from));
    struct fk_hrules set;
    char why[256] = "";
    assert_int_equal(
        fk_hrules_parse(text, strlen(text), "rules/local.json", &set, why, sizeof(why)),
        FK_ERR_INVALID);
    char want[96];
    snprintf(want, sizeof(want), "rules/local.json: %s:", field);
    if (strncmp(why, want, strlen(want)) != 0)
        fail_msg("expected '%s…', got '%s'", want, why);
}

static void test_rules_files_validated(void **state)
{
    (void)state;
    struct fk_hrules set;
    char why[256] = "";
    assert_int_equal(
        fk_hrules_parse(GOOD, strlen(GOOD), "rules/local.json", &set, why, sizeof(why)), FK_OK);
    assert_string_equal(set.name, "local-1");
    assert_int_equal(set.n_rules, 1);
    assert_int_equal(set.levels, (1u << FK_RISK_HIGH) | (1u << FK_RISK_LOW));
    expect_bad("{\"name\"", "{\"nmae\"", "nmae");
    expect_bad("\"name\":\"local-1\",", "", "name");
    expect_bad("local-1\",", "Local 1\",", "name");
    expect_bad("2022-12-01", "2022-13-01", "effective_date");
    expect_bad("\"title\":\"本地规则\",", "", "title");
    expect_bad("[\"high\",\"low\"]", "[\"high\",\"severe\"]", "risk_levels");
    expect_bad("\"then\":\"low\"", "\"then\":\"high\"", "risk_area_steps[0].then");
    expect_bad("\"days_without_case\":5", "\"days_without_case\":-1",
               "risk_area_steps[0].days_without_case");
    expect_bad("\"level\":\"high\",\"days", "\"level\":\"medium\",\"days",
               "risk_area_steps[0].level");
    expect_bad("\"color\":\"red\"", "\"color\":\"blue\"", "rules[0].color");
    expect_bad("\"kind\":\"case\"", "\"kind\":\"flu\"", "rules[0].kind");
    expect_bad("\"label\":\"病例\"", "\"labl\":\"病例\"", "rules[0].labl");
    expect_bad("\"label\":\"病例\"}", "\"label\":\"病例\",\"to_day\":0}", "rules[0].to_day");
    expect_bad("\"label\":\"病例\"}", "\"label\":\"病例\",\"from_day\":5,\"to_day\":5}",
               "rules[0].to_day");
    expect_bad("\"label\":\"病例\"}", "\"label\":\"病例\",\"levels\":[\"high\"]}",
               "rules[0].levels");
    expect_bad("\"kind\":\"case\"", "\"kind\":\"risk_stay\",\"levels\":[\"medium\"]",
               "rules[0].levels[0]");
    expect_bad("\"kind\":\"case\"", "\"kind\":\"arrival\",\"levels\":[\"high\"]", "rules[0].match");
    expect_bad("\"label\":\"病例\"}]",
               "\"label\":\"病例\"},{\"id\":\"case\",\"kind\":\"case\","
               "\"color\":\"red\",\"label\":\"x\"}]",
               "rules[1].id");
    expect_bad("\"rules\":[", "\"rules\":{\"x\":[", "(json)");
    expect_bad("\"rules\":[{", "\"rules\":[], \"note\":[{", "rules");
}

static void test_embedded_sets(void **state)
{
    (void)state;
    assert_true(fk_hrules_count() >= 2);
    const struct fk_hrules *ninth = fk_hrules_find("ninth-2022-06");
    const struct fk_hrules *twenty = fk_hrules_find("twenty-2022-11");
    assert_non_null(ninth);
    assert_non_null(twenty);
    assert_string_equal(ninth->effective_date, "2022-06-28");
    assert_int_equal(ninth->window_days, 7);
    assert_int_equal(twenty->window_days, 5);
    assert_int_equal(twenty->levels, (1u << FK_RISK_HIGH) | (1u << FK_RISK_LOW));
    const struct fk_hrule_step *s = fk_hrules_step(ninth, FK_RISK_HIGH);
    assert_non_null(s);
    assert_int_equal(s->then, FK_RISK_MEDIUM);
    assert_int_equal(s->days_without_case, 7);
    s = fk_hrules_step(twenty, FK_RISK_HIGH);
    assert_int_equal(s->then, FK_RISK_LOW);
    assert_int_equal(s->days_without_case, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_sets),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_covers_every_rule),
        cmocka_unit_test(test_precedence_and_reasons),
        cmocka_unit_test(test_expiry_of_fever),
        cmocka_unit_test(test_five_plus_three_transitions),
        cmocka_unit_test(test_area_in_force_and_ending),
        cmocka_unit_test(test_rules_files_validated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
