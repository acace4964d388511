/* HTTP handlers: the import template and POST /api/v1/imports/persons, which
 * answers 202 {"job_id"} and imports in a background job (src/jobs). */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/http.h"
#include "imports/imports.h"
#include "imports/imports_upload.h"
#include "imports/sheet.h"
#include "jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define IMPORT_ROLES (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)
#define PROGRESS_EVERY_NS 250000000LL

/* --- templates --- */

static void get_template_xlsx(struct fk_req *req)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum fk_err err = fk_import_template_xlsx(&bytes, &len);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_bytes(req, 200, XLSX_TYPE, bytes, len);
    free(bytes);
    fk_reply_header(req, "Content-Disposition",
                    "attachment; filename=\"persons-template.xlsx\"; "
                    "filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx");
}

static void get_template_csv(struct fk_req *req)
{
    char *text = NULL;
    size_t len = 0;
    enum fk_err err = fk_import_template_csv(&text, &len);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_bytes(req, 200, "text/csv; charset=utf-8", text, len);
    free(text);
    fk_reply_header(req, "Content-Disposition",
                    "attachment; filename=\"persons-template.csv\"; "
                    "filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.csv");
}

/* --- multipart/form-data --- */

/* The first occurrence of needle in hay[0, len) or NULL (memmem is a GNU
 * extension). */
static const char *find_bytes(const char *hay, size_t len, const char *needle, size_t n)
{
    if (n == 0 || len < n)
        return NULL;
    const char *last = hay + (len - n);
    for (const char *p = hay; p <= last; p++) {
        p = memchr(p, needle[0], (size_t)(last - p) + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, needle, n) == 0)
            return p;
    }
    return NULL;
}

/* The value of parameter `name` in a header value such as
 * `multipart/form-data; boundary="abc"` or `form-data; name="file"`, copied
 * into out (unquoted). 0 if found and it fits. */
static int header_param(const char *value, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name);
    const char *p = strchr(value, ';');
    while (p != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, name, name_len) == 0 && p[name_len] == '=') {
            const char *v = p + name_len + 1;
            size_t n;
            if (*v == '"') {
                v++;
                const char *end = strchr(v, '"');
                if (end == NULL)
                    return -1;
                n = (size_t)(end - v);
            } else {
                n = strcspn(v, "; \t");
            }
            if (n == 0 || n >= out_size)
                return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
        p = strchr(p, ';');
    }
    return -1;
}

/* Finds the part named "file": its content at body[*off, *off + *len).
 * Every step is bounded by the body length. 0 if found. */
