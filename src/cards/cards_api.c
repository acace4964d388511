/* HTTP handlers for four-colour cards (四色通行证): issue one, bulk issue for
 * a compound, list, detail, revoke, QR image, ledger, and the routes of the
 * whole module (gate scans are in gates_api.c). A card belongs to the
 * jurisdiction of its region (the holder's compound at issue); outside it a
 * card does not exist (404). */
#include "audit/audit.h"
#include "cards/cards_internal.h"
#include "http/field_query.h"
#include "http/lookup.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/parse.h"
#include "http/ledger.h"
#include "quarantine/quarantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The {id} card inside the caller's jurisdiction: its id, JSON (a new
 * reference the caller frees) and holder. -1 after replying 404 or 5xx. */
static int card_or_reply(struct fk_req *req, struct fk_conn *db, int64_t *id, json_t **card,
                         int64_t *person)
{
    *card = NULL;
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_CARD_NOT_FOUND, "id", id) != 0)
        return -1;
    enum fk_err err =
        fk_card_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, *id, card, person);
    return fk_found_or_reply(req, err, NULL, FK_E_CARD_NOT_FOUND, "id");
}

static void reply_existing(struct fk_req *req, enum fk_ecode e, int64_t existing, const char *field)
{
    fk_reply_err_ex(req, e, field, NULL, json_pack("{s:I}", "existing_id", (json_int_t)existing),
                    NULL);
}

/* ?valid_days= in the body (1–30, default 30) as an expiry from `now`. */
static int expiry_or_reply(struct fk_req *req, int64_t now, int64_t *expires_at)
{
    int present;
    int64_t days = FK_CARD_VALID_DAYS;
    if (fk_json_int_or_reply(req, "valid_days", 0, 1, FK_CARD_VALID_DAYS, &present, &days) != 0)
        return -1;
    *expires_at = now + (present ? days : FK_CARD_VALID_DAYS) * 86400;
    return 0;
}

static void reply_loaded(struct fk_req *req, struct fk_conn *db, int64_t id, unsigned status)
{
    json_t *body = NULL;
    enum fk_err err =
        fk_card_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id, &body, NULL);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, status, body);
}

