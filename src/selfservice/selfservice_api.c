/* Resident sign-in and the resident's own data: one-time codes by SMS, the
 * session they open, linking to the registry, family members (同行人员) and
 * the personal code (个人码). Every route but the two sign-in ones is for role
 * `resident` only, and every read or change of personal data is audited. */
#include "selfservice/selfservice_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "accounts/accounts.h"
#include "audit/audit.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "healthcode/healthcode_json.h"
#include "http/lookup.h"
#include "id/id.h"
#include "regions/regions.h"
#include "residents/residents.h"

#define PERSONAL_CODE_TTL                                                                          \
    300 /* a personal code is valid 5 minutes; the page renews it each minute */

static void audit_or_log(struct fk_req *req, const char *action, int64_t person_id, json_t *detail)
{
    if (fk_audit_req(req, action, person_id ? "person" : "user", NULL, person_id, detail) != FK_OK)
        fk_log(FK_LOG_ERROR, "audit_write_failed", json_pack("{s:s}", "action", action));
}

/* "phone" of the body, validated and normalized; -1 after replying 422. */
static int phone_or_reply(struct fk_req *req, const char **phone)
{
    if (fk_json_str_or_reply(req, "phone", 1, 32, phone) != 0)
        return -1;
    const char *reason = NULL;
    if (fk_phone_check(*phone, &reason) != FK_OK) {
        fk_reply_err(req, FK_E_SELF_PHONE, "phone");
        return -1;
    }
    return 0;
}

/* --- POST /api/v1/resident/otp --- */

static void post_otp(struct fk_req *req)
{
    snprintf(req->actor.username, sizeof(req->actor.username), "public");
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    const struct fk_pii_key *key = &req->app->pii_key;
    int64_t now = fk_now(), hits = 0, retry = 0;
    /* Every attempt from an address counts, valid or not. */
    enum fk_err err = fk_selfservice_rate_hit(db, key, "ip", req->ip, 3600, now, &hits, &retry);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (hits > FK_OTP_IP_HOUR) {
        fk_selfservice_reply_429(req, "本网络获取验证码次数过多", retry, NULL);
        return;
    }
    const char *phone;
    if (phone_or_reply(req, &phone) != 0)
        return;
    char blind[FK_BLIND_LEN];
    fk_pii_blind(key, "phone", phone, blind);
    /* The resend wait, the daily count and the new code in one transaction
     * under the phone's lock: parallel requests for one phone take turns, so
     * one code a minute is sent, not one per request that read the old
     * sent_at before any of them wrote. The SMS goes out after the commit. */
    struct fk_otp_issue otp;
    char text[256];
    err = fk_otp_issue(db, key, blind, now, &otp);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int64_t wait = otp.wait, retry_day = otp.retry;
    if (wait > 0) {
        fk_selfservice_reply_429(req, "验证码已发送", wait, "phone");
        return;
    }
    if (!otp.sending) {
        fk_selfservice_reply_429(req, "该手机号今天获取验证码次数过多", retry_day, "phone");
        return;
    }
    snprintf(text, sizeof(text),
             "【防控】您的登录验证码为 %s，%d 分钟内有效，仅用于居民端登录，请勿告诉他人。",
             otp.code, FK_OTP_TTL / 60);
    err = fk_sms_send(&req->app->cfg, phone, text);
    sodium_memzero(otp.code, sizeof(otp.code));
    sodium_memzero(text, sizeof(text));
    if (err != FK_OK) {
        /* Not sent: forget the code so that the resident may ask again now. */
        if (fk_otp_forget(db, blind, now) != FK_OK)
            fk_log_msg(FK_LOG_ERROR, "otp_delete_failed", "after a failed send");
        fk_reply_err(req, FK_E_SELF_SMS_UNAVAILABLE, NULL);
        return;
    }
    char masked[16];
    fk_mask_phone(phone, masked, sizeof(masked));
    json_t *detail = json_pack("{s:s}", "phone", masked);
    audit_or_log(req, "resident_otp_sent", 0, detail);
    json_decref(detail);
    fk_reply_json(req, 202,
                  json_pack("{s:b,s:i,s:i}", "accepted", 1, "resend_after", FK_OTP_RESEND,
                            "expires_in", FK_OTP_TTL));
}

