/* Vehicle pass SQL (vehicle_passes, pass_occupants,
 * vehicle_pass_rate_limits): registration with its signed code, the pass
 * JSON, visibility, revocation, the list, the public form's counters. No
 * HTTP here: passes_api.c parses and replies. */
#include "codes/codes.h"
#include "core/clock.h"
#include "passes/passes_internal.h"
#include "residents/residents.h"
#include "store/where_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inserts the pass and its occupants and signs the code, inside the caller's
 * transaction. */
static enum fk_err pass_insert(struct fk_conn *db, const struct fk_pii_key *key,
                               const struct fk_pass_new *p, int64_t actor, const char *region,
                               int64_t now, int64_t expires_at, int64_t *id, char *code,
                               int64_t *driver_person)
{
    enum fk_err err =
        fk_db_run(db, id,
                  "INSERT INTO vehicle_passes(plate, vehicle_type, origin, destination, purpose, "
                  "state, source, created_by, created_region, issued_at, expires_at, created_at) "
                  "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?) RETURNING id",
                  "ttttttztiii", p->plate, p->vehicle_type, p->origin, p->destination, p->purpose,
                  actor ? "staff" : "public", actor, region, now, expires_at, now);
    for (int i = 0; err == FK_OK && i < p->n; i++) {
        const struct fk_pass_occupant *o = &p->occ[i];
        char *id_sealed = NULL, *phone_sealed = NULL;
        char id_blind[FK_BLIND_LEN], phone_blind[FK_BLIND_LEN] = "";
        int64_t person = 0;
        fk_pii_blind(key, "id_number", o->id_number, id_blind);
        err = fk_pii_seal(key, "id_number", o->id_number, &id_sealed);
        if (err == FK_OK && o->phone[0]) {
            fk_pii_blind(key, "phone", o->phone, phone_blind);
            err = fk_pii_seal(key, "phone", o->phone, &phone_sealed);
        }
        if (err == FK_OK)
            err = fk_person_find_by_id_number(db, key, o->id_number, &person);
        if (err == FK_OK)
            err = fk_db_run(db, NULL,
                            "INSERT INTO pass_occupants(pass_id, seat, name, id_sealed, id_blind, "
                            "phone_sealed, phone_blind, person_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            "iitttttz", *id, (int64_t)i, o->name, id_sealed, id_blind, phone_sealed,
                            phone_blind[0] ? phone_blind : NULL, person);
        if (i == 0)
            *driver_person = person;
        free(id_sealed);
        free(phone_sealed);
    }
    if (err == FK_OK)
        err = fk_code_issue(db, FK_CODE_VEHICLE_PASS, *id, expires_at, code, FK_CODE_MAX_LEN);
    if (err == FK_OK)
        err =
            fk_db_run(db, NULL, "UPDATE vehicle_passes SET code = ? WHERE id = ?", "ti", code, *id);
    return err;
}

static json_t *occupant_json(struct fk_stmt *st, const struct fk_pii_key *key, int full)
{
    return json_pack(
        "{s:i,s:s,s:o,s:o,s:o}", "seat", (int)fk_stmt_int64(st, 0), "name", fk_stmt_text(st, 1),
        "id_number", fk_pii_json(key, "id_number", fk_stmt_text(st, 2), full), "phone",
        fk_stmt_is_null(st, 3) ? json_null() : fk_pii_json(key, "phone", fk_stmt_text(st, 3), full),
        "person_id", fk_stmt_is_null(st, 4) ? json_null() : json_integer(fk_stmt_int64(st, 4)));
}

