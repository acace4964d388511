/* SQLite backend: WAL, foreign keys on, busy timeout, one connection per thread. */
#include "store/store_impl.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Prepared statements are kept per connection and reused: parsing SQL is most
 * of the cost of a short query. A cached statement is lent to one user at a
 * time; fk_stmt_free resets it and gives it back. */
#define STMT_CACHE 64

struct cached_stmt {
    char *sql;
    sqlite3_stmt *stmt;
    int in_use;
    unsigned long last_used;
};

/* Writers of one process queue on store->writer instead of on SQLite's
 * busy handler, which polls with sleeps of up to 100 ms: under concurrent
 * writes (gate scans, visits) that sleeping made the p99 latency. A
 * connection takes the mutex for a transaction (BEGIN … COMMIT/ROLLBACK) or
 * for one writing statement in autocommit, until that statement is reset.
 * Other processes (a CLI import) still meet the busy timeout. */
struct sqlite_conn {
    struct fk_conn super;
    sqlite3 *db;
    int writer_depth; /* > 0: this connection holds store->writer */
    struct cached_stmt cache[STMT_CACHE];
    unsigned long tick;
};

struct sqlite_stmt {
    struct fk_stmt super;
    sqlite3_stmt *stmt;
    int holds_writer;           /* an autocommit write took the writer for this statement */
    struct cached_stmt *cached; /* NULL when not from the cache */
};

static enum fk_err map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return FK_OK;
    case SQLITE_NOMEM: return FK_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return FK_ERR_BUSY;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return FK_ERR_CONFLICT;
        return FK_ERR_INVALID;
    default: return FK_ERR_DB;
    }
}

/* Background checkpoints (fk_store_background_start). SQLite's own automatic
 * checkpoint runs inside the COMMIT that pushes the WAL past 1000 pages,
 * fsync included, while that request holds the writer: every other writer
 * waits behind it. In a server, connections instead signal a thread that
 * runs PASSIVE checkpoints (which never block readers or writers) when the
 * WAL reaches CKPT_PAGES, and at least every CKPT_SECONDS. */
#define CKPT_PAGES 1000
#define CKPT_SECONDS 2

struct sqlite_bg {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop, due;
    sqlite3 *db; /* the checkpointer's own connection */
};

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    struct sqlite_bg *bg = arg;
    if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&bg->mu);
        bg->due = 1;
        pthread_cond_signal(&bg->cond);
        pthread_mutex_unlock(&bg->mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    struct sqlite_bg *bg = arg;
    pthread_mutex_lock(&bg->mu);
    while (!bg->stop) {
        if (!bg->due) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += CKPT_SECONDS;
            pthread_cond_timedwait(&bg->cond, &bg->mu, &until);
        }
        if (bg->stop)
            break;
        bg->due = 0;
        pthread_mutex_unlock(&bg->mu);
        int log = 0, done = 0;
        sqlite3_wal_checkpoint_v2(bg->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        pthread_mutex_lock(&bg->mu);
    }
    pthread_mutex_unlock(&bg->mu);
    return NULL;
}

