/* Internal to src/screening: the campaign record and the queries shared by
 * the handlers (screening_api.c) and the ledger (screening_export_api.c). */
#ifndef FK_SCREENING_INTERNAL_H
#define FK_SCREENING_INTERNAL_H

#include "http/caller.h"
#include "http/http.h"
#include "regions/regions.h"
#include "residents/residents.h"
#include "screening/screening.h"
#include "store/store.h"

/* Whether an arrival from `origin_code` (2/4/6 digits) is of concern for a
 * campaign whose region code is `campaign_region`: `other_provinces` and a
 * province other than the region's, or an area code of `areas` (JSON array of
 * {"code","name"}, borrowed) that the origin starts with. */
int fk_screening_concern(const json_t *areas, int other_provinces, const char *campaign_region,
                         const char *origin_code);

struct fk_campaign {
    int64_t id;
    char name[FK_SCREENING_NAME_MAX + 1];
    char region[FK_REGION_CODE_LEN];
    char prefix[FK_REGION_CODE_LEN];
    char region_name[128];
    char starts_on[11], ends_on[11];
    int other_provinces;
    json_t *areas; /* owned: [{"code","name"}] */
    int64_t created_by, created_at, updated_at;
};

/* Frees what a loaded campaign owns (its areas). */
void fk_campaign_clear(struct fk_campaign *c);
/* The campaign's JSON (new reference); `now` decides "status". */
json_t *fk_campaign_json(const struct fk_campaign *c, int64_t now);

/* Loads campaign `id` if it is visible in `jurisdiction` (the caller's
 * prefix, borrowed): its region and the jurisdiction overlap (one contains the
 * other). FK_ERR_NOT_FOUND otherwise. The caller frees *out with
 * fk_campaign_clear. */
enum fk_err fk_campaign_load(struct fk_conn *db, const char *jurisdiction, int64_t id,
                             struct fk_campaign *out) FK_MUST_CHECK;
/* Inserts (c->id 0; sets c->id) or updates name, dates and areas. */
enum fk_err fk_campaign_save(struct fk_conn *db, struct fk_campaign *c, int64_t user_id,
                             int64_t now) FK_MUST_CHECK;
/* Campaigns visible in `jurisdiction`, newest first: *items a new array. */
enum fk_err fk_campaign_list(struct fk_conn *db, const char *jurisdiction, int64_t page,
                             int64_t per_page, json_t **items, int64_t *total) FK_MUST_CHECK;
/* Inserts campaign c (sets c->id), audited screening_campaign_create, in its
 * own transaction. `c` is borrowed. */
enum fk_err fk_campaign_create(struct fk_conn *db, const struct fk_caller *who,
                               struct fk_campaign *c, int64_t now) FK_MUST_CHECK;
/* Stores the edited campaign c and re-flags its arrivals, audited
 * screening_campaign_update, in its own transaction. */
enum fk_err fk_campaign_update(struct fk_conn *db, const struct fk_caller *who,
                               struct fk_campaign *c, int64_t now) FK_MUST_CHECK;
/* Recomputes the concern flag of every arrival of the campaign (after its
 * areas changed). */
enum fk_err fk_campaign_reflag(struct fk_conn *db, const struct fk_campaign *c) FK_MUST_CHECK;

/* The prefix a caller works in for a campaign: the narrower of the campaign's
 * region and the caller's `jurisdiction`. */
void fk_campaign_scope(const char *jurisdiction, const struct fk_campaign *c,
                       char scope[FK_REGION_CODE_LEN]);

/* --- grids --- */

/* Another worker's region of the campaign that overlaps `code` (contains it
 * or lies inside it): *other_user and *other_region, or 0 / "". */
enum fk_err fk_grid_overlap(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                            const char *code, int64_t *other_user,
                            char other_region[FK_REGION_CODE_LEN]) FK_MUST_CHECK;
/* Replaces the worker's regions in the campaign by `codes` (n may be 0). */
enum fk_err fk_grid_replace(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                            const char *const *codes, size_t n, int64_t actor_id,
                            int64_t now) FK_MUST_CHECK;
/* {"user_id","username","display_name","regions":[{"code","name","level",
 * "households","reached"}],"households","reached"} for one worker. */
