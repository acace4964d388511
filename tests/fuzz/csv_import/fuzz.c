/* libFuzzer target for the import readers in src/imports/sheet.c: encoding
 * detection (UTF-8, BOM, UTF-16, GBK/GB18030) and CSV rows (and, when the
 * bytes look like a zip, the XLSX reader). No store. Checks what a row
 * promises: bounded cell count and size, valid UTF-8, rising row numbers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imports/sheet.h"

#define MAX_INPUT 65536

static void check(int ok)
{
    if (!ok)
        abort();
}

struct state {
    int64_t last_number;
    int64_t rows;
};

static enum fk_err on_row(void *ctx, const struct fk_sheet_row *row)
{
    struct state *s = ctx;
    check(row->n_cells >= 1 && row->n_cells <= FK_SHEET_COLS_MAX);
    check(row->number > s->last_number);
    s->last_number = row->number;
    s->rows++;
    int blank = 1;
    for (int i = 0; i < row->n_cells; i++) {
        check(row->cell[i] != NULL);
        size_t len = strlen(row->cell[i]);
        check(len <= FK_SHEET_CELL_MAX);
        check(fk_utf8_valid((const unsigned char *)row->cell[i], len));
        if (strspn(row->cell[i], " \t\r\n") != len)
            blank = 0;
    }
    check(!blank);
    return FK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        size = MAX_INPUT;
    /* Encoding detection on its own. */
    char *text = NULL;
    size_t len = 0;
    const char *encoding = NULL, *why = NULL;
    if (fk_text_to_utf8(data, size, &text, &len, &encoding, &why) == FK_OK) {
        check(text != NULL && text[len] == '\0' && strlen(text) == len);
        check(fk_utf8_valid((const unsigned char *)text, len));
        check(len < 3 || memcmp(text, "\xef\xbb\xbf", 3) != 0 || strcmp(encoding, "utf-8") != 0 ||
              (size >= 6 && memcmp(data, "\xef\xbb\xbf\xef\xbb\xbf", 6) == 0));
        free(text);
    } else {
        check(why != NULL);
    }
    /* The whole reader, twice (a second read must give the same rows). */
    struct fk_sheet *sheet = NULL;
    why = NULL;
    if (fk_sheet_open(data, size, &sheet, &why) != FK_OK) {
        check(why != NULL || sheet == NULL);
        return 0;
    }
    struct state first = {0}, second = {0};
    enum fk_err a = fk_sheet_read(sheet, on_row, &first, &why);
    enum fk_err b = fk_sheet_read(sheet, on_row, &second, &why);
    check(a == b && first.rows == second.rows);
    fk_sheet_free(sheet);
    return 0;
}
