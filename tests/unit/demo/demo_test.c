/* Tests for src/demo: a small demo district in a temporary SQLite file has the
 * promised shape, every ID and phone number is valid and unique, and the same
 * seed gives the same people. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "checkpoints/checkpoints.h"
#include "demo/demo.h"
#include "id/id.h"
#include "store/store.h"

#define PEOPLE 500

static char dir[] = "/tmp/fk-demo-test-XXXXXX";
static struct fk_pii_key key;

/* What one build produced, in person id order, opened. */
struct people {
    char id_number[PEOPLE][19];
    char name[PEOPLE][32];
    char phone[PEOPLE][12];
};

static struct fk_store *open_store(const char *file)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    struct fk_store *store = NULL;
    assert_int_equal(fk_store_open(path, &store), FK_OK);
    assert_int_equal(fk_store_migrate(store), FK_OK);
    return store;
}

static int64_t count(struct fk_store *store, const char *sql)
{
    struct fk_conn *db;
    struct fk_stmt *st;
    int row = 0;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_query(db, &st, &row, sql, ""), FK_OK);
    assert_true(row);
    int64_t n = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    return n;
}

static void build(struct fk_store *store, uint64_t seed, struct fk_demo_stats *stats)
{
    struct fk_demo_options opt = {PEOPLE, seed, FK_DEMO_PASSWORD, FK_DEMO_PROGRESS_NONE, 1};
    assert_int_equal(fk_demo_build(store, &key, &opt, stats), FK_OK);
}

/* Opens every person's sealed numbers, checks them against the plain
 * columns, and records them in `out`. */
static void read_people(struct fk_store *store, struct people *out)
{
    struct fk_conn *db;
    struct fk_stmt *st;
    int row = 0;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_query(db, &st, &row,
                                 "SELECT id_sealed, id_blind, name, sex, birth_date, "
                                 "phone_sealed, phone_blind, region, address FROM persons "
                                 "ORDER BY id",
                                 ""),
                     FK_OK);
    int n = 0;
    int64_t now = fk_now();
    while (row) {
        assert_true(n < PEOPLE);
        char *id_number = NULL;
        assert_int_equal(fk_pii_open(&key, "id_number", fk_stmt_text(st, 0), &id_number), FK_OK);
        struct fk_resident_id parsed;
        const char *reason = NULL;
        enum fk_err err = fk_resident_id_parse(id_number, now, &parsed, &reason);
        if (err != FK_OK)
            fail_msg("ID %s rejected: %s", id_number, reason);
        assert_int_equal((int)parsed.sex, (int)fk_stmt_int64(st, 3));
        assert_string_equal(parsed.birth_date, fk_stmt_text(st, 4));
        assert_true(parsed.birth_year >= 1935 && parsed.birth_year <= 2021);
        char blind[FK_BLIND_LEN];
        fk_pii_blind(&key, "id_number", id_number, blind);
        assert_string_equal(blind, fk_stmt_text(st, 1));
        snprintf(out->id_number[n], sizeof(out->id_number[n]), "%s", id_number);
        free(id_number);

        snprintf(out->name[n], sizeof(out->name[n]), "%s", fk_stmt_text(st, 2));
        assert_true(strlen(out->name[n]) >= 6); /* a surname and at least one given char */

        out->phone[n][0] = '\0';
        if (!fk_stmt_is_null(st, 5)) {
            char *phone = NULL;
            assert_int_equal(fk_pii_open(&key, "phone", fk_stmt_text(st, 5), &phone), FK_OK);
            assert_int_equal(fk_phone_check(phone, &reason), FK_OK);
            fk_pii_blind(&key, "phone", phone, blind);
            assert_string_equal(blind, fk_stmt_text(st, 6));
            snprintf(out->phone[n], sizeof(out->phone[n]), "%s", phone);
            free(phone);
        } else {
            assert_true(fk_stmt_is_null(st, 6));
        }
        /* Attached to a compound (15 digits) of the district, with an address. */
        assert_int_equal(strlen(fk_stmt_text(st, 7)), 15);
        assert_memory_equal(fk_stmt_text(st, 7), "141102", 6);
        assert_true(strlen(fk_stmt_text(st, 8)) > 0);
        n++;
        enum fk_err next = fk_stmt_step(st);
        assert_true(next == FK_OK || next == FK_ERR_DONE);
        row = next == FK_OK;
    }
    fk_stmt_free(st);
    assert_int_equal(n, PEOPLE);
}

