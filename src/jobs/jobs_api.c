/* HTTP handlers: a job's state and its report. Only the job's owner sees a
 * job; anyone else gets 404 job_not_found, as if it did not exist. */
#include "core/clock.h"
#include "core/parse.h"
#include "http/http.h"
#include "http/lookup.h"
#include "jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* The job id of the path and the request's connection; NULL after
 * replying (404 for an id that cannot be one). */
static struct fk_conn *job_db_or_reply(struct fk_req *req, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, FK_E_JOB_NOT_FOUND, "id");
        return NULL;
    }
    return fk_req_db(req);
}

static void get_job(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = job_db_or_reply(req, &id);
    if (db == NULL)
        return;
    struct fk_job job;
    enum fk_err err = fk_job_get(db, id, req->actor.user_id, &job);
    if (fk_found_or_reply(req, err, NULL, FK_E_JOB_NOT_FOUND, "id") != 0)
        return;
    int done = strcmp(job.state, "done") == 0;
    double progress = 0;
    if (done)
        progress = 1;
    else if (job.total > 0)
        progress = (double)(job.done < job.total ? job.done : job.total) / (double)job.total;
    char url[64];
    snprintf(url, sizeof(url), "/api/v1/jobs/%lld/errors.xlsx", (long long)id);
    json_t *body = json_pack(
        "{s:I,s:s,s:s,s:f,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)id, "kind",
        job.kind, "state", job.state, "progress", progress, "total", (json_int_t)job.total, "done",
        (json_int_t)job.done, "imported", (json_int_t)job.imported, "rejected",
        (json_int_t)job.rejected, "skipped", (json_int_t)job.skipped, "message",
        job.has_message ? json_string(job.message) : json_null(), "errors_url",
        job.rejected > 0 && done ? json_string(url) : json_null(), "created_at",
        fk_time_or_null(job.created_at), "finished_at", fk_time_or_null(job.finished_at));
    fk_reply_json(req, 200, body);
}

static void get_job_errors(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = job_db_or_reply(req, &id);
    if (db == NULL)
        return;
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum fk_err err = fk_job_report(db, id, req->actor.user_id, &bytes, &len);
    if (err == FK_ERR_NOT_FOUND)
        fk_reply_err(req, FK_E_JOB_NOT_FOUND, "id");
    else if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else if (bytes == NULL)
        fk_reply_err(req, FK_E_REPORT_NOT_FOUND, "id");
    if (err != FK_OK || bytes == NULL)
        return;
    fk_reply_bytes(req, 200, XLSX_TYPE, bytes, len);
    free(bytes);
    char disposition[96];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"import-errors-%lld.xlsx\"",
             (long long)id);
    fk_reply_header(req, "Content-Disposition", disposition);
}

#define JOB_OPENAPI                                                                                 \
    "{\"responses\":{\"200\":{\"description\":\"任务状态\",\"content\":{\"application/json\":{" \
    "\"schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},\"kind\":{"      \
    "\"type\":\"string\"},\"state\":{\"type\":\"string\",\"enum\":[\"queued\",\"running\","         \
    "\"done\",\"failed\"]},\"progress\":{\"type\":\"number\"},\"total\":{\"type\":\"integer\"},"    \
    "\"imported\":{\"type\":\"integer\"},\"rejected\":{\"type\":\"integer\"},\"skipped\":{"         \
    "\"type\":\"integer\"},\"message\":{\"type\":\"string\",\"nullable\":true},\"errors_url\":{"    \
    "\"type\":\"string\",\"nullable\":true}}}}}}}}"

static const struct fk_route routes[] = {
    {"GET", "/api/v1/jobs/{id}", get_job, 0, FK_ROLE_ANY, "jobs",
     "后台任务的状态与进度（仅任务提交人可见）", JOB_OPENAPI},
    {"GET", "/api/v1/jobs/{id}/errors.xlsx", get_job_errors, 0, FK_ROLE_ANY, "jobs",
     "下载导入错误表（.xlsx：行号、列、原因与原始内容，修正后可再次上传）", NULL},
};

enum fk_err fk_jobs_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
