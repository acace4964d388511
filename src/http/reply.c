/* Replies and input helpers shared by every handler. */
#include "http/http.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "id/id.h"

#include <stdlib.h>
#include <string.h>

static void set_response(struct fk_req *req, unsigned status, struct MHD_Response *response)
{
    if (req->response != NULL) {
        /* A handler replied twice: keep the first, log the bug. */
        fk_log(FK_LOG_ERROR, "double_reply", json_pack("{s:s}", "path", req->path));
        if (response != NULL)
            MHD_destroy_response(response);
        return;
    }
    if (response == NULL) {
        response = MHD_create_response_from_buffer(
            strlen(fk_error_out_of_memory), (void *)fk_error_out_of_memory, MHD_RESPMEM_PERSISTENT);
        status = 503;
        MHD_add_response_header(response, "Content-Type", "application/json; charset=utf-8");
    }
    req->status = status;
    req->response = response;
}

void fk_reply_bytes(struct fk_req *req, unsigned status, const char *content_type, const void *data,
                    size_t len)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (response != NULL) {
        MHD_add_response_header(response, "Content-Type", content_type);
        MHD_add_response_header(response, "Cache-Control", "no-store");
    }
    set_response(req, status, response);
}

void fk_reply_json(struct fk_req *req, unsigned status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct MHD_Response *response = NULL;
    if (text != NULL) {
        response = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (response == NULL)
            free(text);
        else {
            MHD_add_response_header(response, "Content-Type", "application/json; charset=utf-8");
            MHD_add_response_header(response, "Cache-Control", "no-store");
        }
    }
    set_response(req, status, response);
}

void fk_reply_fail(struct fk_req *req, enum fk_err err, const char *field)
{
    switch (err) {
    case FK_ERR_NOT_FOUND: fk_reply_err(req, FK_E_NOT_FOUND, field); return;
    case FK_ERR_CONFLICT: fk_reply_err(req, FK_E_CONFLICT, field); return;
    case FK_ERR_INVALID: fk_reply_err(req, FK_E_INVALID_FIELD, field); return;
    case FK_ERR_FORBIDDEN: fk_reply_err(req, FK_E_FORBIDDEN, field); return;
    case FK_ERR_AUTH: fk_reply_err(req, FK_E_UNAUTHENTICATED, field); return;
    case FK_ERR_TOO_LARGE: fk_reply_err(req, FK_E_TOO_LARGE, field); return;
    case FK_ERR_BUSY: fk_reply_err(req, FK_E_BUSY, field); return;
    default:
        fk_log(FK_LOG_ERROR, "request_failed",
               json_pack("{s:s,s:s}", "path", req->path, "error", fk_err_name(err)));
        fk_reply_err(req, FK_E_INTERNAL, NULL);
    }
}

void fk_reply_empty(struct fk_req *req, unsigned status)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    set_response(req, status, response);
}

void fk_reply_header(struct fk_req *req, const char *name, const char *value)
{
    if (req->response != NULL)
        MHD_add_response_header(req->response, name, value);
}

void *fk_req_alloc(struct fk_req *req, size_t size)
{
    return fk_arena_alloc(&req->arena, size);
}

char *fk_req_strdup(struct fk_req *req, const char *text)
{
    return fk_arena_strdup(&req->arena, text);
}

json_t *fk_req_own_json(struct fk_req *req, json_t *json)
{
    if (json == NULL)
        return NULL;
    if (req->owned == NULL && (req->owned = json_array()) == NULL) {
        json_decref(json);
        return NULL;
    }
    /* json_array_append_new releases `json` when it fails */
    return json_array_append_new(req->owned, json) == 0 ? json : NULL;
}

const char *fk_req_param(const struct fk_req *req, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < req->n_params; i++)
        if (strncmp(req->param_names[i], name, len) == 0 && req->param_names[i][len] == '}')
            return req->param_values[i];
    return "";
}

