/* Resident self-service rules without HTTP: one-time codes, rate-limit
 * windows, the daily health report's checks, and whom an account acts for. */
#include "selfservice/selfservice_internal.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "core/parse.h"

/* Asia/Shanghai is UTC+8 all year (no daylight saving since 1991). */
#define SHANGHAI_OFFSET (8 * 3600)

void fk_otp_new_code(char out[FK_OTP_DIGITS + 1])
{
    for (int i = 0; i < FK_OTP_DIGITS; i++)
        out[i] = (char)('0' + randombytes_uniform(10));
    out[FK_OTP_DIGITS] = '\0';
}

void fk_otp_hash(const struct fk_pii_key *key, const char *phone_blind, int64_t sent_at,
                 const char *code, char out[FK_BLIND_LEN])
{
    char material[FK_BLIND_LEN + 32 + FK_OTP_DIGITS + 1];
    snprintf(material, sizeof(material), "%s:%lld:%s", phone_blind, (long long)sent_at, code);
    fk_pii_blind(key, "otp", material, out);
    sodium_memzero(material, sizeof(material));
}

enum fk_otp_verdict fk_otp_judge(const struct fk_otp_state *state, const char *given_hash,
                                 int64_t now)
{
    if (state->attempts >= FK_OTP_MAX_ATTEMPTS)
        return FK_OTP_TOO_MANY;
    if (now >= state->expires_at)
        return FK_OTP_EXPIRED;
    if (strlen(given_hash) != FK_BLIND_LEN - 1 || strlen(state->code_hash) != FK_BLIND_LEN - 1)
        return FK_OTP_INVALID;
    return sodium_memcmp(state->code_hash, given_hash, FK_BLIND_LEN - 1) == 0 ? FK_OTP_OK
                                                                              : FK_OTP_INVALID;
}

int64_t fk_otp_resend_wait(int64_t sent_at, int64_t now)
{
    if (sent_at <= 0 || now - sent_at >= FK_OTP_RESEND)
        return 0;
    if (now < sent_at) /* a clock set back: wait the whole interval from now */
        return FK_OTP_RESEND;
    return FK_OTP_RESEND - (now - sent_at);
}

int64_t fk_selfservice_window(int64_t now, int64_t window, int64_t *retry)
{
    int64_t local = now + SHANGHAI_OFFSET;
    int64_t start = local - (local % window + window) % window;
    if (retry != NULL)
        *retry = start + window - local;
    return start - SHANGHAI_OFFSET;
}

/* --- daily health report --- */

static const struct {
    const char *id, *label;
} symptoms[] = {
    {"fever", "发热"},
    {"cough", "咳嗽"},
    {"sore_throat", "咽痛"},
    {"fatigue", "乏力"},
    {"smell_taste_loss", "嗅（味）觉减退"},
    {"runny_nose", "鼻塞流涕"},
    {"muscle_pain", "肌肉酸痛"},
    {"diarrhea", "腹泻"},
    {"conjunctivitis", "结膜炎"},
    {"short_breath", "呼吸困难"},
};
#define N_SYMPTOMS (sizeof(symptoms) / sizeof(symptoms[0]))

const char *fk_symptom_label(const char *symptom)
{
    for (size_t i = 0; symptom != NULL && i < N_SYMPTOMS; i++)
        if (strcmp(symptoms[i].id, symptom) == 0)
            return symptoms[i].label;
    return NULL;
}

const char *fk_symptom_at(size_t i)
{
    return i < N_SYMPTOMS ? symptoms[i].id : NULL;
}

int fk_report_date_ok(const char *date, int64_t now)
{
    if (date == NULL || strlen(date) != 10 || date[4] != '-' || date[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (date[i] < '0' || date[i] > '9'))
            return 0;
    int y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    int m = (date[5] - '0') * 10 + (date[6] - '0');
    int d = (date[8] - '0') * 10 + (date[9] - '0');
    if (!fk_date_valid(y, m, d))
        return 0;
    int ty, tm, td;
    fk_civil_date(now, &ty, &tm, &td);
    int64_t days = fk_days_from_civil(y, (unsigned)m, (unsigned)d);
    int64_t today = fk_days_from_civil(ty, (unsigned)tm, (unsigned)td);
    return days == today || days == today - 1;
}

int64_t fk_report_temperature_tenths(double celsius)
{
    if (!isfinite(celsius))
        return -1;
    double tenths = floor(celsius * 10.0 + 0.5);
    if (tenths < 350.0 || tenths > 420.0)
        return -1;
    return (int64_t)tenths;
}

/* --- accounts --- */

enum fk_err fk_selfservice_may_act_for(struct fk_conn *db, int64_t user_id, int64_t person_id,
                                       int *ok)
{
    *ok = 0;
    if (db == NULL || user_id < 1 || person_id < 1)
        return FK_ERR_INVALID;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row,
                    "SELECT 1 FROM resident_accounts WHERE user_id = ? AND person_id = ? "
                    "UNION ALL SELECT 1 FROM resident_family f JOIN resident_accounts a "
                    "ON a.user_id = f.user_id AND a.person_id IS NOT NULL "
                    "WHERE f.user_id = ? AND f.person_id = ?",
                    "iiii", user_id, person_id, user_id, person_id);
    if (err == FK_OK)
        *ok = row;
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_selfservice_linked(struct fk_conn *db, int64_t user_id, int64_t *person_id)
{
    *person_id = 0;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT COALESCE(person_id, 0) FROM resident_accounts WHERE user_id = ?",
        "i", user_id);
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        *person_id = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    return err;
}

