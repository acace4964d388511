/* HTTP handlers of health codes: a person's code and its history, counts by
 * region, the full recompute, staff-recorded facts, and the rule sets with
 * their schedule. Persons outside the caller's jurisdiction do not exist
 * (404). Every read of a person's code is audited. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "healthcode/healthcode_handler.h"
#include "healthcode/healthcode_internal.h"
#include "http/caller.h"
#include "http/lookup.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READERS                                                                                    \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF | FK_ROLE_INSPECTOR)
#define FACT_WRITERS                                                                               \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF)

/* The person {id} of the path inside the caller's jurisdiction: *region.
 * -1 after replying 404. */
static int person_or_reply(struct fk_req *req, struct fk_conn *db, const char *param, int64_t *id,
                           char region[24])
{
    if (fk_path_id_or_reply(req, param, FK_E_HEALTH_PERSON_NOT_FOUND, "id", id) != 0)
        return -1;
    enum fk_err err = fk_health_person_in_scope(db, *id, req->actor.prefix, region);
    return fk_found_or_reply(req, err, NULL, FK_E_HEALTH_PERSON_NOT_FOUND, "id");
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
    fk_req_audit(req, &err, "health_code_read", "person", id, id, NULL);
    fk_reply_result(req, err, 200, body);
}

/* A page of one person's records (`read_page`: their code history or their
 * facts), the read audited as `action`. */
static void person_page(struct fk_req *req, const char *action,
                        enum fk_err (*read_page)(struct fk_conn *, int64_t, int64_t, int64_t,
                                                 json_t *, int64_t *))
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id, page, per_page, total = 0;
    char region[24];
    if (db == NULL || person_or_reply(req, db, "id", &id, region) != 0 ||
        fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    json_t *items = json_array();
    enum fk_err err = items ? read_page(db, id, page, per_page, items, &total) : FK_ERR_NOMEM;
    fk_req_audit(req, &err, action, "person", id, id, NULL);
    fk_reply_list(req, err, items, total, page, per_page);
}

static void get_history(struct fk_req *req)
{
    person_page(req, "health_code_history_read", fk_health_history_page);
}

static void get_stats(struct fk_req *req)
{
    char scope[19];
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_scope_or_reply(req, scope) != 0)
        return;
    json_t *body = NULL;
    enum fk_err err = fk_health_stats(db, scope, &body);
    if (fk_found_or_reply(req, err, NULL, FK_E_REGION_NOT_FOUND, "region") != 0)
        return;
    fk_reply_json(req, 200, body);
}

static void post_recompute(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t job_id = 0;
    enum fk_err err =
        fk_health_recompute_start(req->app, db, req->actor.user_id, req->actor.username, &job_id);
    fk_req_audit(req, &err, "health_code_recompute", "job", 0, 0,
                 json_pack("{s:I}", "job_id", (json_int_t)job_id));
    fk_reply_result(req, err, 202, json_pack("{s:I}", "job_id", (json_int_t)job_id));
}

/* ---------- facts recorded by staff ---------- */

/* Replies the fact `fact_id` as GET would show it with `status`, after the
 * write that ended in `err`. */
