/* Quarantine: home quarantine follow-up (居家隔离, 五包一; DESIGN.md §2 "each
 * person has a five-person team, a signed commitment letter and notification
 * letter, temperature twice a day"). Centralized sites will join this module
 * later under their own names. The rules declared here are pure (no HTTP, no
 * SQL): homeq.c. */
#ifndef FK_QUARANTINE_QUARANTINE_H
#define FK_QUARANTINE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

/* Fever: a reading at or above 37.3 °C (national plan; tenths of a degree). */
#define FK_HOMEQ_FEVER_X10 373
/* Accepted readings: 35.0–42.0 °C. */
#define FK_HOMEQ_MIN_X10 350
#define FK_HOMEQ_MAX_X10 420
/* Longest home quarantine (planned end - start), days. */
#define FK_HOMEQ_MAX_DAYS 60
/* Temperature slots, local time (Asia/Shanghai): am opens at 00:00 and is due
 * by 12:00, pm opens at 12:00 and is due by 20:00. */
#define FK_HOMEQ_AM_DUE_HOUR 12
#define FK_HOMEQ_PM_DUE_HOUR 20
/* Letters are due (issued and signed) within this many seconds of the start. */
#define FK_HOMEQ_LETTER_DUE (24 * 3600)
/* Most overdue items one quarantine can produce: two slots a day for the
 * longest quarantine (plus a day of slack), four letter steps and the end. */
#define FK_HOMEQ_DUE_MAX (2 * (FK_HOMEQ_MAX_DAYS + 2) + 5)

#define FK_HOMEQ_NOTE_MAX 500

/* The five roles of the team (五包一), in display order. */
enum fk_homeq_role {
    FK_HOMEQ_TOWNSHIP_CADRE = 0, /* 乡镇干部 */
    FK_HOMEQ_VILLAGE_CADRE = 1,  /* 村（社区）干部 */
    FK_HOMEQ_VILLAGE_DOCTOR = 2, /* 村医 */
    FK_HOMEQ_POLICE = 3,         /* 民警 */
    FK_HOMEQ_GRID_WORKER = 4,    /* 网格员 */
    FK_HOMEQ_ROLES = 5,
};

/* The role's API name ("township_cadre", ...) and Chinese label. */
const char *fk_homeq_role_name(int role);
const char *fk_homeq_role_label(int role);
/* The role for an API name, or -1. */
int fk_homeq_role_from_name(const char *name);

/* Whether `name` is a reason (close_contact, secondary_contact, returnee,
 * other) / an outcome (released, transferred_to_centralized, hospital). */
int fk_homeq_reason_known(const char *name);
int fk_homeq_outcome_known(const char *name);
/* Chinese labels; the name itself if unknown. */
const char *fk_homeq_reason_label(const char *name);
const char *fk_homeq_outcome_label(const char *name);

/* Letters and their steps. */
enum fk_homeq_letter { FK_HOMEQ_COMMITMENT = 0, FK_HOMEQ_NOTIFICATION = 1 };
enum fk_homeq_step { FK_HOMEQ_ISSUED = 0, FK_HOMEQ_SIGNED = 1 };
const char *fk_homeq_letter_name(int letter);  /* "commitment", "notification" */
const char *fk_homeq_letter_label(int letter); /* "承诺书", "告知书" */

/* Reads a temperature in °C (a JSON number already converted to double) as
 * tenths, rounded to the nearest tenth. 0 when fine, -1 outside 35.0–42.0. */
int fk_homeq_celsius_x10(double celsius, int *x10);

/* The local civil day (days since 1970-01-01, Asia/Shanghai) of `epoch` and
 * whether it falls in the afternoon (local hour >= 12). */
void fk_homeq_slot_of(int64_t epoch, int64_t *day, int *pm);
/* The epoch at which slot (day, pm) opens and is due. */
int64_t fk_homeq_slot_opens(int64_t day, int pm);
int64_t fk_homeq_slot_due(int64_t day, int pm);

/* A recorded slot. */
struct fk_homeq_slot {
    int64_t day;
    int pm;
};

/* What the overdue computation needs to know of one quarantine. */
struct fk_homeq_facts {
    int64_t starts_at, planned_end;
    int64_t ended_at;      /* 0 while active */
    int64_t letters[2][2]; /* [letter][step]: epoch, 0 = not yet */
    const struct fk_homeq_slot *recorded;
    size_t n_recorded;
};

enum fk_homeq_due_kind {
    FK_HOMEQ_DUE_TEMPERATURE = 0, /* a slot passed without a reading */
    FK_HOMEQ_DUE_LETTER = 1,      /* a letter not issued / signed within 24 h */
    FK_HOMEQ_DUE_END = 2,         /* past its planned end but not ended */
};

/* One overdue follow-up. */
struct fk_homeq_due {
    enum fk_homeq_due_kind kind;
    int64_t day; /* temperature: the slot's civil day */
    int pm;      /* temperature: 1 = pm slot */
    int letter;  /* letter: enum fk_homeq_letter */
    int step;    /* letter: enum fk_homeq_step */
    int64_t due; /* when it fell due */
};

/* The follow-ups of an active quarantine that are overdue at `now` (an ended
 * one has none), oldest due first within each kind: temperature slots that
 * opened at or after the start and fell due by min(now, planned end) without
 * a reading; letter steps not done within FK_HOMEQ_LETTER_DUE of the start;
 * the end, when now is at or past the planned end. Writes at most `max` items
 * to `out` and returns how many there are (which may exceed max). */
size_t fk_homeq_overdue(const struct fk_homeq_facts *facts, int64_t now, struct fk_homeq_due *out,
                        size_t max);

/* The team roles responsible for an overdue item, as bits (1 << role):
 * temperatures → grid worker and village doctor; letters → village cadre;
 * the end → township cadre and village cadre. */
unsigned fk_homeq_due_roles(const struct fk_homeq_due *due);

struct fk_conn;
/* Whether person `person_id` is in an active home quarantine: *yes 1 or 0
 * (used by the four-colour cards: such a person's card is yellow). */
enum fk_err fk_homeq_person_active(struct fk_conn *db, int64_t person_id, int *yes) FK_MUST_CHECK;

/* Events (core/events.h). FK_EVENT_HOMEQ_STARTED is published inside the
 * transaction that creates home quarantine `subject_id` of `person_id`;
 * FK_EVENT_HOMEQ_ENDED inside the one that ends it, with `detail` pointing at
 * a struct fk_homeq_ended (borrowed for the call). */
struct fk_homeq_ended {
    const char *outcome; /* "released", "transferred", ... (borrowed) */
};

/* Registers the quarantine routes. */
enum fk_err fk_quarantine_routes(void) FK_MUST_CHECK;

#endif
