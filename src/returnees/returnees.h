/* Returnee registration (外省返乡登记报备, DESIGN.md §2): every arrival is
 * registered with origin, arrival date, transport, destination, the result of
 * the three-code check, the landing test and the disposition (home health
 * monitoring, home quarantine, centralized quarantine, yellow-code hotel).
 * Staff register arrivals in their jurisdiction; returnees register themselves
 * on a public page up to 48 hours before they arrive. Arrivals from an area of
 * concern of an active screening campaign are flagged for the grid worker of
 * their destination. The rules here are pure (no HTTP, no SQL). */
#ifndef FK_RETURNEES_RETURNEES_H
#define FK_RETURNEES_RETURNEES_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

struct fk_conn;

#define FK_RETURNEE_NOTE_MAX 500     /* bytes of UTF-8 */
#define FK_RETURNEE_ORIGIN_MAX 64    /* bytes of UTF-8: origin name */
#define FK_RETURNEE_TRIP_MAX 10      /* train/flight number: A-Z 0-9 */
#define FK_RETURNEE_REFERENCE_LEN 10 /* "R" + 8 characters + NUL */

/* Public self-registration window (DESIGN.md §2: registered and reported in
 * advance): an arrival at most this far ahead of now ... */
#define FK_RETURNEE_PUBLIC_AHEAD (48 * 3600)
/* ... and not more than this many days in the past. */
#define FK_RETURNEE_PUBLIC_PAST_DAYS 14
/* Staff register arrivals up to 30 days ahead and a year back. */
#define FK_RETURNEE_STAFF_AHEAD_DAYS 30
#define FK_RETURNEE_STAFF_PAST_DAYS 366

/* Rate limits of the public page: attempts per client address per hour and
 * per ID number per day. */
#define FK_RETURNEE_LIMIT_IP 10
#define FK_RETURNEE_LIMIT_IP_WINDOW 3600
#define FK_RETURNEE_LIMIT_ID 3
#define FK_RETURNEE_LIMIT_ID_WINDOW 86400

/* The enumerated fields of an arrival. */
enum fk_returnee_field {
    FK_RETURNEE_TRANSPORT = 0,
    FK_RETURNEE_THREE_CODE = 1,
    FK_RETURNEE_LANDING_TEST = 2,
    FK_RETURNEE_DISPOSITION = 3,
};

/* Whether `name` is a value of `field` ("car", "green", "negative", ...). */
int fk_returnee_value_known(enum fk_returnee_field field, const char *name);
/* The Chinese label of a value ("自驾", "绿码", ...); the name itself if unknown. */
const char *fk_returnee_value_label(enum fk_returnee_field field, const char *name);
/* The accepted values as a Chinese sentence for error messages (static). */
const char *fk_returnee_values_text(enum fk_returnee_field field);

/* Checks an arrival date (days since 1970-01-01, civil date in Asia/Shanghai)
 * against `now`: for the public page, its midnight at most 48 hours ahead and
 * at most 14 days back; for staff, 30 days ahead and a year back. NULL when
 * fine, else a Chinese reason (static). */
const char *fk_returnee_date_check(int64_t arrival_day, int64_t now, int public_page);

/* Checks a train or flight number: 2–10 of A–Z and 0–9 (upper case). NULL
 * when fine, else a Chinese reason (static). */
const char *fk_returnee_trip_check(const char *trip_no);

/* Writes a fresh random reference ("R" + 8 of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ). */
void fk_returnee_reference(char out[FK_RETURNEE_REFERENCE_LEN]);

/* Registers the returnees routes. */
enum fk_err fk_returnees_routes(void) FK_MUST_CHECK;

/* One registered arrival of a person, for itineraries (the three-codes view). */
struct fk_returnee_trip {
    int64_t id;
    const char *arrival_date; /* YYYY-MM-DD, Asia/Shanghai */
    const char *origin_code;  /* GB/T 2260 */
    const char *origin_name;
    const char *transport; /* car, train, flight, bus, other */
    const char *trip_no;   /* or NULL */
    const char *region;    /* destination region code */
    const char *region_name;
    int outside_province;
};
/* Calls `cb` for each arrival of the person with blind index `id_blind`
 * (context "id_number") on or after `since_date` (YYYY-MM-DD), newest first,
 * at most `max`. A non-zero return from `cb` stops (not an error). */
enum fk_err fk_returnee_trips(struct fk_conn *db, const char *id_blind, const char *since_date,
                              int max, int (*cb)(void *ctx, const struct fk_returnee_trip *trip),
                              void *ctx) FK_MUST_CHECK;

#endif
