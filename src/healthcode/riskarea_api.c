/* HTTP handlers of risk areas (风险区): declaring a local region or an
 * outside county high, medium or low, changing the level, lifting, the list
 * and the public list. They parse, authorise, apply the rule set's checks,
 * call riskarea_store.c (which owns the tables and the transactions) and
 * reply. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "healthcode/healthcode_handler.h"
#include "healthcode/healthcode_internal.h"
#include "http/lookup.h"
#include "regions/regions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define DECLARERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER)
#define READERS                                                                                    \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF | FK_ROLE_INSPECTOR)

static json_t *area_json(const struct fk_hrules *set, const struct fk_risk_area *ar, int64_t now,
                         int public_view)
{
    int active = ar->lifted_at == 0 && ar->a.from <= now && (ar->a.until == 0 || now < ar->a.until);
    json_t *o = json_pack(
        "{s:s,s:s,s:b,s:s,s:s,s:o,s:o,s:b}", "region", ar->a.region, "name", ar->a.name, "outside",
        ar->a.outside, "level", fk_risk_level_name(ar->lifted_at ? 0 : ar->a.level), "level_label",
        fk_risk_level_label(ar->lifted_at ? 0 : ar->a.level), "from", fk_time_or_null(ar->a.from),
        "until", fk_time_or_null(ar->a.until), "active", active);
    if (o == NULL || public_view)
        return o;
    json_object_set_new(o, "id", json_integer(ar->id));
    json_object_set_new(o, "county", json_string(ar->a.county));
    json_object_set_new(o, "last_case_at", fk_time_or_null(ar->last_case_at));
    json_object_set_new(o, "level_since", fk_time_or_null(ar->level_since));
    json_object_set_new(o, "lifted_at", fk_time_or_null(ar->lifted_at));
    json_object_set_new(o, "created_at", fk_time_or_null(ar->created_at));
    const struct fk_hrule_step *step = NULL;
    int64_t due = fk_risk_step_due_at(set, ar, &step);
    json_object_set_new(
        o, "next_step",
        step ? json_pack("{s:s,s:s,s:o,s:i}", "level", fk_risk_level_name(step->then),
                         "level_label", fk_risk_level_label(step->then), "at", fk_time_or_null(due),
                         "days_without_case", step->days_without_case)
             : json_null());
    return o;
}

/* Replies the area `id` as it is now with `status` and the number of codes
 * the write (which ended in `err`) changed. */
static void reply_area(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t id,
                       unsigned status, int64_t changed)
{
    struct fk_risk_area ar;
    const struct fk_hrules *set = NULL;
    int64_t now = fk_now();
    if (err == FK_OK)
        err = fk_risk_area_load(db, id, &ar);
    if (err == FK_OK)
        err = fk_hrules_active(db, now, &set);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = area_json(set, &ar, now, 0);
    json_object_set_new(body, "codes_changed", json_integer(changed));
    fk_reply_json(req, status, body);
}

