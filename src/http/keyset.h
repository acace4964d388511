/* Keyset walks for ledgers, and one-row reads by id in a jurisdiction: a query read in batches of
 * `batch` rows ordered by the key in column 0, each batch starting after the last key seen, so a
 * ledger of any size is read in flat memory and never with OFFSET. The
 * modules' store files build the SQL; this file owns the loop. */
#ifndef FK_HTTP_KEYSET_H
#define FK_HTTP_KEYSET_H

#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

struct fk_keyset_query {
    /* SELECT <key>, ... WHERE <filter> AND <key> > ? ORDER BY <key> LIMIT
     * <batch>: the filter's '?' first, the keyset's '?' last. Borrowed. */
    const char *sql;
    int64_t batch;
    const struct fk_where *where; /* the filter's values (borrowed), or NULL */
    /* The row under `st` with its 1-based number in the walk; a failure ends
     * the walk and is returned. */
    enum fk_err (*row)(struct fk_stmt *st, int64_t seq, void *ctx);
    /* Optional: called after each batch once its statement is closed (to read
     * more on the same connection for rows kept by `row`). */
    enum fk_err (*batch_done)(void *ctx);
    void *ctx;
};

/* The one-row read the same modules do by id within a jurisdiction: prepares
 * `select_from` + " WHERE <id_col> = ? AND <region_col in prefix>" and steps
 * to its row. FK_OK with *st on the row (the caller frees it with
 * fk_stmt_free); FK_ERR_NOT_FOUND (nothing to free) when there is none. */
enum fk_err fk_row_in_region(struct fk_conn *db, const char *select_from, const char *id_col,
                             const char *region_col, int64_t id, const char *prefix,
                             struct fk_stmt **st) FK_MUST_CHECK;

/* Runs the walk on `db`; *count is the number of rows seen. */
enum fk_err fk_keyset_run(struct fk_conn *db, const struct fk_keyset_query *q,
                          int64_t *count) FK_MUST_CHECK;

#endif
