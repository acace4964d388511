/* Helpers that fold what every record handler repeated: a record id in the
 * path, "absent or not yours is 404", a page of a list (http.h). */
#include "core/parse.h"
#include "http/http.h"

int fk_req_id_or_reply(struct fk_req *req, const char *param, enum fk_ecode e, const char *field,
                       int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, param), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, e, field);
        return -1;
    }
    return 0;
}

int fk_found_or_reply(struct fk_req *req, enum fk_err err, int visible, enum fk_ecode e,
                      const char *field)
{
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !visible)) {
        fk_reply_err(req, e, field);
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
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