static enum fk_err open_db(const char *url, sqlite3 **out)
{
    int rc = sqlite3_open_v2(
        url, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(*out, 1);
        sqlite3_busy_timeout(*out, 10000);
        rc = sqlite3_exec(*out,
                          "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;",
                          NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        sqlite3_close(*out);
        *out = NULL;
        return FK_ERR_DB;
    }
    return FK_OK;
}

static enum fk_err sq_connect(struct fk_store *store, struct fk_conn **out)
{
    struct sqlite_conn *conn = calloc(1, sizeof(*conn));
    if (conn == NULL)
        return FK_ERR_NOMEM;
    if (open_db(store->url, &conn->db) != FK_OK) {
        free(conn);
        return FK_ERR_DB;
    }
    if (store->bg != NULL)
        sqlite3_wal_hook(conn->db, wal_hook, store->bg);
    *out = &conn->super;
    return FK_OK;
}

static enum fk_err sq_bg_start(struct fk_store *store)
{
    struct sqlite_bg *bg = calloc(1, sizeof(*bg));
    if (bg == NULL)
        return FK_ERR_NOMEM;
    if (open_db(store->url, &bg->db) != FK_OK) {
        free(bg);
        return FK_ERR_DB;
    }
    pthread_mutex_init(&bg->mu, NULL);
    pthread_cond_init(&bg->cond, NULL);
    if (pthread_create(&bg->thread, NULL, checkpointer, bg) != 0) {
        pthread_cond_destroy(&bg->cond);
        pthread_mutex_destroy(&bg->mu);
        sqlite3_close(bg->db);
        free(bg);
        return FK_ERR_NOMEM;
    }
    /* Connections opened so far belong to the calling thread (the caller
     * starts this before other threads use the store). */
    pthread_mutex_lock(&store->lock);
    for (struct fk_conn *c = store->conns; c != NULL; c = c->next)
        sqlite3_wal_hook(((struct sqlite_conn *)c)->db, wal_hook, bg);
    store->bg = bg;
    pthread_mutex_unlock(&store->lock);
    return FK_OK;
}

static void sq_bg_stop(struct fk_store *store)
{
    struct sqlite_bg *bg = store->bg;
    pthread_mutex_lock(&bg->mu);
    bg->stop = 1;
    pthread_cond_signal(&bg->cond);
    pthread_mutex_unlock(&bg->mu);
    pthread_join(bg->thread, NULL);
    /* Connections still open would call the hook: hand them back to SQLite's
     * automatic checkpoints before `bg` goes. */
    pthread_mutex_lock(&store->lock);
    for (struct fk_conn *c = store->conns; c != NULL; c = c->next)
        sqlite3_wal_autocheckpoint(((struct sqlite_conn *)c)->db, CKPT_PAGES);
    store->bg = NULL;
    pthread_mutex_unlock(&store->lock);
    sqlite3_wal_checkpoint_v2(bg->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    sqlite3_close(bg->db);
    pthread_cond_destroy(&bg->cond);
    pthread_mutex_destroy(&bg->mu);
    free(bg);
}

static void sq_disconnect(struct fk_conn *c)
{
    struct sqlite_conn *conn = (struct sqlite_conn *)c;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(conn->cache[i].stmt);
        free(conn->cache[i].sql);
    }
    sqlite3_close_v2(conn->db);
    free(conn);
}

static void writer_take(struct sqlite_conn *conn)
{
    if (conn->writer_depth++ == 0)
        pthread_mutex_lock(&conn->super.store->writer);
}

static void writer_give(struct sqlite_conn *conn)
{
    if (conn->writer_depth > 0 && --conn->writer_depth == 0)
        pthread_mutex_unlock(&conn->super.store->writer);
}

static enum fk_err sq_exec(struct fk_conn *c, const char *sql)
{
    struct sqlite_conn *conn = (struct sqlite_conn *)c;
    int begin = strncmp(sql, "BEGIN", 5) == 0;
    int in_tx = !sqlite3_get_autocommit(conn->db);
    /* BEGIN keeps the writer until the transaction ends; anything else run
     * outside a transaction holds it for the call. */
    if (begin || !in_tx)
        writer_take(conn);
    enum fk_err err = map_rc(sqlite3_exec(conn->db, sql, NULL, NULL, NULL));
    if (begin) {
        if (err != FK_OK || sqlite3_get_autocommit(conn->db))
            writer_give(conn);
    } else if (!in_tx) {
        writer_give(conn);
    } else if (sqlite3_get_autocommit(conn->db)) {
        writer_give(conn); /* COMMIT or ROLLBACK ended the transaction */
    }
    return err;
}

static enum fk_err sq_prepare(struct fk_conn *c, const char *sql, struct fk_stmt **out)
{
    struct sqlite_conn *conn = (struct sqlite_conn *)c;
    struct sqlite_stmt *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return FK_ERR_NOMEM;
    conn->tick++;
    struct cached_stmt *victim = NULL;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct cached_stmt *c2 = &conn->cache[i];
        if (c2->sql != NULL && !c2->in_use && strcmp(c2->sql, sql) == 0) {
            c2->in_use = 1;
            c2->last_used = conn->tick;
            st->stmt = c2->stmt;
            st->cached = c2;
            *out = &st->super;
            return FK_OK;
        }
        if (!c2->in_use && (victim == NULL || c2->last_used < victim->last_used))
            victim = c2;
    }
    int rc = sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmt, NULL);
    if (rc != SQLITE_OK) {
        free(st);
        return map_rc(rc) == FK_OK ? FK_ERR_DB : map_rc(rc);
    }
    char *copy = victim ? strdup(sql) : NULL;
    if (copy != NULL) {
        sqlite3_finalize(victim->stmt);
        free(victim->sql);
        victim->sql = copy;
        victim->stmt = st->stmt;
        victim->in_use = 1;
        victim->last_used = conn->tick;
        st->cached = victim;
    }
    *out = &st->super;
    return FK_OK;
}

