/* Internal to src/venues: the pure rules (venues.c), the venue row and its
 * JSON (venues_store.c), and the handlers split across venues_api.c (the
 * registry), checkins_api.c (check-ins and scans) and venues_import.c. */
#ifndef FK_VENUES_VENUES_INTERNAL_H
#define FK_VENUES_VENUES_INTERNAL_H

#include <jansson.h>
#include "http/http.h"
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
int fk_venues_invalid(struct fk_req *req, const char *field, const char *message);
void fk_venues_audit(struct fk_req *req, enum fk_err *err, const char *action,
                     const char *target_type, int64_t id, int64_t person_id, json_t *detail);
void fk_venue_not_found(struct fk_req *req);

#endif
