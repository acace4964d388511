/* HTTP handlers of health codes: a person's code and its history, counts by
 * region, the full recompute, staff-recorded facts, and the rule sets with
 * their schedule. Persons outside the caller's jurisdiction do not exist
 * (404). Every read of a person's code is audited. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "healthcode/healthcode_internal.h"
#include "http/http.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READERS                                                                                    \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF | FK_ROLE_INSPECTOR)
#define FACT_WRITERS                                                                               \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF)

static int invalid(struct fk_req *req, const char *field, const char *message)
{
    fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, field, message);
    return -1;
}

/* The person {id} of the path inside the caller's jurisdiction: *region.
 * -1 after replying 404. */
static int person_or_reply(struct fk_req *req, struct fk_conn *db, const char *param, int64_t *id,
                           char region[24])
{
    if (fk_parse_int64(fk_req_param(req, param), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, FK_E_HEALTH_PERSON_NOT_FOUND, "id");
        return -1;
    }
    char in_region[96], sql[256];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT region FROM persons WHERE id = ? AND merged_into IS NULL AND %s", in_region);
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, *id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        snprintf(region, 24, "%s", fk_stmt_text(st, 0));
    fk_stmt_free(st);
    if (err == FK_ERR_DONE) {
        fk_reply_err(req, FK_E_HEALTH_PERSON_NOT_FOUND, "id");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

static void audit_person(struct fk_req *req, enum fk_err *err, const char *action,
                         int64_t person_id, json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)person_id);
    if (*err == FK_OK)
        *err = fk_audit_req(req, action, "person", id_text, person_id, detail);
    json_decref(detail);
}

/* The stored code as the API shows it (reasons with RFC 3339 times). */
static enum fk_err code_json(struct fk_conn *db, int64_t person_id, const struct fk_hrules *set,
                             json_t **out)
{
    *out = NULL;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT color, reasons, since, until_at, rules_version, "
                                  "updated_at FROM health_codes WHERE person_id = ?",
                                  "i", person_id);
    if (err != FK_OK)
        return err;
    int color = row ? fk_health_color_from_name(fk_stmt_text(st, 0)) : FK_HEALTH_GREEN;
    if (color < 0)
        color = FK_HEALTH_GREEN;
    json_t *reasons = json_array();
    if (row) {
        json_t *stored = json_loads(fk_stmt_text(st, 1), 0, NULL);
        size_t i;
        json_t *r;
        json_array_foreach(stored, i, r)
        {
            json_t *item = json_deep_copy(r);
            json_int_t since = json_integer_value(json_object_get(r, "since"));
            json_t *until = json_object_get(r, "until");
            json_object_set_new(item, "since", fk_time_or_null(since));
            json_object_set_new(item, "until",
                                json_is_integer(until) ? fk_time_or_null(json_integer_value(until))
                                                       : json_null());
            json_array_append_new(reasons, item);
        }
        json_decref(stored);
    }
    json_t *body = json_pack(
        "{s:I,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:o,s:o}", "person_id", (json_int_t)person_id, "color",
        fk_health_color_name((enum fk_health_color)color), "label",
        fk_health_color_label((enum fk_health_color)color), "reasons", reasons, "since",
        row ? fk_time_or_null(fk_stmt_int64(st, 2)) : json_null(), "rules_version",
        row ? fk_stmt_text(st, 4) : set->version, "rules_name", set->name, "rules_title",
        set->title, "until",
        row && !fk_stmt_is_null(st, 3) ? fk_time_or_null(fk_stmt_int64(st, 3)) : json_null(),
        "updated_at", row ? fk_time_or_null(fk_stmt_int64(st, 5)) : json_null());
    fk_stmt_free(st);
    if (body == NULL)
        return FK_ERR_NOMEM;
    *out = body;
    return FK_OK;
}

/* Whether the stored code must be re-evaluated: never computed, a reason
 * expired, or another rule set is in force. */
