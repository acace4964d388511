/* The import of persons: header, rows, validation (residents.h), batches,
 * the error sheet and the template. No HTTP here. */
#include "core/log.h"
#include "imports/imports.h"
#include "imports/sheet.h"
#include "residents/residents.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

const char *const fk_import_headers_zh[FK_COL_N] = {"身份证号", "姓名", "手机号", "区划代码",
                                                    "地址"};
const char *const fk_import_headers_en[FK_COL_N] = {"id_number", "name", "phone", "region",
                                                    "address"};

/* Other spellings people use for the same columns. */
static const char *const aliases[][2] = {
    {"身份证号码", "0"}, {"公民身份号码", "0"}, {"身份证", "0"}, {"手机号码", "2"},
    {"联系电话", "2"},   {"手机", "2"},         {"区划", "3"},   {"region_code", "3"},
    {"住址", "4"},       {"现住址", "4"},       {"mobile", "2"},
};

#define REPORT_COLS 3 /* 行号, 列, 原因 before the template columns */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- a set of ID numbers seen in this file (first 17 digits as a key) --- */

struct idset {
    uint64_t *slots; /* 0 = empty; key + 1 otherwise */
    size_t cap, n;
};

static enum fk_err idset_grow(struct idset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 4096;
    uint64_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return FK_ERR_NOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i] == 0)
            continue;
        size_t h = (size_t)(s->slots[i] * 0x9e3779b97f4a7c15ull) & (cap - 1);
        while (slots[h] != 0)
            h = (h + 1) & (cap - 1);
        slots[h] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return FK_OK;
}

/* Adds the number; *seen says whether it was there already. */
static enum fk_err idset_add(struct idset *s, const char *number, int *seen)
{
    uint64_t key = 1;
    for (int i = 0; i < 17; i++)
        key = key * 10 + (uint64_t)(number[i] - '0');
    if (s->n * 2 >= s->cap) {
        enum fk_err err = idset_grow(s);
        if (err != FK_OK)
            return err;
    }
    size_t h = (size_t)(key * 0x9e3779b97f4a7c15ull) & (s->cap - 1);
    while (s->slots[h] != 0) {
        if (s->slots[h] == key) {
            *seen = 1;
            return FK_OK;
        }
        h = (h + 1) & (s->cap - 1);
    }
    s->slots[h] = key;
    s->n++;
    *seen = 0;
    return FK_OK;
}

/* --- files --- */

/* A fresh private temp file name for libxlsxwriter (which writes by name). */
static enum fk_err temp_path(char path[64])
{
    snprintf(path, 64, "/tmp/fk-xlsx-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return FK_ERR_IO;
    close(fd);
    return FK_OK;
}

/* --- the error sheet --- */

struct report {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *text;
    lxw_format *head;
    char path[64];
    int64_t rows;
};

static enum fk_err report_open(struct report *r)
{
    if (temp_path(r->path) != FK_OK)
        return FK_ERR_IO;
    lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    r->wb = workbook_new_opt(r->path, &options);
    if (r->wb == NULL) {
        unlink(r->path);
        return FK_ERR_IO;
    }
    /* Named like the template so that the corrected sheet is read first. */
    r->ws = workbook_add_worksheet(r->wb, "待修正");
    r->text = workbook_add_format(r->wb);
    format_set_num_format(r->text, "@");
    r->head = workbook_add_format(r->wb);
    format_set_bold(r->head);
    if (r->ws == NULL || r->text == NULL || r->head == NULL)
        return FK_ERR_NOMEM;
    static const char *const first[REPORT_COLS] = {"行号", "列", "原因"};
    worksheet_set_column(r->ws, 0, 0, 8, NULL);
    worksheet_set_column(r->ws, 1, 1, 10, NULL);
    worksheet_set_column(r->ws, 2, 2, 36, NULL);
    worksheet_set_column(r->ws, REPORT_COLS, REPORT_COLS, 22, r->text);
    worksheet_set_column(r->ws, REPORT_COLS + 1, REPORT_COLS + 3, 16, r->text);
    worksheet_set_column(r->ws, REPORT_COLS + 4, REPORT_COLS + 4, 40, r->text);
    for (int i = 0; i < REPORT_COLS; i++)
        worksheet_write_string(r->ws, 0, (lxw_col_t)i, first[i], r->head);
    for (int i = 0; i < FK_COL_N; i++)
        worksheet_write_string(r->ws, 0, (lxw_col_t)(REPORT_COLS + i), fk_import_headers_zh[i],
                               r->head);
    worksheet_freeze_panes(r->ws, 1, 0);
    return FK_OK;
}

/* A cell as XML allows it: control characters become spaces. */
static void clean_copy(const char *in, char *out, size_t out_size)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < out_size; i++)
        out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? ' ' : in[i];
    out[i] = '\0';
}

