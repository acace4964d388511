/* The error registry: one row per error reply (errors.def). */
#ifndef FK_HTTP_ERRORS_H
#define FK_HTTP_ERRORS_H

#include <stddef.h>

enum fk_ecode {
#define FK_ERROR(name, status, code, message) FK_E_##name,
#include "http/errors.def"
#undef FK_ERROR
    FK_E_COUNT
};

struct fk_error_row {
    const char *name;    /* "NOT_FOUND" */
    unsigned status;     /* 404 */
    const char *code;    /* "not_found" */
    const char *message; /* Chinese, may hold one "%s" */
};

/* The row of `e`; NULL when `e` is out of range. Static storage. */
const struct fk_error_row *fk_error_row(enum fk_ecode e);

/* Writes the JSON body of row `e` naming `field` (may be NULL) into `out`
 * (at most `size` bytes, NUL-terminated): for replies written on a socket
 * outside libmicrohttpd. Returns its length, or -1 if it does not fit. */
int fk_error_body(enum fk_ecode e, const char *field, char *out, size_t size);

/* The OpenAPI schema of an error reply, its code an enum of the registry's
 * codes. New reference (the caller owns it); NULL when out of memory. */
#include <jansson.h>
json_t *fk_error_schema(void);

/* The reply body for when memory ran out (static, no allocation). */
extern const char fk_error_out_of_memory[];

#endif
