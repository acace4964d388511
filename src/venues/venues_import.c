/* Bulk import of venues from CSV or XLSX (the sheet readers of src/imports),
 * as a background job with progress (src/jobs), like the residents import.
 * Headers in Chinese or English; every row is checked first, rejected rows
 * are listed in an error sheet (GET /api/v1/jobs/{id}/errors.xlsx), and the
 * valid rows are stored in one transaction, each with its place code: a
 * row is written whole or not at all. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/ledger.h"
#include "imports/imports_upload.h"
#include "imports/imports.h"
#include "imports/sheet.h"
#include "jobs/jobs.h"
#include "regions/regions.h"
#include "venues/venues_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Venues per file: a district has thousands, not millions. */
#define IMPORT_ROWS_MAX 20000

enum col {
    COL_NAME,
    COL_CATEGORY,
    COL_REGION,
    COL_ADDRESS,
    COL_CONTACT,
    COL_PHONE,
    COL_DWELL,
    COL_STATUS,
    COL_N
};
static const char *const headers_zh[COL_N] = {"场所名称", "类别",       "区划代码",         "地址",
                                              "负责人",   "负责人电话", "停留时长（分钟）", "状态"};
static const char *const headers_en[COL_N] = {"name",          "category",     "region",
                                              "address",       "contact_name", "contact_phone",
                                              "dwell_minutes", "status"};
static const char *const fields[COL_N] = {"name",          "category",     "region",
                                          "address",       "contact_name", "contact_phone",
                                          "dwell_minutes", "status"};

/* A checked row, copied out of the reader. */
struct venue_row {
    char name[FK_VENUE_NAME_MAX + 1];
    char category[32];
    char region[FK_REGION_CODE_LEN];
    char address[FK_VENUE_ADDRESS_MAX + 1];
    char contact[FK_VENUE_CONTACT_MAX + 1];
    char phone[12];
    int64_t dwell; /* 0 = category default */
    char status[16];
};

struct import_job {
    struct fk_upload_job up; /* who asked, and the uploaded file (owned) */
    struct fk_conn *db;
    /* while reading */
    int header_done;
    int col_of[COL_N];
    struct venue_row *rows;
    size_t n_rows;
    int64_t total, rejected;
    struct fk_ledger report;
    int report_open;
    char why[256];
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static enum fk_err read_header(struct import_job *job, const struct fk_sheet_row *row)
{
    for (int c = 0; c < COL_N; c++)
        job->col_of[c] = -1;
    for (int i = 0; i < row->n_cells; i++) {
        char cell[FK_SHEET_CELL_MAX + 1];
        snprintf(cell, sizeof(cell), "%s", row->cell[i] ? row->cell[i] : "");
        const char *h = trim(cell);
        for (int c = 0; c < COL_N; c++)
            if (job->col_of[c] < 0 &&
                (strcmp(h, headers_zh[c]) == 0 || strcasecmp(h, headers_en[c]) == 0 ||
                 (c == COL_DWELL && strcmp(h, "停留时长") == 0)))
                job->col_of[c] = i;
    }
    if (job->col_of[COL_NAME] < 0 || job->col_of[COL_CATEGORY] < 0 || job->col_of[COL_REGION] < 0) {
        snprintf(job->why, sizeof(job->why),
                 "表头缺少必填列：场所名称（name）、类别（category）、区划代码（region）");
        return FK_ERR_INVALID;
    }
    job->header_done = 1;
    return FK_OK;
}

static void reject(struct import_job *job, int64_t number, int col, const char *reason)
{
    job->rejected++;
    if (!job->report_open) {
        static const char *const heads[] = {"行号", "列", "原因"};
        static const double widths[] = {8, 16, 60};
        if (fk_ledger_open(&job->report, 1, "待修正", heads, widths, 3) != 0)
            return;
        job->report_open = 1;
    }
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)number);
    const char *cells[3] = {num, col >= 0 ? headers_zh[col] : "", reason};
    fk_ledger_row(&job->report, cells, 3);
}

/* The category from its API name or Chinese label. */
static const char *category_of(const char *text)
{
    const struct fk_venue_category *c = fk_venue_category_find(text);
    for (size_t i = 0; c == NULL && i < FK_VENUE_CATEGORIES; i++)
        if (strcmp(fk_venue_category_at(i)->label, text) == 0)
            c = fk_venue_category_at(i);
    return c ? c->name : text;
}

static const char *status_of(const char *text)
{
    for (int s = FK_VENUE_OPEN; s <= FK_VENUE_SEALED; s++)
        if (strcmp(fk_venue_status_label(s), text) == 0)
            return fk_venue_status_name(s);
    return text;
}

static int column_of(const char *field)
{
    for (int c = 0; c < COL_N; c++)
        if (strcmp(fields[c], field) == 0)
            return c;
    return -1;
}

