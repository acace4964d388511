/* PostgreSQL backend (libpq). `?` placeholders become `$n`; parameters are sent
 * as text, int64 ones typed int8 so that PostgreSQL never has to guess.
 *
 * Statements are prepared on the server once per connection and reused, as
 * sqlite.c does: parse and plan are much of the cost of a short query. The
 * cache is keyed by the SQL text and the parameter types of the first
 * execution (an int64 bound where text was before is another statement), and
 * holds PG_STMT_CACHE statements, the least recently used deallocated first.
 * A statement is prepared the second time its text is run: the first runs
 * unnamed (one round trip, as before), so SQL built for one use (a batch of
 * N rows) never costs a prepare and a deallocation.
 * A statement that fails to prepare is not cached. Prepared statements live
 * as long as the session, through ROLLBACK, so a pooler must keep sessions
 * (pgbouncer in session mode, not transaction mode). */
#include "store/store_impl.h"
#include "core/parse.h"

#include <libpq-fe.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_PARAMS 64
#define INT8OID 20
#define PG_STMT_CACHE 128
#define PG_SEEN 512

struct pg_cached {
    char *sql; /* rewritten with $n; NULL: a free slot */
    uint64_t hash;
    char sig[PG_MAX_PARAMS + 1]; /* per parameter 'i' (int8) or 't' (text or null) */
    unsigned id;                 /* prepared as "fk_<id>" */
    unsigned long last_used;
};

struct pg_conn {
    struct fk_conn super;
    PGconn *pg;
    struct pg_cached cache[PG_STMT_CACHE];
    unsigned long tick;
    unsigned next_id;
    uint64_t seen[PG_SEEN]; /* hashes of statements run once, unnamed */
};

struct pg_stmt {
    struct fk_stmt super;
    char *sql;     /* rewritten with $n */
    uint64_t hash; /* of sql, to find it in the cache */
    int nparams;
    char *values[PG_MAX_PARAMS];
    Oid types[PG_MAX_PARAMS];
    PGresult *result;
    int row; /* current row, -1 before the first step */
    int ran;
};

static enum fk_err pg_connect(struct fk_store *store, struct fk_conn **out)
{
    struct pg_conn *conn = calloc(1, sizeof(*conn));
    if (conn == NULL)
        return FK_ERR_NOMEM;
    conn->pg = PQconnectdb(store->url);
    if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
        if (conn->pg != NULL)
            fprintf(stderr, "{\"level\":\"error\",\"event\":\"pg_connect_failed\"}\n");
        PQfinish(conn->pg);
        free(conn);
        return FK_ERR_DB;
    }
    PGresult *res = PQexec(conn->pg, "SET client_min_messages TO warning; SET TIME ZONE 'UTC'");
    PQclear(res);
    *out = &conn->super;
    return FK_OK;
}

static void pg_disconnect(struct fk_conn *c)
{
    struct pg_conn *conn = (struct pg_conn *)c;
    for (int i = 0; i < PG_STMT_CACHE; i++)
        free(conn->cache[i].sql);
    PQfinish(conn->pg);
    free(conn);
}

static enum fk_err map_result(PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return FK_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state != NULL && strcmp(state, "23505") == 0)
        return FK_ERR_CONFLICT;
    if (state != NULL && strncmp(state, "23", 2) == 0)
        return FK_ERR_INVALID;
    if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
        return FK_ERR_BUSY;
    return FK_ERR_DB;
}

static enum fk_err pg_exec(struct fk_conn *c, const char *sql)
{
    struct pg_conn *conn = (struct pg_conn *)c;
    PGresult *res = PQexec(conn->pg, sql);
    enum fk_err err = map_result(res);
    PQclear(res);
    return err;
}

/* Rewrites `?` outside quotes into `$n`. */
static char *rewrite(const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 3 + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    int n = 0;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = sql[i];
        if (quote) {
            if (ch == quote)
                quote = 0;
            out[o++] = ch;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
            out[o++] = ch;
        } else if (ch == '?') {
            n++;
            o += (size_t)snprintf(out + o, 4, "$%d", n);
        } else {
            out[o++] = ch;
        }
    }
    out[o] = '\0';
    *nparams = n;
    return out;
}

