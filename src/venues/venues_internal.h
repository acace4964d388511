/* Internal to src/venues: the pure rules (venues.c), the venue row and its
 * JSON (venues_store.c), and the handlers split across venues_api.c (the
 * registry), checkins_api.c (check-ins and scans) and venues_import.c. */
#ifndef FK_VENUES_VENUES_INTERNAL_H
#define FK_VENUES_VENUES_INTERNAL_H

#include <jansson.h>
#include "http/caller.h"
#include "http/http.h"
#include "http/lookup.h"
#include "venues/venues.h"

/* Roles that keep the registry (create, edit, print, import). */
#define FK_VENUES_ADMIN                                                                            \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)
/* Roles that read the registry and check people in at venues of their
 * jurisdiction (venue staff: checkpoint staff, schools, enterprises). */
#define FK_VENUES_STAFF                                                                            \
    (FK_VENUES_ADMIN | FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_SCHOOL_ADMIN | FK_ROLE_ENTERPRISE |      \
     FK_ROLE_INSPECTOR | FK_ROLE_TRACER)
/* Roles that post check-ins: venue staff and residents (for themselves). */
#define FK_CHECKINS_POST (FK_VENUES_STAFF | FK_ROLE_RESIDENT)
/* Roles that read a person's check-ins (their itinerary) by id: the
 * registry's staff, checkpoint staff and tracers within their jurisdiction,
 * residents for themselves and their family. Not the enterprise, school and
 * inspector roles: they check people at their venue's door, they do not
 * follow residents' trips. */
#define FK_PERSON_CHECKINS_READ                                                                    \
    (FK_VENUES_ADMIN | FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER | FK_ROLE_RESIDENT)

#define FK_VENUE_NAME_MAX 100 /* bytes of UTF-8 */
#define FK_VENUE_ADDRESS_MAX 200
#define FK_VENUE_CONTACT_MAX 32
#define FK_VENUE_NOTE_MAX 500
#define FK_VENUE_DWELL_MAX (24 * 60) /* minutes */
/* Default validity of a place code (days); at most FK_CODE_MAX_VALIDITY. */
#define FK_VENUE_CODE_DAYS 30
/* A poster whose code expires within this many days is listed for reprint. */
#define FK_VENUE_REPRINT_DAYS 7
/* Items in one POST /checkins batch. */
#define FK_CHECKINS_BATCH_MAX 1000
/* A check-in's `at` may be this far ahead of the server (scanner clocks) or
 * behind it (offline scanners, batched uploads). */
#define FK_CHECKIN_AHEAD 300
#define FK_CHECKIN_BEHIND (7 * 86400)

enum fk_venue_status { FK_VENUE_OPEN = 1, FK_VENUE_SUSPENDED = 2, FK_VENUE_SEALED = 3 };
/* "open", "suspended", "sealed" / 开放, 暂停开放, 已查封; NULL for others. */
const char *fk_venue_status_name(int status);
const char *fk_venue_status_label(int status);
/* The status for a name, or 0. */
int fk_venue_status_from_name(const char *name);

/* What a caller submits for a venue (API body, import row). Strings are
 * borrowed; NULL means absent (for a PATCH: unchanged). */
struct fk_venue_input {
    const char *name;
    const char *category;
    const char *region;
    const char *address;
    const char *contact_name;
    const char *contact_phone;
    const char *status;
    const char *note;
    int has_dwell; /* dwell_minutes given (0 = back to the category default) */
    int64_t dwell_minutes;
};

/* Why an input was refused: the API field and a Chinese message. */
struct fk_venue_error {
    const char *field;
    const char *message;
};

/* Checks the fields present in `in` without the store: lengths, control
 * characters, category, status, phone, dwell time. `creating` requires
 * name, category and region. Region existence and jurisdiction are the
 * caller's. FK_ERR_INVALID with *why filled. */
enum fk_err fk_venue_check(const struct fk_venue_input *in, int creating,
                           struct fk_venue_error *why) FK_MUST_CHECK;

/* The Asia/Shanghai day number (days since 1970-01-01) of `epoch`. */
int64_t fk_checkin_day(int64_t epoch);
/* The oldest `at` a purge at `now` keeps. */
int64_t fk_checkin_cutoff(int64_t now, int64_t retention_days);
/* Whether `color` refuses entry: red and yellow do. Writes the Chinese
 * reason (at least 128 bytes) when refused. */
int fk_checkin_refused(int color, char *reason, size_t size);

/* --- store (venues_store.c) --- */

/* Columns read for fk_venue_json, and the joins they need. */
#define FK_VENUE_COLUMNS                                                                           \
    "v.id, v.name, v.category, v.region, COALESCE(g.name, ''), v.address, v.contact_name, "        \
    "v.contact_phone_sealed, v.dwell_minutes, v.status, v.code, v.code_issued_at, "                \
    "v.code_expires_at, v.note, v.created_at, v.updated_at"
