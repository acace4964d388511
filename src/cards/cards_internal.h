/* Internal to src/cards: the card row and its JSON, issuing, and the handlers
 * split across cards_api.c (cards) and gates_api.c (gate scans). */
#ifndef FK_CARDS_CARDS_INTERNAL_H
#define FK_CARDS_CARDS_INTERNAL_H

#include "audit/audit.h"
#include "http/caller.h"
#include "cards/cards.h"
#include "http/http.h"
#include "residents/residents.h"

/* Roles that issue and manage cards. */
#define FK_CARDS_STAFF                                                                             \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)
/* Roles that scan at gates and read gate logs. */
#define FK_GATES_STAFF (FK_CARDS_STAFF | FK_ROLE_CHECKPOINT_STAFF)

/* Default and longest validity of a card, days. */
#define FK_CARD_VALID_DAYS 30
#define FK_CARD_NOTE_MAX 500

/* Loads card `id` if its region lies in `scope`. FK_ERR_NOT_FOUND otherwise.
 * *person_id may be NULL. */
enum fk_err fk_card_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                         const char *scope, int64_t id, json_t **out,
                         int64_t *person_id) FK_MUST_CHECK;

/* Inserts an active card and signs its code (inside the caller's
 * transaction); *id receives the card's id. */
enum fk_err fk_card_insert(struct fk_conn *db, int64_t person_id, int64_t household_id,
                           const char *region, enum fk_card_color color, int64_t expires_at,
                           const char *note, int64_t actor, int64_t now, int64_t *id) FK_MUST_CHECK;

/* Issues cards by rule to everyone in `region` (a compound or building)
 * without an active card (see docs/internals/cards.md); counts[color] and
 * *skipped receive what happened. Runs its own transaction. */
enum fk_err fk_cards_bulk(struct fk_conn *db, const char *region, int64_t expires_at, int64_t actor,
                          int64_t now, int64_t counts[5], int64_t *skipped) FK_MUST_CHECK;

/* The active card of person `person_id` / the active green card of household
 * `household_id`: *id, or 0 when there is none. */
enum fk_err fk_card_active_of(struct fk_conn *db, int64_t person_id, int64_t *id) FK_MUST_CHECK;
enum fk_err fk_card_green_of(struct fk_conn *db, int64_t household_id, int64_t *id) FK_MUST_CHECK;

/* A card to issue (POST /cards). Strings are borrowed. */
struct fk_card_issue {
    int64_t person_id, household_id;
    const char *region;
    enum fk_card_color color;
    int64_t expires_at;
    const char *note; /* may be NULL */
    int64_t replaces; /* the active card revoked first, or 0 */
    int64_t now;
};

/* Issues `in` in one transaction: revokes in->replaces with its code,
 * inserts the card with its signed code and audits "card_issue" by `who`
 * (borrowed) with `detail` (consumed in every case). *id receives the new
 * card. FK_ERR_CONFLICT when a concurrent issue took the
 * person's or the household's green slot (rolled back). */
enum fk_err fk_card_issue(struct fk_conn *db, const struct fk_card_issue *in,
                          const struct fk_caller *who, json_t *detail, int64_t *id) FK_MUST_CHECK;
/* Revokes active card `id` of `person_id` and its code for `reason`
 * (borrowed) in one transaction with its "card_revoke" audit by `who`
 * (borrowed) with `detail` (consumed in every case). */
enum fk_err fk_card_revoke(struct fk_conn *db, int64_t id, int64_t person_id, const char *reason,
                           int64_t now, const struct fk_caller *who, json_t *detail) FK_MUST_CHECK;

/* The card list filter (GET /cards and the ledger). */
struct fk_card_filter {
    char scope[19];
    const char *color; /* borrowed colour name; NULL = any */
    int state;         /* 0 all, 1 active, 2 revoked */
    int q_kind;        /* 0 none, 1 ID number (blind index), 2 name prefix */
    char q_value[FK_Q_VALUE_MAX];
};
/* How card JSON is rendered: whose key opens sealed fields, which role sees
 * them in full, the time `expired` is judged at. `key` is borrowed. */
struct fk_card_view {
    const struct fk_pii_key *key;
    unsigned role;
    int64_t now;
};
/* One page of cards matching `f` appended to `items` (borrowed; new
 * references added), *total the count. */
enum fk_err fk_cards_page(struct fk_conn *db, const struct fk_card_filter *f,
                          const struct fk_card_view *view, int64_t page, int64_t per_page,
                          json_t *items, int64_t *total) FK_MUST_CHECK;