/* --- POST /api/v1/resident/session --- */

/* 429 for a code whose tries are used up; Retry-After: when a new one may be
 * sent. */
static void too_many_attempts(struct fk_req *req, int64_t sent_at, int64_t now)
{
    int64_t wait = fk_otp_resend_wait(sent_at, now);
    char seconds[24];
    snprintf(seconds, sizeof(seconds), "%lld", (long long)(wait > 0 ? wait : 1));
    fk_reply_err(req, FK_E_SELF_TOO_MANY_ATTEMPTS, "code");
    fk_reply_header(req, "Retry-After", seconds);
}

static void post_resident_session(struct fk_req *req)
{
    snprintf(req->actor.username, sizeof(req->actor.username), "public");
    const char *phone, *code;
    if (phone_or_reply(req, &phone) != 0 || fk_json_str_or_reply(req, "code", 1, 16, &code) != 0)
        return;
    size_t len = strlen(code);
    int digits = len == FK_OTP_DIGITS;
    for (size_t i = 0; digits && i < len; i++)
        digits = code[i] >= '0' && code[i] <= '9';
    if (!digits) {
        fk_reply_err(req, FK_E_SELF_OTP_FORMAT, "code");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    const struct fk_pii_key *key = &req->app->pii_key;
    char blind[FK_BLIND_LEN], hash[FK_BLIND_LEN];
    fk_pii_blind(key, "phone", phone, blind);
    int row = 0;
    struct fk_otp_state state;
    enum fk_err err = fk_otp_state_get(db, blind, &state, &row);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int64_t now = fk_now();
    if (!row) {
        fk_reply_err(req, FK_E_SELF_OTP_INVALID, "code");
        return;
    }
    fk_otp_hash(key, blind, state.sent_at, code, hash);
    enum fk_otp_verdict verdict = fk_otp_judge(&state, hash, now);
    if (verdict == FK_OTP_TOO_MANY) {
        too_many_attempts(req, state.sent_at, now);
        return;
    }
    if (verdict == FK_OTP_EXPIRED) {
        fk_reply_err(req, FK_E_SELF_OTP_EXPIRED, "code");
        return;
    }
    /* Each try, right or wrong, claims one of the code's tries atomically:
     * parallel guesses that all read `attempts` before any wrote it cannot
     * get more than FK_OTP_MAX_ATTEMPTS answers between them. */
    int64_t tried = 0;
    err = fk_otp_claim_try(db, blind, state.sent_at, &tried);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (tried == 0 && verdict == FK_OTP_INVALID) {
        too_many_attempts(req, state.sent_at, now);
        return;
    }
    if (tried == 0) {
        fk_reply_err(req, FK_E_SELF_OTP_INVALID, "code");
        return;
    }
    if (verdict == FK_OTP_INVALID) {
        char left_text[24];
        int64_t left = FK_OTP_MAX_ATTEMPTS - tried;
        snprintf(left_text, sizeof(left_text), "%lld", (long long)left);
        if (left > 0)
            fk_reply_errf(req, FK_E_SELF_OTP_WRONG, "code", left_text);
        else
            fk_reply_err(req, FK_E_SELF_OTP_WRONG_LAST, "code");
        return;
    }
    /* Right code: use it up (a concurrent sign-in with the same code finds
     * nothing to delete), find or create the account, open a session. */
    struct fk_actor actor = {0};
    actor.role = FK_ROLE_RESIDENT;
    int created = 0;
    char token[FK_TOKEN_LEN], csrf[FK_TOKEN_LEN];
    struct fk_sign_in in = {phone, blind, hash, req->ip, now, req->app->cfg.session_ttl};
    err = fk_resident_sign_in(db, key, &in, &actor, token, csrf, &created);
    if (err == FK_OK)
        req->actor = actor;
    if (err != FK_OK) {
        if (err == FK_ERR_AUTH)
            fk_reply_err(req, FK_E_SELF_OTP_INVALID, "code");
        else if (err == FK_ERR_FORBIDDEN)
            fk_reply_err(req, FK_E_SELF_ACCOUNT_DISABLED, "phone");
        else if (err == FK_ERR_NOT_FOUND)
            fk_reply_err(req, FK_E_SELF_NOT_INITIALIZED, NULL);
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:s,s:{s:I,s:s,s:s,s:s,s:s,s:s},s:b}", "csrf_token", csrf, "user",
                            "id", (json_int_t)actor.user_id, "username", actor.username,
                            "display_name", actor.display_name, "role", "resident", "region",
                            actor.region, "region_name", "", "new_account", created));
    fk_session_cookie(req, token);
    sodium_memzero(token, sizeof(token));
}