static enum fk_err sq_bind_text(struct fk_stmt *s, int idx, const char *text)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    return map_rc(sqlite3_bind_text(st->stmt, idx, text, -1, SQLITE_TRANSIENT));
}

static enum fk_err sq_bind_int64(struct fk_stmt *s, int idx, int64_t value)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    return map_rc(sqlite3_bind_int64(st->stmt, idx, value));
}

static enum fk_err sq_bind_null(struct fk_stmt *s, int idx)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    return map_rc(sqlite3_bind_null(st->stmt, idx));
}

static void stmt_give(struct sqlite_stmt *st)
{
    if (st->holds_writer) {
        st->holds_writer = 0;
        writer_give((struct sqlite_conn *)st->super.conn);
    }
}

static enum fk_err sq_step(struct fk_stmt *s)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    struct sqlite_conn *conn = (struct sqlite_conn *)s->conn;
    if (!st->holds_writer && !sqlite3_stmt_readonly(st->stmt) && sqlite3_get_autocommit(conn->db)) {
        st->holds_writer = 1;
        writer_take(conn);
    }
    int rc = sqlite3_step(st->stmt);
    if (rc != SQLITE_ROW)
        stmt_give(st); /* done or failed: the autocommit write is over */
    if (rc == SQLITE_ROW)
        return FK_OK;
    if (rc == SQLITE_DONE)
        return FK_ERR_DONE;
    enum fk_err err = map_rc(rc);
    return err == FK_OK ? FK_ERR_DB : err;
}

static const char *sq_text(struct fk_stmt *s, int col)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    return (const char *)sqlite3_column_text(st->stmt, col);
}

static int64_t sq_int64(struct fk_stmt *s, int col)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    return sqlite3_column_int64(st->stmt, col);
}

static int sq_is_null(struct fk_stmt *s, int col)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    return sqlite3_column_type(st->stmt, col) == SQLITE_NULL;
}

static void sq_reset(struct fk_stmt *s)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    sqlite3_reset(st->stmt);
    stmt_give(st);
    sqlite3_clear_bindings(st->stmt);
}

static void sq_free(struct fk_stmt *s)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)s;
    if (st->cached != NULL) {
        sqlite3_reset(st->stmt);
        stmt_give(st);
        sqlite3_clear_bindings(st->stmt);
        st->cached->in_use = 0;
    } else {
        sqlite3_reset(st->stmt);
        stmt_give(st);
        sqlite3_finalize(st->stmt);
    }
    free(st);
}

static const char *sq_errmsg(struct fk_conn *c)
{
    struct sqlite_conn *conn = (struct sqlite_conn *)c;
    return sqlite3_errmsg(conn->db);
}

/* fk_db_lock: the transaction began IMMEDIATE and holds store->writer, so it
 * is the only writer of the database until it ends; nothing more to lock. */
static enum fk_err sq_lock(struct fk_conn *c, int32_t ns, int32_t key)
{
    (void)ns;
    (void)key;
    struct sqlite_conn *conn = (struct sqlite_conn *)c;
    return sqlite3_get_autocommit(conn->db) || conn->writer_depth == 0 ? FK_ERR_INVALID : FK_OK;
}

const struct fk_store_ops fk_sqlite_ops = {
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .text = sq_text,
    .int64 = sq_int64,
    .is_null = sq_is_null,
    .reset = sq_reset,
    .free = sq_free,
    .errmsg = sq_errmsg,
    /* IMMEDIATE takes the write lock up front, so two writers wait on the busy
     * timeout instead of deadlocking on a read-to-write upgrade. */
    .begin_sql = "BEGIN IMMEDIATE",
    .lock = sq_lock,
    .bg_start = sq_bg_start,
    .bg_stop = sq_bg_stop,
};