enum fk_err fk_grid_json(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                         json_t **out) FK_MUST_CHECK;
/* Workers with regions inside `scope`, by user id. */
enum fk_err fk_grid_list(struct fk_conn *db, int64_t campaign_id, const char *scope, int64_t page,
                         int64_t per_page, json_t **items, int64_t *total) FK_MUST_CHECK;
/* A user as a candidate grid worker. */
struct fk_grid_worker {
    int found, disabled;
    char role[32];
    char prefix[FK_REGION_CODE_LEN];
};
enum fk_err fk_grid_worker(struct fk_conn *db, int64_t user_id,
                           struct fk_grid_worker *out) FK_MUST_CHECK;
/* Replaces the worker's regions by `codes` (borrowed) in its own transaction
 * under the campaign's lock, audited screening_grid_assign. When another
 * worker holds a region overlapping codes[*at], *other_user is that worker,
 * nothing is written and FK_OK is returned. */
enum fk_err fk_grid_assign(struct fk_conn *db, const struct fk_caller *who, int64_t campaign_id,
                           int64_t user_id, const char *const *codes, size_t n, int64_t now,
                           int64_t *other_user, size_t *at) FK_MUST_CHECK;
/* Enabled community workers inside `jurisdiction` and inside `scope` or
 * above it; `q` (or NULL) matches username or display name. *items new. */
enum fk_err fk_screening_workers(struct fk_conn *db, const char *jurisdiction, const char *scope,
                                 const char *q, int64_t page, int64_t per_page, json_t **items,
                                 int64_t *total) FK_MUST_CHECK;
/* Whether one of the worker's regions in the campaign contains `region`. */
enum fk_err fk_grid_covers(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                           const char *region, int *covers) FK_MUST_CHECK;

/* --- visits --- */

struct fk_visit_arrival {
    const char *id_number, *name, *phone, *origin_code, *origin_name, *arrived_on;
    int64_t person_id; /* filled when stored */
    int registered;    /* 1 new registration, 0 linked */
    int concern;
};

struct fk_visit_input {
    int64_t campaign_id, household_id;
    char region[FK_REGION_CODE_LEN]; /* the household's */
    enum fk_visit_outcome outcome;
    json_t *members; /* borrowed array of ids, or NULL */
    unsigned symptoms;
    const char *note; /* or NULL */
    int64_t visited_at;
    const char *idempotency_key;
};

/* The visit a worker stored under `key`: *visit_id (0 if none) and its campaign. */
enum fk_err fk_visit_by_key(struct fk_conn *db, int64_t worker_id, const char *key,
                            int64_t *visit_id, int64_t *campaign_id) FK_MUST_CHECK;
/* Inserts the visit row and updates the household's state (reached is final,
 * otherwise the latest visit by visited_at decides). */
enum fk_err fk_visit_insert(struct fk_conn *db, const struct fk_visit_input *in, int64_t worker_id,
                            int64_t now, int64_t *visit_id) FK_MUST_CHECK;
enum fk_err fk_visit_add_arrival(struct fk_conn *db, const struct fk_visit_input *in,
                                 int64_t visit_id, const struct fk_visit_arrival *a,
                                 int64_t now) FK_MUST_CHECK;
/* An arrival checked before anything is written: the person to register
 * (or the existing one, `existing` != 0). */
struct fk_visit_arrival_in {
    struct fk_visit_arrival a;
    struct fk_person_valid person;
    int64_t existing;
};
/* Stores visit `in` with its `n` arrivals (registering new persons) in one
 * transaction, audited (person_create / person_link, screening_visit_create).
 * *key_conflict is 1 when the idempotency key was taken meanwhile (the error
 * is then FK_ERR_CONFLICT). Inputs are borrowed; arrivals[].a.person_id and
 * .registered are filled. */
enum fk_err fk_visit_record(struct fk_conn *db, const struct fk_caller *who,
                            const struct fk_visit_input *in, struct fk_visit_arrival_in *arrivals,
                            size_t n, const char *outcome_name, int64_t now, int64_t *visit_id,
                            int *key_conflict) FK_MUST_CHECK;
/* The stored visit as JSON, a new reference in *out (arrivals masked for
 * who->role). */