static void report_row(struct report *r, int64_t number, const char *column, const char *reason,
                       const char *const cells[FK_COL_N])
{
    lxw_row_t row = (lxw_row_t)(++r->rows);
    char buf[FK_SHEET_CELL_MAX + 1];
    worksheet_write_number(r->ws, row, 0, (double)number, NULL);
    worksheet_write_string(r->ws, row, 1, column, NULL);
    worksheet_write_string(r->ws, row, 2, reason, NULL);
    for (int i = 0; i < FK_COL_N; i++) {
        if (cells[i] == NULL || cells[i][0] == '\0')
            continue;
        clean_copy(cells[i], buf, sizeof(buf));
        worksheet_write_string(r->ws, row, (lxw_col_t)(REPORT_COLS + i), buf, r->text);
    }
}

/* Closes the workbook; the bytes go to *out when `keep`. */
static enum fk_err report_close(struct report *r, int keep, unsigned char **out, size_t *len)
{
    if (r->wb == NULL)
        return FK_OK;
    lxw_error lerr = workbook_close(r->wb);
    r->wb = NULL;
    enum fk_err err = FK_OK;
    if (lerr != LXW_NO_ERROR)
        err = FK_ERR_IO;
    else if (keep)
        err = fk_sheet_read_file(r->path, 1024u * 1024 * 1024, out, len);
    unlink(r->path);
    return err;
}

/* --- the importer --- */

struct importer {
    const struct fk_import_opts *o;
    struct fk_import_result *res;
    int counting; /* first pass: header and row count only */
    int header_done;
    int col_of[FK_COL_N]; /* index in the file, -1 if absent */
    struct idset seen;
    struct fk_person_valid *batch; /* what the open transaction holds, for a replay */
    int batch_n;
    int batch_max;        /* rows */
    int64_t batch_max_ns; /* a batch also ends after this long: progress stays fresh */
    int sqlite;           /* a failed INSERT leaves the transaction usable: no look-up first */
    int in_tx;
    int64_t batch_started_ns;
    struct report report;
    const char *why; /* for a failure of the whole file */
};

/* Trims ASCII blanks, U+3000, U+00A0 and a BOM in place; returns the start. */
static char *trim(char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        else if (memcmp(s, "\xe3\x80\x80", 3) == 0 || memcmp(s, "\xef\xbb\xbf", 3) == 0)
            s += 3;
        else if (memcmp(s, "\xc2\xa0", 2) == 0)
            s += 2;
        else
            break;
    }
    size_t n = strlen(s);
    for (;;) {
        if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
            n--;
        else if (n >= 3 && memcmp(s + n - 3, "\xe3\x80\x80", 3) == 0)
            n -= 3;
        else if (n >= 2 && memcmp(s + n - 2, "\xc2\xa0", 2) == 0)
            n -= 2;
        else
            break;
    }
    s[n] = '\0';
    return s;
}

static int header_column(const char *text)
{
    for (int i = 0; i < FK_COL_N; i++)
        if (strcmp(text, fk_import_headers_zh[i]) == 0 ||
            strcasecmp(text, fk_import_headers_en[i]) == 0)
            return i;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(text, aliases[i][0]) == 0)
            return aliases[i][1][0] - '0';
    return -1;
}

