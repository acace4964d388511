/* Keyset walks for ledgers and one-row reads in a jurisdiction (keyset.h). */
#include "http/keyset.h"

#include <stdio.h>

enum fk_err fk_row_in_region(struct fk_conn *db, const char *select_from, const char *id_col,
                             const char *region_col, int64_t id, const char *prefix,
                             struct fk_stmt **st)
{
    char in_region[96], sql[4096];
    fk_store_in_region(region_col, in_region, sizeof(in_region));
    int n = snprintf(sql, sizeof(sql), "%s WHERE %s = ? AND %s", select_from, id_col, in_region);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return FK_ERR_TOO_LARGE;
    enum fk_err err = fk_stmt_prepare(db, sql, st);
    if (err != FK_OK)
        return err;
    err = fk_stmt_bind_int64(*st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(*st, 2, prefix);
    if (err == FK_OK)
        err = fk_stmt_step(*st);
    if (err != FK_OK) {
        fk_stmt_free(*st);
        *st = NULL;
    }
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}

enum fk_err fk_keyset_run(struct fk_conn *db, const struct fk_keyset_query *q, int64_t *count)
{
    int64_t last = 0;
    enum fk_err err = FK_OK;
    *count = 0;
    for (;;) {
        struct fk_stmt *st;
        int64_t batch_rows = 0;
        int idx = 1;
        if ((err = fk_stmt_prepare(db, q->sql, &st)) != FK_OK)
            break;
        if (q->where != NULL)
            err = fk_where_bind(st, q->where, &idx);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, idx, last);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            batch_rows++;
            last = fk_stmt_int64(st, 0);
            err = q->row(st, ++*count, q->ctx);
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err == FK_OK && q->batch_done != NULL)
            err = q->batch_done(q->ctx);
        if (err != FK_OK || batch_rows < q->batch)
            break;
    }
    return err;
}
