/* The regions table (and the range counts of households and persons under
 * a region, for its page). No HTTP. */
#include "regions/regions_internal.h"

#include <stdio.h>
#include <string.h>

enum fk_err fk_region_get(struct fk_conn *db, const char *code, struct fk_region *out)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT code, prefix, COALESCE(parent, ''), name, level "
                                  "FROM regions WHERE code = ?",
                                  "t", code);
    if (err != FK_OK)
        return err;
    if (!row) {
        fk_stmt_free(st);
        return FK_ERR_NOT_FOUND;
    }
    snprintf(out->code, sizeof(out->code), "%s", fk_stmt_text(st, 0));
    snprintf(out->prefix, sizeof(out->prefix), "%s", fk_stmt_text(st, 1));
    snprintf(out->parent, sizeof(out->parent), "%s", fk_stmt_text(st, 2));
    snprintf(out->name, sizeof(out->name), "%s", fk_stmt_text(st, 3));
    out->level = (int)fk_stmt_int64(st, 4);
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_region_add(struct fk_conn *db, const char *code, const char *parent,
                          const char *name, int level)
{
    char stored[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(code, stored, prefix, &reason) != FK_OK)
        return FK_ERR_INVALID;
    return fk_db_run(
        db, NULL, "INSERT INTO regions(code, prefix, parent, name, level) VALUES (?, ?, ?, ?, ?)",
        "tttti", stored, prefix, (parent && parent[0]) ? parent : NULL, name, (int64_t)level);
}

static enum fk_err child_row(struct fk_stmt *st, void *ctx)
{
    struct {
        fk_region_fn each;
        void *ctx;
    } *r = ctx;
    struct fk_region child;
    snprintf(child.code, sizeof(child.code), "%s", fk_stmt_text(st, 0));
    snprintf(child.prefix, sizeof(child.prefix), "%s", fk_stmt_text(st, 1));
    snprintf(child.parent, sizeof(child.parent), "%s", fk_stmt_text(st, 2));
    snprintf(child.name, sizeof(child.name), "%s", fk_stmt_text(st, 3));
    child.level = (int)fk_stmt_int64(st, 4);
    return r->each(&child, r->ctx);
}

enum fk_err fk_regions_children(struct fk_conn *db, const char *code, fk_region_fn each, void *ctx)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "parent = ?", "t", code);
    char sql[1536];
    snprintf(sql, sizeof(sql),
             "SELECT code, prefix, COALESCE(parent, ''), name, level FROM regions%s ORDER BY code",
             w.sql);
    struct {
        fk_region_fn each;
        void *ctx;
    } r = {each, ctx};
    return fk_where_each(db, sql, &w, NULL, 0, child_row, &r, NULL, NULL);
}

enum fk_err fk_regions_tally(struct fk_conn *db, enum fk_region_tally what, int level,
                             const char *const *prefixes, size_t n, int64_t *counts)
{
    char sql[384];
    if (what == FK_TALLY_REGIONS)
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM regions WHERE (prefix >= ? AND prefix < ?) AND level = %d",
                 level);
    else
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE (region >= ? AND region < ?)",
                 what == FK_TALLY_HOUSEHOLDS ? "households" : "persons");
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        err = fk_stmt_bind_region(st, 1, prefixes[i]);
        if (err == FK_OK)
            err = fk_stmt_step(st);
        if (err == FK_OK)
            counts[i] = fk_stmt_int64(st, 0);
        fk_stmt_reset(st);
    }
    fk_stmt_free(st);
    return err;
}
