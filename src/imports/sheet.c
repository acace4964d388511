/* Tables from uploaded files: format sniffing, text encodings, CSV rows
 * (libcsv) and the row builder shared with the XLSX reader (xlsx.c). */
#include "imports/sheet.h"
#include "imports/sheet_internal.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fk_sheet {
    enum fk_sheet_format format;
    const char *encoding;
    char *text; /* CSV as UTF-8 without BOM */
    size_t text_len;
    unsigned char delimiter;
    struct fk_xlsx *xlsx;
};

/* --- sniffing and encodings --- */

enum fk_sheet_format fk_sheet_sniff(const unsigned char *bytes, size_t len)
{
    if (len >= 4 && memcmp(bytes, "PK\x03\x04", 4) == 0)
        return FK_SHEET_XLSX;
    if (len == 0)
        return 0;
    /* UTF-16 text has NUL bytes but announces itself with a BOM. */
    if (len >= 2 &&
        ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff)))
        return FK_SHEET_CSV;
    /* Binary formats (old .xls is an OLE container: D0 CF 11 E0) carry NULs. */
    size_t probe = len < 8192 ? len : 8192;
    if (memchr(bytes, '\0', probe) != NULL)
        return 0;
    return FK_SHEET_CSV;
}

int fk_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Converts with iconv into a buffer that grows as needed (at most 4 bytes of
 * UTF-8 per input byte). */
static enum fk_err convert(const char *from, const unsigned char *bytes, size_t len, char **out,
                           size_t *out_len)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return FK_ERR_INTERNAL;
    size_t cap = len + len / 2 + 16;
    char *buf = malloc(cap + 1);
    enum fk_err err = FK_OK;
    if (buf == NULL) {
        err = FK_ERR_NOMEM;
        goto done;
    }
    char *in = (char *)bytes;
    size_t in_left = len;
    char *o = buf;
    size_t o_left = cap;
    while (in_left > 0) {
        size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
        if (rc != (size_t)-1)
            break;
        if (errno != E2BIG) {
            err = FK_ERR_INVALID; /* EILSEQ or a truncated sequence at the end */
            goto done;
        }
        size_t used = (size_t)(o - buf);
        if (cap > len * 4 + 16) {
            err = FK_ERR_INTERNAL;
            goto done;
        }
        cap = cap * 2;
        char *bigger = realloc(buf, cap + 1);
        if (bigger == NULL) {
            err = FK_ERR_NOMEM;
            goto done;
        }
        buf = bigger;
        o = buf + used;
        o_left = cap - used;
    }
    *o = '\0';
    *out_len = (size_t)(o - buf);
    *out = buf;
    buf = NULL;
done:
    free(buf);
    iconv_close(cd);
    return err;
}

enum fk_err fk_text_to_utf8(const unsigned char *bytes, size_t len, char **out, size_t *out_len,
                            const char **encoding, const char **why)
{
    char *text = NULL;
    size_t text_len = 0;
    const char *enc;
    enum fk_err err;
    if (len >= 2 &&
        ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff))) {
        enc = "utf-16";
        err = convert(bytes[0] == 0xff ? "UTF-16LE" : "UTF-16BE", bytes + 2, len - 2, &text,
                      &text_len);
    } else if (fk_utf8_valid(bytes, len)) {
        enc = "utf-8";
        size_t skip = len >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        text_len = len - skip;
        text = malloc(text_len + 1);
        err = text ? FK_OK : FK_ERR_NOMEM;
        if (text) {
            memcpy(text, bytes + skip, text_len);
            text[text_len] = '\0';
        }
    } else {
        enc = "gbk";
        err = convert("GB18030", bytes, len, &text, &text_len);
    }
    if (err == FK_ERR_INVALID || err == FK_ERR_INTERNAL) {
        *why = "文件编码无法识别：请使用 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件";
        err = FK_ERR_INVALID;
    } else if (err == FK_OK && memchr(text, '\0', text_len) != NULL) {
        *why = "文件含有空字符，不是文本格式的 CSV";
        err = FK_ERR_INVALID;
    }
    if (err != FK_OK) {
        free(text);
        return err;
    }
    *out = text;
    *out_len = text_len;
    *encoding = enc;
    return FK_OK;
}

