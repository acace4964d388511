/* The storage interface: one contract, two backends (SQLite and PostgreSQL).
 *
 * SQL is written once with `?` placeholders and the subset both dialects share
 * (INSERT ... RETURNING, ON CONFLICT DO NOTHING, BIGINT epoch seconds, TEXT).
 * The PostgreSQL backend rewrites `?` to `$n`.
 *
 * A `struct fk_store` is shared by all threads; each thread takes its own
 * connection with fk_store_conn() (kept in thread-local storage). */
#ifndef FK_STORE_STORE_H
#define FK_STORE_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "core/err.h"

enum fk_store_kind { FK_STORE_SQLITE = 1, FK_STORE_PG = 2 };

struct fk_store;
struct fk_conn;
struct fk_stmt;

/* Opens a store for `url` (borrowed; the store keeps a copy): a
 * postgresql:// (or postgres://) URL selects PostgreSQL, anything else is a
 * SQLite file path. The caller owns *out and frees it with fk_store_close()
 * after all threads stop; the store owns nothing thread-bound. */
enum fk_err fk_store_open(const char *url, struct fk_store **out) FK_MUST_CHECK;
/* Closes every connection the store handed out and frees it. */
void fk_store_close(struct fk_store *store);
enum fk_store_kind fk_store_kind(const struct fk_store *store);

/* Starts the store's background maintenance for a long-running server: on
 * SQLite a thread checkpoints the WAL into the database (with its fsync) so
 * that committing requests never do; PostgreSQL needs nothing. Call once,
 * right after fk_store_open() and before other threads use the store;
 * fk_store_close() stops it. */
enum fk_err fk_store_background_start(struct fk_store *store) FK_MUST_CHECK;

/* The calling thread's connection, opened on first use and closed by
 * fk_store_thread_done() or fk_store_close(). Not to be freed by the caller. */
enum fk_err fk_store_conn(struct fk_store *store, struct fk_conn **out) FK_MUST_CHECK;
/* Closes the calling thread's connection if it has one. */
void fk_store_thread_done(void);

/* Runs every pending migration from sql/ (embedded at build time). */
enum fk_err fk_store_migrate(struct fk_store *store) FK_MUST_CHECK;

/* Executes SQL (borrowed) without parameters or results (may hold several
 * statements). Transactions are the connection's: the store/logic function
 * that needs one begins, commits or rolls back, never a handler. */
enum fk_err fk_db_exec(struct fk_conn *conn, const char *sql) FK_MUST_CHECK;
enum fk_err fk_db_begin(struct fk_conn *conn) FK_MUST_CHECK;
enum fk_err fk_db_commit(struct fk_conn *conn) FK_MUST_CHECK;
void fk_db_rollback(struct fk_conn *conn);

/* A write that may share one transaction with other threads' writes (group
 * commit): on SQLite, where writers take turns, concurrent callers queue and
 * one of them runs the queued writes together between one BEGIN and one
 * COMMIT, each inside its own savepoint, so N writes pay for one commit.
 * `fn` may run on another thread and that thread's connection (`db`, which
 * is also what fk_store_conn() returns there): it writes through `db` only,
 * never begins, commits or rolls back, and keeps what it needs in `arg`. A
 * failing `fn` rolls back to its savepoint only; the others commit. Returns
 * fn's result, or the COMMIT's error (then nothing of the batch was stored).
 * The caller must not be inside a transaction. On PostgreSQL `fn` runs at
 * once in its own transaction on the caller's connection. */
enum fk_err fk_db_write_shared(struct fk_conn *db, enum fk_err (*fn)(struct fk_conn *db, void *arg),
                               void *arg) FK_MUST_CHECK;

/* Lock namespaces of fk_db_lock: what the locked id names. Append only. */
enum fk_db_lock_ns {
    FK_LOCK_GREEN_HOUSEHOLD = 1,   /* a household's green exits (cards) */
    FK_LOCK_GREEN_PERSON = 2,      /* a person's green exits (cards) */
    FK_LOCK_OTP_PHONE = 3,         /* a phone's one-time codes (selfservice) */
    FK_LOCK_SHIFT_USER = 4,        /* a user's duty shifts (checkpoints) */
    FK_LOCK_FAMILY_USER = 5,       /* a resident account's family members (selfservice) */
    FK_LOCK_RISK_REGION = 6,       /* the risk area in force of a region (healthcode) */
    FK_LOCK_SCREENING_CAMPAIGN = 7 /* a door-knock campaign's grid assignments (screening) */
};

