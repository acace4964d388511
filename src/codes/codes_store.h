/* The signed-code module's SQL (codes_store.c) and the hooks by which it
 * tells the in-memory caches (codes.c) about changes made on this server. */
#ifndef FK_CODES_CODES_STORE_H
#define FK_CODES_CODES_STORE_H

#include "codes/codes_internal.h"

/* The signing keys still trusted (active, or retired less than
 * FK_CODE_MAX_VALIDITY ago), newest first, at most `max`. */
enum fk_err fk_codes_store_keys(struct fk_conn *db, struct fk_code_key *out, size_t max,
                                size_t *n) FK_MUST_CHECK;
/* One revocation row, as the walks below give it. */
typedef void (*fk_codes_revocation_fn)(void *ctx, int64_t row_id, int type, int64_t object_id,
                                       int64_t revoked_at);
/* Calls `take` for each revocation row with id > after_row, in id order. */
enum fk_err fk_codes_store_revocations(struct fk_conn *db, int64_t after_row,
                                       fk_codes_revocation_fn take, void *ctx) FK_MUST_CHECK;
/* Calls `take` for the first `limit` revocations with revoked_at >= since,
 * in order of revoked_at (GET /api/v1/codes/revocations). */
enum fk_err fk_codes_store_revoked_since(struct fk_conn *db, int64_t since, int64_t limit,
                                         fk_codes_revocation_fn take, void *ctx) FK_MUST_CHECK;

/* fk_code_revoke and the audit entry `audit` (borrowed; its actor_id is the
 * revoker) in one transaction of its own. */
struct fk_audit_entry;
enum fk_err fk_code_revoke_audited(struct fk_conn *db, enum fk_code_type type, int64_t object_id,
                                   const char *reason,
                                   const struct fk_audit_entry *audit) FK_MUST_CHECK;

/* A revocation made here applies at once (codes.c). */
void fk_codes_note_revocation(int type, int64_t object_id, int64_t revoked_at);
/* Keys were created or rotated here: the next verify re-reads them. */
void fk_codes_keys_changed(void);

#endif