static enum fk_err read_header(struct importer *im, const struct fk_sheet_row *row)
{
    for (int i = 0; i < FK_COL_N; i++)
        im->col_of[i] = -1;
    int known = 0;
    char text[FK_SHEET_CELL_MAX + 1];
    for (int c = 0; c < row->n_cells; c++) {
        snprintf(text, sizeof(text), "%s", row->cell[c]);
        int col = header_column(trim(text));
        if (col < 0)
            continue; /* unknown columns (e.g. 行号, 列, 原因 of an error sheet) are ignored */
        if (im->col_of[col] >= 0) {
            snprintf(im->res->message, sizeof(im->res->message), "表头中“%s”列重复",
                     fk_import_headers_zh[col]);
            return FK_ERR_INVALID;
        }
        im->col_of[col] = c;
        known++;
    }
    if (known == 0) {
        snprintf(im->res->message, sizeof(im->res->message),
                 "第 %lld 行不是表头：应包含 身份证号,姓名,手机号,区划代码,地址（或 "
                 "id_number,name,phone,region,address）",
                 (long long)row->number);
        return FK_ERR_INVALID;
    }
    static const int required[] = {FK_COL_ID, FK_COL_NAME, FK_COL_REGION};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        int col = required[i];
        if (im->col_of[col] < 0) {
            snprintf(im->res->message, sizeof(im->res->message), "缺少必需的列：%s（%s）",
                     fk_import_headers_zh[col], fk_import_headers_en[col]);
            return FK_ERR_INVALID;
        }
    }
    return FK_OK;
}

static void progress(struct importer *im)
{
    if (im->o->progress != NULL)
        im->o->progress(im->o->progress_ctx, &im->res->counts);
}

static enum fk_err begin_batch(struct importer *im)
{
    enum fk_err err = fk_db_begin(im->o->db);
    if (err == FK_OK) {
        im->in_tx = 1;
        im->batch_n = 0;
        im->batch_started_ns = mono_ns();
    }
    return err;
}

/* Stores the batch row by row, each in its own transaction: after a
 * conflict the batch transaction is gone (PostgreSQL aborts it). */
static enum fk_err replay_batch(struct importer *im)
{
    struct fk_import_counts *c = &im->res->counts;
    for (int i = 0; i < im->batch_n; i++) {
        int64_t id = 0, existing = 0;
        enum fk_err err =
            fk_person_insert(im->o->db, im->o->key, &im->batch[i], im->o->now, &id, &existing);
        if (err == FK_OK)
            c->imported++;
        else if (err == FK_ERR_CONFLICT)
            c->skipped++; /* stored meanwhile by someone else */
        else
            return err;
    }
    im->batch_n = 0;
    return FK_OK;
}

static enum fk_err commit_batch(struct importer *im)
{
    if (!im->in_tx)
        return FK_OK;
    im->in_tx = 0;
    enum fk_err err = fk_db_commit(im->o->db);
    if (err != FK_OK) {
        fk_db_rollback(im->o->db);
        if (im->batch != NULL)
            err = replay_batch(im);
    } else {
        im->res->counts.imported += im->batch_n;
        im->batch_n = 0;
    }
    if (err == FK_OK)
        progress(im);
    return err;
}

/* Adds a valid person to the open batch. */
static enum fk_err store_person(struct importer *im, const struct fk_person_valid *p)
{
    enum fk_err err;
    if (!im->in_tx && (err = begin_batch(im)) != FK_OK)
        return err;
    if (im->batch != NULL)
        im->batch[im->batch_n] = *p; /* kept for a replay (PostgreSQL) */
    im->batch_n++;
    int64_t id = 0;
    err = fk_person_insert(im->o->db, im->o->key, p, im->o->now, &id, NULL);
    if (err == FK_ERR_CONFLICT && im->sqlite) {
        /* Stored already: SQLite undid the statement, the batch goes on. */
        im->batch_n--;
        im->res->counts.skipped++;
        return FK_OK;
    }
    if (err == FK_ERR_CONFLICT) {
        fk_db_rollback(im->o->db);
        im->in_tx = 0;
        err = replay_batch(im);
        if (err == FK_OK)
            progress(im);
        return err;
    }
    if (err != FK_OK)
        return err;
    if (im->batch_n >= im->batch_max || mono_ns() - im->batch_started_ns > im->batch_max_ns)
        return commit_batch(im);
    return FK_OK;
}

