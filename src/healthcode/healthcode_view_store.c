/* The health-code reads and staff writes that the HTTP API shows
 * (healthcode_api.c): a person's current code as JSON, its history, counts
 * by region, staff-recorded facts, the rule-set schedule. Owns the SQL of
 * those queries; no HTTP here. Changes run in a transaction of their own
 * with their audit entry (a copy of the borrowed `audit`, the request's
 * actor and IP). */
#include "audit/audit.h"
#include "core/clock.h"
#include "healthcode/healthcode_internal.h"
#include "http/http.h"
#include "http/caller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fk_err fk_health_audit(struct fk_conn *db, const struct fk_audit_entry *base,
                            const char *action, const char *target_type, int64_t id,
                            int64_t person_id, json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    struct fk_audit_entry e = *base;
    e.action = action;
    e.target_type = target_type;
    e.target_id = id_text;
    e.person_id = person_id;
    e.detail = detail;
    return fk_audit_write(db, &e);
}

/* Writes `base` as `action` about person `person_id` (also the target). */
static enum fk_err audit_person(struct fk_conn *db, const struct fk_audit_entry *base,
                                const char *action, int64_t person_id, json_t *detail)
{
    return fk_health_audit(db, base, action, "person", person_id, person_id, detail);
}

enum fk_err fk_health_person_in_scope(struct fk_conn *db, int64_t id, const char *scope,
                                      char region[24])
{
    char in_region[96], sql[256];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT region FROM person_directory WHERE id = ? AND merged_into IS NULL AND %s",
             in_region);
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, scope);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        snprintf(region, 24, "%s", fk_stmt_text(st, 0));
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}

/* The stored code as the API shows it (reasons with RFC 3339 times). */
static enum fk_err code_json(struct fk_conn *db, int64_t person_id, const struct fk_hrules *set,
                             json_t **out)
{
    *out = NULL;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT color, reasons, since, until_at, rules_version, "
                                  "updated_at FROM health_codes WHERE person_id = ?",
                                  "i", person_id);
    if (err != FK_OK)
        return err;
    int color = row ? fk_health_color_from_name(fk_stmt_text(st, 0)) : FK_HEALTH_GREEN;
    if (color < 0)
        color = FK_HEALTH_GREEN;
    json_t *reasons = json_array();
    if (row) {
        json_t *stored = json_loads(fk_stmt_text(st, 1), 0, NULL);
        size_t i;
        json_t *r;
        json_array_foreach(stored, i, r)
        {
            json_t *item = json_deep_copy(r);
            json_int_t since = json_integer_value(json_object_get(r, "since"));
            json_t *until = json_object_get(r, "until");
            json_object_set_new(item, "since", fk_time_or_null(since));
            json_object_set_new(item, "until",
                                json_is_integer(until) ? fk_time_or_null(json_integer_value(until))
                                                       : json_null());
            json_array_append_new(reasons, item);
        }
        json_decref(stored);
    }
    json_t *body = json_pack(
        "{s:I,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:o,s:o}", "person_id", (json_int_t)person_id, "color",
        fk_health_color_name((enum fk_health_color)color), "label",
        fk_health_color_label((enum fk_health_color)color), "reasons", reasons, "since",
        row ? fk_time_or_null(fk_stmt_int64(st, 2)) : json_null(), "rules_version",
        row ? fk_stmt_text(st, 4) : set->version, "rules_name", set->name, "rules_title",
        set->title, "until",
        row && !fk_stmt_is_null(st, 3) ? fk_time_or_null(fk_stmt_int64(st, 3)) : json_null(),
        "updated_at", row ? fk_time_or_null(fk_stmt_int64(st, 5)) : json_null());
    fk_stmt_free(st);
    if (body == NULL)
        return FK_ERR_NOMEM;
    *out = body;
    return FK_OK;
}

/* Whether the stored code must be re-evaluated: never computed, a reason
 * expired, or another rule set is in force. */
static enum fk_err stale(struct fk_conn *db, int64_t person_id, const struct fk_hrules *set,
                         int64_t now, int *is_stale)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT until_at, rules_version FROM health_codes WHERE "
                                  "person_id = ?",
                                  "i", person_id);
    if (err != FK_OK)
        return err;
    *is_stale = !row || (!fk_stmt_is_null(st, 0) && fk_stmt_int64(st, 0) <= now) ||
                strcmp(fk_stmt_text(st, 1), set->version) != 0;
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_health_code_current(struct fk_conn *db, int64_t person_id, json_t **out)
{
    *out = NULL;
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    int is_stale = 0;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err == FK_OK)
        err = stale(db, person_id, set, now, &is_stale);
    if (err == FK_OK && is_stale) {
        err = fk_db_begin(db);
        if (err == FK_OK)
            err = fk_health_refresh(db, person_id);
        err = fk_caller_finish(db, err);
    }
    if (err == FK_OK)
        err = code_json(db, person_id, set, out);
    return err;
}

