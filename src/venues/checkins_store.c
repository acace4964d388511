/* Check-ins for other modules (visitors of a region, a person's
 * itinerary), the retention purge and its hourly schedule in the server. */
#include "audit/audit.h"
#include "healthcode/healthcode.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "residents/residents.h"
#include "venues/venues_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Runs `st` (bound) and calls cb per row (person_id, at, region). */
static enum fk_err walk(struct fk_stmt *st, fk_checkin_fn cb, void *ctx)
{
    enum fk_err err;
    while ((err = fk_stmt_step(st)) == FK_OK) {
        if (cb(ctx, fk_stmt_int64(st, 0), fk_stmt_int64(st, 1), fk_stmt_text(st, 2)) != 0) {
            err = FK_ERR_DONE;
            fk_stmt_free(st);
            return err;
        }
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_err fk_checkins_visitors_each(struct fk_conn *db, const char *region_prefix, int64_t from,
                                      int64_t until, fk_checkin_fn cb, void *ctx)
{
    if (db == NULL || region_prefix == NULL || region_prefix[0] == '\0' || cb == NULL ||
        strlen(region_prefix) > 18)
        return FK_ERR_INVALID;
    char in_region[96], sql[256];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT person_id, at, region FROM checkins WHERE %s AND at >= ? AND at < ? "
             "ORDER BY at, id",
             in_region);
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err != FK_OK)
        return err;
    if ((err = fk_stmt_bind_region(st, 1, region_prefix)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 3, from)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 4, until)) != FK_OK) {
        fk_stmt_free(st);
        return err;
    }
    return walk(st, cb, ctx);
}

enum fk_err fk_checkins_person_each(struct fk_conn *db, int64_t person_id, int64_t from,
                                    int64_t until, fk_checkin_fn cb, void *ctx)
{
    if (db == NULL || person_id < 1 || cb == NULL)
        return FK_ERR_INVALID;
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(db,
                                      "SELECT person_id, at, region FROM checkins WHERE "
                                      "person_id = ? AND at >= ? AND at < ? ORDER BY at, id",
                                      &st);
    if (err != FK_OK)
        return err;
    if ((err = fk_stmt_bind_int64(st, 1, person_id)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 2, from)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 3, until)) != FK_OK) {
        fk_stmt_free(st);
        return err;
    }
    return walk(st, cb, ctx);
}

enum fk_err fk_checkins_person_visits(struct fk_conn *db, int64_t person_id, int64_t from,
                                      int64_t until, int max,
                                      int (*cb)(void *ctx, const struct fk_person_visit *v),
                                      void *ctx)
{
    if (db == NULL || person_id < 1 || max < 1 || cb == NULL)
        return FK_ERR_INVALID;
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_stmt_prepare(
        db,
        "SELECT c.id, c.venue_id, COALESCE(v.name, ''), COALESCE(v.category, ''), c.region, c.at, "
        "COALESCE(c.left_at, 0), c.color, c.allowed FROM checkins c LEFT JOIN venues v ON v.id = "
        "c.venue_id WHERE c.person_id = ? AND c.at >= ? AND c.at < ? ORDER BY c.at DESC, c.id "
        "DESC LIMIT ?",
        &st);
    if (err != FK_OK)
        return err;
    if ((err = fk_stmt_bind_int64(st, 1, person_id)) == FK_OK &&
        (err = fk_stmt_bind_int64(st, 2, from)) == FK_OK &&
        (err = fk_stmt_bind_int64(st, 3, until)) == FK_OK)
        err = fk_stmt_bind_int64(st, 4, max);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        struct fk_person_visit v = {
            .checkin_id = fk_stmt_int64(st, 0),
            .venue_id = fk_stmt_int64(st, 1),
            .venue_name = fk_stmt_text(st, 2),
            .category = fk_stmt_text(st, 3),
            .region = fk_stmt_text(st, 4),
            .at = fk_stmt_int64(st, 5),
            .left_at = fk_stmt_int64(st, 6),
            .color = fk_stmt_text(st, 7),
            .allowed = fk_stmt_int64(st, 8) != 0,
        };
        if (cb(ctx, &v) != 0)
            break;
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_err fk_checkins_purge(struct fk_conn *db, int64_t now, int64_t retention_days,
                              int64_t actor_id, const char *actor, int64_t *deleted)
{
    *deleted = 0;
    if (db == NULL || retention_days < 1)
        return FK_ERR_INVALID;
    int64_t cutoff = fk_checkin_cutoff(now, retention_days);
    /* `day` narrows the scan to whole old days through checkins_day; `at`
     * decides on the cutoff day itself. */
    enum fk_err err = fk_db_begin(db);
    struct fk_stmt *st = NULL;
    int row = 0;
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row, "SELECT COUNT(*) FROM checkins WHERE day <= ? AND at < ?",
                          "ii", fk_checkin_day(cutoff), cutoff);
    if (err == FK_OK && row)
        *deleted = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    if (err == FK_OK && *deleted > 0)
        err = fk_db_run(db, NULL, "DELETE FROM checkins WHERE day <= ? AND at < ?", "ii",
                        fk_checkin_day(cutoff), cutoff);
    char kept_from[FK_RFC3339_LEN];
    fk_time_format(cutoff, kept_from);
    json_t *detail = json_pack("{s:I,s:I,s:s}", "deleted", (json_int_t)*deleted, "retention_days",
                               (json_int_t)retention_days, "kept_from", kept_from);
    if (err == FK_OK) {
        struct fk_audit_entry entry = {.actor_id = actor_id,
                                       .actor = actor ? actor : "system",
                                       .action = "checkin_purge",
                                       .target_type = "checkin",
                                       .detail = detail};
        err = fk_audit_write(db, &entry);
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        *deleted = 0;
        json_decref(detail);
        fk_log(FK_LOG_ERROR, "checkins_purge_failed",
               json_pack("{s:s}", "error", fk_err_name(err)));
        return err;
    }
    json_object_set_new(detail, "actor", json_string(actor ? actor : "system"));
    fk_log(FK_LOG_INFO, "checkins_purged", detail);
    return FK_OK;
}

