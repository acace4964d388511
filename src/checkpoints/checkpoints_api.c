/* HTTP handlers of the checkpoint registry, the helpers the module's handler
 * files share (input, list filter, replies) and the route table of the whole
 * module. A checkpoint outside the caller's jurisdiction does not exist
 * (404); community workers may register only community and compound gates
 * (level 4) in their community. */
#include "checkpoints/checkpoints_internal.h"
#include "core/clock.h"
#include "core/parse.h"
#include "regions/regions.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
            return fk_reply_invalid(req, name, "不支持的字段");
    }
    return 0;
}

int fk_cp_text_or_reply(struct fk_req *req, const char *name, int required, size_t max,
                        const char **out)
{
    if (fk_json_str_or_reply(req, name, required, max, out) != 0)
        return -1;
    if (*out != NULL && !fk_text_plain(*out))
        return fk_reply_invalid(req, name, "字段含有控制字符");
    return 0;
}

int fk_cp_time_or_reply(struct fk_req *req, const char *name, int64_t *out)
{
    const char *text;
    if (fk_json_str_or_reply(req, name, 1, 40, &text) != 0)
        return -1;
    if (fk_time_parse(text, out) != FK_OK)
        return fk_reply_invalid(req, name,
                                "时间格式应为 RFC 3339（例如 2022-03-02T08:00:00+08:00）");
    return 0;
}

int fk_cp_checkpoint_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *out)
{
    int64_t id;
    if (fk_path_id_or_reply(req, "id", FK_E_CHECKPOINT_NOT_FOUND, "id", &id) != 0)
        return -1;
    enum fk_err err = fk_checkpoint_get(db, id, out);
    if (err == FK_OK && !fk_req_covers(req, out->region))
        err = FK_ERR_NOT_FOUND;
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_CHECKPOINT_NOT_FOUND, "id");
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
        return fk_reply_invalid(req, name, message);
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
            return fk_reply_invalid(req, "level", "级别应为 1–4");
        const char *q = fk_req_query(req, "q");
        if (q != NULL && q[0] != '\0') {
            if (strlen(q) > FK_CHECKPOINT_NAME_MAX || !fk_text_plain(q))
                return fk_reply_invalid(req, "q", "搜索词过长或含有控制字符");
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
            return fk_reply_invalid(req, "user", "应为 me 或用户编号");
    }
    return 0;
}

static int degrees_or_reply(struct fk_req *req, const char *name, double limit, int *present,
                            int64_t *out)
{
    json_t *value = json_object_get(req->json, name);
    *present = 0;
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_number(value))
        return fk_reply_invalid(req, name, "经纬度应为数字");
    double v = json_number_value(value);
    if (!isfinite(v) || v < -limit || v > limit)
        return fk_reply_invalid(
            req, name, limit < 100 ? "纬度应在 -90 到 90 之间" : "经度应在 -180 到 180 之间");
    *present = 1;
    *out = llround(v * 1e6);
    return 0;
}