static enum fk_err stale(struct fk_conn *db, int64_t person_id, const struct fk_hrules *set,
                         int64_t now, int *is_stale)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT until_at, rules_version FROM health_codes WHERE "
                                  "person_id = ?",
                                  "i", person_id);
    if (err != FK_OK)
        return err;
    *is_stale = !row || (!fk_stmt_is_null(st, 0) && fk_stmt_int64(st, 0) <= now) ||
                strcmp(fk_stmt_text(st, 1), set->version) != 0;
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_health_code_current(struct fk_conn *db, int64_t person_id, json_t **out)
{
    *out = NULL;
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    int is_stale = 0;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err == FK_OK)
        err = stale(db, person_id, set, now, &is_stale);
    if (err == FK_OK && is_stale) {
        err = fk_db_begin(db);
        if (err == FK_OK)
            err = fk_health_refresh(db, person_id);
        if (err == FK_OK)
            err = fk_db_commit(db);
        else
            fk_db_rollback(db);
    }
    if (err == FK_OK)
        err = code_json(db, person_id, set, out);
    return err;
}

static void get_code(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    char region[24];
    if (db == NULL || person_or_reply(req, db, "id", &id, region) != 0)
        return;
    json_t *body = NULL;
    enum fk_err err = fk_health_code_current(db, id, &body);
    audit_person(req, &err, "health_code_read", id, NULL);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

static void get_history(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id, page, per_page, total = 0;
    char region[24];
    if (db == NULL || person_or_reply(req, db, "id", &id, region) != 0 ||
        fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    enum fk_err err = fk_db_run(
        db, &total, "SELECT COUNT(*) FROM health_code_changes WHERE person_id = ?", "i", id);
    struct fk_stmt *st = NULL;
    int row = 0;
    json_t *items = json_array();
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          "SELECT at, from_color, to_color, rule, cause, rules_version FROM "
                          "health_code_changes WHERE person_id = ? ORDER BY at DESC, id DESC "
                          "LIMIT ? OFFSET ?",
                          "iii", id, per_page, (page - 1) * per_page);
    while (err == FK_OK && row && items != NULL) {
        const char *from = fk_stmt_text(st, 1);
        json_array_append_new(items, json_pack("{s:o,s:s?,s:s,s:s,s:s,s:s}", "at",
                                               fk_time_or_null(fk_stmt_int64(st, 0)), "from_color",
                                               from, "to_color", fk_stmt_text(st, 2), "rule",
                                               fk_stmt_text(st, 3), "cause", fk_stmt_text(st, 4),
                                               "rules_version", fk_stmt_text(st, 5)));
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    audit_person(req, &err, "health_code_history_read", id, NULL);
    if (err != FK_OK || items == NULL) {
        json_decref(items);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

/* Runs "`head` <region filter>" and reads one count. */
static enum fk_err count_in(struct fk_conn *db, const char *head, const char *column,
                            const char *prefix, int64_t *out)
{
    char in_region[96], sql[320];
    fk_store_in_region(column, in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "%s%s", head, in_region);
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 1, prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        *out = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    return err;
}

/* Counts of one region subtree: persons, red and yellow codes. */
static enum fk_err counts_json(struct fk_conn *db, const char *code, const char *prefix,
                               const char *name, json_t **out)
{
    int64_t total = 0, red = 0, yellow = 0;
    enum fk_err err = count_in(db, "SELECT COUNT(*) FROM persons WHERE merged_into IS NULL AND ",
                               "region", prefix, &total);
    if (err == FK_OK)
        err = count_in(db, "SELECT COUNT(*) FROM health_codes WHERE color = 'red' AND ", "region",
                       prefix, &red);
    if (err == FK_OK)
        err = count_in(db, "SELECT COUNT(*) FROM health_codes WHERE color = 'yellow' AND ",
                       "region", prefix, &yellow);
    if (err != FK_OK)
        return err;
    int64_t green = total - red - yellow;
    *out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "region", code, "name", name, "total",
                     (json_int_t)total, "green", (json_int_t)(green < 0 ? 0 : green), "yellow",
                     (json_int_t)yellow, "red", (json_int_t)red);
    return *out != NULL ? FK_OK : FK_ERR_NOMEM;
}

static void get_stats(struct fk_req *req)
{
    char scope[19];
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_scope_or_reply(req, scope) != 0)
        return;
    struct fk_stmt *st = NULL;
    int row = 0;
    char code[24] = "", name[128] = "";
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT code, name FROM regions WHERE prefix = ?", "t", scope);
    if (err == FK_OK && row) {
        snprintf(code, sizeof(code), "%s", fk_stmt_text(st, 0));
        snprintf(name, sizeof(name), "%s", fk_stmt_text(st, 1));
    }
    fk_stmt_free(st);
    if (err == FK_OK && !row) {
        fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
        return;
    }
    json_t *items = json_array(), *totals = NULL;
    if (err == FK_OK)
        err = counts_json(db, code, scope, name, &totals);
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          "SELECT code, prefix, name FROM regions WHERE parent = ? ORDER BY code",
                          "t", code);
    /* Children first into memory: the counts need the connection. */
    char(*kids)[3][128] = NULL;
    size_t n = 0;
    while (err == FK_OK && row) {
        void *grown = realloc(kids, (n + 1) * sizeof(*kids));
        if (grown == NULL) {
            err = FK_ERR_NOMEM;
            break;
        }
        kids = grown;
        for (int c = 0; c < 3; c++)
            snprintf(kids[n][c], sizeof(kids[n][c]), "%s", fk_stmt_text(st, c));
        n++;
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    for (size_t i = 0; i < n && err == FK_OK && n <= 500; i++) {
        json_t *item = NULL;
        err = counts_json(db, kids[i][0], kids[i][1], kids[i][2], &item);
        if (err == FK_OK)
            json_array_append_new(items, item);
    }
    free(kids);
    if (err != FK_OK || items == NULL) {
        json_decref(items);
        json_decref(totals);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:{s:s,s:s},s:o,s:o}", "region", "code", code, "name", name, "totals",
                            totals, "items", items));
}