/* --- the schedule: at start, then hourly, on a job thread --- */

#define PURGE_EVERY_SECONDS 3600

static void purge_loop(void *arg)
{
    struct fk_app *app = arg;
    struct timespec last = {0, 0};
    int first = 1;
    while (!fk_jobs_stopping()) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (first || now.tv_sec - last.tv_sec >= PURGE_EVERY_SECONDS) {
            first = 0;
            last = now;
            struct fk_conn *db = NULL;
            int64_t deleted = 0;
            if (fk_store_conn(app->store, &db) != FK_OK ||
                fk_checkins_purge(db, fk_now(), app->cfg.checkin_retention_days, 0, "system",
                                  &deleted) != FK_OK)
                fk_log_msg(FK_LOG_WARN, "checkins_purge_skipped", "will try again in an hour");
        }
        struct timespec tick = {1, 0};
        nanosleep(&tick, NULL);
    }
}

enum fk_err fk_venues_start(struct fk_app *app)
{
    return fk_job_run(app, purge_loop, app);
}

/* 13 parameters a row: 4 rows stay within the store's 64 parameters. */
#define ROWS_PER_INSERT 4

/* INSERT … VALUES (13 typed parameters) × rows … ON CONFLICT DO NOTHING RETURNING
 * id, idempotency_key; malloc'd. */
static char *insert_sql(size_t rows)
{
    static const char head[] =
        "INSERT INTO checkins(venue_id, region, person_id, at, left_at, day, color, allowed, "
        "reason, source, created_by, idempotency_key, created_at) VALUES ";
    /* Typed: PostgreSQL types the parameters of a multi-row VALUES list
     * as text unless told (a single row takes the column types). */
#define B "CAST(? AS BIGINT)"
#define T "CAST(? AS TEXT)"
    static const char row[] =
        "(" B "," T "," B "," B "," B "," B "," T "," B "," T "," T "," B "," T "," B ")";
#undef B
#undef T
    static const char tail[] =
        " ON CONFLICT (created_by, idempotency_key) DO NOTHING RETURNING id, idempotency_key";
    size_t size = sizeof(head) + rows * sizeof(row) + sizeof(tail);
    char *sql = malloc(size);
    if (sql == NULL)
        return NULL;
    size_t len = (size_t)snprintf(sql, size, "%s", head);
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(sql + len, size - len, "%s%s", i ? "," : "", row);
    snprintf(sql + len, size - len, "%s", tail);
    return sql;
}