static void create_card(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int present, replace = 0, has_replace;
    int64_t person_id, now = fk_now(), expires_at;
    const char *color_name, *note;
    if (fk_json_int_or_reply(req, "person_id", 1, 1, INT64_MAX, &present, &person_id) != 0 ||
        fk_json_str_or_reply(req, "color", 1, 16, &color_name) != 0)
        return;
    enum fk_card_color color = fk_card_color_from_name(color_name);
    if (color == 0) {
        fk_reply_invalid(req, "color",
                         "颜色应为 red（红卡）、yellow（黄卡）、blue（蓝卡）或 green（绿卡）");
        return;
    }
    if (expiry_or_reply(req, now, &expires_at) != 0 ||
        fk_json_str_or_reply(req, "note", 0, FK_CARD_NOTE_MAX, &note) != 0 ||
        fk_json_bool_or_reply(req, "replace", &has_replace, &replace) != 0)
        return;
    if (note != NULL && !fk_text_plain(note)) {
        fk_reply_invalid(req, "note", "备注含有控制字符");
        return;
    }
    /* The person, inside the caller's jurisdiction: their region becomes the
     * card's. */
    struct fk_person holder;
    enum fk_err err = fk_person_get_in_scope(db, person_id, req->actor.prefix, &holder);
    if (fk_found_or_reply(req, err, NULL, FK_E_CARD_PERSON_NOT_FOUND, "person_id") != 0)
        return;
    if (strlen(holder.region) < 15) {
        fk_reply_invalid(req, "person_id", "此人未登记到小区或楼栋，不能发放四色通行证");
        return;
    }
    int quarantined = 0;
    if ((err = fk_homeq_person_active(db, person_id, &quarantined)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (quarantined && color != FK_CARD_YELLOW) {
        fk_reply_invalid(req, "color", "此人正在居家隔离，只能发放黄卡");
        return;
    }
    if (color == FK_CARD_GREEN && holder.household_id == 0) {
        fk_reply_invalid(req, "color", "绿卡发给家庭户的采购人员，此人未登记家庭户");
        return;
    }
    int64_t existing = 0, green = 0, id = 0;
    err = fk_card_active_of(db, person_id, &existing);
    if (err == FK_OK && color == FK_CARD_GREEN)
        err = fk_card_green_of(db, holder.household_id, &green);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (existing != 0 && !replace) {
        reply_existing(req, FK_E_CARD_EXISTS_REPLACE, existing, "person_id");
        return;
    }
    if (green != 0 && green != existing) {
        reply_existing(req, FK_E_CARD_GREEN_TAKEN, green, "color");
        return;
    }
    struct fk_card_issue issue = {.person_id = person_id,
                                  .household_id = holder.household_id,
                                  .region = holder.region,
                                  .color = color,
                                  .expires_at = expires_at,
                                  .note = note,
                                  .replaces = existing,
                                  .now = now};
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail =
        json_pack("{s:s,s:s,s:I,s:I}", "region", holder.region, "color", fk_card_color_name(color),
                  "expires_at", (json_int_t)expires_at, "replaced", (json_int_t)existing);
    err = detail ? fk_card_issue(db, &issue, &who, detail, &id) : FK_ERR_NOMEM;
    if (err != FK_OK) {
        if (err == FK_ERR_CONFLICT && fk_card_active_of(db, person_id, &existing) == FK_OK &&
            existing)
            reply_existing(req, FK_E_CARD_EXISTS, existing, "person_id");
        else if (err == FK_ERR_CONFLICT)
            reply_existing(req, FK_E_CARD_GREEN_TAKEN, 0, "color");
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
    reply_loaded(req, db, id, 201);
}

static void bulk_cards(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    const char *region;
    char prefix[19];
    int depth;
    const char *why;
    int64_t now = fk_now(), expires_at;
    if (fk_json_str_or_reply(req, "region", 1, 18, &region) != 0)
        return;
    if (fk_region_code_prefix(region, prefix, &depth, &why) != FK_OK || depth < 4) {
        fk_reply_invalid(req, "region", "应为小区（15 位）或楼栋（18 位）区划代码");
        return;
    }
    if (!fk_req_covers(req, prefix)) {
        fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
        return;
    }
    if (expiry_or_reply(req, now, &expires_at) != 0)
        return;
    int64_t counts[5], skipped;
    enum fk_err err =
        fk_cards_bulk(db, prefix, expires_at, req->actor.user_id, now, counts, &skipped);
    if (err == FK_ERR_TOO_LARGE) {
        fk_reply_invalid(req, "region", "该区划人数过多，请按楼栋分批发放");
        return;
    }
    json_t *issued =
        json_pack("{s:I,s:I,s:I,s:I}", "red", (json_int_t)counts[FK_CARD_RED], "yellow",
                  (json_int_t)counts[FK_CARD_YELLOW], "blue", (json_int_t)counts[FK_CARD_BLUE],
                  "green", (json_int_t)counts[FK_CARD_GREEN]);
    fk_req_audit(req, &err, "card_bulk_issue", "card", 0, 0,
                 json_pack("{s:s,s:O,s:I}", "region", prefix, "issued", issued, "skipped",
                           (json_int_t)skipped));
    if (err != FK_OK) {
        json_decref(issued);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:s,s:o,s:I}", "region", prefix, "issued", issued, "skipped",
                            (json_int_t)skipped));
}

static int filter_or_reply(struct fk_req *req, struct fk_card_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (fk_scope_or_reply(req, f->scope) != 0)
        return -1;
    const char *color = fk_req_query(req, "color");
    if (color != NULL && color[0] != '\0') {
        if (fk_card_color_from_name(color) == 0)
            return fk_reply_invalid(req, "color", "颜色应为 red、yellow、blue 或 green");
        f->color = fk_card_color_name(fk_card_color_from_name(color));
    }
    static const char *const states[] = {"all", "active", "revoked"};
    if (fk_query_choice_or_reply(req, "state", states, 3, 1, "状态应为 active、revoked 或 all",
                                 &f->state) != 0)
        return -1;
    return fk_person_q_or_reply(req, &f->q_kind, f->q_value);
}

static void list_cards(struct fk_req *req)
{
    struct fk_card_filter f;
    int64_t page, per_page;
    if (filter_or_reply(req, &f) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_card_view view = {&req->app->pii_key, req->actor.role, fk_now()};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_cards_page(db, &f, &view, page, per_page, items, &total);
    fk_list_audited_reply(req, err, "card_list", "card", f.scope, items, total, page, per_page);
}

static void get_card(struct fk_req *req)
{
    int64_t id, person = 0;
    json_t *body;
    if (card_or_reply(req, fk_req_db(req), &id, &body, &person) != 0)
        return;
    enum fk_err err = FK_OK;
    fk_req_audit(req, &err, "card_read", "card", id, person, NULL);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

static void revoke_card(struct fk_req *req)
{
    int64_t id, person = 0;
    struct fk_conn *db = fk_req_db(req);
    json_t *card;
    if (card_or_reply(req, db, &id, &card, &person) != 0)
        return;
    enum fk_err err;
    int revoked = strcmp(json_string_value(json_object_get(card, "state")), "revoked") == 0;
    json_decref(card);
    const char *reason;
    if (fk_json_str_or_reply(req, "reason", 1, 200, &reason) != 0)
        return;
    if (!fk_text_plain(reason)) {
        fk_reply_invalid(req, "reason", "作废原因含有控制字符");
        return;
    }
    if (revoked) {
        fk_reply_err(req, FK_E_CARD_REVOKED, "state");
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail = json_pack("{s:s}", "reason", reason);
    err = detail ? fk_card_revoke(db, id, person, reason, fk_now(), &who, detail) : FK_ERR_NOMEM;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_loaded(req, db, id, 200);
}

static void card_qr(struct fk_req *req)
{
    int64_t id, person = 0;
    json_t *card;
    if (card_or_reply(req, fk_req_db(req), &id, &card, &person) != 0)
        return;
    enum fk_err err = FK_OK;
    const char *code = json_string_value(json_object_get(card, "code"));
    struct fk_buf image;
    fk_buf_init(&image, 1024 * 1024);
    if (err == FK_OK && code == NULL)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        err = fk_code_qr_svg(code, &image);
    fk_req_audit(req, &err, "card_qr", "card", id, person, NULL);
    json_decref(card);
    fk_reply_svg(req, err, &image);
}

/* One ledger row per card (fk_cards_each). */
struct export_rows {
    struct fk_ledger *lg;
    int64_t count;
};

static int export_row(void *ctx, json_t *c)
{
    struct export_rows *x = ctx;
    char seq[24], id[24], issued[20], expires[20], revoked[20];
    snprintf(seq, sizeof(seq), "%lld", (long long)++x->count);
    snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(c, "id")));
    fk_ledger_local_time(json_object_get(c, "issued_at"), issued);
    fk_ledger_local_time(json_object_get(c, "expires_at"), expires);
    fk_ledger_local_time(json_object_get(c, "revoked_at"), revoked);
    json_t *person = json_object_get(c, "person");
    const char *state = strcmp(fk_ledger_text(c, "state"), "revoked") == 0 ? "已作废"
                        : json_is_true(json_object_get(c, "expired"))      ? "已过期"
                                                                           : "有效";
    const char *cells[] = {seq,
                           id,
                           fk_ledger_text(person, "name"),
                           fk_ledger_text(person, "id_number"),
                           fk_ledger_text(person, "phone"),
                           fk_ledger_text(c, "region"),
                           fk_ledger_text(c, "region_name"),
                           fk_ledger_text(c, "color_label"),
                           state,
                           issued,
                           expires,
                           fk_ledger_text(json_object_get(c, "issued_by"), "name"),
                           revoked,
                           fk_ledger_text(c, "revoked_reason"),
                           fk_ledger_text(c, "note")};
    fk_ledger_row(x->lg, cells, sizeof(cells) / sizeof(cells[0]));
    return 0;
}

static void export_cards(struct fk_req *req)
{
    int xlsx;
    struct fk_card_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || filter_or_reply(req, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {
        "序号", "编号",     "姓名",     "身份证号", "手机号",   "区划代码", "所属小区", "颜色",
        "状态", "发放时间", "有效期至", "发放人",   "作废时间", "作废原因", "备注"};
    static const double widths[] = {8, 10, 10, 20, 14, 20, 24, 8, 8, 18, 18, 12, 18, 20, 30};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "四色通行证台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct fk_card_view view = {&req->app->pii_key, req->actor.role, fk_now()};
    struct export_rows rows = {&lg, 0};
    enum fk_err err = fk_cards_each(db, &f, &view, export_row, &rows);
    int64_t count = rows.count;
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:s,s:s,s:I}", "region", f.scope, "format",
                                   xlsx ? "xlsx" : "csv", "rows", (json_int_t)count);
        err = fk_audit_req(req, "card_export", "card", NULL, 0, detail);
        json_decref(detail);
    }
    fk_ledger_finish(req, &lg, err, "cards");
}