void fk_sheet_format_number(const char *text, char *out, size_t out_size, int *imprecise)
{
    *imprecise = 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (text[0] == '\0' || end == NULL || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        snprintf(out, out_size, "%s", text);
        return;
    }
    if (v == floor(v) && fabs(v) < 1e21) {
        if (fabs(v) > 9007199254740992.0) /* 2^53 */
            *imprecise = 1;
        snprintf(out, out_size, "%.0f", v);
        return;
    }
    /* Excel shows 15 significant digits; so do we. */
    snprintf(out, out_size, "%.15g", v);
}

/* --- the row builder --- */

enum fk_err fk_row_builder_init(struct fk_row_builder *rb, fk_sheet_row_fn fn, void *ctx)
{
    memset(rb, 0, sizeof(*rb));
    rb->storage = malloc((size_t)FK_SHEET_COLS_MAX * (FK_SHEET_CELL_MAX + 1));
    if (rb->storage == NULL)
        return FK_ERR_NOMEM;
    rb->fn = fn;
    rb->ctx = ctx;
    fk_row_builder_reset(rb);
    return FK_OK;
}

void fk_row_builder_free(struct fk_row_builder *rb)
{
    free(rb->storage);
    rb->storage = NULL;
}

void fk_row_builder_reset(struct fk_row_builder *rb)
{
    rb->row.n_cells = 0;
}

void fk_row_builder_set(struct fk_row_builder *rb, int col, const char *text, size_t len,
                        unsigned flags)
{
    if (col < 0 || col >= FK_SHEET_COLS_MAX)
        return;
    /* Cells skipped on the way (XLSX omits empty ones) read as "". */
    for (int i = rb->row.n_cells; i < col; i++) {
        char *empty = rb->storage + (size_t)i * (FK_SHEET_CELL_MAX + 1);
        empty[0] = '\0';
        rb->row.cell[i] = empty;
        rb->row.flags[i] = 0;
    }
    if (len > FK_SHEET_CELL_MAX) {
        len = FK_SHEET_CELL_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
            len--; /* do not cut a character in two */
        flags |= FK_CELL_TRUNCATED;
    }
    char *cell = rb->storage + (size_t)col * (FK_SHEET_CELL_MAX + 1);
    memcpy(cell, text, len);
    cell[len] = '\0';
    rb->row.cell[col] = cell;
    rb->row.flags[col] = (unsigned char)flags;
    if (col >= rb->row.n_cells)
        rb->row.n_cells = col + 1;
}

enum fk_err fk_row_builder_emit(struct fk_row_builder *rb, int64_t number, const char **why)
{
    int blank = 1;
    for (int i = 0; i < rb->row.n_cells && blank; i++) {
        for (const char *p = rb->row.cell[i]; *p && blank; p++)
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                blank = 0;
    }
    enum fk_err err = FK_OK;
    if (!blank) {
        if (++rb->emitted > (int64_t)FK_SHEET_ROWS_MAX + 1) {
            *why = "文件超过 1,000,000 行，请拆分后分批导入";
            err = FK_ERR_TOO_LARGE;
        } else {
            rb->row.number = number;
            err = rb->fn(rb->ctx, &rb->row);
        }
    }
    fk_row_builder_reset(rb);
    return err;
}

/* --- CSV --- */

struct csv_read {
    struct fk_row_builder *rb;
    int col;
    int64_t number; /* rows seen, blank ones included */
    int last_term;
    enum fk_err err;
    const char **why;
};

static void on_field(void *field, size_t len, void *data)
{
    struct csv_read *r = data;
    if (r->err != FK_OK)
        return;
    fk_row_builder_set(r->rb, r->col, field ? field : "", field ? len : 0, 0);
    r->col++;
}

static void on_record(int term, void *data)
{
    struct csv_read *r = data;
    if (r->err != FK_OK)
        return;
    /* With CSV_REPALL_NL every line end is reported: the \n of a \r\n pair
     * arrives as an empty record of its own. */
    if (r->col == 0 && term == '\n' && r->last_term == '\r') {
        r->last_term = 0;
        return;
    }
    r->last_term = term;
    r->number++;
    r->col = 0;
    r->err = fk_row_builder_emit(r->rb, r->number, r->why);
}

static int is_space(unsigned char c)
{
    return c == ' ';
}

