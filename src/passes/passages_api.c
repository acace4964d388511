/* HTTP handlers for checkpoint scans of one-code passes (卡口查验): the scan
 * that shows every occupant's current status, the passage record (one
 * temperature per occupant and a decision), the checkpoint's log and its
 * counts of vehicles and persons per hour and per day. A checkpoint's region
 * decides who scans there and who reads its log (404 outside). Compound and
 * community gates scan four-colour cards instead (/gates). */
#include "audit/audit.h"
#include "checkpoints/checkpoints.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/parse.h"
#include "http/ledger.h"
#include "passes/passes.h"
#include "passes/passes_internal.h"
#include "http/lookup.h"
#include "healthcode/healthcode.h"
#include "quarantine/quarantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scanners' clocks may run a little ahead; offline scanners sync late. */
#define SCAN_AHEAD 300
#define SCAN_BEHIND (7 * 86400)
/* Asia/Shanghai has no daylight saving: UTC+8 all year. */
#define SHANGHAI (8 * 3600)

static const char *const decisions[] = {"pass", "test_here", "turn_back", "refer_quarantine"};
static const char *const decision_labels[] = {"放行", "就地检测", "劝返", "转送隔离"};

const char *fk_passage_decision_label(const char *name)
{
    for (size_t i = 0; i < 4; i++)
        if (name != NULL && strcmp(decisions[i], name) == 0)
            return decision_labels[i];
    return name;
}

/* The {id} checkpoint inside the caller's jurisdiction. -1 after replying. */
static int checkpoint_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *cp)
{
    int64_t id;
    if (fk_path_id_or_reply(req, "id", FK_E_GATE_NOT_FOUND, "checkpoint_id", &id) != 0)
        return -1;
    enum fk_err err = fk_checkpoint_get(db, id, cp);
    return fk_found_or_reply(req, err, cp->region, FK_E_GATE_NOT_FOUND, "checkpoint_id");
}

/* A checkpoint that may scan vehicle passes (not a gate). */
static int road_checkpoint_or_reply(struct fk_req *req, struct fk_conn *db,
                                    struct fk_checkpoint *cp)
{
    if (checkpoint_or_reply(req, db, cp) != 0)
        return -1;
    if (fk_checkpoint_type_is_gate(cp->type))
        return fk_reply_invalid(req, "checkpoint_id",
                                "该卡口是社区卡口或小区门岗，请扫四色通行证（门岗扫码）");
    return 0;
}

/* Verifies `code` and loads its pass. 0 with *pass set, -1 after replying
 * 422 (invalid_code naming "code", the reason in Chinese) or 5xx. */
static int pass_of_code_or_reply(struct fk_req *req, struct fk_conn *db, const char *code,
                                 int64_t at, json_t **pass)
{
    struct fk_code_info info;
    const char *reason = NULL, *why = NULL;
    *pass = NULL;
    switch (fk_code_verify(db, code, &info)) {
    case FK_CODE_VALID:
    case FK_CODE_EXPIRED: break; /* expiry is judged at `at` below */
    case FK_CODE_MALFORMED: reason = "unreadable", why = "无法识别的二维码"; break;
    case FK_CODE_BAD_SIGNATURE: reason = "forged", why = "伪造的通行码（签名无效）"; break;
    case FK_CODE_UNKNOWN_KEY: reason = "unknown_key", why = "非本区签发的通行码"; break;
    case FK_CODE_REVOKED: reason = "revoked", why = "通行码已作废"; break;
    case FK_CODE_UNAVAILABLE:
    default: fk_reply_fail(req, FK_ERR_BUSY, NULL); return -1;
    }
    if (reason == NULL && info.type != FK_CODE_VEHICLE_PASS)
        reason = "not_vehicle_pass", why = "不是一码通车辆通行码";
    if (reason == NULL) {
        enum fk_err err =
            fk_pass_load(db, &req->app->pii_key, req->actor.role, info.object_id, fk_now(), pass);
        if (err == FK_ERR_NOT_FOUND)
            reason = "unknown_pass", why = "通行证不存在";
        else if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return -1;
        } else if (strcmp(json_string_value(json_object_get(*pass, "state")), "active") != 0)
            reason = "revoked", why = "通行码已作废";
        else if (info.expires_at <= at)
            reason = "expired", why = "通行码已过期，请重新登记";
    }
    if (reason != NULL) {
        json_decref(*pass);
        *pass = NULL;
        fk_reply_err_ex(req, FK_E_PASS_CODE_INVALID, "code", why,
                        json_pack("{s:s}", "reason", reason), NULL);
        return -1;
    }
    return 0;
}