static enum fk_err on_row(void *ctx, const struct fk_sheet_row *row)
{
    struct import_job *job = ctx;
    if (!job->header_done)
        return read_header(job, row);
    if (fk_jobs_stopping())
        return FK_ERR_BUSY;
    if (++job->total > IMPORT_ROWS_MAX) {
        snprintf(job->why, sizeof(job->why), "文件超过 %d 行，请拆分后导入", IMPORT_ROWS_MAX);
        return FK_ERR_TOO_LARGE;
    }
    char cells[COL_N][FK_SHEET_CELL_MAX + 1];
    const char *v[COL_N];
    for (int c = 0; c < COL_N; c++) {
        int i = job->col_of[c];
        snprintf(cells[c], sizeof(cells[c]), "%s",
                 i >= 0 && i < row->n_cells && row->cell[i] ? row->cell[i] : "");
        v[c] = trim(cells[c]);
    }
    struct fk_venue_input in = {
        .name = v[COL_NAME][0] ? v[COL_NAME] : NULL,
        .category = v[COL_CATEGORY][0] ? category_of(v[COL_CATEGORY]) : NULL,
        .region = v[COL_REGION][0] ? v[COL_REGION] : NULL,
        .address = v[COL_ADDRESS],
        .contact_name = v[COL_CONTACT],
        .contact_phone = v[COL_PHONE],
        .status = v[COL_STATUS][0] ? status_of(v[COL_STATUS]) : NULL,
    };
    if (v[COL_DWELL][0]) {
        in.has_dwell = 1;
        if (fk_parse_int64(v[COL_DWELL], 0, FK_VENUE_DWELL_MAX, &in.dwell_minutes) != FK_OK)
            in.dwell_minutes = -1;
    }
    struct fk_venue_error why;
    if (fk_venue_check(&in, 1, &why) != FK_OK) {
        reject(job, row->number, column_of(why.field), why.message);
        return FK_OK;
    }
    struct venue_row out;
    memset(&out, 0, sizeof(out));
    char prefix[FK_REGION_CODE_LEN];
    const char *reason;
    struct fk_region region;
    if (fk_region_normalize(in.region, out.region, prefix, &reason) != FK_OK) {
        reject(job, row->number, COL_REGION, "区划代码应为 6、9、12、15 或 18 位数字");
        return FK_OK;
    }
    enum fk_err err = fk_region_get(job->db, out.region, &region);
    if (err == FK_ERR_NOT_FOUND ||
        (err == FK_OK && strncmp(out.region, job->up.prefix, strlen(job->up.prefix)) != 0)) {
        reject(job, row->number, COL_REGION, "区划不存在或不在管辖范围内");
        return FK_OK;
    }
    if (err != FK_OK)
        return err;
    if (job->n_rows % 256 == 0) {
        struct venue_row *grown = realloc(job->rows, (job->n_rows + 256) * sizeof(*grown));
        if (grown == NULL)
            return FK_ERR_NOMEM;
        job->rows = grown;
    }
    snprintf(out.name, sizeof(out.name), "%s", in.name);
    snprintf(out.category, sizeof(out.category), "%s", in.category);
    snprintf(out.address, sizeof(out.address), "%s", in.address);
    snprintf(out.contact, sizeof(out.contact), "%s", in.contact_name);
    snprintf(out.phone, sizeof(out.phone), "%s", in.contact_phone);
    snprintf(out.status, sizeof(out.status), "%s", in.status ? in.status : "open");
    out.dwell = in.has_dwell ? in.dwell_minutes : 0;
    job->rows[job->n_rows++] = out;
    return FK_OK;
}

/* Stores every checked row in one transaction. */
static enum fk_err store_rows(struct import_job *job)
{
    int64_t now = fk_now(), expires_at = now + FK_VENUE_CODE_DAYS * 86400;
    enum fk_err err = fk_db_begin(job->db);
    for (size_t i = 0; i < job->n_rows && err == FK_OK; i++) {
        const struct venue_row *r = &job->rows[i];
        char *sealed = NULL;
        if (r->phone[0] && fk_pii_seal(&job->up.app->pii_key, "phone", r->phone, &sealed) != FK_OK)
            err = FK_ERR_CRYPTO;
        struct fk_venue_input in = {.name = r->name,
                                    .category = r->category,
                                    .address = r->address,
                                    .contact_name = r->contact,
                                    .status = r->status,
                                    .has_dwell = r->dwell > 0,
                                    .dwell_minutes = r->dwell};
        int64_t id;
        if (err == FK_OK)
            err = fk_venue_insert(job->db, &in, r->region, sealed, job->up.user_id, now, expires_at,
                                  &id);
        free(sealed);
        if (err == FK_OK && (i + 1) % 200 == 0)
            err = fk_job_progress(job->db, job->up.job_id, job->total, job->total, (int64_t)i + 1,
                                  job->rejected, 0);
    }
    if (err == FK_OK)
        err = fk_db_commit(job->db);
    if (err != FK_OK)
        fk_db_rollback(job->db);
    return err;
}

