/* Background jobs: the `jobs` table and the threads that run them. */
#include "jobs/jobs.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/http.h"

#include <pthread.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The one piece of shared mutable state: how many job threads run, and
 * whether the server asked them to stop (fk_jobs_drain). */
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_ended = PTHREAD_COND_INITIALIZER;
static int jobs_running;
static volatile int jobs_stop;

enum fk_err fk_job_create(struct fk_conn *db, const char *kind, int64_t user_id,
                          const char *region_prefix, int64_t *id)
{
    int64_t now = fk_now();
    return fk_db_run(
        db, id,
        "INSERT INTO jobs(kind, state, user_id, region_prefix, created_at, updated_at) "
        "VALUES (?, 'queued', ?, ?, ?, ?) RETURNING id",
        "titii", kind, user_id, region_prefix, now, now);
}

enum fk_err fk_job_progress(struct fk_conn *db, int64_t id, int64_t total, int64_t done,
                            int64_t imported, int64_t rejected, int64_t skipped)
{
    return fk_db_run(db, NULL,
                     "UPDATE jobs SET state = 'running', total = ?, done = ?, imported = ?, "
                     "rejected = ?, skipped = ?, updated_at = ? WHERE id = ?",
                     "iiiiiii", total, done, imported, rejected, skipped, fk_now(), id);
}

enum fk_err fk_job_finish(struct fk_conn *db, int64_t id, const char *state, const char *message,
                          const unsigned char *report, size_t report_len)
{
    char *encoded = NULL;
    if (report != NULL && report_len > 0) {
        if (report_len > FK_JOB_REPORT_MAX)
            return FK_ERR_TOO_LARGE;
        size_t size = sodium_base64_ENCODED_LEN(report_len, sodium_base64_VARIANT_ORIGINAL);
        encoded = malloc(size);
        if (encoded == NULL)
            return FK_ERR_NOMEM;
        sodium_bin2base64(encoded, size, report, report_len, sodium_base64_VARIANT_ORIGINAL);
    }
    int64_t now = fk_now();
    enum fk_err err = fk_db_run(db, NULL,
                                "UPDATE jobs SET state = ?, message = ?, report = ?, "
                                "updated_at = ?, finished_at = ? WHERE id = ?",
                                "tttiii", state, message, encoded, now, now, id);
    free(encoded);
    return err;
}

struct job_thread {
    void (*fn)(void *arg);
    void *arg;
};

static void *job_main(void *data)
{
    struct job_thread job = *(struct job_thread *)data;
    free(data);
    job.fn(job.arg);
    fk_store_thread_done();
    pthread_mutex_lock(&jobs_lock);
    jobs_running--;
    pthread_cond_broadcast(&jobs_ended);
    pthread_mutex_unlock(&jobs_lock);
    return NULL;
}

enum fk_err fk_job_run(struct fk_app *app, void (*fn)(void *arg), void *arg)
{
    (void)app;
    struct job_thread *job = malloc(sizeof(*job));
    if (job == NULL)
        return FK_ERR_NOMEM;
    job->fn = fn;
    job->arg = arg;
    pthread_mutex_lock(&jobs_lock);
    if (jobs_stop) {
        pthread_mutex_unlock(&jobs_lock);
        free(job);
        return FK_ERR_BUSY;
    }
    jobs_running++;
    pthread_mutex_unlock(&jobs_lock);
    pthread_attr_t attr;
    pthread_t thread;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&thread, &attr, job_main, job);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        free(job);
        pthread_mutex_lock(&jobs_lock);
        jobs_running--;
        pthread_mutex_unlock(&jobs_lock);
        return FK_ERR_BUSY;
    }
    return FK_OK;
}

int fk_jobs_stopping(void)
{
    return jobs_stop;
}

const volatile int *fk_jobs_stop_flag(void)
{
    return &jobs_stop;
}

int fk_jobs_drain(int64_t timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(timeout_ms / 1000);
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&jobs_lock);
    jobs_stop = 1;
    while (jobs_running > 0 && pthread_cond_timedwait(&jobs_ended, &jobs_lock, &deadline) == 0)
        ;
    int left = jobs_running;
    pthread_mutex_unlock(&jobs_lock);
    if (left > 0)
        fk_log(FK_LOG_WARN, "jobs_still_running", json_pack("{s:i}", "jobs", left));
    return left;
}

enum fk_err fk_jobs_recover(struct fk_conn *db, int64_t stale_seconds, int64_t *failed)
{
    int64_t now = fk_now();
    int64_t count = 0;
    enum fk_err err = fk_db_run(db, &count,
                                "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') "
                                "AND updated_at < ?",
                                "i", now - stale_seconds);
    if (err == FK_OK && count > 0)
        err = fk_db_run(
            db, NULL,
            "UPDATE jobs SET state = 'failed', message = '服务重启，任务中断，请重新提交', "
            "updated_at = ?, finished_at = ? WHERE state IN ('queued', 'running') AND "
            "updated_at < ?",
            "iii", now, now, now - stale_seconds);
    if (failed != NULL)
        *failed = err == FK_OK ? count : 0;
    return err;
}

enum fk_err fk_job_get(struct fk_conn *db, int64_t id, int64_t user_id, struct fk_job *out)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT kind, state, total, done, imported, rejected, skipped, "
                                  "message, created_at, finished_at FROM jobs "
                                  "WHERE id = ? AND user_id = ?",
                                  "ii", id, user_id);
    if (err != FK_OK)
        return err;
    if (row) {
        out->id = id;
        snprintf(out->kind, sizeof(out->kind), "%s", fk_stmt_text(st, 0));
        snprintf(out->state, sizeof(out->state), "%s", fk_stmt_text(st, 1));
        out->total = fk_stmt_int64(st, 2);
        out->done = fk_stmt_int64(st, 3);
        out->imported = fk_stmt_int64(st, 4);
        out->rejected = fk_stmt_int64(st, 5);
        out->skipped = fk_stmt_int64(st, 6);
        out->has_message = !fk_stmt_is_null(st, 7);
        snprintf(out->message, sizeof(out->message), "%s",
                 out->has_message ? fk_stmt_text(st, 7) : "");
        out->created_at = fk_stmt_int64(st, 8);
        out->finished_at = fk_stmt_int64(st, 9);
    }
    fk_stmt_free(st);
    return row ? FK_OK : FK_ERR_NOT_FOUND;
}

enum fk_err fk_job_report(struct fk_conn *db, int64_t id, int64_t user_id, unsigned char **bytes,
                          size_t *len)
{
    struct fk_stmt *st;
    int row;
    *bytes = NULL;
    *len = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT report FROM jobs WHERE id = ? AND user_id = ?", "ii", id, user_id);
    if (err != FK_OK)
        return err;
    if (!row) {
        fk_stmt_free(st);
        return FK_ERR_NOT_FOUND;
    }
    const char *encoded = fk_stmt_is_null(st, 0) ? "" : fk_stmt_text(st, 0);
    size_t encoded_len = strlen(encoded);
    if (encoded_len > 0) {
        size_t max = encoded_len / 4 * 3 + 3;
        *bytes = malloc(max);
        if (*bytes == NULL)
            err = FK_ERR_NOMEM;
        else if (sodium_base642bin(*bytes, max, encoded, encoded_len, NULL, len, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) != 0)
            err = FK_ERR_INTERNAL;
        if (err != FK_OK) {
            free(*bytes);
            *bytes = NULL;
            *len = 0;
        }
    }
    fk_stmt_free(st);
    return err;
}
