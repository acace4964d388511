/* Internal to src/returnees: the validated arrival, the list filter and the
 * store functions (returnees_store.c, the module's SQL) shared by the staff
 * handlers (returnees_api.c), the public page (returnees_public_api.c) and the
 * ledger (returnees_export_api.c). Store functions borrow what they take; JSON
 * they return is a new reference the caller owns. */
#ifndef FK_RETURNEES_INTERNAL_H
#define FK_RETURNEES_INTERNAL_H

#include "http/caller.h"
#include "http/http.h"
#include "residents/residents.h"
#include "returnees/returnees.h"

/* A validated arrival, ready to store. */
struct fk_returnee_new {
    struct fk_person_valid person; /* id, name, phone, destination (region), address, household */
    char origin_code[7];
    char origin_name[FK_RETURNEE_ORIGIN_MAX + 1];
    char arrival_date[11];
    char transport[8];
    char plate[32];
    char trip_no[FK_RETURNEE_TRIP_MAX + 1];
    char three_code[12];
    char landing_test[16];
    char disposition[32];
    char note[FK_RETURNEE_NOTE_MAX + 1];
    int outside_province, concern;
    int64_t campaign_id, worker_id;
    int public_page;
    int64_t person_id; /* the registry person linked or created; 0 = none */
};

/* Reads and validates the body of POST /returnees (staff) or POST
 * /public/returnees (`public_page`: staff-only fields refused, three-code,
 * landing test and disposition set to unchecked/pending/none, the 48-hour
 * window). Looks up the concern flag and grid worker. -1 after replying. */
int fk_returnee_body_or_reply(struct fk_req *req, struct fk_conn *db, int public_page,
                              struct fk_returnee_new *out);

/* The id of the arrival of the same ID number on the same date, or 0. */
enum fk_err fk_returnee_find_duplicate(struct fk_conn *db, const struct fk_pii_key *key,
                                       const char *id_number, const char *arrival_date,
                                       int64_t *existing) FK_MUST_CHECK;
/* Inserts the arrival (sealing ID and phone); *id and `reference` on success.
 * FK_ERR_CONFLICT on a concurrent duplicate. */
enum fk_err fk_returnee_insert(struct fk_conn *db, const struct fk_pii_key *key,
                               const struct fk_returnee_new *r, int64_t actor_id, int64_t now,
                               int64_t *id,
                               char reference[FK_RETURNEE_REFERENCE_LEN]) FK_MUST_CHECK;
/* Records the arrival's health-code facts (healthcode.h): an "arrival" from
 * its origin county and, while the landing test is pending or sampled,
 * "tests_owed"; then refreshes the person's code. Nothing for an arrival not
 * linked to a registry person. */
enum fk_err fk_returnee_sync_health(struct fk_conn *db, int64_t id) FK_MUST_CHECK;
/* Adds the "returnee" category to a registry person. */
enum fk_err fk_returnee_mark_person(struct fk_conn *db, int64_t person_id,
                                    int64_t now) FK_MUST_CHECK;

/* The arrival of the same person on the same date (*existing), or when there
 * is none the registry person of r's ID number (*person, 0 if unknown). */
enum fk_err fk_returnee_duplicate_or_person(struct fk_conn *db, const struct fk_pii_key *key,
                                            const struct fk_returnee_new *r, int64_t *existing,
                                            int64_t *person) FK_MUST_CHECK;
/* Appends {code,name,level} of the regions under `parent` (NULL: the roots)
 * to `out` (borrowed), at most 2000, for the public page's picker. */
enum fk_err fk_returnee_region_children(struct fk_conn *db, const char *parent,
                                        json_t *out) FK_MUST_CHECK;
/* Whether household `household_id` exists and lies under `prefix`. */
enum fk_err fk_returnee_household_in(struct fk_conn *db, int64_t household_id, const char *prefix,
                                     int *fits) FK_MUST_CHECK;
/* Stores a new arrival in one transaction: for staff (r->public_page 0) the
 * person is registered (r->person_id 0) or linked and marked a returnee,
 * audited person_create / person_link; then the arrival, its health facts
 * and returnee_create (staff) or returnee_self_register (public page).
 * r->person_id is set; *id and `reference` on success. FK_ERR_CONFLICT on a
 * concurrent duplicate. */
enum fk_err fk_returnee_register(struct fk_conn *db, const struct fk_caller *who,
                                 struct fk_returnee_new *r, int64_t now, int64_t *id,
                                 char reference[FK_RETURNEE_REFERENCE_LEN]) FK_MUST_CHECK;

/* The editable state of an arrival (PATCH /returnees/{id}). */
struct fk_returnee_state {
    char region[19];
    char three_code[12], landing_test[16], disposition[32];
    char note[FK_RETURNEE_NOTE_MAX + 1];
    int has_note, handled;
    int64_t household_id, person_id;
    char name[FK_NAME_MAX + 1], address[FK_ADDRESS_MAX + 1];
    char *id_plain, *phone_plain; /* owned: opened only on request; or NULL */
};
/* Loads arrival `id` if its destination lies in `scope` into *s; with
 * `open_pii` and no registry person, also the ID number and phone in clear
 * (free with fk_returnee_state_clear, which wipes them). FK_ERR_NOT_FOUND. */