static enum fk_err reject(struct importer *im, const struct fk_sheet_row *row, int col,
                          const char *reason, const char *const cells[FK_COL_N])
{
    im->res->counts.rejected++;
    if (im->report.rows >= FK_IMPORT_REPORT_MAX)
        return FK_OK;
    if (im->report.wb == NULL) {
        enum fk_err err = report_open(&im->report);
        if (err != FK_OK)
            return err;
    }
    report_row(&im->report, row->number, col >= 0 ? fk_import_headers_zh[col] : "", reason, cells);
    return FK_OK;
}

/* "1.41102E+17": an ID number that went through Excel as a number. */
static int looks_scientific(const char *s)
{
    const char *e = strpbrk(s, "eE");
    return e != NULL && s[0] >= '0' && s[0] <= '9' && (e[1] == '+' || e[1] == '-') &&
           strspn(s, "0123456789.eE+-") == strlen(s);
}

static int column_of_field(const char *field)
{
    if (field == NULL)
        return -1;
    for (int i = 0; i < FK_COL_N; i++)
        if (strcmp(field, fk_import_headers_en[i]) == 0)
            return i;
    return -1;
}

static enum fk_err import_row(struct importer *im, const struct fk_sheet_row *row)
{
    struct fk_import_counts *c = &im->res->counts;
    c->done++;
    /* The original cells (for the report) and trimmed copies (to validate). */
    const char *orig[FK_COL_N];
    char value[FK_COL_N][FK_SHEET_CELL_MAX + 1];
    char *in[FK_COL_N];
    unsigned flags[FK_COL_N];
    for (int i = 0; i < FK_COL_N; i++) {
        int at = im->col_of[i];
        orig[i] = at >= 0 && at < row->n_cells ? row->cell[at] : "";
        flags[i] = at >= 0 && at < row->n_cells ? row->flags[at] : 0;
        snprintf(value[i], sizeof(value[i]), "%s", orig[i]);
        in[i] = trim(value[i]);
        /* ="0123..." is how people keep Excel from turning digits into numbers. */
        size_t n = strlen(in[i]);
        if (n >= 3 && in[i][0] == '=' && in[i][1] == '"' && in[i][n - 1] == '"') {
            in[i][n - 1] = '\0';
            in[i] = trim(in[i] + 2);
        }
    }
    for (int i = 0; i < FK_COL_N; i++)
        if (flags[i] & FK_CELL_TRUNCATED)
            return reject(im, row, i, "内容超过 1024 字节", orig);
    if ((flags[FK_COL_ID] & FK_CELL_IMPRECISE) || looks_scientific(in[FK_COL_ID]))
        return reject(im, row, FK_COL_ID,
                      "身份证号被 Excel 存成了数字，后几位已丢失：请把该列设为文本格式后重新填写",
                      orig);
    struct fk_person_input input = {
        .id_number = in[FK_COL_ID],
        .name = in[FK_COL_NAME],
        .phone = in[FK_COL_PHONE],
        .region = in[FK_COL_REGION],
        .address = in[FK_COL_ADDRESS],
    };
    struct fk_person_valid valid;
    struct fk_person_error why = {0};
    enum fk_err err = fk_person_validate(im->o->db, &input, im->o->scope, im->o->now, &valid, &why);
    if (err == FK_ERR_INVALID)
        return reject(im, row, column_of_field(why.field), why.message ? why.message : "无效",
                      orig);
    if (err != FK_OK)
        return err;
    int seen = 0;
    if ((err = idset_add(&im->seen, valid.id.number, &seen)) != FK_OK)
        return err;
    if (seen)
        return reject(im, row, FK_COL_ID, "文件内身份证号重复", orig);
    /* Already stored → skipped. SQLite learns it from the INSERT itself;
     * PostgreSQL would abort the batch on the conflict, so it looks first. */
    int64_t existing = 0;
    if (!im->sqlite && (err = fk_person_find_by_id_number(im->o->db, im->o->key, valid.id.number,
                                                          &existing)) != FK_OK)
        return err;
    if (existing != 0) {
        c->skipped++;
        return FK_OK;
    }
    return store_person(im, &valid);
}

