/* Checkpoint SQL shared by the three record kinds: the filter, the WHERE
 * clause and its bindings, each kind's columns and JSON, lists, loads by id
 * and the keyset walk the ledgers use. Every query joins the checkpoint as
 * `c` and limits c.region to the jurisdiction. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "checkpoints/checkpoints_internal.h"
#include "residents/residents.h"

#include <stdio.h>
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
                     "users u ON u.id = s.user_id",
                     "s.id", "s.starts_at, s.id"},
    [FK_CP_INCIDENT] = {"i.id, i.checkpoint_id, c.name, c.region, i.kind, i.occurred_at, i.plate, "
                        "i.person_name, i.id_sealed, i.phone_sealed, i.description, "
                        "i.police_referral, i.police_station, i.referral_outcome, i.note, "
                        "i.created_at, i.updated_at, COALESCE(u.display_name, '')",
                        " FROM checkpoint_incidents i JOIN checkpoints c ON c.id = i.checkpoint_id "
                        "LEFT JOIN users u ON u.id = i.created_by",
                        "i.id", "i.occurred_at DESC, i.id DESC"},
};

int fk_cp_invalid(struct fk_req *req, const char *field, const char *message)
{
    fk_reply_error(req, 422, "invalid_field", message, field);
    return -1;
}

int fk_cp_missing(struct fk_req *req, const char *field)
{
    fk_reply_error(req, 422, "missing_field", "缺少必填字段", field);
    return -1;
}

int fk_cp_only_fields_or_reply(struct fk_req *req, const char *const *allowed)
{
    const char *name;
    json_t *value;
    json_object_foreach(req->json, name, value)
    {
        size_t k = 0;
        while (allowed[k] != NULL && strcmp(allowed[k], name) != 0)
            k++;
        if (allowed[k] == NULL)
            return fk_cp_invalid(req, name, "不支持的字段");
    }
    return 0;
}

int fk_cp_text_or_reply(struct fk_req *req, const char *name, int required, size_t max,
                        const char **out)
{
    if (fk_json_str_or_reply(req, name, required, max, out) != 0)
        return -1;
    if (*out != NULL && !fk_text_plain(*out))
        return fk_cp_invalid(req, name, "字段含有控制字符");
    return 0;
}

int fk_cp_time_or_reply(struct fk_req *req, const char *name, int64_t *out)
{
    const char *text;
    if (fk_json_str_or_reply(req, name, 1, 40, &text) != 0)
        return -1;
    if (fk_time_parse(text, out) != FK_OK)
        return fk_cp_invalid(req, name, "时间格式应为 RFC 3339（例如 2022-03-02T08:00:00+08:00）");
    return 0;
}

void fk_cp_audit(struct fk_req *req, enum fk_err *err, const char *action, const char *target_type,
                 int64_t id, json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    if (*err == FK_OK)
        *err = fk_audit_req(req, action, target_type, id ? id_text : NULL, 0, detail);
    json_decref(detail);
}

int fk_cp_id_or_reply(struct fk_req *req, const char *name, const char *code, const char *message,
                      int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, name), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_error(req, 404, code, message, name);
        return -1;
    }
    return 0;
}

int fk_cp_checkpoint_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *out)
{
    int64_t id;
    if (fk_cp_id_or_reply(req, "id", "checkpoint_not_found", "卡口不存在或不在管辖范围内", &id) !=
        0)
        return -1;
    enum fk_err err = fk_checkpoint_get(db, id, out);
    if (err == FK_OK && !fk_req_covers(req, out->region))
        err = FK_ERR_NOT_FOUND;
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_error(req, 404, "checkpoint_not_found", "卡口不存在或不在管辖范围内", "id");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

void fk_cp_ledger_time(const char *rfc3339, char out[17])
{
    snprintf(out, 17, "%s", rfc3339 ? rfc3339 : "");
    if (strlen(out) == 16)
        out[10] = ' ';
}

const char *fk_cp_text_of(json_t *object, const char *name)
{
    const char *text = json_string_value(json_object_get(object, name));
    return text ? text : "";
}

/* ---------- the filter ---------- */

static int query_value_or_reply(struct fk_req *req, const char *name, int (*known)(const char *),
                                const char *message, const char **out)
{
    const char *text = fk_req_query(req, name);
    *out = NULL;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (!known(text))
        return fk_cp_invalid(req, name, message);
    *out = text;
    return 0;
}

static int state_known(const char *text)
{
    return strcmp(text, "open") == 0 || strcmp(text, "closed") == 0;
}

