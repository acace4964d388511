/* A growable byte buffer with a mandatory cap (learned from curl's dynbuf).
 * Exceeding the cap frees the contents and returns FK_ERR_TOO_LARGE. */
#ifndef FK_CORE_BUF_H
#define FK_CORE_BUF_H

#include <stddef.h>
#include "core/err.h"

struct fk_buf {
    char *data; /* NUL-terminated when non-NULL; owned by the buffer */
    size_t len;
    size_t alloc;
    size_t cap; /* the most bytes it may ever hold */
};

/* An empty buffer (no allocation yet) that may hold at most `cap` bytes. */
void fk_buf_init(struct fk_buf *buf, size_t cap);
/* Appends a copy of `bytes` (borrowed). Past the cap (FK_ERR_TOO_LARGE) or
 * out of memory (FK_ERR_NOMEM) the contents are freed. */
enum fk_err fk_buf_append(struct fk_buf *buf, const void *bytes, size_t len) FK_MUST_CHECK;
/* fk_buf_append of the string `text` (borrowed), without its NUL. */
enum fk_err fk_buf_append_str(struct fk_buf *buf, const char *text) FK_MUST_CHECK;
/* Frees the contents; the buffer may be reused. */
void fk_buf_free(struct fk_buf *buf);
/* Hands the contents to the caller (free() them); the buffer is empty after. */
char *fk_buf_take(struct fk_buf *buf);

#endif
