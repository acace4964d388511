/* Internal to src/audit: the log's search, shared by its store and its
 * handler. No other module includes this. */
#ifndef FK_AUDIT_INTERNAL_H
#define FK_AUDIT_INTERNAL_H

#include "audit/audit.h"

/* Filters of GET /api/v1/audit, validated (strings borrowed; NULL = any). */
struct fk_audit_filter {
    const char *actor;
    const char *action;
    int has_from, has_until;
    int64_t from, until;
};

/* One row of the log. Strings are borrowed for the callback only (NULL
 * when the column is NULL); ids are 0 when absent. */
struct fk_audit_row {
    int64_t id, at, actor_id, person_id;
    const char *actor, *action, *target_type, *target_id, *ip;
    const char *detail; /* JSON text or NULL */
};
typedef enum fk_err (*fk_audit_row_fn)(const struct fk_audit_row *r, void *ctx);
struct fk_audit_rows {
    fk_audit_row_fn each;
    void *ctx;
};

/* One page of the log matching `f`, newest first, each row to `each`;
 * *total counts all matches. */
enum fk_err fk_audit_search(struct fk_conn *db, const struct fk_audit_filter *f, int64_t page,
                            int64_t per_page, int64_t *total, fk_audit_row_fn each,
                            void *ctx) FK_MUST_CHECK;

#endif
