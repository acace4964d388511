/* Internal to src/passes: the pass JSON and the handlers split across
 * passes_api.c (passes) and passages_api.c (checkpoint scans and passages). */
#ifndef FK_PASSES_PASSES_INTERNAL_H
#define FK_PASSES_PASSES_INTERNAL_H

#include "audit/audit.h"
#include "http/caller.h"
#include "http/http.h"
#include "passes/passes.h"
#include "residents/residents.h"

/* Roles that register and read passes. */
#define FK_PASSES_STAFF                                                                            \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_CHECKPOINT_STAFF |                \
     FK_ROLE_COMMUNITY_WORKER)
/* Roles that scan at checkpoints and read passage logs. */
#define FK_PASSAGE_STAFF                                                                           \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_CHECKPOINT_STAFF)

#define FK_PASS_MAX_PASSENGERS 8

/* One occupant as registered. */
struct fk_pass_occupant {
    char name[FK_NAME_MAX + 1];
    char id_number[19];
    char phone[32];
};

/* A pass to register. Strings are borrowed. */
struct fk_pass_new {
    const char *plate, *vehicle_type, *origin, *destination, *purpose;
    struct fk_pass_occupant occ[1 + FK_PASS_MAX_PASSENGERS];
    int n; /* occupants, driver included */
};

/* Registers `p` (borrowed) in one transaction: the pass (created in
 * `region` by staff member `actor`; NULL and 0 for the public form), its
 * occupants (sealed with who->key, linked to registered persons), its signed
 * code (copied to `code`, FK_CODE_MAX_LEN bytes) and the audit entry
 * `action` of `who` (borrowed) on the pass with the driver as person;
 * `detail` is stolen. *id receives the pass. */
enum fk_err fk_pass_create(struct fk_conn *db, const struct fk_caller *who,
                           const struct fk_pass_new *p, int64_t actor, const char *region,
                           int64_t now, int64_t expires_at, const char *action, json_t *detail,
                           int64_t *id, char *code) FK_MUST_CHECK;
/* Counts one attempt of `kind` by `key_hash` in the window starting at
 * `window_start` (forgetting windows older than two days): *hits receives
 * the count including this one. */
enum fk_err fk_pass_rate_hit(struct fk_conn *db, const char *kind, const char *key_hash,
                             int64_t window_start, int64_t now, int64_t *hits) FK_MUST_CHECK;
/* Whether a caller of jurisdiction `scope` sees pass `id`: district-level
 * scopes see all; others those registered in the scope or scanned at its
 * checkpoints. */
enum fk_err fk_pass_visible(struct fk_conn *db, const char *scope, int64_t id,
                            int *yes) FK_MUST_CHECK;
/* Revokes active pass `id` (driver `person_id`) and its code for `reason`
 * (borrowed) in one transaction with the "vehicle_pass_revoke" audit entry
 * of `who` (borrowed); `detail` is stolen. */
enum fk_err fk_pass_revoke(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                           int64_t person_id, const char *reason, int64_t now,
                           json_t *detail) FK_MUST_CHECK;

/* The pass list filter. */
struct fk_pass_filter {
    const char *scope; /* borrowed jurisdiction prefix */
    const char *plate; /* borrowed; NULL = any */
    int has_from, has_until;
    int64_t from, until; /* created in [from, until) */
};
/* One page of the visible passes matching `f`, newest first, appended to
 * `items` (borrowed; new references added); *total the count. */
enum fk_err fk_passes_page(struct fk_conn *db, const struct fk_pass_filter *f,
                           const struct fk_pii_key *key, unsigned role, int64_t now, int64_t page,
                           int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;

/* Loads pass `id` with its occupants (ID and phone masked unless `role` sees
 * them in full). No jurisdiction check. FK_ERR_NOT_FOUND when absent. */
enum fk_err fk_pass_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                         int64_t id, int64_t now, json_t **out) FK_MUST_CHECK;

/* The ?from= and ?until= of a list (each absent or a time, *has_* telling)
 * and its page (passes_api.c, for the pass and passage lists); -1 after
 * replying 422. */
int fk_passes_period_or_reply(struct fk_req *req, int *has_from, int64_t *from, int *has_until,
                              int64_t *until, int64_t *page, int64_t *per_page);

/* --- passages (passages_store.c) --- */

/* A passage to store. Strings are borrowed. */
struct fk_passage_new {
    int64_t checkpoint_id;
    const char *region; /* the checkpoint's */
    int64_t pass_id, scanned_at;
    const char *decision;
    int fever, n;
    const char *temps;  /* JSON text [{seat,celsius}] */
    const char *note;   /* may be NULL */
    const char *key;    /* idempotency key */
    const char *review; /* JSON text, or NULL */
    int64_t now;
    int offline;
};
/* Stores `in` and the "passage_create" audit entry of the scanner `who`
 * (borrowed) about `person_id` with `detail` (borrowed) in one write shared
 * with concurrent passages (fk_db_write_shared). *id receives the passage,
 * or 0 when (scanner, key) was stored already. */
enum fk_err fk_passage_store(struct fk_conn *db, const struct fk_passage_new *in,
                             const struct fk_caller *who, int64_t person_id, json_t *detail,
                             int64_t *id) FK_MUST_CHECK;
/* The JSON of passage `id`, or (key not NULL) of the passage of (user, key):
 * a new reference in *out. FK_ERR_NOT_FOUND when there is none. */
enum fk_err fk_passage_load(struct fk_conn *db, int64_t id, int64_t user, const char *key,
                            json_t **out) FK_MUST_CHECK;

/* A passage query: one checkpoint's log (scope NULL) or the passages at the
 * checkpoints of `scope` (borrowed). */
struct fk_passage_filter {
    int64_t checkpoint_id;
    const char *scope;
    int has_from, has_until;
    int64_t from, until; /* scanned in [from, until) */
    int review;          /* 1 only those to review, 0 none of them, -1 any */
};
/* One page, newest first, appended to `items` (borrowed); *total the count. */
enum fk_err fk_passages_page(struct fk_conn *db, const struct fk_passage_filter *f, int64_t page,
                             int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;
/* A passage as the ledger reads it; strings borrowed for the callback. */
struct fk_passage_row {
    int64_t id, scanned_at, occupants_count;
    const char *checkpoint_name, *region, *plate, *vehicle_type, *decision;
    const char *temperatures; /* JSON text */
    const char *note;         /* or NULL */
    const char *scanned_by_name;
    int fever;
};
/* Calls `each` for every passage matching `f` in id order, in batches; a
 * non-zero return stops (FK_OK). */
enum fk_err fk_passages_each(struct fk_conn *db, const struct fk_passage_filter *f,
                             int (*each)(void *ctx, const struct fk_passage_row *row),
                             void *ctx) FK_MUST_CHECK;
/* Counts (vehicles, persons) of checkpoint `checkpoint` in buckets
 * `(scanned_at + 8 h) / width` over [from, until): bucket `first + i` goes to
 * counts[i] for i < n. */
enum fk_err fk_passages_count_by(struct fk_conn *db, int64_t checkpoint, int64_t width,
                                 int64_t from, int64_t until, int64_t first, int64_t n,
                                 int64_t (*counts)[2]) FK_MUST_CHECK;

/* Passage handlers (passages_api.c). */
void fk_passage_scan(struct fk_req *req);
void fk_passage_create(struct fk_req *req);
void fk_passage_list(struct fk_req *req);
void fk_passage_stats(struct fk_req *req);
void fk_passage_export(struct fk_req *req);

#endif
