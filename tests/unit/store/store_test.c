/* The store contract: every backend passes the same tests. SQLite always; PostgreSQL
 * when FK_TEST_PG_URL names a database (scripts/test-all sets it). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

static char sqlite_path[256];

static struct fk_store *open_store(const char *url)
{
    struct fk_store *store = NULL;
    assert_int_equal(fk_store_open(url, &store), FK_OK);
    assert_int_equal(fk_store_migrate(store), FK_OK);
    /* Idempotent: a second run applies nothing and succeeds. */
    assert_int_equal(fk_store_migrate(store), FK_OK);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_exec(db, "DROP TABLE IF EXISTS contract_t"), FK_OK);
    assert_int_equal(fk_db_exec(db, "CREATE TABLE contract_t (id BIGINT PRIMARY KEY, "
                                    "name TEXT UNIQUE, region TEXT, n BIGINT)"),
                     FK_OK);
    return store;
}

static void contract(const char *url)
{
    struct fk_store *store = open_store(url);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);

    /* Insert with RETURNING, text, int64 and NULL binds. */
    int64_t id = 0;
    assert_int_equal(fk_db_run(db, &id,
                               "INSERT INTO contract_t(id, name, region, n) VALUES (?, ?, ?, ?) "
                               "RETURNING id",
                               "ittn", (int64_t)1, "甲", "141102001001001"),
                     FK_OK);
    assert_int_equal(id, 1);
    assert_int_equal(fk_db_run(db, NULL, "INSERT INTO contract_t VALUES (?, ?, ?, ?)", "itti",
                               (int64_t)2, "乙", "141102002001001", (int64_t)5000000000LL),
                     FK_OK);
    assert_int_equal(fk_db_run(db, NULL, "INSERT INTO contract_t VALUES (?, ?, ?, ?)", "itti",
                               (int64_t)3, "丙", "141102001", (int64_t)-7),
                     FK_OK);

    /* Unique violation maps to FK_ERR_CONFLICT. */
    assert_int_equal(fk_db_run(db, NULL, "INSERT INTO contract_t VALUES (?, ?, ?, ?)", "ittn",
                               (int64_t)4, "甲", "x"),
                     FK_ERR_CONFLICT);

    /* Reading back: text, int64, NULL. */
    struct fk_stmt *st;
    int row;
    assert_int_equal(
        fk_db_query(db, &st, &row, "SELECT name, n FROM contract_t WHERE id = ?", "i", (int64_t)1),
        FK_OK);
    assert_true(row);
    assert_string_equal(fk_stmt_text(st, 0), "甲");
    assert_true(fk_stmt_is_null(st, 1));
    assert_int_equal(fk_stmt_step(st), FK_ERR_DONE);
    fk_stmt_free(st);

    assert_int_equal(
        fk_db_query(db, &st, &row, "SELECT n FROM contract_t WHERE id = ?", "i", (int64_t)2),
        FK_OK);
    assert_true(row);
    assert_int_equal(fk_stmt_int64(st, 0), 5000000000LL);
    fk_stmt_free(st);

    /* The jurisdiction helper: a prefix selects exactly its subtree. */
    char clause[96], sql[256];
    fk_store_in_region("region", clause, sizeof(clause));
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM contract_t WHERE %s", clause);
    const char *prefixes[] = {"141102", "141102001", "141102002", "141102003", "1411020010"};
    const int64_t expect[] = {3, 2, 1, 0, 1};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        assert_int_equal(fk_stmt_prepare(db, sql, &st), FK_OK);
        assert_int_equal(fk_stmt_bind_region(st, 1, prefixes[i]), FK_OK);
        assert_int_equal(fk_stmt_step(st), FK_OK);
        assert_int_equal(fk_stmt_int64(st, 0), expect[i]);
        fk_stmt_free(st);
    }

    /* A '?' inside a string literal is not a parameter. */
    assert_int_equal(fk_db_query(db, &st, &row, "SELECT '?' || name FROM contract_t WHERE id = ?",
                                 "i", (int64_t)3),
                     FK_OK);
    assert_true(row);
    assert_string_equal(fk_stmt_text(st, 0), "?丙");
    fk_stmt_free(st);

    /* Reset and re-run a prepared statement. */
    assert_int_equal(fk_stmt_prepare(db, "SELECT name FROM contract_t WHERE id = ?", &st), FK_OK);
    for (int64_t i = 1; i <= 3; i++) {
        assert_int_equal(fk_stmt_bind_int64(st, 1, i), FK_OK);
        assert_int_equal(fk_stmt_step(st), FK_OK);
        assert_non_null(fk_stmt_text(st, 0));
        fk_stmt_reset(st);
    }
    fk_stmt_free(st);

    /* Rollback leaves nothing behind; commit keeps. */
    assert_int_equal(fk_db_begin(db), FK_OK);
    assert_int_equal(fk_db_run(db, NULL, "DELETE FROM contract_t", ""), FK_OK);
    fk_db_rollback(db);
    assert_int_equal(fk_db_query(db, &st, &row, "SELECT COUNT(*) FROM contract_t", ""), FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), 3);
    fk_stmt_free(st);

    /* Migrated schema is there. */
    assert_int_equal(fk_db_query(db, &st, &row, "SELECT COUNT(*) FROM schema_migrations", ""),
                     FK_OK);
    assert_true(fk_stmt_int64(st, 0) >= 1);
    fk_stmt_free(st);

    /* Malformed SQL is an error, not a crash. (PostgreSQL prepares at the
     * first step, so the prepare may succeed: free what it made.) */
    enum fk_err prepared = fk_stmt_prepare(db, "SELEKT nonsense", &st);
    assert_int_not_equal(prepared == FK_OK && fk_stmt_step(st) == FK_OK, 1);
    if (prepared == FK_OK)
        fk_stmt_free(st);
    assert_int_equal(fk_db_exec(db, "DROP TABLE contract_t"), FK_OK);
    fk_store_close(store);
}

