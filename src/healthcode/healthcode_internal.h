/* Internal to src/healthcode: rule sets (healthcode_rules.c), the pure
 * evaluation (healthcode_eval.c), the store side (healthcode_store.c), risk
 * areas (riskarea_*.c) and the HTTP handlers. See docs/internals/healthcode.md. */
#ifndef FK_HEALTHCODE_INTERNAL_H
#define FK_HEALTHCODE_INTERNAL_H

#include <stddef.h>
#include <jansson.h>
#include <stdint.h>
#include "healthcode/healthcode.h"
#include "healthcode/healthcode_json.h"
#include "store/store.h"

/* A rule-set file embedded at build time (cmake/embed_files.cmake). */
struct fk_rules_file {
    const char *name;
    const char *text;
};
extern const struct fk_rules_file fk_rules_files[];

/* ---------- risk levels ---------- */

/* 0 = lifted (no longer a risk area). */
enum fk_risk_level {
    FK_RISK_LIFTED = 0,
    FK_RISK_LOW = 1,
    FK_RISK_MEDIUM = 2,
    FK_RISK_HIGH = 3,
};
/* "low", "medium", "high" ("lifted" for 0); NULL when out of range. */
const char *fk_risk_level_name(int level);
/* 低风险区, 中风险区, 高风险区, 已解除. */
const char *fk_risk_level_label(int level);
/* The level for a name ("lifted" gives 0); -1 when unknown or NULL. */
int fk_risk_level_from_name(const char *name);

/* ---------- rule sets (the JSON files under rules/) ---------- */

/* A rule kind beyond the fact kinds: the person lives under a declared local
 * risk area (evaluated from persons.region, no fact needed). */
#define FK_RULE_RISK_RESIDENT 100

#define FK_HRULE_ID_MAX 32
#define FK_HRULE_LABEL_MAX 128
#define FK_HRULES_MAX_RULES 48
#define FK_HRULES_MAX_STEPS 4
#define FK_HRULES_MAX_SETS 16
#define FK_HRULES_FILE_MAX (256 * 1024)

enum fk_hrule_match { FK_MATCH_NONE = 0, FK_MATCH_AREA = 1, FK_MATCH_COUNTY = 2 };

/* One rule: facts of `kind` (meeting the conditions) give `color`. The rule
 * holds from started_at + from_day days until the earliest of: started_at +
 * to_day days (to_day > 0); with within_days > 0, that many days after the
 * fact's end (or its start when it has none: an arrival); else ended_at +
 * expire_days days once the fact ended; the risk area's end. */
struct fk_hrule {
    char id[FK_HRULE_ID_MAX];
    int kind; /* enum fk_health_fact_kind or FK_RULE_RISK_RESIDENT */
    enum fk_health_color color;
    char label[FK_HRULE_LABEL_MAX];
    unsigned levels; /* bits 1 << enum fk_risk_level; 0 = any (non-risk kinds) */
    int from_day, to_day, within_days, expire_days;
    enum fk_hrule_match match; /* kind "arrival": matched against risk areas */
};

/* What a level becomes after `days_without_case` days without a new case. */
struct fk_hrule_step {
    int level, then, days_without_case;
};

struct fk_hrules {
    char name[64];
    char version[64];
    char title[160];
    char effective_date[11];
    int64_t effective_at; /* midnight Asia/Shanghai of effective_date */
    int window_days;
    unsigned levels; /* risk levels that may be declared under this set */
    struct fk_hrule_step steps[FK_HRULES_MAX_STEPS];
    int n_steps;
    struct fk_hrule rules[FK_HRULES_MAX_RULES];
    int n_rules;
    int longest_days; /* the longest look-back any rule needs after a fact ends */
    char origin[32];  /* "embedded" or "rules-dir" */
};

/* Parses and strictly validates one rule-set file. `file` names it in
 * messages ("rules/ninth-2022-06.json"). On failure FK_ERR_INVALID and `why`
 * says "FILE: FIELD: what is wrong". */
enum fk_err fk_hrules_parse(const char *text, size_t len, const char *file, struct fk_hrules *out,
                            char *why, size_t why_size) FK_MUST_CHECK;

