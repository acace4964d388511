/* Facts other modules record, and the stored code they read (healthcode.h). */
#include "healthcode/healthcode.h"

#include <stdio.h>
#include <string.h>
#include "core/clock.h"

static const char *const color_names[] = {"green", "yellow", "red"};
static const char *const color_labels[] = {"绿码", "黄码", "红码"};

const char *fk_health_color_name(enum fk_health_color color)
{
    return (unsigned)color <= FK_HEALTH_RED ? color_names[color] : "green";
}

const char *fk_health_color_label(enum fk_health_color color)
{
    return (unsigned)color <= FK_HEALTH_RED ? color_labels[color] : color_labels[0];
}

int fk_health_color_from_name(const char *name)
{
    for (int c = FK_HEALTH_GREEN; c <= FK_HEALTH_RED; c++)
        if (name != NULL && strcmp(name, color_names[c]) == 0)
            return c;
    return -1;
}

static const char *const fact_names[] = {
    NULL,
    "case",
    "close_contact",
    "secondary_contact",
    "central_quarantine",
    "home_quarantine",
    "risk_stay",
    "risk_arrival",
    "tests_owed",
    "overdue_test",
    "fever",
    "pool_recall",
    "arrival",
};
#define FACT_KINDS (sizeof(fact_names) / sizeof(fact_names[0]))

const char *fk_health_fact_name(enum fk_health_fact_kind kind)
{
    return (unsigned)kind < FACT_KINDS ? fact_names[kind] : NULL;
}

enum fk_health_fact_kind fk_health_fact_from_name(const char *name)
{
    for (unsigned k = 1; k < FACT_KINDS; k++)
        if (name != NULL && strcmp(name, fact_names[k]) == 0)
            return (enum fk_health_fact_kind)k;
    return (enum fk_health_fact_kind)0;
}

static int level_ok(const char *level)
{
    return level == NULL || strcmp(level, "high") == 0 || strcmp(level, "medium") == 0 ||
           strcmp(level, "low") == 0;
}

enum fk_err fk_health_fact_record(struct fk_conn *db, const struct fk_health_fact *f)
{
    if (db == NULL || f == NULL || f->person_id < 1 || fk_health_fact_name(f->kind) == NULL ||
        f->source == NULL || f->source[0] == '\0' || strlen(f->source) > 32 || f->started_at <= 0 ||
        f->ended_at < 0 || !level_ok(f->level) || (f->region != NULL && strlen(f->region) > 18) ||
        (f->detail != NULL && strlen(f->detail) > 500))
        return FK_ERR_INVALID;
    int64_t now = fk_now();
    return fk_db_run(db, NULL,
                     "INSERT INTO health_facts (person_id, kind, level, region, started_at, "
                     "ended_at, source, source_id, detail, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (source, source_id, kind, person_id) DO UPDATE SET "
                     "level = excluded.level, region = excluded.region, "
                     "started_at = excluded.started_at, ended_at = excluded.ended_at, "
                     "detail = excluded.detail, updated_at = excluded.updated_at",
                     "itttiztitii", f->person_id, fk_health_fact_name(f->kind), f->level, f->region,
                     f->started_at, f->ended_at, f->source, f->source_id,
                     f->detail != NULL ? f->detail : "", now, now);
}

enum fk_err fk_health_fact_close(struct fk_conn *db, const char *source, int64_t source_id,
                                 enum fk_health_fact_kind kind, int64_t ended_at)
{
    if (db == NULL || source == NULL || source[0] == '\0' || ended_at <= 0 ||
        (kind != 0 && fk_health_fact_name(kind) == NULL))
        return FK_ERR_INVALID;
    return fk_db_run(db, NULL,
                     "UPDATE health_facts SET ended_at = ?, updated_at = ? WHERE source = ? AND "
                     "source_id = ? AND ended_at IS NULL AND (? = '' OR kind = ?)",
                     "iititt", ended_at, fk_now(), source, source_id,
                     kind != 0 ? fk_health_fact_name(kind) : "",
                     kind != 0 ? fk_health_fact_name(kind) : "");
}

enum fk_err fk_health_code_get(struct fk_conn *db, int64_t person_id, struct fk_health_code *out)
{
    memset(out, 0, sizeof(*out));
    if (db == NULL || person_id < 1)
        return FK_ERR_INVALID;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT color, since, rules_version FROM health_codes "
                                  "WHERE person_id = ?",
                                  "i", person_id);
    if (err == FK_OK && row) {
        int c = fk_health_color_from_name(fk_stmt_text(st, 0));
        out->color = c < 0 ? FK_HEALTH_GREEN : (enum fk_health_color)c;
        out->since = fk_stmt_int64(st, 1);
        const char *v = fk_stmt_text(st, 2);
        if (v != NULL) {
            snprintf(out->rules_version, sizeof(out->rules_version), "%s", v);
        }
    }
    fk_stmt_free(st);
    return err;
}
