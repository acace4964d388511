/* Keyset walks for ledgers (keyset.h). */
#include "http/keyset.h"

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