int fk_selfservice_linked_or_reply(struct fk_req *req, struct fk_conn *db, int need_link,
                                   int64_t *linked)
{
    enum fk_err err = fk_selfservice_linked(db, req->actor.user_id, linked);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_SELF_RESIDENT_ONLY, NULL);
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (need_link && *linked == 0) {
        fk_reply_err(req, FK_E_SELF_NOT_LINKED, NULL);
        return -1;
    }
    return 0;
}

int fk_selfservice_person_or_reply(struct fk_req *req, int from_body, struct fk_conn **dbp,
                                   int64_t *person_id)
{
    int64_t linked = 0, wanted = 0;
    struct fk_conn *db = *dbp = fk_req_db(req);
    if (db == NULL || fk_selfservice_linked_or_reply(req, db, 1, &linked) != 0)
        return -1;
    enum fk_err err;
    if (from_body) {
        int present = 0;
        if (fk_json_int_or_reply(req, "person_id", 0, 1, INT64_MAX, &present, &wanted) != 0)
            return -1;
    } else {
        const char *text = fk_req_query(req, "person_id");
        if (text != NULL && text[0] != '\0' &&
            fk_parse_int64(text, 1, INT64_MAX, &wanted) != FK_OK) {
            fk_reply_err(req, FK_E_SELF_PERSON_ID, "person_id");
            return -1;
        }
    }
    if (wanted == 0 || wanted == linked) {
        *person_id = linked;
        return 0;
    }
    int ok = 0;
    if ((err = fk_selfservice_may_act_for(db, req->actor.user_id, wanted, &ok)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (!ok) {
        fk_reply_err(req, FK_E_SELF_FAMILY_ONLY, "person_id");
        return -1;
    }
    *person_id = wanted;
    return 0;
}

enum fk_err fk_selfservice_rate_hit(struct fk_conn *db, const struct fk_pii_key *key,
                                    const char *kind, const char *plain, int64_t window,
                                    int64_t now, int64_t *hits, int64_t *retry)
{
    char hash[FK_BLIND_LEN], context[40];
    snprintf(context, sizeof(context), "ratelimit_resident_%s", kind);
    fk_pii_blind(key, context, plain, hash);
    int64_t start = fk_selfservice_window(now, window, retry);
    enum fk_err err = fk_db_run(db, NULL, "DELETE FROM resident_rate_limits WHERE window_start < ?",
                                "i", now - 2 * 86400);
    if (err == FK_OK)
        err = fk_db_run(db, hits,
                        "INSERT INTO resident_rate_limits(kind, key_hash, window_start, hits) "
                        "VALUES (?, ?, ?, 1) ON CONFLICT (kind, key_hash, window_start) DO UPDATE "
                        "SET hits = resident_rate_limits.hits + 1 RETURNING hits",
                        "tti", kind, hash, start);
    return err;
}

void fk_selfservice_reply_429(struct fk_req *req, const char *message, int64_t retry,
                              const char *field)
{
    char text[256], seconds[24];
    if (retry < 1)
        retry = 1;
    int64_t minutes = (retry + 59) / 60;
    if (retry < 120)
        snprintf(text, sizeof(text), "%s，请 %lld 秒后再试", message, (long long)retry);
    else if (minutes >= 120)
        snprintf(text, sizeof(text), "%s，请约 %lld 小时后再试", message,
                 (long long)((minutes + 59) / 60));
    else
        snprintf(text, sizeof(text), "%s，请 %lld 分钟后再试", message, (long long)minutes);
    snprintf(seconds, sizeof(seconds), "%lld", (long long)retry);
    fk_reply_errf(req, FK_E_SELF_TOO_MANY_REQUESTS, field, text);
    fk_reply_header(req, "Retry-After", seconds);
}

static const struct {
    const char *id, *label;
} relations[] = {
    {"spouse", "配偶"},        {"child", "子女"},         {"parent", "父母"},
    {"grandparent", "祖父母"}, {"grandchild", "孙子女"},  {"sibling", "兄弟姐妹"},
    {"relative", "其他亲属"},  {"other", "其他同住人员"},
};

const char *fk_relation_label(const char *relation)
{
    for (size_t i = 0; relation != NULL && i < sizeof(relations) / sizeof(relations[0]); i++)
        if (strcmp(relations[i].id, relation) == 0)
            return relations[i].label;
    return NULL;
}
