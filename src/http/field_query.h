/* Handler-side helpers of list requests (first used by cards, quarantine and
 * screening): a query argument that names one of a few states, and the
 * audited reply of a jurisdiction's list page. */
#ifndef FK_HTTP_FIELD_QUERY_H
#define FK_HTTP_FIELD_QUERY_H

#include <jansson.h>
#include <stdint.h>
#include "core/err.h"

struct fk_req;

/* The query argument `param` as the index into `names` (`n` static strings,
 * borrowed) of the one it equals: absent or "" -> `dflt`. Any other value ->
 * replies 422 invalid_field naming `param` with `message` (static, borrowed)
 * and returns -1; 0 otherwise with *out set. */
int fk_query_choice_or_reply(struct fk_req *req, const char *param, const char *const *names, int n,
                             int dflt, const char *message, int *out);

/* Ends a list request over the jurisdiction `scope` (borrowed): when `err`
 * is FK_OK audits `action` on `target_type` records with the detail
 * {"region": scope, "total": total, "returned": items on this page}, then
 * replies with the page (fk_reply_list: `items` is stolen, also on failure). */
void fk_list_audited_reply(struct fk_req *req, enum fk_err err, const char *action,
                           const char *target_type, const char *scope, json_t *items, int64_t total,
                           int64_t page, int64_t per_page);

#endif