const char *fk_req_query(const struct fk_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *fk_req_header(const struct fk_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static int reply_missing(struct fk_req *req, const char *name)
{
    fk_reply_err(req, FK_E_MISSING_FIELD, name);
    return -1;
}

static int reply_invalid(struct fk_req *req, const char *name, const char *message)
{
    fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, name, message);
    return -1;
}

int fk_json_str_or_reply(struct fk_req *req, const char *name, int required, size_t max_len,
                         const char **out)
{
    json_t *value = req->json ? json_object_get(req->json, name) : NULL;
    *out = NULL;
    if (value == NULL || json_is_null(value))
        return required ? reply_missing(req, name) : 0;
    if (!json_is_string(value))
        return reply_invalid(req, name, "字段类型应为字符串");
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (strlen(text) != len)
        return reply_invalid(req, name, "字段含有非法字符");
    if (len == 0)
        return required ? reply_missing(req, name) : 0;
    if (len > max_len)
        return reply_invalid(req, name, "字段过长");
    if (text[0] == ' ' || text[len - 1] == ' ')
        return reply_invalid(req, name, "字段首尾不能有空格");
    *out = text;
    return 0;
}

int fk_json_int_or_reply(struct fk_req *req, const char *name, int required, int64_t min,
                         int64_t max, int *present, int64_t *out)
{
    json_t *value = req->json ? json_object_get(req->json, name) : NULL;
    *present = 0;
    if (value == NULL || json_is_null(value))
        return required ? reply_missing(req, name) : 0;
    if (!json_is_integer(value))
        return reply_invalid(req, name, "字段类型应为整数");
    json_int_t v = json_integer_value(value);
    if (v < min || v > max)
        return reply_invalid(req, name, "字段超出允许范围");
    *present = 1;
    *out = v;
    return 0;
}

int fk_json_bool_or_reply(struct fk_req *req, const char *name, int *present, int *out)
{
    json_t *value = req->json ? json_object_get(req->json, name) : NULL;
    *present = 0;
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_boolean(value))
        return reply_invalid(req, name, "字段类型应为布尔值");
    *present = 1;
    *out = json_is_true(value);
    return 0;
}

int fk_page_or_reply(struct fk_req *req, int64_t *page, int64_t *per_page)
{
    const char *p = fk_req_query(req, "page");
    const char *pp = fk_req_query(req, "per_page");
    *page = 1;
    *per_page = 20;
    if (p != NULL && fk_parse_int64(p, 1, 1000000, page) != FK_OK)
        return reply_invalid(req, "page", "页码应为 1 以上的整数");
    if (pp != NULL && fk_parse_int64(pp, 1, 200, per_page) != FK_OK)
        return reply_invalid(req, "per_page", "每页条数应为 1 到 200 的整数");
    return 0;
}

int fk_query_time_or_reply(struct fk_req *req, const char *name, int *present, int64_t *out)
{
    const char *text = fk_req_query(req, name);
    *present = 0;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (fk_time_parse(text, out) != FK_OK)
        return reply_invalid(req, name, "时间格式应为 RFC 3339，例如 2022-03-02T08:00:00+08:00");
    *present = 1;
    return 0;
}

struct fk_conn *fk_req_db(struct fk_req *req)
{
    struct fk_conn *conn;
    if (fk_store_conn(req->app->store, &conn) != FK_OK) {
        fk_reply_err(req, FK_E_STORE_UNAVAILABLE, NULL);
        return NULL;
    }
    return conn;
}

int fk_req_covers(const struct fk_req *req, const char *region_code)
{
    size_t len = strlen(req->actor.prefix);
    return len > 0 && strncmp(region_code, req->actor.prefix, len) == 0;
}

json_t *fk_list_json(json_t *items, int64_t total, int64_t page, int64_t per_page)
{
    return json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "page",
                     (json_int_t)page, "per_page", (json_int_t)per_page);
}

void fk_reply_result(struct fk_req *req, enum fk_err err, unsigned status, json_t *body)
{
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, status, body);
}

enum fk_err fk_json_append(json_t *list, json_t *item)
{
    return item != NULL && json_array_append_new(list, item) == 0 ? FK_OK : FK_ERR_NOMEM;
}

