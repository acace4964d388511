/* HTTP handlers for one-code vehicle passes (一码通): registration by staff
 * and by the driver on the public page (rate-limited per client address and
 * per plate), list, detail, revoke, QR image, and the routes of the whole
 * module (scans and passages are in passages_api.c).
 *
 * Passes are not regional: a pass belongs to the region of the staff member
 * who registered it and to every checkpoint that scanned it. A district-level
 * user sees all passes; others see those registered in their jurisdiction or
 * scanned at its checkpoints; outside that a pass does not exist (404). */
#include "audit/audit.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/parse.h"
#include "id/id.h"
#include "passes/passes_internal.h"
#include "http/lookup.h"
#include "http/movement_ratelimit.h"
#include "residents/residents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The public form: per client address per hour, per plate per day. */
#define LIMIT_IP 30
#define LIMIT_IP_WINDOW 3600
#define LIMIT_PLATE 5
#define LIMIT_PLATE_WINDOW 86400

#define TEXT_MAX 100
#define PURPOSE_MAX 200

static const char *const vehicle_types[] = {"car", "truck", "bus", "van", "motorcycle", "other"};

/* A string member `name` of `obj`; `field` names it in errors. 0 when fine
 * (*out NULL when absent and not required), -1 after replying 422. */
static int member_str(struct fk_req *req, json_t *obj, const char *name, const char *field,
                      int required, size_t max, const char **out)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            fk_reply_err(req, FK_E_MISSING_FIELD, field);
            return -1;
        }
        return 0;
    }
    const char *text = json_string_value(v);
    if (text == NULL)
        return fk_reply_invalid(req, field, "应为字符串");
    size_t len = strlen(text);
    if (len == 0 && required) {
        fk_reply_err(req, FK_E_MISSING_FIELD, field);
        return -1;
    }
    if (len > max || !fk_text_plain(text))
        return fk_reply_invalid(req, field, "内容过长或含有控制字符");
    *out = len ? text : NULL;
    return 0;
}

/* Reads one occupant object (`prefix` is "driver" or "passengers[i]"). */
static int occupant_or_reply(struct fk_req *req, json_t *obj, const char *prefix, int phone_needed,
                             struct fk_pass_occupant *o)
{
    char field[72];
    const char *text;
    if (!json_is_object(obj))
        return fk_reply_invalid(req, prefix, "应为对象 {id_number,name,phone}");
    snprintf(field, sizeof(field), "%s.id_number", prefix);
    if (member_str(req, obj, "id_number", field, 1, 32, &text) != 0)
        return -1;
    struct fk_resident_id id;
    const char *reason = NULL;
    if (fk_resident_id_parse(text, fk_now(), &id, &reason) != FK_OK)
        return fk_reply_invalid(req, field, fk_resident_id_message(reason));
    snprintf(o->id_number, sizeof(o->id_number), "%s", id.number);
    snprintf(field, sizeof(field), "%s.name", prefix);
    if (member_str(req, obj, "name", field, 1, FK_NAME_MAX, &text) != 0)
        return -1;
    snprintf(o->name, sizeof(o->name), "%s", text);
    snprintf(field, sizeof(field), "%s.phone", prefix);
    if (member_str(req, obj, "phone", field, phone_needed, 20, &text) != 0)
        return -1;
    o->phone[0] = '\0';
    if (text != NULL) {
        if (fk_phone_check(text, &reason) != FK_OK)
            return fk_reply_invalid(req, field, "手机号应为 11 位中国大陆手机号");
        snprintf(o->phone, sizeof(o->phone), "%s", text);
    }
    return 0;
}

