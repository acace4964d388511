/* Health codes (健康码, DESIGN.md §2 "Health codes (三码)", issue 5 item 4).
 *
 * Each person's colour is computed by a rule engine (rules/ files) from
 * facts about them: case, contacts, quarantine, stays in or arrivals from
 * risk areas, owed or overdue tests, fever, recalled pool members. Other
 * modules do not compute colours: they record facts (fk_health_fact_record /
 * fk_health_fact_close) when their events happen, then ask for the person to
 * be re-evaluated (fk_health_refresh), and read the current colour with
 * fk_health_code_get. See docs/internals/healthcode.md. */
#ifndef FK_HEALTHCODE_HEALTHCODE_H
#define FK_HEALTHCODE_HEALTHCODE_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

/* Colours in precedence order: a higher value wins. */
enum fk_health_color {
    FK_HEALTH_GREEN = 0,
    FK_HEALTH_YELLOW = 1,
    FK_HEALTH_RED = 2,
};

/* "green", "yellow", "red" and 绿码/黄码/红码. */
const char *fk_health_color_name(enum fk_health_color color);
const char *fk_health_color_label(enum fk_health_color color);
/* The colour for a name; -1 when unknown. */
int fk_health_color_from_name(const char *name);

/* Kinds of fact (health_facts.kind). Append-only. */
enum fk_health_fact_kind {
    FK_FACT_CASE = 1,               /* confirmed case or asymptomatic infection */
    FK_FACT_CLOSE_CONTACT = 2,      /* 密切接触者 */
    FK_FACT_SECONDARY_CONTACT = 3,  /* 密接的密接 */
    FK_FACT_CENTRAL_QUARANTINE = 4, /* in a centralized quarantine site */
    FK_FACT_HOME_QUARANTINE = 5,    /* in home quarantine */
    FK_FACT_RISK_STAY = 6,          /* stayed in a risk area (level, region) */
    FK_FACT_RISK_ARRIVAL = 7,       /* arrived from a risk area or its county (level, region) */
    FK_FACT_TESTS_OWED = 8,         /* an arrival who still owes tests */
    FK_FACT_OVERDUE_TEST = 9,       /* a required test is overdue */
    FK_FACT_FEVER = 10,             /* a temperature >= the fever threshold was reported */
    FK_FACT_POOL_RECALL = 11,       /* member of a positive pool, recalled for a single tube */
    FK_FACT_ARRIVAL = 12,           /* arrived from `region` (GB/T 2260 origin): the rules match
                                       it against the risk areas in force */
};
/* "case", "close_contact", ...; NULL for an unknown kind. */
const char *fk_health_fact_name(enum fk_health_fact_kind kind);
/* The kind for a name, or 0. */
enum fk_health_fact_kind fk_health_fact_from_name(const char *name);

/* A fact to record. `source` names the module and `source_id` its record
 * (e.g. "homeq" and the home quarantine id): (source, source_id, kind,
 * person) is unique, and recording it again updates the open fact instead of
 * adding one (so retries are harmless). `level` ("high", "medium", "low") and
 * `region` (a region or GB/T 2260 county code) may be NULL; `detail` is a
 * short Chinese text shown as the reason's cause (may be NULL). `ended_at` 0
 * = open. Times are UTC epoch seconds. */
struct fk_health_fact {
    int64_t person_id;
    enum fk_health_fact_kind kind;
    const char *level;
    const char *region;
    int64_t started_at;
    int64_t ended_at;
    const char *source;
    int64_t source_id;
    const char *detail;
};

/* Records a fact inside the caller's transaction (if any). FK_ERR_INVALID for
 * a bad argument. */
enum fk_err fk_health_fact_record(struct fk_conn *db,
                                  const struct fk_health_fact *fact) FK_MUST_CHECK;
/* Closes the open facts of (source, source_id) at `ended_at` (kind 0 = all
 * kinds of that source record). Closing none is not an error. */
