/* Internal to src/cards: the card row and its JSON, issuing, and the handlers
 * split across cards_api.c (cards) and gates_api.c (gate scans). */
#ifndef FK_CARDS_CARDS_INTERNAL_H
#define FK_CARDS_CARDS_INTERNAL_H

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

/* Columns read for fk_card_json, and the joins they need. */
#define FK_CARD_COLUMNS                                                                            \
    "c.id, c.person_id, p.name, p.id_sealed, p.phone_sealed, c.household_id, c.region, "           \
    "COALESCE(g.name, ''), c.color, c.state, c.code, c.issued_at, c.expires_at, c.issued_by, "     \
    "COALESCE(u.display_name, ''), c.revoked_at, c.revoked_reason, c.note, c.created_at, "         \
    "c.updated_at"
#define FK_CARD_FROM                                                                               \
    " FROM cards c JOIN persons p ON p.id = c.person_id LEFT JOIN regions g ON g.code = "          \
    "c.region LEFT JOIN users u ON u.id = c.issued_by"

/* The JSON of the current row (FK_CARD_COLUMNS), ID and phone masked unless
 * `role` sees them in full. New reference, NULL on failure. */
json_t *fk_card_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role, int64_t now);

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

/* Gate handlers (gates_api.c). */
void fk_gate_scan_create(struct fk_req *req);
void fk_gate_scan_list(struct fk_req *req);
void fk_gate_refusal_list(struct fk_req *req);
void fk_gate_refusal_patch(struct fk_req *req);

/* Shared handler helpers (cards_api.c). */
int fk_cards_invalid(struct fk_req *req, const char *field, const char *message);
void fk_cards_audit(struct fk_req *req, enum fk_err *err, const char *action,
                    const char *target_type, int64_t id, int64_t person_id, json_t *detail);

#endif
