/* One-code vehicle passes (一码通, DESIGN.md §2, issue 4 item 3): a vehicle,
 * its driver and passengers registered in advance (by the driver on the
 * public page or by staff), a signed FKV: code, and the passages recorded
 * when a checkpoint scans it. See docs/internals/passes.md. */
#ifndef FK_PASSES_PASSES_H
#define FK_PASSES_PASSES_H

#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

/* Registers the vehicle-pass and passage routes (passes_api.c). */
enum fk_err fk_passes_routes(void) FK_MUST_CHECK;

/* One checkpoint passage of a vehicle a person rode in, for itineraries. */
struct fk_person_passage {
    int64_t id;
    int64_t scanned_at; /* UTC epoch seconds */
    const char *checkpoint_name;
    const char *checkpoint_region;
    const char *plate;
    const char *decision; /* pass, test_here, turn_back, refer_quarantine */
    int seat;             /* 0 driver */
};
/* Calls `cb` for each passage since `since` of a vehicle pass on which the
 * person with blind index `id_blind` (context "id_number") was registered,
 * newest first, at most `max`. A non-zero return from `cb` stops. */
enum fk_err fk_passages_of_person(struct fk_conn *db, const char *id_blind, int64_t since, int max,
                                  int (*cb)(void *ctx, const struct fk_person_passage *p),
                                  void *ctx) FK_MUST_CHECK;
/* The Chinese label of a passage decision (放行, 就地检测, 劝返, 转送隔离). */
const char *fk_passage_decision_label(const char *decision);

#endif
