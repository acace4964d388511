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
#include "healthcode/healthcode.h"
#include "id/id.h"
#include "regions/regions.h"
#include "residents/residents.h"

#define PERSONAL_CODE_TTL                                                                          \
    300 /* a personal code is valid 5 minutes; the page renews it each minute */

static const char *id_message(const char *reason)
{
    static const struct {
        const char *reason, *message;
    } table[] = {
        {"length", "身份证号应为 18 位"},
        {"characters", "身份证号只能包含数字，最后一位可以是 X"},
        {"province", "身份证号的省份代码不存在"},
        {"birth_date", "身份证号中的出生日期不存在"},
        {"birth_in_future", "身份证号中的出生日期晚于今天"},
        {"birth_too_old", "身份证号中的出生日期早于 1900 年"},
        {"checksum", "身份证号校验位错误，请核对"},
    };
    for (size_t i = 0; reason != NULL && i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].reason, reason) == 0)
            return table[i].message;
    return "身份证号无效";
}

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
    char code[FK_OTP_DIGITS + 1], hash[FK_BLIND_LEN], text[256];
    int64_t wait = 0;
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_lock_text(db, FK_LOCK_OTP_PHONE, blind);
    if (err == FK_OK) {
        struct fk_stmt *st = NULL;
        int row = 0;
        err = fk_db_query(db, &st, &row, "SELECT sent_at FROM resident_otps WHERE phone_blind = ?",
                          "t", blind);
        wait = fk_otp_resend_wait(err == FK_OK && row ? fk_stmt_int64(st, 0) : 0, now);
        fk_stmt_free(st);
    }
    if (err == FK_OK && wait == 0)
        err = fk_selfservice_rate_hit(db, key, "phone", blind, 86400, now, &hits, &retry);
    int sending = err == FK_OK && wait == 0 && hits <= FK_OTP_PHONE_DAY;
    if (sending) {
        fk_otp_new_code(code);
        fk_otp_hash(key, blind, now, code, hash);
        err = fk_db_run(db, NULL,
                        "INSERT INTO resident_otps(phone_blind, code_hash, sent_at, expires_at, "
                        "attempts) VALUES (?, ?, ?, ?, 0) ON CONFLICT (phone_blind) DO UPDATE SET "
                        "code_hash = excluded.code_hash, sent_at = excluded.sent_at, "
                        "expires_at = excluded.expires_at, attempts = 0",
                        "ttii", blind, hash, now, now + FK_OTP_TTL);
    }
    /* A refused request still counts against the day (it is committed). */
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (sending)
            sodium_memzero(code, sizeof(code));
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (wait > 0) {
        fk_selfservice_reply_429(req, "验证码已发送", wait, "phone");
        return;
    }
    if (!sending) {
        fk_selfservice_reply_429(req, "该手机号今天获取验证码次数过多", retry, "phone");
        return;
    }
    snprintf(text, sizeof(text),
             "【防控】您的登录验证码为 %s，%d 分钟内有效，仅用于居民端登录，请勿告诉他人。", code,
             FK_OTP_TTL / 60);
    err = fk_sms_send(&req->app->cfg, phone, text);
    sodium_memzero(code, sizeof(code));
    sodium_memzero(text, sizeof(text));
    if (err != FK_OK) {
        /* Not sent: forget the code so that the resident may ask again now. */
        if (fk_db_run(db, NULL, "DELETE FROM resident_otps WHERE phone_blind = ? AND sent_at = ?",
                      "ti", blind, now) != FK_OK)
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

/* The district root: where an account that is not linked yet belongs. */
static enum fk_err district_root(struct fk_conn *db, char code[19], char prefix[19])
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row,
                    "SELECT code, prefix FROM regions WHERE level = 1 ORDER BY code LIMIT 1", "");
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        snprintf(code, 19, "%s", fk_stmt_text(st, 0));
        snprintf(prefix, 19, "%s", fk_stmt_text(st, 1));
    }
    fk_stmt_free(st);
    return err;
}

