/* Internal to src/residents: queries shared by the handlers. */
#ifndef FK_RESIDENTS_INTERNAL_H
#define FK_RESIDENTS_INTERNAL_H

#include "http/http.h"
#include "residents/residents.h"

struct fk_person_query {
    const char *scope;      /* jurisdiction prefix */
    const char *q;          /* NULL when absent */
    const char *match_kind; /* "all", "id_number", "phone", "name", "address" */
    const char *category;   /* NULL or a known category */
    int64_t household_id;   /* 0 = any */
    int has_from, has_until;
    int64_t from, until; /* created_at range */
};

/* Reads q, category, household_id, from, until; -1 after replying 422. */
int fk_residents_parse_query(struct fk_req *req, struct fk_person_query *query);

/* Builds " WHERE …" for `query` into `sql` and binds from parameter 1;
 * returns the next parameter index through *next. */
void fk_residents_where(const struct fk_person_query *query, char *sql, size_t size);
enum fk_err fk_residents_bind(struct fk_stmt *st, const struct fk_person_query *query,
                              const struct fk_pii_key *key, int *next) FK_MUST_CHECK;

enum fk_err fk_residents_search(struct fk_req *req, struct fk_conn *db,
                                const struct fk_person_query *query, int64_t page, int64_t per_page,
                                json_t **items, int64_t *total) FK_MUST_CHECK;
/* A person in the caller's jurisdiction (merged ones too), or FK_ERR_NOT_FOUND. */
enum fk_err fk_residents_load_person(struct fk_req *req, struct fk_conn *db, int64_t id,
                                     json_t **out) FK_MUST_CHECK;
enum fk_err fk_residents_attach_household(struct fk_req *req, struct fk_conn *db,
                                          json_t *person) FK_MUST_CHECK;

/* The stored values of a person, opened, for PATCH. */
struct fk_person_current {
    char id_number[19];
    char name[FK_NAME_MAX + 1];
    char phone[12];
    char region[FK_REGION_CODE_LEN];
    char address[FK_ADDRESS_MAX + 1];
    int64_t household_id;
};
enum fk_err fk_residents_load_current(struct fk_req *req, struct fk_conn *db, int64_t id,
                                      struct fk_person_current *out) FK_MUST_CHECK;
enum fk_err fk_residents_update(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                                const struct fk_person_valid *person, const char *categories,
                                int64_t now) FK_MUST_CHECK;

enum fk_err fk_residents_duplicates(struct fk_req *req, struct fk_conn *db, const char *scope,
                                    int64_t page, int64_t per_page, json_t **items,
                                    int64_t *total) FK_MUST_CHECK;
/* Merges `duplicate` into `keep` (both in the caller's jurisdiction, neither
 * merged already); *field names the culprit on NOT_FOUND / CONFLICT. */
enum fk_err fk_residents_merge(struct fk_req *req, struct fk_conn *db, int64_t keep,
                               int64_t duplicate, const char **field) FK_MUST_CHECK;

/* Inserts (id 0) or updates a household; the head must be a person of the
 * caller's jurisdiction (FK_ERR_NOT_FOUND, *field "head_person_id"). */
enum fk_err fk_residents_household_save(struct fk_req *req, struct fk_conn *db, int64_t id,
                                        const char *region, const char *address, int64_t head,
                                        int64_t *new_id, const char **field) FK_MUST_CHECK;
enum fk_err fk_residents_load_household(struct fk_req *req, struct fk_conn *db, int64_t id,
                                        json_t **out) FK_MUST_CHECK;
enum fk_err fk_residents_attach_members(struct fk_req *req, struct fk_conn *db, json_t *household,
                                        int64_t id) FK_MUST_CHECK;
enum fk_err fk_residents_households(struct fk_req *req, struct fk_conn *db, const char *scope,
                                    const char *q, int64_t page, int64_t per_page, json_t **items,
                                    int64_t *total) FK_MUST_CHECK;

/* Ledger exports (residents_export.c). */
void fk_residents_export_persons(struct fk_req *req);
void fk_residents_export_households(struct fk_req *req);

#endif
