/* The caller of a request as a module's store and logic functions need it,
 * without HTTP types: who acts (for the audit log) and what they may see
 * (jurisdiction, role, the key that opens sealed data). A handler fills one
 * with fk_caller_of and passes it down; store code never sees the request. */
#ifndef FK_HTTP_CALLER_H
#define FK_HTTP_CALLER_H

#include <jansson.h>
#include <stdint.h>
#include "core/err.h"

struct fk_conn;
struct fk_pii_key;
struct fk_req;

struct fk_caller {
    int64_t user_id;              /* 0 when anonymous */
    const char *username;         /* borrowed */
    unsigned role;                /* FK_ROLE_* bit */
    const char *region;           /* borrowed: the user's region code */
    const char *prefix;           /* borrowed: the jurisdiction prefix */
    const char *ip;               /* borrowed: the client's address */
    const struct fk_pii_key *key; /* borrowed: opens and seals personal data */
};

/* Fills `out` with pointers borrowed from `req` (valid while the request is). */
void fk_caller_of(struct fk_req *req, struct fk_caller *out);

/* Writes an audit entry for `who` through `db` (inside the transaction the
 * caller holds, if any) when `err` is FK_OK, and returns its status; returns
 * `err` untouched otherwise. `target_id` 0 writes no target id. `detail` (may
 * be NULL) is consumed in every case. Chains as
 *     err = fk_caller_audit(db, err, who, "x_create", "x", id, 0, detail); */
enum fk_err fk_caller_audit(struct fk_conn *db, enum fk_err err, const struct fk_caller *who,
                            const char *action, const char *target_type, int64_t target_id,
                            int64_t person_id, json_t *detail) FK_MUST_CHECK;

/* For a handler's read or export audit (outside any transaction): when *err
 * is FK_OK writes the entry for the request's actor and sets *err to its
 * status; `target_id` 0 writes no target id; `detail` (may be NULL) is
 * consumed in every case. */
void fk_req_audit(struct fk_req *req, enum fk_err *err, const char *action, const char *target_type,
                  int64_t target_id, int64_t person_id, json_t *detail);

/* Ends the transaction of a store function: commits when `err` is FK_OK,
 * rolls back otherwise (also when the commit fails); the final status. */
enum fk_err fk_caller_finish(struct fk_conn *db, enum fk_err err) FK_MUST_CHECK;

#endif
