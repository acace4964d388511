/* Venue rows: JSON, load, insert with its signed place code, re-issue. */
#include "audit/audit.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "http/http.h"
#include "residents/residents.h"
#include "venues/venues_internal.h"

#include <stdio.h>
#include <string.h>

json_t *fk_venue_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role, int64_t now)
{
    const struct fk_venue_category *cat = fk_venue_category_find(fk_stmt_text(st, 2));
    int status = fk_venue_status_from_name(fk_stmt_text(st, 9));
    int has_dwell = !fk_stmt_is_null(st, 8);
    int64_t dwell = has_dwell ? fk_stmt_int64(st, 8) : (cat ? cat->dwell_minutes : 60);
    int has_code = !fk_stmt_is_null(st, 10);
    int64_t expires = fk_stmt_is_null(st, 12) ? 0 : fk_stmt_int64(st, 12);
    json_t *phone = fk_stmt_is_null(st, 7) ? json_null()
                                           : fk_pii_json(key, "phone", fk_stmt_text(st, 7),
                                                         fk_role_sees_full_phone(role));
    return json_pack(
        "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:b,s:s,s:s,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o}",
        "id", (json_int_t)fk_stmt_int64(st, 0), "name", fk_stmt_text(st, 1), "category",
        fk_stmt_text(st, 2), "category_label", cat ? cat->label : "", "region", fk_stmt_text(st, 3),
        "region_name", fk_stmt_text(st, 4), "address", fk_stmt_text(st, 5), "contact_name",
        fk_stmt_text(st, 6), "contact_phone", phone ? phone : json_null(), "dwell_minutes",
        (json_int_t)dwell, "dwell_custom", has_dwell, "status", fk_stmt_text(st, 9), "status_label",
        status ? fk_venue_status_label(status) : "", "code",
        has_code ? json_string(fk_stmt_text(st, 10)) : json_null(), "code_issued_at",
        fk_time_json(fk_stmt_int64(st, 11), !fk_stmt_is_null(st, 11)), "code_expires_at",
        fk_time_json(expires, expires != 0), "code_expired", has_code && expires <= now,
        "code_expiring", has_code && expires <= now + FK_VENUE_REPRINT_DAYS * 86400, "note",
        fk_stmt_is_null(st, 13) ? json_null() : json_string(fk_stmt_text(st, 13)), "created_at",
        fk_time_json(fk_stmt_int64(st, 14), 1), "updated_at",
        fk_time_json(fk_stmt_int64(st, 15), 1));
}

enum fk_err fk_venue_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                          const char *scope, int64_t id, json_t **out)
{
    char in_region[96], sql[1024];
    *out = NULL;
    fk_store_in_region("v.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "SELECT " FK_VENUE_COLUMNS FK_VENUE_FROM " WHERE v.id = ?%s%s",
             scope[0] ? " AND " : "", scope[0] ? in_region : "");
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK && scope[0])
        err = fk_stmt_bind_region(st, 2, scope);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_ERR_DONE)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK && (*out = fk_venue_json(st, key, role, fk_now())) == NULL)
        err = FK_ERR_NOMEM;
    if (st != NULL)
        fk_stmt_free(st);
    return err;
}

enum fk_err fk_venue_brief_get(struct fk_conn *db, int64_t id, struct fk_venue_brief *out)
{
    memset(out, 0, sizeof(*out));
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT region, status, name FROM venues WHERE id = ?", "i", id);
    if (err != FK_OK)
        return err;
    if (row) {
        out->id = id;
        snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 0));
        out->status = fk_venue_status_from_name(fk_stmt_text(st, 1));
        snprintf(out->name, sizeof(out->name), "%s", fk_stmt_text(st, 2));
    } else {
        err = FK_ERR_NOT_FOUND;
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_venue_reissue(struct fk_conn *db, int64_t id, int64_t now, int64_t expires_at)
{
    char code[FK_CODE_MAX_LEN];
    enum fk_err err = fk_code_issue(db, FK_CODE_VENUE, id, expires_at, code, sizeof(code));
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE venues SET code = ?, code_issued_at = ?, code_expires_at = ?, "
                        "updated_at = ? WHERE id = ?",
                        "tiiii", code, now, expires_at, now, id);
    return err;
}

enum fk_err fk_venue_insert(struct fk_conn *db, const struct fk_venue_input *in, const char *region,
                            const char *phone_sealed, int64_t actor, int64_t now,
                            int64_t expires_at, int64_t *id)
{
    *id = 0;
    int status = in->status ? fk_venue_status_from_name(in->status) : FK_VENUE_OPEN;
    enum fk_err err = fk_db_run(
        db, id,
        "INSERT INTO venues(name, category, region, address, contact_name, "
        "contact_phone_sealed, dwell_minutes, status, note, created_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        "ttttttzttzii", in->name, in->category, region, in->address ? in->address : "",
        in->contact_name ? in->contact_name : "", phone_sealed,
        in->has_dwell ? in->dwell_minutes : 0, fk_venue_status_name(status),
        in->note && in->note[0] ? in->note : NULL, actor, now, now);
    if (err == FK_OK && *id <= 0)
        err = FK_ERR_DB;
    if (err == FK_OK)
        err = fk_venue_reissue(db, *id, now, expires_at);
    return err;
}

/* The end of every venue change: the audit entry (a copy of `audit` naming
 * venue `id`) and the commit, or the rollback. */
static enum fk_err venue_change_end(struct fk_conn *db, enum fk_err err,
                                    const struct fk_audit_entry *audit, int64_t id)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    struct fk_audit_entry entry = *audit;
    entry.target_id = id_text;
    if (err == FK_OK)
        err = fk_audit_write(db, &entry);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}