/* Finds or creates the account of `blind` (inside the caller's transaction). */
static enum fk_err account_for_phone(struct fk_req *req, struct fk_conn *db, const char *phone,
                                     const char *blind, int64_t now, struct fk_actor *actor,
                                     int *disabled, int *created)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *created = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT u.id, u.username, u.display_name, u.region, "
                                  "u.region_prefix, u.disabled FROM resident_accounts a JOIN "
                                  "users u ON u.id = a.user_id WHERE a.phone_blind = ?",
                                  "t", blind);
    if (err == FK_OK && row) {
        actor->user_id = fk_stmt_int64(st, 0);
        snprintf(actor->username, sizeof(actor->username), "%s", fk_stmt_text(st, 1));
        snprintf(actor->display_name, sizeof(actor->display_name), "%s", fk_stmt_text(st, 2));
        snprintf(actor->region, sizeof(actor->region), "%s", fk_stmt_text(st, 3));
        snprintf(actor->prefix, sizeof(actor->prefix), "%s", fk_stmt_text(st, 4));
        *disabled = (int)fk_stmt_int64(st, 5);
    }
    fk_stmt_free(st);
    if (err != FK_OK || row)
        return err;
    /* A new account: a users row with no usable password ("!" is no argon2id
     * hash), named after the phone's blind index, in the district root. */
    char *sealed = NULL;
    if ((err = district_root(db, actor->region, actor->prefix)) != FK_OK ||
        (err = fk_pii_seal(&req->app->pii_key, "phone", phone, &sealed)) != FK_OK)
        return err;
    snprintf(actor->username, sizeof(actor->username), "r.%s", blind);
    fk_mask_phone(phone, actor->display_name, sizeof(actor->display_name));
    err = fk_db_run(db, &actor->user_id,
                    "INSERT INTO users(username, display_name, password_hash, role, region, "
                    "region_prefix, created_at, updated_at) VALUES (?, ?, '!', 'resident', ?, ?, "
                    "?, ?) RETURNING id",
                    "ttttii", actor->username, actor->display_name, actor->region, actor->prefix,
                    now, now);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "INSERT INTO resident_accounts(phone_blind, phone_sealed, user_id, "
                        "created_at) VALUES (?, ?, ?, ?)",
                        "ttii", blind, sealed, actor->user_id, now);
    free(sealed);
    *disabled = 0;
    *created = err == FK_OK;
    return err;
}

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
    struct fk_stmt *st = NULL;
    int row = 0;
    struct fk_otp_state state = {0};
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT code_hash, sent_at, expires_at, attempts FROM "
                                  "resident_otps WHERE phone_blind = ?",
                                  "t", blind);
    if (err == FK_OK && row) {
        snprintf(state.code_hash, sizeof(state.code_hash), "%s", fk_stmt_text(st, 0));
        state.sent_at = fk_stmt_int64(st, 1);
        state.expires_at = fk_stmt_int64(st, 2);
        state.attempts = fk_stmt_int64(st, 3);
    }
    fk_stmt_free(st);
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
    err = fk_db_run(db, &tried,
                    "UPDATE resident_otps SET attempts = attempts + 1 WHERE phone_blind = ? AND "
                    "sent_at = ? AND attempts < ? RETURNING attempts",
                    "tii", blind, state.sent_at, (int64_t)FK_OTP_MAX_ATTEMPTS);
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
    int disabled = 0, created = 0;
    int64_t consumed = 0;
    char token[FK_TOKEN_LEN], csrf[FK_TOKEN_LEN];
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, &consumed,
                        "DELETE FROM resident_otps WHERE phone_blind = ? AND code_hash = ? "
                        "RETURNING sent_at",
                        "tt", blind, hash);
    if (err == FK_OK && consumed == 0)
        err = FK_ERR_AUTH;
    if (err == FK_OK)
        err = account_for_phone(req, db, phone, blind, now, &actor, &disabled, &created);
    if (err == FK_OK && disabled)
        err = FK_ERR_FORBIDDEN;
    if (err == FK_OK)
        err = fk_session_create(db, actor.user_id, now, req->app->cfg.session_ttl, token, csrf,
                                &actor.session_id);
    if (err == FK_OK) {
        req->actor = actor;
        json_t *detail = json_pack("{s:b}", "new_account", created);
        err = fk_audit_req(req, "resident_login", "user", NULL, 0, detail);
        json_decref(detail);
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
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

/* {"id","name","id_number" (masked),"region","region_name","household_id"} of a person. */
static enum fk_err person_brief(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                                json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT p.id, p.name, p.id_sealed, p.region, COALESCE(r.name, ''), "
        "COALESCE(p.household_id, 0) FROM persons p LEFT JOIN regions r ON r.code = p.region "
        "WHERE p.id = ?",
        "i", id);
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        char masked[32];
        fk_pii_open_masked(key, "id_number", fk_stmt_text(st, 2), 0, masked, sizeof(masked));
        int64_t household = fk_stmt_int64(st, 5);
        *out = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)fk_stmt_int64(st, 0),
                         "name", fk_stmt_text(st, 1), "id_number", masked, "region",
                         fk_stmt_text(st, 3), "region_name", fk_stmt_text(st, 4), "household_id",
                         household ? json_integer(household) : json_null());
        if (*out == NULL)
            err = FK_ERR_NOMEM;
    }
    fk_stmt_free(st);
    return err;
}

