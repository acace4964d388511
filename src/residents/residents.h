/* Residents: persons and households, the population base (人员底数) every
 * other module reads. Personal data is sealed at rest (crypto.h), filtered by
 * jurisdiction (store.h) and audited (audit.h). */
#ifndef FK_RESIDENTS_RESIDENTS_H
#define FK_RESIDENTS_RESIDENTS_H

#include <jansson.h>
#include <stdint.h>
#include "accounts/accounts.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "id/id.h"
#include "regions/regions.h"
#include "store/store.h"

#define FK_NAME_MAX 64     /* bytes of UTF-8 */
#define FK_ADDRESS_MAX 256 /* bytes of UTF-8 */

/* What a caller submits for one person (API body, import row). Strings are
 * borrowed; NULL or "" means absent. */
struct fk_person_input {
    const char *id_number;
    const char *name;
    const char *phone;
    const char *region; /* any accepted spelling of a region code */
    const char *address;
    int64_t household_id; /* 0 = none */
};

/* A validated person, ready to store. */
struct fk_person_valid {
    struct fk_resident_id id; /* normalized number, birth date, sex */
    char name[FK_NAME_MAX + 1];
    char phone[12];          /* "" when absent */
    struct fk_region region; /* existing region */
    char address[FK_ADDRESS_MAX + 1];
    int64_t household_id;
};

/* Why a person was refused: the field (API name), a stable reason code and a
 * Chinese message for people. Static strings. */
struct fk_person_error {
    const char *field;   /* "id_number", "name", "phone", "region", "address", "household_id" */
    const char *reason;  /* e.g. "checksum", "birth_in_future", "missing", "unknown_region" */
    const char *message; /* e.g. "身份证号校验位错误" */
};

/* Validates `in`: required id_number, name, region; optional phone, address,
 * household (which must exist and lie in the same compound subtree). `scope`
 * is the caller's jurisdiction prefix: a region outside it is refused as
 * unknown. `now` bounds birth dates. Does not check for duplicates.
 * FK_ERR_INVALID with *why filled; FK_ERR_DB on store failure. */
enum fk_err fk_person_validate(struct fk_conn *db, const struct fk_person_input *in,
                               const char *scope, int64_t now, struct fk_person_valid *out,
                               struct fk_person_error *why) FK_MUST_CHECK;

/* Stores a validated person (sealing ID and phone). FK_ERR_CONFLICT if the ID
 * number is already registered, with *existing_id set (that person may lie
 * outside the caller's jurisdiction: say only that it exists). The lookup
 * comes first, so a known duplicate never fails an INSERT (which would abort
 * the caller's transaction on PostgreSQL); only a concurrent registration of
 * the same number can, and then *existing_id stays 0. */
enum fk_err fk_person_insert(struct fk_conn *db, const struct fk_pii_key *key,
                             const struct fk_person_valid *person, int64_t now, int64_t *id,
                             int64_t *existing_id) FK_MUST_CHECK;

/* Looks up a person id by exact ID number (blind index); 0 if none. */
enum fk_err fk_person_find_by_id_number(struct fk_conn *db, const struct fk_pii_key *key,
                                        const char *id_number, int64_t *id) FK_MUST_CHECK;

/* Roles that see ID numbers / phone numbers in full; everyone else sees them
 * masked (DESIGN.md §4). */
/* Adds `category` (a known one, e.g. "returnee") to a person's categories
 * unless present, first in the list (as other modules record it). */
enum fk_err fk_person_add_category(struct fk_conn *db, int64_t person_id, const char *category,
                                   int64_t now) FK_MUST_CHECK;

int fk_role_sees_full_id(unsigned role);
int fk_role_sees_full_phone(unsigned role);

/* Columns for reading persons, in this order, for fk_person_json:
 * p.id, p.id_sealed, p.name, p.sex, p.birth_date, p.phone_sealed, p.household_id,
 * p.region, r.name, p.address, p.categories, p.created_at, p.updated_at
 * FROM persons p LEFT JOIN regions r ON r.code = p.region */
#define FK_PERSON_COLUMNS                                                                          \
    "p.id, p.id_sealed, p.name, p.sex, p.birth_date, p.phone_sealed, p.household_id, "             \
    "p.region, COALESCE(r.name, ''), p.address, p.categories, p.created_at, p.updated_at"
#define FK_PERSON_FROM " FROM persons p LEFT JOIN regions r ON r.code = p.region"

/* Builds the JSON of the current row (FK_PERSON_COLUMNS), opening sealed
 * values and masking them unless `role` needs them in full. NULL on failure. */
json_t *fk_person_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role);

enum fk_err fk_residents_routes(void) FK_MUST_CHECK;

#endif
