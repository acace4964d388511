/* HTTP handlers of the checkpoint registry and the route table of the whole
 * module. A checkpoint outside the caller's jurisdiction does not exist
 * (404); community workers may register only community and compound gates
 * (level 4) in their community. */
#include "checkpoints/checkpoints_internal.h"
#include "core/clock.h"
#include "regions/regions.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The editable fields of a checkpoint. */
struct values {
    char name[FK_CHECKPOINT_NAME_MAX + 1];
    int64_t level;
    char type[20];
    char region[FK_REGION_CODE_LEN];
    char location[FK_CHECKPOINT_LOCATION_MAX + 1];
    int has_position;
    int64_t lat_e6, lng_e6;
    int has_sampling;
    char sampling_point[FK_CHECKPOINT_NAME_MAX + 1];
    char state[8];
    int has_note;
    char note[FK_CHECKPOINT_NOTE_MAX + 1];
};

static int degrees_or_reply(struct fk_req *req, const char *name, double limit, int *present,
                            int64_t *out)
{
    json_t *value = json_object_get(req->json, name);
    *present = 0;
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_number(value))
        return fk_cp_invalid(req, name, "经纬度应为数字");
    double v = json_number_value(value);
    if (!isfinite(v) || v < -limit || v > limit)
        return fk_cp_invalid(req, name,
                             limit < 100 ? "纬度应在 -90 到 90 之间" : "经度应在 -180 到 180 之间");
    *present = 1;
    *out = llround(v * 1e6);
    return 0;
}

/* Reads the body into v (prefilled with the current values on PATCH). */
static int values_or_reply(struct fk_req *req, struct fk_conn *db, int create, struct values *v)
{
    static const char *const create_fields[] = {"name",     "level", "type", "region",
                                                "location", "lat",   "lng",  "sampling_point",
                                                "state",    "note",  NULL};
    static const char *const patch_fields[] = {"name", "level",          "type",  "location", "lat",
                                               "lng",  "sampling_point", "state", "note",     NULL};
    if (fk_cp_only_fields_or_reply(req, create ? create_fields : patch_fields) != 0)
        return -1;
    if (!create && json_object_size(req->json) == 0)
        return fk_cp_invalid(req, "body", "没有要修改的字段");
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
            return fk_cp_invalid(
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
        if (fk_region_normalize(text, code, prefix, &reason) != FK_OK)
            return fk_cp_invalid(req, "region", "区划代码格式错误");
        enum fk_err err = fk_region_get(db, code, &region);
        if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, region.prefix)))
            return fk_cp_invalid(req, "region", "区划不存在或不在管辖范围内");
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
            return fk_cp_invalid(req, has_lat ? "lng" : "lat", "经度和纬度须同时填写或同时留空");
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
            return fk_cp_invalid(req, "state", "状态应为 open（运行）或 closed（撤除）");
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
            return fk_cp_invalid(req, "type", "社区工作人员只能登记社区卡口或小区门岗");
        if (v->level != 4)
            return fk_cp_invalid(req, "level", "社区卡口和小区门岗为四级卡口");
    }
    return 0;
}

static void reply_checkpoint(struct fk_req *req, struct fk_conn *db, unsigned status, int64_t id)
{
    json_t *body = NULL;
    enum fk_err err = fk_cp_load(req, db, FK_CP_CHECKPOINT, id, &body);
    if (err == FK_ERR_NOT_FOUND)
        fk_reply_error(req, 404, "checkpoint_not_found", "卡口不存在或不在管辖范围内", "id");
    else if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, status, body);
}

static void create_checkpoint(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct values v;
    memset(&v, 0, sizeof(v));
    snprintf(v.state, sizeof(v.state), "open");
    if (values_or_reply(req, db, 1, &v) != 0)
        return;
    int64_t now = fk_now(), id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, &id,
                        "INSERT INTO checkpoints(name, level, type, region, location, lat_e6, "
                        "lng_e6, sampling_point, state, note, created_by, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        "titttttttt"
                        "iii",
                        v.name, v.level, v.type, v.region, v.location, (const char *)NULL,
                        (const char *)NULL, v.has_sampling ? v.sampling_point : NULL, v.state,
                        v.has_note ? v.note : NULL, req->actor.user_id, now, now);
    if (err == FK_OK && v.has_position)
        err = fk_db_run(db, NULL, "UPDATE checkpoints SET lat_e6 = ?, lng_e6 = ? WHERE id = ?",
                        "iii", v.lat_e6, v.lng_e6, id);
    fk_cp_audit(req, &err, "checkpoint_create", "checkpoint", id,
                json_pack("{s:s,s:s,s:I}", "region", v.region, "type", v.type, "level",
                          (json_int_t)v.level));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_checkpoint(req, db, 201, id);
}