static int body_or_reply(struct fk_req *req, struct fk_pass_new *p)
{
    memset(p, 0, sizeof(*p));
    const char *reason;
    json_t *body = req->json;
    if (member_str(req, body, "plate", "plate", 1, 16, &p->plate) != 0)
        return -1;
    if (fk_plate_check(p->plate, &reason) != FK_OK)
        return fk_reply_invalid(req, "plate", "车牌号格式不正确（例如 晋A12345）");
    if (member_str(req, body, "vehicle_type", "vehicle_type", 1, 16, &p->vehicle_type) != 0)
        return -1;
    int known = 0;
    for (size_t i = 0; i < sizeof(vehicle_types) / sizeof(vehicle_types[0]); i++)
        known |= strcmp(vehicle_types[i], p->vehicle_type) == 0;
    if (!known)
        return fk_reply_invalid(req, "vehicle_type",
                                "车辆类型应为 car、truck、bus、van、motorcycle 或 other");
    json_t *driver = json_object_get(body, "driver");
    if (driver == NULL || json_is_null(driver)) {
        fk_reply_err(req, FK_E_PASS_DRIVER_MISSING, "driver");
        return -1;
    }
    if (occupant_or_reply(req, driver, "driver", 1, &p->occ[0]) != 0)
        return -1;
    p->n = 1;
    json_t *passengers = json_object_get(body, "passengers");
    if (passengers != NULL && !json_is_null(passengers)) {
        if (!json_is_array(passengers))
            return fk_reply_invalid(req, "passengers", "乘车人应为数组");
        if (json_array_size(passengers) > FK_PASS_MAX_PASSENGERS)
            return fk_reply_invalid(req, "passengers", "乘车人最多 8 人");
        for (size_t i = 0; i < json_array_size(passengers); i++) {
            char prefix[40], field[72];
            snprintf(prefix, sizeof(prefix), "passengers[%zu]", i);
            struct fk_pass_occupant *o = &p->occ[p->n];
            if (occupant_or_reply(req, json_array_get(passengers, i), prefix, 0, o) != 0)
                return -1;
            for (int j = 0; j < p->n; j++)
                if (strcmp(p->occ[j].id_number, o->id_number) == 0) {
                    snprintf(field, sizeof(field), "%s.id_number", prefix);
                    return fk_reply_invalid(req, field, "同一车辆的乘车人身份证号重复");
                }
            p->n++;
        }
    }
    if (member_str(req, body, "origin", "origin", 1, TEXT_MAX, &p->origin) != 0 ||
        member_str(req, body, "destination", "destination", 1, TEXT_MAX, &p->destination) != 0 ||
        member_str(req, body, "purpose", "purpose", 1, PURPOSE_MAX, &p->purpose) != 0)
        return -1;
    return 0;
}

/* Registers `p` for the caller (the staff member's region, or none for the
 * public form) with audit `action`; replies on failure (-1). */
static int register_or_reply(struct fk_req *req, struct fk_conn *db, const struct fk_pass_new *p,
                             int64_t actor, const char *region, const char *action, int64_t now,
                             int64_t expires_at, int64_t *id, char code[FK_CODE_MAX_LEN])
{
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail = json_pack("{s:s,s:i}", "plate", p->plate, "occupants", p->n);
    enum fk_err err = detail ? fk_pass_create(db, &who, p, actor, region, now, expires_at, action,
                                              detail, id, code)
                             : FK_ERR_NOMEM;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

static void create_pass(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_pass_new p;
    if (db == NULL || body_or_reply(req, &p) != 0)
        return;
    int64_t now = fk_now(), expires_at = now + req->app->cfg.vehicle_pass_hours * 3600, id = 0;
    char code[FK_CODE_MAX_LEN] = "";
    if (register_or_reply(req, db, &p, req->actor.user_id, req->actor.region, "vehicle_pass_create",
                          now, expires_at, &id, code) != 0)
        return;
    enum fk_err err;
    json_t *body = NULL;
    if ((err = fk_pass_load(db, &req->app->pii_key, req->actor.role, id, now, &body)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 201, body);
}

/* The public form's counters: vehicle_pass_rate_limits. */
static const struct fk_rate_limit pass_limit = {"ratelimit_vehicle_", fk_pass_rate_hit,
                                                FK_E_PASS_TOO_MANY};

static void public_create_pass(struct fk_req *req)
{
    snprintf(req->actor.username, sizeof(req->actor.username), "public");
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    if (fk_rate_limited(req, db, &pass_limit, "ip", req->ip, LIMIT_IP_WINDOW, LIMIT_IP,
                        "本网络提交次数过多", NULL) != 0)
        return;
    struct fk_pass_new p;
    if (body_or_reply(req, &p) != 0)
        return;
    if (fk_rate_limited(req, db, &pass_limit, "plate", p.plate, LIMIT_PLATE_WINDOW, LIMIT_PLATE,
                        "该车牌今天登记次数过多", "plate") != 0)
        return;
    int64_t now = fk_now(), expires_at = now + req->app->cfg.vehicle_pass_hours * 3600, id = 0;
    char code[FK_CODE_MAX_LEN] = "";
    if (register_or_reply(req, db, &p, 0, NULL, "vehicle_pass_self_register", now, expires_at, &id,
                          code) != 0)
        return;
    char expires[FK_RFC3339_LEN];
    fk_time_format(expires_at, expires);
    fk_reply_json(
        req, 201,
        json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "code", code, "expires_at", expires,
                  "message",
                  "登记成功。请保存此通行码（截图即可），途经卡口时出示，配合测温查验。"));
}

/* The visible {id} pass loaded; -1 after replying. */
static int pass_or_reply(struct fk_req *req, struct fk_conn *db, int64_t *id, json_t **pass)
{
    int yes = 0;
    *pass = NULL;
    if (fk_path_id_or_reply(req, "id", FK_E_PASS_NOT_FOUND, "id", id) != 0)
        return -1;
    enum fk_err err = fk_pass_visible(db, req->actor.prefix, *id, &yes);
    if (err == FK_OK && !yes)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        err = fk_pass_load(db, &req->app->pii_key, req->actor.role, *id, fk_now(), pass);
    return fk_found_or_reply(req, err, NULL, FK_E_PASS_NOT_FOUND, "id");
}

static int64_t driver_person(json_t *pass)
{
    return json_integer_value(json_object_get(json_object_get(pass, "driver"), "person_id"));
}

static void get_pass(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    json_t *pass;
    if (db == NULL || pass_or_reply(req, db, &id, &pass) != 0)
        return;
    enum fk_err err = FK_OK;
    fk_req_audit(req, &err, "vehicle_pass_read", "vehicle_pass", id, driver_person(pass), NULL);
    if (err != FK_OK) {
        json_decref(pass);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, pass);
}

static void revoke_pass(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    json_t *pass;
    if (db == NULL || pass_or_reply(req, db, &id, &pass) != 0)
        return;
    int revoked = strcmp(json_string_value(json_object_get(pass, "state")), "revoked") == 0;
    int64_t person = driver_person(pass);
    json_decref(pass);
    const char *reason;
    if (fk_json_str_or_reply(req, "reason", 1, 200, &reason) != 0)
        return;
    if (!fk_text_plain(reason)) {
        fk_reply_invalid(req, "reason", "作废原因含有控制字符");
        return;
    }
    if (revoked) {
        fk_reply_err(req, FK_E_PASS_REVOKED, "state");
        return;
    }
    int64_t now = fk_now();
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail = json_pack("{s:s}", "reason", reason);
    enum fk_err err =
        detail ? fk_pass_revoke(db, &who, id, person, reason, now, detail) : FK_ERR_NOMEM;
    if (err == FK_OK)
        err = fk_pass_load(db, &req->app->pii_key, req->actor.role, id, now, &pass);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, pass);
}

