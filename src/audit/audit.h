/* The audit log: who did what to which record, when and from where. Every
 * read or change of personal data is written here (DESIGN.md §4). */
#ifndef FK_AUDIT_AUDIT_H
#define FK_AUDIT_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include "core/err.h"
#include "http/http.h"
#include "store/store.h"

struct fk_audit_entry {
    int64_t actor_id;        /* 0 for anonymous / failed logins */
    const char *actor;       /* username, or the attempted one */
    const char *action;      /* "login", "person_read", ... */
    const char *target_type; /* "user", "person", "token", ... or NULL */
    const char *target_id;   /* or NULL */
    int64_t person_id;       /* the person whose data was touched, or 0 */
    const char *region;      /* region of the record, or NULL */
    const char *ip;
    json_t *detail; /* borrowed; may be NULL */
};

/* Writes one entry through `db` (inside the caller's transaction if any). */
enum fk_err fk_audit_write(struct fk_conn *db, const struct fk_audit_entry *entry) FK_MUST_CHECK;

/* The entry of the request's actor, region and IP for `action` on a record
 * of `target_type` (static strings) about `person_id` (or 0); target_id is
 * left NULL for the writer to name. `detail` is borrowed (and so is `req`,
 * whose strings the entry points into: use it within the request). */
struct fk_audit_entry fk_audit_entry_of(struct fk_req *req, const char *action,
                                        const char *target_type, int64_t person_id, json_t *detail);

/* Writes an entry for the request's actor and IP. `target_id` and `detail`
 * are borrowed. */
enum fk_err fk_audit_req(struct fk_req *req, const char *action, const char *target_type,
                         const char *target_id, int64_t person_id, json_t *detail) FK_MUST_CHECK;

enum fk_err fk_audit_routes(void) FK_MUST_CHECK;

#endif
