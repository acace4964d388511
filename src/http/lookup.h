/* What handlers repeat around a record they look up: the id in the path, the
 * jurisdiction check and the replies when it fails. Each returns 0 when fine
 * and -1 after replying (so that a handler can `return` at once). The
 * signatures of the lead's proposal (7fe3d58), implemented in
 * http/reply_found.c for cards, passes and quarantine. */
#ifndef FK_HTTP_LOOKUP_H
#define FK_HTTP_LOOKUP_H

#include <stdint.h>
#include "http/http.h"

/* Parses the path parameter `param` as an id >= 1 into *id. Otherwise replies
 * with row `not_found` naming `field` (borrowed) and returns -1. */
int fk_path_id_or_reply(struct fk_req *req, const char *param, enum fk_ecode not_found,
                        const char *field, int64_t *id);

/* Judges the outcome `err` of looking a record up whose region is `region`
 * (borrowed; NULL: no jurisdiction check): FK_OK and covered by the caller's
 * jurisdiction -> 0; FK_ERR_NOT_FOUND or outside it -> the same reply `not_found`
 * naming `field`, so that "no such record" and "not yours" cannot be told
 * apart; any other error -> fk_reply_fail. */
int fk_found_or_reply(struct fk_req *req, enum fk_err err, const char *region,
                      enum fk_ecode not_found, const char *field);

/* Replies 422 invalid_field with `message` (a static rule text, borrowed)
 * naming `field`; returns -1. */
int fk_reply_invalid(struct fk_req *req, const char *field, const char *message);

#endif