/* --- GET /api/v1/me --- */

static void get_me(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *body = NULL;
    enum fk_err err = fk_selfservice_me(db, &req->app->pii_key, req->actor.user_id, &body);
    if (err == FK_ERR_FORBIDDEN) {
        fk_reply_err(req, FK_E_SELF_RESIDENT_ONLY, NULL);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *person = json_object_get(body, "person");
    int64_t person_id =
        json_is_object(person) ? json_integer_value(json_object_get(person, "id")) : 0;
    audit_or_log(req, "resident_me_read", person_id, NULL);
    fk_reply_json(req, 200, body);
}

/* --- link and family --- */

/* Counts a link or family attempt of the caller: 0 to go on, else replied. */
static int link_attempt_or_reply(struct fk_req *req, struct fk_conn *db, const char *kind,
                                 int64_t limit)
{
    char who[24];
    int64_t hits = 0, retry = 0;
    snprintf(who, sizeof(who), "%lld", (long long)req->actor.user_id);
    enum fk_err err =
        fk_selfservice_rate_hit(db, &req->app->pii_key, kind, who, 86400, fk_now(), &hits, &retry);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (hits > limit) {
        fk_selfservice_reply_429(req, "今天核验身份次数过多", retry, "id_number");
        return -1;
    }
    return 0;
}

/* "id_number" and "name" of the body: the parsed ID and the trimmed name. */
static int id_and_name_or_reply(struct fk_req *req, struct fk_resident_id *id, const char **name)
{
    const char *id_text, *reason = NULL;
    if (fk_json_str_or_reply(req, "id_number", 1, 32, &id_text) != 0)
        return -1;
    if (fk_resident_id_parse(id_text, fk_now(), id, &reason) != FK_OK) {
        fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, "id_number", fk_resident_id_message(reason));
        return -1;
    }
    if (fk_json_str_or_reply(req, "name", 1, FK_NAME_MAX, name) != 0)
        return -1;
    if (!fk_text_plain(*name)) {
        fk_reply_err(req, FK_E_SELF_NAME_CONTROL, "name");
        return -1;
    }
    return 0;
}

