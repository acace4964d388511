/* Internal to src/passes: the pass JSON and the handlers split across
 * passes_api.c (passes) and passages_api.c (checkpoint scans and passages). */
#ifndef FK_PASSES_PASSES_INTERNAL_H
#define FK_PASSES_PASSES_INTERNAL_H

#include "http/http.h"
#include "passes/passes.h"

/* Roles that register and read passes. */
#define FK_PASSES_STAFF                                                                            \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_CHECKPOINT_STAFF |                \
     FK_ROLE_COMMUNITY_WORKER)
/* Roles that scan at checkpoints and read passage logs. */
#define FK_PASSAGE_STAFF                                                                           \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_CHECKPOINT_STAFF)

#define FK_PASS_MAX_PASSENGERS 8

/* Loads pass `id` with its occupants (ID and phone masked unless `role` sees
 * them in full). No jurisdiction check. FK_ERR_NOT_FOUND when absent. */
enum fk_err fk_pass_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                         int64_t id, int64_t now, json_t **out) FK_MUST_CHECK;

/* Replies 422 invalid_field naming `field`; returns -1. */
int fk_pass_invalid(struct fk_req *req, const char *field, const char *message);

/* Audits (when *err is FK_OK, which the audit may change); takes `detail`. */
void fk_pass_audit(struct fk_req *req, enum fk_err *err, const char *action,
                   const char *target_type, int64_t id, int64_t person_id, json_t *detail);

/* Passage handlers (passages_api.c). */
void fk_passage_scan(struct fk_req *req);
void fk_passage_create(struct fk_req *req);
void fk_passage_list(struct fk_req *req);
void fk_passage_stats(struct fk_req *req);
void fk_passage_export(struct fk_req *req);

#endif