static enum fk_err pg_prepare(struct fk_conn *c, const char *sql, struct fk_stmt **out)
{
    struct pg_stmt *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return FK_ERR_NOMEM;
    st->sql = rewrite(sql, &st->nparams);
    if (st->sql == NULL) {
        free(st);
        return FK_ERR_NOMEM;
    }
    if (st->nparams > PG_MAX_PARAMS) {
        free(st->sql);
        free(st);
        return FK_ERR_INVALID;
    }
    uint64_t hash = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = st->sql; *p; p++)
        hash = (hash ^ (unsigned char)*p) * 1099511628211ull;
    st->hash = hash;
    st->row = -1;
    *out = &st->super;
    return FK_OK;
}

static enum fk_err set_param(struct pg_stmt *st, int idx, char *value, Oid type)
{
    if (idx < 1 || idx > st->nparams) {
        free(value);
        return FK_ERR_INVALID;
    }
    free(st->values[idx - 1]);
    st->values[idx - 1] = value;
    st->types[idx - 1] = type;
    return FK_OK;
}

static enum fk_err pg_bind_text(struct fk_stmt *s, int idx, const char *text)
{
    char *copy = strdup(text);
    if (copy == NULL)
        return FK_ERR_NOMEM;
    return set_param((struct pg_stmt *)s, idx, copy, 0);
}

static enum fk_err pg_bind_int64(struct fk_stmt *s, int idx, int64_t value)
{
    char *text = malloc(24);
    if (text == NULL)
        return FK_ERR_NOMEM;
    snprintf(text, 24, "%" PRId64, value);
    return set_param((struct pg_stmt *)s, idx, text, INT8OID);
}

static enum fk_err pg_bind_null(struct fk_stmt *s, int idx)
{
    return set_param((struct pg_stmt *)s, idx, NULL, 0);
}

/* The name of the server-side statement for `st` with its current parameter
 * types in `name`, prepared now if the cache does not have it. 1 when `name`
 * is set; 0 when the statement is to run unnamed (its first run, or out of
 * memory); -1 with *err when PostgreSQL refused to prepare it. */
static int cached_name(struct pg_conn *conn, const struct pg_stmt *st, char name[24],
                       enum fk_err *err)
{
    char sig[PG_MAX_PARAMS + 1];
    for (int i = 0; i < st->nparams; i++)
        sig[i] = st->types[i] == INT8OID ? 'i' : 't';
    sig[st->nparams] = '\0';
    conn->tick++;
    struct pg_cached *victim = &conn->cache[0];
    for (int i = 0; i < PG_STMT_CACHE; i++) {
        struct pg_cached *c = &conn->cache[i];
        if (c->sql != NULL && c->hash == st->hash && strcmp(c->sig, sig) == 0 &&
            strcmp(c->sql, st->sql) == 0) {
            c->last_used = conn->tick;
            snprintf(name, 24, "fk_%u", c->id);
            return 1;
        }
        if (c->last_used < victim->last_used)
            victim = c; /* free slots have last_used 0 */
    }
    uint64_t *seen = &conn->seen[st->hash % PG_SEEN];
    if (*seen != st->hash) {
        *seen = st->hash; /* the first time: run it unnamed */
        return 0;
    }
    char *copy = strdup(st->sql);
    if (copy == NULL)
        return 0;
    if (victim->sql != NULL) {
        char sql[40];
        snprintf(sql, sizeof(sql), "DEALLOCATE fk_%u", victim->id);
        PQclear(PQexec(conn->pg, sql)); /* in an aborted transaction it stays: names never repeat */
        free(victim->sql);
        victim->sql = NULL;
    }
    unsigned id = ++conn->next_id;
    snprintf(name, 24, "fk_%u", id);
    PGresult *res = PQprepare(conn->pg, name, st->sql, st->nparams, st->types);
    *err = map_result(res);
    PQclear(res);
    if (*err != FK_OK) {
        free(copy);
        victim->last_used = 0;
        return -1;
    }
    victim->sql = copy;
    victim->hash = st->hash;
    memcpy(victim->sig, sig, (size_t)st->nparams + 1);
    victim->id = id;
    victim->last_used = conn->tick;
    return 1;
}

