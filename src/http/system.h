#ifndef FK_HTTP_SYSTEM_H
#define FK_HTTP_SYSTEM_H
#include "core/err.h"
/* Adds /healthz, /metrics and /api/v1/openapi.json, and with a frozen clock
 * (FANGKONG_CLOCK=frozen; call after fk_clock_init) the test-only
 * POST /api/v1/test/clock. */
enum fk_err fk_http_system_routes(void) FK_MUST_CHECK;
#endif
