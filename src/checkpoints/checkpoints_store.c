/* The checkpoint module's store: the only file with its SQL (tables
 * checkpoints, checkpoint_shifts, checkpoint_incidents). The three record
 * kinds share one filter, their column lists and JSON, lists, loads by id and
 * the keyset walk the ledgers use; every query joins the checkpoint as `c`
 * and limits c.region to the jurisdiction. Changes hold their transaction
 * and write their audit entry in it. No request, no reply here. */
#include "accounts/accounts.h"
#include "checkpoints/checkpoints_internal.h"
#include "core/clock.h"
#include "http/keyset.h"
#include "crypto/crypto.h"
#include "residents/residents.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kind_sql {
    const char *columns, *from, *id_col, *order;
};

static const struct kind_sql kinds[] = {
    [FK_CP_CHECKPOINT] =
        {"c.id, c.name, c.level, c.type, c.region, COALESCE(g.name, ''), c.location, c.lat_e6, "
         "c.lng_e6, c.sampling_point, c.state, c.note, c.created_at, c.updated_at",
         " FROM checkpoints c LEFT JOIN regions g ON g.code = c.region", "c.id", "c.region, c.id"},
    [FK_CP_SHIFT] = {"s.id, s.checkpoint_id, c.name, c.region, s.user_id, u.username, "
                     "u.display_name, u.role, s.starts_at, s.ends_at, s.post, s.note, s.created_at",
                     " FROM checkpoint_shifts s JOIN checkpoints c ON c.id = s.checkpoint_id JOIN "
                     "user_directory u ON u.id = s.user_id",
                     "s.id", "s.starts_at, s.id"},
    [FK_CP_INCIDENT] = {"i.id, i.checkpoint_id, c.name, c.region, i.kind, i.occurred_at, i.plate, "
                        "i.person_name, i.id_sealed, i.phone_sealed, i.description, "
                        "i.police_referral, i.police_station, i.referral_outcome, i.note, "
                        "i.created_at, i.updated_at, COALESCE(u.display_name, '')",
                        " FROM checkpoint_incidents i JOIN checkpoints c ON c.id = i.checkpoint_id "
                        "LEFT JOIN user_directory u ON u.id = i.created_by",
                        "i.id", "i.occurred_at DESC, i.id DESC"},
};

/* The optional conditions of a filter, in the order they are added. A row
 * applies to the kinds in `kinds` (-1: every kind). Its value is the member
 * of struct fk_cp_filter at `value`: an int64_t ('i', set when not 0 or, with
 * `has`, when the int at `has` - 1 is), a const char * ('t', set when not
 * NULL) or a char array ('a', set when not ""). */
#define ALL_KINDS (-1)
#define KIND(k) (1 << (k))
#define AT(member) offsetof(struct fk_cp_filter, member)
static const struct filter_cond {
    int kinds;
    const char *clause;
    char type;
    size_t value, has;
} filter_conds[] = {
    {ALL_KINDS, "c.id = ?", 'i', AT(checkpoint_id), 0},
    {ALL_KINDS, "c.type = ?", 't', AT(type), 0},
    {ALL_KINDS, "c.level = ?", 'i', AT(level), 0},
    {ALL_KINDS, "c.state = ?", 't', AT(state), 0},
    {ALL_KINDS, "c.name LIKE ? ESCAPE '!'", 'a', AT(q_like), 0},
    {KIND(FK_CP_SHIFT), "s.ends_at > ?", 'i', AT(from), AT(has_from) + 1},
    {KIND(FK_CP_SHIFT), "s.starts_at < ?", 'i', AT(until), AT(has_until) + 1},
    {KIND(FK_CP_SHIFT), "s.user_id = ?", 'i', AT(user_id), 0},
    {KIND(FK_CP_INCIDENT), "i.occurred_at >= ?", 'i', AT(from), AT(has_from) + 1},
    {KIND(FK_CP_INCIDENT), "i.occurred_at < ?", 'i', AT(until), AT(has_until) + 1},
    {KIND(FK_CP_INCIDENT), "i.kind = ?", 't', AT(kind), 0},
};

