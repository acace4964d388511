#include "store/store_impl.h"
#include "store/migrations.h"
#include "core/clock.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREAD_SLOTS 4

struct thread_slot {
    unsigned long store_id;
    struct fk_store *store;
    struct fk_conn *conn;
};
static _Thread_local struct thread_slot thread_slots[THREAD_SLOTS];
static atomic_ulong next_store_id = 1;

static int is_pg_url(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

enum fk_err fk_store_open(const char *url, struct fk_store **out)
{
    if (url == NULL || url[0] == '\0' || strlen(url) > 4096)
        return FK_ERR_INVALID;
    struct fk_store *store = calloc(1, sizeof(*store));
    if (store == NULL)
        return FK_ERR_NOMEM;
    store->url = strdup(url);
    if (store->url == NULL) {
        free(store);
        return FK_ERR_NOMEM;
    }
    store->kind = is_pg_url(url) ? FK_STORE_PG : FK_STORE_SQLITE;
    store->ops = store->kind == FK_STORE_PG ? &fk_pg_ops : &fk_sqlite_ops;
    store->id = atomic_fetch_add(&next_store_id, 1);
    pthread_mutex_init(&store->lock, NULL);
    pthread_mutex_init(&store->writer, NULL);
    pthread_mutex_init(&store->group_lock, NULL);
    pthread_cond_init(&store->group_done, NULL);
    /* Open one connection now so that a bad URL fails at start-up. */
    struct fk_conn *conn;
    enum fk_err err = fk_store_conn(store, &conn);
    if (err != FK_OK) {
        fk_store_close(store);
        return err;
    }
    *out = store;
    return FK_OK;
}

enum fk_store_kind fk_store_kind(const struct fk_store *store)
{
    return store->kind;
}

enum fk_err fk_store_background_start(struct fk_store *store)
{
    if (store->bg != NULL || store->ops->bg_start == NULL)
        return FK_OK;
    return store->ops->bg_start(store);
}

void fk_store_close(struct fk_store *store)
{
    if (store == NULL)
        return;
    if (store->bg != NULL && store->ops->bg_stop != NULL)
        store->ops->bg_stop(store);
    for (int i = 0; i < THREAD_SLOTS; i++) {
        if (thread_slots[i].store_id == store->id)
            memset(&thread_slots[i], 0, sizeof(thread_slots[i]));
    }
    pthread_mutex_lock(&store->lock);
    struct fk_conn *conn = store->conns;
    store->conns = NULL;
    pthread_mutex_unlock(&store->lock);
    while (conn != NULL) {
        struct fk_conn *next = conn->next;
        store->ops->disconnect(conn);
        conn = next;
    }
    pthread_mutex_destroy(&store->lock);
    pthread_mutex_destroy(&store->writer);
    pthread_mutex_destroy(&store->group_lock);
    pthread_cond_destroy(&store->group_done);
    free(store->url);
    free(store);
}

enum fk_err fk_store_conn(struct fk_store *store, struct fk_conn **out)
{
    struct thread_slot *free_slot = NULL;
    for (int i = 0; i < THREAD_SLOTS; i++) {
        if (thread_slots[i].store_id == store->id && thread_slots[i].store == store) {
            *out = thread_slots[i].conn;
            return FK_OK;
        }
        if (thread_slots[i].store_id == 0 && free_slot == NULL)
            free_slot = &thread_slots[i];
    }
    if (free_slot == NULL)
        return FK_ERR_BUSY;
    struct fk_conn *conn;
    enum fk_err err = store->ops->connect(store, &conn);
    if (err != FK_OK)
        return err;
    conn->store = store;
    pthread_mutex_lock(&store->lock);
    conn->next = store->conns;
    store->conns = conn;
    pthread_mutex_unlock(&store->lock);
    free_slot->store_id = store->id;
    free_slot->store = store;
    free_slot->conn = conn;
    *out = conn;
    return FK_OK;
}

void fk_store_thread_done(void)
{
    for (int i = 0; i < THREAD_SLOTS; i++) {
        struct thread_slot *slot = &thread_slots[i];
        if (slot->store_id == 0)
            continue;
        struct fk_store *store = slot->store;
        pthread_mutex_lock(&store->lock);
        struct fk_conn **link = &store->conns;
        while (*link != NULL && *link != slot->conn)
            link = &(*link)->next;
        int found = *link != NULL;
        if (found)
            *link = slot->conn->next;
        pthread_mutex_unlock(&store->lock);
        if (found)
            store->ops->disconnect(slot->conn);
        memset(slot, 0, sizeof(*slot));
    }
}

enum fk_err fk_db_exec(struct fk_conn *conn, const char *sql)
{
    return conn->store->ops->exec(conn, sql);
}

enum fk_err fk_db_begin(struct fk_conn *conn)
{
    return conn->store->ops->exec(conn, conn->store->ops->begin_sql);
}

enum fk_err fk_db_commit(struct fk_conn *conn)
{
    return conn->store->ops->exec(conn, "COMMIT");
}

void fk_db_rollback(struct fk_conn *conn)
{
    if (conn->store->ops->exec(conn, "ROLLBACK") != FK_OK)
        fk_log_msg(FK_LOG_WARN, "rollback_failed", fk_db_errmsg(conn));
}

enum fk_err fk_db_lock(struct fk_conn *db, enum fk_db_lock_ns ns, int64_t id)
{
    uint64_t u = (uint64_t)id;
    return db->store->ops->lock(db, (int32_t)ns, (int32_t)(uint32_t)(u ^ (u >> 32)));
}

enum fk_err fk_db_lock_text(struct fk_conn *db, enum fk_db_lock_ns ns, const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return db->store->ops->lock(db, (int32_t)ns, (int32_t)h);
}

/* --- group commit --- */

struct fk_group_node {
    enum fk_err (*fn)(struct fk_conn *db, void *arg);
    void *arg;
    enum fk_err err;
    int done;
    struct fk_group_node *next;
};

/* One transaction for a batch; each write in its own savepoint. */
static void run_batch(struct fk_conn *db, struct fk_group_node *batch)
{
    enum fk_err err = fk_db_begin(db);
    for (struct fk_group_node *n = batch; n != NULL; n = n->next) {
        if (err != FK_OK) {
            n->err = err;
            continue;
        }
        if ((err = fk_db_exec(db, "SAVEPOINT fk_group")) != FK_OK) {
            n->err = err;
            continue;
        }
        n->err = n->fn(db, n->arg);
        if (n->err != FK_OK)
            err = fk_db_exec(db, "ROLLBACK TO fk_group");
        if (err == FK_OK)
            err = fk_db_exec(db, "RELEASE fk_group");
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        for (struct fk_group_node *n = batch; n != NULL; n = n->next)
            if (n->err == FK_OK)
                n->err = err;
    }
}

enum fk_err fk_db_write_shared(struct fk_conn *db, enum fk_err (*fn)(struct fk_conn *db, void *arg),
                               void *arg)
{
    struct fk_store *store = db->store;
    if (store->kind != FK_STORE_SQLITE) {
        enum fk_err err = fk_db_begin(db);
        if (err == FK_OK)
            err = fn(db, arg);
        if (err == FK_OK)
            err = fk_db_commit(db);
        if (err != FK_OK)
            fk_db_rollback(db);
        return err;
    }
    struct fk_group_node self = {.fn = fn, .arg = arg};
    pthread_mutex_lock(&store->group_lock);
    if (store->group_tail != NULL)
        store->group_tail->next = &self;
    else
        store->group_head = &self;
    store->group_tail = &self;
    for (;;) {
        while (!self.done && store->group_leader)
            pthread_cond_wait(&store->group_done, &store->group_lock);
        if (self.done)
            break;
        /* No batch running and this write still queued: lead the next one,
         * which takes everything queued so far (this write included). */
        store->group_leader = 1;
        struct fk_group_node *batch = store->group_head;
        store->group_head = store->group_tail = NULL;
        pthread_mutex_unlock(&store->group_lock);
        run_batch(db, batch);
        pthread_mutex_lock(&store->group_lock);
        for (struct fk_group_node *n = batch, *next; n != NULL; n = next) {
            next = n->next; /* a finished waiter may return (and its node go) at once */
            n->done = 1;
        }
        store->group_leader = 0;
        pthread_cond_broadcast(&store->group_done);
    }
    pthread_mutex_unlock(&store->group_lock);
    return self.err;
}

enum fk_err fk_stmt_prepare(struct fk_conn *conn, const char *sql, struct fk_stmt **out)
{
    enum fk_err err = conn->store->ops->prepare(conn, sql, out);
    if (err == FK_OK)
        (*out)->conn = conn;
    else
        fk_log(FK_LOG_ERROR, "db_prepare_failed",
               json_pack("{s:s,s:s}", "sql", sql, "error", fk_db_errmsg(conn)));
    return err;
}

enum fk_err fk_stmt_bind_text(struct fk_stmt *stmt, int idx, const char *text)
{
    if (text == NULL)
        return stmt->conn->store->ops->bind_null(stmt, idx);
    return stmt->conn->store->ops->bind_text(stmt, idx, text);
}

enum fk_err fk_stmt_bind_int64(struct fk_stmt *stmt, int idx, int64_t value)
{
    return stmt->conn->store->ops->bind_int64(stmt, idx, value);
}

enum fk_err fk_stmt_bind_null(struct fk_stmt *stmt, int idx)
{
    return stmt->conn->store->ops->bind_null(stmt, idx);
}

enum fk_err fk_stmt_step(struct fk_stmt *stmt)
{
    return stmt->conn->store->ops->step(stmt);
}

const char *fk_stmt_text(struct fk_stmt *stmt, int col)
{
    return stmt->conn->store->ops->text(stmt, col);
}

int64_t fk_stmt_int64(struct fk_stmt *stmt, int col)
{
    return stmt->conn->store->ops->int64(stmt, col);
}

int fk_stmt_is_null(struct fk_stmt *stmt, int col)
{
    return stmt->conn->store->ops->is_null(stmt, col);
}

void fk_stmt_reset(struct fk_stmt *stmt)
{
    stmt->conn->store->ops->reset(stmt);
}

void fk_stmt_free(struct fk_stmt *stmt)
{
    if (stmt != NULL)
        stmt->conn->store->ops->free(stmt);
}

const char *fk_db_errmsg(struct fk_conn *conn)
{
    return conn->store->ops->errmsg(conn);
}

static enum fk_err bind_args(struct fk_stmt *stmt, const char *types, va_list ap)
{
    enum fk_err err = FK_OK;
    for (int i = 0; types[i] != '\0' && err == FK_OK; i++) {
        switch (types[i]) {
        case 't': err = fk_stmt_bind_text(stmt, i + 1, va_arg(ap, const char *)); break;
        case 'i': err = fk_stmt_bind_int64(stmt, i + 1, va_arg(ap, int64_t)); break;
        case 'n': err = fk_stmt_bind_null(stmt, i + 1); break;
        case 'z': { /* an optional id: 0 binds NULL */
            int64_t v = va_arg(ap, int64_t);
            err = v == 0 ? fk_stmt_bind_null(stmt, i + 1) : fk_stmt_bind_int64(stmt, i + 1, v);
            break;
        }
        default: err = FK_ERR_INTERNAL; break;
        }
    }
    return err;
}

/* The SQL's placeholders must match the type string one to one: a mismatch
 * would bind past the statement's parameters or leave some unbound. */
static enum fk_err check_arity(const char *sql, const char *types)
{
    if ((size_t)fk_sql_placeholders(sql) == strlen(types))
        return FK_OK;
    fk_log(FK_LOG_ERROR, "sql_arity_mismatch",
           json_pack("{s:s,s:s,s:i}", "sql", sql, "types", types, "placeholders",
                     fk_sql_placeholders(sql)));
    return FK_ERR_INTERNAL;
}

/* fk_db_query with a va_list: checks the arity, prepares, binds `ap` and
 * steps once. On FK_OK the caller owns *out and *row says whether a row is
 * current; otherwise nothing is left to free. */
static enum fk_err vquery(struct fk_conn *conn, struct fk_stmt **out, int *row, const char *sql,
                          const char *types, va_list ap)
{
    struct fk_stmt *stmt;
    enum fk_err err = check_arity(sql, types);
    if (err == FK_OK)
        err = fk_stmt_prepare(conn, sql, &stmt);
    if (err != FK_OK)
        return err;
    err = bind_args(stmt, types, ap);
    if (err == FK_OK)
        err = fk_stmt_step(stmt);
    if (err != FK_OK && err != FK_ERR_DONE) {
        fk_stmt_free(stmt);
        return err;
    }
    *row = err == FK_OK;
    *out = stmt;
    return FK_OK;
}

enum fk_err fk_db_query(struct fk_conn *conn, struct fk_stmt **out, int *row, const char *sql,
                        const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum fk_err err = vquery(conn, out, row, sql, types, ap);
    va_end(ap);
    return err;
}

enum fk_err fk_db_run(struct fk_conn *conn, int64_t *first_int, const char *sql, const char *types,
                      ...)
{
    struct fk_stmt *stmt;
    int row;
    va_list ap;
    va_start(ap, types);
    enum fk_err err = vquery(conn, &stmt, &row, sql, types, ap);
    va_end(ap);
    if (err != FK_OK)
        return err;
    if (row && first_int != NULL)
        *first_int = fk_stmt_int64(stmt, 0);
    /* Drain so that SQLite finishes the statement. */
    while (row && (err = fk_stmt_step(stmt)) == FK_OK)
        ;
    if (err == FK_ERR_DONE)
        err = FK_OK;
    fk_stmt_free(stmt);
    return err;
}

void fk_store_in_region(const char *column, char *sql_out, size_t sql_size)
{
    snprintf(sql_out, sql_size, "(%s >= ? AND %s < ?)", column, column);
}

void fk_store_region_bounds(const char *prefix, char low[24], char high[24])
{
    /* Region codes are digits; ';' sorts right after '9', so [prefix, prefix;)
     * is exactly the set of codes that start with prefix. */
    snprintf(low, 24, "%s", prefix);
    snprintf(high, 24, "%s;", prefix);
}

enum fk_err fk_stmt_bind_region(struct fk_stmt *stmt, int idx, const char *prefix)
{
    char low[24], high[24];
    fk_store_region_bounds(prefix, low, high);
    enum fk_err err = fk_stmt_bind_text(stmt, idx, low);
    if (err == FK_OK)
        err = fk_stmt_bind_text(stmt, idx + 1, high);
    return err;
}

/* --- migrations --- */

/* "0001_foundation.pg.sql" -> variant "pg", base "0001_foundation". */
static void split_name(const char *name, char *base, size_t base_size, const char **variant)
{
    size_t len = strlen(name);
    *variant = NULL;
    if (len > 7 && strcmp(name + len - 7, ".pg.sql") == 0) {
        *variant = "pg";
        len -= 7;
    } else if (len > 11 && strcmp(name + len - 11, ".sqlite.sql") == 0) {
        *variant = "sqlite";
        len -= 11;
    } else if (len > 4) {
        len -= 4;
    }
    snprintf(base, base_size, "%.*s", (int)len, name);
}

static const char *pick_migration(const char *base, enum fk_store_kind kind)
{
    const char *want = kind == FK_STORE_PG ? "pg" : "sqlite";
    const char *generic = NULL;
    for (const struct fk_migration_file *f = fk_migration_files; f->name != NULL; f++) {
        char fbase[128];
        const char *variant;
        split_name(f->name, fbase, sizeof(fbase), &variant);
        if (strcmp(fbase, base) != 0)
            continue;
        if (variant == NULL)
            generic = f->sql;
        else if (strcmp(variant, want) == 0)
            return f->sql;
    }
    return generic;
}

/* Runs a migration after replacing the one portable macro, FK_ID_PK. */
static enum fk_err exec_migration(struct fk_conn *conn, enum fk_store_kind kind, const char *sql)
{
    static const char macro[] = "FK_ID_PK";
    const char *id_pk = kind == FK_STORE_PG ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                                            : "INTEGER PRIMARY KEY";
    size_t count = 0;
    for (const char *p = strstr(sql, macro); p != NULL; p = strstr(p + 1, macro))
        count++;
    size_t size = strlen(sql) + count * strlen(id_pk) + 1;
    char *text = malloc(size);
    if (text == NULL)
        return FK_ERR_NOMEM;
    size_t o = 0;
    const char *p = sql;
    for (const char *hit = strstr(p, macro); hit != NULL; hit = strstr(p, macro)) {
        memcpy(text + o, p, (size_t)(hit - p));
        o += (size_t)(hit - p);
        memcpy(text + o, id_pk, strlen(id_pk));
        o += strlen(id_pk);
        p = hit + sizeof(macro) - 1;
    }
    memcpy(text + o, p, strlen(p) + 1);
    enum fk_err err = fk_db_exec(conn, text);
    free(text);
    return err;
}

enum fk_err fk_store_migrate(struct fk_store *store)
{
    struct fk_conn *conn;
    enum fk_err err = fk_store_conn(store, &conn);
    if (err != FK_OK)
        return err;
    err = fk_db_exec(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
    if (err != FK_OK)
        return err;
    if (store->kind == FK_STORE_PG) {
        /* Several app servers may start at once against one database. */
        err = fk_db_exec(conn, "SELECT pg_advisory_lock(4242001)");
        if (err != FK_OK)
            return err;
    }
    char seen[128] = "";
    for (const struct fk_migration_file *f = fk_migration_files; f->name != NULL; f++) {
        char base[128];
        const char *variant;
        split_name(f->name, base, sizeof(base), &variant);
        if (strcmp(base, seen) == 0)
            continue; /* another dialect variant of the migration just handled */
        snprintf(seen, sizeof(seen), "%s", base);
        const char *sql = pick_migration(seen, store->kind);
        if (sql == NULL)
            continue;
        struct fk_stmt *stmt;
        int row = 0;
        err = fk_db_query(conn, &stmt, &row, "SELECT 1 FROM schema_migrations WHERE version = ?",
                          "t", seen);
        if (err != FK_OK)
            goto out;
        fk_stmt_free(stmt);
        if (row)
            continue;
        err = fk_db_begin(conn);
        if (err != FK_OK)
            goto out;
        err = exec_migration(conn, store->kind, sql);
        if (err == FK_OK)
            err = fk_db_run(conn, NULL,
                            "INSERT INTO schema_migrations(version, applied_at) "
                            "VALUES (?, ?)",
                            "ti", seen, fk_now());
        if (err == FK_OK)
            err = fk_db_commit(conn);
        if (err != FK_OK) {
            fk_log(FK_LOG_ERROR, "migration_failed",
                   json_pack("{s:s,s:s}", "version", seen, "error", fk_db_errmsg(conn)));
            fk_db_rollback(conn);
            goto out;
        }
        fk_log(FK_LOG_INFO, "migration_applied", json_pack("{s:s}", "version", seen));
    }
out:
    if (store->kind == FK_STORE_PG &&
        fk_db_exec(conn, "SELECT pg_advisory_unlock(4242001)") != FK_OK)
        fk_log_msg(FK_LOG_WARN, "migration_unlock_failed", fk_db_errmsg(conn));
    return err;
}

/* --- WHERE clauses with their values --- */

int fk_sql_placeholders(const char *sql)
{
    int n = 0;
    char quote = 0;
    for (const char *s = sql; *s; s++) {
        if (quote) {
            if (*s == quote)
                quote = 0;
        } else if (*s == '\'' || *s == '"')
            quote = *s;
        else if (*s == '?')
            n++;
    }
    return n;
}

void fk_where_init(struct fk_where *w)
{
    w->sql[0] = '\0';
    w->n_args = 0;
    w->overflow = 0;
    w->n_bounds = 0;
}

static void where_append(struct fk_where *w, const char *clause)
{
    size_t used = strlen(w->sql);
    int n =
        snprintf(w->sql + used, sizeof(w->sql) - used, "%s%s", used ? " AND " : " WHERE ", clause);
    if (n < 0 || (size_t)n >= sizeof(w->sql) - used) {
        w->overflow = 1;
        w->sql[used] = '\0';
    }
}

void fk_where_add(struct fk_where *w, const char *clause, const char *types, ...)
{
    size_t n_types = strlen(types);
    if ((size_t)fk_sql_placeholders(clause) != n_types ||
        w->n_args + (int)n_types > FK_WHERE_ARGS_MAX) {
        w->overflow = 1;
        return;
    }
    va_list ap;
    va_start(ap, types);
    for (size_t i = 0; i < n_types; i++) {
        char type = types[i];
        const char *text = NULL;
        int64_t num = 0;
        if (type == 't')
            text = va_arg(ap, const char *);
        else if (type == 'i')
            num = va_arg(ap, int64_t);
        else if (type != 'n')
            w->overflow = 1;
        w->args[w->n_args].type = type;
        w->args[w->n_args].text = text;
        w->args[w->n_args].num = num;
        w->n_args++;
    }
    va_end(ap);
    where_append(w, clause);
}

void fk_where_region(struct fk_where *w, const char *column, const char *prefix)
{
    if (w->n_bounds + 2 > 4) {
        w->overflow = 1;
        return;
    }
    char clause[96];
    fk_store_in_region(column, clause, sizeof(clause));
    char *low = w->bounds[w->n_bounds++], *high = w->bounds[w->n_bounds++];
    fk_store_region_bounds(prefix, low, high);
    fk_where_add(w, clause, "tt", low, high);
}

enum fk_err fk_where_bind(struct fk_stmt *stmt, const struct fk_where *w, int *idx)
{
    if (w->overflow)
        return FK_ERR_TOO_LARGE;
    enum fk_err err = FK_OK;
    for (int i = 0; i < w->n_args && err == FK_OK; i++) {
        int at = (*idx)++;
        switch (w->args[i].type) {
        case 't': err = fk_stmt_bind_text(stmt, at, w->args[i].text); break;
        case 'i': err = fk_stmt_bind_int64(stmt, at, w->args[i].num); break;
        default: err = fk_stmt_bind_null(stmt, at); break;
        }
    }
    return err;
}

static enum fk_err read_count(struct fk_stmt *st, void *ctx)
{
    *(int64_t *)ctx = fk_stmt_int64(st, 0);
    return FK_OK;
}

enum fk_err fk_where_count(struct fk_conn *db, const char *sql, const struct fk_where *w,
                           int64_t *total)
{
    return fk_where_one(db, sql, w, read_count, total);
}

enum fk_err fk_where_each(struct fk_conn *db, const char *sql, const struct fk_where *w,
                          const int64_t *tail, int n_tail, fk_row_fn row, void *ctx, int64_t *last,
                          int64_t *rows)
{
    struct fk_stmt *st = NULL;
    int idx = 1;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_where_bind(st, w, &idx);
    for (int i = 0; i < n_tail && err == FK_OK; i++)
        err = fk_stmt_bind_int64(st, idx++, tail[i]);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        if (last != NULL)
            *last = fk_stmt_int64(st, 0);
        if (rows != NULL)
            (*rows)++;
        err = row(st, ctx);
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_err fk_where_one(struct fk_conn *db, const char *sql, const struct fk_where *w,
                         fk_row_fn row, void *ctx)
{
    struct fk_stmt *st = NULL;
    int idx = 1;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_where_bind(st, w, &idx);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        err = row(st, ctx);
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}
