/* HTTP handlers for the venue registry (场所管理): create, list, detail,
 * edit, re-issue the place code, QR images, the ledger, the category table,
 * and the routes of the whole module (check-ins are in checkins_api.c, the
 * import in venues_import.c). A venue belongs to the jurisdiction of its
 * region; outside it a venue does not exist (404). */
#include "audit/audit.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/parse.h"
#include "http/ledger.h"
#include "regions/regions.h"
#include "residents/residents.h"
#include "venues/venues_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies to a venue change: the venue as it is now, or the failure. */
static void reply_changed(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t id,
                          unsigned status);

void fk_venue_not_found(struct fk_req *req)
{
    fk_reply_err(req, FK_E_VENUE_NOT_FOUND, "id");
}

/* Reads the body fields into `in`; -1 after replying 422. */
static int input_or_reply(struct fk_req *req, struct fk_venue_input *in, int creating)
{
    memset(in, 0, sizeof(*in));
    int present;
    if (fk_json_str_or_reply(req, "name", creating, FK_VENUE_NAME_MAX, &in->name) != 0 ||
        fk_json_str_or_reply(req, "category", creating, 32, &in->category) != 0 ||
        fk_json_str_or_reply(req, "region", creating, 18, &in->region) != 0 ||
        fk_json_str_or_reply(req, "address", 0, FK_VENUE_ADDRESS_MAX, &in->address) != 0 ||
        fk_json_str_or_reply(req, "contact_name", 0, FK_VENUE_CONTACT_MAX, &in->contact_name) !=
            0 ||
        fk_json_str_or_reply(req, "contact_phone", 0, 11, &in->contact_phone) != 0 ||
        fk_json_str_or_reply(req, "status", 0, 16, &in->status) != 0 ||
        fk_json_str_or_reply(req, "note", 0, FK_VENUE_NOTE_MAX, &in->note) != 0 ||
        fk_json_int_or_reply(req, "dwell_minutes", 0, 0, FK_VENUE_DWELL_MAX, &present,
                             &in->dwell_minutes) != 0)
        return -1;
    in->has_dwell = present;
    struct fk_venue_error why;
    if (fk_venue_check(in, creating, &why) != FK_OK)
        return fk_reply_invalid(req, why.field, why.message);
    return 0;
}

/* The region of the body in the caller's jurisdiction: normalized into
 * `code`. -1 after replying. */
static int region_or_reply(struct fk_req *req, struct fk_conn *db, const char *text,
                           char code[FK_REGION_CODE_LEN])
{
    char prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(text, code, prefix, &reason) != FK_OK)
        return fk_reply_invalid(req, "region", "区划代码应为 6、9、12、15 或 18 位数字");
    struct fk_region region;
    enum fk_err err = fk_region_get(db, code, &region);
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, code))) {
        fk_reply_err(req, FK_E_VENUE_REGION, "region");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

/* The sealed phone (or NULL when absent/empty); -1 after replying 500. */
static int seal_phone_or_reply(struct fk_req *req, const char *phone, char **sealed)
{
    *sealed = NULL;
    if (phone == NULL || phone[0] == '\0')
        return 0;
    if (fk_pii_seal(&req->app->pii_key, "phone", phone, sealed) != FK_OK) {
        fk_reply_fail(req, FK_ERR_CRYPTO, NULL);
        return -1;
    }
    return 0;
}

/* ?valid_days= in the body (1–31, default 30) as an expiry from `now`. */
static int expiry_or_reply(struct fk_req *req, int64_t now, int64_t *expires_at)
{
    int present;
    int64_t days = FK_VENUE_CODE_DAYS;
    if (fk_json_int_or_reply(req, "valid_days", 0, 1, FK_CODE_MAX_VALIDITY / 86400, &present,
                             &days) != 0)
        return -1;
    *expires_at = now + (present ? days : FK_VENUE_CODE_DAYS) * 86400;
    return 0;
}

static void reply_loaded(struct fk_req *req, struct fk_conn *db, int64_t id, unsigned status)
{
    json_t *body = NULL;
    enum fk_err err =
        fk_venue_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id, &body);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, status, body);
}

static void create_venue(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_venue_input in;
    char region[FK_REGION_CODE_LEN];
    int64_t now = fk_now(), expires_at, id = 0;
    char *sealed = NULL;
    if (input_or_reply(req, &in, 1) != 0 || region_or_reply(req, db, in.region, region) != 0 ||
        expiry_or_reply(req, now, &expires_at) != 0 ||
        seal_phone_or_reply(req, in.contact_phone, &sealed) != 0)
        return;
    json_t *detail =
        json_pack("{s:s,s:s,s:s}", "name", in.name, "category", in.category, "region", region);
    struct fk_audit_entry audit = fk_audit_entry_of(req, "venue_create", "venue", 0, detail);
    enum fk_err err = fk_venue_create(db, &in, region, sealed, now, expires_at, &audit, &id);
    json_decref(detail);
    free(sealed);
    reply_changed(req, db, err, id, 201);
}

