/* Ledgers (台账) as downloads: .xlsx through libxlsxwriter in constant-memory
 * mode, or .csv through libcsv quoting (UTF-8 with BOM so Excel reads it).
 * The file is written to a temporary file, unlinked once open, then sent with
 * MHD_create_response_from_fd, so memory stays flat whatever the row count.
 * Modules read their rows in keyset batches and call fk_ledger_row. */
#ifndef FK_HTTP_LEDGER_H
#define FK_HTTP_LEDGER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <xlsxwriter.h>
#include "http/http.h"

#define FK_LEDGER_CELL_MAX 1024 /* longer CSV cells that need a formula guard are cut */

struct fk_ledger {
    int xlsx;
    char path[64];
    FILE *csv;
    lxw_workbook *book;
    lxw_worksheet *sheet;
    lxw_format *header_format;
    uint32_t row;
    int failed;
};

/* Opens a ledger with a header row into the caller's `lg` (finish it with
 * fk_ledger_close/abort/finish); `sheet_name`, `headers` and `widths` are
 * borrowed. -1 on failure (nothing to clean up). */
int fk_ledger_open(struct fk_ledger *lg, int xlsx, const char *sheet_name,
                   const char *const *headers, const double *widths, int n);
/* Writes one row of n strings (borrowed; NULL = empty). */
void fk_ledger_row(struct fk_ledger *lg, const char *const *cells, int n);
/* Finishes the file: an open, already unlinked descriptor the caller owns
 * (close it, or hand it to fk_ledger_reply) and its size, or -1. */
int fk_ledger_close(struct fk_ledger *lg, off_t *size);
/* Finishes and discards the file. */
void fk_ledger_abort(struct fk_ledger *lg);
/* Replies 200 with the file as an attachment "<base>-YYYY-MM-DD.<ext>"; takes
 * fd (the reply closes it); `base` is borrowed. */
void fk_ledger_reply(struct fk_req *req, int fd, off_t size, int xlsx, const char *base);
/* Ends a ledger request: with `err` FK_OK closes the file and replies with
 * it (as fk_ledger_reply), otherwise discards it and replies the error. */
void fk_ledger_finish(struct fk_req *req, struct fk_ledger *lg, enum fk_err err, const char *base);
/* ?format=xlsx (default) or csv; -1 after replying 422 naming "format". */
int fk_ledger_format_or_reply(struct fk_req *req, int *xlsx);

/* Cell helpers shared by the ledgers (folded from cards, quarantine and
 * passes). The string member `name` of `object`, or "" (borrowed). */
const char *fk_ledger_text(json_t *object, const char *name);
/* An RFC 3339 JSON string ("2022-03-02T08:00:00+08:00") as the cell
 * "2022-03-02 08:00"; "" for anything else. */
void fk_ledger_local_time(json_t *value, char out[20]);

#endif