enum fk_err fk_venue_create(struct fk_conn *db, const struct fk_venue_input *in, const char *region,
                            const char *phone_sealed, int64_t now, int64_t expires_at,
                            const struct fk_audit_entry *audit, int64_t *id)
{
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_venue_insert(db, in, region, phone_sealed, audit->actor_id, now, expires_at, id);
    return venue_change_end(db, err, audit, *id);
}

enum fk_err fk_venue_update(struct fk_conn *db, int64_t id, const struct fk_venue_input *in,
                            const char *region, const char *phone_sealed, int64_t now,
                            const struct fk_audit_entry *audit)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(
        db, NULL,
        "UPDATE venues SET name = COALESCE(?, name), category = COALESCE(?, category), "
        "region = COALESCE(?, region), address = COALESCE(?, address), contact_name = "
        "COALESCE(?, contact_name), contact_phone_sealed = COALESCE(?, contact_phone_sealed), "
        "status = COALESCE(?, status), note = COALESCE(?, note), updated_at = ? WHERE id = ?",
        "ttttttttii", in->name, in->category, region, in->address, in->contact_name, phone_sealed,
        in->status, in->note, now, id);
    if (err == FK_OK && in->has_dwell)
        err = fk_db_run(db, NULL, "UPDATE venues SET dwell_minutes = ? WHERE id = ?", "zi",
                        in->dwell_minutes, id);
    return venue_change_end(db, err, audit, id);
}

enum fk_err fk_venue_reissue_audited(struct fk_conn *db, int64_t id, int64_t now,
                                     int64_t expires_at, const struct fk_audit_entry *audit)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_venue_reissue(db, id, now, expires_at);
    return venue_change_end(db, err, audit, id);
}

/* The WHERE clause of the venue list and ledger; `after_id` > 0 adds the
 * keyset bound. */
static void filter_where(const struct fk_venue_filter *f, int64_t after_id, struct fk_where *w)
{
    fk_where_init(w);
    fk_where_region(w, "v.region", f->scope);
    if (f->category)
        fk_where_add(w, "v.category = ?", "t", f->category);
    if (f->status)
        fk_where_add(w, "v.status = ?", "t", f->status);
    if (f->expiring)
        fk_where_add(w, "(v.code_expires_at IS NULL OR v.code_expires_at <= ?)", "i",
                     f->expiry_before);
    if (f->q[0])
        fk_where_add(w, "v.name LIKE ? ESCAPE '!'", "t", f->q);
    if (after_id > 0)
        fk_where_add(w, "v.id > ?", "i", after_id);
}

static enum fk_err bind_where(struct fk_stmt *st, const void *ctx, int *idx)
{
    return fk_where_bind(st, ctx, idx);
}

enum fk_err fk_venues_page(struct fk_conn *db, const char *count_sql, const char *list_sql,
                           const struct fk_where *w, json_t *(*row)(struct fk_stmt *st, void *ctx),
                           const struct fk_row_view *view, int64_t page, int64_t per_page,
                           json_t *items, int64_t *total)
{
    struct fk_list_query q = {count_sql, list_sql, bind_where, w, row, (void *)view};
    return fk_list_run(db, &q, page, per_page, items, total);
}

static json_t *venue_row(struct fk_stmt *st, void *ctx)
{
    const struct fk_row_view *v = ctx;
    return fk_venue_json(st, v->key, v->role, v->now);
}

enum fk_err fk_venues_list(struct fk_conn *db, const struct fk_venue_filter *f,
                           const struct fk_pii_key *key, unsigned role, int64_t now, int64_t page,
                           int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    filter_where(f, 0, &w);
    char count_sql[1200], list_sql[2400];
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM venues v%s", w.sql);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " FK_VENUE_COLUMNS FK_VENUE_FROM "%s ORDER BY %s v.id LIMIT ? OFFSET ?", w.sql,
             f->expiring ? "v.code_expires_at," : "v.region,");
    struct fk_row_view view = {key, role, now};
    return fk_venues_page(db, count_sql, list_sql, &w, venue_row, &view, page, per_page, items,
                          total);
}

enum fk_err fk_venues_keyset_each(struct fk_conn *db, const struct fk_keyset_walk *k,
                                  int (*cb)(void *ctx, int64_t id, json_t *item), void *ctx)
{
    int64_t last = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_where w;
        char sql[2400];
        k->query(k->filter, last, &w, sql, sizeof(sql));
        struct fk_stmt *st;
        int64_t batch_rows = 0;
        int idx = 1;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        err = fk_where_bind(st, &w, &idx);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            json_t *item = k->row(st, k->row_ctx);
            if (item == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            batch_rows++;
            last = fk_stmt_int64(st, 0);
            int stop = cb(ctx, last, item);
            json_decref(item);
            if (stop) {
                fk_stmt_free(st);
                return FK_ERR_DONE;
            }
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err != FK_OK || batch_rows < k->batch)
            break;
    }
    return err;
}

#define BATCH 500

static void ledger_query(const void *filter, int64_t after_id, struct fk_where *w, char *sql,
                         size_t size)
{
    filter_where(filter, after_id, w);
    snprintf(sql, size, "SELECT " FK_VENUE_COLUMNS FK_VENUE_FROM "%s ORDER BY v.id LIMIT %d",
             w->sql, BATCH);
}

enum fk_err fk_venues_each(struct fk_conn *db, const struct fk_venue_filter *f,
                           const struct fk_pii_key *key, unsigned role, int64_t now,
                           int (*cb)(void *ctx, int64_t id, json_t *venue), void *ctx)
{
    struct fk_row_view view = {key, role, now};
    struct fk_keyset_walk k = {ledger_query, f, venue_row, &view, BATCH};
    return fk_venues_keyset_each(db, &k, cb, ctx);
}
