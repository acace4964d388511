/* Reading tables from uploaded files: CSV (UTF-8 with or without BOM, GBK /
 * GB18030, UTF-16 with BOM) and XLSX (the first worksheet). No store, no HTTP:
 * bytes in, rows out, every size capped (docs/internals/imports.md). */
#ifndef FK_IMPORTS_SHEET_H
#define FK_IMPORTS_SHEET_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#define FK_SHEET_FILE_MAX (64u * 1024 * 1024)     /* bytes of an uploaded file */
#define FK_SHEET_ROWS_MAX 1000000                 /* data rows (the header not counted) */
#define FK_SHEET_CELL_MAX 1024                    /* bytes of UTF-8 in one cell */
#define FK_SHEET_COLS_MAX 64                      /* columns read; further ones are ignored */
#define FK_SHEET_XML_MAX (512ull * 1024 * 1024)   /* inflated XML bytes read from an XLSX */
#define FK_SHEET_STRINGS_MAX (256u * 1024 * 1024) /* bytes of XLSX shared strings kept */

enum fk_sheet_format { FK_SHEET_CSV = 1, FK_SHEET_XLSX = 2 };

/* Per-cell flags. */
enum fk_cell_flag {
    FK_CELL_TRUNCATED = 1u << 0, /* longer than FK_SHEET_CELL_MAX: cut at a character boundary */
    FK_CELL_IMPRECISE = 1u << 1, /* a number too large for a double to hold exactly (an ID
                                    number that Excel stored as a number) */
};

/* One row as the spreadsheet shows it. Cells are NUL-terminated UTF-8 owned
 * by the reader and valid only during the callback. */
struct fk_sheet_row {
    int64_t number; /* 1-based row number (the header is usually row 1) */
    int n_cells;    /* cells [0, n_cells) are set; never more than FK_SHEET_COLS_MAX */
    const char *cell[FK_SHEET_COLS_MAX];
    unsigned char flags[FK_SHEET_COLS_MAX];
};

/* Called for every row that has at least one cell (blank rows are skipped but
 * still counted in the numbering). Returning anything but FK_OK stops the
 * read and is returned by fk_sheet_read (FK_ERR_DONE stops without error). */
typedef enum fk_err (*fk_sheet_row_fn)(void *ctx, const struct fk_sheet_row *row);

struct fk_sheet;

/* The format of `bytes`: XLSX for a zip ("PK\3\4"), CSV for text, 0 for
 * anything else (old .xls, images, NUL bytes in text). */
enum fk_sheet_format fk_sheet_sniff(const unsigned char *bytes, size_t len);

/* Reads the whole regular file at `path` (borrowed) into a new NUL-terminated
 * buffer the caller frees: FK_ERR_IO when it cannot be opened, is not a
 * regular file or reads short; FK_ERR_TOO_LARGE above `cap` bytes. *out and
 * *len are untouched on failure. */
enum fk_err fk_sheet_read_file(const char *path, size_t cap, unsigned char **out,
                               size_t *len) FK_MUST_CHECK;

/* Opens a file of `len` bytes. `bytes` is borrowed and must outlive the sheet.
 * FK_ERR_INVALID / FK_ERR_TOO_LARGE with *why (a static Chinese message) when
 * the file cannot be read; FK_ERR_NOMEM. */
enum fk_err fk_sheet_open(const unsigned char *bytes, size_t len, struct fk_sheet **out,
                          const char **why) FK_MUST_CHECK;
/* Reads every row in order; may be called again to read the rows again.
 * Errors as fk_sheet_open, or what `fn` returned. */
enum fk_err fk_sheet_read(struct fk_sheet *sheet, fk_sheet_row_fn fn, void *ctx,
                          const char **why) FK_MUST_CHECK;
enum fk_sheet_format fk_sheet_format(const struct fk_sheet *sheet);
/* "utf-8", "gbk" (GB18030), "utf-16" for CSV; "xlsx" for XLSX. Static. */
const char *fk_sheet_encoding(const struct fk_sheet *sheet);
void fk_sheet_free(struct fk_sheet *sheet);

/* --- text helpers, public for tests and the fuzzer --- */

/* Whether bytes are well-formed UTF-8 (no overlong forms, no surrogates). */
int fk_utf8_valid(const unsigned char *bytes, size_t len);

/* Turns CSV bytes into UTF-8 without a BOM: valid UTF-8 is copied as is
 * (minus the BOM), a UTF-16 BOM selects UTF-16, anything else is converted
 * from GB18030 (a superset of GBK). *out (NUL-terminated, freed by the
 * caller), *out_len and *encoding ("utf-8", "utf-16", "gbk") are set on
 * success; FK_ERR_INVALID with *why if the bytes are none of these. */
enum fk_err fk_text_to_utf8(const unsigned char *bytes, size_t len, char **out, size_t *out_len,
                            const char **encoding, const char **why) FK_MUST_CHECK;

/* Formats the text of an XLSX number cell as people typed it: integers
 * without ".0" or exponent ("13812345678"), other values as the shortest
 * decimal. Sets *imprecise when the value is an integer beyond 2^53, whose
 * digits Excel has already lost. `out` holds at least 40 bytes. */
void fk_sheet_format_number(const char *text, char *out, size_t out_size, int *imprecise);

#endif
