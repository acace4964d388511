/* Venues (场所) and check-ins (扫码登记), issue 5 items 1 and 3.
 *
 * A venue has a category, a region (its jurisdiction), a responsible person
 * and a signed place code (FKS:) printed on an A4 poster. People check in by
 * scanning it (or venue staff scan them); each check-in is stored with the
 * colour of the person's health code at the time, and a red or yellow
 * arrival is refused entry. Check-ins are kept --checkin-retention-days
 * (default 28) and then purged. Other modules read check-ins through the
 * functions below (risk areas, tracing, itineraries). See
 * docs/internals/venues.md. */
#ifndef FK_VENUES_VENUES_H
#define FK_VENUES_VENUES_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

/* Venue categories (DESIGN.md §2 "Venues fall into 13 categories"). */
struct fk_venue_category {
    const char *name;  /* API identifier: "gate", "village", ... */
    const char *label; /* Chinese label: "小区（社区）卡口", ... */
    int dwell_minutes; /* typical stay, used by tracing */
};
#define FK_VENUE_CATEGORIES 13
/* The category table, in display order. */
const struct fk_venue_category *fk_venue_category_at(size_t i);
/* The category named `name`, or NULL. */
const struct fk_venue_category *fk_venue_category_find(const char *name);

/* Called for each check-in; returning non-zero stops the walk (the walk then
 * returns FK_ERR_DONE). `venue_region` is the venue's region code. */
typedef int (*fk_checkin_fn)(void *ctx, int64_t person_id, int64_t at, const char *venue_region);

/* Every check-in at a venue whose region lies under `region_prefix` (a
 * significant region prefix, e.g. a community's 9..12 digits) with `at` in
 * [from, until), in order of `at`. Refused arrivals are included (they were
 * there). Used when a risk area is declared (fk_venues_subscribe). */
enum fk_err fk_checkins_visitors_each(struct fk_conn *db, const char *region_prefix, int64_t from,
                                      int64_t until, fk_checkin_fn cb, void *ctx) FK_MUST_CHECK;

/* Every check-in of `person_id` with `at` in [from, until), in order of
 * `at` (itineraries, the three-codes view). */
enum fk_err fk_checkins_person_each(struct fk_conn *db, int64_t person_id, int64_t from,
                                    int64_t until, fk_checkin_fn cb, void *ctx) FK_MUST_CHECK;

/* Deletes check-ins older than `retention_days` before `now`: a check-in at
 * exactly now - retention_days * 86400 is kept, one a second older deleted.
 * *deleted receives the count; writes an audit entry (actor_id, actor) and a
 * log line. */
/* One check-in as a person's place record (the three-codes view). */
struct fk_person_visit {
    int64_t checkin_id, venue_id;
    const char *venue_name;
    const char *category; /* API identifier */
    const char *region;   /* the venue's region */
    int64_t at, left_at;  /* left_at 0 when not recorded */
    const char *color;    /* the health-code colour shown at the time */
    int allowed;          /* 0: refused entry */
};
/* `person_id`'s check-ins with `at` in [from, until), newest first, at most
 * `max`, with the venue's name. A non-zero return from `cb` stops. */
enum fk_err fk_checkins_person_visits(struct fk_conn *db, int64_t person_id, int64_t from,
                                      int64_t until, int max,
                                      int (*cb)(void *ctx, const struct fk_person_visit *v),
                                      void *ctx) FK_MUST_CHECK;

enum fk_err fk_checkins_purge(struct fk_conn *db, int64_t now, int64_t retention_days,
                              int64_t actor_id, const char *actor, int64_t *deleted) FK_MUST_CHECK;

/* Starts the scheduled purge on a job thread (src/jobs): once at once, then
 * hourly; it ends when fk_jobs_drain() is called at shutdown. Call after
 * fk_http_start(). `app` is borrowed and must outlive the server. */
struct fk_app;
enum fk_err fk_venues_start(struct fk_app *app) FK_MUST_CHECK;

/* Subscribes the venues to FK_EVENT_RISK_AREA_CHANGED: a local risk area
 * just declared gets its visitors (check-ins under it during its window)
 * through fk_health_risk_stay. Start-up only (src/cli/modules.c). */
enum fk_err fk_venues_subscribe(void) FK_MUST_CHECK;

/* Registers the venue and check-in routes. */
enum fk_err fk_venues_routes(void) FK_MUST_CHECK;

/* Demo data (`fangkong demo --venues N`): N venues in every community, the
 * categories in turn, each with a place code; one transaction. `key` seals
 * the signing key if none exists yet. *created receives the count. */
struct fk_pii_key;
enum fk_err fk_venues_demo(struct fk_conn *db, const struct fk_pii_key *key, int64_t per_community,
                           int64_t *created) FK_MUST_CHECK;

/* `fangkong purge --checkins --db DB [--retention-days N]`. */
int fk_cmd_purge(int argc, char **argv);

#endif