enum fk_err fk_returnee_state_load(struct fk_conn *db, const struct fk_pii_key *key,
                                   const char *scope, int64_t id, int open_pii,
                                   struct fk_returnee_state *s) FK_MUST_CHECK;
void fk_returnee_state_clear(struct fk_returnee_state *s);
/* What a PATCH changes beyond the state's fields. */
struct fk_returnee_change {
    int has_handled, handled;
    const struct fk_person_valid *register_person; /* borrowed; NULL: no registration */
    int64_t existing_person; /* registration links this registry person (0: insert) */
};
/* Stores the edited state `s` of arrival `id` and the change `c` in one
 * transaction, audited (person_create / person_link, returnee_update with
 * `fields`, a borrowed array of the member names). */
enum fk_err fk_returnee_update(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                               const struct fk_returnee_state *s,
                               const struct fk_returnee_change *c, const json_t *fields,
                               int64_t now) FK_MUST_CHECK;

/* The list filter (GET /returnees, /returnees/flags, /returnees/export). */
struct fk_returnee_filter {
    char scope[19];                /* jurisdiction prefix */
    const char *from, *until;      /* arrival dates YYYY-MM-DD or NULL */
    int flagged, handled;          /* -1 any, 0, 1 */
    const char *disposition;       /* or NULL */
    const char *landing_test;      /* or NULL */
    const char *three_code;        /* or NULL */
    const char *transport;         /* or NULL */
    int64_t worker_id;             /* grid worker, 0 any */
    int q_kind;                    /* 0 none, 1 ID number, 2 phone, 3 reference, 4 name prefix */
    char q_value[FK_NAME_MAX + 8]; /* blind index, reference or LIKE pattern */
};

/* Reads the filter from the query string (region, from, until, flagged,
 * handled, disposition, landing_test, three_code, transport, q). -1 after
 * replying 422/404 naming the parameter. */
int fk_returnee_filter_or_reply(struct fk_req *req, struct fk_returnee_filter *f);

/* Columns read for fk_returnee_json, and the joins they need. */
#define FK_RETURNEE_COLUMNS                                                                        \
    "r.id, r.reference, r.person_id, r.id_sealed, r.name, r.phone_sealed, r.origin_code, "         \
    "r.origin_name, r.outside_province, r.arrival_date, r.transport, r.plate, r.trip_no, "         \
    "r.region, COALESCE(g.name, ''), r.household_id, r.address, r.three_code, r.landing_test, "    \
    "r.disposition, r.note, r.concern, r.concern_campaign_id, r.grid_worker_id, "                  \
    "COALESCE(u.display_name, ''), r.handled, r.handled_at, r.source, r.created_at, "              \
    "r.updated_at, COALESCE(c.name, '')"
#define FK_RETURNEE_FROM                                                                           \
    " FROM returnees r LEFT JOIN regions g ON g.code = r.region LEFT JOIN users u ON u.id = "      \
    "r.grid_worker_id LEFT JOIN screening_campaigns c ON c.id = r.concern_campaign_id"

/* The JSON of the current row (FK_RETURNEE_COLUMNS), ID and phone masked
 * unless `role` needs them in full. New reference, NULL on failure. */
json_t *fk_returnee_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role);

/* Loads arrival `id` if its destination lies in `scope`: its JSON (*out) and
 * person id. FK_ERR_NOT_FOUND otherwise. */
enum fk_err fk_returnee_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const char *scope, int64_t id, json_t **out,
                             int64_t *person_id) FK_MUST_CHECK;

/* One page of arrivals matching `f`, newest arrival first, and the total. */
enum fk_err fk_returnee_list(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const struct fk_returnee_filter *f, int64_t page, int64_t per_page,
                             json_t **items, int64_t *total) FK_MUST_CHECK;

/* The WHERE clause of `f` with its values (borrowed from f) into *w. */
void fk_returnee_where(const struct fk_returnee_filter *f, struct fk_where *w);
/* Calls `row` for each arrival matching `f` by id, in keyset batches, with
 * the record's JSON (borrowed for the call, masked for `role`); *count rows. */
enum fk_err fk_returnee_each(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const struct fk_returnee_filter *f,
                             void (*row)(json_t *record, int64_t seq, void *ctx), void *ctx,
                             int64_t *count) FK_MUST_CHECK;

/* Counts one attempt of `kind` for `key_hash` in the window starting at
 * `window_start`; *hits is the count including this one. Purges windows older
 * than two days. */
enum fk_err fk_returnee_rate_hit(struct fk_conn *db, const char *kind, const char *key_hash,
                                 int64_t window_start, int64_t now, int64_t *hits) FK_MUST_CHECK;

/* GET /api/v1/returnees/export (returnees_export_api.c). */
void fk_returnees_export(struct fk_req *req);
/* POST /api/v1/public/returnees, GET /api/v1/public/regions[/{code}]
 * (returnees_public_api.c). */
void fk_returnees_public_create(struct fk_req *req);
void fk_returnees_public_regions(struct fk_req *req);

#endif