/* The rule set in force at `now` into *set; -1 after replying the failure. */
static int active_set_or_reply(struct fk_req *req, struct fk_conn *db, int64_t now,
                               const struct fk_hrules **set)
{
    enum fk_err err = fk_hrules_active(db, now, set);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

/* A body of only `keys` (static names), then the rule set in force at `now`
 * into *set; -1 after replying. */
static int body_and_set_or_reply(struct fk_req *req, struct fk_conn *db, const char *const *keys,
                                 int64_t now, const struct fk_hrules **set)
{
    if (fk_health_known_keys_or_reply(req, keys) != 0)
        return -1;
    return active_set_or_reply(req, db, now, set);
}

static int level_or_reply(struct fk_req *req, const struct fk_hrules *set, const char *text)
{
    int level = fk_risk_level_from_name(text);
    if (level < 1 || !(set->levels & (1u << level))) {
        char msg[400];
        snprintf(msg, sizeof(msg), "风险等级应为现行规则集（%s）允许的等级：%s%s%s", set->title,
                 set->levels & (1u << FK_RISK_HIGH) ? "high（高） " : "",
                 set->levels & (1u << FK_RISK_MEDIUM) ? "medium（中） " : "",
                 set->levels & (1u << FK_RISK_LOW) ? "low（低）" : "");
        fk_reply_invalid(req, "level", msg);
        return -1;
    }
    return level;
}

static void declare_area(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const keys[] = {"region", "level", "from", "until", "name", NULL};
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    if (body_and_set_or_reply(req, db, keys, now, &set) != 0)
        return;
    enum fk_err err;
    const char *region_text, *level_text, *name_text;
    if (fk_json_str_or_reply(req, "region", 1, 18, &region_text) != 0 ||
        fk_json_str_or_reply(req, "level", 1, 8, &level_text) != 0 ||
        fk_json_str_or_reply(req, "name", 0, 90, &name_text) != 0)
        return;
    int level = level_or_reply(req, set, level_text);
    if (level < 0)
        return;
    if (fk_health_plain_or_reply(req, "name", name_text, "名称含有控制字符") != 0)
        return;
    struct fk_risk_area ar;
    memset(&ar, 0, sizeof(ar));
    ar.a.level = level;
    size_t len = strlen(region_text);
    int digits = 1;
    for (size_t i = 0; i < len; i++)
        digits = digits && region_text[i] >= '0' && region_text[i] <= '9';
    if (!digits) {
        fk_reply_invalid(req, "region",
                         "区划代码应为数字：本地区划（9–18 位）或外地县（市、区）6 位代码");
        return;
    }
    /* A 6-digit code names a county: ours if the regions hold it, else an
     * outside one (GB/T 2260). */
    struct fk_region local;
    int outside = 0;
    if (len == 6) {
        int row = 0;
        err = fk_risk_region_is_local(db, region_text, &row);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
        outside = !row;
    }
    if (outside) {
        int prov = (region_text[0] - '0') * 10 + (region_text[1] - '0');
        if (prov < 11 || prov > 82 || strcmp(region_text + 4, "00") == 0) {
            fk_reply_invalid(req, "region",
                             "外地县（市、区）代码应为 6 位 GB/T 2260 代码，例如 140105");
            return;
        }
        if (!(req->actor.role & FK_ROLE_DISTRICT_ADMIN)) {
            fk_reply_err(req, FK_E_RISK_OUTSIDE_DECLARE, "region");
            return;
        }
        ar.a.outside = 1;
        snprintf(ar.a.region, sizeof(ar.a.region), "%s", region_text);
        snprintf(ar.a.county, sizeof(ar.a.county), "%s", region_text);
        snprintf(ar.a.name, sizeof(ar.a.name), "%s", name_text ? name_text : "外地县（市、区）");
        if (name_text == NULL)
            snprintf(ar.a.name, sizeof(ar.a.name), "外地县（市、区）%s", region_text);
    } else {
        char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
        const char *reason;
        if (fk_region_normalize(region_text, code, prefix, &reason) != FK_OK) {
            fk_reply_invalid(req, "region", "区划代码格式错误");
            return;
        }
        err = fk_region_get(db, code, &local);
        if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, local.prefix))) {
            fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
            return;
        }
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
        snprintf(ar.a.region, sizeof(ar.a.region), "%s", local.code);
        snprintf(ar.a.prefix, sizeof(ar.a.prefix), "%s", local.prefix);
        snprintf(ar.a.county, sizeof(ar.a.county), "%.6s", local.code);
        snprintf(ar.a.name, sizeof(ar.a.name), "%.90s", name_text ? name_text : local.name);
    }
    int has_from, has_until;
    ar.a.from = now;
    if (fk_health_time_or_reply(req, "from", 0, &has_from, &ar.a.from) != 0 ||
        fk_health_time_or_reply(req, "until", 0, &has_until, &ar.a.until) != 0)
        return;
    if (ar.a.from < now - 30LL * DAY || ar.a.from > now + 30LL * DAY) {
        fk_reply_invalid(req, "from", "开始时间应在前后 30 天之内");
        return;
    }
    if (has_until && (ar.a.until <= ar.a.from || ar.a.until > ar.a.from + 366LL * DAY)) {
        fk_reply_invalid(req, "until", "计划结束时间应晚于开始时间，且不超过一年");
        return;
    }
    int64_t existing = 0, changed = 0;
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    err = fk_risk_area_declare(db, &ar, now, &audit, &existing, &changed);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (existing) {
        fk_reply_err_ex(req, FK_E_RISK_ALREADY_DECLARED, "region", NULL,
                        json_pack("{s:I}", "existing_id", (json_int_t)existing), NULL);
        return;
    }
    reply_area(req, db, FK_OK, ar.id, 201, changed);
}

/* The area {id} the caller may see and change: local ones in the
 * jurisdiction, outside ones (change: district_admin). -1 after replying. */
static int area_or_reply(struct fk_req *req, struct fk_conn *db, int change,
                         struct fk_risk_area *out)
{
    int64_t id;
    enum fk_err err = FK_ERR_NOT_FOUND;
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &id) == FK_OK)
        err = fk_risk_area_load(db, id, out);
    if (fk_found_or_reply(req, err, err == FK_OK && !out->a.outside ? out->a.prefix : NULL,
                          FK_E_RISK_AREA_NOT_FOUND, "id") != 0)
        return -1;
    if (change && out->a.outside && !(req->actor.role & FK_ROLE_DISTRICT_ADMIN)) {
        fk_reply_err(req, FK_E_RISK_OUTSIDE_ADJUST, "id");
        return -1;
    }
    if (change && out->lifted_at) {
        fk_reply_err(req, FK_E_RISK_AREA_LIFTED, "id");
        return -1;
    }
    return 0;
}

