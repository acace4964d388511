/* Regions: district → township/street → community/village → compound →
 * building (DESIGN.md §2). Codes: the 12-digit statistical code (padded with
 * zeros for the district and townships), extended locally by 3 digits for
 * compounds and 3 more for buildings. The significant prefix of a code is what
 * jurisdiction filters compare (fk_store_in_region). */
#ifndef FK_REGIONS_REGIONS_H
#define FK_REGIONS_REGIONS_H

#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

#define FK_REGION_CODE_LEN 19

struct fk_region {
    char code[FK_REGION_CODE_LEN];
    char prefix[FK_REGION_CODE_LEN];
    char parent[FK_REGION_CODE_LEN]; /* "" for the root */
    char name[128];
    int level; /* 1 district .. 5 building */
};

/* Turns any accepted spelling of a code (6/9/12/15/18 digits) into the stored
 * code and its prefix. FK_ERR_INVALID with *reason if malformed. */
enum fk_err fk_region_normalize(const char *text, char code[FK_REGION_CODE_LEN],
                                char prefix[FK_REGION_CODE_LEN], const char **reason) FK_MUST_CHECK;

/* Loads a region by stored code. FK_ERR_NOT_FOUND if absent. */
enum fk_err fk_region_get(struct fk_conn *db, const char *code,
                          struct fk_region *out) FK_MUST_CHECK;

/* Inserts a region (parent must exist unless NULL/""). FK_ERR_CONFLICT if the
 * code exists. Computes the prefix. */
enum fk_err fk_region_add(struct fk_conn *db, const char *code, const char *parent,
                          const char *name, int level) FK_MUST_CHECK;

/* Chinese name of a level ("区县", "乡镇（街道）", ...). */
const char *fk_region_level_name(int level);

enum fk_err fk_regions_routes(void) FK_MUST_CHECK;

#endif
