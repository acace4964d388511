/* Handler helpers around looked-up records (lookup.h). */
#include "http/lookup.h"
#include "core/parse.h"

int fk_path_id_or_reply(struct fk_req *req, const char *param, enum fk_ecode not_found,
                        const char *field, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, param), 1, INT64_MAX, id) == FK_OK)
        return 0;
    fk_reply_err(req, not_found, field);
    return -1;
}

int fk_found_or_reply(struct fk_req *req, enum fk_err err, const char *region,
                      enum fk_ecode not_found, const char *field)
{
    if (err == FK_OK && (region == NULL || fk_req_covers(req, region)))
        return 0;
    if (err == FK_OK || err == FK_ERR_NOT_FOUND)
        fk_reply_err(req, not_found, field);
    else
        fk_reply_fail(req, err, NULL);
    return -1;
}

int fk_reply_invalid(struct fk_req *req, const char *field, const char *message)
{
    fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, field, message);
    return -1;
}