#define FK_VENUE_FROM " FROM venues v LEFT JOIN regions g ON g.code = v.region"

/* The JSON of the current row (FK_VENUE_COLUMNS); the phone masked unless
 * `role` sees it in full. New reference, NULL on failure. */
json_t *fk_venue_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role, int64_t now);

/* Loads venue `id` if its region lies in `scope` ("" = anywhere).
 * FK_ERR_NOT_FOUND otherwise. */
enum fk_err fk_venue_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                          const char *scope, int64_t id, json_t **out) FK_MUST_CHECK;

/* The little a check-in needs to know about a venue. */
struct fk_venue_brief {
    int64_t id;
    char region[19];
    int status;
    char name[FK_VENUE_NAME_MAX + 1];
};
enum fk_err fk_venue_brief_get(struct fk_conn *db, int64_t id,
                               struct fk_venue_brief *out) FK_MUST_CHECK;

/* Inserts a checked venue (inside the caller's transaction) and issues its
 * code valid until `expires_at`; *id receives its id. `region` is the
 * normalized code; `phone_sealed` may be NULL. */
enum fk_err fk_venue_insert(struct fk_conn *db, const struct fk_venue_input *in, const char *region,
                            const char *phone_sealed, int64_t actor, int64_t now,
                            int64_t expires_at, int64_t *id) FK_MUST_CHECK;
/* Issues a new code for venue `id` valid until `expires_at` and stores it. */
enum fk_err fk_venue_reissue(struct fk_conn *db, int64_t id, int64_t now,
                             int64_t expires_at) FK_MUST_CHECK;

/* The list filter (GET /venues and the ledger), checked by the handler. */
struct fk_venue_filter {
    char scope[19];         /* the caller's jurisdiction */
    const char *category;   /* borrowed, or NULL */
    const char *status;     /* borrowed, or NULL */
    int expiring;           /* code expires within FK_VENUE_REPRINT_DAYS (or has none) */
    char q[FK_Q_VALUE_MAX]; /* a LIKE prefix of the name, or "" */
    int64_t expiry_before;
};
/* One page of the venues matching `f` (JSON of fk_venue_json, appended to
 * `items`, which the caller owns), ordered by region (by code expiry when
 * `expiring`); *total the count. */
