/* The two 422 replies of input checks (invalid.h). */
#include "http/invalid.h"
#include "http/http.h"

int fk_reply_invalid(struct fk_req *req, const char *field, const char *message)
{
    fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, field, message);
    return -1;
}

int fk_reply_missing(struct fk_req *req, const char *field)
{
    fk_reply_err(req, FK_E_MISSING_FIELD, field);
    return -1;
}