/* Tab-separated when the first line has tabs and no commas. */
static unsigned char guess_delimiter(const char *text, size_t len)
{
    size_t commas = 0, tabs = 0;
    for (size_t i = 0; i < len && i < 65536 && text[i] != '\n'; i++) {
        commas += text[i] == ',';
        tabs += text[i] == '\t';
    }
    return tabs > 0 && commas == 0 ? '\t' : ',';
}

static enum fk_err csv_read_rows(struct fk_sheet *s, struct fk_row_builder *rb, const char **why)
{
    struct csv_parser parser;
    if (csv_init(&parser, CSV_REPALL_NL) != 0)
        return FK_ERR_NOMEM;
    csv_set_delim(&parser, s->delimiter);
    csv_set_space_func(&parser, is_space);
    struct csv_read r = {.rb = rb, .err = FK_OK, .why = why};
    size_t chunk = 65536;
    for (size_t off = 0; off < s->text_len && r.err == FK_OK; off += chunk) {
        size_t n = s->text_len - off < chunk ? s->text_len - off : chunk;
        if (csv_parse(&parser, s->text + off, n, on_field, on_record, &r) != n) {
            r.err = FK_ERR_NOMEM;
            break;
        }
    }
    if (r.err == FK_OK)
        csv_fini(&parser, on_field, on_record, &r);
    csv_free(&parser);
    return r.err;
}

/* --- the sheet --- */

enum fk_err fk_sheet_open(const unsigned char *bytes, size_t len, struct fk_sheet **out,
                          const char **why)
{
    *out = NULL;
    if (len > FK_SHEET_FILE_MAX) {
        *why = "文件超过 64 MiB";
        return FK_ERR_TOO_LARGE;
    }
    enum fk_sheet_format format = fk_sheet_sniff(bytes, len);
    if (format == 0) {
        *why = len == 0 ? "文件为空"
                        : "不支持的文件格式：请上传 CSV 或 .xlsx（旧版 .xls 请另存为 .xlsx）";
        return FK_ERR_INVALID;
    }
    struct fk_sheet *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FK_ERR_NOMEM;
    s->format = format;
    enum fk_err err;
    if (format == FK_SHEET_XLSX) {
        s->encoding = "xlsx";
        err = fk_xlsx_open(bytes, len, &s->xlsx, why);
    } else {
        err = fk_text_to_utf8(bytes, len, &s->text, &s->text_len, &s->encoding, why);
        if (err == FK_OK)
            s->delimiter = guess_delimiter(s->text, s->text_len);
    }
    if (err != FK_OK) {
        fk_sheet_free(s);
        return err;
    }
    *out = s;
    return FK_OK;
}

enum fk_err fk_sheet_read(struct fk_sheet *s, fk_sheet_row_fn fn, void *ctx, const char **why)
{
    struct fk_row_builder rb;
    enum fk_err err = fk_row_builder_init(&rb, fn, ctx);
    if (err != FK_OK)
        return err;
    if (s->format == FK_SHEET_XLSX)
        err = fk_xlsx_read(s->xlsx, &rb, why);
    else
        err = csv_read_rows(s, &rb, why);
    fk_row_builder_free(&rb);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_sheet_format fk_sheet_format(const struct fk_sheet *s)
{
    return s->format;
}

const char *fk_sheet_encoding(const struct fk_sheet *s)
{
    return s->encoding;
}

void fk_sheet_free(struct fk_sheet *s)
{
    if (s == NULL)
        return;
    free(s->text);
    if (s->xlsx != NULL)
        fk_xlsx_free(s->xlsx);
    free(s);
}

enum fk_err fk_sheet_read_file(const char *path, size_t cap, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return FK_ERR_IO;
    struct stat st;
    enum fk_err err = FK_OK;
    unsigned char *data = NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        err = FK_ERR_IO;
        goto done;
    }
    if ((uint64_t)st.st_size > cap) {
        err = FK_ERR_TOO_LARGE;
        goto done;
    }
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL) {
        err = FK_ERR_NOMEM;
        goto done;
    }
    if (fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        err = FK_ERR_IO;
        goto done;
    }
    data[st.st_size] = '\0';
    *out = data;
    *len = (size_t)st.st_size;
    data = NULL;
done:
    free(data);
    fclose(f);
    return err;
}
