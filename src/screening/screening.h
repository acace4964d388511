/* Door-knock screening (敲门行动, DESIGN.md §2): campaigns over a region
 * subtree with a configurable list of areas of concern, grid workers who each
 * cover a set of compounds or buildings, visit records per household (reached
 * / nobody home / refused, members present, arrivals registered or linked,
 * symptoms), progress by grid, compound, community and township, the list of
 * households not yet reached, flags for arrivals from an area of concern and
 * the visit ledger. */
#ifndef FK_SCREENING_SCREENING_H
#define FK_SCREENING_SCREENING_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#define FK_SCREENING_MAX_AREAS 64         /* areas of concern per campaign */
#define FK_SCREENING_MAX_GRID_REGIONS 200 /* compounds/buildings per worker */
#define FK_SCREENING_MAX_ARRIVALS 20      /* arrivals per visit */
#define FK_SCREENING_MAX_MEMBERS 50       /* members present per visit */
#define FK_SCREENING_NAME_MAX 64          /* bytes of UTF-8: campaign, area, origin names */
#define FK_SCREENING_NOTE_MAX 500         /* bytes of UTF-8 */
#define FK_SCREENING_KEY_MAX 64           /* idempotency key: printable ASCII */

/* Visit outcomes. */
enum fk_visit_outcome {
    FK_VISIT_REACHED = 1,
    FK_VISIT_NOBODY_HOME = 2,
    FK_VISIT_REFUSED = 3,
};

/* The outcome named `name` ("reached", "nobody_home", "refused"), or 0. */
enum fk_visit_outcome fk_visit_outcome_from_name(const char *name);
/* The API name / the Chinese label of an outcome (static strings). */
const char *fk_visit_outcome_name(enum fk_visit_outcome outcome);
const char *fk_visit_outcome_label(const char *name);

/* Whether `name` is a known symptom ("fever", "cough", ...); its bit, or 0. */
unsigned fk_symptom_bit(const char *name);
/* Writes the symptoms of `bits` as "fever,cough" (API names, fixed order) or,
 * with `chinese`, as "发热、咳嗽" into out (at most `size` bytes). */
void fk_symptoms_format(unsigned bits, int chinese, char *out, size_t size);
/* The bits of a stored comma list (unknown names are ignored). */
unsigned fk_symptoms_parse(const char *list);

/* Whether `text` is a calendar date written YYYY-MM-DD; its day number
 * (days since 1970-01-01) in *days. */
int fk_screening_date(const char *text, int64_t *days);

/* Checks a GB/T 2260 code of an outside region: 2 digits (province), 4 (city)
 * or 6 (county), with a province part that exists and city/county parts that
 * are not "00". NULL when fine, else a Chinese reason (static). */
const char *fk_screening_area_code_check(const char *code);

struct fk_conn;

/* Checks an arrival from `origin_code` (2/4/6 digits) on `arrival_date`
 * (YYYY-MM-DD) at `destination` (a stored region code) against every campaign
 * active on that date whose region contains the destination. *concern is 1
 * when the origin is of concern for one of them; *campaign_id is the newest
 * such campaign and *worker_id the grid worker who covers the destination in
 * the newest concerned campaign that has one (0 when none). For other modules
 * (returnee registration) that flag arrivals for the grid. */
enum fk_err fk_screening_arrival_check(struct fk_conn *db, const char *destination,
                                       const char *arrival_date, const char *origin_code,
                                       int *concern, int64_t *campaign_id,
                                       int64_t *worker_id) FK_MUST_CHECK;

/* Registers the screening routes. */
enum fk_err fk_screening_routes(void) FK_MUST_CHECK;

#endif