int fk_cp_filter_or_reply(struct fk_req *req, enum fk_cp_kind kind, struct fk_cp_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (fk_scope_or_reply(req, f->scope) != 0)
        return -1;
    if (kind == FK_CP_CHECKPOINT) {
        if (query_value_or_reply(req, "type", fk_checkpoint_type_known,
                                 "类型应为 highway_exit、road、railway_station、bus_station、"
                                 "airport、community_gate、compound_gate 之一",
                                 &f->type) != 0 ||
            query_value_or_reply(req, "state", state_known, "状态应为 open 或 closed", &f->state) !=
                0)
            return -1;
        const char *level = fk_req_query(req, "level");
        if (level != NULL && level[0] != '\0' && fk_parse_int64(level, 1, 4, &f->level) != FK_OK)
            return fk_cp_invalid(req, "level", "级别应为 1–4");
        const char *q = fk_req_query(req, "q");
        if (q != NULL && q[0] != '\0') {
            if (strlen(q) > FK_CHECKPOINT_NAME_MAX || !fk_text_plain(q))
                return fk_cp_invalid(req, "q", "搜索词过长或含有控制字符");
            /* A substring of the name; ! escapes LIKE's wildcards. */
            size_t n = 0;
            f->q_like[n++] = '%';
            for (const char *p = q; *p; p++) {
                if (*p == '%' || *p == '_' || *p == '!')
                    f->q_like[n++] = '!';
                f->q_like[n++] = *p;
            }
            f->q_like[n++] = '%';
            f->q_like[n] = '\0';
        }
        return 0;
    }
    if (fk_query_time_or_reply(req, "from", &f->has_from, &f->from) != 0 ||
        fk_query_time_or_reply(req, "until", &f->has_until, &f->until) != 0)
        return -1;
    const char *until = fk_req_query(req, "until");
    if (f->has_until && strlen(until) == 10)
        f->until += 86400; /* a plain date includes that day */
    if (kind == FK_CP_INCIDENT &&
        query_value_or_reply(req, "kind", fk_checkpoint_incident_kind_known,
                             "事件类型应为 ran_checkpoint、refused_check、assault、other 之一",
                             &f->kind) != 0)
        return -1;
    if (kind == FK_CP_SHIFT) {
        const char *user = fk_req_query(req, "user");
        if (user != NULL && strcmp(user, "me") == 0)
            f->user_id = req->actor.user_id;
        else if (user != NULL && user[0] != '\0' &&
                 fk_parse_int64(user, 1, INT64_MAX, &f->user_id) != FK_OK)
            return fk_cp_invalid(req, "user", "应为 me 或用户编号");
    }
    return 0;
}

/* Appends to a NUL-terminated buffer (truncating). */
static void append(char *sql, size_t size, const char *clause)
{
    size_t len = strlen(sql);
    if (len < size)
        snprintf(sql + len, size - len, "%s", clause);
}

/* The WHERE clause of f for `kind`, then " AND <id> > ?" when keyset. */
static void where_sql(enum fk_cp_kind kind, const struct fk_cp_filter *f, int keyset, char *sql,
                      size_t size)
{
    char in_region[96];
    fk_store_in_region("c.region", in_region, sizeof(in_region));
    snprintf(sql, size, " WHERE %s", in_region);
    if (f->checkpoint_id)
        append(sql, size, " AND c.id = ?");
    if (f->type)
        append(sql, size, " AND c.type = ?");
    if (f->level)
        append(sql, size, " AND c.level = ?");
    if (f->state)
        append(sql, size, " AND c.state = ?");
    if (f->q_like[0])
        append(sql, size, " AND c.name LIKE ? ESCAPE '!'");
    if (kind == FK_CP_SHIFT) {
        if (f->has_from)
            append(sql, size, " AND s.ends_at > ?");
        if (f->has_until)
            append(sql, size, " AND s.starts_at < ?");
        if (f->user_id)
            append(sql, size, " AND s.user_id = ?");
    }
    if (kind == FK_CP_INCIDENT) {
        if (f->has_from)
            append(sql, size, " AND i.occurred_at >= ?");
        if (f->has_until)
            append(sql, size, " AND i.occurred_at < ?");
        if (f->kind)
            append(sql, size, " AND i.kind = ?");
    }
    if (keyset) {
        append(sql, size, " AND ");
        append(sql, size, kinds[kind].id_col);
        append(sql, size, " > ?");
    }
}

