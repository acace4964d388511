/* The one clock all of fangkong reads time through.
 *
 * By default it is the system clock. FANGKONG_NOW (RFC 3339) makes it start at
 * that instant and run on from there, for tests and replayed scenarios. With
 * FANGKONG_CLOCK=frozen as well, time stands still at FANGKONG_NOW and moves
 * only through fk_clock_set/fk_clock_advance (tests: the loopback-only
 * POST /api/v1/test/clock that `serve` adds in this mode only), so that a slow
 * start cannot move a time a test compares exactly. */
#ifndef FK_CORE_CLOCK_H
#define FK_CORE_CLOCK_H

#include <stdint.h>
#include <stddef.h>
#include "core/err.h"

/* Reads FANGKONG_NOW and FANGKONG_CLOCK once; call at start-up before threads
 * start. FK_ERR_INVALID if FANGKONG_NOW is set but is not RFC 3339, or if
 * FANGKONG_CLOCK is neither unset/empty, "running" nor "frozen", or is
 * "frozen" without FANGKONG_NOW. */
enum fk_err fk_clock_init(void) FK_MUST_CHECK;

/* Sets the clock to `epoch`: a running clock runs on from there, a frozen one
 * stays there (tests only). */
void fk_clock_set(int64_t epoch);

/* Freezes the clock at `epoch` (1) or lets it run on from its current
 * reading (0). Tests only; FANGKONG_CLOCK=frozen does this at fk_clock_init. */
void fk_clock_freeze(int frozen, int64_t epoch);

/* Whether the clock is frozen (FANGKONG_CLOCK=frozen). */
int fk_clock_frozen(void);

/* Moves a frozen clock on by `seconds` (>= 0). FK_ERR_INVALID when the clock
 * is not frozen or `seconds` is negative: a running clock never goes back. */
enum fk_err fk_clock_advance(int64_t seconds) FK_MUST_CHECK;

/* Current time as UTC epoch seconds. */
int64_t fk_now(void);

/* Formats `epoch` as RFC 3339 in Asia/Shanghai (+08:00), e.g.
 * 2022-03-02T08:00:00+08:00, into the caller's `out` of FK_RFC3339_LEN bytes. */
#define FK_RFC3339_LEN 32
void fk_time_format(int64_t epoch, char out[FK_RFC3339_LEN]);

/* Parses an RFC 3339 date-time with an offset ("Z" or "+hh:mm"), or a plain
 * date "YYYY-MM-DD" taken as midnight Asia/Shanghai. `text` is borrowed;
 * FK_ERR_INVALID (and *out untouched) if not. */
enum fk_err fk_time_parse(const char *text, int64_t *out) FK_MUST_CHECK;

/* Days since 1970-01-01 for a proleptic Gregorian civil date. */
int64_t fk_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Whether y-m-d is a real calendar date. */
int fk_date_valid(int y, int m, int d);

/* Today's civil date in Asia/Shanghai for `epoch`. */
void fk_civil_date(int64_t epoch, int *y, int *m, int *d);

#endif