/* Loads the embedded sets, then every *.json of `dir` (NULL or "" = none),
 * which add sets or replace those of the same name. Start-up only (before
 * threads). FK_ERR_INVALID with `why` naming the file and field. */
enum fk_err fk_hrules_init(const char *dir, char *why, size_t why_size) FK_MUST_CHECK;
/* The loaded sets (after fk_hrules_init; also loads the embedded ones on
 * first use so that tools and tests need no call). */
size_t fk_hrules_count(void);
const struct fk_hrules *fk_hrules_at(size_t i);
const struct fk_hrules *fk_hrules_find(const char *name);
/* The step of `level` in `set`, or NULL. */
const struct fk_hrule_step *fk_hrules_step(const struct fk_hrules *set, int level);

/* The set in force at `now`: the latest health_rule_schedule row with
 * effective_from <= now; without one, the loaded set with the latest
 * effective date <= now, else the earliest. */
enum fk_err fk_hrules_active(struct fk_conn *db, int64_t now,
                             const struct fk_hrules **out) FK_MUST_CHECK;

/* ---------- the pure evaluation ---------- */

/* A fact as the engine sees it (strings borrowed). */
struct fk_hfact {
    int64_t id;
    int kind;  /* enum fk_health_fact_kind */
    int level; /* enum fk_risk_level, 0 = none */
    const char *region;
    int64_t started_at, ended_at; /* ended_at 0 = open */
    const char *detail;
};

/* A risk area in force (not lifted). Local areas have `prefix` (the region's
 * significant prefix); outside counties have outside = 1 and prefix "". */
struct fk_harea {
    int64_t id;
    int level;
    int outside;
    char region[19];
    char prefix[19];
    char county[7]; /* the 6-digit county the area lies in (or is) */
    char name[96];
    int64_t from, until; /* until 0 = no planned end */
};

#define FK_HEVAL_MAX_REASONS 16
#define FK_HCAUSE_MAX 200

struct fk_hreason {
    const struct fk_hrule *rule;
    enum fk_health_color color;
    int64_t since, until; /* until 0 = open-ended */
    int64_t fact_id;      /* 0 for an area reason */
    int64_t area_id;      /* 0 for a fact reason */
    char cause[FK_HCAUSE_MAX];
};

struct fk_heval {
    enum fk_health_color color;
    int64_t since;       /* when the winning colour's earliest reason began; 0 for green */
    int64_t next_change; /* when a reason ends or starts; 0 = nothing pending */
    int n_reasons;       /* reasons kept (the strongest first) */
    int n_total;         /* reasons found, may exceed FK_HEVAL_MAX_REASONS */
    struct fk_hreason reasons[FK_HEVAL_MAX_REASONS];
};

/* Evaluates one person at `now`: `region` is their region code, `facts` their
 * facts, `areas` the risk areas in force. No I/O; deterministic. */
void fk_health_evaluate(const struct fk_hrules *set, const char *region,
                        const struct fk_hfact *facts, size_t n_facts, const struct fk_harea *areas,
                        size_t n_areas, int64_t now, struct fk_heval *out);

/* ---------- store side (healthcode_store.c) ---------- */

/* The risk areas in force at `now` (lifted ones and ended ones left out).
 * *out is malloc'd (free it); *n its count. */
enum fk_err fk_hareas_load(struct fk_conn *db, int64_t now, struct fk_harea **out,
                           size_t *n) FK_MUST_CHECK;

/* Context for actor-attributed changes (audit entries); NULL actor = system. */
struct fk_hctx {
    int64_t actor_id;
    const char *actor; /* username or "system" */
    const char *ip;
};

/* Re-evaluates the persons whose region lies under `prefix` ("" = all) and
 * those in `extra` (ids, any order), writing only changed codes. One pass of
 * two sorted scans. `progress` (may be NULL) is called every batch with
 * (done, total). *changed (may be NULL) counts changed codes. Runs inside
 * the caller's transaction if `own_tx` is 0, else commits every batch. */
enum fk_err fk_health_refresh_many(struct fk_conn *db, const struct fk_hctx *ctx,
                                   const char *prefix, int all, const int64_t *extra,
                                   size_t n_extra, int own_tx,
                                   void (*progress)(void *arg, int64_t done, int64_t total),
                                   void *arg, int64_t *changed) FK_MUST_CHECK;