static void post_recompute(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t job_id = 0;
    enum fk_err err =
        fk_health_recompute_start(req->app, db, req->actor.user_id, req->actor.username, &job_id);
    json_t *detail = json_pack("{s:I}", "job_id", (json_int_t)job_id);
    if (err == FK_OK) /* the detail is borrowed */
        err = fk_audit_req(req, "health_code_recompute", "job", NULL, 0, detail);
    json_decref(detail);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 202, json_pack("{s:I}", "job_id", (json_int_t)job_id));
}

/* ---------- facts recorded by staff ---------- */

#define FACT_SELECT                                                                                \
    "SELECT id, kind, level, region, started_at, ended_at, source, detail, created_at FROM "       \
    "health_facts"

static json_t *fact_json(struct fk_stmt *st)
{
    int kind = (int)fk_health_fact_from_name(fk_stmt_text(st, 1));
    static const char *const labels[] = {
        "",           "确诊病例或无症状感染者",
        "密切接触者", "密接的密接",
        "集中隔离",   "居家隔离",
        "到过风险区", "来自风险区",
        "待核酸检测", "核酸检测逾期",
        "发热",       "混管阳性召回",
        "外地抵达",
    };
    return json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:o,s:o,s:b,s:s,s:s,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "kind", fk_stmt_text(st, 1), "kind_label",
                     kind > 0 && kind <= FK_FACT_ARRIVAL ? labels[kind] : "", "level",
                     fk_stmt_text(st, 2), "region", fk_stmt_text(st, 3), "started_at",
                     fk_time_or_null(fk_stmt_int64(st, 4)), "ended_at",
                     fk_stmt_is_null(st, 5) ? json_null() : fk_time_or_null(fk_stmt_int64(st, 5)),
                     "open", fk_stmt_is_null(st, 5), "source", fk_stmt_text(st, 6), "detail",
                     fk_stmt_text(st, 7), "created_at", fk_time_or_null(fk_stmt_int64(st, 8)));
}

static int time_field_or_reply(struct fk_req *req, const char *name, int required, int *present,
                               int64_t *out)
{
    const char *text;
    *present = 0;
    if (fk_json_str_or_reply(req, name, required, 40, &text) != 0)
        return -1;
    if (text == NULL)
        return 0;
    if (fk_time_parse(text, out) != FK_OK)
        return invalid(req, name, "时间格式应为 RFC 3339，例如 2022-03-02T08:00:00+08:00");
    *present = 1;
    return 0;
}