/* Group commit: threads write concurrently through fk_db_write_shared; every
 * write lands exactly once except those whose fn failed, which leave nothing
 * behind and do not disturb the others in their batch. */
#define GROUP_THREADS 6
#define GROUP_WRITES 150

struct group_arg {
    struct fk_store *store;
    int64_t n;
    int64_t id;
};

static enum fk_err group_write(struct fk_conn *db, void *arg)
{
    struct group_arg *a = arg;
    struct fk_conn *mine;
    /* fn runs on the thread whose connection is `db`. */
    if (fk_store_conn(a->store, &mine) != FK_OK || mine != db)
        return FK_ERR_DB;
    enum fk_err err =
        fk_db_run(db, &a->id, "INSERT INTO group_t (n) VALUES (?) RETURNING id", "i", a->n);
    if (err == FK_OK && a->n % 7 == 0)
        return FK_ERR_INVALID; /* written, then refused: must be rolled back */
    return err;
}

struct group_thread {
    struct fk_store *store;
    int base;
    int ok, refused, other;
};

static void *group_thread(void *p)
{
    struct group_thread *t = p;
    struct fk_conn *db;
    if (fk_store_conn(t->store, &db) != FK_OK) {
        t->other = GROUP_WRITES;
        return NULL;
    }
    for (int i = 0; i < GROUP_WRITES; i++) {
        struct group_arg a = {.store = t->store, .n = t->base + i};
        enum fk_err err = fk_db_write_shared(db, group_write, &a);
        if (err == FK_OK && a.id > 0)
            t->ok++;
        else if (err == FK_ERR_INVALID)
            t->refused++;
        else
            t->other++;
    }
    fk_store_thread_done();
    return NULL;
}

