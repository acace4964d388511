/* Shared between sheet.c (CSV, encodings) and xlsx.c. */
#ifndef FK_IMPORTS_SHEET_INTERNAL_H
#define FK_IMPORTS_SHEET_INTERNAL_H

#include "imports/sheet.h"

/* Assembles one row at a time in fixed storage (FK_SHEET_COLS_MAX cells of
 * FK_SHEET_CELL_MAX bytes) and hands it to the caller's function. */
struct fk_row_builder {
    struct fk_sheet_row row;
    char *storage; /* FK_SHEET_COLS_MAX * (FK_SHEET_CELL_MAX + 1) */
    int64_t emitted;
    fk_sheet_row_fn fn;
    void *ctx;
};

enum fk_err fk_row_builder_init(struct fk_row_builder *rb, fk_sheet_row_fn fn,
                                void *ctx) FK_MUST_CHECK;
void fk_row_builder_free(struct fk_row_builder *rb);
void fk_row_builder_reset(struct fk_row_builder *rb);
/* Sets cell `col` (ignored beyond FK_SHEET_COLS_MAX) to `len` bytes of text,
 * cut at a UTF-8 boundary and flagged when longer than FK_SHEET_CELL_MAX. */
void fk_row_builder_set(struct fk_row_builder *rb, int col, const char *text, size_t len,
                        unsigned flags);
/* Emits the row as number `number` unless all its cells are empty. */
enum fk_err fk_row_builder_emit(struct fk_row_builder *rb, int64_t number,
                                const char **why) FK_MUST_CHECK;

struct fk_xlsx;
enum fk_err fk_xlsx_open(const unsigned char *bytes, size_t len, struct fk_xlsx **out,
                         const char **why) FK_MUST_CHECK;
enum fk_err fk_xlsx_read(struct fk_xlsx *x, struct fk_row_builder *rb,
                         const char **why) FK_MUST_CHECK;
void fk_xlsx_free(struct fk_xlsx *x);

#endif