/* The WHERE clause of f for `kind` (values borrowed from f). */
static void filter_where(enum fk_cp_kind kind, const struct fk_cp_filter *f, struct fk_where *w)
{
    const char *base = (const char *)f;
    fk_where_init(w);
    fk_where_region(w, "c.region", f->scope);
    for (size_t i = 0; i < sizeof(filter_conds) / sizeof(filter_conds[0]); i++) {
        const struct filter_cond *c = &filter_conds[i];
        if ((c->kinds & KIND(kind)) == 0)
            continue;
        if (c->type == 'i') {
            int64_t v = *(const int64_t *)(base + c->value);
            int set = c->has ? *(const int *)(base + c->has - 1) != 0 : v != 0;
            if (set)
                fk_where_add(w, c->clause, "i", v);
        } else {
            const char *v =
                c->type == 't' ? *(const char *const *)(base + c->value) : base + c->value;
            if (c->type == 't' ? v != NULL : v[0] != '\0')
                fk_where_add(w, c->clause, "t", v);
        }
    }
}

/* ---------- rows as JSON ---------- */

static json_t *text_or_null(struct fk_stmt *st, int col)
{
    return fk_stmt_is_null(st, col) ? json_null() : json_string(fk_stmt_text(st, col));
}

static json_t *degrees_or_null(struct fk_stmt *st, int col)
{
    return fk_stmt_is_null(st, col) ? json_null() : json_real((double)fk_stmt_int64(st, col) / 1e6);
}

static json_t *checkpoint_json(struct fk_stmt *st)
{
    const char *type = fk_stmt_text(st, 3);
    int level = (int)fk_stmt_int64(st, 2);
    return json_pack("{s:I,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "name", fk_stmt_text(st, 1), "level", level,
                     "level_label", fk_checkpoint_level_label(level), "type", type, "type_label",
                     fk_checkpoint_type_label(type), "region", fk_stmt_text(st, 4), "region_name",
                     fk_stmt_text(st, 5), "location", fk_stmt_text(st, 6), "lat",
                     degrees_or_null(st, 7), "lng", degrees_or_null(st, 8), "sampling_point",
                     text_or_null(st, 9), "state", fk_stmt_text(st, 10), "note",
                     text_or_null(st, 11), "created_at", fk_time_or_null(fk_stmt_int64(st, 12)),
                     "updated_at", fk_time_or_null(fk_stmt_int64(st, 13)));
}

static json_t *shift_json(struct fk_stmt *st)
{
    const char *post = fk_stmt_text(st, 10);
    return json_pack("{s:I,s:{s:I,s:s,s:s},s:{s:I,s:s,s:s,s:s},s:o,s:o,s:s,s:s,s:o,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "checkpoint", "id",
                     (json_int_t)fk_stmt_int64(st, 1), "name", fk_stmt_text(st, 2), "region",
                     fk_stmt_text(st, 3), "user", "id", (json_int_t)fk_stmt_int64(st, 4),
                     "username", fk_stmt_text(st, 5), "display_name", fk_stmt_text(st, 6), "role",
                     fk_stmt_text(st, 7), "starts_at", fk_time_or_null(fk_stmt_int64(st, 8)),
                     "ends_at", fk_time_or_null(fk_stmt_int64(st, 9)), "post", post, "post_label",
                     fk_checkpoint_post_label(post), "note", text_or_null(st, 11), "created_at",
                     fk_time_or_null(fk_stmt_int64(st, 12)));
}