/* Calls `each` with every card matching `f` in id order (JSON borrowed for
 * the call), in batches; a non-zero return stops with FK_OK. */
enum fk_err fk_cards_each(struct fk_conn *db, const struct fk_card_filter *f,
                          const struct fk_card_view *view, int (*each)(void *ctx, json_t *card),
                          void *ctx) FK_MUST_CHECK;

/* --- gate scans (gates_store.c) --- */

/* The card a gate scan names. */
struct fk_gate_card {
    int64_t person_id, household_id;
    char region[FK_REGION_CODE_LEN];
    enum fk_card_color color;
    int revoked;
    int64_t expires_at;
};
/* Card `card_id` as a scan reads it; FK_ERR_NOT_FOUND when there is none. */
enum fk_err fk_gate_card_get(struct fk_conn *db, int64_t card_id,
                             struct fk_gate_card *out) FK_MUST_CHECK;

/* One scan to store. Strings are borrowed. */
struct fk_gate_scan {
    int64_t checkpoint_id;
    const char *checkpoint_region;
    int64_t card_id, person_id, household_id; /* 0: unknown */
    char card_region[FK_REGION_CODE_LEN];     /* "" when unknown */
    enum fk_card_color color;                 /* effective; 0 when unknown */
    int green_exit; /* a green card going out: the green rule is decided in the write */
    int64_t green_window;
    const char *direction; /* "out" or "in" */
    int64_t scanned_at;
    const char *key; /* idempotency key */
    int64_t now;
    int offline;
    struct fk_gate_verdict v;      /* the verdict before the green rule */
    struct fk_gate_verdict stored; /* out: the verdict stored */
};
/* Stores `scan` and its "gate_scan" audit entry by `who` (borrowed: the
 * scanner; target, person and detail are filled here) in one
 * write shared with concurrent scans (fk_db_write_shared): a green exit is
 * decided under fk_db_lock on the household and the holder. *id receives the
 * scan, or 0 when (scanner, key) was stored already. */
enum fk_err fk_gate_scan_store(struct fk_conn *db, struct fk_gate_scan *scan,
                               const struct fk_caller *who, int64_t *id) FK_MUST_CHECK;
/* The JSON of scan `id` / of the scan of (scanned_by, idempotency_key): a new
 * reference in *out. FK_ERR_NOT_FOUND when there is none. */
enum fk_err fk_gate_scan_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                              int64_t id, json_t **out) FK_MUST_CHECK;
enum fk_err fk_gate_scan_load_key(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                                  int64_t scanned_by, const char *idempotency_key,
                                  json_t **out) FK_MUST_CHECK;

/* A scan log query: one gate's log (checkpoint_id) or the refused exits
 * (refusals: in `scope` by the gate's region, or by the card's with mine). */
struct fk_gate_scan_filter {
    int refusals, mine;
    int64_t checkpoint_id;
    const char *scope;            /* borrowed */
    int64_t from, until;          /* 0: unbounded */
    int allowed, handled, review; /* -1 any */
};
/* One page of scans matching `q` appended to `items` (borrowed), *total the
 * count. `key` is borrowed. */
enum fk_err fk_gate_scans_page(struct fk_conn *db, const struct fk_gate_scan_filter *q,
                               const struct fk_pii_key *key, unsigned role, int64_t page,
                               int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;

/* A refused exit: the gate's and the card's regions (who may handle it). */
struct fk_gate_refusal {
    char region[FK_REGION_CODE_LEN];
    char card_region[FK_REGION_CODE_LEN]; /* "" when unknown */
    int64_t person_id;
};
/* Refused exit `id`; FK_ERR_NOT_FOUND when it is no refused exit. */
enum fk_err fk_gate_refusal_get(struct fk_conn *db, int64_t id,
                                struct fk_gate_refusal *out) FK_MUST_CHECK;
/* Marks refused exit `id` (of `person_id`) handled (or not) by `who`
 * (borrowed) with `note` (borrowed, NULL keeps it) and audits
 * "gate_refusal_handle" with `detail` (consumed in every case) in one
 * transaction. */
enum fk_err fk_gate_refusal_handle(struct fk_conn *db, int64_t id, int64_t person_id, int handled,
                                   const char *note, int64_t now, const struct fk_caller *who,
                                   json_t *detail) FK_MUST_CHECK;

/* Gate handlers (gates_api.c). */
void fk_gate_scan_create(struct fk_req *req);
void fk_gate_scan_list(struct fk_req *req);
void fk_gate_refusal_list(struct fk_req *req);
void fk_gate_refusal_patch(struct fk_req *req);

#endif
