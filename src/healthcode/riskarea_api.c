/* Risk areas (风险区): declaring a local region or an outside county high,
 * medium or low, changing the level, lifting, the public list, and the
 * automatic steps of the rule set in force (risk_area_steps). A change
 * re-evaluates the people it covers in the same transaction: residents (by
 * region prefix), arrivals (arrival facts from the county) and visitors
 * (risk_stay facts from venue check-ins: FK_EVENT_RISK_AREA_CHANGED, whose
 * subscriber in src/venues reports them with fk_health_risk_stay). */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/parse.h"
#include "healthcode/healthcode_internal.h"
#include "http/http.h"
#include "regions/regions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define DECLARERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER)
#define READERS                                                                                    \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF | FK_ROLE_INSPECTOR)

static int invalid(struct fk_req *req, const char *field, const char *message)
{
    fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, field, message);
    return -1;
}

/* One area as stored. */
struct area {
    int64_t id;
    struct fk_harea a;
    int64_t last_case_at, level_since, lifted_at, created_at;
};

#define AREA_COLUMNS                                                                               \
    "id, region, outside, prefix, county, name, level, from_at, until_at, last_case_at, "          \
    "level_since, lifted_at, created_at"

static void area_read(struct fk_stmt *st, struct area *out)
{
    memset(out, 0, sizeof(*out));
    out->id = out->a.id = fk_stmt_int64(st, 0);
    snprintf(out->a.region, sizeof(out->a.region), "%s", fk_stmt_text(st, 1));
    out->a.outside = (int)fk_stmt_int64(st, 2);
    snprintf(out->a.prefix, sizeof(out->a.prefix), "%s", fk_stmt_text(st, 3));
    snprintf(out->a.county, sizeof(out->a.county), "%s", fk_stmt_text(st, 4));
    snprintf(out->a.name, sizeof(out->a.name), "%s", fk_stmt_text(st, 5));
    int level = fk_risk_level_from_name(fk_stmt_text(st, 6));
    out->a.level = level < 0 ? 0 : level;
    out->a.from = fk_stmt_int64(st, 7);
    out->a.until = fk_stmt_is_null(st, 8) ? 0 : fk_stmt_int64(st, 8);
    out->last_case_at = fk_stmt_int64(st, 9);
    out->level_since = fk_stmt_int64(st, 10);
    out->lifted_at = fk_stmt_is_null(st, 11) ? 0 : fk_stmt_int64(st, 11);
    out->created_at = fk_stmt_int64(st, 12);
}

/* When the current level's step of `set` falls due (0 = no step). */
static int64_t step_due_at(const struct fk_hrules *set, const struct area *ar,
                           const struct fk_hrule_step **step)
{
    *step = ar->lifted_at ? NULL : fk_hrules_step(set, ar->a.level);
    if (*step == NULL)
        return 0;
    int64_t base = ar->last_case_at > ar->level_since ? ar->last_case_at : ar->level_since;
    return base + (int64_t)(*step)->days_without_case * DAY;
}

static json_t *area_json(const struct fk_hrules *set, const struct area *ar, int64_t now,
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
    int64_t due = step_due_at(set, ar, &step);
    json_object_set_new(
        o, "next_step",
        step ? json_pack("{s:s,s:s,s:o,s:i}", "level", fk_risk_level_name(step->then),
                         "level_label", fk_risk_level_label(step->then), "at", fk_time_or_null(due),
                         "days_without_case", step->days_without_case)
             : json_null());
    return o;
}

/* The people a change re-evaluates: visitors (risk_stay facts, reported by
 * the subscribers of FK_EVENT_RISK_AREA_CHANGED with fk_health_risk_stay or
 * found by checkins_recorded), arrivals and earlier visitors. */
struct fk_health_stays {
    struct fk_conn *db;
    const struct area *area;
    int64_t *ids;
    size_t n, cap;
    enum fk_err err;
};