/* Serializes the rest of the caller's transaction with every other
 * transaction that locks the same (namespace, id), so that a rule which reads
 * past rows and then writes (one green exit per 48 h) is decided on what the
 * previous holder committed. Call inside a transaction (fk_db_begin, or the
 * `fn` of fk_db_write_shared); the lock is released at COMMIT or ROLLBACK.
 * PostgreSQL: pg_advisory_xact_lock(namespace, id folded to 32 bits) — a
 * fold collision only makes two unrelated writers wait for each other.
 * SQLite: nothing to do, since every transaction begins IMMEDIATE and so
 * already holds the database's write lock (and the in-process writer mutex)
 * before its first read. fk_db_lock_text locks a text key (e.g. a blind
 * index) hashed to the id. FK_ERR_INVALID outside a transaction on SQLite. */
enum fk_err fk_db_lock(struct fk_conn *db, enum fk_db_lock_ns ns, int64_t id) FK_MUST_CHECK;
enum fk_err fk_db_lock_text(struct fk_conn *db, enum fk_db_lock_ns ns,
                            const char *key) FK_MUST_CHECK;

/* Prepares one statement of `sql` (borrowed: copied or cached by the
 * backend). The caller owns *out and frees it with fk_stmt_free(); on failure
 * *out is untouched. */
enum fk_err fk_stmt_prepare(struct fk_conn *conn, const char *sql,
                            struct fk_stmt **out) FK_MUST_CHECK;
/* Binds parameter `idx` (1-based). Text is borrowed for the call only (the
 * backend copies it). NULL text binds SQL NULL. */
enum fk_err fk_stmt_bind_text(struct fk_stmt *stmt, int idx, const char *text) FK_MUST_CHECK;
enum fk_err fk_stmt_bind_int64(struct fk_stmt *stmt, int idx, int64_t value) FK_MUST_CHECK;
enum fk_err fk_stmt_bind_null(struct fk_stmt *stmt, int idx) FK_MUST_CHECK;
/* Runs or advances: FK_OK with a row available, FK_ERR_DONE when no more
 * rows, FK_ERR_CONFLICT on a unique violation, FK_ERR_DB otherwise. */
enum fk_err fk_stmt_step(struct fk_stmt *stmt) FK_MUST_CHECK;
/* Column getters for the current row (0-based). Text is borrowed from the
 * statement: valid until the next step/reset/free (copy what you keep). A
 * NULL column reads as NULL text / 0. */
const char *fk_stmt_text(struct fk_stmt *stmt, int col);
int64_t fk_stmt_int64(struct fk_stmt *stmt, int col);
int fk_stmt_is_null(struct fk_stmt *stmt, int col);
/* Clears results and bindings so the statement can run again. */
void fk_stmt_reset(struct fk_stmt *stmt);
void fk_stmt_free(struct fk_stmt *stmt);
/* The last error message of the connection (for logs, never for clients);
 * borrowed from the connection, valid until its next call. */
const char *fk_db_errmsg(struct fk_conn *conn);

/* Prepares, binds and steps once. `types` names each argument:
 * 't' const char * (NULL binds NULL), 'i' int64_t, 'z' int64_t where 0 binds NULL
 * (optional ids), 'n' NULL (no argument).
 * Text arguments are borrowed for the call. On FK_OK the first row (if any)
 * is current: `*row` says whether one exists, and the caller owns `*out` (free
 * it with fk_stmt_free) even when there is no row; on failure nothing is left
 * to free (*out untouched).
 * Example: fk_db_query(c, &st, &row, "SELECT name FROM users WHERE id=?", "i", id); */
enum fk_err fk_db_query(struct fk_conn *conn, struct fk_stmt **out, int *row, const char *sql,
                        const char *types, ...) FK_MUST_CHECK;
/* Like fk_db_query but for statements whose rows are not needed; optionally
 * returns the first column of the first row as int64 (e.g. RETURNING id). */
enum fk_err fk_db_run(struct fk_conn *conn, int64_t *first_int, const char *sql, const char *types,
                      ...) FK_MUST_CHECK;