/* Reads the body into v (prefilled with the current values on PATCH). */
static int values_or_reply(struct fk_req *req, struct fk_conn *db, int create,
                           struct fk_cp_values *v)
{
    static const char *const create_fields[] = {"name",     "level", "type", "region",
                                                "location", "lat",   "lng",  "sampling_point",
                                                "state",    "note",  NULL};
    static const char *const patch_fields[] = {"name", "level",          "type",  "location", "lat",
                                               "lng",  "sampling_point", "state", "note",     NULL};
    if (fk_cp_only_fields_or_reply(req, create ? create_fields : patch_fields) != 0)
        return -1;
    if (!create && json_object_size(req->json) == 0)
        return fk_reply_invalid(req, "body", "没有要修改的字段");
    const char *text;
    int present;
    if (create || json_object_get(req->json, "name")) {
        if (fk_cp_text_or_reply(req, "name", 1, FK_CHECKPOINT_NAME_MAX, &text) != 0)
            return -1;
        snprintf(v->name, sizeof(v->name), "%s", text);
    }
    if (create || json_object_get(req->json, "level")) {
        if (fk_json_int_or_reply(req, "level", 1, 1, 4, &present, &v->level) != 0)
            return -1;
    }
    if (create || json_object_get(req->json, "type")) {
        if (fk_json_str_or_reply(req, "type", 1, 20, &text) != 0)
            return -1;
        if (!fk_checkpoint_type_known(text))
            return fk_reply_invalid(
                req, "type",
                "类型应为 highway_exit（高速出口）、road（国省道卡口）、"
                "railway_station（火车站）、bus_station（汽车站）、airport（机场）、"
                "community_gate（社区卡口）、compound_gate（小区门岗）之一");
        snprintf(v->type, sizeof(v->type), "%s", text);
    }
    if (create) {
        if (fk_json_str_or_reply(req, "region", 1, 18, &text) != 0)
            return -1;
        char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
        const char *reason;
        struct fk_region region;
        if (fk_region_normalize(text, code, prefix, &reason) != FK_OK) {
            fk_reply_err(req, FK_E_REGION_FORMAT, "region");
            return -1;
        }
        enum fk_err err = fk_region_get(db, code, &region);
        if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, region.prefix)))
            return fk_reply_invalid(req, "region", "区划不存在或不在管辖范围内");
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return -1;
        }
        snprintf(v->region, sizeof(v->region), "%s", region.code);
    }
    if (json_object_get(req->json, "location")) {
        if (fk_cp_text_or_reply(req, "location", 0, FK_CHECKPOINT_LOCATION_MAX, &text) != 0)
            return -1;
        snprintf(v->location, sizeof(v->location), "%s", text ? text : "");
    }
    if (json_object_get(req->json, "lat") || json_object_get(req->json, "lng")) {
        int has_lat, has_lng;
        int64_t lat = 0, lng = 0;
        if (degrees_or_reply(req, "lat", 90, &has_lat, &lat) != 0 ||
            degrees_or_reply(req, "lng", 180, &has_lng, &lng) != 0)
            return -1;
        if (has_lat != has_lng)
            return fk_reply_invalid(req, has_lat ? "lng" : "lat", "经度和纬度须同时填写或同时留空");
        v->has_position = has_lat;
        v->lat_e6 = lat;
        v->lng_e6 = lng;
    }
    if (json_object_get(req->json, "sampling_point")) {
        if (fk_cp_text_or_reply(req, "sampling_point", 0, FK_CHECKPOINT_NAME_MAX, &text) != 0)
            return -1;
        v->has_sampling = text != NULL;
        snprintf(v->sampling_point, sizeof(v->sampling_point), "%s", text ? text : "");
    }
    if (json_object_get(req->json, "state")) {
        if (fk_json_str_or_reply(req, "state", 1, 8, &text) != 0)
            return -1;
        if (strcmp(text, "open") != 0 && strcmp(text, "closed") != 0)
            return fk_reply_invalid(req, "state", "状态应为 open（运行）或 closed（撤除）");
        snprintf(v->state, sizeof(v->state), "%s", text);
    }
    if (json_object_get(req->json, "note")) {
        if (fk_cp_text_or_reply(req, "note", 0, FK_CHECKPOINT_NOTE_MAX, &text) != 0)
            return -1;
        v->has_note = text != NULL;
        snprintf(v->note, sizeof(v->note), "%s", text ? text : "");
    }
    /* Community workers keep the gates of their community (level 4). */
    if (req->actor.role == FK_ROLE_COMMUNITY_WORKER) {
        if (!fk_checkpoint_type_is_gate(v->type))
            return fk_reply_invalid(req, "type", "社区工作人员只能登记社区卡口或小区门岗");
        if (v->level != 4)
            return fk_reply_invalid(req, "level", "社区卡口和小区门岗为四级卡口");
    }
    return 0;
}

void fk_cp_reply_record(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind, int64_t id,
                        unsigned status, enum fk_ecode not_found)
{
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *body = NULL;
    enum fk_err err = fk_cp_load(db, &who, kind, id, &body);
    if (err == FK_ERR_NOT_FOUND)
        fk_reply_err(req, not_found, "id");
    else if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, status, body);
}

void fk_cp_reply_list(struct fk_req *req, enum fk_cp_kind kind, int of_checkpoint)
{
    struct fk_cp_filter filter, *f = &filter;
    struct fk_conn *db = NULL;
    if (of_checkpoint) {
        struct fk_checkpoint cp;
        if ((db = fk_req_db(req)) == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0 ||
            fk_cp_filter_or_reply(req, kind, f) != 0)
            return;
        f->checkpoint_id = cp.id;
    } else if (fk_cp_filter_or_reply(req, kind, f) != 0)
        return;
    int64_t page, per_page, total;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    if (db == NULL && (db = fk_req_db(req)) == NULL)
        return;
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *items = NULL;
    enum fk_err err = fk_cp_list(db, &who, kind, f, page, per_page, &items, &total);
    if (kind == FK_CP_INCIDENT)
        fk_req_audit(req, &err, "incident_list", "checkpoint_incident", 0, 0,
                     json_pack("{s:s,s:I,s:I,s:I}", "region", f->scope, "checkpoint_id",
                               (json_int_t)f->checkpoint_id, "page", (json_int_t)page, "rows",
                               (json_int_t)json_array_size(items)));
    fk_reply_list(req, err, items, total, page, per_page);
}