static const struct {
    const char *id, *label;
} relations[] = {
    {"spouse", "配偶"},        {"child", "子女"},         {"parent", "父母"},
    {"grandparent", "祖父母"}, {"grandchild", "孙子女"},  {"sibling", "兄弟姐妹"},
    {"relative", "其他亲属"},  {"other", "其他同住人员"},
};

static const char *relation_label(const char *relation)
{
    for (size_t i = 0; relation != NULL && i < sizeof(relations) / sizeof(relations[0]); i++)
        if (strcmp(relations[i].id, relation) == 0)
            return relations[i].label;
    return NULL;
}

/* The caller's account, linked person and family as JSON. */
static enum fk_err me_json(struct fk_req *req, struct fk_conn *db, json_t **out)
{
    const struct fk_pii_key *key = &req->app->pii_key;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT phone_sealed, COALESCE(person_id, 0), "
                                  "COALESCE(linked_at, 0), created_at FROM resident_accounts "
                                  "WHERE user_id = ?",
                                  "i", req->actor.user_id);
    if (err == FK_OK && !row)
        err = FK_ERR_FORBIDDEN;
    if (err != FK_OK) {
        fk_stmt_free(st);
        return err;
    }
    char phone[16];
    fk_pii_open_masked(key, "phone", fk_stmt_text(st, 0), 0, phone, sizeof(phone));
    int64_t person_id = fk_stmt_int64(st, 1), linked_at = fk_stmt_int64(st, 2);
    json_t *account =
        json_pack("{s:I,s:s,s:b,s:o,s:o}", "id", (json_int_t)req->actor.user_id, "phone", phone,
                  "linked", person_id != 0, "linked_at", fk_time_or_null(linked_at), "created_at",
                  fk_time_or_null(fk_stmt_int64(st, 3)));
    fk_stmt_free(st);
    json_t *person = NULL, *family = json_array();
    if (person_id != 0)
        err = person_brief(db, key, person_id, &person);
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          "SELECT person_id, relation FROM resident_family WHERE user_id = ? "
                          "ORDER BY created_at, person_id",
                          "i", req->actor.user_id);
    else
        st = NULL;
    while (err == FK_OK && row) {
        json_t *member = NULL;
        const char *relation = fk_stmt_text(st, 1);
        enum fk_err e = person_brief(db, key, fk_stmt_int64(st, 0), &member);
        if (e != FK_OK) {
            err = e;
            break;
        }
        json_object_set_new(member, "relation", json_string(relation));
        const char *label = relation_label(relation);
        json_object_set_new(member, "relation_label", json_string(label ? label : relation));
        json_array_append_new(family, member);
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    if (err != FK_OK) {
        json_decref(account);
        json_decref(person);
        json_decref(family);
        return err;
    }
    *out = json_pack("{s:o,s:o,s:o,s:i}", "account", account, "person",
                     person ? person : json_null(), "family", family, "family_max", FK_FAMILY_MAX);
    return *out ? FK_OK : FK_ERR_NOMEM;
}