/* Replies `code` naming "level": "按<set>，<level><rule><target>". */
static void step_refused(struct fk_req *req, enum fk_ecode code, const struct fk_hrules *set,
                         int level, const char *rule, const char *target)
{
    char msg[400];
    snprintf(msg, sizeof(msg), "按%s，%s%s%s", set->title, fk_risk_level_label(level), rule,
             target);
    fk_reply_errf(req, code, "level", msg);
}

/* Replies FK_E_RISK_TOO_EARLY: `step` may `verb` (降级, 解除) from `due` on. */
static void too_early(struct fk_req *req, const struct fk_hrules *set,
                      const struct fk_hrule_step *step, int64_t due, const char *verb)
{
    char msg[400], at[FK_RFC3339_LEN];
    fk_time_format(due, at);
    snprintf(msg, sizeof(msg), "按%s，须连续 %d 天无新增病例方可%s（最早 %s）", set->title,
             step->days_without_case, verb, at);
    fk_reply_errf(req, FK_E_RISK_TOO_EARLY, "level", msg);
}

static void patch_area(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_risk_area ar;
    if (db == NULL || area_or_reply(req, db, 1, &ar) != 0)
        return;
    static const char *const keys[] = {"level", "until", "last_case_at", "reason", NULL};
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    if (body_and_set_or_reply(req, db, keys, now, &set) != 0)
        return;
    enum fk_err err;
    const char *level_text, *reason;
    if (fk_json_str_or_reply(req, "level", 0, 8, &level_text) != 0 ||
        fk_json_str_or_reply(req, "reason", 0, 200, &reason) != 0)
        return;
    if (fk_health_plain_or_reply(req, "reason", reason, "说明含有控制字符") != 0)
        return;
    int level = ar.a.level;
    if (level_text != NULL && (level = level_or_reply(req, set, level_text)) < 0)
        return;
    int has_until, has_case;
    int64_t until = ar.a.until, last_case = ar.last_case_at;
    if (fk_health_time_or_reply(req, "until", 0, &has_until, &until) != 0 ||
        fk_health_time_or_reply(req, "last_case_at", 0, &has_case, &last_case) != 0)
        return;
    if (has_until && (until <= ar.a.from || until > ar.a.from + 366LL * DAY)) {
        fk_reply_invalid(req, "until", "计划结束时间应晚于开始时间，且不超过一年");
        return;
    }
    if (has_case && (last_case < ar.a.from - 30LL * DAY || last_case > now + 300)) {
        fk_reply_invalid(req, "last_case_at", "新增病例时间应不晚于现在");
        return;
    }
    if (has_case && last_case < ar.last_case_at)
        last_case = ar.last_case_at;
    /* A downgrade follows the rules: the step of the current level, once due. */
    if (level < ar.a.level) {
        const struct fk_hrule_step *step = NULL;
        int64_t due = fk_risk_step_due_at(set, &ar, &step);
        if (step == NULL || step->then == 0 || level != step->then) {
            step_refused(req, FK_E_RISK_DOWNGRADE, set, ar.a.level, "只能降为",
                         step && step->then ? fk_risk_level_label(step->then) : "（不能降级）");
            return;
        }
        if (due > now || (has_case && last_case + (int64_t)step->days_without_case * DAY > now)) {
            too_early(req, set, step, due, "降级");
            return;
        }
    }
    int64_t changed = 0;
    struct fk_risk_area_update in = {level, until, last_case, now, has_until, has_case, reason};
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    err = fk_risk_area_update(db, &ar, &in, &audit, &changed);
    reply_area(req, db, err, ar.id, 200, changed);
}