static json_t *change_json(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:o,s:s?,s:s,s:s,s:s,s:s}", "at", fk_time_or_null(fk_stmt_int64(st, 0)),
                     "from_color", fk_stmt_text(st, 1), "to_color", fk_stmt_text(st, 2), "rule",
                     fk_stmt_text(st, 3), "cause", fk_stmt_text(st, 4), "rules_version",
                     fk_stmt_text(st, 5));
}

/* A page of person `id`'s rows of `table` (count and list share the filter),
 * each made by `row`. */
static enum fk_err person_rows_page(struct fk_conn *db, const char *count_head,
                                    const char *list_head, const char *order,
                                    json_t *(*row)(struct fk_stmt *, void *), int64_t id,
                                    int64_t page, int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "person_id = ?", "i", id);
    return fk_list_where(db, count_head, list_head, &w, order, row, NULL, page, per_page, items,
                         total);
}

enum fk_err fk_health_history_page(struct fk_conn *db, int64_t id, int64_t page, int64_t per_page,
                                   json_t *items, int64_t *total)
{
    return person_rows_page(db, "SELECT COUNT(*) FROM health_code_changes",
                            "SELECT at, from_color, to_color, rule, cause, rules_version FROM "
                            "health_code_changes",
                            " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", change_json, id, page,
                            per_page, items, total);
}

/* Runs "`head` <region filter>" and reads one count. */
static enum fk_err count_in(struct fk_conn *db, const char *head, const char *column,
                            const char *prefix, int64_t *out)
{
    char in_region[96], sql[320];
    fk_store_in_region(column, in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "%s%s", head, in_region);
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 1, prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        *out = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    return err;
}

/* Counts of one region subtree: persons, red and yellow codes. */
static enum fk_err counts_json(struct fk_conn *db, const char *code, const char *prefix,
                               const char *name, json_t **out)
{
    int64_t total = 0, red = 0, yellow = 0;
    enum fk_err err =
        count_in(db, "SELECT COUNT(*) FROM person_directory WHERE merged_into IS NULL AND ",
                 "region", prefix, &total);
    if (err == FK_OK)
        err = count_in(db, "SELECT COUNT(*) FROM health_codes WHERE color = 'red' AND ", "region",
                       prefix, &red);
    if (err == FK_OK)
        err = count_in(db, "SELECT COUNT(*) FROM health_codes WHERE color = 'yellow' AND ",
                       "region", prefix, &yellow);
    if (err != FK_OK)
        return err;
    int64_t green = total - red - yellow;
    *out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "region", code, "name", name, "total",
                     (json_int_t)total, "green", (json_int_t)(green < 0 ? 0 : green), "yellow",
                     (json_int_t)yellow, "red", (json_int_t)red);
    return *out != NULL ? FK_OK : FK_ERR_NOMEM;
}

/* The child regions of a stats answer: code, prefix, name. */
struct kids {
    char (*rows)[3][128];
    size_t n;
};

static enum fk_err kid_row(struct fk_stmt *st, void *ctx)
{
    struct kids *k = ctx;
    void *grown = realloc(k->rows, (k->n + 1) * sizeof(*k->rows));
    if (grown == NULL)
        return FK_ERR_NOMEM;
    k->rows = grown;
    for (int c = 0; c < 3; c++)
        snprintf(k->rows[k->n][c], sizeof(k->rows[k->n][c]), "%s", fk_stmt_text(st, c));
    k->n++;
    return FK_OK;
}

