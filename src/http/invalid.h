/* The two 422 replies every input check ends in, as one-liners for the
 * `..._or_reply` helpers: `return fk_reply_invalid(req, "name", "...");`. */
#ifndef FK_HTTP_INVALID_H
#define FK_HTTP_INVALID_H

struct fk_req;

/* Replies 422 invalid_field with `message` (borrowed) naming `field`
 * (errors.def INVALID_FIELD_MSG); returns -1. */
int fk_reply_invalid(struct fk_req *req, const char *field, const char *message);
/* Replies 422 missing_field naming `field` (errors.def MISSING_FIELD);
 * returns -1. */
int fk_reply_missing(struct fk_req *req, const char *field);

#endif