#define P(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define PAGE_PARAMS P("page", "integer") "," P("per_page", "integer")
#define FILTER_PARAMS                                                                              \
    P("region", "string") "," P("color", "string") "," P("state", "string") "," P("q", "string")

static const struct fk_route routes[] = {
    {"GET", "/api/v1/cards/export", export_cards, 0, FK_CARDS_STAFF, "cards",
     "导出四色通行证台账（format=xlsx|csv，筛选同列表）",
     "{\"parameters\":[" P("format", "string") "," FILTER_PARAMS "]}"},
    {"POST", "/api/v1/cards/bulk", bulk_cards, 0, FK_CARDS_STAFF, "cards",
     "按规则为小区（楼栋）批量发放：{region,valid_days}", NULL},
    {"POST", "/api/v1/cards", create_card, 0, FK_CARDS_STAFF, "cards",
     "发放四色通行证：{person_id,color,valid_days,note,replace}", NULL},
    {"GET", "/api/v1/cards", list_cards, 0, FK_CARDS_STAFF, "cards", "四色通行证列表",
     "{\"parameters\":[" FILTER_PARAMS "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/cards/{id}", get_card, 0, FK_CARDS_STAFF, "cards", "通行证详情", NULL},
    {"POST", "/api/v1/cards/{id}/revoke", revoke_card, 0, FK_CARDS_STAFF, "cards",
     "作废通行证（其二维码同时作废）：{reason}", NULL},
    {"GET", "/api/v1/cards/{id}/qr.svg", card_qr, 0, FK_CARDS_STAFF, "cards", "通行证二维码（SVG）",
     NULL},
    {"GET", "/api/v1/gates/refusals", fk_gate_refusal_list, 0, FK_GATES_STAFF, "cards",
     "禁止出门的记录（网格员待办；mine=1：本人辖区居民）",
     "{\"parameters\":[" P("region", "string") "," P("mine", "string") "," P(
         "handled", "string") "," P("review", "string") "," PAGE_PARAMS "]}"},
    {"PATCH", "/api/v1/gates/refusals/{scan_id}", fk_gate_refusal_patch, 0, FK_GATES_STAFF, "cards",
     "处理禁止出门记录：{handled,note}", NULL},
    {"POST", "/api/v1/gates/{checkpoint_id}/scans", fk_gate_scan_create, 0, FK_GATES_STAFF, "cards",
     "门岗扫码：{code,direction,scanned_at,idempotency_key,offline} → {allowed,reason,review}",
     NULL},
    {"GET", "/api/v1/gates/{checkpoint_id}/scans", fk_gate_scan_list, 0, FK_GATES_STAFF, "cards",
     "门岗扫码记录",
     "{\"parameters\":[{\"name\":\"checkpoint_id\",\"in\":\"path\",\"required\":true,"
     "\"schema\":{\"type\":\"string\"}}," P("from", "string") "," P("until", "string") "," P(
         "allowed", "string") "," P("review", "string") "," PAGE_PARAMS "]}"},
};

enum fk_err fk_cards_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