static json_t *incident_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role)
{
    const char *kind = fk_stmt_text(st, 4);
    json_t *person = json_null();
    if (!fk_stmt_is_null(st, 7) || !fk_stmt_is_null(st, 8) || !fk_stmt_is_null(st, 9))
        person = json_pack(
            "{s:o,s:o,s:o}", "name", text_or_null(st, 7), "id_number",
            fk_pii_json(key, "id_number", fk_stmt_text(st, 8), fk_role_sees_full_id(role)), "phone",
            fk_pii_json(key, "phone", fk_stmt_text(st, 9), fk_role_sees_full_phone(role)));
    return json_pack(
        "{s:I,s:{s:I,s:s,s:s},s:s,s:s,s:o,s:o,s:o,s:s,s:b,s:o,s:o,s:o,s:s,s:o,s:o}", "id",
        (json_int_t)fk_stmt_int64(st, 0), "checkpoint", "id", (json_int_t)fk_stmt_int64(st, 1),
        "name", fk_stmt_text(st, 2), "region", fk_stmt_text(st, 3), "kind", kind, "kind_label",
        fk_checkpoint_incident_kind_label(kind), "occurred_at",
        fk_time_or_null(fk_stmt_int64(st, 5)), "plate", text_or_null(st, 6), "person", person,
        "description", fk_stmt_text(st, 10), "police_referral", fk_stmt_int64(st, 11) != 0,
        "police_station", text_or_null(st, 12), "referral_outcome", text_or_null(st, 13), "note",
        text_or_null(st, 14), "recorded_by", fk_stmt_text(st, 17), "created_at",
        fk_time_or_null(fk_stmt_int64(st, 15)), "updated_at",
        fk_time_or_null(fk_stmt_int64(st, 16)));
}

static json_t *row_json(const struct fk_caller *who, enum fk_cp_kind kind, struct fk_stmt *st)
{
    if (kind == FK_CP_CHECKPOINT)
        return checkpoint_json(st);
    if (kind == FK_CP_SHIFT)
        return shift_json(st);
    return incident_json(st, who->key, who->role);
}

/* ---------- queries ---------- */

/* fk_list_run callbacks of fk_cp_list. */
struct cp_list_ctx {
    const struct fk_caller *who;
    enum fk_cp_kind kind;
    const struct fk_where *w;
};

static enum fk_err cp_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    const struct cp_list_ctx *c = ctx;
    return fk_where_bind(st, c->w, idx);
}

static json_t *cp_row(struct fk_stmt *st, void *ctx)
{
    const struct cp_list_ctx *c = ctx;
    return row_json(c->who, c->kind, st);
}

enum fk_err fk_cp_list(struct fk_conn *db, const struct fk_caller *who, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f, int64_t page, int64_t per_page, json_t **items,
                       int64_t *total)
{
    struct fk_where w;
    char count_sql[1536], list_sql[2560];
    filter_where(kind, f, &w);
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*)%s%s", kinds[kind].from, w.sql);
    snprintf(list_sql, sizeof(list_sql), "SELECT %s%s%s ORDER BY %s LIMIT ? OFFSET ?",
             kinds[kind].columns, kinds[kind].from, w.sql, kinds[kind].order);
    struct cp_list_ctx c = {who, kind, &w};
    struct fk_list_query q = {count_sql, list_sql, cp_bind, &c, cp_row, &c};
    *items = json_array();
    return fk_list_run(db, &q, page, per_page, *items, total);
}

enum fk_err fk_cp_load(struct fk_conn *db, const struct fk_caller *who, enum fk_cp_kind kind,
                       int64_t id, json_t **out)
{
    char select_from[1536];
    snprintf(select_from, sizeof(select_from), "SELECT %s%s", kinds[kind].columns,
             kinds[kind].from);
    struct fk_stmt *st;
    enum fk_err err =
        fk_row_in_region(db, select_from, kinds[kind].id_col, "c.region", id, who->prefix, &st);
    if (err != FK_OK)
        return err;
    *out = row_json(who, kind, st);
    fk_stmt_free(st);
    return *out != NULL ? FK_OK : FK_ERR_NOMEM;
}