enum fk_err fk_pass_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                         int64_t id, int64_t now, json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *out = NULL;
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT v.id, v.plate, v.vehicle_type, v.origin, v.destination, v.purpose, v.state, "
        "v.source, v.created_by, COALESCE(u.display_name, ''), v.created_region, v.code, "
        "v.issued_at, v.expires_at, v.revoked_at, v.revoked_reason, v.created_at FROM "
        "vehicle_passes v LEFT JOIN user_directory u ON u.id = v.created_by WHERE v.id = ?",
        "i", id);
    if (err != FK_OK)
        return err;
    if (!row)
        return FK_ERR_NOT_FOUND;
    int64_t expires_at = fk_stmt_int64(st, 13);
    json_t *pass = json_pack(
        "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o}", "id",
        (json_int_t)id, "plate", fk_stmt_text(st, 1), "vehicle_type", fk_stmt_text(st, 2), "origin",
        fk_stmt_text(st, 3), "destination", fk_stmt_text(st, 4), "purpose", fk_stmt_text(st, 5),
        "state", fk_stmt_text(st, 6), "source", fk_stmt_text(st, 7), "created_by",
        fk_stmt_is_null(st, 8) ? json_null()
                               : json_pack("{s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 8),
                                           "name", fk_stmt_text(st, 9)),
        "created_region", fk_stmt_is_null(st, 10) ? json_null() : json_string(fk_stmt_text(st, 10)),
        "code", fk_stmt_is_null(st, 11) ? json_null() : json_string(fk_stmt_text(st, 11)),
        "issued_at", fk_time_json(fk_stmt_int64(st, 12), 1), "expires_at",
        fk_time_json(expires_at, 1), "expired", expires_at <= now, "revoked_at",
        fk_time_json(fk_stmt_int64(st, 14), !fk_stmt_is_null(st, 14)), "revoked_reason",
        fk_stmt_is_null(st, 15) ? json_null() : json_string(fk_stmt_text(st, 15)), "created_at",
        fk_time_json(fk_stmt_int64(st, 16), 1));
    fk_stmt_free(st);
    if (pass == NULL)
        return FK_ERR_NOMEM;
    json_t *passengers = json_array();
    json_object_set_new(pass, "passengers", passengers);
    if ((err = fk_stmt_prepare(db,
                               "SELECT seat, name, id_sealed, phone_sealed, person_id FROM "
                               "pass_occupants WHERE pass_id = ? ORDER BY seat",
                               &st)) != FK_OK) {
        json_decref(pass);
        return err;
    }
    err = fk_stmt_bind_int64(st, 1, id);
    int full = fk_role_sees_full_id(role);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        json_t *o = occupant_json(st, key, full);
        if (o == NULL) {
            err = FK_ERR_NOMEM;
            break;
        }
        if (fk_stmt_int64(st, 0) == 0)
            json_object_set_new(pass, "driver", o);
        else
            json_array_append_new(passengers, o);
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    json_object_set_new(pass, "occupants_count", json_integer(1 + json_array_size(passengers)));
    if (err != FK_OK) {
        json_decref(pass);
        return err;
    }
    *out = pass;
    return FK_OK;
}

enum fk_err fk_pass_create(struct fk_conn *db, const struct fk_caller *who,
                           const struct fk_pass_new *p, int64_t actor, const char *region,
                           int64_t now, int64_t expires_at, const char *action, json_t *detail,
                           int64_t *id, char *code)
{
    int64_t driver = 0;
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = pass_insert(db, who->key, p, actor, region, now, expires_at, id, code, &driver);
    err = fk_caller_audit(db, err, who, action, "vehicle_pass", *id, driver, detail);
    return fk_caller_finish(db, err);
}

enum fk_err fk_pass_rate_hit(struct fk_conn *db, const char *kind, const char *key_hash,
                             int64_t window_start, int64_t now, int64_t *hits)
{
    *hits = 0;
    enum fk_err err =
        fk_db_run(db, NULL, "DELETE FROM vehicle_pass_rate_limits WHERE window_start < ?", "i",
                  now - 2 * 86400);
    if (err == FK_OK)
        err = fk_db_run(db, hits,
                        "INSERT INTO vehicle_pass_rate_limits(kind, key_hash, window_start, hits) "
                        "VALUES (?, ?, ?, 1) ON CONFLICT (kind, key_hash, window_start) DO UPDATE "
                        "SET hits = vehicle_pass_rate_limits.hits + 1 RETURNING hits",
                        "tti", kind, key_hash, window_start);
    return err;
}

