/* Internal to src/checkpoints: the shared list filter, the three record kinds
 * (checkpoint, shift, incident), the store functions (checkpoints_store.c:
 * the only file with the module's SQL; it never sees a request) and the
 * helpers the handler files (checkpoints_api.c, checkpoints_shifts_api.c,
 * checkpoints_incidents_api.c) share. */
#ifndef FK_CHECKPOINTS_INTERNAL_H
#define FK_CHECKPOINTS_INTERNAL_H

#include "checkpoints/checkpoints.h"
#include "http/caller.h"
#include "http/http.h"
#include "http/handler.h"
#include "http/ledger.h"
#include "id/id.h"
#include "store/store.h"

/* Who may read (every staff role that works at or over checkpoints) and who
 * manages the registry and the roster. */
#define FK_CP_READERS                                                                              \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF)
#define FK_CP_MANAGERS                                                                             \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)

enum fk_cp_kind { FK_CP_CHECKPOINT = 0, FK_CP_SHIFT = 1, FK_CP_INCIDENT = 2 };

/* A list filter; every record is joined to its checkpoint as `c`. */
struct fk_cp_filter {
    char scope[19];        /* jurisdiction prefix (c.region) */
    int64_t checkpoint_id; /* 0 any */
    const char *type;      /* checkpoints */
    int64_t level;         /* checkpoints, 0 any */
    const char *state;     /* checkpoints */
    char q_like[160];      /* checkpoints: name LIKE pattern, "" none */
    const char *kind;      /* incidents */
    int has_from, has_until;
    int64_t from, until; /* shifts: overlapping [from, until); incidents: occurred in it */
    int64_t user_id;     /* shifts, 0 any */
};

/* Reads ?region=&from=&until= (and for kind FK_CP_CHECKPOINT type, level,
 * state, q; for FK_CP_INCIDENT kind; for FK_CP_SHIFT user=me|id) into f. A
 * plain date as `until` includes that day. -1 after replying. */
int fk_cp_filter_or_reply(struct fk_req *req, enum fk_cp_kind kind, struct fk_cp_filter *f);

/* The editable fields of a checkpoint. */
struct fk_cp_values {
    char name[FK_CHECKPOINT_NAME_MAX + 1];
    int64_t level;
    char type[20];
    char region[19];
    char location[FK_CHECKPOINT_LOCATION_MAX + 1];
    int has_position;
    int64_t lat_e6, lng_e6;
    int has_sampling;
    char sampling_point[FK_CHECKPOINT_NAME_MAX + 1];
    char state[8];
    int has_note;
    char note[FK_CHECKPOINT_NOTE_MAX + 1];
};

/* A duty shift to insert. Strings are borrowed. */
struct fk_cp_shift_input {
    int64_t checkpoint_id, user_id, starts_at, ends_at;
    const char *post;
    const char *note; /* or NULL */
};

/* An incident to insert. Strings are borrowed; `id_number` (normalised) and
 * `phone` are sealed with who->key and blind-indexed by the store. */
struct fk_cp_incident_input {
    int64_t checkpoint_id, occurred_at;
    const char *region; /* the checkpoint's, for the audit detail */
    const char *kind;
    const char *plate, *person_name, *id_number, *phone; /* each may be NULL */
    const char *description;
    int police_referral;
    const char *police_station, *note; /* or NULL */
};

/* The referral fields of an incident (PATCH /incidents/{id}). */
struct fk_cp_referral {
    int police_referral;
    int has_station, has_outcome, has_note;
    char station[FK_CHECKPOINT_NAME_MAX + 1];
    char outcome[FK_CHECKPOINT_NOTE_MAX + 1];
    char note[FK_CHECKPOINT_NOTE_MAX + 1];
};

/* --- checkpoints_store.c: every function borrows `who` and its inputs; a
 * function that changes rows holds its own transaction and writes its audit
 * entry in it. JSON it returns is a new reference the caller owns. --- */

/* One page of records of `kind` matching f (within f->scope), and the total;
 * incidents masked for who->role. *items is new (also on failure). */
enum fk_err fk_cp_list(struct fk_conn *db, const struct fk_caller *who, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f, int64_t page, int64_t per_page, json_t **items,
                       int64_t *total) FK_MUST_CHECK;

/* One record of `kind` by id within who->prefix: its JSON in *out (new).
 * FK_ERR_NOT_FOUND outside it. */
enum fk_err fk_cp_load(struct fk_conn *db, const struct fk_caller *who, enum fk_cp_kind kind,
                       int64_t id, json_t **out) FK_MUST_CHECK;

/* Calls `row` for each record of `kind` matching f, by id, in keyset batches;
 * `record` is borrowed for the call. *count is the number of rows. */
enum fk_err fk_cp_each(struct fk_conn *db, const struct fk_caller *who, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f,
                       void (*row)(json_t *record, int64_t seq, void *ctx), void *ctx,
                       int64_t *count) FK_MUST_CHECK;

/* The stored editable fields of checkpoint `id` into *v. FK_ERR_NOT_FOUND. */
enum fk_err fk_cp_values_load(struct fk_conn *db, int64_t id, struct fk_cp_values *v) FK_MUST_CHECK;
/* Registers a checkpoint (audited checkpoint_create); its id in *id. */
enum fk_err fk_cp_checkpoint_insert(struct fk_conn *db, const struct fk_caller *who,
                                    const struct fk_cp_values *v, int64_t now,
                                    int64_t *id) FK_MUST_CHECK;