static void test_shape(void **state)
{
    (void)state;
    struct fk_store *store = open_store("shape.db");
    struct fk_demo_stats stats;
    build(store, 42, &stats);

    assert_int_equal(stats.persons, PEOPLE);
    assert_int_equal(stats.townships, 11);
    assert_int_equal(stats.communities, 85);
    assert_in_range(stats.compounds, 380, 420);
    assert_int_equal(stats.users, 12);
    assert_true(stats.households >= PEOPLE / 6 && stats.households < PEOPLE);

    assert_int_equal(count(store, "SELECT COUNT(*) FROM persons"), PEOPLE);
    assert_int_equal(count(store, "SELECT COUNT(DISTINCT id_blind) FROM persons"), PEOPLE);
    assert_int_equal(count(store, "SELECT COUNT(DISTINCT phone_blind) FROM persons"),
                     count(store, "SELECT COUNT(phone_blind) FROM persons"));
    assert_int_equal(count(store, "SELECT COUNT(*) FROM households"), stats.households);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions"), stats.regions);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE level = 1 AND "
                                  "code = '141102000000' AND parent IS NULL"),
                     1);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE level = 2 AND "
                                  "parent = '141102000000'"),
                     11);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE level = 3"), 85);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE level = 4"), stats.compounds);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE code = '141102001000' "
                                  "AND name = '滨河街道'"),
                     1);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE code = '141102011000' "
                                  "AND name = '红眼川乡'"),
                     1);
    /* Every household has members in 1..6 and its head is one of them. */
    assert_int_equal(count(store, "SELECT COUNT(*) FROM households h WHERE head_person_id IS "
                                  "NULL OR NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = "
                                  "h.head_person_id AND p.household_id = h.id)"),
                     0);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM (SELECT household_id, COUNT(*) AS n "
                                  "FROM persons GROUP BY household_id) AS g "
                                  "WHERE n < 1 OR n > 6"),
                     0);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM persons p JOIN households h ON "
                                  "h.id = p.household_id WHERE p.region <> h.region"),
                     0);
    /* One login per role, named after the role. */
    assert_int_equal(count(store, "SELECT COUNT(*) FROM users WHERE username = role"), 12);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM users WHERE username = "
                                  "'community_worker' AND region = '141102001001'"),
                     1);

    static struct people people;
    read_people(store, &people);

    /* Checkpoints of all levels on request: 5 at the district, a road post per
     * township, N gates per community. */
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    int64_t made = 0;
    assert_int_equal(fk_checkpoints_demo(db, 4, &made), FK_ERR_INVALID);
    assert_int_equal(fk_checkpoints_demo(db, 2, &made), FK_OK);
    assert_int_equal(made, 5 + 11 + 2 * 85);
    for (int level = 1; level <= 4; level++) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM checkpoints WHERE level = %d", level);
        assert_true(count(store, sql) > 0);
    }
    assert_int_equal(count(store,
                           "SELECT COUNT(*) FROM checkpoints WHERE level = 3 AND type = "
                           "'road' AND region IN (SELECT code FROM regions WHERE level = 2)"),
                     11);

    /* A second build is refused and changes nothing. */
    struct fk_demo_options opt = {PEOPLE, 42, FK_DEMO_PASSWORD, FK_DEMO_PROGRESS_NONE, 1};
    assert_int_equal(fk_demo_build(store, &key, &opt, &stats), FK_ERR_CONFLICT);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM persons"), PEOPLE);
    fk_store_close(store);
}

static void test_same_seed_same_people(void **state)
{
    (void)state;
    static struct people first, second, other;
    struct fk_demo_stats stats;
    const char *files[] = {"seed-a.db", "seed-b.db", "seed-c.db"};
    struct people *out[] = {&first, &second, &other};
    const uint64_t seeds[] = {7, 7, 8};
    for (int i = 0; i < 3; i++) {
        struct fk_store *store = open_store(files[i]);
        build(store, seeds[i], &stats);
        read_people(store, out[i]);
        fk_store_close(store);
    }
    for (int i = 0; i < PEOPLE; i++) {
        assert_string_equal(first.id_number[i], second.id_number[i]);
        assert_string_equal(first.name[i], second.name[i]);
        assert_string_equal(first.phone[i], second.phone[i]);
    }
    /* Another seed, other people. */
    int same = 0;
    for (int i = 0; i < PEOPLE; i++)
        same += strcmp(first.id_number[i], other.id_number[i]) == 0;
    assert_true(same < PEOPLE / 10);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct fk_store *store = open_store("bad.db");
    struct fk_demo_stats stats;
    struct fk_demo_options opt = {-1, 1, FK_DEMO_PASSWORD, FK_DEMO_PROGRESS_NONE, 1};
    assert_int_equal(fk_demo_build(store, &key, &opt, &stats), FK_ERR_INVALID);
    opt.people = FK_DEMO_PEOPLE_MAX + 1;
    assert_int_equal(fk_demo_build(store, &key, &opt, &stats), FK_ERR_INVALID);
    opt.people = 10;
    opt.password = NULL;
    assert_int_equal(fk_demo_build(store, &key, &opt, &stats), FK_ERR_INVALID);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions"), 0);
    fk_store_close(store);
}

static void test_logins_table(void **state)
{
    (void)state;
    size_t n = 0;
    const struct fk_demo_login *logins = fk_demo_logins(&n);
    assert_int_equal(n, 12);
    assert_string_equal(logins[0].username, "district_admin");
    assert_string_equal(logins[0].region, FK_DEMO_DISTRICT_CODE);
    assert_string_equal(logins[1].region, "141102001000");
}

int main(void)
{
    if (mkdtemp(dir) == NULL || fk_crypto_init() != FK_OK)
        return 1;
    fk_password_set_fast(1);
    char key_path[300];
    snprintf(key_path, sizeof(key_path), "%s/demo.key", dir);
    if (fk_pii_key_load_or_create(key_path, &key) != FK_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logins_table),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_same_seed_same_people),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return failed;
}
