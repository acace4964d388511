#include "core/clock.h"
#include "core/parse.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHANGHAI_OFFSET (8 * 3600)

/* Offset added to the monotonic-free system clock; 0 unless FANGKONG_NOW set.
 * Written only at start-up (or by tests), read by every thread. */
static _Atomic int64_t clock_offset;
/* FANGKONG_CLOCK=frozen: fk_now() answers frozen_at and nothing else. */
static _Atomic int clock_is_frozen;
static _Atomic int64_t frozen_at;

static int64_t system_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

enum fk_err fk_clock_init(void)
{
    const char *env = getenv("FANGKONG_NOW");
    const char *mode = getenv("FANGKONG_CLOCK");
    int frozen = 0;
    if (mode != NULL && mode[0] != '\0') {
        if (strcmp(mode, "frozen") == 0)
            frozen = 1;
        else if (strcmp(mode, "running") != 0)
            return FK_ERR_INVALID;
    }
    if (env == NULL || env[0] == '\0')
        return frozen ? FK_ERR_INVALID : FK_OK;
    int64_t start;
    if (fk_time_parse(env, &start) != FK_OK)
        return FK_ERR_INVALID;
    fk_clock_freeze(frozen, start);
    return FK_OK;
}

void fk_clock_set(int64_t epoch)
{
    if (atomic_load(&clock_is_frozen))
        atomic_store(&frozen_at, epoch);
    else
        atomic_store(&clock_offset, epoch - system_now());
}

void fk_clock_freeze(int frozen, int64_t epoch)
{
    if (frozen) {
        atomic_store(&frozen_at, epoch);
        atomic_store(&clock_is_frozen, 1);
    } else {
        atomic_store(&clock_is_frozen, 0);
        atomic_store(&clock_offset, epoch - system_now());
    }
}

int fk_clock_frozen(void)
{
    return atomic_load(&clock_is_frozen);
}

enum fk_err fk_clock_advance(int64_t seconds)
{
    if (!atomic_load(&clock_is_frozen) || seconds < 0)
        return FK_ERR_INVALID;
    atomic_fetch_add(&frozen_at, seconds);
    return FK_OK;
}

int64_t fk_now(void)
{
    if (atomic_load_explicit(&clock_is_frozen, memory_order_relaxed))
        return atomic_load_explicit(&frozen_at, memory_order_relaxed);
    return system_now() + atomic_load(&clock_offset);
}

int64_t fk_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int fk_date_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return 0;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

void fk_civil_date(int64_t epoch, int *y, int *m, int *d)
{
    int64_t local = epoch + SHANGHAI_OFFSET;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    civil_from_days(days, y, m, d);
}

void fk_time_format(int64_t epoch, char out[FK_RFC3339_LEN])
{
    int64_t local = epoch + SHANGHAI_OFFSET;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, FK_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

enum fk_err fk_time_parse(const char *text, int64_t *out)
{
    if (text == NULL)
        return FK_ERR_INVALID;
    size_t len = strnlen(text, 64);
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (len < 10 || !digits(text, 4, &y) || text[4] != '-' || !digits(text + 5, 2, &mo) ||
        text[7] != '-' || !digits(text + 8, 2, &d) || !fk_date_valid(y, mo, d))
        return FK_ERR_INVALID;
    int64_t offset = SHANGHAI_OFFSET;
    if (len == 10)
        goto done;
    if (len < 20 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !digits(text + 11, 2, &h) || text[13] != ':' || !digits(text + 14, 2, &mi) ||
        text[16] != ':' || !digits(text + 17, 2, &s) || h > 23 || mi > 59 || s > 60)
        return FK_ERR_INVALID;
    const char *p = text + 19;
    if (*p == '.') { /* fractional seconds are accepted and dropped */
        p++;
        if (*p < '0' || *p > '9')
            return FK_ERR_INVALID;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return FK_ERR_INVALID;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    } else {
        return FK_ERR_INVALID;
    }
done:
    *out =
        fk_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return FK_OK;
}