/* Adds each occupant's status to the pass and collects the reasons that
 * forbid "pass" (not counting temperatures) into `reasons`. */
static enum fk_err add_statuses(struct fk_conn *db, json_t *pass, json_t *reasons)
{
    json_t *all[1 + FK_PASS_MAX_PASSENGERS];
    size_t n = 0;
    all[n++] = json_object_get(pass, "driver");
    json_t *passengers = json_object_get(pass, "passengers");
    for (size_t i = 0; i < json_array_size(passengers) && n < 1 + FK_PASS_MAX_PASSENGERS; i++)
        all[n++] = json_array_get(passengers, i);
    for (size_t i = 0; i < n; i++) {
        json_t *o = all[i];
        if (o == NULL)
            continue;
        int64_t person = json_integer_value(json_object_get(o, "person_id"));
        int quarantined = 0;
        struct fk_health_code hc = {0};
        if (person != 0) {
            enum fk_err err = fk_homeq_person_active(db, person, &quarantined);
            if (err == FK_OK)
                err = fk_health_code_get(db, person, &hc);
            if (err != FK_OK)
                return err;
        }
        /* No testing module exists yet: pending tests are null, not "none".
         * A person outside the registry has no health code here: null. */
        json_t *code = person == 0 ? json_null()
                                   : json_pack("{s:s,s:s}", "color", fk_health_color_name(hc.color),
                                               "label", fk_health_color_label(hc.color));
        json_object_set_new(o, "status",
                            json_pack("{s:b,s:b,s:o,s:n}", "in_registry", person != 0,
                                      "home_quarantine", quarantined, "health_code", code,
                                      "pending_tests"));
        const char *name = json_string_value(json_object_get(o, "name"));
        int seat = (int)json_integer_value(json_object_get(o, "seat"));
        char text[160];
        if (quarantined) {
            snprintf(text, sizeof(text), "%s 正在居家隔离", name);
            json_array_append_new(reasons, json_pack("{s:s,s:i,s:s}", "code", "home_quarantine",
                                                     "seat", seat, "message", text));
        }
        if (person != 0 && hc.color == FK_HEALTH_RED) {
            snprintf(text, sizeof(text), "%s 健康码为红码", name);
            json_array_append_new(reasons, json_pack("{s:s,s:i,s:s}", "code", "health_code_red",
                                                     "seat", seat, "message", text));
        }
    }
    return FK_OK;
}

static json_t *allowed_json(int pass_allowed)
{
    json_t *a = json_array();
    for (size_t i = pass_allowed ? 0 : 1; i < 4; i++)
        json_array_append_new(a, json_string(decisions[i]));
    return a;
}