int fk_scope_or_reply(struct fk_req *req, char scope[19])
{
    const char *region = fk_req_query(req, "region");
    snprintf(scope, 19, "%s", req->actor.prefix);
    if (region == NULL || region[0] == '\0')
        return 0;
    char prefix[19];
    int depth;
    const char *reason;
    if (fk_region_code_prefix(region, prefix, &depth, &reason) != FK_OK) {
        fk_reply_err(req, FK_E_REGION_FORMAT, "region");
        return -1;
    }
    if (!fk_req_covers(req, prefix)) {
        fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
        return -1;
    }
    snprintf(scope, 19, "%s", prefix);
    return 0;
}

json_t *fk_pii_json(const struct fk_pii_key *key, const char *context, const char *sealed, int full)
{
    char text[64];
    int rc = fk_pii_open_masked(key, context, sealed, full, text, sizeof(text));
    if (rc > 0)
        return json_null();
    return json_string(rc < 0 ? "（无法解密）" : text);
}

int fk_text_plain(const char *text)
{
    for (const char *p = text; p != NULL && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

void fk_like_prefix(const char *text, char *out, size_t size)
{
    size_t used = 0;
    for (size_t i = 0; text[i] != '\0';) {
        unsigned char lead = (unsigned char)text[i];
        size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        size_t k = 0;
        while (k < n && text[i + k] != '\0')
            k++;
        int escape = n == 1 && (lead == '%' || lead == '_' || lead == '!');
        if (used + k + (size_t)escape + 2 > size) /* + '%' and NUL */
            break;
        if (escape)
            out[used++] = '!';
        memcpy(out + used, text + i, k);
        used += k;
        i += k;
    }
    out[used++] = '%';
    out[used] = '\0';
}

int fk_person_q_or_reply(struct fk_req *req, int *kind, char value[FK_Q_VALUE_MAX])
{
    *kind = FK_Q_NONE;
    value[0] = '\0';
    const char *q = fk_req_query(req, "q");
    if (q == NULL || q[0] == '\0')
        return 0;
    size_t len = strlen(q);
    if (len > FK_Q_TEXT_MAX || !fk_text_plain(q))
        return reply_invalid(req, "q", "查询内容过长或含有控制字符");
    struct fk_resident_id id;
    const char *reason;
    if (len == 18 && fk_resident_id_parse(q, fk_now(), &id, &reason) == FK_OK) {
        *kind = FK_Q_ID_NUMBER;
        fk_pii_blind(&req->app->pii_key, "id_number", id.number, value);
        return 0;
    }
    /* A name prefix; LIKE wildcards in the text are taken literally. */
    fk_like_prefix(q, value, FK_Q_VALUE_MAX);
    *kind = FK_Q_NAME_PREFIX;
    return 0;
}

json_t *fk_time_json(int64_t epoch, int present)
{
    if (!present)
        return json_null();
    char text[FK_RFC3339_LEN];
    fk_time_format(epoch, text);
    return json_string(text);
}

json_t *fk_time_or_null(int64_t epoch)
{
    return fk_time_json(epoch, epoch > 0);
}

enum fk_err fk_list_run(struct fk_conn *db, const struct fk_list_query *q, int64_t page,
                        int64_t per_page, json_t *items, int64_t *total)
{
    *total = 0;
    enum fk_err err = items != NULL ? FK_OK : FK_ERR_NOMEM;
    for (int pass = 0; pass < 2 && err == FK_OK; pass++) {
        struct fk_stmt *st;
        if ((err = fk_stmt_prepare(db, pass == 0 ? q->count_sql : q->list_sql, &st)) != FK_OK)
            break;
        int idx = 1;
        if (q->bind != NULL)
            err = q->bind(st, q->bind_ctx, &idx);
        if (err == FK_OK && pass == 1) {
            err = fk_stmt_bind_int64(st, idx++, per_page);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        }
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            if (pass == 0) {
                *total = fk_stmt_int64(st, 0);
                continue;
            }
            json_t *item = q->row(st, q->row_ctx);
            if (item == NULL)
                err = FK_ERR_NOMEM;
            else
                json_array_append_new(items, item);
        }
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
    return err;
}
