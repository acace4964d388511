/* Queries over a struct fk_where: see where_query.h. */
#include "store/where_query.h"

#include <stdio.h>

#define SQL_MAX (4096 + FK_WHERE_SQL_MAX)

void fk_where_record(struct fk_where *w, const char *id_clause, int64_t id,
                     const char *region_column, const char *scope)
{
    fk_where_init(w);
    fk_where_add(w, id_clause, "i", id);
    fk_where_region(w, region_column, scope);
}

void fk_where_page(struct fk_where *w, int64_t page, int64_t per_page)
{
    if (w->n_args + 2 > FK_WHERE_ARGS_MAX) {
        w->overflow = 1;
        return;
    }
    int64_t values[2] = {per_page, (page - 1) * per_page};
    for (int i = 0; i < 2; i++) {
        w->args[w->n_args].type = 'i';
        w->args[w->n_args].text = NULL;
        w->args[w->n_args].num = values[i];
        w->n_args++;
    }
}

enum fk_err fk_db_query_where(struct fk_conn *conn, struct fk_stmt **out, int *row,
                              const char *head, const struct fk_where *w, const char *tail)
{
    char sql[SQL_MAX];
    *out = NULL;
    *row = 0;
    int n = snprintf(sql, sizeof(sql), "%s%s%s", head, w->sql, tail ? tail : "");
    if (n < 0 || (size_t)n >= sizeof(sql))
        return FK_ERR_TOO_LARGE;
    struct fk_stmt *st = NULL;
    int idx = 1;
    enum fk_err err = fk_stmt_prepare(conn, sql, &st);
    if (err == FK_OK)
        err = fk_where_bind(st, w, &idx);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK || err == FK_ERR_DONE) {
        *row = err == FK_OK;
        *out = st;
        return FK_OK;
    }
    if (st != NULL)
        fk_stmt_free(st);
    return err;
}

enum fk_err fk_db_walk_where(struct fk_conn *conn, const char *head, const struct fk_where *w,
                             const char *key, int batch,
                             enum fk_err (*each)(struct fk_stmt *st, void *ctx), void *ctx)
{
    char clause[96], tail[128];
    snprintf(clause, sizeof(clause), "%s > ?", key);
    snprintf(tail, sizeof(tail), " ORDER BY %s LIMIT %d", key, batch);
    int64_t last = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_where page = *w;
        fk_where_add(&page, clause, "i", last);
        struct fk_stmt *st;
        int row, rows = 0, stop = 0;
        if ((err = fk_db_query_where(conn, &st, &row, head, &page, tail)) != FK_OK)
            break;
        while (row) {
            rows++;
            last = fk_stmt_int64(st, 0);
            err = each(st, ctx);
            if (err != FK_OK) {
                stop = 1;
                break;
            }
            err = fk_stmt_step(st);
            row = err == FK_OK;
            if (err == FK_ERR_DONE)
                err = FK_OK;
            if (err != FK_OK)
                break;
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            return FK_OK;
        if (err != FK_OK || stop || rows < batch)
            break;
    }
    return err;
}