enum fk_err fk_checkins_store(struct fk_conn *db, struct fk_checkin_item *items, size_t n,
                              const char *source, int64_t now, const struct fk_audit_entry *audit)
{
    struct fk_stmt *ins = NULL, *sel = NULL;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    size_t dups = 0;
    /* Multi-row INSERTs of up to ROWS_PER_INSERT items: one round trip each
     * on PostgreSQL. Rows come back as (id, key) in no promised order; an
     * item whose key came back is new, the others are duplicates (of an
     * earlier request, or of an earlier item of this one). */
    for (size_t start = 0; start < n && err == FK_OK; start += ROWS_PER_INSERT) {
        size_t m = n - start < ROWS_PER_INSERT ? n - start : ROWS_PER_INSERT;
        if (ins == NULL || m != ROWS_PER_INSERT) {
            if (ins != NULL)
                fk_stmt_free(ins);
            ins = NULL;
            char *sql = insert_sql(m);
            err = sql ? fk_stmt_prepare(db, sql, &ins) : FK_ERR_NOMEM;
            free(sql);
            if (err != FK_OK)
                break;
        } else {
            fk_stmt_reset(ins);
        }
        int k = 1;
        for (size_t i = start; i < start + m && err == FK_OK; i++) {
            struct fk_checkin_item *it = &items[i];
            if ((err = fk_stmt_bind_int64(ins, k++, it->venue_id)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, it->region)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, it->person_id)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, it->at)) == FK_OK &&
                (err = it->left_at ? fk_stmt_bind_int64(ins, k++, it->left_at)
                                   : fk_stmt_bind_null(ins, k++)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, fk_checkin_day(it->at))) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, fk_health_color_name(it->color))) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, it->allowed)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, it->reason)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, source)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, audit->actor_id)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, it->key)) == FK_OK)
                err = fk_stmt_bind_int64(ins, k++, now);
        }
        while (err == FK_OK && (err = fk_stmt_step(ins)) == FK_OK) {
            const char *key = fk_stmt_text(ins, 1);
            for (size_t i = start; i < start + m; i++)
                if (items[i].id == 0 && strcmp(items[i].key, key) == 0) {
                    items[i].id = fk_stmt_int64(ins, 0);
                    break;
                }
        }
        if (err == FK_ERR_DONE)
            err = FK_OK;
        for (size_t i = start; i < start + m && err == FK_OK; i++)
            if (items[i].id == 0) {
                items[i].duplicate = 1;
                dups++;
            }
    }
    if (err == FK_OK && dups > 0)
        err = fk_stmt_prepare(db,
                              "SELECT id, venue_id, region, person_id, at, left_at, color, "
                              "allowed, reason FROM checkins WHERE created_by = ? AND "
                              "idempotency_key = ?",
                              &sel);
    for (size_t i = 0; i < n && err == FK_OK && dups > 0; i++) {
        struct fk_checkin_item *it = &items[i];
        if (!it->duplicate)
            continue;
        fk_stmt_reset(sel);
        if ((err = fk_stmt_bind_int64(sel, 1, audit->actor_id)) == FK_OK &&
            (err = fk_stmt_bind_text(sel, 2, it->key)) == FK_OK)
            err = fk_stmt_step(sel);
        if (err == FK_ERR_DONE)
            err = FK_ERR_DB; /* the conflicting row must exist */
        if (err != FK_OK)
            break;
        it->id = fk_stmt_int64(sel, 0);
        it->venue_id = fk_stmt_int64(sel, 1);
        it->person_id = fk_stmt_int64(sel, 3);
        it->at = fk_stmt_int64(sel, 4);
        it->left_at = fk_stmt_is_null(sel, 5) ? 0 : fk_stmt_int64(sel, 5);
        it->color = fk_health_color_from_name(fk_stmt_text(sel, 6));
        if (it->color < 0)
            it->color = FK_HEALTH_GREEN;
        it->allowed = fk_stmt_int64(sel, 7) != 0;
        snprintf(it->reason, sizeof(it->reason), "%s", fk_stmt_text(sel, 8));
    }
    /* A stay inside a declared risk area turns the code (the colour stored
     * above is the one shown at the door, before this visit). */
    if (err == FK_OK && dups < n) {
        struct fk_place_visit *visits = calloc(n, sizeof(*visits));
        size_t m = 0, first = 0;
        for (size_t i = 0; visits != NULL && i < n; i++)
            if (!items[i].duplicate) {
                first = m ? first : i;
                visits[m++] =
                    (struct fk_place_visit){items[i].person_id, items[i].at, items[i].region};
            }
        struct fk_place_visits batch = {visits, m};
        struct fk_event event = {.kind = FK_EVENT_CHECKIN_RECORDED,
                                 .at = m ? visits[0].at : now,
                                 .person_id = m ? visits[0].person_id : 0,
                                 .subject_id = items[first].venue_id,
                                 .actor_id = audit->actor_id,
                                 .region = m ? visits[0].region : NULL,
                                 .detail = &batch};
        err = visits != NULL ? fk_event_publish(db, &event) : FK_ERR_NOMEM;
        free(visits);
    }
    /* One audit entry per request: the person for a single check-in, the
     * count and venues for a batch. */
    if (err == FK_OK) {
        json_t *venues = json_array();
        for (size_t i = 0; venues && i < n && i < 20; i++)
            json_array_append_new(venues, json_integer(items[i].venue_id));
        json_t *detail =
            json_pack("{s:s,s:I,s:I,s:o}", "source", source, "items", (json_int_t)n, "duplicates",
                      (json_int_t)dups, "venue_ids", venues ? venues : json_null());
        char target[24];
        snprintf(target, sizeof(target), "%lld", (long long)items[0].id);
        struct fk_audit_entry entry = *audit;
        entry.action = n == 1 ? "checkin_create" : "checkin_batch";
        entry.target_type = "checkin";
        entry.target_id = n == 1 ? target : NULL;
        entry.person_id = n == 1 ? items[0].person_id : 0;
        entry.detail = detail;
        err = fk_audit_write(db, &entry);
        json_decref(detail);
    }
    if (ins != NULL)
        fk_stmt_free(ins);
    if (sel != NULL)
        fk_stmt_free(sel);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}