/* Re-evaluates codes whose until_at has passed or whose rules version is not
 * the one in force. *done counts them. */
enum fk_err fk_health_sweep(struct fk_conn *db, int64_t *done) FK_MUST_CHECK;

/* The stored reasons JSON of a code. */
json_t *fk_health_reasons_json(const struct fk_heval *ev);

struct fk_app;
/* Starts the full recompute as a job (src/jobs) for `user_id` (0 = the
 * system, e.g. a rule-set switch); *job_id for GET /api/v1/jobs/{id}. `app`
 * NULL = the serving app. FK_ERR_BUSY when the server is stopping. */
enum fk_err fk_health_recompute_start(struct fk_app *app, struct fk_conn *db, int64_t user_id,
                                      const char *actor, int64_t *job_id) FK_MUST_CHECK;

/* ---------- risk areas ---------- */

/* Applies due automatic steps (downgrades, lifting) of the rule set in force
 * and refreshes the people affected. *stepped counts areas changed. */
/* ---------- risk areas (riskarea_store.c) ---------- */
/* One area as stored. */
struct fk_risk_area {
    int64_t id;
    struct fk_harea a;
    int64_t last_case_at, level_since, lifted_at, created_at;
};

#define FK_RISK_AREA_COLUMNS                                                                       \
    "id, region, outside, prefix, county, name, level, from_at, until_at, last_case_at, "          \
    "level_since, lifted_at, created_at"
/* The current row (FK_RISK_AREA_COLUMNS) into *out. */
void fk_risk_area_read(struct fk_stmt *st, struct fk_risk_area *out);
/* When the current level's step of `set` falls due (0 = no step); *step
 * the step, NULL when none. */
int64_t fk_risk_step_due_at(const struct fk_hrules *set, const struct fk_risk_area *ar,
                            const struct fk_hrule_step **step);
/* Area `id` (FK_ERR_NOT_FOUND when none). */
enum fk_err fk_risk_area_load(struct fk_conn *db, int64_t id,
                              struct fk_risk_area *out) FK_MUST_CHECK;

/* Changes through the API, each in a transaction of its own with the
 * re-evaluation (*changed codes) and the audit entry (a copy of the borrowed
 * `audit`: the request's actor, IP and region; its actor names the change
 * in risk_area_changes). */
struct fk_audit_entry;
/* Whether a region with this prefix is ours (a 6-digit code: our county). */
enum fk_err fk_risk_region_is_local(struct fk_conn *db, const char *prefix,
                                    int *local) FK_MUST_CHECK;
/* Declares `ar` (its a.* filled; id and the case dates set here), unless
 * an area is in force for its region: then *existing its id and nothing is
 * done. */
enum fk_err fk_risk_area_declare(struct fk_conn *db, struct fk_risk_area *ar, int64_t now,
                                 const struct fk_audit_entry *audit, int64_t *existing,
                                 int64_t *changed) FK_MUST_CHECK;
/* A change of level, planned end or last case (PATCH), checked by the
 * caller; `reason` borrowed, NULL for the default. */
struct fk_risk_area_update {
    int level;
    int64_t until, last_case, now;
    int has_until, has_case;
    const char *reason;
};
enum fk_err fk_risk_area_update(struct fk_conn *db, struct fk_risk_area *ar,
                                const struct fk_risk_area_update *in,
                                const struct fk_audit_entry *audit, int64_t *changed) FK_MUST_CHECK;
/* Lifts `ar` (`reason` borrowed; `override` recorded in the audit). */
enum fk_err fk_risk_area_lift(struct fk_conn *db, struct fk_risk_area *ar, const char *reason,
                              int override, const struct fk_audit_entry *audit,
                              int64_t *changed) FK_MUST_CHECK;
/* The list filter: outside areas and local ones under `scope`. */
struct fk_risk_area_filter {
    char scope[19];
    int active; /* -1 any, 1 in force at `now`, 0 not */
    int level;  /* -1 any */
    int64_t now;
};
/* One page in display order (`cb` per area, borrowed for the call); *total
 * the count. */
enum fk_err fk_risk_areas_list(struct fk_conn *db, const struct fk_risk_area_filter *f,
                               int64_t page, int64_t per_page,
                               void (*cb)(void *ctx, const struct fk_risk_area *ar), void *ctx,
                               int64_t *total) FK_MUST_CHECK;