void fk_passage_scan(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || road_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    const char *code;
    if (fk_json_str_or_reply(req, "code", 1, FK_CODE_MAX_INPUT, &code) != 0)
        return;
    json_t *pass;
    if (pass_of_code_or_reply(req, db, code, fk_now(), &pass) != 0)
        return;
    json_t *reasons = json_array();
    enum fk_err err = add_statuses(db, pass, reasons);
    int64_t id = json_integer_value(json_object_get(pass, "id"));
    fk_req_audit(req, &err, "vehicle_pass_scan", "vehicle_pass", id,
                 json_integer_value(json_object_get(json_object_get(pass, "driver"), "person_id")),
                 json_pack("{s:I}", "checkpoint_id", (json_int_t)cp.id));
    if (err != FK_OK) {
        json_decref(pass);
        json_decref(reasons);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *allowed = allowed_json(json_array_size(reasons) == 0);
    fk_reply_json(req, 200,
                  json_pack("{s:o,s:o,s:o,s:f}", "pass", pass, "reasons", reasons,
                            "allowed_decisions", allowed, "fever_celsius",
                            (double)req->app->cfg.fever_tenths / 10.0));
}

/* Reads temperatures: exactly one per occupant seat (0..n-1), or offline
 * one per seat the staff counted (1..1 + FK_PASS_MAX_PASSENGERS; a count
 * other than the pass's `n` adds a "count_mismatch" item to `review`). Fills
 * `stored` ([{seat,celsius}] by seat) and adds a "fever" item to `reasons`
 * per feverish seat. -1 after replying. */
static int temperatures_or_reply(struct fk_req *req, int n, int offline, int64_t threshold,
                                 json_t **stored, json_t *reasons, json_t *review, json_t *pass)
{
    json_t *list = json_object_get(req->json, "temperatures");
    *stored = NULL;
    if (list == NULL || json_is_null(list)) {
        fk_reply_err(req, FK_E_PASS_TEMPS_MISSING, "temperatures");
        return -1;
    }
    if (!json_is_array(list))
        return fk_reply_invalid(req, "temperatures", "每位乘车人（含驾驶员）需要且只需要一个体温");
    size_t m = json_array_size(list);
    if (offline && m >= 1 && m <= 1 + FK_PASS_MAX_PASSENGERS && m != (size_t)n) {
        char text[160];
        snprintf(text, sizeof(text), "现场 %zu 人，通行码登记 %d 人", m, n);
        json_array_append_new(
            review, json_pack("{s:s,s:n,s:s}", "code", "count_mismatch", "seat", "message", text));
        n = (int)m;
    }
    if (m != (size_t)n)
        return fk_reply_invalid(req, "temperatures", "每位乘车人（含驾驶员）需要且只需要一个体温");
    int x10[1 + FK_PASS_MAX_PASSENGERS];
    for (int i = 0; i < n; i++)
        x10[i] = -1;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *t = json_array_get(list, i);
        char field[72];
        snprintf(field, sizeof(field), "temperatures[%zu].seat", i);
        json_t *seat = json_object_get(t, "seat");
        if (!json_is_integer(seat) || json_integer_value(seat) < 0 ||
            json_integer_value(seat) >= n || x10[json_integer_value(seat)] != -1)
            return fk_reply_invalid(req, field,
                                    "座位号应为 0（驾驶员）到乘车人数之间，且每个座位一个体温");
        snprintf(field, sizeof(field), "temperatures[%zu].celsius", i);
        json_t *c = json_object_get(t, "celsius");
        int v;
        if (!json_is_number(c) || fk_homeq_celsius_x10(json_number_value(c), &v) != 0)
            return fk_reply_invalid(req, field, "体温应在 35.0–42.0 ℃ 之间");
        x10[json_integer_value(seat)] = v;
    }
    *stored = json_array();
    json_t *passengers = json_object_get(pass, "passengers");
    for (int i = 0; i < n; i++) {
        json_array_append_new(*stored,
                              json_pack("{s:i,s:f}", "seat", i, "celsius", (double)x10[i] / 10.0));
        if (x10[i] >= threshold) {
            json_t *o = i == 0 ? json_object_get(pass, "driver")
                               : json_array_get(passengers, (size_t)i - 1);
            const char *name = json_string_value(json_object_get(o, "name"));
            char seat[32], text[160];
            snprintf(seat, sizeof(seat), "第 %d 座", i);
            snprintf(text, sizeof(text), "%s 体温 %d.%d ℃，达到发热标准",
                     name != NULL ? name : seat, x10[i] / 10, x10[i] % 10);
            json_array_append_new(
                reasons, json_pack("{s:s,s:i,s:s}", "code", "fever", "seat", i, "message", text));
        }
    }
    return 0;
}

