#include "core/err.h"

const char *fk_err_name(enum fk_err err)
{
    switch (err) {
    case FK_OK: return "ok";
    case FK_ERR_NOMEM: return "out_of_memory";
    case FK_ERR_INVALID: return "invalid";
    case FK_ERR_NOT_FOUND: return "not_found";
    case FK_ERR_CONFLICT: return "conflict";
    case FK_ERR_IO: return "io_error";
    case FK_ERR_DB: return "database_error";
    case FK_ERR_CRYPTO: return "crypto_error";
    case FK_ERR_AUTH: return "unauthenticated";
    case FK_ERR_FORBIDDEN: return "forbidden";
    case FK_ERR_TOO_LARGE: return "too_large";
    case FK_ERR_LOCKED: return "locked";
    case FK_ERR_INTERNAL: return "internal_error";
    case FK_ERR_BUSY: return "busy";
    case FK_ERR_DONE: return "done";
    }
    return "unknown";
}
