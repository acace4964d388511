/* QR images of codes: libqrencode builds the module matrix (alphanumeric mode,
 * since a code uses only that alphabet; ECC level M), then it is written as
 * SVG text (one path of unit squares) or as a PNG through libpng. */
#include "codes/codes_internal.h"

#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 4 /* modules of white border the standard asks for */

static enum fk_err encode(const char *code, QRcode **out)
{
    size_t len = code ? strnlen(code, FK_CODE_MAX_INPUT + 1) : 0;
    if (len == 0 || len > FK_CODE_MAX_INPUT)
        return FK_ERR_INVALID;
    /* Case-sensitive so that libqrencode does not upcase; every character of a
     * code is in the alphanumeric set, so the whole text is one AN segment. */
    *out = QRcode_encodeString(code, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    return *out ? FK_OK : FK_ERR_NOMEM;
}

enum fk_err fk_code_qr_svg(const char *code, struct fk_buf *out)
{
    QRcode *qr = NULL;
    enum fk_err err = encode(code, &qr);
    if (err != FK_OK)
        return err;
    int size = qr->width + 2 * QUIET;
    char part[256];
    snprintf(
        part, sizeof(part),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
        "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" ",
        size, size, size * 8, size * 8);
    err = fk_buf_append_str(out, part);
    if (err == FK_OK)
        err = fk_buf_append_str(out, "shape-rendering=\"crispEdges\">\n<rect width=\"100%\" "
                                     "height=\"100%\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"");
    for (int y = 0; y < qr->width && err == FK_OK; y++) {
        for (int x = 0; x < qr->width && err == FK_OK; x++) {
            if (!(qr->data[y * qr->width + x] & 1))
                continue;
            /* A run of dark modules on the row becomes one rectangle. */
            int run = 1;
            while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1))
                run++;
            snprintf(part, sizeof(part), "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
            err = fk_buf_append_str(out, part);
            x += run - 1;
        }
    }
    if (err == FK_OK)
        err = fk_buf_append_str(out, "\"/>\n</svg>\n");
    QRcode_free(qr);
    return err;
}

struct png_sink {
    struct fk_buf *out;
    enum fk_err err;
};

static void png_write(png_structp png, png_bytep data, png_size_t len)
{
    struct png_sink *sink = png_get_io_ptr(png);
    if (sink->err == FK_OK)
        sink->err = fk_buf_append(sink->out, data, len);
}

static void png_flush(png_structp png)
{
    (void)png;
}

enum fk_err fk_code_qr_png(const char *code, int scale, struct fk_buf *out)
{
    if (scale < 1 || scale > 32)
        return FK_ERR_INVALID;
    QRcode *qr = NULL;
    enum fk_err err = encode(code, &qr);
    if (err != FK_OK)
        return err;
    int pixels = (qr->width + 2 * QUIET) * scale;
    unsigned char *line = malloc((size_t)pixels);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    struct png_sink sink = {out, FK_OK};
    /* volatile: read after a longjmp from libpng's error handler. */
    volatile enum fk_err result = FK_ERR_NOMEM;
    if (line == NULL || png == NULL || info == NULL)
        goto done;
    if (setjmp(png_jmpbuf(png))) {
        result = sink.err != FK_OK ? sink.err : FK_ERR_INTERNAL;
        goto done;
    }
    png_set_write_fn(png, &sink, png_write, png_flush);
    png_set_IHDR(png, info, (png_uint_32)pixels, (png_uint_32)pixels, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_set_packing(png); /* one byte per pixel in, one bit per pixel out */
    for (int py = 0; py < pixels; py++) {
        int y = py / scale - QUIET;
        for (int px = 0; px < pixels; px++) {
            int x = px / scale - QUIET;
            int dark = y >= 0 && y < qr->width && x >= 0 && x < qr->width &&
                       (qr->data[y * qr->width + x] & 1);
            line[px] = dark ? 0 : 1;
        }
        png_write_row(png, line);
    }
    png_write_end(png, NULL);
    result = sink.err;
done:
    if (png != NULL)
        png_destroy_write_struct(&png, info ? &info : NULL);
    free(line);
    QRcode_free(qr);
    return result;
}