enum fk_err fk_riskareas_step_due(struct fk_conn *db, int64_t *stepped) FK_MUST_CHECK;

/* Routes of riskarea_api.c and healthcode_rules_api.c. */
enum fk_err fk_riskareas_routes(void) FK_MUST_CHECK;

/* ---------- what the HTTP API shows (healthcode_view_store.c) ----------
 * JSON results are new references the caller owns; `items` arrays are the
 * caller's and get the rows appended. `audit` entries are borrowed (the
 * request's actor, IP and region); the functions set action and target. */
struct fk_audit_entry;

/* Writes a copy of `base` as `action` on (target_type, id) about
 * `person_id` (0: none); `detail` borrowed. */
enum fk_err fk_health_audit(struct fk_conn *db, const struct fk_audit_entry *base,
                            const char *action, const char *target_type, int64_t id,
                            int64_t person_id, json_t *detail) FK_MUST_CHECK;

/* Person `id`'s region when they are live and under `scope`; else
 * FK_ERR_NOT_FOUND. */
enum fk_err fk_health_person_in_scope(struct fk_conn *db, int64_t id, const char *scope,
                                      char region[24]) FK_MUST_CHECK;
/* One page of a person's colour changes, newest first; *total the count. */
enum fk_err fk_health_history_page(struct fk_conn *db, int64_t id, int64_t page, int64_t per_page,
                                   json_t *items, int64_t *total) FK_MUST_CHECK;
/* GET /health-codes/stats for the region whose prefix is `scope`
 * (FK_ERR_NOT_FOUND: no such region). */
enum fk_err fk_health_stats(struct fk_conn *db, const char *scope, json_t **out) FK_MUST_CHECK;
/* A fact as the API shows it, with the person's current "color". */
enum fk_err fk_health_fact_view(struct fk_conn *db, int64_t fact_id, json_t **out) FK_MUST_CHECK;
/* One page of a person's facts, newest first; *total the count. */
enum fk_err fk_health_facts_page(struct fk_conn *db, int64_t id, int64_t page, int64_t per_page,
                                 json_t *items, int64_t *total) FK_MUST_CHECK;
/* A fact recorded by staff (strings borrowed; ended_at 0 = open). */
struct fk_staff_fact {
    int64_t person_id;
    const char *kind, *level, *region, *detail;
    int64_t started_at, ended_at, source_id, now;
};
/* Records it, re-evaluates the person and audits health_fact_create, in one
 * transaction; *fact_id the new row. */
enum fk_err fk_health_staff_fact_add(struct fk_conn *db, const struct fk_staff_fact *in,
                                     const struct fk_audit_entry *audit,
                                     int64_t *fact_id) FK_MUST_CHECK;
/* What ending a fact needs to know of it. */
struct fk_fact_row {
    int64_t person_id, started_at;
    int open, staff; /* not ended yet; recorded by staff */
};
/* Fact `fact_id` of a person under `scope`; else FK_ERR_NOT_FOUND. */
enum fk_err fk_health_fact_lookup(struct fk_conn *db, int64_t fact_id, const char *scope,
                                  struct fk_fact_row *out) FK_MUST_CHECK;
/* Ends the open staff fact at `ended_at`, re-evaluates `person_id` and
 * audits health_fact_end, in one transaction. */
enum fk_err fk_health_staff_fact_end(struct fk_conn *db, int64_t fact_id, int64_t person_id,
                                     int64_t ended_at,
                                     const struct fk_audit_entry *audit) FK_MUST_CHECK;
/* The last 200 scheduled switches appended to `schedule`; *next (a new
 * reference, replacing the one given) the earliest still pending. */
enum fk_err fk_hrules_schedule_json(struct fk_conn *db, int64_t now, json_t *schedule,
                                    json_t **next) FK_MUST_CHECK;
/* Schedules rule set `name` from `from`, audited health_rules_schedule (the
 * audit's actor_id is the creator); *id the new row. */
enum fk_err fk_hrules_schedule_add(struct fk_conn *db, const char *name, int64_t from, int64_t now,
                                   const struct fk_audit_entry *audit, int64_t *id) FK_MUST_CHECK;

#endif
