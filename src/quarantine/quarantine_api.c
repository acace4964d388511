/* quarantine HTTP handlers (stub until the module lands). */
#include "quarantine/quarantine.h"

enum fk_err fk_quarantine_routes(void)
{
    return FK_OK;
}