enum fk_err fk_visit_json(struct fk_conn *db, const struct fk_caller *who, int64_t visit_id,
                          json_t **out) FK_MUST_CHECK;

/* A household: its region, address, and whether the head is known. */
enum fk_err fk_visit_household(struct fk_conn *db, int64_t id, char region[FK_REGION_CODE_LEN],
                               int *found) FK_MUST_CHECK;
/* Whether person `id` is a live member of household `household_id`. */
enum fk_err fk_visit_is_member(struct fk_conn *db, int64_t household_id, int64_t id,
                               int *member) FK_MUST_CHECK;

/* --- progress, pending, flags --- */

enum fk_progress_level {
    FK_PROGRESS_GRID = 0,
    FK_PROGRESS_COMPOUND = 4,
    FK_PROGRESS_COMMUNITY = 3,
    FK_PROGRESS_TOWNSHIP = 2,
};

enum fk_err fk_progress(struct fk_conn *db, const struct fk_campaign *c, const char *scope,
                        enum fk_progress_level level, json_t **rows, json_t **totals) FK_MUST_CHECK;
/* Households in scope not reached yet; worker_id != 0 limits to their grid;
 * outcome NULL (all not reached), "not_visited", "nobody_home" or "refused". */
enum fk_err fk_pending(struct fk_conn *db, int64_t campaign_id, const char *scope,
                       int64_t worker_id, const char *outcome, int64_t page, int64_t per_page,
                       json_t **items, int64_t *total) FK_MUST_CHECK;
/* Arrivals of concern in scope (worker_id != 0: in their grid), newest first. */
enum fk_err fk_flags(struct fk_conn *db, const struct fk_caller *who, int64_t campaign_id,
                     const char *scope, int64_t worker_id, int64_t page, int64_t per_page,
                     json_t **items, int64_t *total) FK_MUST_CHECK;

/* One visit of the ledger: strings borrowed for the callback. */
struct fk_visit_line {
    int64_t visited_at, household_id;
    const char *region, *region_name, *address, *head_name;
    const char *outcome; /* API name */
    size_t members_present;
    const char *arrivals; /* "name（origin date）★、..." (★ of concern) */
    int64_t concern;      /* arrivals of concern */
    unsigned symptoms;
    const char *note, *worker_name;
};
/* Calls `row` for each visit of the campaign in `scope` (worker_id != 0:
 * in their grid) by id, in keyset batches; *count is the number of visits. */
enum fk_err fk_visit_each(struct fk_conn *db, int64_t campaign_id, const char *scope,
                          int64_t worker_id,
                          void (*row)(const struct fk_visit_line *v, int64_t seq, void *ctx),
                          void *ctx, int64_t *count) FK_MUST_CHECK;

/* --- handler helpers (screening_api.c) --- */
/* Campaign {id} of the path visible to the caller into *c (the caller clears
 * it with fk_campaign_clear); -1 after replying 404 campaign_not_found or the
 * failure (*c then holds nothing). */
int fk_screening_campaign_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_campaign *c);
/* The caller's scope in campaign c, narrowed by ?region= (which must overlap
 * it). -1 after replying 422 / 404 region_not_found. */
int fk_screening_scope_or_reply(struct fk_req *req, const struct fk_campaign *c,
                                char scope[FK_REGION_CODE_LEN]);

/* The campaign {id} and the caller's scope in it (?region= narrowing) for a
 * list or ledger: *campaign_id, scope, and *worker = the caller's user id
 * when a grid worker (their grid only), else 0. -1 after replying. */
int fk_screening_work_scope_or_reply(struct fk_req *req, struct fk_conn *db, int64_t *campaign_id,
                                     char scope[FK_REGION_CODE_LEN], int64_t *worker);
/* ?outcome= of the pending list: NULL (all not reached), "not_visited",
 * "nobody_home" or "refused" (borrowed from the query). -1 after replying. */
int fk_screening_outcome_or_reply(struct fk_req *req, const char **outcome);

/* GET /api/v1/screening/campaigns/{id}/visits/export (screening_export_api.c). */
void fk_screening_export_visits(struct fk_req *req);
/* GET …/pending/export: the households not reached yet as a ledger. */
void fk_screening_export_pending(struct fk_req *req);

#endif