static void group_commit(const char *url)
{
    struct fk_store *store = NULL;
    assert_int_equal(fk_store_open(url, &store), FK_OK);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_exec(db, "DROP TABLE IF EXISTS group_t"), FK_OK);
    assert_int_equal(fk_db_exec(db, fk_store_kind(store) == FK_STORE_PG
                                        ? "CREATE TABLE group_t (id BIGSERIAL PRIMARY KEY, "
                                          "n BIGINT NOT NULL UNIQUE)"
                                        : "CREATE TABLE group_t (id INTEGER PRIMARY KEY, "
                                          "n BIGINT NOT NULL UNIQUE)"),
                     FK_OK);
    pthread_t th[GROUP_THREADS];
    struct group_thread t[GROUP_THREADS];
    for (int i = 0; i < GROUP_THREADS; i++) {
        t[i] = (struct group_thread){.store = store, .base = i * GROUP_WRITES};
        assert_int_equal(pthread_create(&th[i], NULL, group_thread, &t[i]), 0);
    }
    int ok = 0, refused = 0, other = 0;
    for (int i = 0; i < GROUP_THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += t[i].ok;
        refused += t[i].refused;
        other += t[i].other;
    }
    int total = GROUP_THREADS * GROUP_WRITES, multiples = (total + 6) / 7;
    assert_int_equal(other, 0);
    assert_int_equal(refused, multiples);
    assert_int_equal(ok, total - multiples);
    struct fk_stmt *st;
    int row;
    assert_int_equal(fk_db_query(db, &st, &row,
                                 "SELECT COUNT(*), COUNT(DISTINCT n), SUM(CASE WHEN n % 7 = 0 THEN "
                                 "1 ELSE 0 END) FROM group_t",
                                 ""),
                     FK_OK);
    assert_true(row);
    assert_int_equal(fk_stmt_int64(st, 0), total - multiples);
    assert_int_equal(fk_stmt_int64(st, 1), total - multiples);
    assert_int_equal(fk_stmt_int64(st, 2), 0);
    fk_stmt_free(st);
    assert_int_equal(fk_db_exec(db, "DROP TABLE group_t"), FK_OK);
    fk_store_close(store);
}

/* fk_db_lock: threads read a counter and write it back plus one inside
 * fk_db_write_shared. Under the lock no increment is lost (on PostgreSQL's
 * READ COMMITTED, without it, two transactions read the same value and one
 * increment vanishes). Outside a transaction the lock is refused. */
#define LOCK_THREADS 6
#define LOCK_WRITES 40

static enum fk_err lock_increment(struct fk_conn *db, void *arg)
{
    (void)arg;
    enum fk_err err = fk_db_lock(db, FK_LOCK_GREEN_PERSON, 42);
    struct fk_stmt *st = NULL;
    int row = 0;
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row, "SELECT n FROM lock_t WHERE id = 1", "");
    int64_t n = err == FK_OK && row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE lock_t SET n = ? WHERE id = 1", "i", n + 1);
    return err;
}

struct lock_thread {
    struct fk_store *store;
    int failed;
};

static void *lock_thread(void *p)
{
    struct lock_thread *t = p;
    struct fk_conn *db;
    if (fk_store_conn(t->store, &db) != FK_OK) {
        t->failed = LOCK_WRITES;
        return NULL;
    }
    for (int i = 0; i < LOCK_WRITES; i++)
        if (fk_db_write_shared(db, lock_increment, NULL) != FK_OK)
            t->failed++;
    fk_store_thread_done();
    return NULL;
}

static void db_lock(const char *url)
{
    struct fk_store *store = NULL;
    assert_int_equal(fk_store_open(url, &store), FK_OK);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_exec(db, "DROP TABLE IF EXISTS lock_t"), FK_OK);
    assert_int_equal(fk_db_exec(db, "CREATE TABLE lock_t (id BIGINT PRIMARY KEY, n BIGINT)"),
                     FK_OK);
    assert_int_equal(fk_db_exec(db, "INSERT INTO lock_t VALUES (1, 0)"), FK_OK);
    assert_int_equal(fk_db_lock(db, FK_LOCK_GREEN_PERSON, 42), FK_ERR_INVALID);
    assert_int_equal(fk_db_lock_text(db, FK_LOCK_OTP_PHONE, "abc"), FK_ERR_INVALID);
    assert_int_equal(fk_db_begin(db), FK_OK);
    assert_int_equal(fk_db_lock_text(db, FK_LOCK_OTP_PHONE, "abc"), FK_OK);
    assert_int_equal(fk_db_lock(db, FK_LOCK_GREEN_PERSON, 5000000000LL), FK_OK);
    assert_int_equal(fk_db_commit(db), FK_OK);
    pthread_t th[LOCK_THREADS];
    struct lock_thread t[LOCK_THREADS];
    for (int i = 0; i < LOCK_THREADS; i++) {
        t[i] = (struct lock_thread){.store = store};
        assert_int_equal(pthread_create(&th[i], NULL, lock_thread, &t[i]), 0);
    }
    int failed = 0;
    for (int i = 0; i < LOCK_THREADS; i++) {
        pthread_join(th[i], NULL);
        failed += t[i].failed;
    }
    assert_int_equal(failed, 0);
    struct fk_stmt *st;
    int row;
    assert_int_equal(fk_db_query(db, &st, &row, "SELECT n FROM lock_t WHERE id = 1", ""), FK_OK);
    assert_true(row);
    assert_int_equal(fk_stmt_int64(st, 0), LOCK_THREADS * LOCK_WRITES);
    fk_stmt_free(st);
    assert_int_equal(fk_db_exec(db, "DROP TABLE lock_t"), FK_OK);
    fk_store_close(store);
}