static void post_fact(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    char person_region[24];
    if (db == NULL || person_or_reply(req, db, "id", &id, person_region) != 0)
        return;
    static const char *const keys[] = {"kind",   "started_at", "ended_at", "level",
                                       "region", "detail",     NULL};
    const char *key;
    json_t *v;
    json_object_foreach(req->json, key, v)
    {
        int ok = 0;
        for (const char *const *k = keys; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            invalid(req, key, "未知字段");
            return;
        }
    }
    const char *kind_text, *level_text, *region, *detail;
    if (fk_json_str_or_reply(req, "kind", 1, 32, &kind_text) != 0)
        return;
    enum fk_health_fact_kind kind = fk_health_fact_from_name(kind_text);
    if (kind == 0) {
        invalid(req, "kind",
                "类型应为 case（病例）、close_contact（密接）、secondary_contact（次密接）、"
                "central_quarantine（集中隔离）、home_quarantine（居家隔离）、risk_stay（到过风险"
                "区）、risk_arrival（来自风险区）、arrival（外地抵达）、tests_owed（待检测）、"
                "overdue_test（检测逾期）、fever（发热）或 pool_recall（混管召回）");
        return;
    }
    int has_start, has_end;
    int64_t started_at = 0, ended_at = 0, now = fk_now();
    if (time_field_or_reply(req, "started_at", 1, &has_start, &started_at) != 0 ||
        time_field_or_reply(req, "ended_at", 0, &has_end, &ended_at) != 0)
        return;
    if (started_at > now + 300 || started_at < now - 366LL * 86400) {
        invalid(req, "started_at", "开始时间应在一年内，且不晚于现在");
        return;
    }
    if (has_end && ended_at < started_at) {
        invalid(req, "ended_at", "结束时间不能早于开始时间");
        return;
    }
    if (fk_json_str_or_reply(req, "level", 0, 8, &level_text) != 0 ||
        fk_json_str_or_reply(req, "region", 0, 18, &region) != 0 ||
        fk_json_str_or_reply(req, "detail", 0, 200, &detail) != 0)
        return;
    int level = level_text ? fk_risk_level_from_name(level_text) : 0;
    if (level_text != NULL && level < 1) {
        invalid(req, "level", "风险等级应为 high（高）、medium（中）或 low（低）");
        return;
    }
    if ((kind == FK_FACT_RISK_STAY || kind == FK_FACT_RISK_ARRIVAL) && level_text == NULL) {
        fk_reply_err(req, FK_E_HEALTH_LEVEL_REQUIRED, "level");
        return;
    }
    if (region != NULL) {
        size_t len = strlen(region);
        int digits = len >= 2;
        for (size_t i = 0; i < len; i++)
            digits = digits && region[i] >= '0' && region[i] <= '9';
        if (!digits) {
            invalid(req, "region", "地区应为区划代码（2–18 位数字）");
            return;
        }
    }
    if (kind == FK_FACT_ARRIVAL && (region == NULL || strlen(region) < 6)) {
        invalid(req, "region", "外地抵达须填写来源县（市、区）的 6 位代码");
        return;
    }
    if (detail != NULL && !fk_text_plain(detail)) {
        invalid(req, "detail", "说明含有控制字符");
        return;
    }
    int64_t source_id = 0, fact_id = 0;
    randombytes_buf(&source_id, sizeof(source_id));
    source_id = (source_id & INT64_MAX) | 1;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, &fact_id,
                        "INSERT INTO health_facts (person_id, kind, level, region, started_at, "
                        "ended_at, source, source_id, detail, created_at, updated_at) VALUES (?, "
                        "?, ?, ?, ?, ?, 'staff', ?, ?, ?, ?) RETURNING id",
                        "itttizitii", id, kind_text, level_text, region, started_at, ended_at,
                        source_id, detail ? detail : "", now, now);
    if (err == FK_OK)
        err = fk_health_refresh(db, id);
    audit_person(req, &err, "health_fact_create", id,
                 json_pack("{s:I,s:s,s:s?}", "fact_id", (json_int_t)fact_id, "kind", kind_text,
                           "level", level_text));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    struct fk_stmt *st = NULL;
    int row = 0;
    json_t *body = NULL;
    struct fk_health_code code;
    err = fk_db_query(db, &st, &row, FACT_SELECT " WHERE id = ?", "i", fact_id);
    if (err == FK_OK && row)
        body = fact_json(st);
    fk_stmt_free(st);
    if (err == FK_OK)
        err = fk_health_code_get(db, id, &code);
    if (err != FK_OK || body == NULL) {
        json_decref(body);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    json_object_set_new(body, "color", json_string(fk_health_color_name(code.color)));
    fk_reply_json(req, 201, body);
}

