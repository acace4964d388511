#ifndef FK_HTTP_SYSTEM_H
#define FK_HTTP_SYSTEM_H
#include "core/err.h"
/* Adds /healthz, /metrics and /api/v1/openapi.json. */
enum fk_err fk_http_system_routes(void) FK_MUST_CHECK;
#endif