/* Jurisdiction filter. Every query that returns personal data is limited to
 * the caller's region subtree by code prefix: append fk_store_in_region(col)
 * to the WHERE clause and bind the two values fk_store_region_bounds() gives.
 * The clause is `(col >= ? AND col < ?)`, which both backends answer from an
 * index on `col`. `prefix` is a significant region prefix (fk_region_code_prefix).
 * `column` and `prefix` are borrowed; `sql_out` (the caller's) receives at
 * most 96 bytes, `low`/`high` the bounds. */
void fk_store_in_region(const char *column, char *sql_out, size_t sql_size);
void fk_store_region_bounds(const char *prefix, char low[24], char high[24]);
/* Binds the two bounds at parameter positions idx and idx+1. */
enum fk_err fk_stmt_bind_region(struct fk_stmt *stmt, int idx, const char *prefix) FK_MUST_CHECK;

/* A WHERE clause built together with the values its '?' take, so that a
 * filter is written once (not as a where/bind pair). The caller owns the
 * struct (usually on its stack; nothing to free). Text values are
 * borrowed: they must outlive the statement's binding. Region bounds are
 * copied. Usage:
 *     struct fk_where w;
 *     fk_where_init(&w);
 *     fk_where_region(&w, "c.region", scope);
 *     if (color) fk_where_add(&w, "c.color = ?", "t", color);
 *     snprintf(sql, size, "SELECT ... FROM cards c%s ORDER BY c.id", w.sql);
 *     ... fk_where_bind(st, &w, &idx) ...
 * An overflow (clause text or values beyond the caps) is remembered and
 * reported by fk_where_bind as FK_ERR_TOO_LARGE, never a truncated filter. */
#define FK_WHERE_SQL_MAX 1024
#define FK_WHERE_ARGS_MAX 24
struct fk_where {
    char sql[FK_WHERE_SQL_MAX]; /* "" or " WHERE a AND b ..." */
    int n_args;
    int overflow;
    int n_bounds;
    struct {
        char type; /* 't', 'i' or 'n' as in fk_db_query */
        const char *text;
        int64_t num;
    } args[FK_WHERE_ARGS_MAX];
    char bounds[4][24]; /* copies of region bounds */
};
void fk_where_init(struct fk_where *w);
/* Appends `clause` (joined with AND) and one value per '?' in it, named by
 * `types` ('t' const char *, 'i' int64_t, 'n' NULL, as in fk_db_query). A
 * clause whose count of '?' differs from strlen(types) is an overflow. */
void fk_where_add(struct fk_where *w, const char *clause, const char *types, ...);
/* Appends the jurisdiction clause of fk_store_in_region for `column` and
 * `prefix` (copied). At most two per clause builder. */
void fk_where_region(struct fk_where *w, const char *column, const char *prefix);
/* Binds the values from *idx on, advancing *idx. FK_ERR_TOO_LARGE after an
 * overflow. */
enum fk_err fk_where_bind(struct fk_stmt *stmt, const struct fk_where *w, int *idx) FK_MUST_CHECK;
/* Runs the one-row `sql` ("SELECT COUNT(*) ...") with the values of `w`
 * into *total. `sql` and `w` are borrowed. */
enum fk_err fk_where_count(struct fk_conn *db, const char *sql, const struct fk_where *w,
                           int64_t *total) FK_MUST_CHECK;
/* Reads the current row of `st` (a module's typed reader). */
typedef enum fk_err (*fk_row_fn)(struct fk_stmt *st, void *ctx);
/* Runs `sql` with the values of `w` and then `n_tail` int64 values from
 * `tail` (e.g. LIMIT, OFFSET or a keyset id), passing each row to `row`; the
 * first failure stops and is returned. *last receives column 0 of the last
 * row (the record's id, for keyset batches) and *rows counts the rows; both
 * may be NULL (a count is added to, not reset). */
enum fk_err fk_where_each(struct fk_conn *db, const char *sql, const struct fk_where *w,
                          const int64_t *tail, int n_tail, fk_row_fn row, void *ctx, int64_t *last,
                          int64_t *rows) FK_MUST_CHECK;
/* fk_where_each for a read of one record: `row` sees the first row only;
 * FK_ERR_NOT_FOUND when there is none. */
enum fk_err fk_where_one(struct fk_conn *db, const char *sql, const struct fk_where *w,
                         fk_row_fn row, void *ctx) FK_MUST_CHECK;
/* The number of '?' placeholders in `sql` outside quoted strings. */
int fk_sql_placeholders(const char *sql);

#endif
