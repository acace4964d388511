/* Queries over a struct fk_where (store.h): one statement with the clause
 * spliced in and bound, and a keyset walk in batches. Generic helpers of the
 * store interface, written for cards and quarantine (they replace the
 * prepare / bind id / bind region / step sequence each module had). */
#ifndef FK_STORE_WHERE_QUERY_H
#define FK_STORE_WHERE_QUERY_H

#include "store/store.h"

/* Starts `w` as the clause of one record: `id_clause` (one int64 '?', e.g.
 * "c.id = ?") bound to `id`, and the jurisdiction clause of `region_column`
 * for `scope` (copied). */
void fk_where_record(struct fk_where *w, const char *id_clause, int64_t id,
                     const char *region_column, const char *scope);

/* Appends the values of a trailing "LIMIT ? OFFSET ?" (page from 1) to `w`
 * without clause text: for a query whose tail comes after the clause. */
void fk_where_page(struct fk_where *w, int64_t page, int64_t per_page);

/* Runs `head` + w->sql + `tail` (tail may be NULL) with the values of `w`,
 * as fk_db_query does: on FK_OK the first row (if any) is current, `*row`
 * says whether one exists and `*out` receives the statement, which the
 * caller frees even when there is no row. FK_ERR_TOO_LARGE when the text
 * does not fit or `w` overflowed. */
enum fk_err fk_db_query_where(struct fk_conn *conn, struct fk_stmt **out, int *row,
                              const char *head, const struct fk_where *w,
                              const char *tail) FK_MUST_CHECK;

/* Walks every row of `head` + `w` in ascending order of `key` (an integer
 * column, which must be the first selected) in batches of `batch` rows
 * ("key > last ORDER BY key LIMIT batch"), calling `each` with the current
 * row. `each` returns FK_OK to go on, FK_ERR_DONE to stop (the walk then
 * returns FK_OK) or a failure, which stops the walk and is returned. `w` is
 * borrowed and not changed. */
enum fk_err fk_db_walk_where(struct fk_conn *conn, const char *head, const struct fk_where *w,
                             const char *key, int batch,
                             enum fk_err (*each)(struct fk_stmt *st, void *ctx),
                             void *ctx) FK_MUST_CHECK;

#endif