/* The error sheet's bytes (malloc'd) or NULL. */
static unsigned char *report_bytes(struct import_job *job, size_t *len)
{
    *len = 0;
    if (!job->report_open)
        return NULL;
    job->report_open = 0;
    off_t size = 0;
    int fd = fk_ledger_close(&job->report, &size);
    if (fd < 0)
        return NULL;
    unsigned char *bytes = size > 0 && size < FK_JOB_REPORT_MAX ? malloc((size_t)size) : NULL;
    size_t got = 0;
    while (bytes != NULL && got < (size_t)size) {
        ssize_t n = pread(fd, bytes + got, (size_t)size - got, (off_t)got);
        if (n <= 0) {
            free(bytes);
            bytes = NULL;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    *len = bytes ? got : 0;
    return bytes;
}

static void run_import(void *arg)
{
    struct import_job *job = arg;
    const char *why = NULL;
    struct fk_sheet *sheet = NULL;
    enum fk_err err = fk_store_conn(job->up.app->store, &job->db);
    if (err != FK_OK) {
        fk_log(FK_LOG_ERROR, "job_no_store", json_pack("{s:I}", "job", job->up.job_id));
        goto done;
    }
    if (fk_job_progress(job->db, job->up.job_id, 0, 0, 0, 0, 0) != FK_OK)
        fk_log(FK_LOG_WARN, "job_progress_failed", json_pack("{s:I}", "job", job->up.job_id));
    err =
        fk_sheet_open((const unsigned char *)job->up.body + job->up.off, job->up.len, &sheet, &why);
    if (err == FK_OK)
        err = fk_sheet_read(sheet, on_row, job, &why);
    if (err == FK_OK && !job->header_done) {
        err = FK_ERR_INVALID;
        snprintf(job->why, sizeof(job->why), "文件为空");
    }
    if (err != FK_OK && job->why[0] == '\0')
        snprintf(job->why, sizeof(job->why), "%s", why ? why : "文件无法读取");
    if (err == FK_OK && fk_job_progress(job->db, job->up.job_id, job->total, job->total, 0,
                                        job->rejected, 0) != FK_OK)
        fk_log(FK_LOG_WARN, "job_progress_failed", json_pack("{s:I}", "job", job->up.job_id));
    if (err == FK_OK && job->n_rows > 0 && (err = store_rows(job)) != FK_OK)
        snprintf(job->why, sizeof(job->why), "保存失败，未导入任何场所，请重试");
    int64_t imported = err == FK_OK ? (int64_t)job->n_rows : 0;
    char message[256];
    if (err == FK_OK)
        snprintf(message, sizeof(message), "导入完成：共 %lld 行，导入 %lld 个场所，%lld 行有误",
                 (long long)job->total, (long long)imported, (long long)job->rejected);
    else
        snprintf(message, sizeof(message), "%s", job->why);
    size_t report_len = 0;
    unsigned char *report = err == FK_OK ? report_bytes(job, &report_len) : NULL;
    if (err == FK_OK && fk_job_progress(job->db, job->up.job_id, job->total, job->total, imported,
                                        job->rejected, 0) != FK_OK)
        fk_log(FK_LOG_WARN, "job_progress_failed", json_pack("{s:I}", "job", job->up.job_id));
    if (fk_job_finish(job->db, job->up.job_id, err == FK_OK ? "done" : "failed", message, report,
                      report_len) != FK_OK)
        fk_log(FK_LOG_ERROR, "job_finish_failed", json_pack("{s:I}", "job", job->up.job_id));
    free(report);
    json_t *detail = json_pack("{s:s,s:I,s:I,s:I,s:s}", "result", err == FK_OK ? "done" : "failed",
                               "total", (json_int_t)job->total, "imported", (json_int_t)imported,
                               "rejected", (json_int_t)job->rejected, "message", message);
    const struct fk_caller who = {.user_id = job->up.user_id,
                                  .username = job->up.username,
                                  .region = job->up.region,
                                  .ip = job->up.ip};
    if (fk_caller_audit(job->db, FK_OK, &who, "venue_import", "job", job->up.job_id, 0,
                        json_incref(detail)) != FK_OK)
        fk_log_msg(FK_LOG_ERROR, "audit_write_failed", "venue_import");
    fk_log(err == FK_OK ? FK_LOG_INFO : FK_LOG_WARN, "venue_import_finished", detail);
done:
    if (job->report_open)
        fk_ledger_abort(&job->report);
    fk_sheet_free(sheet);
    free(job->rows);
    free(job->up.body);
    free(job);
}

void fk_venues_import_post(struct fk_req *req)
{
    struct import_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    if (fk_upload_job_start(req, "import_venues", &job->up, run_import, job) != 0)
        free(job);
}

void fk_venues_import_template(struct fk_req *req)
{
    static const char text[] =
        "\xEF\xBB\xBF场所名称,类别,区划代码,地址,负责人,负责人电话,停留时长（分钟）,状态\r\n"
        "示例超市,supermarket,141102001001,滨河街道示例路 1 号,张三,13800000000,30,开放\r\n";
    fk_reply_bytes(req, 200, "text/csv; charset=utf-8", text, sizeof(text) - 1);
    fk_reply_header(req, "Content-Disposition", "attachment; filename=\"venues-template.csv\"");
}
