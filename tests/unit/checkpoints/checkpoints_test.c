/* Checkpoints: the enumerations and their labels, and the two lookups the
 * passage and gate modules use (fk_checkpoint_get, fk_checkpoint_staff_on_duty)
 * on a fresh SQLite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "checkpoints/checkpoints.h"
#include "core/clock.h"
#include "regions/regions.h"
#include "http/keyset.h"
#include "store/store.h"

static int64_t at(const char *text)
{
    int64_t t = 0;
    assert_int_equal(fk_time_parse(text, &t), FK_OK);
    return t;
}

static void test_labels(void **state)
{
    (void)state;
    static const char *const types[] = {"highway_exit", "road",    "railway_station",
                                        "bus_station",  "airport", "community_gate",
                                        "compound_gate"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        assert_true(fk_checkpoint_type_known(types[i]));
    assert_false(fk_checkpoint_type_known("bridge"));
    assert_false(fk_checkpoint_type_known(NULL));
    assert_string_equal(fk_checkpoint_type_label("highway_exit"), "高速出口");
    assert_string_equal(fk_checkpoint_type_label("road"), "国省道卡口");
    assert_string_equal(fk_checkpoint_type_label("compound_gate"), "小区门岗");
    assert_string_equal(fk_checkpoint_type_label("bridge"), "bridge");
    assert_true(fk_checkpoint_type_is_gate("community_gate"));
    assert_false(fk_checkpoint_type_is_gate("airport"));
    assert_string_equal(fk_checkpoint_level_label(1), "一级（省市界）");
    assert_string_equal(fk_checkpoint_level_label(4), "四级（社区）");
    assert_string_equal(fk_checkpoint_level_label(5), "");
    assert_true(fk_checkpoint_post_known("police"));
    assert_false(fk_checkpoint_post_known("cook"));
    assert_string_equal(fk_checkpoint_post_label("leader"), "带班负责人");
    assert_true(fk_checkpoint_incident_kind_known("ran_checkpoint"));
    assert_false(fk_checkpoint_incident_kind_known("speeding"));
    assert_string_equal(fk_checkpoint_incident_kind_label("ran_checkpoint"), "闯卡");
}

static void test_get_and_on_duty(void **state)
{
    (void)state;
    char dir[] = "/tmp/fk-checkpoints-test-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cp.db", dir);
    struct fk_store *store = NULL;
    struct fk_conn *db;
    assert_int_equal(fk_store_open(path, &store), FK_OK);
    assert_int_equal(fk_store_migrate(store), FK_OK);
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_region_add(db, "141102000000", NULL, "离石区", 1), FK_OK);
    int64_t user = 0, cp = 0;
    assert_int_equal(
        fk_db_run(db, &user,
                  "INSERT INTO users(username, display_name, password_hash, role, "
                  "region, region_prefix, created_at, updated_at) VALUES ('s', '卡口员', "
                  "'x', 'checkpoint_staff', '141102000000', '141102', 0, 0) RETURNING id",
                  ""),
        FK_OK);
    assert_int_equal(
        fk_db_run(db, &cp,
                  "INSERT INTO checkpoints(name, level, type, region, state, created_by, "
                  "created_at, updated_at) VALUES ('离石西高速出口', 2, 'highway_exit', "
                  "'141102000000', 'open', ?, 0, 0) RETURNING id",
                  "i", user),
        FK_OK);
    struct fk_checkpoint out;
    assert_int_equal(fk_checkpoint_get(db, cp, &out), FK_OK);
    assert_int_equal(out.id, cp);
    assert_string_equal(out.name, "离石西高速出口");
    assert_int_equal(out.level, 2);
    assert_string_equal(out.type, "highway_exit");
    assert_string_equal(out.region, "141102000000");
    assert_true(out.open);
    assert_int_equal(fk_checkpoint_get(db, cp + 1, &out), FK_ERR_NOT_FOUND);

    int64_t starts = at("2022-03-02T08:00:00+08:00"), ends = at("2022-03-02T20:00:00+08:00");
    assert_int_equal(fk_db_run(db, NULL,
                               "INSERT INTO checkpoint_shifts(checkpoint_id, user_id, starts_at, "
                               "ends_at, post, created_by, created_at) VALUES (?, ?, ?, ?, "
                               "'inspector', ?, 0)",
                               "iiiii", cp, user, starts, ends, user),
                     FK_OK);
    int yes = -1;
    assert_int_equal(fk_checkpoint_staff_on_duty(db, cp, user, starts, &yes), FK_OK);
    assert_int_equal(yes, 1); /* the start is inside */
    assert_int_equal(fk_checkpoint_staff_on_duty(db, cp, user, ends - 1, &yes), FK_OK);
    assert_int_equal(yes, 1);
    assert_int_equal(fk_checkpoint_staff_on_duty(db, cp, user, ends, &yes), FK_OK);
    assert_int_equal(yes, 0); /* the end is not */
    assert_int_equal(fk_checkpoint_staff_on_duty(db, cp, user, starts - 1, &yes), FK_OK);
    assert_int_equal(yes, 0);
    assert_int_equal(fk_checkpoint_staff_on_duty(db, cp + 1, user, starts, &yes), FK_OK);
    assert_int_equal(yes, 0); /* another checkpoint */
    fk_store_close(store);
    unlink(path);
    char side[160];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    rmdir(dir);
}

