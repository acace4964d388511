/* Internal to src/checkpoints: the shared list filter, the three record kinds
 * (checkpoint, shift, incident) as column lists and row-to-JSON functions,
 * and the helpers the handler files share. */
#ifndef FK_CHECKPOINTS_INTERNAL_H
#define FK_CHECKPOINTS_INTERNAL_H

#include "checkpoints/checkpoints.h"
#include "http/http.h"
#include "http/ledger.h"

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

/* One page of records of `kind` matching f, and the total. */
enum fk_err fk_cp_list(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f, int64_t page, int64_t per_page, json_t **items,
                       int64_t *total) FK_MUST_CHECK;

/* One record of `kind` by id within the caller's jurisdiction: its JSON.
 * FK_ERR_NOT_FOUND outside it. */
enum fk_err fk_cp_load(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind, int64_t id,
                       json_t **out) FK_MUST_CHECK;

/* Calls `row` for each record of `kind` matching f, by id, in keyset batches;
 * *count is the number of rows. */
enum fk_err fk_cp_each(struct fk_req *req, struct fk_conn *db, enum fk_cp_kind kind,
                       const struct fk_cp_filter *f,
                       void (*row)(json_t *record, int64_t seq, void *ctx), void *ctx,
                       int64_t *count) FK_MUST_CHECK;

/* 422 invalid_field / missing_field naming `field`; both return -1. */
int fk_cp_invalid(struct fk_req *req, const char *field, const char *message);
int fk_cp_missing(struct fk_req *req, const char *field);
/* Rejects body members not in `allowed` (NULL-terminated). -1 after replying. */
int fk_cp_only_fields_or_reply(struct fk_req *req, const char *const *allowed);
/* An optional free-text member (no control characters). -1 after replying. */
int fk_cp_text_or_reply(struct fk_req *req, const char *name, int required, size_t max,
                        const char **out);
/* An RFC 3339 member. -1 after replying. */
int fk_cp_time_or_reply(struct fk_req *req, const char *name, int64_t *out);
/* Audits `action` on a record (target id 0: none); err is left alone when
 * not FK_OK. detail is consumed. */
void fk_cp_audit(struct fk_req *req, enum fk_err *err, const char *action, const char *target_type,
                 int64_t id, json_t *detail);
/* The path parameter `name` as a positive id; -1 after replying 404 `code`. */
int fk_cp_id_or_reply(struct fk_req *req, const char *name, const char *code, const char *message,
                      int64_t *id);
/* Loads checkpoint {id} of the path within the caller's jurisdiction; -1
 * after replying 404 checkpoint_not_found. */
int fk_cp_checkpoint_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *out);
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