#define BATCH 2000

/* fk_keyset_run callback of fk_cp_each: the record as JSON to `row`. */
struct cp_each_ctx {
    const struct fk_caller *who;
    enum fk_cp_kind kind;
    void (*row)(json_t *record, int64_t seq, void *ctx);
    void *ctx;
};

static enum fk_err cp_each_row(struct fk_stmt *st, int64_t seq, void *ctx)
{
    const struct cp_each_ctx *c = ctx;
    json_t *record = row_json(c->who, c->kind, st);
    if (record == NULL)
        return FK_ERR_NOMEM;
    c->row(record, seq, c->ctx);
    json_decref(record);
    return FK_OK;
}

enum fk_err fk_cp_each(struct fk_conn *db, const struct fk_caller *who, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f,
                       void (*row)(json_t *record, int64_t seq, void *ctx), void *ctx,
                       int64_t *count)
{
    struct fk_where w;
    char sql[2560];
    filter_where(kind, f, &w);
    snprintf(sql, sizeof(sql), "SELECT %s%s%s AND %s > ? ORDER BY %s LIMIT %d", kinds[kind].columns,
             kinds[kind].from, w.sql, kinds[kind].id_col, kinds[kind].id_col, BATCH);
    struct cp_each_ctx c = {who, kind, row, ctx};
    struct fk_keyset_query q = {sql, BATCH, &w, cp_each_row, NULL, &c};
    return fk_keyset_run(db, &q, count);
}

/* ---------- changes ---------- */

static void copy_text(char *out, size_t size, const char *text)
{
    snprintf(out, size, "%s", text ? text : "");
}

/* Runs the one-row `sql` (one '?': the checkpoint id) for `id` and hands
 * its row to `read`; FK_ERR_NOT_FOUND when there is none. */
static enum fk_err checkpoint_row(struct fk_conn *db, const char *sql, int64_t id, fk_row_fn read,
                                  void *out)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row, sql, "i", id);
    if (err != FK_OK)
        return err;
    err = row ? read(st, out) : FK_ERR_NOT_FOUND;
    fk_stmt_free(st);
    return err;
}

static enum fk_err values_read(struct fk_stmt *st, void *ctx)
{
    struct fk_cp_values *v = ctx;
    memset(v, 0, sizeof(*v));
    copy_text(v->name, sizeof(v->name), fk_stmt_text(st, 0));
    v->level = fk_stmt_int64(st, 1);
    copy_text(v->type, sizeof(v->type), fk_stmt_text(st, 2));
    copy_text(v->region, sizeof(v->region), fk_stmt_text(st, 3));
    copy_text(v->location, sizeof(v->location), fk_stmt_text(st, 4));
    v->has_position = !fk_stmt_is_null(st, 5);
    v->lat_e6 = fk_stmt_int64(st, 5);
    v->lng_e6 = fk_stmt_int64(st, 6);
    v->has_sampling = !fk_stmt_is_null(st, 7);
    copy_text(v->sampling_point, sizeof(v->sampling_point), fk_stmt_text(st, 7));
    copy_text(v->state, sizeof(v->state), fk_stmt_text(st, 8));
    v->has_note = !fk_stmt_is_null(st, 9);
    copy_text(v->note, sizeof(v->note), fk_stmt_text(st, 9));
    return FK_OK;
}

enum fk_err fk_cp_values_load(struct fk_conn *db, int64_t id, struct fk_cp_values *v)
{
    return checkpoint_row(db,
                          "SELECT name, level, type, region, location, lat_e6, lng_e6, "
                          "sampling_point, state, note FROM checkpoints WHERE id = ?",
                          id, values_read, v);
}

