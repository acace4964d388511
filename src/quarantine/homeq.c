/* Home quarantine rules (no HTTP, no SQL): roles, reasons, outcomes, the
 * temperature slots and the overdue computation. See quarantine.h. */
#include "quarantine/quarantine.h"
#include "core/clock.h"

#include <math.h>
#include <string.h>

#define SHANGHAI_OFFSET (8 * 3600)

static const char *const role_names[FK_HOMEQ_ROLES] = {"township_cadre", "village_cadre",
                                                       "village_doctor", "police", "grid_worker"};
static const char *const role_labels[FK_HOMEQ_ROLES] = {"乡镇干部", "村（社区）干部", "村医",
                                                        "民警", "网格员"};

const char *fk_homeq_role_name(int role)
{
    return role >= 0 && role < FK_HOMEQ_ROLES ? role_names[role] : "";
}

const char *fk_homeq_role_label(int role)
{
    return role >= 0 && role < FK_HOMEQ_ROLES ? role_labels[role] : "";
}

int fk_homeq_role_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < FK_HOMEQ_ROLES; i++)
        if (strcmp(name, role_names[i]) == 0)
            return i;
    return -1;
}

struct label {
    const char *name, *label;
};

static const struct label reasons[] = {{"close_contact", "密切接触者"},
                                       {"secondary_contact", "次密切接触者"},
                                       {"returnee", "外省返乡人员"},
                                       {"other", "其他"}};
static const struct label outcomes[] = {
    {"released", "解除隔离"}, {"transferred_to_centralized", "转集中隔离"}, {"hospital", "送医"}};

static const struct label *find(const struct label *list, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            return &list[i];
    return NULL;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

int fk_homeq_reason_known(const char *name)
{
    return find(reasons, N_OF(reasons), name) != NULL;
}

int fk_homeq_outcome_known(const char *name)
{
    return find(outcomes, N_OF(outcomes), name) != NULL;
}

const char *fk_homeq_reason_label(const char *name)
{
    const struct label *l = find(reasons, N_OF(reasons), name);
    return l ? l->label : (name ? name : "");
}

const char *fk_homeq_outcome_label(const char *name)
{
    const struct label *l = find(outcomes, N_OF(outcomes), name);
    return l ? l->label : (name ? name : "");
}

const char *fk_homeq_letter_name(int letter)
{
    return letter == FK_HOMEQ_COMMITMENT ? "commitment" : "notification";
}

const char *fk_homeq_letter_label(int letter)
{
    return letter == FK_HOMEQ_COMMITMENT ? "承诺书" : "告知书";
}

int fk_homeq_celsius_x10(double celsius, int *x10)
{
    if (!isfinite(celsius))
        return -1;
    double tenths = round(celsius * 10.0);
    if (tenths < FK_HOMEQ_MIN_X10 || tenths > FK_HOMEQ_MAX_X10)
        return -1;
    *x10 = (int)tenths;
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void fk_homeq_slot_of(int64_t epoch, int64_t *day, int *pm)
{
    int64_t local = epoch + SHANGHAI_OFFSET;
    *day = floor_div(local, 86400);
    *pm = local - *day * 86400 >= FK_HOMEQ_AM_DUE_HOUR * 3600;
}

int64_t fk_homeq_slot_opens(int64_t day, int pm)
{
    return day * 86400 - SHANGHAI_OFFSET + (pm ? FK_HOMEQ_AM_DUE_HOUR * 3600 : 0);
}

int64_t fk_homeq_slot_due(int64_t day, int pm)
{
    return day * 86400 - SHANGHAI_OFFSET +
           (pm ? FK_HOMEQ_PM_DUE_HOUR : FK_HOMEQ_AM_DUE_HOUR) * (int64_t)3600;
}

static int recorded(const struct fk_homeq_facts *f, int64_t day, int pm)
{
    for (size_t i = 0; i < f->n_recorded; i++)
        if (f->recorded[i].day == day && (f->recorded[i].pm != 0) == (pm != 0))
            return 1;
    return 0;
}

static void add(struct fk_homeq_due *out, size_t max, size_t *n, const struct fk_homeq_due *item)
{
    if (*n < max)
        out[*n] = *item;
    (*n)++;
}

size_t fk_homeq_overdue(const struct fk_homeq_facts *f, int64_t now, struct fk_homeq_due *out,
                        size_t max)
{
    size_t n = 0;
    if (f->ended_at != 0 || now < f->starts_at)
        return 0;
    /* Temperatures: every slot that opened at or after the start and fell due
     * by min(now, planned end). The span is bounded by FK_HOMEQ_MAX_DAYS when
     * stored; the loop bound keeps a bad row from spinning. */
    int64_t limit = now < f->planned_end ? now : f->planned_end;
    int64_t first_day, last_day;
    int pm;
    fk_homeq_slot_of(f->starts_at, &first_day, &pm);
    fk_homeq_slot_of(limit, &last_day, &pm);
    if (last_day - first_day > FK_HOMEQ_MAX_DAYS + 1)
        last_day = first_day + FK_HOMEQ_MAX_DAYS + 1;
    for (int64_t day = first_day; day <= last_day; day++)
        for (int slot = 0; slot < 2; slot++) {
            int64_t due = fk_homeq_slot_due(day, slot);
            if (fk_homeq_slot_opens(day, slot) < f->starts_at || due > limit)
                continue;
            if (recorded(f, day, slot))
                continue;
            struct fk_homeq_due item = {
                .kind = FK_HOMEQ_DUE_TEMPERATURE, .day = day, .pm = slot, .due = due};
            add(out, max, &n, &item);
        }
    /* Letters: issued and signed within a day of the start. */
    int64_t letter_due = f->starts_at + FK_HOMEQ_LETTER_DUE;
    if (now >= letter_due)
        for (int letter = 0; letter < 2; letter++)
            for (int step = 0; step < 2; step++)
                if (f->letters[letter][step] == 0) {
                    struct fk_homeq_due item = {.kind = FK_HOMEQ_DUE_LETTER,
                                                .letter = letter,
                                                .step = step,
                                                .due = letter_due};
                    add(out, max, &n, &item);
                }
    /* The end: past the planned end and still active. */
    if (now >= f->planned_end) {
        struct fk_homeq_due item = {.kind = FK_HOMEQ_DUE_END, .due = f->planned_end};
        add(out, max, &n, &item);
    }
    return n;
}

unsigned fk_homeq_due_roles(const struct fk_homeq_due *due)
{
    switch (due->kind) {
    case FK_HOMEQ_DUE_TEMPERATURE:
        return 1u << FK_HOMEQ_GRID_WORKER | 1u << FK_HOMEQ_VILLAGE_DOCTOR;
    case FK_HOMEQ_DUE_LETTER: return 1u << FK_HOMEQ_VILLAGE_CADRE;
    case FK_HOMEQ_DUE_END: return 1u << FK_HOMEQ_TOWNSHIP_CADRE | 1u << FK_HOMEQ_VILLAGE_CADRE;
    }
    return 0;
}