static void post_link(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t linked = 0;
    if (fk_selfservice_linked_or_reply(req, db, 0, &linked) != 0 ||
        link_attempt_or_reply(req, db, "link", FK_LINK_ATTEMPTS_DAY) != 0)
        return;
    struct fk_resident_id id;
    const char *name;
    if (id_and_name_or_reply(req, &id, &name) != 0)
        return;
    const struct fk_pii_key *key = &req->app->pii_key;
    struct fk_registry_match match;
    enum fk_err err = fk_registry_match(db, key, id.number, name, &match);
    int64_t person = match.person_id;
    int matches = match.name_matches;
    const char *region = match.region;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (person == 0 || !matches) {
        /* One answer for "no such ID" and "another name": the pair is wrong. */
        json_t *detail = json_pack("{s:s}", "reason", person == 0 ? "unknown_id" : "name");
        audit_or_log(req, "resident_link_failed", 0, detail);
        json_decref(detail);
        fk_reply_err(req, FK_E_SELF_LINK_MISMATCH, "id_number");
        return;
    }
    if (linked != 0 && linked != person) {
        fk_reply_err(req, FK_E_SELF_ALREADY_LINKED, "id_number");
        return;
    }
    char prefix[19];
    int depth = 0;
    const char *reason = NULL;
    if (fk_region_code_prefix(region, prefix, &depth, &reason) != FK_OK) {
        fk_reply_fail(req, FK_ERR_INVALID, NULL);
        return;
    }
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    err = fk_selfservice_link(db, req->actor.user_id, person, linked != 0, region, prefix, fk_now(),
                              &audit);
    json_t *body = NULL;
    if (err == FK_OK)
        err = fk_selfservice_me(db, key, req->actor.user_id, &body);
    fk_reply_result(req, err, 200, body);
}