/* fk_where: a filter and its values built together; the arity check refuses
 * a type string that does not match the placeholders. */
static void where_filter(const char *url)
{
    struct fk_store *store = open_store(url);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_run(db, NULL,
                               "INSERT INTO contract_t VALUES (1, 'a', '141102001001', 5), "
                               "(2, 'b', '141102002001', 7), (3, 'c', '141102001002', 9)",
                               ""),
                     FK_OK);
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "region", "141102001");
    fk_where_add(&w, "n > ?", "i", (int64_t)6);
    fk_where_add(&w, "name <> 'x?'", "");
    assert_string_equal(w.sql, " WHERE (region >= ? AND region < ?) AND n > ? AND name <> 'x?'");
    char sql[1200];
    snprintf(sql, sizeof(sql), "SELECT id FROM contract_t%s ORDER BY id", w.sql);
    struct fk_stmt *st;
    assert_int_equal(fk_stmt_prepare(db, sql, &st), FK_OK);
    int idx = 1;
    assert_int_equal(fk_where_bind(st, &w, &idx), FK_OK);
    assert_int_equal(idx, 4);
    assert_int_equal(fk_stmt_step(st), FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), 3);
    assert_int_equal(fk_stmt_step(st), FK_ERR_DONE);
    fk_stmt_free(st);

    /* A clause whose '?' do not match its types poisons the builder. */
    fk_where_add(&w, "n < ? AND n > ?", "i", (int64_t)1);
    assert_int_equal(fk_where_bind(NULL, &w, &idx), FK_ERR_TOO_LARGE);

    /* fk_db_query / fk_db_run check arity before preparing. */
    int row;
    assert_int_equal(fk_db_query(db, &st, &row, "SELECT id FROM contract_t WHERE id = ?", "ii",
                                 (int64_t)1, (int64_t)2),
                     FK_ERR_INTERNAL);
    assert_int_equal(
        fk_db_run(db, NULL, "DELETE FROM contract_t WHERE id = ? OR id = ?", "i", (int64_t)1),
        FK_ERR_INTERNAL);
    assert_int_equal(fk_sql_placeholders("SELECT '?', \"a?\" FROM t WHERE x = ?"), 1);
    assert_int_equal(fk_db_exec(db, "DROP TABLE contract_t"), FK_OK);
    fk_store_close(store);
}

/* The per-connection statement caches: more distinct statements than a cache
 * holds, each run again after eviction; one text with an int64 and then a
 * NULL parameter; a statement that fails to prepare, then its table made;
 * statements kept through a ROLLBACK. */
static void stmt_cache(const char *url)
{
    struct fk_store *store = open_store(url);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    char sql[96];
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 300; k++) {
            snprintf(sql, sizeof(sql), "SELECT COUNT(*) + %d FROM contract_t WHERE n = ?", k);
            struct fk_stmt *st;
            int row;
            assert_int_equal(fk_db_query(db, &st, &row, sql, "i", (int64_t)k), FK_OK);
            assert_true(row);
            assert_int_equal(fk_stmt_int64(st, 0), k);
            fk_stmt_free(st);
        }
    }
    struct fk_stmt *st;
    int row;
    const char *typed = "SELECT COUNT(*) FROM contract_t WHERE n = ? OR CAST(? AS BIGINT) IS NULL";
    assert_int_equal(fk_db_query(db, &st, &row, typed, "in", (int64_t)1), FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), 0);
    fk_stmt_free(st);
    assert_int_equal(fk_db_query(db, &st, &row, typed, "ii", (int64_t)1, (int64_t)2), FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), 0);
    fk_stmt_free(st);
    const char *later = "SELECT COUNT(*) FROM cache_t WHERE id > ?";
    st = NULL;
    assert_int_not_equal(fk_db_query(db, &st, &row, later, "i", (int64_t)0), FK_OK);
    assert_null(st);
    assert_int_equal(fk_db_exec(db, "CREATE TABLE cache_t (id BIGINT)"), FK_OK);
    assert_int_equal(fk_db_begin(db), FK_OK);
    assert_int_equal(fk_db_run(db, NULL, "INSERT INTO cache_t VALUES (?)", "i", (int64_t)5), FK_OK);
    assert_int_equal(fk_db_query(db, &st, &row, later, "i", (int64_t)0), FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), 1);
    fk_stmt_free(st);
    fk_db_rollback(db);
    assert_int_equal(fk_db_query(db, &st, &row, later, "i", (int64_t)0), FK_OK);
    assert_int_equal(fk_stmt_int64(st, 0), 0);
    fk_stmt_free(st);
    assert_int_equal(fk_db_run(db, NULL, "INSERT INTO cache_t VALUES (?)", "i", (int64_t)6), FK_OK);
    assert_int_equal(fk_db_exec(db, "DROP TABLE cache_t"), FK_OK);
    assert_int_equal(fk_db_exec(db, "DROP TABLE contract_t"), FK_OK);
    fk_store_close(store);
}

