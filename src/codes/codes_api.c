/* HTTP handlers for signed codes: the public keys and revocation list that
 * offline scanners download, verification of a scanned code, revocation, and
 * QR images of valid codes. */
#include "audit/audit.h"
#include "codes/codes_api.h"
#include "codes/codes_store.h"
#include "core/clock.h"
#include "core/parse.h"
#include "http/http.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Every staff role: residents do not scan other people's codes. */
#define STAFF_ROLES                                                                                \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_SAMPLER | FK_ROLE_LAB | FK_ROLE_TRACER |                   \
     FK_ROLE_QUARANTINE_STAFF | FK_ROLE_INSPECTOR | FK_ROLE_SCHOOL_ADMIN | FK_ROLE_ENTERPRISE)
/* Most revocations one answer carries; `truncated` says when more exist. */
#define REVOCATIONS_MAX 10000

static json_t *key_id_json(uint32_t key_id)
{
    char text[9];
    snprintf(text, sizeof(text), "%08x", key_id);
    return json_string(text);
}

static void list_keys(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_code_key keys[64];
    size_t n = 0;
    enum fk_err err = fk_code_keys_list(db, keys, 64, &n);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        char b64[64];
        sodium_bin2base64(b64, sizeof(b64), keys[i].public_key, 32, sodium_base64_VARIANT_ORIGINAL);
        json_array_append_new(
            items, json_pack("{s:o,s:s,s:s,s:s,s:o,s:o}", "key_id", key_id_json(keys[i].key_id),
                             "algorithm", "ed25519", "public_key", b64, "state",
                             keys[i].active ? "active" : "retired", "created_at",
                             fk_time_or_null(keys[i].created_at), "retired_at",
                             keys[i].active ? json_null() : fk_time_or_null(keys[i].retired_at)));
    }
    fk_reply_json(req, 200,
                  json_pack("{s:o,s:I}", "keys", items, "max_validity_seconds",
                            (json_int_t)FK_CODE_MAX_VALIDITY));
}

struct revocations {
    json_t *items;
    size_t n;
    int truncated;
};

static void revocation_json(void *ctx, int64_t row_id, int type, int64_t object_id,
                            int64_t revoked_at)
{
    (void)row_id;
    struct revocations *list = ctx;
    if (list->n == REVOCATIONS_MAX) {
        list->truncated = 1;
        return;
    }
    json_array_append_new(list->items, json_pack("{s:s,s:I,s:o}", "type",
                                                 fk_code_type_name((enum fk_code_type)type), "id",
                                                 (json_int_t)object_id, "revoked_at",
                                                 fk_time_or_null(revoked_at)));
    list->n++;
}