static enum fk_err pg_step(struct fk_stmt *s)
{
    struct pg_stmt *st = (struct pg_stmt *)s;
    if (!st->ran) {
        struct pg_conn *conn = (struct pg_conn *)s->conn;
        char name[24];
        enum fk_err err = FK_OK;
        int named = cached_name(conn, st, name, &err);
        st->ran = 1;
        if (named < 0)
            return err;
        if (named)
            st->result = PQexecPrepared(conn->pg, name, st->nparams,
                                        (const char *const *)st->values, NULL, NULL, 0);
        else
            st->result = PQexecParams(conn->pg, st->sql, st->nparams, st->types,
                                      (const char *const *)st->values, NULL, NULL, 0);
        err = map_result(st->result);
        if (err != FK_OK) {
            PQclear(st->result);
            st->result = NULL;
            return err;
        }
    }
    if (st->result == NULL)
        return FK_ERR_DONE;
    st->row++;
    if (st->row >= PQntuples(st->result))
        return FK_ERR_DONE;
    return FK_OK;
}

static const char *pgb_text(struct fk_stmt *s, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)s;
    if (st->result == NULL || st->row < 0 || st->row >= PQntuples(st->result) ||
        col >= PQnfields(st->result) || PQgetisnull(st->result, st->row, col))
        return NULL;
    return PQgetvalue(st->result, st->row, col);
}

static int64_t pgb_int64(struct fk_stmt *s, int col)
{
    const char *text = pgb_text(s, col);
    if (text == NULL)
        return 0;
    if (text[0] == 't' && text[1] == '\0')
        return 1; /* boolean true */
    int64_t value = 0;
    if (fk_parse_int64(text, INT64_MIN, INT64_MAX, &value) != FK_OK)
        return 0; /* not an integer column: callers read it as text */
    return value;
}

static int pg_is_null(struct fk_stmt *s, int col)
{
    return pgb_text(s, col) == NULL;
}

static void pg_reset(struct fk_stmt *s)
{
    struct pg_stmt *st = (struct pg_stmt *)s;
    PQclear(st->result);
    st->result = NULL;
    st->ran = 0;
    st->row = -1;
    for (int i = 0; i < st->nparams; i++) {
        free(st->values[i]);
        st->values[i] = NULL;
        st->types[i] = 0;
    }
}

static void pg_free(struct fk_stmt *s)
{
    struct pg_stmt *st = (struct pg_stmt *)s;
    pg_reset(s);
    free(st->sql);
    free(st);
}

static const char *pg_errmsg(struct fk_conn *c)
{
    struct pg_conn *conn = (struct pg_conn *)c;
    return PQerrorMessage(conn->pg);
}

/* fk_db_lock: a transaction-scoped advisory lock, released at COMMIT or
 * ROLLBACK. Outside a transaction it would last for the statement only. */
static enum fk_err pg_lock(struct fk_conn *c, int32_t ns, int32_t key)
{
    struct pg_conn *conn = (struct pg_conn *)c;
    if (PQtransactionStatus(conn->pg) != PQTRANS_INTRANS)
        return FK_ERR_INVALID;
    char a[16], b[16];
    snprintf(a, sizeof(a), "%" PRId32, ns);
    snprintf(b, sizeof(b), "%" PRId32, key);
    const char *values[2] = {a, b};
    PGresult *res = PQexecParams(conn->pg, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)", 2,
                                 NULL, values, NULL, NULL, 0);
    enum fk_err err = map_result(res);
    PQclear(res);
    return err;
}

const struct fk_store_ops fk_pg_ops = {
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .text = pgb_text,
    .int64 = pgb_int64,
    .is_null = pg_is_null,
    .reset = pg_reset,
    .free = pg_free,
    .errmsg = pg_errmsg,
    .begin_sql = "BEGIN",
    .lock = pg_lock,
};