static void reply_changed(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t id,
                          unsigned status)
{
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        reply_loaded(req, db, id, status);
}

static int filter_or_reply(struct fk_req *req, struct fk_venue_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (fk_scope_or_reply(req, f->scope) != 0)
        return -1;
    const char *category = fk_req_query(req, "category");
    if (category != NULL && category[0] != '\0') {
        const struct fk_venue_category *c = fk_venue_category_find(category);
        if (c == NULL)
            return fk_reply_invalid(req, "category", "未知的场所类别");
        f->category = c->name;
    }
    const char *status = fk_req_query(req, "status");
    if (status != NULL && status[0] != '\0') {
        int s = fk_venue_status_from_name(status);
        if (s == 0)
            return fk_reply_invalid(req, "status", "状态应为 open、suspended 或 sealed");
        f->status = fk_venue_status_name(s);
    }
    const char *expiring = fk_req_query(req, "expiring");
    if (expiring != NULL && expiring[0] != '\0') {
        if (strcmp(expiring, "1") == 0 || strcmp(expiring, "true") == 0)
            f->expiring = 1;
        else if (strcmp(expiring, "0") != 0 && strcmp(expiring, "false") != 0)
            return fk_reply_invalid(req, "expiring", "应为 0 或 1");
    }
    f->expiry_before = fk_now() + FK_VENUE_REPRINT_DAYS * 86400;
    const char *q = fk_req_query(req, "q");
    if (q != NULL && q[0] != '\0') {
        if (strlen(q) > FK_Q_TEXT_MAX || !fk_text_plain(q))
            return fk_reply_invalid(req, "q", "查询文字应不超过 64 字节，且不含控制字符");
        fk_like_prefix(q, f->q, sizeof(f->q));
    }
    return 0;
}

static void list_venues(struct fk_req *req)
{
    struct fk_venue_filter f;
    int64_t page, per_page;
    if (filter_or_reply(req, &f) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_venues_list(db, &f, &req->app->pii_key, req->actor.role, fk_now(), page,
                                     per_page, items, &total);
    fk_req_audit(req, &err, "venue_list", "venue", 0, 0,
                 json_pack("{s:s,s:I,s:I}", "region", f.scope, "total", (json_int_t)total,
                           "returned", (json_int_t)json_array_size(items)));
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void get_venue(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_VENUE_NOT_FOUND, "id", &id) != 0)
        return;
    json_t *body = NULL;
    enum fk_err err =
        fk_venue_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id, &body);
    if (err == FK_ERR_NOT_FOUND) {
        fk_venue_not_found(req);
        return;
    }
    fk_req_audit(req, &err, "venue_read", "venue", id, 0, NULL);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

int fk_venue_in_scope_or_reply(struct fk_req *req, struct fk_conn *db, int64_t id,
                               struct fk_venue_brief *v)
{
    enum fk_err err = fk_venue_brief_get(db, id, v);
    return fk_found_or_reply(req, err, v->region, FK_E_VENUE_NOT_FOUND, "id");
}

static void patch_venue(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = fk_req_db(req);
    struct fk_venue_brief v;
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_VENUE_NOT_FOUND, "id", &id) != 0 ||
        fk_venue_in_scope_or_reply(req, db, id, &v) != 0)
        return;
    struct fk_venue_input in;
    char region[FK_REGION_CODE_LEN] = "";
    char *sealed = NULL;
    if (input_or_reply(req, &in, 0) != 0 ||
        (in.region != NULL && region_or_reply(req, db, in.region, region) != 0) ||
        seal_phone_or_reply(req, in.contact_phone, &sealed) != 0)
        return;
    json_t *changed = json_object();
    const char *names[] = {"name",         "category",      "region", "address",
                           "contact_name", "contact_phone", "status", "note"};
    const char *values[] = {in.name,         in.category,      in.region, in.address,
                            in.contact_name, in.contact_phone, in.status, in.note};
    for (size_t i = 0; changed && i < sizeof(names) / sizeof(names[0]); i++)
        if (values[i] != NULL)
            json_object_set_new(changed, names[i],
                                strcmp(names[i], "contact_phone") == 0 ? json_true()
                                                                       : json_string(values[i]));
    if (changed && in.has_dwell)
        json_object_set_new(changed, "dwell_minutes", json_integer(in.dwell_minutes));
    struct fk_audit_entry audit = fk_audit_entry_of(req, "venue_update", "venue", 0, changed);
    enum fk_err err =
        fk_venue_update(db, id, &in, region[0] ? region : NULL, sealed, fk_now(), &audit);
    json_decref(changed);
    free(sealed);
    reply_changed(req, db, err, id, 200);
}