/* Stores v over checkpoint `id` (audited checkpoint_update with `fields`, a
 * borrowed array of the member names changed). */
enum fk_err fk_cp_checkpoint_update(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                                    const struct fk_cp_values *v, const json_t *fields,
                                    int64_t now) FK_MUST_CHECK;

/* Whether user `user_id` may be put on duty at a checkpoint in `region`:
 * enabled, a role that works shifts, a jurisdiction covering it. */
enum fk_err fk_cp_user_fits(struct fk_conn *db, int64_t user_id, const char *region,
                            int *fits) FK_MUST_CHECK;
/* Inserts the shift under the user's lock unless it overlaps another of the
 * user's shifts: then *conflict is that shift's id, nothing is written and
 * FK_OK is returned. Audited shift_create. */
enum fk_err fk_cp_shift_insert(struct fk_conn *db, const struct fk_caller *who,
                               const struct fk_cp_shift_input *in, int64_t now, int64_t *id,
                               int64_t *conflict) FK_MUST_CHECK;
/* Deletes shift `shift_id` of checkpoint `checkpoint_id` (audited
 * shift_delete). FK_ERR_NOT_FOUND when the checkpoint has no such shift. */
enum fk_err fk_cp_shift_remove(struct fk_conn *db, const struct fk_caller *who,
                               int64_t checkpoint_id, int64_t shift_id) FK_MUST_CHECK;
/* The users who may be put on duty in `region`, nearest first (at most 200):
 * *items a new array of {id,username,display_name,role,region}. */
enum fk_err fk_cp_staff(struct fk_conn *db, const char *region, json_t **items) FK_MUST_CHECK;

/* Records an incident (audited incident_create); its id in *id. */
enum fk_err fk_cp_incident_insert(struct fk_conn *db, const struct fk_caller *who,
                                  const struct fk_cp_incident_input *in, int64_t now,
                                  int64_t *id) FK_MUST_CHECK;
/* Stores the referral fields of incident `id` (audited incident_update with
 * `fields`, borrowed). */
enum fk_err fk_cp_incident_update(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                                  const struct fk_cp_referral *r, const json_t *fields,
                                  int64_t now) FK_MUST_CHECK;

/* --- checkpoints_api.c: helpers of the handler files --- */

/* Rejects body members not in `allowed` (NULL-terminated). -1 after replying. */
int fk_cp_only_fields_or_reply(struct fk_req *req, const char *const *allowed);
/* An optional free-text member (no control characters). -1 after replying. */
int fk_cp_text_or_reply(struct fk_req *req, const char *name, int required, size_t max,
                        const char **out);
/* An RFC 3339 member. -1 after replying. */
int fk_cp_time_or_reply(struct fk_req *req, const char *name, int64_t *out);
/* Loads checkpoint {id} of the path within the caller's jurisdiction; -1
 * after replying 404 checkpoint_not_found. */
int fk_cp_checkpoint_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *out);
/* Replies with record `kind` {id} as the caller sees it with `status`, or
 * `not_found` (a 404 row) naming "id". */
void fk_cp_reply_record(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind, int64_t id,
                        unsigned status, enum fk_ecode not_found);
/* Replies with a page (?page=&per_page=) of records of `kind` matching the
 * query's filter (fk_cp_filter_or_reply), of checkpoint {id} of the path
 * when `of_checkpoint` (404 checkpoint_not_found outside the caller's
 * jurisdiction); incident lists are audited (incident_list). */
void fk_cp_reply_list(struct fk_req *req, enum fk_cp_kind kind, int of_checkpoint);
/* A ledger of one record kind: its sheet, columns, the function that writes
 * a record as a row, and the audit action and file name of the download. */
struct fk_cp_ledger {
    const char *sheet;
    const char *const *headers;
    const double *widths;
    int columns;
    void (*row)(json_t *record, int64_t seq, void *ctx);
    const char *action, *target_type, *base;
};
/* GET ...?format=&filters: the records of `kind` matching the filter as the
 * ledger, audited. */
void fk_cp_export(struct fk_req *req, enum fk_cp_kind kind, const struct fk_cp_ledger *ledger);
/* The member names of the request body: a new array the caller frees. */
json_t *fk_cp_changed_fields(struct fk_req *req);
/* "YYYY-MM-DD HH:MM" of an RFC 3339 text, for ledgers (out: 17 bytes). */
void fk_cp_ledger_time(const char *rfc3339, char out[17]);
/* A string member of a JSON object or "". */
const char *fk_cp_text_of(json_t *object, const char *name);

/* Handlers in checkpoints_shifts.c and checkpoints_incidents.c. */
void fk_cp_shift_create(struct fk_req *req);
void fk_cp_shift_list(struct fk_req *req);
void fk_cp_shift_delete(struct fk_req *req);
void fk_cp_roster(struct fk_req *req);
void fk_cp_shift_staff(struct fk_req *req);
void fk_cp_roster_export(struct fk_req *req);
void fk_cp_incident_create(struct fk_req *req);
void fk_cp_incident_list(struct fk_req *req);
void fk_cp_incident_list_all(struct fk_req *req);
void fk_cp_incident_get(struct fk_req *req);
void fk_cp_incident_patch(struct fk_req *req);
void fk_cp_incident_export(struct fk_req *req);

#endif