static void reply_fact(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t fact_id,
                       unsigned status)
{
    json_t *body = NULL;
    if (err == FK_OK)
        err = fk_health_fact_view(db, fact_id, &body);
    fk_reply_result(req, err, status, body);
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
    if (fk_health_known_keys_or_reply(req, keys) != 0)
        return;
    const char *kind_text, *level_text, *region, *detail;
    if (fk_json_str_or_reply(req, "kind", 1, 32, &kind_text) != 0)
        return;
    enum fk_health_fact_kind kind = fk_health_fact_from_name(kind_text);
    if (kind == 0) {
        fk_reply_invalid(
            req, "kind",
            "类型应为 case（病例）、close_contact（密接）、secondary_contact（次密接）、"
            "central_quarantine（集中隔离）、home_quarantine（居家隔离）、risk_stay（到过风险"
            "区）、risk_arrival（来自风险区）、arrival（外地抵达）、tests_owed（待检测）、"
            "overdue_test（检测逾期）、fever（发热）或 pool_recall（混管召回）");
        return;
    }
    int has_start, has_end;
    int64_t started_at = 0, ended_at = 0, now = fk_now();
    if (fk_health_time_or_reply(req, "started_at", 1, &has_start, &started_at) != 0 ||
        fk_health_time_or_reply(req, "ended_at", 0, &has_end, &ended_at) != 0)
        return;
    if (started_at > now + 300 || started_at < now - 366LL * 86400) {
        fk_reply_invalid(req, "started_at", "开始时间应在一年内，且不晚于现在");
        return;
    }
    if (has_end && ended_at < started_at) {
        fk_reply_invalid(req, "ended_at", "结束时间不能早于开始时间");
        return;
    }
    if (fk_json_str_or_reply(req, "level", 0, 8, &level_text) != 0 ||
        fk_json_str_or_reply(req, "region", 0, 18, &region) != 0 ||
        fk_json_str_or_reply(req, "detail", 0, 200, &detail) != 0)
        return;
    int level = level_text ? fk_risk_level_from_name(level_text) : 0;
    if (level_text != NULL && level < 1) {
        fk_reply_invalid(req, "level", "风险等级应为 high（高）、medium（中）或 low（低）");
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
            fk_reply_invalid(req, "region", "地区应为区划代码（2–18 位数字）");
            return;
        }
    }
    if (kind == FK_FACT_ARRIVAL && (region == NULL || strlen(region) < 6)) {
        fk_reply_invalid(req, "region", "外地抵达须填写来源县（市、区）的 6 位代码");
        return;
    }
    if (fk_health_plain_or_reply(req, "detail", detail, "说明含有控制字符") != 0)
        return;
    int64_t source_id = 0, fact_id = 0;
    randombytes_buf(&source_id, sizeof(source_id));
    source_id = (source_id & INT64_MAX) | 1;
    struct fk_staff_fact fact = {id,         kind_text, level_text, region, detail,
                                 started_at, ended_at,  source_id,  now};
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    enum fk_err err = fk_health_staff_fact_add(db, &fact, &audit, &fact_id);
    reply_fact(req, db, err, fact_id, 201);
}

static void list_facts(struct fk_req *req)
{
    person_page(req, "health_facts_read", fk_health_facts_page);
}

static void end_fact(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t fact_id;
    if (db == NULL)
        return;
    if (fk_path_id_or_reply(req, "id", FK_E_HEALTH_FACT_NOT_FOUND, "id", &fact_id) != 0)
        return;
    struct fk_fact_row fact;
    enum fk_err err = fk_health_fact_lookup(db, fact_id, req->actor.prefix, &fact);
    if (fk_found_or_reply(req, err, NULL, FK_E_HEALTH_FACT_NOT_FOUND, "id") != 0)
        return;
    int64_t person_id = fact.person_id, started_at = fact.started_at;
    int open = fact.open, staff = fact.staff;
    int has_end;
    int64_t ended_at = fk_now();
    if (fk_health_time_or_reply(req, "ended_at", 0, &has_end, &ended_at) != 0)
        return;
    if (!has_end)
        ended_at = fk_now();
    if (ended_at < started_at || ended_at > fk_now() + 300) {
        fk_reply_invalid(req, "ended_at", "结束时间应晚于开始时间，且不晚于现在");
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
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    err = fk_health_staff_fact_end(db, fact_id, person_id, ended_at, &audit);
    reply_fact(req, db, err, fact_id, 200);
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
    if (err == FK_OK)
        err = fk_hrules_schedule_json(db, now, schedule, &next);
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
        fk_reply_invalid(req, "name", "没有该名称的规则集（见 GET /api/v1/health-rules）");
        return;
    }
    if (fk_health_time_or_reply(req, "effective_from", 1, &has_from, &from) != 0)
        return;
    if (from < now - 366LL * 86400 || from > now + 366LL * 86400) {
        fk_reply_invalid(req, "effective_from", "生效时间应在前后一年之内");
        return;
    }
    const struct fk_hrules *before = NULL, *after = NULL;
    int64_t id = 0, job_id = 0;
    enum fk_err err = fk_hrules_active(db, now, &before);
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    if (err == FK_OK)
        err = fk_hrules_schedule_add(db, name, from, now, &audit, &id);
    if (err != FK_OK) {
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