static void list_facts(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id, page, per_page, total = 0;
    char region[24];
    if (db == NULL || person_or_reply(req, db, "id", &id, region) != 0 ||
        fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    enum fk_err err =
        fk_db_run(db, &total, "SELECT COUNT(*) FROM health_facts WHERE person_id = ?", "i", id);
    struct fk_stmt *st = NULL;
    int row = 0;
    json_t *items = json_array();
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          FACT_SELECT " WHERE person_id = ? ORDER BY started_at DESC, id DESC "
                                      "LIMIT ? OFFSET ?",
                          "iii", id, per_page, (page - 1) * per_page);
    while (err == FK_OK && row && items != NULL) {
        json_array_append_new(items, fact_json(st));
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    audit_person(req, &err, "health_facts_read", id, NULL);
    if (err != FK_OK || items == NULL) {
        json_decref(items);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void end_fact(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t fact_id;
    if (db == NULL)
        return;
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &fact_id) != FK_OK) {
        fk_reply_err(req, FK_E_HEALTH_FACT_NOT_FOUND, "id");
        return;
    }
    char in_region[96], sql[400];
    fk_store_in_region("p.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT f.person_id, f.started_at, f.ended_at, f.source FROM health_facts f JOIN "
             "persons p ON p.id = f.person_id WHERE f.id = ? AND %s",
             in_region);
    struct fk_stmt *st = NULL;
    int64_t person_id = 0, started_at = 0;
    int open = 0, staff = 0;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, fact_id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK) {
        person_id = fk_stmt_int64(st, 0);
        started_at = fk_stmt_int64(st, 1);
        open = fk_stmt_is_null(st, 2);
        staff = strcmp(fk_stmt_text(st, 3), "staff") == 0;
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE) {
        fk_reply_err(req, FK_E_HEALTH_FACT_NOT_FOUND, "id");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int has_end;
    int64_t ended_at = fk_now();
    if (time_field_or_reply(req, "ended_at", 0, &has_end, &ended_at) != 0)
        return;
    if (!has_end)
        ended_at = fk_now();
    if (ended_at < started_at || ended_at > fk_now() + 300) {
        invalid(req, "ended_at", "结束时间应晚于开始时间，且不晚于现在");
        return;
    }
    if (!staff) {
        fk_reply_err(req, FK_E_HEALTH_FACT_OWNED, "id");
        return;
    }
    if (!open) {
        fk_reply_err(req, FK_E_HEALTH_FACT_ENDED, "id");
        return;
    }
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE health_facts SET ended_at = ?, updated_at = ? WHERE id = ? AND "
                        "ended_at IS NULL",
                        "iii", ended_at, fk_now(), fact_id);
    if (err == FK_OK)
        err = fk_health_refresh(db, person_id);
    audit_person(
        req, &err, "health_fact_end", person_id,
        json_pack("{s:I,s:I}", "fact_id", (json_int_t)fact_id, "ended_at", (json_int_t)ended_at));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    struct fk_health_code code;
    err = fk_db_query(db, &st, &open, FACT_SELECT " WHERE id = ?", "i", fact_id);
    if (err == FK_OK && open)
        body = fact_json(st);
    fk_stmt_free(st);
    if (err == FK_OK)
        err = fk_health_code_get(db, person_id, &code);
    if (err != FK_OK || body == NULL) {
        json_decref(body);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    json_object_set_new(body, "color", json_string(fk_health_color_name(code.color)));
    fk_reply_json(req, 200, body);
}

/* ---------- rule sets ---------- */

static json_t *levels_json(unsigned bits)
{
    json_t *arr = json_array();
    for (int l = FK_RISK_HIGH; l >= FK_RISK_LOW; l--)
        if (bits & (1u << l))
            json_array_append_new(arr, json_string(fk_risk_level_name(l)));
    return arr;
}

static json_t *set_json(const struct fk_hrules *s)
{
    json_t *rules = json_array(), *steps = json_array();
    for (int i = 0; i < s->n_rules; i++) {
        const struct fk_hrule *r = &s->rules[i];
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "id", r->id, "kind",
                              r->kind == FK_RULE_RISK_RESIDENT
                                  ? "risk_resident"
                                  : fk_health_fact_name((enum fk_health_fact_kind)r->kind),
                              "color", fk_health_color_name(r->color), "label", r->label);
        if (r->levels)
            json_object_set_new(o, "levels", levels_json(r->levels));
        if (r->from_day)
            json_object_set_new(o, "from_day", json_integer(r->from_day));
        if (r->to_day)
            json_object_set_new(o, "to_day", json_integer(r->to_day));
        if (r->within_days)
            json_object_set_new(o, "within_days", json_integer(r->within_days));
        if (r->expire_days)
            json_object_set_new(o, "expire_days", json_integer(r->expire_days));
        if (r->match)
            json_object_set_new(o, "match",
                                json_string(r->match == FK_MATCH_AREA ? "area" : "county"));
        json_array_append_new(rules, o);
    }
    for (int i = 0; i < s->n_steps; i++)
        json_array_append_new(steps, json_pack("{s:s,s:i,s:s}", "level",
                                               fk_risk_level_name(s->steps[i].level),
                                               "days_without_case", s->steps[i].days_without_case,
                                               "then", fk_risk_level_name(s->steps[i].then)));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:o}", "name", s->name, "version",
                     s->version, "title", s->title, "effective_date", s->effective_date, "origin",
                     s->origin, "window_days", s->window_days, "risk_levels",
                     levels_json(s->levels), "risk_area_steps", steps, "rules", rules);
}

