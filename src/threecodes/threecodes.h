/* The three-codes view (三码查验, issue 5 item 6): for checkpoint and venue
 * staff, one view of a scanned person — the health code, the itinerary
 * (registered arrivals and checkpoint passages of the last 14 days) and the
 * place code (venue check-ins). Reads other modules through their public
 * headers only. See docs/internals/threecodes.md. */
#ifndef FK_THREECODES_THREECODES_H
#define FK_THREECODES_THREECODES_H

#include "core/err.h"

/* Days of itinerary and check-ins the view covers. */
#define FK_THREECODES_DAYS 14
/* Most itinerary / place items returned (newest first). */
#define FK_THREECODES_MAX_ITEMS 100

/* Registers POST /api/v1/scans/three-codes and GET /api/v1/persons/{id}/three-codes. */
enum fk_err fk_threecodes_routes(void) FK_MUST_CHECK;

#endif