static void get_me(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *body = NULL;
    enum fk_err err = me_json(req, db, &body);
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
        fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, "id_number", id_message(reason));
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

/* The live registry person with this ID number (following a merge) and
 * whether `name` is exactly theirs: *person_id 0 when none. */
static enum fk_err registry_match(struct fk_conn *db, const struct fk_pii_key *key,
                                  const char *id_number, const char *name, int64_t *person_id,
                                  int *name_matches, char region[19], int64_t *household)
{
    *person_id = 0;
    *name_matches = 0;
    int64_t found = 0;
    enum fk_err err = fk_person_find_by_id_number(db, key, id_number, &found);
    if (err != FK_OK || found == 0)
        return err;
    struct fk_stmt *st = NULL;
    int row = 0;
    err = fk_db_query(db, &st, &row,
                      "SELECT p.id, p.name, p.region, COALESCE(p.household_id, 0) FROM persons p "
                      "WHERE p.id = (SELECT COALESCE(merged_into, id) FROM persons WHERE id = ?) "
                      "AND p.merged_into IS NULL",
                      "i", found);
    if (err == FK_OK && row) {
        *person_id = fk_stmt_int64(st, 0);
        *name_matches = strcmp(fk_stmt_text(st, 1), name) == 0;
        if (region != NULL)
            snprintf(region, 19, "%s", fk_stmt_text(st, 2));
        if (household != NULL)
            *household = fk_stmt_int64(st, 3);
    }
    fk_stmt_free(st);
    return err;
}