static int visitor_seen(void *ctx, int64_t person_id, int64_t at, const char *venue_region)
{
    struct fk_health_stays *v = ctx;
    char detail[160];
    snprintf(detail, sizeof(detail), "到访%s（%s）", v->area->a.name,
             fk_risk_level_label(v->area->a.level));
    struct fk_health_fact fact = {.person_id = person_id,
                                  .kind = FK_FACT_RISK_STAY,
                                  .level = fk_risk_level_name(v->area->a.level),
                                  .region = venue_region,
                                  .started_at = at,
                                  .ended_at = at,
                                  .source = "riskarea",
                                  .source_id = v->area->id,
                                  .detail = detail};
    v->err = fk_health_fact_record(v->db, &fact);
    if (v->err == FK_OK && v->n == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 64;
        int64_t *grown = realloc(v->ids, ncap * sizeof(*grown));
        if (grown == NULL)
            v->err = FK_ERR_NOMEM;
        else {
            v->ids = grown;
            v->cap = ncap;
        }
    }
    if (v->err == FK_OK)
        v->ids[v->n++] = person_id;
    return v->err == FK_OK ? 0 : -1;
}

enum fk_err fk_health_risk_stay(struct fk_conn *db, const struct fk_risk_area_change *change,
                                int64_t person_id, int64_t at, const char *region)
{
    if (db == NULL || change == NULL || change->stays == NULL)
        return FK_ERR_INVALID;
    visitor_seen(change->stays, person_id, at, region);
    return change->stays->err;
}

/* FK_EVENT_CHECKIN_RECORDED: stays inside declared areas (healthcode.h). */
static enum fk_err checkins_recorded(struct fk_conn *db, const struct fk_event *event, void *unused)
{
    (void)unused;
    const struct fk_place_visits *batch = event->detail;
    if (batch == NULL || batch->n == 0)
        return FK_OK;
    const struct fk_place_visit *visits = batch->visits;
    size_t n = batch->n;
    if (db == NULL || visits == NULL)
        return FK_ERR_INVALID;
    int64_t first = visits[0].at;
    for (size_t i = 1; i < n; i++)
        if (visits[i].at < first)
            first = visits[i].at;
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, fk_now(), &set);
    struct fk_stmt *st = NULL;
    if (err == FK_OK)
        err = fk_stmt_prepare(db,
                              "SELECT " AREA_COLUMNS " FROM risk_areas WHERE lifted_at IS NULL "
                              "AND outside = 0 AND (until_at IS NULL OR until_at > ?)",
                              &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, first);
    struct fk_health_stays v = {.db = db};
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        struct area ar;
        area_read(st, &ar);
        int64_t from = ar.a.from - (int64_t)set->window_days * DAY;
        size_t len = strlen(ar.a.prefix);
        v.area = &ar;
        for (size_t i = 0; i < n && v.err == FK_OK; i++) {
            const struct fk_place_visit *p = &visits[i];
            if (p->region != NULL && strncmp(p->region, ar.a.prefix, len) == 0 && p->at >= from &&
                (ar.a.until == 0 || p->at < ar.a.until))
                visitor_seen(&v, p->person_id, p->at, p->region);
        }
        err = v.err;
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    for (size_t i = 0; i < v.n && err == FK_OK; i++) {
        int seen = 0; /* a person once, however many stays */
        for (size_t k = 0; k < i && !seen; k++)
            seen = v.ids[k] == v.ids[i];
        if (!seen)
            err = fk_health_refresh(db, v.ids[i]);
    }
    free(v.ids);
    return err;
}

/* Persons with an arrival fact from the area's county within the longest
 * window any set uses (60 days bound), appended to `v->ids`. */