static void list_checkpoints(struct fk_req *req)
{
    struct fk_cp_filter f;
    int64_t page, per_page, total;
    if (fk_cp_filter_or_reply(req, FK_CP_CHECKPOINT, &f) != 0 ||
        fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = NULL;
    enum fk_err err = fk_cp_list(req, db, FK_CP_CHECKPOINT, &f, page, per_page, &items, &total);
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void get_checkpoint(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    reply_checkpoint(req, db, 200, cp.id);
}

static void patch_checkpoint(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    struct values v;
    memset(&v, 0, sizeof(v));
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT name, level, type, region, location, lat_e6, lng_e6, "
                                  "sampling_point, state, note FROM checkpoints WHERE id = ?",
                                  "i", cp.id);
    if (err != FK_OK || !row) {
        if (err == FK_OK)
            fk_stmt_free(st);
        fk_reply_fail(req, err == FK_OK ? FK_ERR_NOT_FOUND : err, "id");
        return;
    }
    snprintf(v.name, sizeof(v.name), "%s", fk_stmt_text(st, 0));
    v.level = fk_stmt_int64(st, 1);
    snprintf(v.type, sizeof(v.type), "%s", fk_stmt_text(st, 2));
    snprintf(v.region, sizeof(v.region), "%s", fk_stmt_text(st, 3));
    snprintf(v.location, sizeof(v.location), "%s", fk_stmt_text(st, 4));
    v.has_position = !fk_stmt_is_null(st, 5);
    v.lat_e6 = fk_stmt_int64(st, 5);
    v.lng_e6 = fk_stmt_int64(st, 6);
    v.has_sampling = !fk_stmt_is_null(st, 7);
    snprintf(v.sampling_point, sizeof(v.sampling_point), "%s",
             fk_stmt_text(st, 7) ? fk_stmt_text(st, 7) : "");
    snprintf(v.state, sizeof(v.state), "%s", fk_stmt_text(st, 8));
    v.has_note = !fk_stmt_is_null(st, 9);
    snprintf(v.note, sizeof(v.note), "%s", fk_stmt_text(st, 9) ? fk_stmt_text(st, 9) : "");
    fk_stmt_free(st);
    if (req->actor.role == FK_ROLE_COMMUNITY_WORKER && !fk_checkpoint_type_is_gate(v.type)) {
        fk_reply_error(req, 403, "forbidden", "社区工作人员只能修改社区卡口或小区门岗", NULL);
        return;
    }
    if (values_or_reply(req, db, 0, &v) != 0)
        return;
    json_t *fields = json_array();
    const char *name;
    json_t *value;
    json_object_foreach(req->json, name, value) json_array_append_new(fields, json_string(name));
    int64_t now = fk_now();
    err = fk_db_begin(db);
    if (err == FK_OK)
        err =
            fk_db_run(db, NULL,
                      "UPDATE checkpoints SET name = ?, level = ?, type = ?, location = ?, "
                      "sampling_point = ?, state = ?, note = ?, updated_at = ? WHERE id = ?",
                      "tittttt"
                      "ii",
                      v.name, v.level, v.type, v.location, v.has_sampling ? v.sampling_point : NULL,
                      v.state, v.has_note ? v.note : NULL, now, cp.id);
    if (err == FK_OK)
        err =
            v.has_position
                ? fk_db_run(db, NULL, "UPDATE checkpoints SET lat_e6 = ?, lng_e6 = ? WHERE id = ?",
                            "iii", v.lat_e6, v.lng_e6, cp.id)
                : fk_db_run(db, NULL,
                            "UPDATE checkpoints SET lat_e6 = NULL, lng_e6 = NULL WHERE id = ?", "i",
                            cp.id);
    fk_cp_audit(req, &err, "checkpoint_update", "checkpoint", cp.id,
                json_pack("{s:o}", "fields", fields));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_checkpoint(req, db, 200, cp.id);
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
    int xlsx;
    struct fk_cp_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 ||
        fk_cp_filter_or_reply(req, FK_CP_CHECKPOINT, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {"序号",     "卡口名称", "级别", "类型", "区划代码",
                                          "所属区划", "位置",     "纬度", "经度", "采样点",
                                          "状态",     "更新时间", "备注"};
    static const double widths[] = {8, 24, 14, 12, 16, 20, 30, 12, 12, 20, 8, 18, 30};
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "卡口台账", headers, widths, 13) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    int64_t count = 0;
    enum fk_err err = fk_cp_each(req, db, FK_CP_CHECKPOINT, &f, checkpoint_row, &lg, &count);
    fk_cp_audit(req, &err, "checkpoint_export", "checkpoint", 0,
                json_pack("{s:s,s:s,s:I}", "region", f.scope, "format", xlsx ? "xlsx" : "csv",
                          "rows", (json_int_t)count));
    fk_ledger_finish(req, &lg, err, "checkpoints");
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