static int multipart_file(const char *content_type, const char *body, size_t body_len, size_t *off,
                          size_t *len)
{
    char boundary[80], delim[84];
    if (header_param(content_type, "boundary", boundary, 71) != 0)
        return -1;
    int dlen = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    if (dlen <= 4)
        return -1;
    /* The first delimiter may start the body (without the leading CRLF). */
    const char *end = body + body_len;
    const char *p;
    if (body_len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0)
        p = body + dlen - 2;
    else {
        p = find_bytes(body, body_len, delim, (size_t)dlen);
        if (p == NULL)
            return -1;
        p += dlen;
    }
    for (;;) {
        /* After a delimiter: "--" ends the body, else optional blanks and CRLF. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return -1;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return -1;
        p += 2;
        const char *headers_end = find_bytes(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (headers_end == NULL || headers_end - p > 8192)
            return -1;
        int is_file = 0;
        const char *line = p;
        while (line < headers_end + 2) {
            const char *eol = find_bytes(line, (size_t)(headers_end + 2 - line), "\r\n", 2);
            if (eol == NULL)
                break;
            char header[1024];
            size_t n = (size_t)(eol - line);
            if (n < sizeof(header)) {
                memcpy(header, line, n);
                header[n] = '\0';
                char name[64];
                if (strncasecmp(header, "Content-Disposition:", 20) == 0 &&
                    header_param(header, "name", name, sizeof(name)) == 0 &&
                    strcmp(name, "file") == 0)
                    is_file = 1;
            }
            line = eol + 2;
        }
        const char *content = headers_end + 4;
        const char *next = find_bytes(content, (size_t)(end - content), delim, (size_t)dlen);
        if (next == NULL)
            return -1;
        if (is_file) {
            *off = (size_t)(content - body);
            *len = (size_t)(next - content);
            return 0;
        }
        p = next + dlen;
    }
}

/* --- the import job --- */

struct import_job {
    struct fk_upload_job up; /* who asked, and the file (owned) */
    struct fk_conn *db;
    int64_t last_progress_ns;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* At most four writes a second; the last word comes from fk_job_finish. */
static void job_progress(void *ctx, const struct fk_import_counts *c)
{
    struct import_job *job = ctx;
    int64_t now = mono_ns();
    if (job->last_progress_ns != 0 && now - job->last_progress_ns < PROGRESS_EVERY_NS)
        return;
    job->last_progress_ns = now;
    if (fk_job_progress(job->db, job->up.job_id, c->total, c->done, c->imported, c->rejected,
                        c->skipped) != FK_OK)
        fk_log(FK_LOG_WARN, "job_progress_failed", json_pack("{s:I}", "job", job->up.job_id));
}

static void run_import(void *arg)
{
    struct import_job *job = arg;
    struct fk_import_result res = {0};
    enum fk_err err = fk_store_conn(job->up.app->store, &job->db);
    if (err != FK_OK) {
        fk_log(FK_LOG_ERROR, "job_no_store", json_pack("{s:I}", "job", job->up.job_id));
        goto done;
    }
    if (fk_job_progress(job->db, job->up.job_id, 0, 0, 0, 0, 0) != FK_OK)
        fk_log(FK_LOG_WARN, "job_progress_failed", json_pack("{s:I}", "job", job->up.job_id));
    struct fk_import_opts opts = {
        .db = job->db,
        .kind = fk_store_kind(job->up.app->store),
        .key = &job->up.app->pii_key,
        .scope = job->up.prefix,
        .now = fk_now(),
        .progress = job_progress,
        .progress_ctx = job,
        .cancel = fk_jobs_stop_flag(),
    };
    err = fk_import_persons(&opts, (const unsigned char *)job->up.body + job->up.off, job->up.len,
                            &res);
    free(job->up.body);
    job->up.body = NULL;
    if (err == FK_OK &&
        fk_job_progress(job->db, job->up.job_id, res.counts.total, res.counts.done,
                        res.counts.imported, res.counts.rejected, res.counts.skipped) != FK_OK)
        fk_log(FK_LOG_WARN, "job_progress_failed", json_pack("{s:I}", "job", job->up.job_id));
    enum fk_err finish = fk_job_finish(job->db, job->up.job_id, err == FK_OK ? "done" : "failed",
                                       res.message, res.report, res.report_len);
    if (finish == FK_ERR_TOO_LARGE)
        finish = fk_job_finish(job->db, job->up.job_id, "done",
                               "错误表过大，无法保存；请拆分文件后重新导入", NULL, 0);
    if (finish != FK_OK)
        fk_log(FK_LOG_ERROR, "job_finish_failed", json_pack("{s:I}", "job", job->up.job_id));
    char target[24];
    snprintf(target, sizeof(target), "%lld", (long long)job->up.job_id);
    json_t *detail = json_pack(
        "{s:s,s:s?,s:s?,s:I,s:I,s:I,s:I,s:s}", "result", err == FK_OK ? "done" : "failed", "format",
        res.format, "encoding", res.encoding, "total", (json_int_t)res.counts.total, "imported",
        (json_int_t)res.counts.imported, "skipped", (json_int_t)res.counts.skipped, "rejected",
        (json_int_t)res.counts.rejected, "message", res.message);
    struct fk_audit_entry entry = {.actor_id = job->up.user_id,
                                   .actor = job->up.username,
                                   .action = "person_import",
                                   .target_type = "job",
                                   .target_id = target,
                                   .region = job->up.region,
                                   .ip = job->up.ip,
                                   .detail = detail};
    if (fk_audit_write(job->db, &entry) != FK_OK)
        fk_log_msg(FK_LOG_ERROR, "audit_write_failed", "person_import");
    json_decref(detail);
    fk_log(err == FK_OK ? FK_LOG_INFO : FK_LOG_WARN, "import_finished",
           json_pack("{s:I,s:s,s:I,s:I,s:I}", "job", (json_int_t)job->up.job_id, "error",
                     fk_err_name(err), "imported", (json_int_t)res.counts.imported, "skipped",
                     (json_int_t)res.counts.skipped, "rejected", (json_int_t)res.counts.rejected));
done:
    free(res.report);
    free(job->up.body);
    free(job);
}

/* Media types we read; the bytes decide between CSV and XLSX. */
static int accepted_type(const char *type)
{
    static const char *const types[] = {"text/csv",
                                        "application/csv",
                                        "text/plain",
                                        "text/comma-separated-values",
                                        "application/vnd.ms-excel",
                                        XLSX_TYPE,
                                        "application/octet-stream"};
    size_t n = strcspn(type, "; \t");
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strlen(types[i]) == n && strncasecmp(type, types[i], n) == 0)
            return 1;
    return 0;
}

int fk_import_upload_or_reply(struct fk_req *req, size_t *off_out, size_t *len_out)
{
    const char *type = fk_req_header(req, "Content-Type");
    size_t off = 0, len = req->body.len;
    if (type != NULL && strncasecmp(type, "multipart/form-data", 19) == 0) {
        if (req->body.len == 0 ||
            multipart_file(type, req->body.data, req->body.len, &off, &len) != 0) {
            fk_reply_err(req, FK_E_IMPORT_NO_FILE_FIELD, "file");
            return -1;
        }
    } else if (type != NULL && type[0] != '\0' && !accepted_type(type)) {
        fk_reply_err(req, FK_E_IMPORT_MEDIA_TYPE, "file");
        return -1;
    }
    if (len == 0) {
        fk_reply_err(req, FK_E_IMPORT_NO_FILE, "file");
        return -1;
    }
    if (fk_sheet_sniff((const unsigned char *)req->body.data + off, len) == 0) {
        fk_reply_err(req, FK_E_IMPORT_FILE_FORMAT, "file");
        return -1;
    }
    if (len > FK_SHEET_FILE_MAX) {
        fk_reply_err(req, FK_E_IMPORT_TOO_LARGE, "file");
        return -1;
    }
    *off_out = off;
    *len_out = len;
    return 0;
}

int fk_upload_job_start(struct fk_req *req, const char *kind, struct fk_upload_job *head,
                        void (*run)(void *job), void *job)
{
    size_t off, len;
    if (fk_import_upload_or_reply(req, &off, &len) != 0)
        return -1;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return -1;
    enum fk_err err = fk_job_create(db, kind, req->actor.user_id, req->actor.prefix, &head->job_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    head->app = req->app;
    head->user_id = req->actor.user_id;
    snprintf(head->username, sizeof(head->username), "%s", req->actor.username);
    snprintf(head->prefix, sizeof(head->prefix), "%s", req->actor.prefix);
    snprintf(head->region, sizeof(head->region), "%s", req->actor.region);
    snprintf(head->ip, sizeof(head->ip), "%s", req->ip);
    head->off = off;
    head->len = len;
    head->body = fk_buf_take(&req->body); /* the job owns the bytes from here on */
    int64_t job_id = head->job_id;
    if (fk_job_run(req->app, run, job) != FK_OK) {
        free(head->body);
        head->body = NULL;
        if (fk_job_finish(db, job_id, "failed", "服务繁忙或正在停止，请稍后重试", NULL, 0) != FK_OK)
            fk_log_msg(FK_LOG_ERROR, "job_finish_failed", kind);
        fk_reply_err(req, FK_E_IMPORT_BUSY, NULL);
        return -1;
    }
    fk_reply_json(req, 202, json_pack("{s:I}", "job_id", (json_int_t)job_id));
    return 0;
}

static void post_import(struct fk_req *req)
{
    struct import_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    if (fk_upload_job_start(req, "import_persons", &job->up, run_import, job) != 0)
        free(job);
}

#define IMPORT_OPENAPI                                                                             \
    "{\"requestBody\":{\"required\":true,\"content\":{"                                            \
    "\"text/csv\":{\"schema\":{\"type\":\"string\",\"format\":\"binary\"}},"                       \
    "\"" XLSX_TYPE "\":{\"schema\":{\"type\":\"string\",\"format\":\"binary\"}},"                  \
    "\"multipart/form-data\":{\"schema\":{\"type\":\"object\",\"properties\":{\"file\":{"          \
    "\"type\":\"string\",\"format\":\"binary\"}},\"required\":[\"file\"]}}}},"                     \
    "\"responses\":{\"202\":{\"description\":\"已受理\",\"content\":{\"application/json\":{"    \
    "\"schema\":{\"type\":\"object\",\"properties\":{\"job_id\":{\"type\":\"integer\"}}}}}}}}"

static const struct fk_route routes[] = {
    {"GET", "/api/v1/imports/persons/template.xlsx", get_template_xlsx, 0, IMPORT_ROLES, "imports",
     "人员导入模板（.xlsx）", NULL},
    {"GET", "/api/v1/imports/persons/template.csv", get_template_csv, 0, IMPORT_ROLES, "imports",
     "人员导入模板（CSV，UTF-8 带 BOM）", NULL},
    {"POST", "/api/v1/imports/persons", post_import, FK_ROUTE_RAW | FK_ROUTE_UPLOAD, IMPORT_ROLES,
     "imports",
     "批量导入人员：CSV（UTF-8/GBK）或 .xlsx，请求体为文件或 multipart 字段 file → 202 "
     "{job_id}",
     IMPORT_OPENAPI},
};

enum fk_err fk_imports_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