static void list_revocations(struct fk_req *req)
{
    int has_since = 0;
    int64_t since = 0;
    if (fk_query_time_or_reply(req, "since", &has_since, &since) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct revocations list = {json_array(), 0, 0};
    enum fk_err err = fk_codes_store_revoked_since(
        db, has_since ? since : (int64_t)0, (int64_t)REVOCATIONS_MAX + 1, revocation_json, &list);
    if (err != FK_OK) {
        json_decref(list.items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:o,s:b}", "revocations", list.items, "truncated", list.truncated));
}

static json_t *info_json(json_t *obj, const struct fk_code_info *info)
{
    json_object_set_new(obj, "type", json_string(fk_code_type_name(info->type)));
    json_object_set_new(obj, "id", json_integer(info->object_id));
    json_object_set_new(obj, "key_id", key_id_json(info->key_id));
    json_object_set_new(obj, "issued_at", fk_time_or_null(info->issued_at));
    json_object_set_new(obj, "expires_at", fk_time_or_null(info->expires_at));
    return obj;
}

static void verify_scan(struct fk_req *req)
{
    /* The body is parsed here (FK_ROUTE_RAW) so that a scanner sending
     * anything but {"code": "..."} learns which field is wrong. */
    json_t *body_json = json_loadb(req->body.data ? req->body.data : "", req->body.len,
                                   JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    json_t *value = json_is_object(body_json) ? json_object_get(body_json, "code") : NULL;
    if (!json_is_string(value)) {
        fk_reply_err(req, value ? FK_E_CODES_SCAN_INVALID : FK_E_CODES_SCAN_MISSING, "code");
        json_decref(body_json);
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL) {
        json_decref(body_json);
        return;
    }
    const char *code = json_string_value(value);
    struct fk_code_info info;
    enum fk_code_status status = FK_CODE_MALFORMED;
    if (strlen(code) == json_string_length(value)) /* an embedded NUL is malformed */
        status = fk_code_verify(db, code, &info);
    json_decref(body_json); /* `code` is not used after this */
    if (status == FK_CODE_UNAVAILABLE) {
        fk_reply_err(req, FK_E_CODES_KEY_UNAVAILABLE, NULL);
        return;
    }
    /* A resident scans venue codes to check in; other people's codes are
     * for staff (the resident page learns the venue id from this answer). */
    if (req->actor.role == FK_ROLE_RESIDENT && status != FK_CODE_MALFORMED &&
        status != FK_CODE_BAD_SIGNATURE && status != FK_CODE_UNKNOWN_KEY &&
        info.type != FK_CODE_VENUE) {
        fk_reply_err(req, FK_E_CODES_NOT_VENUE_CODE, "code");
        return;
    }
    json_t *body = json_pack("{s:b}", "valid", status == FK_CODE_VALID);
    if (status != FK_CODE_VALID)
        json_object_set_new(body, "reason", json_string(fk_code_status_name(status)));
    /* Expired and revoked codes are genuine: say what they were. */
    if (status == FK_CODE_VALID || status == FK_CODE_EXPIRED || status == FK_CODE_REVOKED)
        info_json(body, &info);
    fk_reply_json(req, 200, body);
}

static void revoke_code(struct fk_req *req)
{
    const char *type_name, *reason;
    int present = 0;
    int64_t id = 0;
    if (fk_json_str_or_reply(req, "type", 1, 32, &type_name) != 0)
        return;
    enum fk_code_type type = fk_code_type_from_name(type_name);
    if (type == 0) {
        fk_reply_err(req, FK_E_CODES_TYPE, "type");
        return;
    }
    if (fk_json_int_or_reply(req, "id", 1, 1, INT64_MAX, &present, &id) != 0 ||
        fk_json_str_or_reply(req, "reason", 1, 200, &reason) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    char target[48];
    snprintf(target, sizeof(target), "%s:%lld", type_name, (long long)id);
    json_t *detail = json_pack("{s:s}", "reason", reason);
    struct fk_audit_entry audit = {req->actor.user_id,
                                   req->actor.username,
                                   "code.revoke",
                                   "code",
                                   target,
                                   0,
                                   req->actor.region,
                                   req->ip,
                                   detail};
    enum fk_err err = fk_code_revoke_audited(db, type, id, reason, &audit);
    json_decref(detail);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 201,
                  json_pack("{s:s,s:I,s:o}", "type", type_name, "id", (json_int_t)id, "revoked_at",
                            fk_time_or_null(fk_now())));
}

/* ?code= of a valid code, or replies and returns NULL. */
static const char *valid_code_or_reply(struct fk_req *req)
{
    const char *code = fk_req_query(req, "code");
    if (code == NULL || code[0] == '\0') {
        fk_reply_err(req, FK_E_CODES_MISSING_CODE, "code");
        return NULL;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return NULL;
    struct fk_code_info info;
    enum fk_code_status status = fk_code_verify(db, code, &info);
    if (status == FK_CODE_UNAVAILABLE) {
        fk_reply_err(req, FK_E_CODES_KEY_UNAVAILABLE, NULL);
        return NULL;
    }
    if (status != FK_CODE_VALID) {
        fk_reply_errf(req, FK_E_CODES_INVALID_CODE, "code", fk_code_status_name(status));
        return NULL;
    }
    return code;
}

static void qr_reply(struct fk_req *req, int png)
{
    int64_t scale = 8;
    const char *scale_text = fk_req_query(req, "scale");
    if (png && scale_text != NULL && fk_parse_int64(scale_text, 1, 32, &scale) != FK_OK) {
        fk_reply_err(req, FK_E_CODES_SCALE, "scale");
        return;
    }
    const char *code = valid_code_or_reply(req);
    if (code == NULL)
        return;
    struct fk_buf image;
    fk_buf_init(&image, 4u << 20);
    enum fk_err err = png ? fk_code_qr_png(code, (int)scale, &image) : fk_code_qr_svg(code, &image);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_bytes(req, 200, png ? "image/png" : "image/svg+xml", image.data, image.len);
    fk_buf_free(&image);
}

static void qr_svg(struct fk_req *req)
{
    qr_reply(req, 0);
}

static void qr_png(struct fk_req *req)
{
    qr_reply(req, 1);
}

#define Q(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"

static const struct fk_route routes[] = {
    {"GET", "/api/v1/keys", list_keys, FK_ROUTE_PUBLIC, FK_ROLE_ANY, "codes",
     "签名公钥（离线验码用）：{keys:[{key_id,public_key,state,created_at,retired_at}]}", NULL},
    {"GET", "/api/v1/revocations", list_revocations, FK_ROUTE_PUBLIC, FK_ROLE_ANY, "codes",
     "吊销列表（仅类型和编号）", "{\"parameters\":[" Q("since", "string") "]}"},
    {"POST", "/api/v1/revocations", revoke_code, 0, FK_ROLE_DISTRICT_ADMIN, "codes",
     "吊销某一通行证的全部已签发码：{type,id,reason}", NULL},
    {"POST", "/api/v1/scans/verify", verify_scan, FK_ROUTE_RAW, STAFF_ROLES | FK_ROLE_RESIDENT,
     "codes",
     "验码：{code} → {valid,type,id,key_id,issued_at,expires_at} 或 {valid:false,reason}"
     "（居民只能验场所码）",
     NULL},
    {"GET", "/api/v1/codes/qr.svg", qr_svg, 0, FK_ROLE_ANY, "codes", "有效码的二维码（SVG）",
     "{\"parameters\":[" Q("code", "string") "]}"},
    {"GET", "/api/v1/codes/qr.png", qr_png, 0, FK_ROLE_ANY, "codes", "有效码的二维码（PNG）",
     "{\"parameters\":[" Q("code", "string") "," Q("scale", "integer") "]}"},
};

enum fk_err fk_codes_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