static enum fk_err on_row(void *ctx, const struct fk_sheet_row *row)
{
    struct importer *im = ctx;
    if (!im->header_done) {
        im->header_done = 1;
        return im->counting ? read_header(im, row) : FK_OK;
    }
    if (im->counting) {
        im->res->counts.total++;
        return FK_OK;
    }
    if (im->o->cancel != NULL && *im->o->cancel)
        return FK_ERR_BUSY;
    return import_row(im, row);
}

enum fk_err fk_import_persons(const struct fk_import_opts *opts, const unsigned char *bytes,
                              size_t len, struct fk_import_result *out)
{
    memset(out, 0, sizeof(*out));
    struct importer im = {.o = opts,
                          .res = out,
                          .counting = 1,
                          .sqlite = opts->kind == FK_STORE_SQLITE,
                          .batch_max = FK_IMPORT_BATCH,
                          .batch_max_ns = FK_IMPORT_BATCH_MS * 1000000LL};
    if (im.sqlite) {
        im.batch_max = FK_IMPORT_BATCH_SQLITE;
        im.batch_max_ns = FK_IMPORT_BATCH_SQLITE_MS * 1000000LL;
    }
    struct fk_sheet *sheet = NULL;
    const char *why = NULL;
    enum fk_err err = fk_sheet_open(bytes, len, &sheet, &why);
    if (err != FK_OK)
        goto fail;
    out->format = fk_sheet_format(sheet) == FK_SHEET_XLSX ? "xlsx" : "csv";
    out->encoding = fk_sheet_encoding(sheet);
    /* Pass 1: the header and the number of rows, before anything is stored. */
    if ((err = fk_sheet_read(sheet, on_row, &im, &why)) != FK_OK)
        goto fail;
    if (!im.header_done) {
        why = "文件中没有表头和数据";
        err = FK_ERR_INVALID;
        goto fail;
    }
    progress(&im);
    /* Pass 2: the rows. */
    im.counting = 0;
    im.header_done = 0;
    if (im.sqlite) {
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", FK_IMPORT_SQLITE_CACHE_KIB);
        if (fk_db_exec(opts->db, pragma) != FK_OK)
            fk_log_msg(FK_LOG_WARN, "import_cache_size", fk_db_errmsg(opts->db));
    }
    if (!im.sqlite && (im.batch = malloc(sizeof(*im.batch) * (size_t)im.batch_max)) == NULL) {
        err = FK_ERR_NOMEM;
        goto fail;
    }
    err = fk_sheet_read(sheet, on_row, &im, &why);
    if (err == FK_OK)
        err = commit_batch(&im);
    if (err != FK_OK)
        goto fail;
    struct fk_import_counts *c = &out->counts;
    progress(&im);
    if (c->rejected > 0 &&
        (err = report_close(&im.report, 1, &out->report, &out->report_len)) != FK_OK)
        goto fail;
    int n = snprintf(out->message, sizeof(out->message),
                     "共 %lld 行：导入 %lld 行，跳过 %lld 行（身份证号已登记），拒绝 %lld 行",
                     (long long)c->total, (long long)c->imported, (long long)c->skipped,
                     (long long)c->rejected);
    if (c->rejected > FK_IMPORT_REPORT_MAX && n > 0 && (size_t)n < sizeof(out->message))
        snprintf(out->message + n, sizeof(out->message) - (size_t)n, "（错误表只列出前 %d 行）",
                 FK_IMPORT_REPORT_MAX);
    fk_sheet_free(sheet);
    free(im.batch);
    free(im.seen.slots);
    return FK_OK;
fail:
    if (im.in_tx)
        fk_db_rollback(opts->db);
    if (report_close(&im.report, 0, NULL, NULL) != FK_OK)
        why = why ? why : "无法写入错误表";
    if (out->message[0] == '\0') {
        const char *text = why;
        if (text == NULL)
            text = err == FK_ERR_BUSY ? "导入被中断" : "导入失败：数据库错误";
        snprintf(out->message, sizeof(out->message), "%s", text);
    }
    fk_sheet_free(sheet);
    free(im.batch);
    free(im.seen.slots);
    free(out->report);
    out->report = NULL;
    out->report_len = 0;
    return err;
}

