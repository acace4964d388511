#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void fk_buf_init(struct fk_buf *buf, size_t cap)
{
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
    buf->cap = cap;
}

enum fk_err fk_buf_append(struct fk_buf *buf, const void *bytes, size_t len)
{
    if (len > buf->cap || buf->len > buf->cap - len) {
        fk_buf_free(buf);
        return FK_ERR_TOO_LARGE;
    }
    size_t need = buf->len + len + 1;
    if (need > buf->alloc) {
        size_t size = buf->alloc ? buf->alloc : 256;
        while (size < need)
            size *= 2;
        if (size > buf->cap + 1)
            size = buf->cap + 1;
        char *grown = realloc(buf->data, size);
        if (grown == NULL) {
            fk_buf_free(buf);
            return FK_ERR_NOMEM;
        }
        buf->data = grown;
        buf->alloc = size;
    }
    if (len > 0)
        memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return FK_OK;
}

enum fk_err fk_buf_append_str(struct fk_buf *buf, const char *text)
{
    return fk_buf_append(buf, text, strlen(text));
}

void fk_buf_free(struct fk_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
}

char *fk_buf_take(struct fk_buf *buf)
{
    char *data = buf->data;
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
    return data;
}