static void test_sqlite(void **state)
{
    (void)state;
    contract(sqlite_path);
    stmt_cache(sqlite_path);
    where_filter(sqlite_path);
    group_commit(sqlite_path);
    db_lock(sqlite_path);
}

static void test_postgres(void **state)
{
    (void)state;
    const char *url = getenv("FK_TEST_PG_URL");
    if (url == NULL || url[0] == '\0')
        skip();
    contract(url);
    stmt_cache(url);
    where_filter(url);
    group_commit(url);
    db_lock(url);
}

/* In a server (fk_store_background_start) commits leave the WAL to a
 * background thread: the database file grows with no explicit checkpoint,
 * and the store closes cleanly. Without it SQLite checkpoints in the COMMIT. */
static void test_sqlite_checkpointer(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof(path), "%s.ckpt", sqlite_path);
    struct fk_store *store = NULL;
    assert_int_equal(fk_store_open(path, &store), FK_OK);
    assert_int_equal(fk_store_background_start(store), FK_OK);
    assert_int_equal(fk_store_background_start(store), FK_OK); /* once is enough */
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_exec(db, "CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT)"), FK_OK);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    /* ~1500 pages of 4 KiB through the WAL, in small commits as requests do. */
    for (int i = 0; i < 300; i++)
        assert_int_equal(fk_db_run(db, NULL,
                                   "INSERT INTO big (pad) SELECT printf('%.*c', 1000, 'x') FROM "
                                   "(SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL "
                                   "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL "
                                   "SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL "
                                   "SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12 UNION ALL "
                                   "SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15 UNION ALL "
                                   "SELECT 16 UNION ALL SELECT 17 UNION ALL SELECT 18 UNION ALL "
                                   "SELECT 19 UNION ALL SELECT 20)",
                                   ""),
                         FK_OK);
    /* The checkpointer was signalled at 1000 WAL pages: wait (bounded) for
     * the pages to reach the database file. */
    struct stat after = before;
    for (int i = 0; i < 200 && after.st_size < 4 * 1024 * 1024; i++) {
        usleep(20000);
        assert_int_equal(stat(path, &after), 0);
    }
    assert_true(after.st_size >= 4 * 1024 * 1024);
    struct fk_stmt *st;
    int row;
    assert_int_equal(fk_db_query(db, &st, &row, "SELECT COUNT(*) FROM big", ""), FK_OK);
    assert_true(row);
    assert_int_equal(fk_stmt_int64(st, 0), 6000);
    fk_stmt_free(st);
    fk_store_close(store);
}

static void test_bad_url(void **state)
{
    (void)state;
    struct fk_store *store = NULL;
    assert_int_not_equal(fk_store_open("postgresql://nobody@127.0.0.1:1/none", &store), FK_OK);
    assert_int_not_equal(fk_store_open("", &store), FK_OK);
    assert_int_not_equal(fk_store_open("/nonexistent-dir/x/y.db", &store), FK_OK);
}

int main(void)
{
    char dir[] = "/tmp/fk-store-test-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(sqlite_path, sizeof(sqlite_path), "%s/contract.db", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite),
        cmocka_unit_test(test_postgres),
        cmocka_unit_test(test_sqlite_checkpointer),
        cmocka_unit_test(test_bad_url),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return failed;
}