/* --- the check-in lists --- */

#define LIST_COLUMNS                                                                               \
    "c.id, c.venue_id, COALESCE(v.name, ''), COALESCE(v.category, ''), c.region, c.person_id, "    \
    "COALESCE(p.name, ''), p.id_sealed, c.at, c.left_at, c.color, c.allowed, c.reason, "           \
    "c.source, c.created_at"
#define LIST_FROM                                                                                  \
    " FROM checkins c LEFT JOIN venues v ON v.id = c.venue_id LEFT JOIN person_directory p ON "    \
    "p.id = "                                                                                      \
    "c.person_id"

static json_t *row_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role)
{
    int color = fk_health_color_from_name(fk_stmt_text(st, 10));
    if (color < 0)
        color = FK_HEALTH_GREEN;
    const struct fk_venue_category *cat = fk_venue_category_find(fk_stmt_text(st, 3));
    json_t *id_json = fk_stmt_is_null(st, 7) ? json_null()
                                             : fk_pii_json(key, "id_number", fk_stmt_text(st, 7),
                                                           fk_role_sees_full_id(role));
    return json_pack(
        "{s:I,s:{s:I,s:s,s:s,s:s,s:s},s:{s:I,s:s,s:o},s:o,s:o,s:s,s:s,s:b,s:s,s:s,s:o}", "id",
        (json_int_t)fk_stmt_int64(st, 0), "venue", "id", (json_int_t)fk_stmt_int64(st, 1), "name",
        fk_stmt_text(st, 2), "category", fk_stmt_text(st, 3), "category_label",
        cat ? cat->label : "", "region", fk_stmt_text(st, 4), "person", "id",
        (json_int_t)fk_stmt_int64(st, 5), "name", fk_stmt_text(st, 6), "id_number",
        id_json ? id_json : json_null(), "at", fk_time_json(fk_stmt_int64(st, 8), 1), "left_at",
        fk_time_json(fk_stmt_int64(st, 9), !fk_stmt_is_null(st, 9)), "color",
        fk_health_color_name(color), "color_label", fk_health_color_label(color), "allowed",
        fk_stmt_int64(st, 11) != 0, "reason", fk_stmt_text(st, 12), "source", fk_stmt_text(st, 13),
        "created_at", fk_time_json(fk_stmt_int64(st, 14), 1));
}

/* The WHERE clause of a check-in list; `after_id` >= 0 adds the keyset
 * bound. */
static void list_where(const struct fk_checkin_filter *q, int64_t after_id, struct fk_where *w)
{
    char clause[32];
    snprintf(clause, sizeof(clause), "%s = ?", q->by);
    fk_where_init(w);
    fk_where_add(w, clause, "i", q->id);
    if (q->from)
        fk_where_add(w, "c.at >= ?", "i", q->from);
    if (q->until)
        fk_where_add(w, "c.at < ?", "i", q->until);
    if (q->allowed >= 0)
        fk_where_add(w, "c.allowed = ?", "i", (int64_t)q->allowed);
    if (after_id >= 0)
        fk_where_add(w, "c.id > ?", "i", after_id);
}

static json_t *list_row(struct fk_stmt *st, void *ctx)
{
    const struct fk_row_view *v = ctx;
    return row_json(st, v->key, v->role);
}