enum fk_err fk_health_stats(struct fk_conn *db, const char *scope, json_t **out)
{
    *out = NULL;
    struct fk_stmt *st = NULL;
    int row = 0;
    char code[24] = "", name[128] = "";
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT code, name FROM regions WHERE prefix = ?", "t", scope);
    if (err == FK_OK && row) {
        snprintf(code, sizeof(code), "%s", fk_stmt_text(st, 0));
        snprintf(name, sizeof(name), "%s", fk_stmt_text(st, 1));
    }
    fk_stmt_free(st);
    if (err == FK_OK && !row)
        return FK_ERR_NOT_FOUND;
    json_t *items = json_array(), *totals = NULL;
    if (err == FK_OK)
        err = counts_json(db, code, scope, name, &totals);
    /* Children first into memory: the counts need the connection. */
    struct kids kids = {NULL, 0};
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "parent = ?", "t", code);
    char sql[64 + FK_WHERE_SQL_MAX];
    snprintf(sql, sizeof(sql), "SELECT code, prefix, name FROM regions%s ORDER BY code", w.sql);
    if (err == FK_OK)
        err = fk_where_each(db, sql, &w, NULL, 0, kid_row, &kids, NULL, NULL);
    size_t n = kids.n;
    for (size_t i = 0; i < n && err == FK_OK && n <= 500; i++) {
        json_t *item = NULL;
        err = counts_json(db, kids.rows[i][0], kids.rows[i][1], kids.rows[i][2], &item);
        if (err == FK_OK)
            json_array_append_new(items, item);
    }
    free(kids.rows);
    if (err != FK_OK || items == NULL) {
        json_decref(items);
        json_decref(totals);
        return err != FK_OK ? err : FK_ERR_NOMEM;
    }
    json_t *region = json_pack("{s:s,s:s}", "code", code, "name", name);
    *out = json_pack("{s:o,s:o,s:o}", "region", region, "totals", totals, "items", items);
    return *out ? FK_OK : FK_ERR_NOMEM;
}

/* ---------- facts recorded by staff ---------- */

#define FACT_SELECT                                                                                \
    "SELECT id, kind, level, region, started_at, ended_at, source, detail, created_at, person_id " \
    "FROM health_facts"

static json_t *fact_json(struct fk_stmt *st)
{
    int kind = (int)fk_health_fact_from_name(fk_stmt_text(st, 1));
    static const char *const labels[] = {
        "",           "确诊病例或无症状感染者",
        "密切接触者", "密接的密接",
        "集中隔离",   "居家隔离",
        "到过风险区", "来自风险区",
        "待核酸检测", "核酸检测逾期",
        "发热",       "混管阳性召回",
        "外地抵达",
    };
    return json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:o,s:o,s:b,s:s,s:s,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "kind", fk_stmt_text(st, 1), "kind_label",
                     kind > 0 && kind <= FK_FACT_ARRIVAL ? labels[kind] : "", "level",
                     fk_stmt_text(st, 2), "region", fk_stmt_text(st, 3), "started_at",
                     fk_time_or_null(fk_stmt_int64(st, 4)), "ended_at",
                     fk_stmt_is_null(st, 5) ? json_null() : fk_time_or_null(fk_stmt_int64(st, 5)),
                     "open", fk_stmt_is_null(st, 5), "source", fk_stmt_text(st, 6), "detail",
                     fk_stmt_text(st, 7), "created_at", fk_time_or_null(fk_stmt_int64(st, 8)));
}

enum fk_err fk_health_fact_view(struct fk_conn *db, int64_t fact_id, json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    struct fk_health_code code;
    *out = NULL;
    enum fk_err err = fk_db_query(db, &st, &row, FACT_SELECT " WHERE id = ?", "i", fact_id);
    int64_t person_id = 0;
    if (err == FK_OK && row) {
        *out = fact_json(st);
        person_id = fk_stmt_int64(st, 9);
    }
    fk_stmt_free(st);
    if (err == FK_OK && *out == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK)
        err = fk_health_code_get(db, person_id, &code);
    if (err != FK_OK) {
        json_decref(*out);
        *out = NULL;
        return err;
    }
    json_object_set_new(*out, "color", json_string(fk_health_color_name(code.color)));
    return FK_OK;
}

static json_t *fact_row_json(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    return fact_json(st);
}

enum fk_err fk_health_facts_page(struct fk_conn *db, int64_t id, int64_t page, int64_t per_page,
                                 json_t *items, int64_t *total)
{
    return person_rows_page(db, "SELECT COUNT(*) FROM health_facts", FACT_SELECT,
                            " ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?", fact_row_json,
                            id, page, per_page, items, total);
}

enum fk_err fk_health_staff_fact_add(struct fk_conn *db, const struct fk_staff_fact *in,
                                     const struct fk_audit_entry *audit, int64_t *fact_id)
{
    *fact_id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, fact_id,
                    "INSERT INTO health_facts (person_id, kind, level, region, started_at, "
                    "ended_at, source, source_id, detail, created_at, updated_at) VALUES (?, "
                    "?, ?, ?, ?, ?, 'staff', ?, ?, ?, ?) RETURNING id",
                    "itttizitii", in->person_id, in->kind, in->level, in->region, in->started_at,
                    in->ended_at, in->source_id, in->detail ? in->detail : "", in->now, in->now);
    if (err == FK_OK)
        err = fk_health_refresh(db, in->person_id);
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:I,s:s,s:s?}", "fact_id", (json_int_t)*fact_id, "kind",
                                   in->kind, "level", in->level);
        err = audit_person(db, audit, "health_fact_create", in->person_id, detail);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

