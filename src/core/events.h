/* Events between modules: a module announces what happened, others react,
 * without including each other (docs/internals/modules.md, "Events").
 *
 * A publisher calls fk_event_publish() inside the transaction that made the
 * change, with the connection of that transaction. Every subscriber of that
 * kind runs at once, in the order it subscribed, on the same connection; the
 * first one that fails stops the rest and its status is returned, so the
 * publisher rolls the whole change back. Subscribers register at start-up
 * (fk_modules_subscribe in src/cli), before any thread serves requests; the
 * table is read-only afterwards and needs no lock.
 *
 * The payload is borrowed for the duration of the call: a subscriber copies
 * what it keeps. */
#ifndef FK_CORE_EVENTS_H
#define FK_CORE_EVENTS_H

#include <stdint.h>
#include "core/err.h"

struct fk_conn;
struct fk_pii_key;

enum fk_event_kind {
    /* Home quarantine of person_id started / ended (subject_id: the order). */
    FK_EVENT_HOMEQ_STARTED = 1,
    FK_EVENT_HOMEQ_ENDED,
    /* A health fact about person_id changed (subject_id: the fact row, or 0). */
    FK_EVENT_HEALTH_FACT_CHANGED,
    /* A risk area was declared, changed or lifted (subject_id: the area;
     * region: its region code). */
    FK_EVENT_RISK_AREA_CHANGED,
    /* person_id checked in at a venue (subject_id: the venue; region: the
     * venue's region code). */
    FK_EVENT_CHECKIN_RECORDED,
    FK_EVENT_KIND_COUNT
};

/* What happened. Fields not named by the kind are 0 / NULL. */
struct fk_event {
    enum fk_event_kind kind;
    int64_t at;                   /* when it happened (epoch seconds) */
    int64_t person_id;            /* the person it is about, or 0 */
    int64_t subject_id;           /* the record it is about, or 0 */
    int64_t actor_id;             /* the user who caused it, or 0 */
    const char *region;           /* borrowed region code, or NULL */
    const struct fk_pii_key *key; /* borrowed, for subscribers that open sealed data */
    const void *detail;           /* kind-specific typed struct (documented per kind), or NULL */
};

/* A subscriber: returns FK_OK or the reason it failed (which aborts the
 * publisher's transaction). `ctx` is what was given at subscription. */
typedef enum fk_err (*fk_event_fn)(struct fk_conn *db, const struct fk_event *event, void *ctx);

#define FK_EVENT_MAX_SUBSCRIBERS 8 /* per kind */

/* Adds `fn` for `kind`; `name` (static) names it in logs; `ctx` is borrowed
 * and must live as long as the subscription (the process). Subscribing the same
 * fn twice for a kind is ignored. FK_ERR_INVALID for an unknown kind,
 * FK_ERR_TOO_LARGE when the kind has FK_EVENT_MAX_SUBSCRIBERS. Start-up only. */
enum fk_err fk_event_subscribe(enum fk_event_kind kind, fk_event_fn fn, void *ctx,
                               const char *name) FK_MUST_CHECK;

/* Runs the subscribers of event->kind in subscription order on `db`; `event`
 * and what it points to are borrowed for the call. FK_OK
 * when all succeed (or there are none); otherwise the first failure. */
enum fk_err fk_event_publish(struct fk_conn *db, const struct fk_event *event) FK_MUST_CHECK;

/* Forgets every subscriber (tests only). */
void fk_event_reset(void);

#endif
