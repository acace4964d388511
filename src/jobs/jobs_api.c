/* HTTP handlers: a job's state and its report. Only the job's owner sees a
 * job; anyone else gets 404 job_not_found, as if it did not exist. */
#include "core/clock.h"
#include "core/parse.h"
#include "http/http.h"
#include "jobs/jobs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static int job_id_or_reply(struct fk_req *req, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, FK_E_JOB_NOT_FOUND, "id");
        return -1;
    }
    return 0;
}

static void get_job(struct fk_req *req)
{
    int64_t id;
    if (job_id_or_reply(req, &id) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT kind, state, total, done, imported, rejected, skipped, "
                                  "message, created_at, finished_at FROM jobs "
                                  "WHERE id = ? AND user_id = ?",
                                  "ii", id, req->actor.user_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (!row) {
        fk_stmt_free(st);
        fk_reply_err(req, FK_E_JOB_NOT_FOUND, "id");
        return;
    }
    const char *state = fk_stmt_text(st, 1);
    int64_t total = fk_stmt_int64(st, 2), done = fk_stmt_int64(st, 3);
    int64_t rejected = fk_stmt_int64(st, 5);
    double progress = 0;
    if (strcmp(state, "done") == 0)
        progress = 1;
    else if (total > 0)
        progress = (double)(done < total ? done : total) / (double)total;
    char url[64];
    snprintf(url, sizeof(url), "/api/v1/jobs/%lld/errors.xlsx", (long long)id);
    json_t *body = json_pack(
        "{s:I,s:s,s:s,s:f,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)id, "kind",
        fk_stmt_text(st, 0), "state", state, "progress", progress, "total", (json_int_t)total,
        "done", (json_int_t)done, "imported", (json_int_t)fk_stmt_int64(st, 4), "rejected",
        (json_int_t)rejected, "skipped", (json_int_t)fk_stmt_int64(st, 6), "message",
        fk_stmt_is_null(st, 7) ? json_null() : json_string(fk_stmt_text(st, 7)), "errors_url",
        rejected > 0 && strcmp(state, "done") == 0 ? json_string(url) : json_null(), "created_at",
        fk_time_or_null(fk_stmt_int64(st, 8)), "finished_at",
        fk_time_or_null(fk_stmt_int64(st, 9)));
    fk_stmt_free(st);
    fk_reply_json(req, 200, body);
}

static void get_job_errors(struct fk_req *req)
{
    int64_t id;
    if (job_id_or_reply(req, &id) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT report FROM jobs WHERE id = ? AND user_id = ?", "ii", id,
                    req->actor.user_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (!row) {
        fk_stmt_free(st);
        fk_reply_err(req, FK_E_JOB_NOT_FOUND, "id");
        return;
    }
    const char *encoded = fk_stmt_is_null(st, 0) ? "" : fk_stmt_text(st, 0);
    size_t encoded_len = strlen(encoded);
    if (encoded_len == 0) {
        fk_stmt_free(st);
        fk_reply_err(req, FK_E_REPORT_NOT_FOUND, "id");
        return;
    }
    size_t max = encoded_len / 4 * 3 + 3;
    unsigned char *bytes = malloc(max);
    size_t len = 0;
    if (bytes == NULL || sodium_base642bin(bytes, max, encoded, encoded_len, NULL, &len, NULL,
                                           sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(bytes);
        fk_stmt_free(st);
        fk_reply_fail(req, bytes == NULL ? FK_ERR_NOMEM : FK_ERR_INTERNAL, NULL);
        return;
    }
    fk_stmt_free(st);
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