enum fk_err fk_health_fact_lookup(struct fk_conn *db, int64_t fact_id, const char *scope,
                                  struct fk_fact_row *out)
{
    char in_region[96], sql[400];
    fk_store_in_region("p.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT f.person_id, f.started_at, f.ended_at, f.source FROM health_facts f JOIN "
             "person_directory p ON p.id = f.person_id WHERE f.id = ? AND %s",
             in_region);
    struct fk_stmt *st = NULL;
    memset(out, 0, sizeof(*out));
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, fact_id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, scope);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK) {
        out->person_id = fk_stmt_int64(st, 0);
        out->started_at = fk_stmt_int64(st, 1);
        out->open = fk_stmt_is_null(st, 2);
        out->staff = strcmp(fk_stmt_text(st, 3), "staff") == 0;
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}

enum fk_err fk_health_staff_fact_end(struct fk_conn *db, int64_t fact_id, int64_t person_id,
                                     int64_t ended_at, const struct fk_audit_entry *audit)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, NULL,
                    "UPDATE health_facts SET ended_at = ?, updated_at = ? WHERE id = ? AND "
                    "ended_at IS NULL",
                    "iii", ended_at, fk_now(), fact_id);
    if (err == FK_OK)
        err = fk_health_refresh(db, person_id);
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:I,s:I}", "fact_id", (json_int_t)fact_id, "ended_at",
                                   (json_int_t)ended_at);
        err = audit_person(db, audit, "health_fact_end", person_id, detail);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

/* ---------- the rule-set schedule ---------- */

struct schedule_rows {
    int64_t now;
    json_t *schedule;
    json_t **next;
};

static enum fk_err schedule_row(struct fk_stmt *st, void *ctx)
{
    struct schedule_rows *c = ctx;
    int64_t now = c->now, from = fk_stmt_int64(st, 2);
    json_t *schedule = c->schedule, **next = c->next;
    json_array_append_new(
        schedule, json_pack("{s:I,s:s,s:o,s:o,s:s,s:b}", "id", (json_int_t)fk_stmt_int64(st, 0),
                            "name", fk_stmt_text(st, 1), "effective_from", fk_time_or_null(from),
                            "created_at", fk_time_or_null(fk_stmt_int64(st, 3)), "created_by",
                            fk_stmt_text(st, 4), "pending", from > now));
    if (from > now) {
        json_decref(*next);
        *next = json_pack("{s:s,s:o}", "name", fk_stmt_text(st, 1), "effective_from",
                          fk_time_or_null(from));
    }
    return FK_OK;
}

enum fk_err fk_hrules_schedule_json(struct fk_conn *db, int64_t now, json_t *schedule,
                                    json_t **next)
{
    struct fk_where none;
    fk_where_init(&none);
    struct schedule_rows c = {now, schedule, next};
    return fk_where_each(db,
                         "SELECT s.id, s.name, s.effective_from, s.created_at, "
                         "COALESCE(u.display_name, '') FROM health_rule_schedule s LEFT "
                         "JOIN user_directory u ON u.id = s.created_by ORDER BY s.effective_from "
                         "DESC, s.id DESC LIMIT 200",
                         &none, NULL, 0, schedule_row, &c, NULL, NULL);
}

enum fk_err fk_hrules_schedule_add(struct fk_conn *db, const char *name, int64_t from, int64_t now,
                                   const struct fk_audit_entry *audit, int64_t *id)
{
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, id,
                    "INSERT INTO health_rule_schedule (name, effective_from, created_by, "
                    "created_at) VALUES (?, ?, ?, ?) RETURNING id",
                    "tiii", name, from, audit->actor_id, now);
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)*id);
    json_t *detail = json_pack("{s:s,s:I}", "name", name, "effective_from", (json_int_t)from);
    struct fk_audit_entry e = *audit;
    e.action = "health_rules_schedule";
    e.target_type = "health_rule_schedule";
    e.target_id = id_text;
    e.detail = detail;
    if (err == FK_OK)
        err = fk_audit_write(db, &e);
    json_decref(detail);
    return fk_caller_finish(db, err);
}
