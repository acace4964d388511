/* The pure evaluation: a person's facts, their region, the risk areas in force
 * and a rule set at an instant give a colour, the reasons and when the answer
 * next changes. No SQL, no HTTP, no clock: the unit tests table-test it. */
#include "healthcode/healthcode_internal.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400
#define NEVER INT64_MAX

static const char *const kind_labels[] = {
    "",           "确诊病例或无症状感染者",
    "密切接触者", "密接的密接",
    "集中隔离",   "居家隔离",
    "到过风险区", "来自风险区",
    "待核酸检测", "核酸检测逾期",
    "发热",       "混管阳性召回",
    "外地抵达",
};

static void later(int64_t *next, int64_t at, int64_t now)
{
    if (at > now && at != NEVER && (*next == 0 || at < *next))
        *next = at;
}

static void add_reason(struct fk_heval *out, const struct fk_hrule *rule, int64_t since,
                       int64_t until, int64_t fact_id, int64_t area_id, const char *cause)
{
    out->n_total++;
    struct fk_hreason r = {.rule = rule,
                           .color = rule->color,
                           .since = since,
                           .until = until == NEVER ? 0 : until,
                           .fact_id = fact_id,
                           .area_id = area_id};
    snprintf(r.cause, sizeof(r.cause), "%s", cause);
    /* Keep the strongest: insertion by colour (red first), then earliest since. */
    int pos = out->n_reasons;
    while (pos > 0 &&
           (out->reasons[pos - 1].color < r.color ||
            (out->reasons[pos - 1].color == r.color && out->reasons[pos - 1].since > r.since)))
        pos--;
    if (pos >= FK_HEVAL_MAX_REASONS)
        return;
    int last = out->n_reasons < FK_HEVAL_MAX_REASONS ? out->n_reasons : FK_HEVAL_MAX_REASONS - 1;
    memmove(&out->reasons[pos + 1], &out->reasons[pos],
            (size_t)(last - pos) * sizeof(out->reasons[0]));
    out->reasons[pos] = r;
    if (out->n_reasons < FK_HEVAL_MAX_REASONS)
        out->n_reasons++;
}

static int area_in_force(const struct fk_harea *a, int64_t now)
{
    return a->level > 0 && a->from <= now && (a->until == 0 || now < a->until);
}

/* The strongest area in force that an arrival from `origin` matches. */
static const struct fk_harea *arrival_area(const struct fk_hrule *rule, const char *origin,
                                           const struct fk_harea *areas, size_t n_areas,
                                           int64_t now)
{
    const struct fk_harea *best = NULL;
    if (origin == NULL || strlen(origin) < 6)
        return NULL;
    for (size_t i = 0; i < n_areas; i++) {
        const struct fk_harea *a = &areas[i];
        if (!area_in_force(a, now) || !(rule->levels & (1u << a->level)) ||
            strncmp(a->county, origin, 6) != 0)
            continue;
        /* "area": the origin is the declared area itself (an outside county
         * or a whole local county); "county": any area in the origin county. */
        if (rule->match == FK_MATCH_AREA && !(a->outside || strlen(a->prefix) <= 6))
            continue;
        if (best == NULL || a->level > best->level)
            best = a;
    }
    return best;
}

void fk_health_evaluate(const struct fk_hrules *set, const char *region,
                        const struct fk_hfact *facts, size_t n_facts, const struct fk_harea *areas,
                        size_t n_areas, int64_t now, struct fk_heval *out)
{
    memset(out, 0, sizeof(*out));
    out->color = FK_HEALTH_GREEN;
    if (set == NULL)
        return;
    char cause[FK_HCAUSE_MAX];
    for (int ri = 0; ri < set->n_rules; ri++) {
        const struct fk_hrule *rule = &set->rules[ri];
        if (rule->kind == FK_RULE_RISK_RESIDENT) {
            for (size_t i = 0; region != NULL && i < n_areas; i++) {
                const struct fk_harea *a = &areas[i];
                if (a->outside || a->level <= 0 || !(rule->levels & (1u << a->level)) ||
                    a->prefix[0] == '\0' || strncmp(region, a->prefix, strlen(a->prefix)) != 0)
                    continue;
                if (a->from > now) {
                    later(&out->next_change, a->from, now);
                    continue;
                }
                if (a->until != 0 && a->until <= now)
                    continue;
                snprintf(cause, sizeof(cause), "居住地%s为%s", a->name,
                         fk_risk_level_label(a->level));
                add_reason(out, rule, a->from, a->until ? a->until : NEVER, 0, a->id, cause);
                later(&out->next_change, a->until, now);
            }
            continue;
        }
        for (size_t i = 0; i < n_facts; i++) {
            const struct fk_hfact *f = &facts[i];
            if (f->kind != rule->kind)
                continue;
            if ((f->kind == FK_FACT_RISK_STAY || f->kind == FK_FACT_RISK_ARRIVAL) &&
                (f->level <= 0 || !(rule->levels & (1u << f->level))))
                continue;
            int64_t from = f->started_at + (int64_t)rule->from_day * DAY, until = NEVER;
            if (rule->to_day > 0 && f->started_at + (int64_t)rule->to_day * DAY < until)
                until = f->started_at + (int64_t)rule->to_day * DAY;
            /* "Within N days": N days after the stay ended (or the arrival). */
            int64_t last = f->ended_at > 0 ? f->ended_at : f->started_at;
            if (rule->within_days > 0 && last + (int64_t)rule->within_days * DAY < until)
                until = last + (int64_t)rule->within_days * DAY;
            else if (rule->within_days == 0 && f->ended_at > 0 &&
                     f->ended_at + (int64_t)rule->expire_days * DAY < until)
                until = f->ended_at + (int64_t)rule->expire_days * DAY;
            const struct fk_harea *area = NULL;
            if (f->kind == FK_FACT_ARRIVAL) {
                area = arrival_area(rule, f->region, areas, n_areas, now);
                if (area == NULL)
                    continue;
                if (area->until != 0 && area->until < until)
                    until = area->until;
            }
            if (from >= until)
                continue;
            if (from > now) {
                later(&out->next_change, from, now);
                continue;
            }
            if (until <= now)
                continue;
            if (area != NULL)
                snprintf(cause, sizeof(cause), "自%s抵达（%s为%s）",
                         f->detail && f->detail[0] ? f->detail : f->region, area->name,
                         fk_risk_level_label(area->level));
            else if (f->detail != NULL && f->detail[0] != '\0')
                snprintf(cause, sizeof(cause), "%s", f->detail);
            else if (f->level > 0)
                snprintf(cause, sizeof(cause), "%s（%s%s%s）", kind_labels[f->kind],
                         f->region ? f->region : "", f->region ? "，" : "",
                         fk_risk_level_label(f->level));
            else
                snprintf(cause, sizeof(cause), "%s",
                         f->kind > 0 && f->kind <= FK_FACT_ARRIVAL ? kind_labels[f->kind] : "");
            add_reason(out, rule, from, until, f->id, area ? area->id : 0, cause);
            later(&out->next_change, until, now);
        }
    }
    if (out->n_reasons > 0) {
        out->color = out->reasons[0].color;
        out->since = out->reasons[0].since;
    }
}
