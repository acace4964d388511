/* returnees HTTP handlers (stub until the module lands). */
#include "returnees/returnees.h"

enum fk_err fk_returnees_routes(void)
{
    return FK_OK;
}