static void lift_area(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_risk_area ar;
    if (db == NULL || area_or_reply(req, db, 1, &ar) != 0)
        return;
    int present, override = 0;
    const char *reason;
    if (fk_json_bool_or_reply(req, "override", &present, &override) != 0 ||
        fk_json_str_or_reply(req, "reason", 0, 200, &reason) != 0)
        return;
    if (fk_health_plain_or_reply(req, "reason", reason, "说明含有控制字符") != 0)
        return;
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    if (active_set_or_reply(req, db, now, &set) != 0)
        return;
    enum fk_err err;
    if (override && !(req->actor.role & FK_ROLE_DISTRICT_ADMIN)) {
        fk_reply_err(req, FK_E_RISK_EARLY_LIFT_ROLE, "override");
        return;
    }
    if (override && reason == NULL) {
        fk_reply_err(req, FK_E_RISK_EARLY_LIFT_REASON, "reason");
        return;
    }
    if (!override) {
        const struct fk_hrule_step *step = NULL;
        int64_t due = fk_risk_step_due_at(set, &ar, &step);
        if (step == NULL || step->then != 0) {
            step_refused(req, FK_E_RISK_LIFT_NOT_ALLOWED, set, ar.a.level, "须先降为",
                         step ? fk_risk_level_label(step->then) : "更低等级");
            return;
        }
        if (due > now) {
            too_early(req, set, step, due, "解除");
            return;
        }
    }
    int64_t changed = 0;
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    err = fk_risk_area_lift(db, &ar, reason ? reason : "解除", override, &audit, &changed);
    reply_area(req, db, err, ar.id, 200, changed);
}

struct area_list {
    json_t *items;
    const struct fk_hrules *set;
    int64_t now;
    int public_view;
};

static void area_listed(void *ctx, const struct fk_risk_area *ar)
{
    struct area_list *list = ctx;
    json_array_append_new(list->items, area_json(list->set, ar, list->now, list->public_view));
}

static void list_areas_common(struct fk_req *req, int public_view)
{
    struct fk_conn *db = fk_req_db(req);
    char scope[19] = "";
    int64_t page = 1, per_page = 200;
    if (db == NULL)
        return;
    if (!public_view &&
        (fk_scope_or_reply(req, scope) != 0 || fk_page_or_reply(req, &page, &per_page) != 0))
        return;
    const char *active_q = public_view ? "1" : fk_req_query(req, "active");
    const char *level_q = fk_req_query(req, "level");
    int active = -1;
    if (active_q != NULL && active_q[0] != '\0') {
        if (strcmp(active_q, "1") == 0 || strcmp(active_q, "true") == 0)
            active = 1;
        else if (strcmp(active_q, "0") == 0 || strcmp(active_q, "false") == 0)
            active = 0;
        else {
            fk_reply_invalid(req, "active", "active 应为 1 或 0");
            return;
        }
    }
    int level = -1;
    if (level_q != NULL && level_q[0] != '\0' && (level = fk_risk_level_from_name(level_q)) < 0) {
        fk_reply_invalid(req, "level", "level 应为 high、medium、low 或 lifted");
        return;
    }
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    int64_t total = 0;
    json_t *items = json_array();
    struct fk_risk_area_filter f = {.active = active, .level = level, .now = now};
    snprintf(f.scope, sizeof(f.scope), "%s", scope);
    struct area_list list = {items, set, now, public_view};
    if (err == FK_OK)
        err = fk_risk_areas_list(db, &f, page, per_page, area_listed, &list, &total);
    if (err == FK_OK && items == NULL)
        err = FK_ERR_NOMEM;
    if (err != FK_OK || !public_view) {
        fk_reply_list(req, err, items, total, page, per_page);
        return;
    }
    char at[FK_RFC3339_LEN];
    fk_time_format(now, at);
    fk_reply_json(
        req, 200,
        json_pack("{s:o,s:s,s:s}", "items", items, "as_of", at, "rules_title", set->title));
}

static void list_areas(struct fk_req *req)
{
    list_areas_common(req, 0);
}

static void public_areas(struct fk_req *req)
{
    list_areas_common(req, 1);
}

#define P(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"

static const struct fk_route routes[] = {
    {"POST", "/api/v1/risk-areas", declare_area, 0, DECLARERS, "riskareas",
     "申报风险区：{region（本地区划或外地县 6 位代码）,level,from,until,name?}", NULL},
    {"GET", "/api/v1/risk-areas", list_areas, 0, READERS, "riskareas", "风险区列表",
     "{\"parameters\":[" P("region", "string") "," P("active", "string") "," P(
         "level", "string") "," P("page", "integer") "," P("per_page", "integer") "]}"},
    {"PATCH", "/api/v1/risk-areas/{id}", patch_area, 0, DECLARERS, "riskareas",
     "调整风险区：{level（升级/按规则降级）,until,last_case_at（新增病例）,reason}", NULL},
    {"POST", "/api/v1/risk-areas/{id}/lift", lift_area, 0, DECLARERS, "riskareas",
     "解除风险区（按规则；区级管理员可 override 并说明原因）", NULL},
    {"GET", "/api/v1/public/risk-areas", public_areas, FK_ROUTE_PUBLIC, FK_ROLE_ANY, "riskareas",
     "公开的中高风险区名单（无个人信息）", "{\"parameters\":[" P("level", "string") "]}"},
};

enum fk_err fk_riskareas_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