static void pass_qr(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    json_t *pass;
    if (db == NULL || pass_or_reply(req, db, &id, &pass) != 0)
        return;
    const char *code = json_string_value(json_object_get(pass, "code"));
    struct fk_buf image;
    fk_buf_init(&image, 1024 * 1024);
    enum fk_err err = code ? fk_code_qr_svg(code, &image) : FK_ERR_NOT_FOUND;
    fk_req_audit(req, &err, "vehicle_pass_qr", "vehicle_pass", id, driver_person(pass), NULL);
    json_decref(pass);
    fk_reply_svg(req, err, &image);
}

/* The QR image of a valid vehicle-pass code for the driver's phone (the
 * public page has no login). Only a genuine, valid FKV: code is drawn, so
 * this is no general QR service; it reveals nothing the holder lacks. */
static void public_pass_qr(struct fk_req *req)
{
    const char *code = fk_req_query(req, "code");
    struct fk_code_info info;
    if (code == NULL || code[0] == '\0') {
        fk_reply_err(req, FK_E_PASS_CODE_MISSING, "code");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    enum fk_code_status status = fk_code_verify(db, code, &info);
    if (status == FK_CODE_UNAVAILABLE) {
        fk_reply_fail(req, FK_ERR_BUSY, NULL);
        return;
    }
    if (status != FK_CODE_VALID || info.type != FK_CODE_VEHICLE_PASS) {
        fk_reply_invalid(req, "code", "通行码无效、已过期或已作废");
        return;
    }
    struct fk_buf image;
    fk_buf_init(&image, 1024 * 1024);
    enum fk_err err = fk_code_qr_svg(code, &image);
    fk_reply_svg(req, err, &image);
}

int fk_passes_period_or_reply(struct fk_req *req, int *has_from, int64_t *from, int *has_until,
                              int64_t *until, int64_t *page, int64_t *per_page)
{
    if (fk_query_time_or_reply(req, "from", has_from, from) != 0 ||
        fk_query_time_or_reply(req, "until", has_until, until) != 0 ||
        fk_page_or_reply(req, page, per_page) != 0)
        return -1;
    return 0;
}

static void list_passes(struct fk_req *req)
{
    int has_from, has_until;
    int64_t from = 0, until = 0, page, per_page;
    if (fk_passes_period_or_reply(req, &has_from, &from, &has_until, &until, &page, &per_page) != 0)
        return;
    const char *plate = fk_req_query(req, "plate");
    if (plate != NULL && (plate[0] == '\0' || strlen(plate) > 16 || !fk_text_plain(plate))) {
        if (plate[0] != '\0') {
            fk_reply_invalid(req, "plate", "车牌号过长或含有控制字符");
            return;
        }
        plate = NULL;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_pass_filter f = {.scope = req->actor.prefix,
                               .plate = plate,
                               .has_from = has_from,
                               .has_until = has_until,
                               .from = from,
                               .until = until};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_passes_page(db, &f, &req->app->pii_key, req->actor.role, fk_now(), page,
                                     per_page, items, &total);
    fk_req_audit(req, &err, "vehicle_pass_list", "vehicle_pass", 0, 0,
                 json_pack("{s:I,s:I}", "total", (json_int_t)total, "returned",
                           (json_int_t)json_array_size(items)));
    fk_reply_list(req, err, items, total, page, per_page);
}

#define P(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define PAGE_PARAMS P("page", "integer") "," P("per_page", "integer")
#define CP_PATH                                                                                    \
    "{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}"

static const struct fk_route routes[] = {
    {"POST", "/api/v1/public/vehicle-passes", public_create_pass, FK_ROUTE_PUBLIC, FK_ROLE_ANY,
     "passes", "司机自助登记一码通（无需登录，按来源地址和车牌限流）→ {id,code,expires_at}", NULL},
    {"GET", "/api/v1/public/vehicle-passes/qr.svg", public_pass_qr, FK_ROUTE_PUBLIC, FK_ROLE_ANY,
     "passes", "一码通二维码（无需登录；仅绘制有效的一码通通行码）",
     "{\"parameters\":[" P("code", "string") "]}"},
    {"POST", "/api/v1/vehicle-passes", create_pass, 0, FK_PASSES_STAFF, "passes",
     "登记一码通：{plate,vehicle_type,driver{id_number,name,phone},passengers[],origin,"
     "destination,purpose}",
     NULL},
    {"GET", "/api/v1/vehicle-passes", list_passes, 0, FK_PASSES_STAFF, "passes", "一码通列表",
     "{\"parameters\":[" P("plate", "string") "," P("from", "string") "," P(
         "until", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/vehicle-passes/{id}", get_pass, 0, FK_PASSES_STAFF, "passes", "一码通详情",
     NULL},
    {"POST", "/api/v1/vehicle-passes/{id}/revoke", revoke_pass, 0, FK_PASSES_STAFF, "passes",
     "作废一码通（其二维码同时作废）：{reason}", NULL},
    {"GET", "/api/v1/vehicle-passes/{id}/qr.svg", pass_qr, 0, FK_PASSES_STAFF, "passes",
     "一码通二维码（SVG）", NULL},
    /* The path the issue names; the same handler. */
    {"GET", "/api/v1/passes/{id}/qr.svg", pass_qr, 0, FK_PASSES_STAFF, "passes",
     "一码通二维码（SVG，同 /vehicle-passes/{id}/qr.svg）", NULL},
    {"POST", "/api/v1/checkpoints/{id}/scan", fk_passage_scan, 0, FK_PASSAGE_STAFF, "passes",
     "卡口扫一码通：{code} → 车辆与每位乘车人的当前状态、可选处置", NULL},
    {"POST", "/api/v1/checkpoints/{id}/passages", fk_passage_create, 0, FK_PASSAGE_STAFF, "passes",
     "记录车辆通行：{code,temperatures[{seat,celsius}],decision,scanned_at,idempotency_key,note}",
     NULL},
    {"GET", "/api/v1/passages/export", fk_passage_export, 0, FK_PASSAGE_STAFF, "passes",
     "导出车辆通行台账（format=xlsx|csv，region，from，until）",
     "{\"parameters\":[" P("format", "string") "," P("region", "string") "," P(
         "from", "string") "," P("until", "string") "]}"},
    {"GET", "/api/v1/checkpoints/{id}/passages/stats", fk_passage_stats, 0, FK_PASSAGE_STAFF,
     "passes", "卡口每小时、每天的车辆数和人数（date=YYYY-MM-DD，北京时间）",
     "{\"parameters\":[" CP_PATH "," P("date", "string") "]}"},
    {"GET", "/api/v1/checkpoints/{id}/passages", fk_passage_list, 0, FK_PASSAGE_STAFF, "passes",
     "卡口车辆通行记录",
     "{\"parameters\":[" CP_PATH "," P("from", "string") "," P("until", "string") "," PAGE_PARAMS
                                                                                  "]}"},
};

enum fk_err fk_passes_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
