/* Residents: persons and households, the population base (人员底数) every
 * other module reads. Personal data is sealed at rest (crypto.h), filtered by
 * jurisdiction (store.h) and audited (audit.h). */
#ifndef FK_RESIDENTS_RESIDENTS_H
#define FK_RESIDENTS_RESIDENTS_H

#include <stddef.h>
#include <stdint.h>
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

/* The Chinese message for a reason fk_resident_id_parse gives ("checksum"
 * -> "身份证号校验位错误"; "身份证号无效" for any other). A static string.
 * (passes, returnees and selfservice carry copies of this table today.) */
const char *fk_person_id_reason_message(const char *reason);

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

/* Looks up a person id by exact ID number (blind index); 0 if none. Any
 * jurisdiction, merged persons too. `id_number` is borrowed. */
enum fk_err fk_person_find_by_id_number(struct fk_conn *db, const struct fk_pii_key *key,
                                        const char *id_number, int64_t *id) FK_MUST_CHECK;

/* Adds `category` (a known one, e.g. "returnee") to a person's categories
 * unless present, first in the list (as other modules record it). */
enum fk_err fk_person_add_category(struct fk_conn *db, int64_t person_id, const char *category,
                                   int64_t now) FK_MUST_CHECK;

/* Roles that see ID numbers / phone numbers in full; everyone else sees them
 * masked (DESIGN.md §4). */
int fk_role_sees_full_id(unsigned role);
int fk_role_sees_full_phone(unsigned role);

/* --- typed reads (issue 10 item 2): what other modules call instead of
 * reading the persons and households tables. A list that labels or filters
 * its own rows by person or household joins the views person_directory and
 * household_directory (sql/0018_directories.sql) instead. --- */

#define FK_PERSON_SEALED_MAX 128 /* a sealed ID number or phone, base64url */
#define FK_PERSON_CATEGORIES_MAX 128

/* One stored person as read from the registry. Sealed values stay sealed
 * (fk_person_open opens them); "" stands for an absent phone, 0 for no
 * household and for "not merged". A plain value: copy it freely. */
struct fk_person {
    int64_t id;
    char id_sealed[FK_PERSON_SEALED_MAX];
    char id_blind[FK_BLIND_LEN]; /* blind index of the ID number (other modules key on it) */
    char name[FK_NAME_MAX + 1];
    int sex;             /* FK_SEX_MALE / FK_SEX_FEMALE */
    char birth_date[11]; /* YYYY-MM-DD */
    char phone_sealed[FK_PERSON_SEALED_MAX];
    int64_t household_id;
    char region[FK_REGION_CODE_LEN];
    char region_name[128]; /* "" when the region row is gone */
    char address[FK_ADDRESS_MAX + 1];
    char categories[FK_PERSON_CATEGORIES_MAX]; /* "returnee,key_person" */
    int64_t created_at, updated_at;
    int64_t merged_into; /* the person this one was merged into, or 0 */
};

/* One household with its region name, head and count of (unmerged)
 * members. A plain value. */
struct fk_household {
    int64_t id;
    char region[FK_REGION_CODE_LEN];
    char region_name[128];
    char address[FK_ADDRESS_MAX + 1];
    int64_t head_person_id;          /* 0 = none */
    char head_name[FK_NAME_MAX + 1]; /* "" when no head */
    int64_t member_count;
    int64_t created_at;
};

#define FK_HOUSEHOLD_MEMBERS_MAX 50 /* members a household read returns */

/* A person by id, not merged into another, whose region lies in `prefix`
 * (a jurisdiction prefix, borrowed; "" = everywhere). "Not found" and "not
 * yours" are the same FK_ERR_NOT_FOUND. Fills the caller's *out. */
enum fk_err fk_person_get_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                                   struct fk_person *out) FK_MUST_CHECK;

/* A person by id whatever their state or region (merged ones too), for a
 * caller that has settled the jurisdiction itself. FK_ERR_NOT_FOUND if none. */
enum fk_err fk_person_get(struct fk_conn *db, int64_t id, struct fk_person *out) FK_MUST_CHECK;

/* A person by exact ID number (any spelling fk_resident_id_parse takes is
 * the caller's to normalize; `id_number` is the normalized 18 characters,
 * borrowed) through the blind index, not merged, in `prefix`.
 * FK_ERR_NOT_FOUND as in fk_person_get_in_scope. */
enum fk_err fk_person_find_in_scope(struct fk_conn *db, const struct fk_pii_key *key,
                                    const char *id_number, const char *prefix,
                                    struct fk_person *out) FK_MUST_CHECK;

/* A household by id whose region lies in `prefix`, and its unmerged members
 * in that jurisdiction (at most FK_HOUSEHOLD_MEMBERS_MAX, by id). *members
 * receives a new array of *n_members persons that the caller frees with
 * free() (NULL when there are none); `members` may be NULL to skip them.
 * FK_ERR_NOT_FOUND when absent or outside. */
enum fk_err fk_household_get_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                                      struct fk_household *out, struct fk_person **members,
                                      size_t *n_members) FK_MUST_CHECK;

/* The region code of household `id` into `region`, whatever the
 * jurisdiction (a caller compares it with its own), or FK_ERR_NOT_FOUND. */
enum fk_err fk_household_region(struct fk_conn *db, int64_t id,
                                char region[FK_REGION_CODE_LEN]) FK_MUST_CHECK;

/* Opens the sealed `sealed` (context "id_number" or "phone") into `out`
 * (`size` bytes), "" when absent or when it does not open. The plain text
 * in between is wiped. */
void fk_person_open(const struct fk_pii_key *key, const char *context, const char *sealed,
                    char *out, size_t size);

enum fk_err fk_residents_routes(void) FK_MUST_CHECK;

#endif
