/* Helpers that fold what every record handler repeated: a record id in the
 * path, "absent or not yours is 404", a page of a list (http.h). */
#include "core/clock.h"
#include "core/parse.h"
#include "http/lookup.h"

#include <stdio.h>

int fk_path_id_or_reply(struct fk_req *req, const char *param, enum fk_ecode not_found,
                        const char *field, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, param), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, not_found, field);
        return -1;
    }
    return 0;
}

int fk_found_or_reply(struct fk_req *req, enum fk_err err, const char *region,
                      enum fk_ecode not_found, const char *field)
{
    if (err == FK_ERR_NOT_FOUND ||
        (err == FK_OK && region != NULL && !fk_req_covers(req, region))) {
        fk_reply_err(req, not_found, field);
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

int fk_reply_invalid(struct fk_req *req, const char *field, const char *message)
{
    fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, field, message);
    return -1;
}

void fk_reply_list(struct fk_req *req, enum fk_err err, json_t *items, int64_t total, int64_t page,
                   int64_t per_page)
{
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

void fk_reply_svg(struct fk_req *req, enum fk_err err, struct fk_buf *image)
{
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else {
        fk_reply_bytes(req, 200, "image/svg+xml", image->data, image->len);
        fk_reply_header(req, "Cache-Control", "private, max-age=300");
    }
    fk_buf_free(image);
}

static enum fk_err bind_where(struct fk_stmt *st, const void *ctx, int *idx)
{
    return fk_where_bind(st, ctx, idx);
}

enum fk_err fk_list_where(struct fk_conn *db, const char *count_head, const char *list_head,
                          const struct fk_where *w, const char *order,
                          json_t *(*row)(struct fk_stmt *st, void *ctx), void *row_ctx,
                          int64_t page, int64_t per_page, json_t *items, int64_t *total)
{
    char count_sql[512 + FK_WHERE_SQL_MAX], list_sql[3072 + FK_WHERE_SQL_MAX];
    int a = snprintf(count_sql, sizeof(count_sql), "%s%s", count_head, w->sql);
    int b = snprintf(list_sql, sizeof(list_sql), "%s%s%s", list_head, w->sql, order);
    if (a < 0 || (size_t)a >= sizeof(count_sql) || b < 0 || (size_t)b >= sizeof(list_sql))
        return FK_ERR_TOO_LARGE;
    struct fk_list_query q = {count_sql, list_sql, bind_where, w, row, row_ctx};
    return fk_list_run(db, &q, page, per_page, items, total);
}

int fk_json_scanned_at_or_reply(struct fk_req *req, int64_t now, int64_t ahead, int64_t behind,
                                int64_t *at)
{
    const char *text;
    if (fk_json_str_or_reply(req, "scanned_at", 1, 40, &text) != 0)
        return -1;
    if (fk_time_parse(text, at) != FK_OK)
        return fk_reply_invalid(req, "scanned_at",
                                "时间格式应为 RFC 3339（例如 2022-03-02T08:00:00+08:00）");
    if (*at > now + ahead || *at < now - behind)
        return fk_reply_invalid(req, "scanned_at", "扫码时间应在 7 天前到现在之间");
    return 0;
}

int fk_idempotency_key_or_reply(struct fk_req *req, const char *key)
{
    for (const char *p = key; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return fk_reply_invalid(req, "idempotency_key", "幂等键应为 1–64 个可打印 ASCII 字符");
    return 0;
}
