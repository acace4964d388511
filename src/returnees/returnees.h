/* returnees: see returnees.c. */
#ifndef FK_RETURNEES_RETURNEES_H
#define FK_RETURNEES_RETURNEES_H

#include "core/err.h"

/* Registers the returnees routes. */
enum fk_err fk_returnees_routes(void) FK_MUST_CHECK;

#endif