static void reissue_code(struct fk_req *req)
{
    int64_t id, now = fk_now(), expires_at;
    struct fk_conn *db = fk_req_db(req);
    struct fk_venue_brief v;
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_VENUE_NOT_FOUND, "id", &id) != 0 ||
        fk_venue_in_scope_or_reply(req, db, id, &v) != 0 ||
        expiry_or_reply(req, now, &expires_at) != 0)
        return;
    json_t *detail = json_pack("{s:I}", "expires_at", (json_int_t)expires_at);
    struct fk_audit_entry audit = fk_audit_entry_of(req, "venue_code_issue", "venue", 0, detail);
    enum fk_err err = fk_venue_reissue_audited(db, id, now, expires_at, &audit);
    json_decref(detail);
    reply_changed(req, db, err, id, 200);
}

static void venue_qr(struct fk_req *req, int png)
{
    int64_t id;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_VENUE_NOT_FOUND, "id", &id) != 0)
        return;
    json_t *venue = NULL;
    enum fk_err err =
        fk_venue_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id, &venue);
    if (err == FK_ERR_NOT_FOUND) {
        fk_venue_not_found(req);
        return;
    }
    const char *code = json_string_value(json_object_get(venue, "code"));
    struct fk_buf image;
    fk_buf_init(&image, 4 * 1024 * 1024);
    if (err == FK_OK && code == NULL)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        err = png ? fk_code_qr_png(code, 8, &image) : fk_code_qr_svg(code, &image);
    json_decref(venue);
    if (err != FK_OK) {
        fk_buf_free(&image);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_bytes(req, 200, png ? "image/png" : "image/svg+xml", image.data, image.len);
    fk_reply_header(req, "Cache-Control", "private, max-age=300");
    fk_buf_free(&image);
}

static void venue_qr_svg(struct fk_req *req)
{
    venue_qr(req, 0);
}

static void venue_qr_png(struct fk_req *req)
{
    venue_qr(req, 1);
}