/* Sets or clears the position of checkpoint `id`. */
static enum fk_err store_position(struct fk_conn *db, int64_t id, const struct fk_cp_values *v)
{
    if (v->has_position)
        return fk_db_run(db, NULL, "UPDATE checkpoints SET lat_e6 = ?, lng_e6 = ? WHERE id = ?",
                         "iii", v->lat_e6, v->lng_e6, id);
    return fk_db_run(db, NULL, "UPDATE checkpoints SET lat_e6 = NULL, lng_e6 = NULL WHERE id = ?",
                     "i", id);
}

enum fk_err fk_cp_checkpoint_insert(struct fk_conn *db, const struct fk_caller *who,
                                    const struct fk_cp_values *v, int64_t now, int64_t *id)
{
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, id,
                    "INSERT INTO checkpoints(name, level, type, region, location, lat_e6, "
                    "lng_e6, sampling_point, state, note, created_by, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    "titttttttt"
                    "iii",
                    v->name, v->level, v->type, v->region, v->location, (const char *)NULL,
                    (const char *)NULL, v->has_sampling ? v->sampling_point : NULL, v->state,
                    v->has_note ? v->note : NULL, who->user_id, now, now);
    if (err == FK_OK && v->has_position)
        err = store_position(db, *id, v);
    err = fk_caller_audit(db, err, who, "checkpoint_create", "checkpoint", *id, 0,
                          json_pack("{s:s,s:s,s:I}", "region", v->region, "type", v->type, "level",
                                    (json_int_t)v->level));
    return fk_caller_finish(db, err);
}

/* Ends an update begun by the caller (`err` its status so far): audits
 * `action` with the changed `fields` (borrowed) and commits, or rolls back.
 * A failed begin is rolled back harmlessly. */
static enum fk_err finish_update(struct fk_conn *db, enum fk_err err, const struct fk_caller *who,
                                 const char *action, const char *target_type, int64_t id,
                                 const json_t *fields)
{
    err = fk_caller_audit(db, err, who, action, target_type, id, 0,
                          json_pack("{s:O}", "fields", (json_t *)fields));
    return fk_caller_finish(db, err);
}

enum fk_err fk_cp_checkpoint_update(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                                    const struct fk_cp_values *v, const json_t *fields, int64_t now)
{
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE checkpoints SET name = ?, level = ?, type = ?, location = ?, "
                        "sampling_point = ?, state = ?, note = ?, updated_at = ? WHERE id = ?",
                        "tittttt"
                        "ii",
                        v->name, v->level, v->type, v->location,
                        v->has_sampling ? v->sampling_point : NULL, v->state,
                        v->has_note ? v->note : NULL, now, id);
    if (err == FK_OK)
        err = store_position(db, id, v);
    return finish_update(db, err, who, "checkpoint_update", "checkpoint", id, fields);
}

/* Roles that work shifts at checkpoints; residents, enterprises and school
 * administrators do not. */
#define ON_DUTY_ROLES                                                                              \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_SAMPLER | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF |      \
     FK_ROLE_INSPECTOR)

enum fk_err fk_cp_user_fits(struct fk_conn *db, int64_t user_id, const char *region, int *fits)
{
    struct fk_user u;
    *fits = 0;
    enum fk_err err = fk_user_get(db, user_id, &u);
    if (err == FK_ERR_NOT_FOUND)
        return FK_OK;
    if (err != FK_OK)
        return err;
    *fits = !u.disabled && (u.role & ON_DUTY_ROLES) != 0 &&
            strncmp(region, u.prefix, strlen(u.prefix)) == 0;
    return FK_OK;
}

