/* Check-ins for other modules (visitors of a region, a person's
 * itinerary), the retention purge and its hourly schedule in the server. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "venues/venues_internal.h"

#include <stdio.h>
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