/* fk_keyset_run as the ledgers use it: batches of `batch` rows after the
 * last key, a filter from an fk_where, batch_done after each batch. */
struct walk {
    int64_t keys[16];
    int64_t seqs;
    int batches;
};

static enum fk_err walk_row(struct fk_stmt *st, int64_t seq, void *ctx)
{
    struct walk *w = ctx;
    assert_int_equal(seq, w->seqs + 1);
    w->keys[w->seqs++] = fk_stmt_int64(st, 0);
    return FK_OK;
}

static enum fk_err walk_batch(void *ctx)
{
    ((struct walk *)ctx)->batches++;
    return FK_OK;
}

static void test_keyset_walk(void **state)
{
    (void)state;
    char dir[] = "/tmp/fk-checkpoints-keyset-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cp.db", dir);
    struct fk_store *store = NULL;
    struct fk_conn *db;
    assert_int_equal(fk_store_open(path, &store), FK_OK);
    assert_int_equal(fk_store_migrate(store), FK_OK);
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_region_add(db, "141102000000", NULL, "离石区", 1), FK_OK);
    assert_int_equal(fk_region_add(db, "141103000000", NULL, "另一区", 1), FK_OK);
    int64_t user = 0;
    assert_int_equal(
        fk_db_run(db, &user,
                  "INSERT INTO users(username, display_name, password_hash, role, "
                  "region, region_prefix, created_at, updated_at) VALUES ('s', '卡口员', "
                  "'x', 'checkpoint_staff', '141102000000', '141102', 0, 0) RETURNING id",
                  ""),
        FK_OK);
    int64_t ids[7];
    for (int i = 0; i < 7; i++)
        assert_int_equal(fk_db_run(db, &ids[i],
                                   "INSERT INTO checkpoints(name, level, type, region, state, "
                                   "created_by, created_at, updated_at) VALUES ('k', 4, 'road', ?, "
                                   "'open', ?, 0, 0) RETURNING id",
                                   "ti", i == 3 ? "141103000000" : "141102000000", user),
                         FK_OK);
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "c.region", "141102");
    char sql[1536];
    snprintf(sql, sizeof(sql),
             "SELECT c.id FROM checkpoints c%s AND c.id > ? ORDER BY c.id LIMIT 2", w.sql);
    struct walk seen = {{0}, 0, 0};
    struct fk_keyset_query q = {sql, 2, &w, walk_row, walk_batch, &seen};
    int64_t count = 0;
    assert_int_equal(fk_keyset_run(db, &q, &count), FK_OK);
    assert_int_equal(count, 6); /* the one in 141103 is outside the filter */
    assert_int_equal(seen.seqs, 6);
    assert_int_equal(seen.batches, 4); /* 2 + 2 + 2, then an empty batch ends it */
    int64_t expect[6] = {ids[0], ids[1], ids[2], ids[4], ids[5], ids[6]};
    for (int i = 0; i < 6; i++)
        assert_int_equal(seen.keys[i], expect[i]);

    struct fk_stmt *st = NULL;
    assert_int_equal(fk_row_in_region(db, "SELECT c.id, c.region FROM checkpoints c", "c.id",
                                      "c.region", ids[1], "141102", &st),
                     FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), ids[1]);
    fk_stmt_free(st);
    assert_int_equal(fk_row_in_region(db, "SELECT c.id FROM checkpoints c", "c.id", "c.region",
                                      ids[3], "141102", &st),
                     FK_ERR_NOT_FOUND); /* outside the jurisdiction */
    assert_null(st);
    fk_store_close(store);
    unlink(path);
    char side[160];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_get_and_on_duty),
        cmocka_unit_test(test_keyset_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
