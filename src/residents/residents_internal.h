/* Internal to src/residents: what its rules, store, handlers and exports
 * share. No other module includes this. */
#ifndef FK_RESIDENTS_INTERNAL_H
#define FK_RESIDENTS_INTERNAL_H

#include "audit/audit.h"
#include "residents/residents.h"

struct fk_req;

/* The filters of a person list or ledger, validated (the handlers parse
 * them from the query string). Strings are borrowed. */
struct fk_person_query {
    const char *scope;      /* jurisdiction prefix */
    const char *q;          /* NULL when absent */
    const char *match_kind; /* "all", "id_number", "phone", "name", "address" */
    const char *category;   /* NULL or a known category */
    int64_t household_id;   /* 0 = any */
    int has_from, has_until;
    int64_t from, until; /* created_at range */
};

/* --- rules (residents.c) --- */

#define FK_PERSON_CATEGORY_COUNT 6
/* The known categories, in the stored order: name and Chinese label. */
extern const char *const fk_person_categories[FK_PERSON_CATEGORY_COUNT][2];
/* The index of category `name` in fk_person_categories, or -1. */
int fk_person_category_index(const char *name);
/* What a search text is: "id_number", "phone", "address" or "name". */
const char *fk_person_query_kind(const char *q);

/* --- the registry's tables (residents_store.c) --- */

/* Called once per person read; a failure stops the read and is returned. */
typedef enum fk_err (*fk_person_fn)(const struct fk_person *p, void *ctx);
typedef enum fk_err (*fk_household_fn)(const struct fk_household *h, void *ctx);

/* One page of the persons matching `query` (borrowed), in list order,
 * each passed to `each`; *total counts all matches. */
enum fk_err fk_residents_search(struct fk_conn *db, const struct fk_pii_key *key,
                                const struct fk_person_query *query, int64_t page, int64_t per_page,
                                int64_t *total, fk_person_fn each, void *ctx) FK_MUST_CHECK;
/* Every person matching `query`, by id, read in keyset batches (ledgers). */
enum fk_err fk_residents_scan(struct fk_conn *db, const struct fk_pii_key *key,
                              const struct fk_person_query *query, fk_person_fn each,
                              void *ctx) FK_MUST_CHECK;
/* A person in `prefix`, merged ones too (a detail read), or FK_ERR_NOT_FOUND. */
enum fk_err fk_residents_person_load(struct fk_conn *db, int64_t id, const char *prefix,
                                     struct fk_person *out) FK_MUST_CHECK;

/* Registers a validated person with `categories` ("a,b", NULL = none given)
 * and writes `audit` (borrowed; target_id and person_id are set here to the
 * new id), in one transaction. FK_ERR_CONFLICT when the ID number is
 * registered: *existing_id is that person (0 if it cannot be told). */
enum fk_err fk_residents_create(struct fk_conn *db, const struct fk_pii_key *key,
                                const struct fk_person_valid *person, const char *categories,
                                int64_t now, struct fk_audit_entry *audit, int64_t *id,
                                int64_t *existing_id) FK_MUST_CHECK;
/* Stores the validated record of person `id` (and `categories` unless
 * NULL) and writes `audit` (borrowed), in one transaction. */
enum fk_err fk_residents_update(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                                const struct fk_person_valid *person, const char *categories,
                                int64_t now, const struct fk_audit_entry *audit) FK_MUST_CHECK;

/* Groups of likely duplicates in `scope`: `group` opens each (its key
 * "birth_date|name"), `each` gets its members. */
typedef enum fk_err (*fk_duplicate_group_fn)(const char *key, void *ctx);
enum fk_err fk_residents_duplicates(struct fk_conn *db, const char *scope, int64_t page,
                                    int64_t per_page, int64_t *total, fk_duplicate_group_fn group,
                                    fk_person_fn each, void *ctx) FK_MUST_CHECK;
/* Merges `duplicate` into `keep` (both in `prefix`, neither merged
 * already), keeps the history (actor audit->actor) and writes `audit`, in
 * one transaction; *field names the culprit on NOT_FOUND / CONFLICT. */
enum fk_err fk_residents_merge(struct fk_conn *db, int64_t keep, int64_t duplicate,
                               const char *prefix, const struct fk_audit_entry *audit,
                               const char **field) FK_MUST_CHECK;

/* Inserts (id 0) or updates a household and writes `audit` (borrowed; for
 * an insert target_id is set to the new id), in one transaction; the head
 * must be a person in `prefix` (FK_ERR_NOT_FOUND, *field "head_person_id"). */
enum fk_err fk_residents_household_save(struct fk_conn *db, int64_t id, const char *region,
                                        const char *address, int64_t head, const char *prefix,
                                        struct fk_audit_entry *audit, int64_t *new_id,
                                        const char **field) FK_MUST_CHECK;
/* A household in `prefix`, or FK_ERR_NOT_FOUND. */
enum fk_err fk_residents_household_load(struct fk_conn *db, int64_t id, const char *prefix,
                                        struct fk_household *out) FK_MUST_CHECK;
/* The unmerged members in `prefix` of household `id` (at most
 * FK_HOUSEHOLD_MEMBERS_MAX, by id). */
enum fk_err fk_residents_members(struct fk_conn *db, int64_t id, const char *prefix,
                                 fk_person_fn each, void *ctx) FK_MUST_CHECK;
/* One page of the households in `scope` whose address contains `q`
 * (NULL = any); `*total` counts them all. */
enum fk_err fk_residents_households(struct fk_conn *db, const char *scope, const char *q,
                                    int64_t page, int64_t per_page, int64_t *total,
                                    fk_household_fn each, void *ctx) FK_MUST_CHECK;
/* Every household in `scope`, by id, in keyset batches (ledgers). */
enum fk_err fk_residents_scan_households(struct fk_conn *db, const char *scope,
                                         fk_household_fn each, void *ctx) FK_MUST_CHECK;

/* --- handlers shared by residents_api.c and residents_export.c --- */

/* Reads q, category, household_id, from, until; -1 after replying 422. */
int fk_residents_parse_query(struct fk_req *req, struct fk_person_query *query);

/* Ledger exports (residents_export.c). */
void fk_residents_export_persons(struct fk_req *req);
void fk_residents_export_households(struct fk_req *req);

#endif
