/* Ledger files shared by every module's exports (see ledger.h). */
#include "http/ledger.h"
#include "core/clock.h"

#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fk_ledger_open(struct fk_ledger *lg, int xlsx, const char *sheet_name,
                   const char *const *headers, const double *widths, int n)
{
    memset(lg, 0, sizeof(*lg));
    lg->xlsx = xlsx;
    snprintf(lg->path, sizeof(lg->path), "/tmp/fangkong-ledger-XXXXXX");
    int fd = mkstemp(lg->path);
    if (fd < 0)
        return -1;
    if (xlsx) {
        close(fd);
        lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = "/tmp"};
        lg->book = workbook_new_opt(lg->path, &options);
        if (lg->book == NULL)
            return -1;
        lg->sheet = workbook_add_worksheet(lg->book, sheet_name);
        lg->header_format = workbook_add_format(lg->book);
        format_set_bold(lg->header_format);
        format_set_bg_color(lg->header_format, 0xF2F2F2);
        for (int c = 0; c < n; c++) {
            worksheet_set_column(lg->sheet, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL);
            worksheet_write_string(lg->sheet, 0, (lxw_col_t)c, headers[c], lg->header_format);
        }
        worksheet_freeze_panes(lg->sheet, 1, 0);
    } else {
        lg->csv = fdopen(fd, "w");
        if (lg->csv == NULL) {
            close(fd);
            return -1;
        }
        fputs("\xEF\xBB\xBF", lg->csv); /* BOM: Excel then reads UTF-8 */
        for (int c = 0; c < n; c++) {
            if (c > 0)
                fputc(',', lg->csv);
            csv_fwrite(lg->csv, headers[c], strlen(headers[c]));
        }
        fputs("\r\n", lg->csv);
    }
    lg->row = 1;
    return 0;
}

/* Writes one row of strings. Values a spreadsheet would run as a formula
 * (=, +, -, @) are prefixed with an apostrophe in CSV. */
void fk_ledger_row(struct fk_ledger *lg, const char *const *cells, int n)
{
    for (int c = 0; c < n; c++) {
        const char *value = cells[c] ? cells[c] : "";
        if (lg->xlsx) {
            if (worksheet_write_string(lg->sheet, lg->row, (lxw_col_t)c, value, NULL) !=
                LXW_NO_ERROR)
                lg->failed = 1;
            continue;
        }
        if (c > 0)
            fputc(',', lg->csv);
        if (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@') {
            char guarded[FK_LEDGER_CELL_MAX + 2];
            snprintf(guarded, sizeof(guarded), "'%s", value);
            csv_fwrite(lg->csv, guarded, strlen(guarded));
        } else {
            csv_fwrite(lg->csv, value, strlen(value));
        }
    }
    if (!lg->xlsx)
        fputs("\r\n", lg->csv);
    lg->row++;
}

/* Finishes the file and returns an open descriptor of it (already unlinked). */
int fk_ledger_close(struct fk_ledger *lg, off_t *size)
{
    int ok = !lg->failed;
    if (lg->xlsx) {
        if (lg->book != NULL && workbook_close(lg->book) != LXW_NO_ERROR)
            ok = 0;
    } else if (lg->csv != NULL && fclose(lg->csv) != 0) {
        ok = 0;
    }
    int fd = ok ? open(lg->path, O_RDONLY | O_CLOEXEC) : -1;
    unlink(lg->path);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        *size = st.st_size;
    return fd;
}

void fk_ledger_abort(struct fk_ledger *lg)
{
    off_t size;
    int fd = fk_ledger_close(lg, &size);
    if (fd >= 0)
        close(fd);
}

void fk_ledger_reply(struct fk_req *req, int fd, off_t size, int xlsx, const char *base)
{
    struct MHD_Response *response = MHD_create_response_from_fd((uint64_t)size, fd);
    if (response == NULL) {
        close(fd);
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    char date[FK_RFC3339_LEN], disposition[160];
    fk_time_format(fk_now(), date);
    date[10] = '\0';
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s-%s.%s\"", base, date,
             xlsx ? "xlsx" : "csv");
    MHD_add_response_header(
        response, "Content-Type",
        xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
             : "text/csv; charset=utf-8");
    MHD_add_response_header(response, "Content-Disposition", disposition);
    MHD_add_response_header(response, "Cache-Control", "no-store");
    req->status = 200;
    req->response = response;
}

int fk_ledger_format_or_reply(struct fk_req *req, int *xlsx)
{
    const char *format = fk_req_query(req, "format");
    if (format == NULL || strcmp(format, "xlsx") == 0) {
        *xlsx = 1;
        return 0;
    }
    if (strcmp(format, "csv") == 0) {
        *xlsx = 0;
        return 0;
    }
    fk_reply_err(req, FK_E_EXPORT_FORMAT, "format");
    return -1;
}

void fk_ledger_finish(struct fk_req *req, struct fk_ledger *lg, enum fk_err err, const char *base)
{
    if (err != FK_OK) {
        fk_ledger_abort(lg);
        fk_reply_fail(req, err, NULL);
        return;
    }
    off_t size = 0;
    int xlsx = lg->xlsx;
    int fd = fk_ledger_close(lg, &size);
    if (fd < 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    fk_ledger_reply(req, fd, size, xlsx, base);
}

const char *fk_ledger_text(json_t *object, const char *name)
{
    const char *text = json_string_value(json_object_get(object, name));
    return text ? text : "";
}

void fk_ledger_local_time(json_t *value, char out[20])
{
    const char *text = json_string_value(value);
    snprintf(out, 20, "%s", text ? text : "");
    if (strlen(out) >= 16) {
        out[16] = '\0';
        out[10] = ' ';
    }
}
