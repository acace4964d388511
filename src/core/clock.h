/* The one clock all of fangkong reads time through.
 *
 * By default it is the system clock. FANGKONG_NOW (RFC 3339) makes it start at
 * that instant and run on from there, for tests and replayed scenarios. */
#ifndef FK_CORE_CLOCK_H
#define FK_CORE_CLOCK_H

#include <stdint.h>
#include <stddef.h>
#include "core/err.h"

/* Reads FANGKONG_NOW once; call at start-up before threads start.
 * FK_ERR_INVALID if the variable is set but is not RFC 3339. */
enum fk_err fk_clock_init(void) FK_MUST_CHECK;

/* Sets the clock to start at `epoch` now (tests only). */
void fk_clock_set(int64_t epoch);

/* Current time as UTC epoch seconds. */
int64_t fk_now(void);

/* Formats `epoch` as RFC 3339 in Asia/Shanghai (+08:00), e.g.
 * 2022-03-02T08:00:00+08:00. `out` must hold FK_RFC3339_LEN bytes. */
#define FK_RFC3339_LEN 32
void fk_time_format(int64_t epoch, char out[FK_RFC3339_LEN]);

/* Parses an RFC 3339 date-time with an offset ("Z" or "+hh:mm"), or a plain
 * date "YYYY-MM-DD" taken as midnight Asia/Shanghai. FK_ERR_INVALID if not. */
enum fk_err fk_time_parse(const char *text, int64_t *out) FK_MUST_CHECK;

/* Days since 1970-01-01 for a proleptic Gregorian civil date. */
int64_t fk_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Whether y-m-d is a real calendar date. */
int fk_date_valid(int y, int m, int d);

/* Today's civil date in Asia/Shanghai for `epoch`. */
void fk_civil_date(int64_t epoch, int *y, int *m, int *d);

#endif
