/* Small helpers the modules' handlers share: the two 422 replies every input
 * check ends in, as one-liners for the `..._or_reply` helpers
 * (`return fk_reply_invalid(req, "name", "...");`), a path id, a nested string
 * member, and the reply of a list page. */
#ifndef FK_HTTP_HANDLER_H
#define FK_HTTP_HANDLER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "http/errors.h"
#include "http/lookup.h" /* fk_reply_invalid, fk_path_id_or_reply */

struct fk_req;

/* Replies 422 missing_field naming `field` (errors.def MISSING_FIELD);
 * returns -1. */
int fk_reply_missing(struct fk_req *req, const char *field);

/* A string member `name` of `object` (a nested object of the body, borrowed),
 * errors naming `field` (e.g. "person.phone"): absent, null or "" is
 * missing_field when `required`, else *out NULL; otherwise a string of at
 * most `max` bytes without NUL or control characters nor spaces at either
 * end. *out is borrowed from `object`. -1 after replying 422. */
int fk_member_str_or_reply(struct fk_req *req, const json_t *object, const char *name,
                           const char *field, int required, size_t max, const char **out);

#endif
