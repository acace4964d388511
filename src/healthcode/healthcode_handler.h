/* Input checks the health-code handlers share (healthcode_api.c and
 * riskarea_api.c), implemented in healthcode_handler.c. Handler-side only:
 * they take the request and reply. Each returns 0 when fine and -1 after
 * replying 422. */
#ifndef FK_HEALTHCODE_HANDLER_H
#define FK_HEALTHCODE_HANDLER_H

#include <stdint.h>
#include "http/http.h"

/* Every member of the request body is one of `keys` (a NULL-terminated list
 * of static names, borrowed); otherwise replies "未知字段" naming the first
 * unknown member. */
int fk_health_known_keys_or_reply(struct fk_req *req, const char *const *keys);

/* The RFC 3339 time member `name` of the body into *out and *present = 1;
 * absent: *present = 0 and *out untouched (missing_field when `required`). */
int fk_health_time_or_reply(struct fk_req *req, const char *name, int required, int *present,
                            int64_t *out);

/* `text` (borrowed, may be NULL) has no control characters; otherwise
 * replies `message` (static) naming `field`. */
int fk_health_plain_or_reply(struct fk_req *req, const char *field, const char *text,
                             const char *message);

#endif
