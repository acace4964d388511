/* Routes of the signed-code module (codes_api.c). */
#ifndef FK_CODES_CODES_API_H
#define FK_CODES_CODES_API_H

#include "core/err.h"

/* GET /api/v1/keys, GET|POST /api/v1/revocations, POST /api/v1/scans/verify,
 * GET /api/v1/codes/qr.svg|qr.png. */
enum fk_err fk_codes_routes(void) FK_MUST_CHECK;

/* fangkong keys init|rotate|list|issue|revoke (codes_cmd.c); exit status. */
int fk_cmd_keys(int argc, char **argv);

#endif
