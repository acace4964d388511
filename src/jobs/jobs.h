/* Background jobs (imports now; exports and recomputes later): a row in the
 * `jobs` table that the job's thread updates and its owner polls with
 * GET /api/v1/jobs/{id}. See docs/internals/imports.md. */
#ifndef FK_JOBS_JOBS_H
#define FK_JOBS_JOBS_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

struct fk_app;

#define FK_JOB_REPORT_MAX (48u * 1024 * 1024) /* bytes of a stored report */

/* Creates a job in state "queued" for `user_id`, run with the jurisdiction
 * `region_prefix`. `kind` is e.g. "import_persons". */
enum fk_err fk_job_create(struct fk_conn *db, const char *kind, int64_t user_id,
                          const char *region_prefix, int64_t *id) FK_MUST_CHECK;

/* Records progress and moves the job to "running". Each call is one UPDATE:
 * callers limit themselves to a few calls a second. */
enum fk_err fk_job_progress(struct fk_conn *db, int64_t id, int64_t total, int64_t done,
                            int64_t imported, int64_t rejected, int64_t skipped) FK_MUST_CHECK;

/* Ends the job: `state` "done" or "failed", a Chinese `message` for people,
 * and optionally a report (e.g. the error sheet) stored base64; `report` is
 * borrowed. FK_ERR_TOO_LARGE if the report exceeds FK_JOB_REPORT_MAX. */
enum fk_err fk_job_finish(struct fk_conn *db, int64_t id, const char *state, const char *message,
                          const unsigned char *report, size_t report_len) FK_MUST_CHECK;

/* Runs fn(arg) on a detached thread that takes its own store connection (via
 * fk_store_conn in fn) and closes it afterwards. `arg` belongs to fn, which
 * must free it. FK_ERR_BUSY when the server is stopping. */
enum fk_err fk_job_run(struct fk_app *app, void (*fn)(void *arg), void *arg) FK_MUST_CHECK;

/* Whether jobs should stop early (fk_jobs_drain was called). */
int fk_jobs_stopping(void);
/* A pointer to the stop flag, for loops that poll it. */
const volatile int *fk_jobs_stop_flag(void);

/* For shutdown, before fk_store_close(): asks running jobs to stop and waits
 * up to `timeout_ms` for their threads to end. Returns how many are still
 * running (0 = all ended). */
int fk_jobs_drain(int64_t timeout_ms);

/* For start-up: jobs left "queued"/"running" by a process that died are
 * marked "failed"; *failed (may be NULL) counts them. Only jobs without a
 * progress report for `stale_seconds` count as dead: several servers may
 * share one PostgreSQL, and another's running job reports progress every
 * batch (well under a second). */
#define FK_JOBS_STALE_SECONDS 900
enum fk_err fk_jobs_recover(struct fk_conn *db, int64_t stale_seconds,
                            int64_t *failed) FK_MUST_CHECK;

/* A job as its owner sees it. A plain value. */
struct fk_job {
    int64_t id;
    char kind[32];
    char state[16]; /* "queued", "running", "done", "failed" */
    int64_t total, done, imported, rejected, skipped;
    int has_message;
    char message[512];
    int64_t created_at, finished_at; /* finished_at 0 until it ends */
};

/* Job `id` of `user_id` (only the owner sees a job: anyone else gets
 * FK_ERR_NOT_FOUND, as for a job that does not exist). Fills *out. */
enum fk_err fk_job_get(struct fk_conn *db, int64_t id, int64_t user_id,
                       struct fk_job *out) FK_MUST_CHECK;

/* The report of job `id` of `user_id`, decoded: *bytes (a new buffer the
 * caller frees with free(), NULL with *len 0 when the job has no report).
 * FK_ERR_NOT_FOUND as in fk_job_get. */
enum fk_err fk_job_report(struct fk_conn *db, int64_t id, int64_t user_id, unsigned char **bytes,
                          size_t *len) FK_MUST_CHECK;

/* GET /api/v1/jobs/{id} and GET /api/v1/jobs/{id}/errors.xlsx. */
enum fk_err fk_jobs_routes(void) FK_MUST_CHECK;

#endif
