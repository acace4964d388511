/* Internal to src/quarantine: the home quarantine row, its JSON, the list
 * filter and the queries shared by the handlers (quarantine_api.c,
 * homeq_temps.c) and the ledger (homeq_export.c). */
#ifndef FK_QUARANTINE_HOMEQ_INTERNAL_H
#define FK_QUARANTINE_HOMEQ_INTERNAL_H

#include "audit/audit.h"
#include "accounts/accounts.h"
#include "http/caller.h"
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

/* The facts of a quarantine row the rules need. */
struct fk_homeq_row {
    int64_t id, person_id;
    int64_t starts_at, planned_end, ended_at;
    int64_t letters[2][2];
};

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

/* One page of the quarantines matching `f` (newest start first), each with
 * its follow-up at `now`, appended to `items` (borrowed); *total the count.
 * `key` is borrowed. */
enum fk_err fk_homeq_page(struct fk_conn *db, const struct fk_homeq_filter *f,
                          const struct fk_pii_key *key, unsigned role, int64_t now, int64_t page,
                          int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;
/* Calls `each` with every quarantine matching `f` in id order (its JSON
 * without follow-up and its row, both borrowed for the call), in batches;
 * the first failure of `each` stops and is returned. */
enum fk_err fk_homeq_each(struct fk_conn *db, const struct fk_homeq_filter *f,
                          const struct fk_pii_key *key, unsigned role,
                          enum fk_err (*each)(void *ctx, json_t *quarantine,
                                              const struct fk_homeq_row *row),
                          void *ctx) FK_MUST_CHECK;
/* The JSON of one overdue item ({"kind","due_at","label", and "day"/"slot" or
 * "letter"/"action"}). New reference, NULL on failure. */
json_t *fk_homeq_due_json(const struct fk_homeq_due *due);

/* Day number (days since 1970-01-01) <-> "YYYY-MM-DD". */
void fk_homeq_day_text(int64_t day, char out[11]);
int fk_homeq_day_parse(const char *text, int64_t *day);

/* --- writes and their lookups (homeq_write_store.c) --- */

/* The active quarantine of `person_id`: *id, or 0. */
enum fk_err fk_homeq_active_of(struct fk_conn *db, int64_t person_id, int64_t *id) FK_MUST_CHECK;

/* One validated team member. */
struct fk_homeq_member {
    int role;        /* enum fk_homeq_role */
    int64_t user_id; /* 0 = named contact */
    char name[FK_NAME_MAX + 1];
    char phone[12];
};

/* A quarantine to create. Strings are borrowed. */
struct fk_homeq_new {
    int64_t person_id;
    const char *region, *address, *reason, *note; /* note may be NULL */
    int64_t starts_at, planned_end, now;
};
/* Creates `in` with its team (n_team members; the phones sealed with `key`)
 * in one transaction that also publishes FK_EVENT_HOMEQ_STARTED, records the
 * health fact, refreshes the health code and audits
 * "home_quarantine_create" by `who` (borrowed: the creator) with `detail`
 * (consumed in every case). *id receives the
 * quarantine. FK_ERR_CONFLICT when the person got an active quarantine
 * meanwhile (rolled back). */
enum fk_err fk_homeq_create(struct fk_conn *db, const struct fk_pii_key *key,
                            const struct fk_homeq_new *in, const struct fk_homeq_member *team,
                            size_t n_team, const struct fk_caller *who, json_t *detail,
                            int64_t *id) FK_MUST_CHECK;

/* The stored state PATCH and the letters need. */
struct fk_homeq_current {
    char region[FK_REGION_CODE_LEN];
    int64_t person_id, starts_at, planned_end;
    int ended;
    int64_t letters[2][2]; /* [letter][step]: when, or 0 */
};
/* Quarantine `id` inside `scope`; FK_ERR_NOT_FOUND outside. */
enum fk_err fk_homeq_current(struct fk_conn *db, const char *scope, int64_t id,
                             struct fk_homeq_current *out) FK_MUST_CHECK;

/* A change of quarantine `id` (PATCH). Strings are borrowed; NULL leaves a
 * field alone (note: has_note, which may set it NULL). */
struct fk_homeq_change {
    int64_t id, person_id;
    const char *region; /* the quarantine's, for the event */
    int has_end;
    int64_t planned_end;
    int has_note;
    const char *note, *address;
    const char *outcome; /* ends the quarantine */
    int64_t ended_at, now;
};
/* Applies `ch` and the team members in one transaction with its audit by
 * `who` (borrowed): "home_quarantine_end" when ch->outcome ends it, else
 * "home_quarantine_update", with `detail` (consumed in every case); an end
 * publishes
 * FK_EVENT_HOMEQ_ENDED, closes the health fact and refreshes the code. */
enum fk_err fk_homeq_update(struct fk_conn *db, const struct fk_pii_key *key,
                            const struct fk_homeq_change *ch, const struct fk_homeq_member *team,
                            size_t n_team, const struct fk_caller *who,
                            json_t *detail) FK_MUST_CHECK;
/* Records step `step` (FK_HOMEQ_ISSUED/SIGNED) of letter `letter` at `at`,
 * with its "home_quarantine_letter" audit by `who` (borrowed) and `detail`
 * (consumed in every case), one transaction. */
enum fk_err fk_homeq_letter_record(struct fk_conn *db, int64_t id, int64_t person_id, int letter,
                                   int step, int64_t at, int64_t now, const struct fk_caller *who,
                                   json_t *detail) FK_MUST_CHECK;
/* Enabled staff whose jurisdiction covers `prefix` and whose name or
 * username matches the LIKE pattern `like`, nearest first (at most 200): a
 * new JSON array in *out. */
enum fk_err fk_homeq_member_candidates(struct fk_conn *db, const char *prefix, const char *like,
                                       json_t **out) FK_MUST_CHECK;

/* --- temperatures (homeq_temps_store.c) --- */

/* The JSON of reading `id` (a new reference). FK_ERR_NOT_FOUND when absent. */
enum fk_err fk_homeq_temp_load(struct fk_conn *db, int64_t id, json_t **out) FK_MUST_CHECK;
/* A stored reading by (recorder `user`, `key`): its id and quarantine, or 0. */
enum fk_err fk_homeq_temp_replay_of(struct fk_conn *db, int64_t user, const char *key, int64_t *id,
                                    int64_t *quarantine) FK_MUST_CHECK;
/* Whether user `user_id` is in the team of quarantine `id`. */
enum fk_err fk_homeq_team_has_user(struct fk_conn *db, int64_t id, int64_t user_id,
                                   int *yes) FK_MUST_CHECK;
/* A reading to record. Strings are borrowed. */
struct fk_homeq_temp_new {
    int64_t id, person_id; /* the quarantine and its person */
    const char *region;    /* the quarantine's */
    const char *day;       /* "YYYY-MM-DD" of the slot */
    int pm;                /* the slot: 0 am, 1 pm */
    int x10;               /* tenths of a degree */
    const char *symptoms;  /* stored symptom names */
    int64_t measured_at, by_user, now;
    const char *key; /* idempotency key, or NULL */
};
/* Records `in` in one transaction: the reading, the quarantine's latest
 * value, a fever's health fact and code refresh, and its
 * "home_quarantine_temperature" audit by `who` (borrowed: the recorder). *temp_id
 * receives the reading. FK_ERR_CONFLICT when the key was stored meanwhile. */
enum fk_err fk_homeq_temp_record(struct fk_conn *db, const struct fk_homeq_temp_new *in,
                                 const struct fk_caller *who, int64_t *temp_id) FK_MUST_CHECK;
/* One page of quarantine `id`'s readings (oldest first) / of the fever
 * readings matching `f` (newest first, with person, region and state),
 * appended to `items` (borrowed); *total the count. */
enum fk_err fk_homeq_temps_page(struct fk_conn *db, int64_t id, int64_t page, int64_t per_page,
                                json_t *items, int64_t *total) FK_MUST_CHECK;
enum fk_err fk_homeq_fevers_page(struct fk_conn *db, const struct fk_homeq_filter *f, int64_t page,
                                 int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;

/* Handlers in other files. */
void fk_homeq_temperature_create(struct fk_req *req); /* homeq_temps.c */
void fk_homeq_temperature_list(struct fk_req *req);
void fk_homeq_fever_list(struct fk_req *req);
void fk_homeq_overdue_list(struct fk_req *req);
void fk_homeq_export(struct fk_req *req); /* homeq_export.c */

/* The {id} path parameter; -1 after replying 404 home_quarantine_not_found. */
int fk_homeq_id_or_reply(struct fk_req *req, int64_t *id);
void fk_homeq_not_found(struct fk_req *req);
/* The {id} quarantine inside the caller's jurisdiction (`db` may be NULL:
 * fk_req_db replied). -1 after replying 404 or 5xx. */
int fk_homeq_current_or_reply(struct fk_req *req, struct fk_conn *db, int64_t *id,
                              struct fk_homeq_current *cur);

#endif