enum fk_err fk_cp_shift_insert(struct fk_conn *db, const struct fk_caller *who,
                               const struct fk_cp_shift_input *in, int64_t now, int64_t *id,
                               int64_t *conflict)
{
    /* The overlap check and the insert in one transaction under the user's
     * lock: two parallel requests for one person cannot both find no
     * overlap and both insert. */
    struct fk_stmt *st;
    int row;
    *id = 0;
    *conflict = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_lock(db, FK_LOCK_SHIFT_USER, in->user_id);
    if (err == FK_OK) {
        err = fk_db_query(db, &st, &row,
                          "SELECT id FROM checkpoint_shifts WHERE user_id = ? AND starts_at < ? "
                          "AND ends_at > ? ORDER BY starts_at LIMIT 1",
                          "iii", in->user_id, in->ends_at, in->starts_at);
        *conflict = err == FK_OK && row ? fk_stmt_int64(st, 0) : 0;
        if (err == FK_OK)
            fk_stmt_free(st);
    }
    if (*conflict) {
        fk_db_rollback(db);
        return FK_OK;
    }
    if (err == FK_OK)
        err = fk_db_run(db, id,
                        "INSERT INTO checkpoint_shifts(checkpoint_id, user_id, starts_at, ends_at, "
                        "post, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                        "RETURNING id",
                        "iiiittii", in->checkpoint_id, in->user_id, in->starts_at, in->ends_at,
                        in->post, in->note, who->user_id, now);
    err = fk_caller_audit(db, err, who, "shift_create", "checkpoint_shift", *id, 0,
                          json_pack("{s:I,s:I}", "checkpoint_id", (json_int_t)in->checkpoint_id,
                                    "user_id", (json_int_t)in->user_id));
    return fk_caller_finish(db, err);
}

enum fk_err fk_cp_shift_remove(struct fk_conn *db, const struct fk_caller *who,
                               int64_t checkpoint_id, int64_t shift_id)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT user_id FROM checkpoint_shifts WHERE id = ? AND checkpoint_id = ?",
        "ii", shift_id, checkpoint_id);
    if (err != FK_OK)
        return err;
    int64_t user_id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    if (!row)
        return FK_ERR_NOT_FOUND;
    err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, NULL, "DELETE FROM checkpoint_shifts WHERE id = ?", "i", shift_id);
    err = fk_caller_audit(db, err, who, "shift_delete", "checkpoint_shift", shift_id, 0,
                          json_pack("{s:I,s:I}", "checkpoint_id", (json_int_t)checkpoint_id,
                                    "user_id", (json_int_t)user_id));
    return fk_caller_finish(db, err);
}

static enum fk_err staff_row(struct fk_stmt *st, void *ctx)
{
    return fk_json_append(
        ctx, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)fk_stmt_int64(st, 0), "username",
                       fk_stmt_text(st, 1), "display_name", fk_stmt_text(st, 2), "role",
                       fk_stmt_text(st, 3), "region", fk_stmt_text(st, 4)));
}

enum fk_err fk_cp_staff(struct fk_conn *db, const char *region, json_t **items)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w,
                 "u.disabled = 0 AND u.role IN ('district_admin', 'township_officer', "
                 "'community_worker', 'checkpoint_staff', 'sampler', 'tracer', 'quarantine_staff', "
                 "'inspector')",
                 "");
    fk_where_add(&w, "substr(?, 1, length(u.region_prefix)) = u.region_prefix", "t", region);
    char sql[FK_WHERE_SQL_MAX + 256];
    snprintf(sql, sizeof(sql),
             "SELECT u.id, u.username, u.display_name, u.role, u.region FROM user_directory u%s "
             "ORDER BY length(u.region_prefix) DESC, u.display_name, u.id LIMIT 200",
             w.sql);
    if ((*items = json_array()) == NULL)
        return FK_ERR_NOMEM;
    return fk_where_each(db, sql, &w, NULL, 0, staff_row, *items, NULL, NULL);
}