enum fk_err fk_checkins_list(struct fk_conn *db, const struct fk_checkin_filter *q,
                             const struct fk_pii_key *key, unsigned role, int64_t page,
                             int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    list_where(q, -1, &w);
    char count_sql[1200], list_sql[2400];
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM checkins c%s", w.sql);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " LIST_COLUMNS LIST_FROM "%s ORDER BY c.at DESC, c.id DESC LIMIT ? OFFSET ?",
             w.sql);
    struct fk_row_view view = {key, role, 0};
    return fk_venues_page(db, count_sql, list_sql, &w, list_row, &view, page, per_page, items,
                          total);
}

#define EXPORT_BATCH 1000

static void export_query(const void *filter, int64_t after_id, struct fk_where *w, char *sql,
                         size_t size)
{
    list_where(filter, after_id, w);
    snprintf(sql, size, "SELECT " LIST_COLUMNS LIST_FROM "%s ORDER BY c.id LIMIT %d", w->sql,
             EXPORT_BATCH);
}

enum fk_err fk_checkins_each(struct fk_conn *db, const struct fk_checkin_filter *q,
                             const struct fk_pii_key *key, unsigned role,
                             int (*cb)(void *ctx, int64_t id, json_t *checkin), void *ctx)
{
    struct fk_row_view view = {key, role, 0};
    struct fk_keyset_walk k = {export_query, q, list_row, &view, EXPORT_BATCH};
    return fk_venues_keyset_each(db, &k, cb, ctx);
}

/* --- persons and venues as check-ins see them --- */

enum fk_err fk_checkins_person_region(struct fk_conn *db, int64_t person_id, char region[24],
                                      int *found)
{
    struct fk_stmt *st = NULL;
    *found = 0;
    region[0] = '\0';
    enum fk_err err = fk_db_query(
        db, &st, found, "SELECT region FROM person_directory WHERE id = ? AND merged_into IS NULL",
        "i", person_id);
    if (err == FK_OK && *found)
        snprintf(region, 24, "%s", fk_stmt_text(st, 0));
    fk_stmt_free(st);
    return err;
}

/* The PostgreSQL backend binds at most 64 parameters per statement. */
#define PERSONS_PER_QUERY 64

enum fk_err fk_checkins_person_regions(struct fk_conn *db, const int64_t *ids, size_t n,
                                       void (*cb)(void *ctx, int64_t person_id, const char *region),
                                       void *ctx)
{
    enum fk_err err = FK_OK;
    char sql[128 + PERSONS_PER_QUERY * 2];
    for (size_t start = 0; start < n && err == FK_OK; start += PERSONS_PER_QUERY) {
        size_t k = n - start < PERSONS_PER_QUERY ? n - start : PERSONS_PER_QUERY;
        size_t len = (size_t)snprintf(sql, sizeof(sql),
                                      "SELECT id, region FROM person_directory WHERE id IN (");
        for (size_t j = 0; j < k; j++)
            len += (size_t)snprintf(sql + len, sizeof(sql) - len, j ? ",?" : "?");
        snprintf(sql + len, sizeof(sql) - len, ") AND merged_into IS NULL");
        struct fk_stmt *st = NULL;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        for (size_t j = 0; j < k && err == FK_OK; j++)
            err = fk_stmt_bind_int64(st, (int)j + 1, ids[start + j]);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
            cb(ctx, fk_stmt_int64(st, 0), fk_stmt_text(st, 1));
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
    return err;
}

enum fk_err fk_checkins_person_shown(struct fk_conn *db, const struct fk_pii_key *key,
                                     int64_t person_id, char *name, size_t name_size,
                                     json_t **id_json)
{
    struct fk_person p;
    *id_json = NULL;
    name[0] = '\0';
    enum fk_err err = fk_person_get(db, person_id, &p);
    if (err == FK_ERR_NOT_FOUND)
        err = FK_OK;
    else if (err == FK_OK) {
        fk_mask_name(p.name, name, name_size);
        if (p.id_sealed[0] != '\0')
            *id_json = fk_pii_json(key, "id_number", p.id_sealed, 0);
    }
    if (err == FK_OK && *id_json == NULL)
        *id_json = json_null();
    return err;
}

enum fk_err fk_venue_name(struct fk_conn *db, int64_t id, char *out, size_t size)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row, "SELECT name FROM venues WHERE id = ?", "i", id);
    if (err == FK_OK && row)
        snprintf(out, size, "%s", fk_stmt_text(st, 0));
    fk_stmt_free(st);
    return err != FK_OK ? err : row ? FK_OK : FK_ERR_NOT_FOUND;
}
