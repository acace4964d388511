/* The error registry's table and the replies built from it. */
#include "http/errors.h"
#include "http/http.h"

#include <stdio.h>
#include <string.h>

static const struct fk_error_row rows[FK_E_COUNT] = {
#define FK_ERROR(name, status, code, message) {#name, status, code, message},
#include "http/errors.def"
#undef FK_ERROR
};

const struct fk_error_row *fk_error_row(enum fk_ecode e)
{
    return (unsigned)e < FK_E_COUNT ? &rows[e] : NULL;
}

/* Fills the row's message: its single "%s" (if any) with `arg` (or ""). */
static void format_message(const struct fk_error_row *row, const char *arg, char *out, size_t size)
{
    const char *hole = strstr(row->message, "%s");
    if (hole == NULL) {
        snprintf(out, size, "%s", row->message);
        return;
    }
    snprintf(out, size, "%.*s%s%s", (int)(hole - row->message), row->message, arg ? arg : "",
             hole + 2);
}

const char fk_error_out_of_memory[] =
    "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"服务器内存不足\",\"field\":null}}";

static json_t *error_body(const struct fk_error_row *row, const char *field, const char *arg)
{
    char message[512];
    format_message(row, arg, message, sizeof(message));
    return json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", row->code, "message", message, "field",
                     field);
}

int fk_error_body(enum fk_ecode e, const char *field, char *out, size_t size)
{
    const struct fk_error_row *row = fk_error_row(e);
    json_t *body = row ? error_body(row, field, NULL) : NULL;
    size_t len = body ? json_dumpb(body, out, size, JSON_COMPACT) : 0;
    json_decref(body);
    if (len == 0 || len >= size)
        return -1;
    out[len] = '\0';
    return (int)len;
}

void fk_reply_err_ex(struct fk_req *req, enum fk_ecode e, const char *field, const char *arg,
                     json_t *in_error, json_t *top)
{
    const struct fk_error_row *row = fk_error_row(e);
    if (row == NULL)
        row = &rows[FK_E_INTERNAL];
    json_t *body = error_body(row, field, arg);
    json_t *error = json_object_get(body, "error");
    if (body != NULL && in_error != NULL)
        json_object_update_missing(error, in_error);
    if (body != NULL && top != NULL)
        json_object_update_missing(body, top);
    json_decref(in_error);
    json_decref(top);
    fk_reply_json(req, row->status, body);
}

void fk_reply_err(struct fk_req *req, enum fk_ecode e, const char *field)
{
    fk_reply_err_ex(req, e, field, NULL, NULL, NULL);
}

void fk_reply_errf(struct fk_req *req, enum fk_ecode e, const char *field, const char *arg)
{
    fk_reply_err_ex(req, e, field, arg, NULL, NULL);
}

json_t *fk_error_schema(void)
{
    json_t *codes = json_array();
    for (int i = 0; codes != NULL && i < FK_E_COUNT; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(rows[j].code, rows[i].code) == 0;
        if (!seen)
            json_array_append_new(codes, json_string(rows[i].code));
    }
    return json_pack("{s:s,s:{s:{s:s,s:{s:{s:s,s:o},s:{s:s},s:{s:s,s:b}}}}}", "type", "object",
                     "properties", "error", "type", "object", "properties", "code", "type",
                     "string", "enum", codes, "message", "type", "string", "field", "type",
                     "string", "nullable", 1);
}
