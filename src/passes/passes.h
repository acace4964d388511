/* One-code vehicle passes (一码通, DESIGN.md §2, issue 4 item 3): a vehicle,
 * its driver and passengers registered in advance (by the driver on the
 * public page or by staff), a signed FKV: code, and the passages recorded
 * when a checkpoint scans it. See docs/internals/passes.md. */
#ifndef FK_PASSES_PASSES_H
#define FK_PASSES_PASSES_H

#include "core/err.h"

/* Registers the vehicle-pass and passage routes (passes_api.c). */
enum fk_err fk_passes_routes(void) FK_MUST_CHECK;

#endif
