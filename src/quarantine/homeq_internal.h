/* Internal to src/quarantine: the home quarantine row, its JSON, the list
 * filter and the queries shared by the handlers (quarantine_api.c,
 * homeq_temps.c) and the ledger (homeq_export.c). */
#ifndef FK_QUARANTINE_HOMEQ_INTERNAL_H
#define FK_QUARANTINE_HOMEQ_INTERNAL_H

#include "http/http.h"
#include "quarantine/quarantine.h"
#include "residents/residents.h"

/* Roles that work with home quarantines. */
#define FK_HOMEQ_STAFF                                                                             \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_QUARANTINE_STAFF)

/* Most readings kept per quarantine for the overdue computation (distinct
 * slots; two a day for FK_HOMEQ_MAX_DAYS plus slack). */
#define FK_HOMEQ_SLOTS_MAX (2 * (FK_HOMEQ_MAX_DAYS + 4))

/* Columns read for fk_homeq_json, and the joins they need. */
#define FK_HOMEQ_COLUMNS                                                                           \
    "q.id, q.person_id, p.name, p.id_sealed, p.phone_sealed, q.region, COALESCE(g.name, ''), "     \
    "q.address, q.reason, q.starts_at, q.planned_end, q.state, q.outcome, q.ended_at, "            \
    "q.commitment_issued_at, q.commitment_signed_at, q.notification_issued_at, "                   \
    "q.notification_signed_at, q.last_celsius_x10, q.last_measured_at, q.fever_count, q.note, "    \
    "q.created_at, q.updated_at"
#define FK_HOMEQ_FROM                                                                              \
    " FROM home_quarantines q JOIN persons p ON p.id = q.person_id LEFT JOIN regions g ON "        \
    "g.code = q.region"

/* The facts of the current row (FK_HOMEQ_COLUMNS) the rules need. */
struct fk_homeq_row {
    int64_t id, person_id;
    int64_t starts_at, planned_end, ended_at;
    int64_t letters[2][2];
};

/* The JSON of the current row, ID and phone masked unless `role` needs them
 * in full; fills *row. New reference, NULL on failure. */
json_t *fk_homeq_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role,
                      struct fk_homeq_row *row);

/* Reads the quarantine's readings and adds to `item` the day counters
 * ("day", "days_total", "days_remaining"), "today" ({"am","pm"}: the latest
 * reading of each slot today or null), "overdue_count" and "overdue"; with
 * `detail` also "overdue_items". When `due`/`n_due` are given, the overdue
 * items are copied there too (at most FK_HOMEQ_DUE_MAX). */
enum fk_err fk_homeq_follow_up(struct fk_conn *db, const struct fk_homeq_row *row, int64_t now,
                               json_t *item, int detail, struct fk_homeq_due *due,
                               size_t *n_due) FK_MUST_CHECK;

/* The team of quarantine `id` as a JSON array in role order
 * ({"role","role_label","user_id","username","name","phone"}), phone masked
 * unless `role` sees it; user_ids[r] = the member's user id or 0. */
enum fk_err fk_homeq_team(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                          int64_t id, json_t **out, int64_t user_ids[FK_HOMEQ_ROLES]) FK_MUST_CHECK;

/* Loads quarantine `id` if its region lies in `scope`, with its follow-up
 * and (detail) its team and overdue items. FK_ERR_NOT_FOUND otherwise.
 * *person_id may be NULL. */
enum fk_err fk_homeq_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                          const char *scope, int64_t id, int detail, json_t **out,
                          int64_t *person_id) FK_MUST_CHECK;

/* The list filter (GET /home-quarantines, /overdue, /export). */
struct fk_homeq_filter {
    char scope[19];      /* jurisdiction prefix */
    int state;           /* 0 all, 1 active, 2 ended */
    int64_t from, until; /* in quarantine at some time in [from, until); 0 = open */
    int64_t member;      /* a team member's user id; 0 = any */
    int q_kind;          /* 0 none, 1 ID number (blind index), 2 name prefix */
    char q_value[FK_Q_VALUE_MAX];
};

/* Reads ?region=&state=&from=&until=&q=&member= (member "me" or a user id).
 * -1 after replying 422/404 naming the parameter. */
int fk_homeq_filter_or_reply(struct fk_req *req, struct fk_homeq_filter *f);

/* Writes the WHERE clause of `f` (starting " WHERE "), with "q.id > ?" for a
 * keyset, and binds it from *idx on. */
void fk_homeq_where(const struct fk_homeq_filter *f, int keyset, char *sql, size_t size);
enum fk_err fk_homeq_bind(struct fk_stmt *st, const struct fk_homeq_filter *f, int keyset,
                          int64_t after_id, int *idx) FK_MUST_CHECK;

/* The JSON of one overdue item ({"kind","due_at","label", and "day"/"slot" or
 * "letter"/"action"}). New reference, NULL on failure. */
json_t *fk_homeq_due_json(const struct fk_homeq_due *due);

/* Day number (days since 1970-01-01) <-> "YYYY-MM-DD". */
void fk_homeq_day_text(int64_t day, char out[11]);
int fk_homeq_day_parse(const char *text, int64_t *day);

/* Handlers in other files. */
void fk_homeq_temperature_create(struct fk_req *req); /* homeq_temps.c */
void fk_homeq_temperature_list(struct fk_req *req);
void fk_homeq_fever_list(struct fk_req *req);
void fk_homeq_overdue_list(struct fk_req *req);
void fk_homeq_export(struct fk_req *req); /* homeq_export.c */

/* Shared handler helpers (quarantine_api.c). */
int fk_homeq_invalid(struct fk_req *req, const char *field, const char *message);
void fk_homeq_audit(struct fk_req *req, enum fk_err *err, const char *action, int64_t id,
                    int64_t person_id, json_t *detail);
/* The {id} path parameter; -1 after replying 404 home_quarantine_not_found. */
int fk_homeq_id_or_reply(struct fk_req *req, int64_t *id);
void fk_homeq_not_found(struct fk_req *req);

#endif