/* Bounds of a scope's region subtree, bound twice by the visibility
 * clause; they must outlive the statement. */
struct scope_bounds {
    char low[24], high[24];
};

/* Adds the visibility clause of `scope` to `w`: passes registered in it, or
 * scanned at one of its checkpoints. District-level scopes (6 digits or
 * fewer) see all: no clause. */
static void visible_where(struct fk_where *w, const char *scope, struct scope_bounds *b)
{
    if (strlen(scope) <= 6)
        return;
    char created[96], scanned[96], clause[400];
    fk_store_in_region("v.created_region", created, sizeof(created));
    fk_store_in_region("g.region", scanned, sizeof(scanned));
    snprintf(clause, sizeof(clause),
             "(%s OR EXISTS (SELECT 1 FROM passages g WHERE g.pass_id = v.id AND %s))", created,
             scanned);
    fk_store_region_bounds(scope, b->low, b->high);
    fk_where_add(w, clause, "tttt", b->low, b->high, b->low, b->high);
}

enum fk_err fk_pass_visible(struct fk_conn *db, const char *scope, int64_t id, int *yes)
{
    *yes = 0;
    if (strlen(scope) <= 6) {
        *yes = 1;
        return FK_OK;
    }
    struct fk_where w;
    struct scope_bounds b;
    fk_where_init(&w);
    fk_where_add(&w, "v.id = ?", "i", id);
    visible_where(&w, scope, &b);
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query_where(db, &st, &row, "SELECT 1 FROM vehicle_passes v", &w, NULL);
    if (err != FK_OK)
        return err;
    fk_stmt_free(st);
    *yes = row;
    return FK_OK;
}

enum fk_err fk_pass_revoke(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                           int64_t person_id, const char *reason, int64_t now, json_t *detail)
{
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE vehicle_passes SET state = 'revoked', revoked_at = ?, "
                        "revoked_reason = ? WHERE id = ? AND state = 'active'",
                        "iti", now, reason, id);
    if (err == FK_OK)
        err = fk_code_revoke(db, FK_CODE_VEHICLE_PASS, id, reason, who->user_id);
    err =
        fk_caller_audit(db, err, who, "vehicle_pass_revoke", "vehicle_pass", id, person_id, detail);
    return fk_caller_finish(db, err);
}

enum fk_err fk_passes_page(struct fk_conn *db, const struct fk_pass_filter *f,
                           const struct fk_pii_key *key, unsigned role, int64_t now, int64_t page,
                           int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    struct scope_bounds b;
    fk_where_init(&w);
    visible_where(&w, f->scope, &b);
    if (f->plate)
        fk_where_add(&w, "v.plate = ?", "t", f->plate);
    if (f->has_from)
        fk_where_add(&w, "v.created_at >= ?", "i", f->from);
    if (f->has_until)
        fk_where_add(&w, "v.created_at < ?", "i", f->until);
    int64_t ids[200];
    size_t n = 0;
    *total = 0;
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query_where(db, &st, &row, "SELECT COUNT(*) FROM vehicle_passes v", &w, NULL);
    if (err != FK_OK)
        return err;
    *total = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    char sql[256 + FK_WHERE_SQL_MAX];
    snprintf(sql, sizeof(sql),
             "SELECT v.id FROM vehicle_passes v%s ORDER BY v.id DESC LIMIT ? OFFSET ?", w.sql);
    int idx = 1;
    if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
        return err;
    err = fk_where_bind(st, &w, &idx);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, per_page);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        if (n < sizeof(ids) / sizeof(ids[0]))
            ids[n++] = fk_stmt_int64(st, 0);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    fk_stmt_free(st);
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        json_t *item = NULL;
        err = fk_pass_load(db, key, role, ids[i], now, &item);
        if (err == FK_OK)
            json_array_append_new(items, item);
    }
    return err;
}