void fk_passage_create(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || road_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    const char *code, *decision, *key, *note;
    int64_t now = fk_now(), scanned_at;
    if (fk_json_str_or_reply(req, "code", 1, FK_CODE_MAX_INPUT, &code) != 0 ||
        fk_json_str_or_reply(req, "decision", 1, 20, &decision) != 0)
        return;
    int known = 0;
    for (size_t i = 0; i < 4; i++)
        known |= strcmp(decisions[i], decision) == 0;
    if (!known) {
        fk_reply_invalid(req, "decision",
                         "处置应为 pass（放行）、test_here（就地检测）、turn_back（劝返）或 "
                         "refer_quarantine（转送隔离）");
        return;
    }
    if (fk_json_scanned_at_or_reply(req, now, SCAN_AHEAD, SCAN_BEHIND, &scanned_at) != 0)
        return;
    int has_offline = 0, offline = 0;
    if (fk_json_str_or_reply(req, "idempotency_key", 1, 64, &key) != 0 ||
        fk_json_str_or_reply(req, "note", 0, 500, &note) != 0 ||
        fk_json_bool_or_reply(req, "offline", &has_offline, &offline) != 0)
        return;
    if (fk_idempotency_key_or_reply(req, key) != 0)
        return;
    if (note != NULL && !fk_text_plain(note)) {
        fk_reply_invalid(req, "note", "备注含有控制字符");
        return;
    }
    json_t *pass;
    if (pass_of_code_or_reply(req, db, code, scanned_at, &pass) != 0)
        return;
    json_t *reasons = json_array(), *review = json_array(), *temps = NULL;
    char *review_text = NULL;
    int n = (int)json_integer_value(json_object_get(pass, "occupants_count"));
    int64_t pass_id = json_integer_value(json_object_get(pass, "id"));
    int64_t person =
        json_integer_value(json_object_get(json_object_get(pass, "driver"), "person_id"));
    enum fk_err err = FK_OK;
    if (temperatures_or_reply(req, n, offline, req->app->cfg.fever_tenths, &temps, reasons, review,
                              pass) != 0)
        goto done;
    int fever = json_array_size(reasons) > 0;
    if ((err = add_statuses(db, pass, reasons)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    /* Offline the phone could not see the occupants' status: a "pass" it
     * recorded stands (it happened), and what forbids it now goes to review.
     * A fever the staff measured themselves is never a "pass". */
    if (offline && !fever && strcmp(decision, "pass") == 0) {
        json_array_extend(review, reasons);
        json_array_clear(reasons);
    }
    if (json_array_size(review) > 0 && (review_text = json_dumps(review, JSON_COMPACT)) == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        goto done;
    }
    if (strcmp(decision, "pass") == 0 && json_array_size(reasons) > 0) {
        fk_reply_err_ex(
            req, FK_E_PASS_NOT_ALLOWED, "decision", NULL,
            json_pack("{s:O,s:o}", "reasons", reasons, "allowed_decisions", allowed_json(0)), NULL);
        goto done;
    }
    char *temps_text = json_dumps(temps, JSON_COMPACT);
    if (temps_text == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        goto done;
    }
    /* The passage and its audit entry in one transaction, shared with other
     * concurrent passages (group commit, as gate scans do). ON CONFLICT DO
     * NOTHING never fails the transaction, so concurrent duplicates store one
     * passage: the later ones find id 0 and replay the stored row. */
    json_t *detail = json_pack("{s:I,s:I,s:s,s:b,s:b,s:b}", "checkpoint_id", (json_int_t)cp.id,
                               "pass_id", (json_int_t)pass_id, "decision", decision, "fever", fever,
                               "offline", offline, "review", review_text != NULL);
    struct fk_passage_new in = {.checkpoint_id = cp.id,
                                .region = cp.region,
                                .pass_id = pass_id,
                                .scanned_at = scanned_at,
                                .decision = decision,
                                .fever = fever,
                                .n = n,
                                .temps = temps_text,
                                .note = note,
                                .key = key,
                                .now = now,
                                .offline = offline,
                                .review = review_text};
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t id = 0;
    err = detail ? fk_passage_store(db, &in, &who, person, detail, &id) : FK_ERR_NOMEM;
    free(temps_text);
    json_t *body = NULL;
    if (err == FK_OK)
        err = fk_passage_load(db, id, req->actor.user_id, id ? NULL : key, &body);
    if (err == FK_OK && id == 0)
        fk_req_audit(req, &err, "passage_replay", "passage",
                     json_integer_value(json_object_get(body, "id")), person, json_incref(detail));
    json_decref(detail);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    fk_reply_json(req, id ? 201 : 200, body);
done:
    free(review_text);
    json_decref(pass);
    json_decref(reasons);
    json_decref(review);
    json_decref(temps);
}

void fk_passage_list(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || checkpoint_or_reply(req, db, &cp) != 0)
        return;
    int has_from, has_until;
    int64_t from = 0, until = 0, page, per_page;
    if (fk_passes_period_or_reply(req, &has_from, &from, &has_until, &until, &page, &per_page) != 0)
        return;
    /* ?review=1: only passages recorded offline that need a second look. */
    const char *review = fk_req_query(req, "review");
    if (review != NULL && strcmp(review, "1") != 0 && strcmp(review, "0") != 0) {
        fk_reply_invalid(req, "review", "review 应为 1 或 0");
        return;
    }
    struct fk_passage_filter f = {.checkpoint_id = cp.id,
                                  .has_from = has_from,
                                  .has_until = has_until,
                                  .from = from,
                                  .until = until,
                                  .review = review == NULL ? -1 : review[0] == '1'};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_passages_page(db, &f, page, per_page, items, &total);
    fk_req_audit(req, &err, "passage_list", "passage", 0, 0,
                 json_pack("{s:I,s:I,s:I}", "checkpoint_id", (json_int_t)cp.id, "total",
                           (json_int_t)total, "returned", (json_int_t)json_array_size(items)));
    fk_reply_list(req, err, items, total, page, per_page);
}

/* "YYYY-MM-DD" → Shanghai day number (days since 1970-01-01). */
static int parse_day(const char *text, int64_t *day)
{
    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    char part[5];
    int64_t y, m, d;
    memcpy(part, text, 4);
    part[4] = '\0';
    if (fk_parse_int64(part, 1900, 2999, &y) != FK_OK)
        return -1;
    memcpy(part, text + 5, 2);
    part[2] = '\0';
    if (fk_parse_int64(part, 1, 12, &m) != FK_OK)
        return -1;
    memcpy(part, text + 8, 2);
    if (fk_parse_int64(part, 1, 31, &d) != FK_OK || !fk_date_valid((int)y, (int)m, (int)d))
        return -1;
    *day = fk_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

void fk_passage_stats(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || checkpoint_or_reply(req, db, &cp) != 0)
        return;
    int64_t now = fk_now(), day = (now + SHANGHAI) / 86400;
    const char *text = fk_req_query(req, "date");
    if (text != NULL && text[0] != '\0' && parse_day(text, &day) != 0) {
        fk_reply_invalid(req, "date", "日期格式应为 YYYY-MM-DD");
        return;
    }
    int64_t hours[24][2] = {{0}}, days[7][2] = {{0}};
    int64_t start = day * 86400 - SHANGHAI;
    enum fk_err err =
        fk_passages_count_by(db, cp.id, 3600, start, start + 86400, day * 24, 24, hours);
    if (err == FK_OK)
        err = fk_passages_count_by(db, cp.id, 86400, start - 6 * 86400, start + 86400, day - 6, 7,
                                   days);
    fk_req_audit(req, &err, "passage_stats", "passage", 0, 0,
                 json_pack("{s:I}", "checkpoint_id", (json_int_t)cp.id));
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *by_hour = json_array(), *by_day = json_array();
    for (int h = 0; h < 24; h++)
        json_array_append_new(by_hour, json_pack("{s:i,s:I,s:I}", "hour", h, "vehicles",
                                                 (json_int_t)hours[h][0], "persons",
                                                 (json_int_t)hours[h][1]));
    char date[16];
    for (int i = 0; i < 7; i++) {
        int y, m, d;
        fk_civil_date((day - 6 + i) * 86400, &y, &m, &d);
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
        json_array_append_new(by_day,
                              json_pack("{s:s,s:I,s:I}", "date", date, "vehicles",
                                        (json_int_t)days[i][0], "persons", (json_int_t)days[i][1]));
    }
    int y, m, d;
    fk_civil_date(day * 86400, &y, &m, &d);
    snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
    fk_reply_json(req, 200,
                  json_pack("{s:I,s:s,s:s,s:o,s:o}", "checkpoint_id", (json_int_t)cp.id,
                            "checkpoint_name", cp.name, "date", date, "by_hour", by_hour, "by_day",
                            by_day));
}

/* "2022-03-02T08:00:00+08:00" -> "2022-03-02 08:00". */
static void local_time(int64_t epoch, char out[FK_RFC3339_LEN])
{
    fk_time_format(epoch, out);
    if (strlen(out) >= 16) {
        out[16] = '\0';
        out[10] = ' ';
    }
}

/* One ledger row per passage (fk_passages_each). */
struct export_rows {
    struct fk_ledger *lg;
    int64_t count;
};

static int export_row(void *ctx, const struct fk_passage_row *row)
{
    struct export_rows *x = ctx;
    char seq[24], at[FK_RFC3339_LEN], n[24], temps[200] = "";
    snprintf(seq, sizeof(seq), "%lld", (long long)++x->count);
    local_time(row->scanned_at, at);
    snprintf(n, sizeof(n), "%lld", (long long)row->occupants_count);
    json_t *list = json_loads(row->temperatures, 0, NULL);
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(list) && used + 8 < sizeof(temps); i++) {
        int w = snprintf(temps + used, sizeof(temps) - used, "%s%.1f", i ? " / " : "",
                         json_number_value(json_object_get(json_array_get(list, i), "celsius")));
        if (w < 0 || (size_t)w >= sizeof(temps) - used)
            break;
        used += (size_t)w;
    }
    json_decref(list);
    const char *cells[] = {seq,
                           at,
                           row->checkpoint_name,
                           row->region,
                           row->plate,
                           row->vehicle_type,
                           n,
                           temps,
                           row->fever ? "是" : "否",
                           fk_passage_decision_label(row->decision),
                           row->scanned_by_name,
                           row->note ? row->note : ""};
    fk_ledger_row(x->lg, cells, sizeof(cells) / sizeof(cells[0]));
    return 0;
}

