/* Venue rows: JSON, load, insert with its signed place code, re-issue. */
#include "codes/codes.h"
#include "core/clock.h"
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