enum fk_err fk_cp_incident_insert(struct fk_conn *db, const struct fk_caller *who,
                                  const struct fk_cp_incident_input *in, int64_t now, int64_t *id)
{
    char id_blind[FK_BLIND_LEN], phone_blind[FK_BLIND_LEN];
    char *id_sealed = NULL, *phone_sealed = NULL;
    enum fk_err err = FK_OK;
    *id = 0;
    if (in->id_number != NULL) {
        fk_pii_blind(who->key, "id_number", in->id_number, id_blind);
        err = fk_pii_seal(who->key, "id_number", in->id_number, &id_sealed);
    }
    if (err == FK_OK && in->phone != NULL) {
        fk_pii_blind(who->key, "phone", in->phone, phone_blind);
        err = fk_pii_seal(who->key, "phone", in->phone, &phone_sealed);
    }
    if (err == FK_OK && (err = fk_db_begin(db)) == FK_OK) {
        err = fk_db_run(db, id,
                        "INSERT INTO checkpoint_incidents(checkpoint_id, kind, occurred_at, plate, "
                        "person_name, id_sealed, id_blind, phone_sealed, phone_blind, description, "
                        "police_referral, police_station, note, created_by, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "RETURNING id",
                        "itit"
                        "ttttt"
                        "titt"
                        "iii",
                        in->checkpoint_id, in->kind, in->occurred_at, in->plate, in->person_name,
                        id_sealed, id_sealed ? id_blind : NULL, phone_sealed,
                        phone_sealed ? phone_blind : NULL, in->description,
                        (int64_t)in->police_referral, in->police_station, in->note, who->user_id,
                        now, now);
        err = fk_caller_audit(
            db, err, who, "incident_create", "checkpoint_incident", *id, 0,
            json_pack("{s:I,s:s,s:s,s:b,s:b}", "checkpoint_id", (json_int_t)in->checkpoint_id,
                      "region", in->region, "kind", in->kind, "person",
                      id_sealed != NULL || in->person_name != NULL || phone_sealed != NULL,
                      "police_referral", in->police_referral));
        err = fk_caller_finish(db, err);
    }
    free(id_sealed);
    free(phone_sealed);
    return err;
}

enum fk_err fk_cp_incident_update(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                                  const struct fk_cp_referral *r, const json_t *fields, int64_t now)
{
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE checkpoint_incidents SET police_referral = ?, police_station = ?, "
                        "referral_outcome = ?, note = ?, updated_at = ? WHERE id = ?",
                        "itttii", (int64_t)r->police_referral, r->has_station ? r->station : NULL,
                        r->has_outcome ? r->outcome : NULL, r->has_note ? r->note : NULL, now, id);
    return finish_update(db, err, who, "incident_update", "checkpoint_incident", id, fields);
}

/* ---------- the lookups other modules use (checkpoints.h) ---------- */

static enum fk_err checkpoint_read(struct fk_stmt *st, void *ctx)
{
    struct fk_checkpoint *out = ctx;
    memset(out, 0, sizeof(*out));
    out->id = fk_stmt_int64(st, 0);
    snprintf(out->name, sizeof(out->name), "%s", fk_stmt_text(st, 1));
    out->level = (int)fk_stmt_int64(st, 2);
    snprintf(out->type, sizeof(out->type), "%s", fk_stmt_text(st, 3));
    snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 4));
    out->open = strcmp(fk_stmt_text(st, 5), "open") == 0;
    return FK_OK;
}

enum fk_err fk_checkpoint_get(struct fk_conn *db, int64_t id, struct fk_checkpoint *out)
{
    return checkpoint_row(
        db, "SELECT id, name, level, type, region, state FROM checkpoints WHERE id = ?", id,
        checkpoint_read, out);
}

enum fk_err fk_checkpoint_staff_on_duty(struct fk_conn *db, int64_t checkpoint_id, int64_t user_id,
                                        int64_t at, int *yes)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT 1 FROM checkpoint_shifts WHERE checkpoint_id = ? AND "
                                  "user_id = ? AND starts_at <= ? AND ends_at > ?",
                                  "iiii", checkpoint_id, user_id, at, at);
    if (err != FK_OK)
        return err;
    *yes = row;
    fk_stmt_free(st);
    return FK_OK;
}