static void get_rules(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t now = fk_now();
    const struct fk_hrules *active = NULL;
    enum fk_err err = fk_hrules_active(db, now, &active);
    json_t *sets = json_array(), *schedule = json_array(), *next = json_null();
    for (size_t i = 0; sets != NULL && i < fk_hrules_count(); i++)
        json_array_append_new(sets, set_json(fk_hrules_at(i)));
    struct fk_stmt *st = NULL;
    int row = 0;
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          "SELECT s.id, s.name, s.effective_from, s.created_at, "
                          "COALESCE(u.display_name, '') FROM health_rule_schedule s LEFT JOIN "
                          "users u ON u.id = s.created_by ORDER BY s.effective_from DESC, s.id "
                          "DESC LIMIT 200",
                          "");
    while (err == FK_OK && row) {
        int64_t from = fk_stmt_int64(st, 2);
        json_array_append_new(
            schedule,
            json_pack("{s:I,s:s,s:o,s:o,s:s,s:b}", "id", (json_int_t)fk_stmt_int64(st, 0), "name",
                      fk_stmt_text(st, 1), "effective_from", fk_time_or_null(from), "created_at",
                      fk_time_or_null(fk_stmt_int64(st, 3)), "created_by", fk_stmt_text(st, 4),
                      "pending", from > now));
        if (from > now) {
            json_decref(next);
            next = json_pack("{s:s,s:o}", "name", fk_stmt_text(st, 1), "effective_from",
                             fk_time_or_null(from));
        }
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    if (err != FK_OK || sets == NULL || schedule == NULL) {
        json_decref(sets);
        json_decref(schedule);
        json_decref(next);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:o,s:o,s:{s:s,s:s,s:s},s:o}", "sets", sets, "schedule", schedule,
                            "active", "name", active->name, "version", active->version, "title",
                            active->title, "next", next));
}

