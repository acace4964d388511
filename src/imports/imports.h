/* Bulk import of residents from CSV/XLSX (issue 3 item 2): the import itself
 * (store, no HTTP), its HTTP routes and the `fangkong import` subcommand.
 * See docs/internals/imports.md. */
#ifndef FK_IMPORTS_IMPORTS_H
#define FK_IMPORTS_IMPORTS_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* Rows stored per transaction, and the longest a transaction stays open:
 * PostgreSQL, and SQLite where one writer holds the lock for the batch (other
 * writers wait up to the busy timeout, 10 s) but every commit rewrites the
 * index pages the batch touched, so larger batches are much faster. */
#define FK_IMPORT_BATCH 5000
#define FK_IMPORT_BATCH_MS 250
#define FK_IMPORT_BATCH_SQLITE 50000
#define FK_IMPORT_BATCH_SQLITE_MS 2000
/* SQLite page cache of the importing connection (KiB): the persons indexes
 * are written in random order (blind indexes), so they must stay cached. */
#define FK_IMPORT_SQLITE_CACHE_KIB 131072
/* Rejected rows listed in the error sheet; further ones are only counted. */
#define FK_IMPORT_REPORT_MAX 100000

/* The template's columns, in order (Chinese headers; English ones accepted). */
enum fk_import_col {
    FK_COL_ID,
    FK_COL_NAME,
    FK_COL_PHONE,
    FK_COL_REGION,
    FK_COL_ADDRESS,
    FK_COL_N
};
extern const char *const fk_import_headers_zh[FK_COL_N];
extern const char *const fk_import_headers_en[FK_COL_N];

struct fk_import_counts {
    int64_t total; /* data rows in the file */
    int64_t done;  /* rows handled so far */
    int64_t imported, rejected, skipped;
};

/* Called now and then (the caller decides how often to pass it on). */
typedef void (*fk_import_progress_fn)(void *ctx, const struct fk_import_counts *counts);

struct fk_import_opts {
    struct fk_conn *db;
    enum fk_store_kind kind; /* tunes batches; 0 = the PostgreSQL-safe defaults */
    const struct fk_pii_key *key;
    const char *scope; /* region prefix the rows must lie in; "" = whole store */
    int64_t now;       /* bounds birth dates; stamps created_at */
    fk_import_progress_fn progress;
    void *progress_ctx;
    const volatile int *cancel; /* optional: non-zero stops between rows */
};

struct fk_import_result {
    struct fk_import_counts counts;
    const char *format;    /* "csv" / "xlsx" (static) */
    const char *encoding;  /* "utf-8", "gbk", "utf-16", "xlsx" (static) */
    char message[256];     /* Chinese: the outcome, or why the file failed */
    unsigned char *report; /* the error sheet (.xlsx) when rows were rejected; free() it */
    size_t report_len;
};

/* Imports the persons in the file `bytes` (borrowed). Valid rows are stored
 * (in batches, one transaction each), rows whose ID number is stored already
 * are skipped, every other row is rejected and listed in out->report.
 * FK_OK when the file was read to the end (even with rejected rows);
 * FK_ERR_INVALID / FK_ERR_TOO_LARGE with out->message when the file as a
 * whole cannot be imported (format, encoding, header, size: nothing stored);
 * FK_ERR_DB / FK_ERR_NOMEM / FK_ERR_BUSY (cancelled) otherwise, with the
 * batches already committed kept. */
enum fk_err fk_import_persons(const struct fk_import_opts *opts, const unsigned char *bytes,
                              size_t len, struct fk_import_result *out) FK_MUST_CHECK;

/* The template: headers and one invented example row. *out is freed by the
 * caller. */
enum fk_err fk_import_template_xlsx(unsigned char **out, size_t *len) FK_MUST_CHECK;
enum fk_err fk_import_template_csv(char **out, size_t *len) FK_MUST_CHECK;

/* Routes: template downloads and POST /api/v1/imports/persons. */
/* The uploaded file of an import request: the body itself (CSV or .xlsx
 * media type, or none) or the `file` field of a multipart/form-data body.
 * Sets *off and *len of the file within req->body; -1 after replying 422
 * (no file), 415 (not CSV or .xlsx by its bytes) or 413 (over 64 MiB). */
struct fk_req;
int fk_import_upload_or_reply(struct fk_req *req, size_t *off, size_t *len);

enum fk_err fk_imports_routes(void) FK_MUST_CHECK;

/* `fangkong import persons|sample-csv ...`; returns the exit status. */
int fk_cmd_import(int argc, char **argv);

#endif