enum fk_err fk_health_fact_close(struct fk_conn *db, const char *source, int64_t source_id,
                                 enum fk_health_fact_kind kind, int64_t ended_at) FK_MUST_CHECK;

/* Re-evaluates one person's colour now from their facts and the active rule
 * set, storing it and logging a change of colour. Call after recording or
 * closing facts, inside the same transaction where there is one. */
enum fk_err fk_health_refresh(struct fk_conn *db, int64_t person_id) FK_MUST_CHECK;

/* A person's current code as last computed. */
struct fk_health_code {
    enum fk_health_color color;
    int64_t since;          /* when the colour last changed; 0 = never computed */
    char rules_version[64]; /* "" when never computed */
};
/* Reads the stored code; a person never computed is green with since 0.
 * The reasons are read with the HTTP API (GET /api/v1/persons/{id}/health-code). */
enum fk_err fk_health_code_get(struct fk_conn *db, int64_t person_id,
                               struct fk_health_code *out) FK_MUST_CHECK;

/* Check-ins just recorded (FK_EVENT_CHECKIN_RECORDED, published by
 * src/venues inside the check-in's transaction): who, when, and the region
 * of the place. The event's `detail` is a struct fk_place_visits (a batch
 * records several at once; the event's person_id, at and region are the
 * first one's). The health-code engine subscribes: stays inside a declared
 * (not lifted) local risk area, within its window as declaration does it
 * (from `from` minus the rule set's window until its planned end), become
 * risk_stay facts and the persons' codes are re-evaluated, in one query
 * when no area matches. Everything is borrowed by the subscriber. */
struct fk_place_visit {
    int64_t person_id;
    int64_t at;
    const char *region;
};
struct fk_place_visits {
    const struct fk_place_visit *visits;
    size_t n;
};

/* FK_EVENT_RISK_AREA_CHANGED detail (published by the risk areas inside the
 * change's transaction; the event's subject_id is the area, region its
 * region code). On a first declaration of a local area the people checked in
 * at venues under `prefix` during [from, until) are the area's visitors: a
 * subscriber that knows them (src/venues) reports each with
 * fk_health_risk_stay. The struct and what it points to are borrowed. */
struct fk_health_stays; /* opaque: the people the change re-evaluates */
struct fk_risk_area_change {
    int64_t area_id;
    int declared;       /* 1: first declaration; 0: level changed or lifted */
    int outside;        /* 1: an outside county (no local venues) */
    const char *prefix; /* the local area's region prefix */
    int64_t from;       /* visitors' window, set when declared && !outside */
    int64_t until;
    struct fk_health_stays *stays; /* owned by the publisher */
};
/* Records that `person_id` stayed in the area `change` declares at `at` (a
 * venue in `region`, borrowed): a risk_stay fact; the person is re-evaluated
 * with the others the change covers, once, before the transaction ends. */
enum fk_err fk_health_risk_stay(struct fk_conn *db, const struct fk_risk_area_change *change,
                                int64_t person_id, int64_t at, const char *region) FK_MUST_CHECK;

/* Subscribes the health-code engine to the events that change codes:
 * FK_EVENT_CHECKIN_RECORDED (stays in risk areas, above) and
 * FK_EVENT_HEALTH_FACT_CHANGED (the event's person_id is re-evaluated, as
 * fk_health_refresh does). Start-up only (src/cli/modules.c). */
enum fk_err fk_healthcode_subscribe(void) FK_MUST_CHECK;

/* Registers the health-code and risk-area routes. */
enum fk_err fk_healthcode_routes(void) FK_MUST_CHECK;

struct fk_app;
/* For `serve`, before the server listens: loads the rule sets (embedded, then
 * --rules-dir, validated strictly: FK_ERR_INVALID with `why` naming the file
 * and field) and starts the background sweep (expired reasons, due risk-area
 * steps and rule-set switches: at start, then hourly; switches checked every
 * minute). The sweep stops with fk_jobs_drain. */
enum fk_err fk_healthcode_start(struct fk_app *app, char *why, size_t why_size) FK_MUST_CHECK;

#endif
