/* Start-up of the health-code engine (rule sets, the background sweep) and
 * the full recompute job. */
#include "healthcode/healthcode_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"
#include "core/log.h"
#include "http/http.h"
#include "jobs/jobs.h"

#define SWEEP_EVERY 3600 /* seconds of the server clock between expiry sweeps */
#define SWITCH_EVERY 60  /* seconds between checks for a rule-set switch */

static struct fk_app *the_app;

struct recompute_job {
    struct fk_app *app;
    struct fk_conn *db;
    int64_t job_id;
    int64_t user_id;
    char actor[64];
    int64_t last_report_ns;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void job_progress(void *arg, int64_t done, int64_t total)
{
    struct recompute_job *job = arg;
    int64_t now = mono_ns();
    if (done < total && now - job->last_report_ns < 250000000LL)
        return;
    job->last_report_ns = now;
    if (fk_job_progress(job->db, job->job_id, total, done, 0, 0, 0) != FK_OK)
        fk_log_msg(FK_LOG_WARN, "health_recompute_progress_failed", "progress not recorded");
}

static void run_recompute(void *arg)
{
    struct recompute_job *job = arg;
    enum fk_err err = fk_store_conn(job->app->store, &job->db);
    int64_t changed = 0, started = mono_ns();
    if (err == FK_OK) {
        if (fk_job_progress(job->db, job->job_id, 0, 0, 0, 0, 0) != FK_OK)
            fk_log_msg(FK_LOG_WARN, "health_recompute_progress_failed", "progress not recorded");
        struct fk_hctx ctx = {job->user_id, job->actor, NULL};
        err =
            fk_health_refresh_many(job->db, &ctx, NULL, 1, NULL, 0, 1, job_progress, job, &changed);
    }
    if (job->db != NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg), "重新计算完成：%lld 人的健康码有变化（用时 %.2f 秒）",
                 (long long)changed, (double)(mono_ns() - started) / 1e9);
        if (fk_job_finish(job->db, job->job_id, err == FK_OK ? "done" : "failed",
                          err == FK_OK ? msg : "重新计算失败，请查看服务日志", NULL, 0) != FK_OK)
            fk_log_msg(FK_LOG_WARN, "health_recompute_finish_failed", "job state not recorded");
        fk_log(err == FK_OK ? FK_LOG_INFO : FK_LOG_ERROR, "health_recompute",
               json_pack("{s:I,s:I,s:s,s:f}", "job", (json_int_t)job->job_id, "changed",
                         (json_int_t)changed, "result", fk_err_name(err), "seconds",
                         (double)(mono_ns() - started) / 1e9));
    }
    free(job);
}

enum fk_err fk_health_recompute_start(struct fk_app *app, struct fk_conn *db, int64_t user_id,
                                      const char *actor, int64_t *job_id)
{
    *job_id = 0;
    if (app == NULL)
        app = the_app;
    if (app == NULL)
        return FK_ERR_BUSY;
    struct recompute_job *job = calloc(1, sizeof(*job));
    if (job == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err = fk_job_create(db, "health_recompute", user_id, "", job_id);
    if (err != FK_OK) {
        free(job);
        return err;
    }
    job->app = app;
    job->job_id = *job_id;
    job->user_id = user_id;
    snprintf(job->actor, sizeof(job->actor), "%s", actor ? actor : "system");
    err = fk_job_run(app, run_recompute, job);
    if (err != FK_OK) {
        free(job);
        if (fk_job_finish(db, *job_id, "failed", "服务繁忙或正在停止，请稍后重试", NULL, 0) !=
            FK_OK)
            fk_log_msg(FK_LOG_WARN, "health_recompute_finish_failed", "job state not recorded");
    }
    return err;
}

/* The background sweep: a thread counted by src/jobs so that the server's
 * drain waits for it; it polls the stop flag every second. */
static void sweep_main(void *arg)
{
    struct fk_app *app = arg;
    int64_t last_sweep = 0, last_switch_check = 0;
    char last_set[64] = "";
    while (!fk_jobs_stopping()) {
        struct fk_conn *db = NULL;
        int64_t now = fk_now();
        if (fk_store_conn(app->store, &db) == FK_OK) {
            if (last_switch_check == 0 || now - last_switch_check >= SWITCH_EVERY) {
                last_switch_check = now;
                const struct fk_hrules *set = NULL;
                if (fk_hrules_active(db, now, &set) == FK_OK && set != NULL &&
                    strcmp(last_set, set->name) != 0) {
                    if (last_set[0] != '\0') {
                        /* A scheduled switch: a job in the name of who scheduled it;
                         * a switch by effective dates alone runs here. */
                        int64_t job = 0, by = 0, changed = 0;
                        struct fk_stmt *st = NULL;
                        int row = 0;
                        if (fk_db_query(db, &st, &row,
                                        "SELECT created_by FROM health_rule_schedule WHERE "
                                        "effective_from <= ? ORDER BY effective_from DESC, id "
                                        "DESC LIMIT 1",
                                        "i", now) == FK_OK &&
                            row)
                            by = fk_stmt_int64(st, 0);
                        fk_stmt_free(st);
                        struct fk_hctx ctx = {0, "rules", NULL};
                        if (by > 0 ? fk_health_recompute_start(app, db, by, "rules", &job) != FK_OK
                                   : fk_health_refresh_many(db, &ctx, NULL, 1, NULL, 0, 1, NULL,
                                                            NULL, &changed) != FK_OK)
                            fk_log_msg(FK_LOG_WARN, "health_switch_recompute_failed",
                                       "recompute after a rule-set switch failed");
                        fk_log(FK_LOG_INFO, "health_rules_switched",
                               json_pack("{s:s,s:s,s:I}", "from", last_set, "to", set->name, "job",
                                         (json_int_t)job));
                    }
                    snprintf(last_set, sizeof(last_set), "%s", set->name);
                }
            }
            if (last_sweep == 0 || now - last_sweep >= SWEEP_EVERY) {
                last_sweep = now;
                int64_t stepped = 0, swept = 0;
                enum fk_err err = fk_riskareas_step_due(db, &stepped);
                if (err == FK_OK)
                    err = fk_health_sweep(db, &swept);
                fk_log(err == FK_OK ? FK_LOG_INFO : FK_LOG_WARN, "health_sweep",
                       json_pack("{s:I,s:I,s:s}", "areas_stepped", (json_int_t)stepped,
                                 "codes_refreshed", (json_int_t)swept, "result", fk_err_name(err)));
            }
        }
        for (int i = 0; i < 10 && !fk_jobs_stopping(); i++) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    }
}

enum fk_err fk_healthcode_start(struct fk_app *app, char *why, size_t why_size)
{
    enum fk_err err = fk_hrules_init(app->cfg.rules_dir, why, why_size);
    if (err != FK_OK)
        return err;
    the_app = app;
    for (size_t i = 0; i < fk_hrules_count(); i++) {
        const struct fk_hrules *s = fk_hrules_at(i);
        fk_log(FK_LOG_INFO, "health_rules_loaded",
               json_pack("{s:s,s:s,s:s,s:s}", "name", s->name, "version", s->version,
                         "effective_date", s->effective_date, "origin", s->origin));
    }
    if (fk_job_run(app, sweep_main, app) != FK_OK) {
        snprintf(why, why_size, "cannot start the health-code sweep");
        return FK_ERR_BUSY;
    }
    return FK_OK;
}