static void post_schedule(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    const char *name;
    int has_from;
    int64_t from = 0, now = fk_now();
    if (fk_json_str_or_reply(req, "name", 1, 64, &name) != 0)
        return;
    if (fk_hrules_find(name) == NULL) {
        invalid(req, "name", "没有该名称的规则集（见 GET /api/v1/health-rules）");
        return;
    }
    if (time_field_or_reply(req, "effective_from", 1, &has_from, &from) != 0)
        return;
    if (from < now - 366LL * 86400 || from > now + 366LL * 86400) {
        invalid(req, "effective_from", "生效时间应在前后一年之内");
        return;
    }
    const struct fk_hrules *before = NULL, *after = NULL;
    int64_t id = 0, job_id = 0;
    enum fk_err err = fk_hrules_active(db, now, &before);
    if (err == FK_OK)
        err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, &id,
                        "INSERT INTO health_rule_schedule (name, effective_from, created_by, "
                        "created_at) VALUES (?, ?, ?, ?) RETURNING id",
                        "tiii", name, from, req->actor.user_id, now);
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    json_t *detail = json_pack("{s:s,s:I}", "name", name, "effective_from", (json_int_t)from);
    if (err == FK_OK) /* the detail is borrowed */
        err =
            fk_audit_req(req, "health_rules_schedule", "health_rule_schedule", id_text, 0, detail);
    json_decref(detail);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    /* In force at once: recompute everyone now. */
    if ((err = fk_hrules_active(db, now, &after)) == FK_OK && after != before)
        err = fk_health_recompute_start(req->app, db, req->actor.user_id, req->actor.username,
                                        &job_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = json_pack("{s:I,s:s,s:o,s:s}", "id", (json_int_t)id, "name", name,
                             "effective_from", fk_time_or_null(from), "active", after->name);
    json_object_set_new(body, "job_id", job_id ? json_integer(job_id) : json_null());
    fk_reply_json(req, 201, body);
}

#define P(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define PAGE_PARAMS P("page", "integer") "," P("per_page", "integer")
#define ID_PARAM                                                                                   \
    "{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}},"

static const struct fk_route routes[] = {
    {"GET", "/api/v1/persons/{id}/health-code", get_code, 0, READERS, "healthcode",
     "健康码：颜色、原因（规则、起止时间）、规则集版本", NULL},
    {"GET", "/api/v1/persons/{id}/health-code/history", get_history, 0, READERS, "healthcode",
     "健康码变更记录（规则与原因）", "{\"parameters\":[" ID_PARAM PAGE_PARAMS "]}"},
    {"GET", "/api/v1/health-codes/stats", get_stats, 0, READERS, "healthcode",
     "各下级区划的红黄绿码人数", "{\"parameters\":[" P("region", "string") "]}"},
    {"POST", "/api/v1/health-codes/recompute", post_recompute, 0, FK_ROLE_DISTRICT_ADMIN,
     "healthcode", "全量重新计算健康码（后台任务，202 {job_id}）", NULL},
    {"POST", "/api/v1/persons/{id}/health-facts", post_fact, 0, FACT_WRITERS, "healthcode",
     "登记健康码事实：{kind,started_at,ended_at?,level?,region?,detail?}", NULL},
    {"GET", "/api/v1/persons/{id}/health-facts", list_facts, 0, FACT_WRITERS | READERS,
     "healthcode", "此人的健康码事实（病例、密接、隔离、风险区、发热……）",
     "{\"parameters\":[" ID_PARAM PAGE_PARAMS "]}"},
    {"POST", "/api/v1/health-facts/{id}/end", end_fact, 0, FACT_WRITERS, "healthcode",
     "结束一条工作人员登记的事实：{ended_at?}", NULL},
    {"GET", "/api/v1/health-rules", get_rules, 0, READERS, "healthcode",
     "健康码规则集、生效计划与当前生效的规则集", NULL},
    {"POST", "/api/v1/health-rules/schedule", post_schedule, 0, FK_ROLE_DISTRICT_ADMIN,
     "healthcode", "计划切换规则集：{name,effective_from}", NULL},
};

enum fk_err fk_healthcode_routes(void)
{
    enum fk_err err = fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
    return err != FK_OK ? err : fk_riskareas_routes();
}