enum fk_err fk_venues_list(struct fk_conn *db, const struct fk_venue_filter *f,
                           const struct fk_pii_key *key, unsigned role, int64_t now, int64_t page,
                           int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;
/* Every venue matching `f` in id order, read in keyset batches: `cb` gets
 * the id and the JSON (borrowed for the call); non-zero stops (FK_ERR_DONE). */
enum fk_err fk_venues_each(struct fk_conn *db, const struct fk_venue_filter *f,
                           const struct fk_pii_key *key, unsigned role, int64_t now,
                           int (*cb)(void *ctx, int64_t id, json_t *venue),
                           void *ctx) FK_MUST_CHECK;

/* One check-in as submitted and then resolved. */
struct fk_checkin_item {
    int64_t venue_id, person_id, at, left_at; /* left_at 0 = not given */
    const char *key;
    const char *region; /* the venue's (points into the venue cache) */
    int color;          /* enum fk_health_color */
    int allowed;
    char reason[160];
    int64_t id;
    int duplicate;
};

/* Stores the items in one transaction with one multi-row INSERT per 4;
 * items whose key (per actor) was stored before are read back (duplicate =
 * 1) with their first result; the new ones are published
 * (FK_EVENT_CHECKIN_RECORDED, one event for the batch) and one audit entry
 * is written: a copy of `audit` (borrowed: actor, IP, region) as
 * checkin_create or checkin_batch. Fills each item's id. */
struct fk_audit_entry;
enum fk_err fk_checkins_store(struct fk_conn *db, struct fk_checkin_item *items, size_t n,
                              const char *source, int64_t now,
                              const struct fk_audit_entry *audit) FK_MUST_CHECK;

/* How rows are shown: the PII key, the caller's role, the time. */
struct fk_row_view {
    const struct fk_pii_key *key;
    unsigned role;
    int64_t now;
};
/* One page of a list (fk_list_run) whose filter is `w`: `row` gets `view`. */
enum fk_err fk_venues_page(struct fk_conn *db, const char *count_sql, const char *list_sql,
                           const struct fk_where *w, json_t *(*row)(struct fk_stmt *st, void *ctx),
                           const struct fk_row_view *view, int64_t page, int64_t per_page,
                           json_t *items, int64_t *total) FK_MUST_CHECK;

/* A read in keyset batches (the ledgers): `query` writes the SQL of the
 * batch after `after_id` into `sql`, its values into `w`; `row` turns the
 * current row (column 0 the id) into a new JSON reference (NULL: out of
 * memory); a batch shorter than `batch` rows is the last. */
struct fk_keyset_walk {
    void (*query)(const void *filter, int64_t after_id, struct fk_where *w, char *sql, size_t size);
    const void *filter;
    json_t *(*row)(struct fk_stmt *st, void *ctx);
    void *row_ctx;
    int batch;
};
/* `cb` gets each row's id and JSON (borrowed for the call); non-zero stops
 * the walk (FK_ERR_DONE). */
enum fk_err fk_venues_keyset_each(struct fk_conn *db, const struct fk_keyset_walk *k,
                                  int (*cb)(void *ctx, int64_t id, json_t *item),
                                  void *ctx) FK_MUST_CHECK;

/* A check-in list: one venue's or one person's, in a window. */
struct fk_checkin_filter {
    const char *by; /* "c.venue_id" or "c.person_id" (static) */
    int64_t id;
    int64_t from, until; /* 0 = open */
    int allowed;         /* -1 any */
};
/* One page, newest first (JSON appended to `items`, the caller's); *total
 * the count. The ID number is masked unless `role` sees it in full. */
enum fk_err fk_checkins_list(struct fk_conn *db, const struct fk_checkin_filter *q,
                             const struct fk_pii_key *key, unsigned role, int64_t page,
                             int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;
/* Every match in id order in keyset batches: `cb` gets the JSON (borrowed
 * for the call); non-zero stops (FK_ERR_DONE). */
enum fk_err fk_checkins_each(struct fk_conn *db, const struct fk_checkin_filter *q,
                             const struct fk_pii_key *key, unsigned role,
                             int (*cb)(void *ctx, int64_t id, json_t *checkin),
                             void *ctx) FK_MUST_CHECK;

/* The region of live person `person_id` into `region` (*found 0: none). */
enum fk_err fk_checkins_person_region(struct fk_conn *db, int64_t person_id, char region[24],
                                      int *found) FK_MUST_CHECK;
/* `cb` for each live person among `ids` (borrowed), with their region, in
 * queries of 64. */
enum fk_err fk_checkins_person_regions(struct fk_conn *db, const int64_t *ids, size_t n,
                                       void (*cb)(void *ctx, int64_t person_id, const char *region),
                                       void *ctx) FK_MUST_CHECK;
/* The person as a staff scan shows them: masked name into `name` ("" when
 * unknown) and *id_json a new reference (the masked ID number, or null). */
enum fk_err fk_checkins_person_shown(struct fk_conn *db, const struct fk_pii_key *key,
                                     int64_t person_id, char *name, size_t name_size,
                                     json_t **id_json) FK_MUST_CHECK;
/* Venue `id`'s name into `out`; FK_ERR_NOT_FOUND when there is none. */
enum fk_err fk_venue_name(struct fk_conn *db, int64_t id, char *out, size_t size) FK_MUST_CHECK;

/* The changes made through the API, each in a transaction of its own with
 * its audit entry: `audit` is borrowed (its target_id is replaced by the
 * venue's id; its actor_id is the creator). `region` NULL (update) keeps
 * the venue's; `phone_sealed` NULL keeps or omits the phone. */
struct fk_audit_entry;
enum fk_err fk_venue_create(struct fk_conn *db, const struct fk_venue_input *in, const char *region,
                            const char *phone_sealed, int64_t now, int64_t expires_at,
                            const struct fk_audit_entry *audit, int64_t *id) FK_MUST_CHECK;
enum fk_err fk_venue_update(struct fk_conn *db, int64_t id, const struct fk_venue_input *in,
                            const char *region, const char *phone_sealed, int64_t now,
                            const struct fk_audit_entry *audit) FK_MUST_CHECK;
enum fk_err fk_venue_reissue_audited(struct fk_conn *db, int64_t id, int64_t now,
                                     int64_t expires_at,
                                     const struct fk_audit_entry *audit) FK_MUST_CHECK;

/* --- handlers --- */
void fk_checkins_post(struct fk_req *req);
void fk_venue_scan(struct fk_req *req);
void fk_venue_checkins_list(struct fk_req *req);
void fk_venue_checkins_export(struct fk_req *req);
void fk_person_checkins_list(struct fk_req *req);
void fk_checkins_purge_post(struct fk_req *req);
void fk_venues_import_post(struct fk_req *req);
void fk_venues_import_template(struct fk_req *req);

/* Shared handler helpers (venues_api.c). */
void fk_venue_not_found(struct fk_req *req);
/* Venue `id` into *v when it lies in the caller's jurisdiction; -1 after
 * replying 404 venue_not_found (absent or not yours) or the failure. */
int fk_venue_in_scope_or_reply(struct fk_req *req, struct fk_conn *db, int64_t id,
                               struct fk_venue_brief *v);

#endif