static void list_categories(struct fk_req *req)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < FK_VENUE_CATEGORIES; i++) {
        const struct fk_venue_category *c = fk_venue_category_at(i);
        json_array_append_new(items, json_pack("{s:s,s:s,s:i}", "name", c->name, "label", c->label,
                                               "dwell_minutes", c->dwell_minutes));
    }
    if (items == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

struct ledger_rows {
    struct fk_ledger *lg;
    int64_t count;
};

/* One venue (fk_venues_each) as a ledger row. */
static int ledger_row(void *ctx, int64_t id, json_t *v)
{
    struct ledger_rows *rows = ctx;
    enum { N = 12 };
    char seq[24], id_text[24], dwell[24], expires[20];
    snprintf(seq, sizeof(seq), "%lld", (long long)++rows->count);
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    snprintf(dwell, sizeof(dwell), "%lld",
             (long long)json_integer_value(json_object_get(v, "dwell_minutes")));
    fk_ledger_local_time(json_object_get(v, "code_expires_at"), expires);
    const char *cells[N] = {seq,
                            id_text,
                            fk_ledger_text(v, "name"),
                            fk_ledger_text(v, "category_label"),
                            fk_ledger_text(v, "region"),
                            fk_ledger_text(v, "region_name"),
                            fk_ledger_text(v, "address"),
                            fk_ledger_text(v, "contact_name"),
                            fk_ledger_text(v, "contact_phone"),
                            dwell,
                            fk_ledger_text(v, "status_label"),
                            expires};
    fk_ledger_row(rows->lg, cells, N);
    return 0;
}

static void export_venues(struct fk_req *req)
{
    int xlsx;
    struct fk_venue_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || filter_or_reply(req, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {
        "序号",   "编号",       "场所名称",         "类别", "区划代码",      "所属区划", "地址",
        "负责人", "负责人电话", "停留时长（分钟）", "状态", "场所码有效期至"};
    static const double widths[] = {8, 10, 30, 14, 20, 24, 30, 10, 14, 10, 10, 18};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "场所台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct ledger_rows rows = {&lg, 0};
    enum fk_err err =
        fk_venues_each(db, &f, &req->app->pii_key, req->actor.role, fk_now(), ledger_row, &rows);
    int64_t count = rows.count;
    fk_req_audit(req, &err, "venue_export", "venue", 0, 0,
                 json_pack("{s:s,s:s,s:I}", "region", f.scope, "format", xlsx ? "xlsx" : "csv",
                           "rows", (json_int_t)count));
    fk_ledger_finish(req, &lg, err, "venues");
}

#define P(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define PAGE_PARAMS P("page", "integer") "," P("per_page", "integer")
#define FILTER_PARAMS                                                                              \
    P("region", "string")                                                                          \
    "," P("category", "string") "," P("status", "string") "," P("q", "string") "," P("expiring",   \
                                                                                     "string")
#define ID_PARAM(name)                                                                             \
    "{\"name\":\"" name "\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}"
#define TIME_PARAMS P("from", "string") "," P("until", "string")

static const struct fk_route routes[] = {
    {"GET", "/api/v1/venues/categories", list_categories, 0, FK_CHECKINS_POST, "venues",
     "场所类别及默认停留时长", NULL},
    {"GET", "/api/v1/venues/export", export_venues, 0, FK_VENUES_STAFF, "venues",
     "导出场所台账（format=xlsx|csv，筛选同列表）",
     "{\"parameters\":[" P("format", "string") "," FILTER_PARAMS "]}"},
    {"GET", "/api/v1/venues/import/template.csv", fk_venues_import_template, 0, FK_VENUES_ADMIN,
     "venues", "场所导入模板（CSV）", NULL},
    {"POST", "/api/v1/venues/import", fk_venues_import_post, FK_ROUTE_RAW | FK_ROUTE_UPLOAD,
     FK_VENUES_ADMIN, "venues", "批量导入场所：请求体为 CSV 或 .xlsx 文件 → 202 {job_id}", NULL},
    {"POST", "/api/v1/venues", create_venue, 0, FK_VENUES_ADMIN, "venues",
     "登记场所（签发场所码）：{name,category,region,address,contact_name,contact_phone,"
     "dwell_minutes,status,note,valid_days}",
     NULL},
    {"GET", "/api/v1/venues", list_venues, 0, FK_VENUES_STAFF, "venues",
     "场所列表（expiring=1：场所码 7 天内到期，需重新打印）",
     "{\"parameters\":[" FILTER_PARAMS "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/venues/{id}", get_venue, 0, FK_VENUES_STAFF, "venues", "场所详情", NULL},
    {"PATCH", "/api/v1/venues/{id}", patch_venue, 0, FK_VENUES_ADMIN, "venues",
     "修改场所（含状态 open/suspended/sealed）", NULL},
    {"POST", "/api/v1/venues/{id}/code", reissue_code, 0, FK_VENUES_ADMIN, "venues",
     "重新签发场所码：{valid_days}（1–31，默认 30）", NULL},
    {"GET", "/api/v1/venues/{id}/qr.svg", venue_qr_svg, 0, FK_VENUES_STAFF, "venues",
     "场所码二维码（SVG）", NULL},
    {"GET", "/api/v1/venues/{id}/qr.png", venue_qr_png, 0, FK_VENUES_STAFF, "venues",
     "场所码二维码（PNG）", NULL},
    {"POST", "/api/v1/venues/{id}/scans", fk_venue_scan, 0, FK_VENUES_STAFF, "venues",
     "场所工作人员扫码登记：{code|id_number,at,idempotency_key} → {allowed,color,reason,person}",
     NULL},
    {"GET", "/api/v1/venues/{id}/checkins/export", fk_venue_checkins_export, 0, FK_VENUES_STAFF,
     "venues", "导出场所扫码记录台账（format=xlsx|csv）",
     "{\"parameters\":[" ID_PARAM("id") "," P("format", "string") "," TIME_PARAMS "]}"},
    {"GET", "/api/v1/venues/{id}/checkins", fk_venue_checkins_list, 0, FK_VENUES_STAFF, "venues",
     "场所扫码记录",
     "{\"parameters\":[" ID_PARAM("id") "," TIME_PARAMS "," P("allowed", "string") "," PAGE_PARAMS
                                                                                   "]}"},
    {"POST", "/api/v1/checkins/purge", fk_checkins_purge_post, 0, FK_ROLE_DISTRICT_ADMIN, "venues",
     "立即清理超过保存期限的扫码记录", NULL},
    {"POST", "/api/v1/checkins", fk_checkins_post, 0, FK_CHECKINS_POST, "venues",
     "扫码登记：{venue_id|venue_code,person_id,at,left_at,idempotency_key} 或 {items:[…]}（至多 "
     "1000 条；person_id 仅限本辖区人员，外来人员请用场所扫码）",
     NULL},
    {"GET", "/api/v1/persons/{id}/checkins", fk_person_checkins_list, 0, FK_PERSON_CHECKINS_READ,
     "venues", "个人近期扫码记录（行程）",
     "{\"parameters\":[" ID_PARAM("id") "," TIME_PARAMS "," PAGE_PARAMS "]}"},
};

enum fk_err fk_venues_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
