/* The audit_log table: the only place its SQL lives. No HTTP. */
#include "audit/audit_internal.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>

enum fk_err fk_audit_write(struct fk_conn *db, const struct fk_audit_entry *e)
{
    char *detail = e->detail ? json_dumps(e->detail, JSON_COMPACT) : NULL;
    enum fk_err err = fk_db_run(
        db, NULL,
        "INSERT INTO audit_log(at, actor_id, actor, action, target_type, target_id, person_id, "
        "region, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "i"
        "i"
        "t"
        "t"
        "t"
        "t"
        "i"
        "t"
        "t"
        "t",
        fk_now(), e->actor_id, e->actor ? e->actor : "", e->action, e->target_type, e->target_id,
        e->person_id, e->region, e->ip, detail);
    free(detail);
    return err;
}

/* The current row of the search into *r (strings borrowed from `st`). */
static enum fk_err audit_row(struct fk_stmt *st, void *ctx)
{
    struct fk_audit_rows *rows = ctx;
    struct fk_audit_row r = {
        .id = fk_stmt_int64(st, 0),
        .at = fk_stmt_int64(st, 1),
        .actor = fk_stmt_text(st, 2),
        .actor_id = fk_stmt_int64(st, 3),
        .action = fk_stmt_text(st, 4),
        .target_type = fk_stmt_text(st, 5),
        .target_id = fk_stmt_text(st, 6),
        .person_id = fk_stmt_int64(st, 7),
        .ip = fk_stmt_text(st, 8),
        .detail = fk_stmt_text(st, 9),
    };
    return rows->each(&r, rows->ctx);
}

enum fk_err fk_audit_search(struct fk_conn *db, const struct fk_audit_filter *f, int64_t page,
                            int64_t per_page, int64_t *total, fk_audit_row_fn each, void *ctx)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "1=1", "");
    if (f->actor)
        fk_where_add(&w, "actor = ?", "t", f->actor);
    if (f->action)
        fk_where_add(&w, "action = ?", "t", f->action);
    if (f->has_from)
        fk_where_add(&w, "at >= ?", "i", f->from);
    if (f->has_until)
        fk_where_add(&w, "at < ?", "i", f->until);
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM audit_log%s", w.sql);
    enum fk_err err = fk_where_count(db, sql, &w, total);
    if (err != FK_OK)
        return err;
    snprintf(sql, sizeof(sql),
             "SELECT id, at, actor, actor_id, action, target_type, target_id, person_id, ip, "
             "detail FROM audit_log%s ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
             w.sql);
    int64_t tail[2] = {per_page, (page - 1) * per_page};
    struct fk_audit_rows rows = {each, ctx};
    return fk_where_each(db, sql, &w, tail, 2, audit_row, &rows, NULL, NULL);
}