void fk_passage_export(struct fk_req *req)
{
    int xlsx, has_from, has_until;
    int64_t from = 0, until = 0;
    char scope[19];
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || fk_scope_or_reply(req, scope) != 0 ||
        fk_query_time_or_reply(req, "from", &has_from, &from) != 0 ||
        fk_query_time_or_reply(req, "until", &has_until, &until) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {"序号", "通行时间", "卡口",     "区划代码",
                                          "车牌", "车辆类型", "乘车人数", "体温（℃）",
                                          "发热", "处置",     "查验人",   "备注"};
    static const double widths[] = {8, 18, 20, 14, 12, 10, 10, 24, 8, 10, 12, 30};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "车辆通行台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct fk_passage_filter f = {.scope = scope,
                                  .has_from = has_from,
                                  .has_until = has_until,
                                  .from = from,
                                  .until = until,
                                  .review = -1};
    struct export_rows rows = {&lg, 0};
    enum fk_err err = fk_passages_each(db, &f, export_row, &rows);
    int64_t count = rows.count;
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:s,s:s,s:I}", "region", scope, "format",
                                   xlsx ? "xlsx" : "csv", "rows", (json_int_t)count);
        err = fk_audit_req(req, "passage_export", "passage", NULL, 0, detail);
        json_decref(detail);
    }
    fk_ledger_finish(req, &lg, err, "passages");
}