static void post_family(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t linked = 0;
    if (fk_selfservice_linked_or_reply(req, db, 1, &linked) != 0)
        return;
    struct fk_resident_id id;
    const char *name, *relation;
    if (id_and_name_or_reply(req, &id, &name) != 0 ||
        fk_json_str_or_reply(req, "relation", 1, 32, &relation) != 0)
        return;
    if (fk_relation_label(relation) == NULL) {
        fk_reply_err(req, FK_E_SELF_RELATION, "relation");
        return;
    }
    int full = 0;
    /* A first look spares a full family its daily attempts; the count that
     * decides is made again inside the insert's transaction. */
    enum fk_err err;
    if ((err = fk_family_full(db, req->actor.user_id, &full)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (full) {
        fk_reply_err(req, FK_E_SELF_FAMILY_FULL, NULL);
        return;
    }
    if (link_attempt_or_reply(req, db, "family", FK_FAMILY_ATTEMPTS_DAY) != 0)
        return;
    const struct fk_pii_key *key = &req->app->pii_key;
    int64_t household = 0;
    char region[19] = "";
    struct fk_registry_match match;
    err = fk_registry_match(db, key, id.number, name, &match);
    int64_t person = match.person_id;
    int matches = match.name_matches;
    if (err == FK_OK) /* where a new member is registered: the linked person's home */
        err = fk_selfservice_home(db, linked, region, &household);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (person != 0 && !matches) {
        fk_reply_err(req, FK_E_SELF_FAMILY_MISMATCH, "name");
        return;
    }
    if (person == linked) {
        fk_reply_err(req, FK_E_SELF_FAMILY_SELF, "id_number");
        return;
    }
    int ok = 0;
    if (person != 0 &&
        (err = fk_selfservice_may_act_for(db, req->actor.user_id, person, &ok)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (ok) {
        fk_reply_err(req, FK_E_SELF_FAMILY_DUPLICATE, "id_number");
        return;
    }
    /* Someone not in the registry yet: registered in the linked person's
     * household and region, validated like any registration. */
    struct fk_person_valid valid;
    int registering = person == 0;
    if (registering) {
        char scope[19];
        int depth = 0;
        const char *reason = NULL;
        struct fk_person_error why = {0};
        struct fk_person_input in = {
            .id_number = id.number, .name = name, .region = region, .household_id = household};
        if (fk_region_code_prefix(region, scope, &depth, &reason) != FK_OK) {
            fk_reply_fail(req, FK_ERR_INVALID, NULL);
            return;
        }
        err = fk_person_validate(db, &in, scope, fk_now(), &valid, &why);
        if (err == FK_ERR_INVALID) {
            fk_reply_errf(req, FK_E_INVALID_FIELD_MSG,
                          why.field && strcmp(why.field, "name") == 0 ? "name" : "id_number",
                          why.message);
            return;
        }
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
    }
    struct fk_family_add add = {req->actor.user_id, relation, registering ? &valid : NULL,
                                fk_now()};
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    err = fk_family_add(db, key, &add, &audit, &person, &full);
    if (err == FK_OK && full) {
        fk_reply_err(req, FK_E_SELF_FAMILY_FULL, NULL);
        return;
    }
    if (err != FK_OK) {
        if (err == FK_ERR_CONFLICT)
            fk_reply_err(req, FK_E_SELF_FAMILY_RACE, "id_number");
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *member = NULL;
    if ((err = fk_selfservice_person_brief(db, key, person, &member)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_object_set_new(member, "relation", json_string(relation));
    json_object_set_new(member, "relation_label", json_string(fk_relation_label(relation)));
    json_object_set_new(member, "registered", json_boolean(registering));
    fk_reply_json(req, 201, member);
}

static void delete_family(struct fk_req *req)
{
    int64_t person = 0;
    if (fk_path_id_or_reply(req, "person_id", FK_E_SELF_FAMILY_NOT_FOUND, "person_id", &person) !=
        0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    enum fk_err err = fk_family_remove(db, req->actor.user_id, person, &audit);
    if (fk_found_or_reply(req, err, NULL, FK_E_SELF_FAMILY_NOT_FOUND, "person_id") == 0)
        fk_reply_empty(req, 204);
}

/* --- personal code (个人码) --- */

/* The reasons' labels of a code as fk_health_code_current gives it, best first. */
static json_t *reason_labels(const json_t *code)
{
    json_t *labels = json_array();
    size_t i;
    json_t *reason;
    json_array_foreach(json_object_get(code, "reasons"), i, reason)
    {
        const char *label = json_string_value(json_object_get(reason, "label"));
        if (label == NULL)
            label = json_string_value(json_object_get(reason, "cause"));
        if (label != NULL)
            json_array_append_new(labels, json_string(label));
    }
    return labels;
}

static void get_code(struct fk_req *req)
{
    struct fk_conn *db;
    int64_t person = 0;
    if (fk_selfservice_person_or_reply(req, 0, &db, &person) != 0)
        return;
    json_t *brief = NULL, *hc = NULL;
    char code[FK_CODE_MAX_LEN];
    int64_t now = fk_now();
    enum fk_err err = fk_selfservice_person_brief(db, &req->app->pii_key, person, &brief);
    if (err == FK_OK) /* re-evaluated first when a reason has expired */
        err = fk_health_code_current(db, person, &hc);
    if (err == FK_OK)
        err = fk_code_issue(db, FK_CODE_PERSONAL, person, now + PERSONAL_CODE_TTL, code,
                            sizeof(code));
    if (err != FK_OK) {
        json_decref(brief);
        json_decref(hc);
        fk_reply_fail(req, err, NULL);
        return;
    }
    audit_or_log(req, "personal_code_read", person, NULL);
    json_t *body = json_pack(
        "{s:I,s:O,s:O,s:O,s:O,s:o,s:s,s:o,s:O,s:o,s:O}", "person_id", (json_int_t)person, "color",
        json_object_get(hc, "color"), "label", json_object_get(hc, "label"), "name",
        json_object_get(brief, "name"), "id_number", json_object_get(brief, "id_number"), "at",
        fk_time_or_null(now), "code", code, "expires_at", fk_time_or_null(now + PERSONAL_CODE_TTL),
        "since", json_object_get(hc, "since"), "reasons", reason_labels(hc), "rules_version",
        json_object_get(hc, "rules_version"));
    json_decref(brief);
    json_decref(hc);
    fk_reply_json(req, 200, body);
}

static void get_code_svg(struct fk_req *req)
{
    struct fk_conn *db;
    int64_t person = 0;
    if (fk_selfservice_person_or_reply(req, 0, &db, &person) != 0)
        return;
    char code[FK_CODE_MAX_LEN];
    enum fk_err err = fk_code_issue(db, FK_CODE_PERSONAL, person, fk_now() + PERSONAL_CODE_TTL,
                                    code, sizeof(code));
    struct fk_buf image;
    fk_buf_init(&image, 1u << 20);
    if (err == FK_OK)
        err = fk_code_qr_svg(code, &image);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else {
        fk_reply_bytes(req, 200, "image/svg+xml", image.data, image.len);
        fk_reply_header(req, "Cache-Control", "no-store");
    }
    fk_buf_free(&image);
}

#define Q(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define STAFF_REPORT_ROLES                                                                         \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_QUARANTINE_STAFF | FK_ROLE_TRACER)
#define REPORT_QUERY                                                                               \
    "{\"parameters\":[" Q("region", "string") "," Q("date", "string") "," Q(                       \
        "fever", "integer") "," Q("q", "string") "," Q("page", "integer") "," Q("per_page",        \
                                                                                "integer") "]}"

static const struct fk_route routes[] = {
    {"POST", "/api/v1/resident/otp", post_otp, FK_ROUTE_PUBLIC, FK_ROLE_ANY, "resident",
     "居民端：发送登录验证码 {phone} → 202（手机号是否已注册答复相同）", NULL},
    {"POST", "/api/v1/resident/session", post_resident_session, FK_ROUTE_PUBLIC, FK_ROLE_ANY,
     "resident", "居民端：验证码登录 {phone,code} → 会话 Cookie + {csrf_token}", NULL},
    {"GET", "/api/v1/me", get_me, 0, FK_ROLE_RESIDENT, "resident",
     "居民端：本人账号、绑定人员和同行人员", NULL},
    {"POST", "/api/v1/me/link", post_link, 0, FK_ROLE_RESIDENT, "resident",
     "居民端：按身份证号和姓名绑定人口底数中的本人", NULL},
    {"POST", "/api/v1/me/family", post_family, 0, FK_ROLE_RESIDENT, "resident",
     "居民端：登记同行人员 {id_number,name,relation}（最多 10 人）", NULL},
    {"DELETE", "/api/v1/me/family/{person_id}", delete_family, 0, FK_ROLE_RESIDENT, "resident",
     "居民端：移除同行人员", NULL},
    {"GET", "/api/v1/me/code", get_code, 0, FK_ROLE_RESIDENT, "resident",
     "居民端：个人码（颜色、姓名、脱敏身份证号、签名 FKP: 码，5 分钟有效）",
     "{\"parameters\":[" Q("person_id", "integer") "]}"},
    {"GET", "/api/v1/me/code.svg", get_code_svg, 0, FK_ROLE_RESIDENT, "resident",
     "居民端：个人码二维码（SVG）", "{\"parameters\":[" Q("person_id", "integer") "]}"},
    {"POST", "/api/v1/me/health-reports", fk_selfservice_post_report, 0, FK_ROLE_RESIDENT,
     "resident", "居民端：每日健康申报（同一人同一天再次申报会覆盖）", NULL},
    {"GET", "/api/v1/me/health-reports", fk_selfservice_list_my_reports, 0, FK_ROLE_RESIDENT,
     "resident", "居民端：本人或同行人员的健康申报记录",
     "{\"parameters\":[" Q("person_id", "integer") "]}"},
    {"GET", "/api/v1/health-reports", fk_selfservice_list_reports, 0, STAFF_REPORT_ROLES,
     "resident", "健康申报列表（辖区、日期、只看发热）", REPORT_QUERY},
    {"GET", "/api/v1/health-reports/export", fk_selfservice_export_reports, 0, STAFF_REPORT_ROLES,
     "resident", "健康申报台账（.xlsx / .csv）", REPORT_QUERY},
};

enum fk_err fk_selfservice_routes(void)
{
    enum fk_err err = fk_sms_init();
    if (err != FK_OK)
        return err;
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
