/* quarantine: see quarantine.c. */
#ifndef FK_QUARANTINE_QUARANTINE_H
#define FK_QUARANTINE_QUARANTINE_H

#include "core/err.h"

/* Registers the quarantine routes. */
enum fk_err fk_quarantine_routes(void) FK_MUST_CHECK;

#endif
