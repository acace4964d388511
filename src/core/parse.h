/* Number parsing: the only place strtol lives. */
#ifndef FK_CORE_PARSE_H
#define FK_CORE_PARSE_H

#include <stdint.h>
#include "core/err.h"

/* Parses a whole decimal string (borrowed) into [min, max]. FK_ERR_INVALID
 * otherwise; `out` is untouched on failure. */
enum fk_err fk_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out) FK_MUST_CHECK;

#endif
