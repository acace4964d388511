/* Risk areas in the store (risk_areas, risk_area_changes): declaring,
 * changing and lifting an area, each in one transaction with the
 * re-evaluation of the people it covers and the audit entry; the automatic
 * steps; the list. A change re-evaluates residents (by region prefix),
 * arrivals (arrival facts from the county) and visitors (risk_stay facts
 * from venue check-ins: FK_EVENT_RISK_AREA_CHANGED, whose subscriber in
 * src/venues reports them with fk_health_risk_stay). No HTTP here. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/events.h"
#include "healthcode/healthcode_internal.h"
#include "http/caller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

void fk_risk_area_read(struct fk_stmt *st, struct fk_risk_area *out)
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
int64_t fk_risk_step_due_at(const struct fk_hrules *set, const struct fk_risk_area *ar,
                            const struct fk_hrule_step **step)
{
    *step = ar->lifted_at ? NULL : fk_hrules_step(set, ar->a.level);
    if (*step == NULL)
        return 0;
    int64_t base = ar->last_case_at > ar->level_since ? ar->last_case_at : ar->level_since;
    return base + (int64_t)(*step)->days_without_case * DAY;
}

/* The people a change re-evaluates: visitors (risk_stay facts, reported by
 * the subscribers of FK_EVENT_RISK_AREA_CHANGED with fk_health_risk_stay or
 * found by checkins_recorded), arrivals and earlier visitors. */