static enum fk_err bind_filter(struct fk_stmt *st, enum fk_cp_kind kind,
                               const struct fk_cp_filter *f, int keyset, int64_t after, int *idx)
{
    enum fk_err err = fk_stmt_bind_region(st, *idx, f->scope);
    *idx += 2;
    if (err == FK_OK && f->checkpoint_id)
        err = fk_stmt_bind_int64(st, (*idx)++, f->checkpoint_id);
    if (err == FK_OK && f->type)
        err = fk_stmt_bind_text(st, (*idx)++, f->type);
    if (err == FK_OK && f->level)
        err = fk_stmt_bind_int64(st, (*idx)++, f->level);
    if (err == FK_OK && f->state)
        err = fk_stmt_bind_text(st, (*idx)++, f->state);
    if (err == FK_OK && f->q_like[0])
        err = fk_stmt_bind_text(st, (*idx)++, f->q_like);
    if (kind != FK_CP_CHECKPOINT) {
        if (err == FK_OK && f->has_from)
            err = fk_stmt_bind_int64(st, (*idx)++, f->from);
        if (err == FK_OK && f->has_until)
            err = fk_stmt_bind_int64(st, (*idx)++, f->until);
    }
    if (err == FK_OK && kind == FK_CP_SHIFT && f->user_id)
        err = fk_stmt_bind_int64(st, (*idx)++, f->user_id);
    if (err == FK_OK && kind == FK_CP_INCIDENT && f->kind)
        err = fk_stmt_bind_text(st, (*idx)++, f->kind);
    if (err == FK_OK && keyset)
        err = fk_stmt_bind_int64(st, (*idx)++, after);
    return err;
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

static json_t *row_json(struct fk_req *req, enum fk_cp_kind kind, struct fk_stmt *st)
{
    if (kind == FK_CP_CHECKPOINT)
        return checkpoint_json(st);
    if (kind == FK_CP_SHIFT)
        return shift_json(st);
    return incident_json(st, &req->app->pii_key, req->actor.role);
}

/* ---------- queries ---------- */

/* fk_list_run callbacks of fk_cp_list. */
struct cp_list_ctx {
    struct fk_req *req;
    enum fk_cp_kind kind;
    const struct fk_cp_filter *f;
};

static enum fk_err cp_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    const struct cp_list_ctx *c = ctx;
    return bind_filter(st, c->kind, c->f, 0, 0, idx);
}

static json_t *cp_row(struct fk_stmt *st, void *ctx)
{
    const struct cp_list_ctx *c = ctx;
    return row_json(c->req, c->kind, st);
}

enum fk_err fk_cp_list(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f, int64_t page, int64_t per_page, json_t **items,
                       int64_t *total)
{
    char where[1024], count_sql[1536], list_sql[2560];
    where_sql(kind, f, 0, where, sizeof(where));
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*)%s%s", kinds[kind].from, where);
    snprintf(list_sql, sizeof(list_sql), "SELECT %s%s%s ORDER BY %s LIMIT ? OFFSET ?",
             kinds[kind].columns, kinds[kind].from, where, kinds[kind].order);
    struct cp_list_ctx c = {req, kind, f};
    struct fk_list_query q = {count_sql, list_sql, cp_bind, &c, cp_row, &c};
    *items = json_array();
    return fk_list_run(db, &q, page, per_page, *items, total);
}

enum fk_err fk_cp_load(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind, int64_t id,
                       json_t **out)
{
    char in_region[96], sql[1536];
    fk_store_in_region("c.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "SELECT %s%s WHERE %s = ? AND %s", kinds[kind].columns,
             kinds[kind].from, kinds[kind].id_col, in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err != FK_OK)
        return err;
    err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_ERR_DONE)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK && (*out = row_json(req, kind, st)) == NULL)
        err = FK_ERR_NOMEM;
    fk_stmt_free(st);
    return err;
}

#define BATCH 2000

enum fk_err fk_cp_each(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f,
                       void (*row)(json_t *record, int64_t seq, void *ctx), void *ctx,
                       int64_t *count)
{
    char where[1024], sql[2560];
    where_sql(kind, f, 1, where, sizeof(where));
    snprintf(sql, sizeof(sql), "SELECT %s%s%s ORDER BY %s LIMIT %d", kinds[kind].columns,
             kinds[kind].from, where, kinds[kind].id_col, BATCH);
    int64_t last = 0;
    enum fk_err err = FK_OK;
    *count = 0;
    for (;;) {
        struct fk_stmt *st;
        int64_t batch_rows = 0;
        int idx = 1;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        err = bind_filter(st, kind, f, 1, last, &idx);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            json_t *record = row_json(req, kind, st);
            if (record == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            batch_rows++;
            last = fk_stmt_int64(st, 0);
            row(record, ++*count, ctx);
            json_decref(record);
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err != FK_OK || batch_rows < BATCH)
            break;
    }
    return err;
}