static enum fk_err arrivals_of(struct fk_conn *db, const struct area *ar, int64_t now,
                               struct fk_health_stays *v)
{
    char in_region[96], sql[320];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT DISTINCT person_id FROM health_facts WHERE kind = 'arrival' AND %s AND "
             "started_at > ?",
             in_region);
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 1, ar->a.county);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 3, now - 60LL * DAY);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    while (err == FK_OK) {
        if (v->n == v->cap) {
            size_t ncap = v->cap ? v->cap * 2 : 64;
            int64_t *grown = realloc(v->ids, ncap * sizeof(*grown));
            if (grown == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            v->ids = grown;
            v->cap = ncap;
        }
        v->ids[v->n++] = fk_stmt_int64(st, 0);
        err = fk_stmt_step(st);
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

/* Re-evaluates everyone the area covers (inside the caller's transaction).
 * `declared`: first declaration (visitors' facts are recorded). */
static enum fk_err propagate(struct fk_conn *db, const struct fk_hctx *ctx, const struct area *ar,
                             int declared, int64_t *changed)
{
    int64_t now = fk_now();
    struct fk_health_stays v = {.db = db, .area = ar};
    struct fk_risk_area_change change = {.area_id = ar->id,
                                         .declared = declared,
                                         .outside = ar->a.outside,
                                         .prefix = ar->a.prefix,
                                         .stays = &v};
    enum fk_err err = FK_OK;
    if (declared && !ar->a.outside) {
        const struct fk_hrules *set = NULL;
        err = fk_hrules_active(db, now, &set);
        if (err == FK_OK) {
            change.from = ar->a.from - (int64_t)set->window_days * DAY;
            change.until = ar->a.until ? ar->a.until : now;
        }
    } else if (!declared) {
        /* Visitors' facts follow the area's level. */
        err = fk_db_run(db, NULL,
                        "UPDATE health_facts SET level = ?, updated_at = ? WHERE source = "
                        "'riskarea' AND source_id = ? AND kind = 'risk_stay'",
                        "tii",
                        ar->lifted_at || ar->a.level == 0 ? "low" : fk_risk_level_name(ar->a.level),
                        now, ar->id);
        struct fk_stmt *st = NULL;
        int row = 0;
        if (err == FK_OK)
            err = fk_db_query(db, &st, &row,
                              "SELECT person_id FROM health_facts WHERE source = 'riskarea' AND "
                              "source_id = ?",
                              "i", ar->id);
        while (err == FK_OK && row) {
            if (v.n == v.cap) {
                size_t ncap = v.cap ? v.cap * 2 : 64;
                int64_t *grown = realloc(v.ids, ncap * sizeof(*grown));
                if (grown == NULL) {
                    err = FK_ERR_NOMEM;
                    break;
                }
                v.ids = grown;
                v.cap = ncap;
            }
            v.ids[v.n++] = fk_stmt_int64(st, 0);
            err = fk_stmt_step(st);
            row = err == FK_OK;
            if (err == FK_ERR_DONE)
                err = FK_OK;
        }
        fk_stmt_free(st);
    }
    /* The visitors (src/venues subscribes) before the arrivals, as always. */
    if (err == FK_OK) {
        struct fk_event event = {.kind = FK_EVENT_RISK_AREA_CHANGED,
                                 .at = now,
                                 .subject_id = ar->id,
                                 .region = ar->a.region,
                                 .detail = &change};
        err = fk_event_publish(db, &event);
        if (err == FK_OK)
            err = v.err;
    }
    if (err == FK_OK)
        err = arrivals_of(db, ar, now, &v);
    if (err == FK_OK)
        err = fk_health_refresh_many(db, ctx, ar->a.outside ? NULL : ar->a.prefix, 0, v.ids, v.n, 0,
                                     NULL, NULL, changed);
    free(v.ids);
    return err;
}

static enum fk_err area_load(struct fk_conn *db, int64_t id, struct area *out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT " AREA_COLUMNS " FROM risk_areas WHERE id = ?", "i", id);
    if (err == FK_OK && row)
        area_read(st, out);
    fk_stmt_free(st);
    return err != FK_OK ? err : row ? FK_OK : FK_ERR_NOT_FOUND;
}

static enum fk_err log_change(struct fk_conn *db, int64_t area_id, int from, int to,
                              const char *actor, const char *reason)
{
    return fk_db_run(db, NULL,
                     "INSERT INTO risk_area_changes (area_id, at, from_level, to_level, actor, "
                     "reason) VALUES (?, ?, ?, ?, ?, ?)",
                     "iittt"
                     "t",
                     area_id, fk_now(), from < 0 ? NULL : fk_risk_level_name(from),
                     fk_risk_level_name(to), actor, reason ? reason : "");
}

static void area_audit(struct fk_req *req, enum fk_err *err, const char *action, int64_t id,
                       json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    if (*err == FK_OK)
        *err = fk_audit_req(req, action, "risk_area", id_text, 0, detail);
    json_decref(detail);
}

static void reply_area(struct fk_req *req, struct fk_conn *db, int64_t id, unsigned status,
                       int64_t changed)
{
    struct area ar;
    const struct fk_hrules *set = NULL;
    int64_t now = fk_now();
    enum fk_err err = area_load(db, id, &ar);
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

static int time_field_or_reply(struct fk_req *req, const char *name, int *present, int64_t *out)
{
    const char *text;
    *present = 0;
    if (fk_json_str_or_reply(req, name, 0, 40, &text) != 0)
        return -1;
    if (text == NULL)
        return 0;
    if (fk_time_parse(text, out) != FK_OK)
        return invalid(req, name, "时间格式应为 RFC 3339，例如 2022-03-02T08:00:00+08:00");
    *present = 1;
    return 0;
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
        invalid(req, "level", msg);
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
    const char *key;
    json_t *jv;
    json_object_foreach(req->json, key, jv)
    {
        int ok = 0;
        for (const char *const *k = keys; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            invalid(req, key, "未知字段");
            return;
        }
    }
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    const char *region_text, *level_text, *name_text;
    if (fk_json_str_or_reply(req, "region", 1, 18, &region_text) != 0 ||
        fk_json_str_or_reply(req, "level", 1, 8, &level_text) != 0 ||
        fk_json_str_or_reply(req, "name", 0, 90, &name_text) != 0)
        return;
    int level = level_or_reply(req, set, level_text);
    if (level < 0)
        return;
    if (name_text != NULL && !fk_text_plain(name_text)) {
        invalid(req, "name", "名称含有控制字符");
        return;
    }
    struct area ar;
    memset(&ar, 0, sizeof(ar));
    ar.a.level = level;
    size_t len = strlen(region_text);
    int digits = 1;
    for (size_t i = 0; i < len; i++)
        digits = digits && region_text[i] >= '0' && region_text[i] <= '9';
    if (!digits) {
        invalid(req, "region", "区划代码应为数字：本地区划（9–18 位）或外地县（市、区）6 位代码");
        return;
    }
    /* A 6-digit code names a county: ours if the regions hold it, else an
     * outside one (GB/T 2260). */
    struct fk_region local;
    int outside = 0;
    if (len == 6) {
        struct fk_stmt *st = NULL;
        int row = 0;
        err = fk_db_query(db, &st, &row, "SELECT code FROM regions WHERE prefix = ?", "t",
                          region_text);
        fk_stmt_free(st);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
        outside = !row;
    }
    if (outside) {
        int prov = (region_text[0] - '0') * 10 + (region_text[1] - '0');
        if (prov < 11 || prov > 82 || strcmp(region_text + 4, "00") == 0) {
            invalid(req, "region", "外地县（市、区）代码应为 6 位 GB/T 2260 代码，例如 140105");
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
            invalid(req, "region", "区划代码格式错误");
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
    if (time_field_or_reply(req, "from", &has_from, &ar.a.from) != 0 ||
        time_field_or_reply(req, "until", &has_until, &ar.a.until) != 0)
        return;
    if (ar.a.from < now - 30LL * DAY || ar.a.from > now + 30LL * DAY) {
        invalid(req, "from", "开始时间应在前后 30 天之内");
        return;
    }
    if (has_until && (ar.a.until <= ar.a.from || ar.a.until > ar.a.from + 366LL * DAY)) {
        invalid(req, "until", "计划结束时间应晚于开始时间，且不超过一年");
        return;
    }
    /* One area in force per region: the check and the insert in one
     * transaction under the region's lock, so parallel declarations of one
     * region store one. */
    struct fk_stmt *st = NULL;
    int row = 0;
    int64_t existing = 0;
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_lock_text(db, FK_LOCK_RISK_REGION, ar.a.region);
    if (err == FK_OK) {
        err = fk_db_query(db, &st, &row,
                          "SELECT id FROM risk_areas WHERE region = ? AND lifted_at IS NULL AND "
                          "(until_at IS NULL OR until_at > ?)",
                          "ti", ar.a.region, now);
        existing = err == FK_OK && row ? fk_stmt_int64(st, 0) : 0;
        if (err == FK_OK)
            fk_stmt_free(st);
    }
    if (err != FK_OK || existing)
        fk_db_rollback(db);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (existing) {
        fk_reply_err_ex(req, FK_E_RISK_ALREADY_DECLARED, "region", NULL,
                        json_pack("{s:I}", "existing_id", (json_int_t)existing), NULL);
        return;
    }
    struct fk_hctx ctx = {req->actor.user_id, req->actor.username, req->ip};
    int64_t changed = 0;
    err = fk_db_run(db, &ar.id,
                    "INSERT INTO risk_areas (region, outside, prefix, county, name, level, "
                    "from_at, until_at, last_case_at, level_since, created_by, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    "tittttiziiiii", ar.a.region, (int64_t)ar.a.outside, ar.a.prefix, ar.a.county,
                    ar.a.name, fk_risk_level_name(level), ar.a.from, ar.a.until, ar.a.from,
                    ar.a.from, req->actor.user_id, now, now);
    ar.a.id = ar.id;
    ar.last_case_at = ar.level_since = ar.a.from;
    if (err == FK_OK)
        err = log_change(db, ar.id, -1, level, req->actor.username, "申报");
    if (err == FK_OK)
        err = propagate(db, &ctx, &ar, 1, &changed);
    area_audit(req, &err, "risk_area_declare", ar.id,
               json_pack("{s:s,s:s,s:I}", "region", ar.a.region, "level", fk_risk_level_name(level),
                         "codes_changed", (json_int_t)changed));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_area(req, db, ar.id, 201, changed);
}

/* The area {id} the caller may see and change: local ones in the
 * jurisdiction, outside ones (change: district_admin). -1 after replying. */
static int area_or_reply(struct fk_req *req, struct fk_conn *db, int change, struct area *out)
{
    int64_t id;
    enum fk_err err = FK_ERR_NOT_FOUND;
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &id) == FK_OK)
        err = area_load(db, id, out);
    if (err == FK_OK && !out->a.outside && !fk_req_covers(req, out->a.prefix))
        err = FK_ERR_NOT_FOUND;
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_RISK_AREA_NOT_FOUND, "id");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
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

static void patch_area(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct area ar;
    if (db == NULL || area_or_reply(req, db, 1, &ar) != 0)
        return;
    static const char *const keys[] = {"level", "until", "last_case_at", "reason", NULL};
    const char *key;
    json_t *jv;
    json_object_foreach(req->json, key, jv)
    {
        int ok = 0;
        for (const char *const *k = keys; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            invalid(req, key, "未知字段");
            return;
        }
    }
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    const char *level_text, *reason;
    if (fk_json_str_or_reply(req, "level", 0, 8, &level_text) != 0 ||
        fk_json_str_or_reply(req, "reason", 0, 200, &reason) != 0)
        return;
    if (reason != NULL && !fk_text_plain(reason)) {
        invalid(req, "reason", "说明含有控制字符");
        return;
    }
    int level = ar.a.level;
    if (level_text != NULL && (level = level_or_reply(req, set, level_text)) < 0)
        return;
    int has_until, has_case;
    int64_t until = ar.a.until, last_case = ar.last_case_at;
    if (time_field_or_reply(req, "until", &has_until, &until) != 0 ||
        time_field_or_reply(req, "last_case_at", &has_case, &last_case) != 0)
        return;
    if (has_until && (until <= ar.a.from || until > ar.a.from + 366LL * DAY)) {
        invalid(req, "until", "计划结束时间应晚于开始时间，且不超过一年");
        return;
    }
    if (has_case && (last_case < ar.a.from - 30LL * DAY || last_case > now + 300)) {
        invalid(req, "last_case_at", "新增病例时间应不晚于现在");
        return;
    }
    if (has_case && last_case < ar.last_case_at)
        last_case = ar.last_case_at;
    /* A downgrade follows the rules: the step of the current level, once due. */
    if (level < ar.a.level) {
        const struct fk_hrule_step *step = NULL;
        int64_t due = step_due_at(set, &ar, &step);
        if (step == NULL || step->then == 0 || level != step->then) {
            char msg[400];
            snprintf(msg, sizeof(msg), "按%s，%s只能降为%s", set->title,
                     fk_risk_level_label(ar.a.level),
                     step && step->then ? fk_risk_level_label(step->then) : "（不能降级）");
            fk_reply_errf(req, FK_E_RISK_DOWNGRADE, "level", msg);
            return;
        }
        if (due > now || (has_case && last_case + (int64_t)step->days_without_case * DAY > now)) {
            char msg[400], at[FK_RFC3339_LEN];
            fk_time_format(due, at);
            snprintf(msg, sizeof(msg), "按%s，须连续 %d 天无新增病例方可降级（最早 %s）",
                     set->title, step->days_without_case, at);
            fk_reply_errf(req, FK_E_RISK_TOO_EARLY, "level", msg);
            return;
        }
    }
    int64_t changed = 0;
    struct fk_hctx ctx = {req->actor.user_id, req->actor.username, req->ip};
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE risk_areas SET level = ?, until_at = ?, last_case_at = ?, "
                        "level_since = ?, updated_at = ? WHERE id = ?",
                        "tziiii", fk_risk_level_name(level), until, last_case,
                        level != ar.a.level ? now : ar.level_since, now, ar.id);
    if (err == FK_OK && level != ar.a.level)
        err = log_change(db, ar.id, ar.a.level, level, req->actor.username,
                         reason ? reason : (level > ar.a.level ? "升级" : "降级"));
    ar.a.level = level;
    ar.a.until = until;
    if (err == FK_OK)
        err = propagate(db, &ctx, &ar, 0, &changed);
    area_audit(req, &err, "risk_area_update", ar.id,
               json_pack("{s:s,s:b,s:b,s:I}", "level", fk_risk_level_name(level), "until",
                         has_until, "new_case", has_case, "codes_changed", (json_int_t)changed));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_area(req, db, ar.id, 200, changed);
}

/* Lifts `ar` (inside the caller's transaction) and re-evaluates its people. */
static enum fk_err lift(struct fk_conn *db, const struct fk_hctx *ctx, struct area *ar,
                        const char *reason, int64_t *changed)
{
    int64_t now = fk_now();
    enum fk_err err = fk_db_run(db, NULL,
                                "UPDATE risk_areas SET level = 'lifted', lifted_at = ?, "
                                "level_since = ?, updated_at = ? WHERE id = ?",
                                "iiii", now, now, now, ar->id);
    if (err == FK_OK)
        err = log_change(db, ar->id, ar->a.level, 0, ctx->actor, reason);
    ar->lifted_at = now;
    ar->a.level = 0;
    if (err == FK_OK)
        err = propagate(db, ctx, ar, 0, changed);
    return err;
}

static void lift_area(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct area ar;
    if (db == NULL || area_or_reply(req, db, 1, &ar) != 0)
        return;
    int present, override = 0;
    const char *reason;
    if (fk_json_bool_or_reply(req, "override", &present, &override) != 0 ||
        fk_json_str_or_reply(req, "reason", 0, 200, &reason) != 0)
        return;
    if (reason != NULL && !fk_text_plain(reason)) {
        invalid(req, "reason", "说明含有控制字符");
        return;
    }
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
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
        int64_t due = step_due_at(set, &ar, &step);
        if (step == NULL || step->then != 0) {
            char msg[400];
            snprintf(msg, sizeof(msg), "按%s，%s须先降为%s", set->title,
                     fk_risk_level_label(ar.a.level),
                     step ? fk_risk_level_label(step->then) : "更低等级");
            fk_reply_errf(req, FK_E_RISK_LIFT_NOT_ALLOWED, "level", msg);
            return;
        }
        if (due > now) {
            char msg[400], at[FK_RFC3339_LEN];
            fk_time_format(due, at);
            snprintf(msg, sizeof(msg), "按%s，须连续 %d 天无新增病例方可解除（最早 %s）",
                     set->title, step->days_without_case, at);
            fk_reply_errf(req, FK_E_RISK_TOO_EARLY, "level", msg);
            return;
        }
    }
    int64_t changed = 0;
    struct fk_hctx ctx = {req->actor.user_id, req->actor.username, req->ip};
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = lift(db, &ctx, &ar, reason ? reason : "解除", &changed);
    area_audit(req, &err, "risk_area_lift", ar.id,
               json_pack("{s:b,s:I}", "override", override, "codes_changed", (json_int_t)changed));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_area(req, db, ar.id, 200, changed);
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
            invalid(req, "active", "active 应为 1 或 0");
            return;
        }
    }
    int level = -1;
    if (level_q != NULL && level_q[0] != '\0' && (level = fk_risk_level_from_name(level_q)) < 0) {
        invalid(req, "level", "level 应为 high、medium、low 或 lifted");
        return;
    }
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    char in_region[96], where[512], sql[900];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(where, sizeof(where), " WHERE (outside = 1 OR %s)%s%s", in_region,
             active == 1   ? " AND lifted_at IS NULL AND from_at <= ? AND (until_at IS NULL OR "
                             "until_at > ?)"
             : active == 0 ? " AND NOT (lifted_at IS NULL AND from_at <= ? AND (until_at IS NULL "
                             "OR until_at > ?))"
                           : "",
             level >= 0 ? " AND level = ?" : "");
    int64_t total = 0;
    json_t *items = json_array();
    for (int pass = 0; pass < 2 && err == FK_OK; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM risk_areas%s", where);
        else
            snprintf(sql, sizeof(sql),
                     "SELECT " AREA_COLUMNS " FROM risk_areas%s ORDER BY lifted_at IS NOT NULL, "
                     "CASE level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 "
                     "END, from_at DESC, id DESC LIMIT ? OFFSET ?",
                     where);
        struct fk_stmt *st = NULL;
        int idx = 3;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_stmt_bind_region(st, 1, scope);
        if (err == FK_OK && active >= 0) {
            err = fk_stmt_bind_int64(st, idx++, now);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, now);
        }
        if (err == FK_OK && level >= 0)
            err = fk_stmt_bind_text(st, idx++, fk_risk_level_name(level));
        if (err == FK_OK && pass == 1) {
            err = fk_stmt_bind_int64(st, idx++, per_page);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        }
        if (err == FK_OK)
            err = fk_stmt_step(st);
        while (err == FK_OK) {
            if (pass == 0)
                total = fk_stmt_int64(st, 0);
            else {
                struct area ar;
                area_read(st, &ar);
                json_array_append_new(items, area_json(set, &ar, now, public_view));
            }
            err = fk_stmt_step(st);
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    if (err != FK_OK || items == NULL) {
        json_decref(items);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    if (public_view) {
        char at[FK_RFC3339_LEN];
        fk_time_format(now, at);
        fk_reply_json(
            req, 200,
            json_pack("{s:o,s:s,s:s}", "items", items, "as_of", at, "rules_title", set->title));
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void list_areas(struct fk_req *req)
{
    list_areas_common(req, 0);
}

static void public_areas(struct fk_req *req)
{
    list_areas_common(req, 1);
}

enum fk_err fk_riskareas_step_due(struct fk_conn *db, int64_t *stepped)
{
    *stepped = 0;
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err != FK_OK)
        return err;
    struct fk_stmt *st = NULL;
    int row = 0;
    struct area *due = NULL;
    size_t n = 0;
    err = fk_db_query(db, &st, &row,
                      "SELECT " AREA_COLUMNS " FROM risk_areas WHERE lifted_at IS NULL ORDER BY id",
                      "");
    while (err == FK_OK && row) {
        struct area ar;
        area_read(st, &ar);
        const struct fk_hrule_step *step = NULL;
        int64_t at = step_due_at(set, &ar, &step);
        if (step != NULL && at <= now) {
            struct area *grown = realloc(due, (n + 1) * sizeof(*grown));
            if (grown == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            due = grown;
            due[n++] = ar;
        }
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    struct fk_hctx ctx = {0, "rules", NULL};
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        struct area *ar = &due[i];
        int64_t changed = 0;
        /* Several steps may have fallen due since the last sweep. */
        const struct fk_hrule_step *step = NULL;
        err = fk_db_begin(db);
        while (err == FK_OK && ar->lifted_at == 0 && step_due_at(set, ar, &step) <= now &&
               step != NULL) {
            if (step->then == 0) {
                err = lift(db, &ctx, ar, "按规则自动解除", &changed);
                break;
            }
            int64_t at = step_due_at(set, ar, &step);
            err = fk_db_run(db, NULL,
                            "UPDATE risk_areas SET level = ?, level_since = ?, updated_at = ? "
                            "WHERE id = ?",
                            "tiii", fk_risk_level_name(step->then), at, now, ar->id);
            if (err == FK_OK)
                err = log_change(db, ar->id, ar->a.level, step->then, "rules", "按规则自动降级");
            ar->a.level = step->then;
            ar->level_since = at;
            if (err == FK_OK)
                err = propagate(db, &ctx, ar, 0, &changed);
        }
        if (err == FK_OK)
            err = fk_db_commit(db);
        else
            fk_db_rollback(db);
        if (err == FK_OK)
            (*stepped)++;
    }
    free(due);
    return err;
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

/* FK_EVENT_HEALTH_FACT_CHANGED: the person's code follows their facts. */
static enum fk_err fact_changed(struct fk_conn *db, const struct fk_event *event, void *unused)
{
    (void)unused;
    return event->person_id > 0 ? fk_health_refresh(db, event->person_id) : FK_OK;
}

enum fk_err fk_healthcode_subscribe(void)
{
    enum fk_err err = fk_event_subscribe(FK_EVENT_CHECKIN_RECORDED, checkins_recorded, NULL,
                                         "healthcode.risk_stays");
    if (err == FK_OK)
        err = fk_event_subscribe(FK_EVENT_HEALTH_FACT_CHANGED, fact_changed, NULL,
                                 "healthcode.refresh");
    return err;
}