static void post_link(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t linked = 0;
    enum fk_err err = fk_selfservice_linked(db, req->actor.user_id, &linked);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_SELF_RESIDENT_ONLY, NULL);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (link_attempt_or_reply(req, db, "link", FK_LINK_ATTEMPTS_DAY) != 0)
        return;
    struct fk_resident_id id;
    const char *name;
    if (id_and_name_or_reply(req, &id, &name) != 0)
        return;
    const struct fk_pii_key *key = &req->app->pii_key;
    int64_t person = 0;
    int matches = 0;
    char region[19] = "";
    err = registry_match(db, key, id.number, name, &person, &matches, region, NULL);
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
    int64_t now = fk_now();
    err = fk_db_begin(db);
    if (err == FK_OK && linked == 0)
        err = fk_db_run(
            db, NULL, "UPDATE resident_accounts SET person_id = ?, linked_at = ? WHERE user_id = ?",
            "iii", person, now, req->actor.user_id);
    /* The account belongs where its person lives from now on. */
    if (err == FK_OK)
        err = fk_db_run(
            db, NULL, "UPDATE users SET region = ?, region_prefix = ?, updated_at = ? WHERE id = ?",
            "ttii", region, prefix, now, req->actor.user_id);
    if (err == FK_OK)
        err = fk_audit_req(req, "resident_link", "person", NULL, person, NULL);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    if ((err = me_json(req, db, &body)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

/* *full = 1 when account `user_id` has FK_FAMILY_MAX family members. */
static enum fk_err family_full(struct fk_conn *db, int64_t user_id, int *full)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT COUNT(*) FROM resident_family WHERE user_id = ?", "i", user_id);
    *full = err == FK_OK && row && fk_stmt_int64(st, 0) >= FK_FAMILY_MAX;
    if (err == FK_OK)
        fk_stmt_free(st);
    return err;
}

static void post_family(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t linked = 0;
    enum fk_err err = fk_selfservice_linked(db, req->actor.user_id, &linked);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_SELF_RESIDENT_ONLY, NULL);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (linked == 0) {
        fk_reply_err(req, FK_E_SELF_NOT_LINKED, NULL);
        return;
    }
    struct fk_resident_id id;
    const char *name, *relation;
    if (id_and_name_or_reply(req, &id, &name) != 0 ||
        fk_json_str_or_reply(req, "relation", 1, 32, &relation) != 0)
        return;
    if (relation_label(relation) == NULL) {
        fk_reply_err(req, FK_E_SELF_RELATION, "relation");
        return;
    }
    struct fk_stmt *st = NULL;
    int row = 0, full = 0;
    /* A first look spares a full family its daily attempts; the count that
     * decides is made again inside the insert's transaction. */
    if ((err = family_full(db, req->actor.user_id, &full)) != FK_OK) {
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
    int64_t person = 0, household = 0;
    int matches = 0;
    char region[19] = "";
    err = registry_match(db, key, id.number, name, &person, &matches, NULL, NULL);
    if (err == FK_OK) /* where a new member is registered: the linked person's home */
        err = fk_db_query(db, &st, &row,
                          "SELECT region, COALESCE(household_id, 0) FROM persons WHERE id = ?", "i",
                          linked);
    else
        st = NULL;
    if (err == FK_OK && row) {
        snprintf(region, sizeof(region), "%s", fk_stmt_text(st, 0));
        household = fk_stmt_int64(st, 1);
    }
    fk_stmt_free(st);
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
    int64_t now = fk_now(), existing = 0;
    /* The count and the insert under the account's lock: parallel additions
     * cannot all see room for one more. */
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_lock(db, FK_LOCK_FAMILY_USER, req->actor.user_id);
    if (err == FK_OK)
        err = family_full(db, req->actor.user_id, &full);
    if (err == FK_OK && full) {
        fk_db_rollback(db);
        fk_reply_err(req, FK_E_SELF_FAMILY_FULL, NULL);
        return;
    }
    if (err == FK_OK && registering) {
        err = fk_person_insert(db, key, &valid, now, &person, &existing);
        if (err == FK_OK)
            err = fk_audit_req(req, "person_create", "person", NULL, person, NULL);
    }
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "INSERT INTO resident_family(user_id, person_id, relation, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        "iiti", req->actor.user_id, person, relation, now);
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:s,s:b}", "relation", relation, "registered", registering);
        err = fk_audit_req(req, "resident_family_add", "person", NULL, person, detail);
        json_decref(detail);
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (err == FK_ERR_CONFLICT)
            fk_reply_err(req, FK_E_SELF_FAMILY_RACE, "id_number");
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *member = NULL;
    if ((err = person_brief(db, key, person, &member)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_object_set_new(member, "relation", json_string(relation));
    json_object_set_new(member, "relation_label", json_string(relation_label(relation)));
    json_object_set_new(member, "registered", json_boolean(registering));
    fk_reply_json(req, 201, member);
}

static void delete_family(struct fk_req *req)
{
    int64_t person = 0;
    if (fk_parse_int64(fk_req_param(req, "person_id"), 1, INT64_MAX, &person) != FK_OK) {
        fk_reply_err(req, FK_E_SELF_FAMILY_NOT_FOUND, "person_id");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t gone = 0;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, &gone,
                        "DELETE FROM resident_family WHERE user_id = ? AND person_id = ? "
                        "RETURNING person_id",
                        "ii", req->actor.user_id, person);
    if (err == FK_OK && gone == 0)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        err = fk_audit_req(req, "resident_family_remove", "person", NULL, person, NULL);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (err == FK_ERR_NOT_FOUND)
            fk_reply_err(req, FK_E_SELF_FAMILY_NOT_FOUND, "person_id");
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
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
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t person = 0;
    if (fk_selfservice_person_or_reply(req, db, 0, &person) != 0)
        return;
    json_t *brief = NULL, *hc = NULL;
    char code[FK_CODE_MAX_LEN];
    int64_t now = fk_now();
    enum fk_err err = person_brief(db, &req->app->pii_key, person, &brief);
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
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t person = 0;
    if (fk_selfservice_person_or_reply(req, db, 0, &person) != 0)
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