/* --- the template --- */

static void example_id(char out[19])
{
    memcpy(out, "14110219900307001", 17); /* 1990-03-07, invented */
    out[17] = fk_resident_id_check_char(out);
    out[18] = '\0';
}

#define EXAMPLE_NAME "张示例"
#define EXAMPLE_PHONE "13800000000"
#define EXAMPLE_REGION "141102001001001"
#define EXAMPLE_ADDRESS "示例小区1号楼1单元101室"

enum fk_err fk_import_template_xlsx(unsigned char **out, size_t *len)
{
    char path[64];
    if (temp_path(path) != FK_OK)
        return FK_ERR_IO;
    lxw_workbook *wb = workbook_new(path);
    if (wb == NULL) {
        unlink(path);
        return FK_ERR_IO;
    }
    lxw_worksheet *ws = workbook_add_worksheet(wb, "人员");
    lxw_format *text = workbook_add_format(wb);
    lxw_format *head = workbook_add_format(wb);
    if (ws != NULL && text != NULL && head != NULL) {
        format_set_num_format(text, "@");
        format_set_bold(head);
        worksheet_set_column(ws, 0, 0, 22, text);
        worksheet_set_column(ws, 1, 3, 16, text);
        worksheet_set_column(ws, 4, 4, 40, text);
        for (int i = 0; i < FK_COL_N; i++)
            worksheet_write_string(ws, 0, (lxw_col_t)i, fk_import_headers_zh[i], head);
        char id[19];
        example_id(id);
        const char *row[FK_COL_N] = {id, EXAMPLE_NAME, EXAMPLE_PHONE, EXAMPLE_REGION,
                                     EXAMPLE_ADDRESS};
        for (int i = 0; i < FK_COL_N; i++)
            worksheet_write_string(ws, 1, (lxw_col_t)i, row[i], text);
        worksheet_freeze_panes(ws, 1, 0);
    }
    enum fk_err err = workbook_close(wb) == LXW_NO_ERROR ? FK_OK : FK_ERR_IO;
    if (err == FK_OK)
        err = fk_sheet_read_file(path, 1024 * 1024, out, len);
    unlink(path);
    return err;
}

enum fk_err fk_import_template_csv(char **out, size_t *len)
{
    char id[19];
    example_id(id);
    char text[512];
    /* BOM so that Excel reads UTF-8; ="..." keeps Excel from turning the ID
     * number into a number (the importer strips it). */
    int n = snprintf(text, sizeof(text),
                     "\xef\xbb\xbf身份证号,姓名,手机号,区划代码,地址\r\n"
                     "=\"%s\"," EXAMPLE_NAME "," EXAMPLE_PHONE "," EXAMPLE_REGION
                     "," EXAMPLE_ADDRESS "\r\n",
                     id);
    if (n < 0 || (size_t)n >= sizeof(text))
        return FK_ERR_INTERNAL;
    *out = malloc((size_t)n + 1);
    if (*out == NULL)
        return FK_ERR_NOMEM;
    memcpy(*out, text, (size_t)n + 1);
    *len = (size_t)n;
    return FK_OK;
}