struct fk_health_stays {
    struct fk_conn *db;
    const struct fk_risk_area *area;
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
                              "SELECT " FK_RISK_AREA_COLUMNS
                              " FROM risk_areas WHERE lifted_at IS NULL "
                              "AND outside = 0 AND (until_at IS NULL OR until_at > ?)",
                              &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, first);
    struct fk_health_stays v = {.db = db};
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        struct fk_risk_area ar;
        fk_risk_area_read(st, &ar);
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
static enum fk_err arrivals_of(struct fk_conn *db, const struct fk_risk_area *ar, int64_t now,
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
static enum fk_err propagate(struct fk_conn *db, const struct fk_hctx *ctx,
                             const struct fk_risk_area *ar, int declared, int64_t *changed)
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

enum fk_err fk_risk_area_load(struct fk_conn *db, int64_t id, struct fk_risk_area *out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT " FK_RISK_AREA_COLUMNS " FROM risk_areas WHERE id = ?", "i", id);
    if (err == FK_OK && row)
        fk_risk_area_read(st, out);
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

/* Lifts `ar` (inside the caller's transaction) and re-evaluates its people. */
static enum fk_err lift(struct fk_conn *db, const struct fk_hctx *ctx, struct fk_risk_area *ar,
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
    struct fk_risk_area *due = NULL;
    size_t n = 0;
    err = fk_db_query(
        db, &st, &row,
        "SELECT " FK_RISK_AREA_COLUMNS " FROM risk_areas WHERE lifted_at IS NULL ORDER BY id", "");
    while (err == FK_OK && row) {
        struct fk_risk_area ar;
        fk_risk_area_read(st, &ar);
        const struct fk_hrule_step *step = NULL;
        int64_t at = fk_risk_step_due_at(set, &ar, &step);
        if (step != NULL && at <= now) {
            struct fk_risk_area *grown = realloc(due, (n + 1) * sizeof(*grown));
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
        struct fk_risk_area *ar = &due[i];
        int64_t changed = 0;
        /* Several steps may have fallen due since the last sweep. */
        const struct fk_hrule_step *step = NULL;
        err = fk_db_begin(db);
        while (err == FK_OK && ar->lifted_at == 0 && fk_risk_step_due_at(set, ar, &step) <= now &&
               step != NULL) {
            if (step->then == 0) {
                err = lift(db, &ctx, ar, "按规则自动解除", &changed);
                break;
            }
            int64_t at = fk_risk_step_due_at(set, ar, &step);
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
        err = fk_caller_finish(db, err);
        if (err == FK_OK)
            (*stepped)++;
    }
    free(due);
    return err;
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

/* ---------- changes through the API ---------- */

static struct fk_hctx hctx_of(const struct fk_audit_entry *audit)
{
    return (struct fk_hctx){audit->actor_id, audit->actor, audit->ip};
}

enum fk_err fk_risk_region_is_local(struct fk_conn *db, const char *prefix, int *local)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT code FROM regions WHERE prefix = ?", "t", prefix);
    fk_stmt_free(st);
    *local = err == FK_OK && row;
    return err;
}

enum fk_err fk_risk_area_declare(struct fk_conn *db, struct fk_risk_area *ar, int64_t now,
                                 const struct fk_audit_entry *audit, int64_t *existing,
                                 int64_t *changed)
{
    *existing = 0;
    *changed = 0;
    /* One area in force per region: the check and the insert in one
     * transaction under the region's lock, so parallel declarations of one
     * region store one. */
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_lock_text(db, FK_LOCK_RISK_REGION, ar->a.region);
    if (err == FK_OK) {
        err = fk_db_query(db, &st, &row,
                          "SELECT id FROM risk_areas WHERE region = ? AND lifted_at IS NULL AND "
                          "(until_at IS NULL OR until_at > ?)",
                          "ti", ar->a.region, now);
        *existing = err == FK_OK && row ? fk_stmt_int64(st, 0) : 0;
        if (err == FK_OK)
            fk_stmt_free(st);
    }
    if (err != FK_OK || *existing) {
        fk_db_rollback(db);
        return err;
    }
    struct fk_hctx ctx = hctx_of(audit);
    int level = ar->a.level;
    err = fk_db_run(db, &ar->id,
                    "INSERT INTO risk_areas (region, outside, prefix, county, name, level, "
                    "from_at, until_at, last_case_at, level_since, created_by, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    "tittttiziiiii", ar->a.region, (int64_t)ar->a.outside, ar->a.prefix,
                    ar->a.county, ar->a.name, fk_risk_level_name(level), ar->a.from, ar->a.until,
                    ar->a.from, ar->a.from, audit->actor_id, now, now);
    ar->a.id = ar->id;
    ar->last_case_at = ar->level_since = ar->a.from;
    if (err == FK_OK)
        err = log_change(db, ar->id, -1, level, audit->actor, "申报");
    if (err == FK_OK)
        err = propagate(db, &ctx, ar, 1, changed);
    if (err == FK_OK) {
        json_t *detail =
            json_pack("{s:s,s:s,s:I}", "region", ar->a.region, "level", fk_risk_level_name(level),
                      "codes_changed", (json_int_t)*changed);
        err = fk_health_audit(db, audit, "risk_area_declare", "risk_area", ar->id, 0, detail);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

enum fk_err fk_risk_area_update(struct fk_conn *db, struct fk_risk_area *ar,
                                const struct fk_risk_area_update *in,
                                const struct fk_audit_entry *audit, int64_t *changed)
{
    *changed = 0;
    struct fk_hctx ctx = hctx_of(audit);
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, NULL,
                    "UPDATE risk_areas SET level = ?, until_at = ?, last_case_at = ?, "
                    "level_since = ?, updated_at = ? WHERE id = ?",
                    "tziiii", fk_risk_level_name(in->level), in->until, in->last_case,
                    in->level != ar->a.level ? in->now : ar->level_since, in->now, ar->id);
    if (err == FK_OK && in->level != ar->a.level)
        err = log_change(db, ar->id, ar->a.level, in->level, audit->actor,
                         in->reason ? in->reason : (in->level > ar->a.level ? "升级" : "降级"));
    ar->a.level = in->level;
    ar->a.until = in->until;
    if (err == FK_OK)
        err = propagate(db, &ctx, ar, 0, changed);
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:s,s:b,s:b,s:I}", "level", fk_risk_level_name(in->level),
                                   "until", in->has_until, "new_case", in->has_case,
                                   "codes_changed", (json_int_t)*changed);
        err = fk_health_audit(db, audit, "risk_area_update", "risk_area", ar->id, 0, detail);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

enum fk_err fk_risk_area_lift(struct fk_conn *db, struct fk_risk_area *ar, const char *reason,
                              int override, const struct fk_audit_entry *audit, int64_t *changed)
{
    *changed = 0;
    struct fk_hctx ctx = hctx_of(audit);
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = lift(db, &ctx, ar, reason, changed);
    if (err == FK_OK) {
        json_t *detail =
            json_pack("{s:b,s:I}", "override", override, "codes_changed", (json_int_t)*changed);
        err = fk_health_audit(db, audit, "risk_area_lift", "risk_area", ar->id, 0, detail);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

enum fk_err fk_risk_areas_list(struct fk_conn *db, const struct fk_risk_area_filter *f,
                               int64_t page, int64_t per_page,
                               void (*cb)(void *ctx, const struct fk_risk_area *ar), void *ctx,
                               int64_t *total)
{
    struct fk_where w;
    fk_where_init(&w);
    char in_region[96], clause[128];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(clause, sizeof(clause), "(outside = 1 OR %s)", in_region);
    char low[24], high[24];
    fk_store_region_bounds(f->scope, low, high);
    fk_where_add(&w, clause, "tt", low, high);
    if (f->active == 1)
        fk_where_add(&w,
                     "lifted_at IS NULL AND from_at <= ? AND (until_at IS NULL OR until_at > ?)",
                     "ii", f->now, f->now);
    else if (f->active == 0)
        fk_where_add(&w,
                     "NOT (lifted_at IS NULL AND from_at <= ? AND (until_at IS NULL OR "
                     "until_at > ?))",
                     "ii", f->now, f->now);
    if (f->level >= 0)
        fk_where_add(&w, "level = ?", "t", fk_risk_level_name(f->level));
    char sql[1400];
    enum fk_err err = FK_OK;
    for (int pass = 0; pass < 2 && err == FK_OK; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM risk_areas%s", w.sql);
        else
            snprintf(sql, sizeof(sql),
                     "SELECT " FK_RISK_AREA_COLUMNS
                     " FROM risk_areas%s ORDER BY lifted_at IS NOT NULL, "
                     "CASE level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 "
                     "END, from_at DESC, id DESC LIMIT ? OFFSET ?",
                     w.sql);
        struct fk_stmt *st = NULL;
        int idx = 1;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_where_bind(st, &w, &idx);
        if (err == FK_OK && pass == 1) {
            err = fk_stmt_bind_int64(st, idx++, per_page);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        }
        if (err == FK_OK)
            err = fk_stmt_step(st);
        while (err == FK_OK) {
            if (pass == 0)
                *total = fk_stmt_int64(st, 0);
            else {
                struct fk_risk_area ar;
                fk_risk_area_read(st, &ar);
                cb(ctx, &ar);
            }
            err = fk_stmt_step(st);
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    return err;
}
