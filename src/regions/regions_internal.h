/* Internal to src/regions: what its store and its handler share. No other
 * module includes this. */
#ifndef FK_REGIONS_INTERNAL_H
#define FK_REGIONS_INTERNAL_H

#include <stddef.h>
#include "regions/regions.h"

/* Called once per child region; a failure stops the read. */
typedef enum fk_err (*fk_region_fn)(const struct fk_region *r, void *ctx);
/* The children of region `code` (borrowed), by code. */
enum fk_err fk_regions_children(struct fk_conn *db, const char *code, fk_region_fn each,
                                void *ctx) FK_MUST_CHECK;

/* What fk_regions_tally counts under each prefix. */
enum fk_region_tally {
    FK_TALLY_REGIONS,    /* regions of `level` */
    FK_TALLY_HOUSEHOLDS, /* households */
    FK_TALLY_PERSONS,    /* persons (merged ones too) */
};
/* counts[i] = the rows of `what` whose region starts with prefixes[i], for
 * i < n (prefixes borrowed; `level` only for FK_TALLY_REGIONS). One range
 * count per prefix from the column's index, which a GROUP BY on substr()
 * cannot use (measured: 6x slower at 400,000 persons). */
enum fk_err fk_regions_tally(struct fk_conn *db, enum fk_region_tally what, int level,
                             const char *const *prefixes, size_t n, int64_t *counts) FK_MUST_CHECK;

#endif