void fk_cp_export(struct fk_req *req, enum fk_cp_kind kind, const struct fk_cp_ledger *ledger)
{
    int xlsx;
    struct fk_cp_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || fk_cp_filter_or_reply(req, kind, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, ledger->sheet, ledger->headers, ledger->widths,
                       ledger->columns) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t count = 0;
    enum fk_err err = fk_cp_each(db, &who, kind, &f, ledger->row, &lg, &count);
    fk_req_audit(req, &err, ledger->action, ledger->target_type, 0, 0,
                 json_pack("{s:s,s:s,s:I}", "region", f.scope, "format", xlsx ? "xlsx" : "csv",
                           "rows", (json_int_t)count));
    fk_ledger_finish(req, &lg, err, ledger->base);
}

/* The changed member names of the body: a new array. */
json_t *fk_cp_changed_fields(struct fk_req *req)
{
    json_t *fields = json_array();
    const char *name;
    json_t *value;
    json_object_foreach(req->json, name, value) json_array_append_new(fields, json_string(name));
    return fields;
}

static void create_checkpoint(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_cp_values v;
    memset(&v, 0, sizeof(v));
    snprintf(v.state, sizeof(v.state), "open");
    if (values_or_reply(req, db, 1, &v) != 0)
        return;
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t id = 0;
    enum fk_err err = fk_cp_checkpoint_insert(db, &who, &v, fk_now(), &id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_cp_reply_record(req, db, FK_CP_CHECKPOINT, id, 201, FK_E_CHECKPOINT_NOT_FOUND);
}

static void list_checkpoints(struct fk_req *req)
{
    fk_cp_reply_list(req, FK_CP_CHECKPOINT, 0);
}

static void get_checkpoint(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    fk_cp_reply_record(req, db, FK_CP_CHECKPOINT, cp.id, 200, FK_E_CHECKPOINT_NOT_FOUND);
}

static void patch_checkpoint(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    struct fk_cp_values v;
    enum fk_err err = fk_cp_values_load(db, cp.id, &v);
    if (err != FK_OK) {
        fk_reply_fail(req, err, "id");
        return;
    }
    if (req->actor.role == FK_ROLE_COMMUNITY_WORKER && !fk_checkpoint_type_is_gate(v.type)) {
        fk_reply_err(req, FK_E_CHECKPOINT_GATES_ONLY, NULL);
        return;
    }
    if (values_or_reply(req, db, 0, &v) != 0)
        return;
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *fields = fk_cp_changed_fields(req);
    err = fk_cp_checkpoint_update(db, &who, cp.id, &v, fields, fk_now());
    json_decref(fields);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_cp_reply_record(req, db, FK_CP_CHECKPOINT, cp.id, 200, FK_E_CHECKPOINT_NOT_FOUND);
}

static void checkpoint_row(json_t *r, int64_t seq, void *ctx)
{
    char n[24], lat[32] = "", lng[32] = "", updated[17];
    snprintf(n, sizeof(n), "%lld", (long long)seq);
    if (json_is_number(json_object_get(r, "lat"))) {
        snprintf(lat, sizeof(lat), "%.6f", json_number_value(json_object_get(r, "lat")));
        snprintf(lng, sizeof(lng), "%.6f", json_number_value(json_object_get(r, "lng")));
    }
    fk_cp_ledger_time(fk_cp_text_of(r, "updated_at"), updated);
    const char *cells[] = {n,
                           fk_cp_text_of(r, "name"),
                           fk_cp_text_of(r, "level_label"),
                           fk_cp_text_of(r, "type_label"),
                           fk_cp_text_of(r, "region"),
                           fk_cp_text_of(r, "region_name"),
                           fk_cp_text_of(r, "location"),
                           lat,
                           lng,
                           fk_cp_text_of(r, "sampling_point"),
                           strcmp(fk_cp_text_of(r, "state"), "open") == 0 ? "运行" : "撤除",
                           updated,
                           fk_cp_text_of(r, "note")};
    fk_ledger_row(ctx, cells, (int)(sizeof(cells) / sizeof(cells[0])));
}

static void export_checkpoints(struct fk_req *req)
{
    static const char *const headers[] = {"序号",     "卡口名称", "级别", "类型", "区划代码",
                                          "所属区划", "位置",     "纬度", "经度", "采样点",
                                          "状态",     "更新时间", "备注"};
    static const double widths[] = {8, 24, 14, 12, 16, 20, 30, 12, 12, 20, 8, 18, 30};
    static const struct fk_cp_ledger ledger = {"卡口台账",   headers,        widths,
                                               13,           checkpoint_row, "checkpoint_export",
                                               "checkpoint", "checkpoints"};
    fk_cp_export(req, FK_CP_CHECKPOINT, &ledger);
}

#define Q(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define ID_PARAM                                                                                   \
    "{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}},"
#define PAGE_PARAMS Q("page", "integer") "," Q("per_page", "integer")

static const struct fk_route routes[] = {
    {"GET", "/api/v1/checkpoints/export", export_checkpoints, 0, FK_CP_READERS, "checkpoints",
     "导出卡口台账（format=xlsx|csv，筛选同列表）",
     "{\"parameters\":[" Q("format", "string") "," Q("region", "string") "," Q(
         "type", "string") "," Q("level", "integer") "," Q("state", "string") "," Q("q",
                                                                                    "string") "]}"},
    {"POST", "/api/v1/checkpoints", create_checkpoint, 0, FK_CP_MANAGERS, "checkpoints",
     "登记卡口：{name,level,type,region,location,lat,lng,sampling_point,state,note}", NULL},
    {"GET", "/api/v1/checkpoints", list_checkpoints, 0, FK_CP_READERS, "checkpoints", "卡口列表",
     "{\"parameters\":[" Q("region", "string") "," Q("type", "string") "," Q(
         "level", "integer") "," Q("state", "string") "," Q("q", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/checkpoints/{id}", get_checkpoint, 0, FK_CP_READERS, "checkpoints", "卡口详情",
     NULL},
    {"PATCH", "/api/v1/checkpoints/{id}", patch_checkpoint, 0, FK_CP_MANAGERS, "checkpoints",
     "修改卡口（区划不可改）", NULL},
    {"POST", "/api/v1/checkpoints/{id}/shifts", fk_cp_shift_create, 0, FK_CP_MANAGERS,
     "checkpoints", "排班：{user_id,starts_at,ends_at,post,note}（不超过 24 小时，同一人不得重叠）",
     NULL},
    {"GET", "/api/v1/checkpoints/{id}/shifts", fk_cp_shift_list, 0, FK_CP_READERS, "checkpoints",
     "卡口的值班记录",
     "{\"parameters\":[" ID_PARAM Q("from", "string") "," Q("until", "string") "," PAGE_PARAMS
                                                                               "]}"},
    {"DELETE", "/api/v1/checkpoints/{id}/shifts/{shift_id}", fk_cp_shift_delete, 0, FK_CP_MANAGERS,
     "checkpoints", "删除排班", NULL},
    {"GET", "/api/v1/checkpoints/{id}/staff", fk_cp_shift_staff, 0, FK_CP_MANAGERS, "checkpoints",
     "可排班人员：管辖范围包含该卡口的在用工作人员", NULL},
    {"POST", "/api/v1/checkpoints/{id}/incidents", fk_cp_incident_create, 0, FK_CP_READERS,
     "checkpoints",
     "登记事件：{kind,occurred_at,plate,person:{id_number,name,phone},description,"
     "police_referral,police_station}",
     NULL},
    {"GET", "/api/v1/checkpoints/{id}/incidents", fk_cp_incident_list, 0, FK_CP_READERS,
     "checkpoints", "卡口的事件",
     "{\"parameters\":[" ID_PARAM Q("from", "string") "," Q("until", "string") "," Q(
         "kind", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/shifts/export", fk_cp_roster_export, 0, FK_CP_READERS, "checkpoints",
     "导出值班表（format=xlsx|csv，筛选同列表）",
     "{\"parameters\":[" Q("format", "string") "," Q("region", "string") "," Q(
         "from", "string") "," Q("until", "string") "," Q("user", "string") "]}"},
    {"GET", "/api/v1/shifts", fk_cp_roster, 0, FK_CP_READERS, "checkpoints",
     "值班表：管辖范围内各卡口的排班（user=me：我的）",
     "{\"parameters\":[" Q("region", "string") "," Q("from", "string") "," Q(
         "until", "string") "," Q("user", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/incidents/export", fk_cp_incident_export, 0, FK_CP_READERS, "checkpoints",
     "导出卡口事件台账（format=xlsx|csv）",
     "{\"parameters\":[" Q("format", "string") "," Q("region", "string") "," Q(
         "from", "string") "," Q("until", "string") "," Q("kind", "string") "]}"},
    {"GET", "/api/v1/incidents", fk_cp_incident_list_all, 0, FK_CP_READERS, "checkpoints",
     "卡口事件列表",
     "{\"parameters\":[" Q("region", "string") "," Q("from", "string") "," Q(
         "until", "string") "," Q("kind", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/incidents/{id}", fk_cp_incident_get, 0, FK_CP_READERS, "checkpoints",
     "卡口事件详情", NULL},
    {"PATCH", "/api/v1/incidents/{id}", fk_cp_incident_patch, 0, FK_CP_READERS, "checkpoints",
     "更新移交公安情况：{police_referral,police_station,referral_outcome,note}", NULL},
};

enum fk_err fk_checkpoints_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
