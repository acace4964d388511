/* Tests for src/imports/sheet.c and xlsx.c: format sniffing, encodings, CSV
 * and XLSX rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "imports/sheet.h"

/* --- collecting rows --- */

#define MAX_ROWS 16
#define MAX_COLS 8

struct rows {
    int n;
    int64_t number[MAX_ROWS];
    int n_cells[MAX_ROWS];
    char cell[MAX_ROWS][MAX_COLS][FK_SHEET_CELL_MAX + 1];
    unsigned flags[MAX_ROWS][MAX_COLS];
    int last_n_cells; /* of the last row, which may be wider than MAX_COLS */
};

static enum fk_err collect(void *ctx, const struct fk_sheet_row *row)
{
    struct rows *r = ctx;
    r->last_n_cells = row->n_cells;
    if (r->n >= MAX_ROWS)
        return FK_OK;
    r->number[r->n] = row->number;
    r->n_cells[r->n] = row->n_cells;
    for (int i = 0; i < row->n_cells && i < MAX_COLS; i++) {
        assert_non_null(row->cell[i]);
        snprintf(r->cell[r->n][i], sizeof(r->cell[r->n][i]), "%s", row->cell[i]);
        r->flags[r->n][i] = row->flags[i];
    }
    r->n++;
    return FK_OK;
}

static enum fk_err read_all(const void *bytes, size_t len, struct rows *rows, const char **why)
{
    memset(rows, 0, sizeof(*rows));
    struct fk_sheet *sheet = NULL;
    enum fk_err err = fk_sheet_open(bytes, len, &sheet, why);
    if (err != FK_OK)
        return err;
    err = fk_sheet_read(sheet, collect, rows, why);
    if (err == FK_OK) {
        /* A second read gives the same rows. */
        struct rows *again = calloc(1, sizeof(*again));
        assert_non_null(again);
        assert_int_equal(fk_sheet_read(sheet, collect, again, why), FK_OK);
        assert_int_equal(again->n, rows->n);
        free(again);
    }
    fk_sheet_free(sheet);
    return err;
}

static struct rows *new_rows(void)
{
    struct rows *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    return r;
}

/* --- sniffing and encodings --- */

static void test_sniff(void **state)
{
    assert_int_equal(fk_sheet_sniff((const unsigned char *)"PK\x03\x04rest", 8), FK_SHEET_XLSX);
    assert_int_equal(fk_sheet_sniff((const unsigned char *)"a,b\n", 4), FK_SHEET_CSV);
    assert_int_equal(fk_sheet_sniff((const unsigned char *)"", 0), 0);
    /* Old .xls (OLE container) and anything with NULs is not text. */
    assert_int_equal(fk_sheet_sniff((const unsigned char *)"\xd0\xcf\x11\xe0\x00\x00", 6), 0);
    assert_int_equal(fk_sheet_sniff((const unsigned char *)"\xff\xfe"
                                                           "a\0",
                                    4),
                     FK_SHEET_CSV);
}

static void test_utf8_valid(void **state)
{
    assert_true(fk_utf8_valid((const unsigned char *)"abc", 3));
    assert_true(fk_utf8_valid((const unsigned char *)"姓名", strlen("姓名")));
    assert_true(fk_utf8_valid((const unsigned char *)"\xf0\x9f\x98\x80", 4));
    assert_false(fk_utf8_valid((const unsigned char *)"\xd0\xd5\xc3\xfb", 4)); /* GBK 姓名 */
    assert_false(fk_utf8_valid((const unsigned char *)"\xc0\xaf", 2));         /* overlong */
    assert_false(fk_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3));     /* surrogate */
    assert_false(fk_utf8_valid((const unsigned char *)"\xe5\xa7", 2));         /* truncated */
    assert_false(fk_utf8_valid((const unsigned char *)"\xf5\x80\x80\x80", 4)); /* > U+10FFFF */
}

static void test_text_encodings(void **state)
{
    char *out = NULL;
    size_t len = 0;
    const char *enc = NULL, *why = NULL;
    /* UTF-8 with BOM: the BOM goes. */
    assert_int_equal(
        fk_text_to_utf8((const unsigned char *)"\xef\xbb\xbf姓名,x", 11, &out, &len, &enc, &why),
        FK_OK);
    assert_string_equal(out, "姓名,x");
    assert_int_equal(len, strlen("姓名,x"));
    assert_string_equal(enc, "utf-8");
    free(out);
    /* GBK: 身份证号,姓名 */
    static const unsigned char gbk[] = {0xc9, 0xed, 0xb7, 0xdd, 0xd6, 0xa4, 0xba,
                                        0xc5, ',',  0xd0, 0xd5, 0xc3, 0xfb};
    assert_int_equal(fk_text_to_utf8(gbk, sizeof(gbk), &out, &len, &enc, &why), FK_OK);
    assert_string_equal(out, "身份证号,姓名");
    assert_string_equal(enc, "gbk");
    free(out);
    /* UTF-16LE with BOM: "a,名" */
    static const unsigned char u16[] = {0xff, 0xfe, 'a', 0, ',', 0, 0x0d, 0x54};
    assert_int_equal(fk_text_to_utf8(u16, sizeof(u16), &out, &len, &enc, &why), FK_OK);
    assert_string_equal(out, "a,名");
    assert_string_equal(enc, "utf-16");
    free(out);
    /* Neither UTF-8 nor GB18030. */
    out = NULL;
    assert_int_equal(
        fk_text_to_utf8((const unsigned char *)"ok\xff\xff", 4, &out, &len, &enc, &why),
        FK_ERR_INVALID);
    assert_null(out);
    assert_non_null(why);
    /* NUL bytes in text. */
    assert_int_equal(fk_text_to_utf8((const unsigned char *)"a\0b", 3, &out, &len, &enc, &why),
                     FK_ERR_INVALID);
}

static void test_format_number(void **state)
{
    char out[64];
    int imprecise;
    fk_sheet_format_number("13812345678", out, sizeof(out), &imprecise);
    assert_string_equal(out, "13812345678");
    assert_false(imprecise);
    fk_sheet_format_number("1.3812345678E10", out, sizeof(out), &imprecise);
    assert_string_equal(out, "13812345678");
    fk_sheet_format_number("3.0", out, sizeof(out), &imprecise);
    assert_string_equal(out, "3");
    fk_sheet_format_number("0.1", out, sizeof(out), &imprecise);
    assert_string_equal(out, "0.1");
    fk_sheet_format_number("0.30000000000000004", out, sizeof(out), &imprecise);
    assert_string_equal(out, "0.3");
    fk_sheet_format_number("1.41102199003071E+17", out, sizeof(out), &imprecise);
    assert_true(imprecise);
    fk_sheet_format_number("abc", out, sizeof(out), &imprecise);
    assert_string_equal(out, "abc");
    assert_false(imprecise);
}

/* --- CSV --- */

static void test_csv_basic(void **state)
{
    struct rows *r = new_rows();
    const char *why = NULL;
    static const char csv[] = "\xef\xbb\xbf身份证号,姓名\r\n"
                              "1,\"张, 三\"\r\n"
                              "\r\n"
                              "2,\"说\"\"引号\"\"\"\r\n"
                              "3,\"两\r\n行\"\r\n"
                              "4,last";
    assert_int_equal(read_all(csv, sizeof(csv) - 1, r, &why), FK_OK);
    assert_int_equal(r->n, 5);
    assert_string_equal(r->cell[0][0], "身份证号");
    assert_int_equal(r->number[0], 1);
    assert_string_equal(r->cell[1][1], "张, 三");
    assert_int_equal(r->number[1], 2);
    /* The blank line counts in the numbering, as in Excel. */
    assert_int_equal(r->number[2], 4);
    assert_string_equal(r->cell[2][1], "说\"引号\"");
    assert_string_equal(r->cell[3][1], "两\r\n行");
    assert_int_equal(r->number[3], 5);
    assert_string_equal(r->cell[4][1], "last");
    assert_int_equal(r->number[4], 6);
    free(r);
}

static void test_csv_lf_tab_and_gbk(void **state)
{
    struct rows *r = new_rows();
    const char *why = NULL;
    assert_int_equal(read_all("a\tb\n1\t2\n", 8, r, &why), FK_OK);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->cell[1][1], "2");
    /* GBK 姓名\n张三 */
    static const unsigned char gbk[] = {0xd0, 0xd5, 0xc3, 0xfb, '\n', 0xd5, 0xc5, 0xc8, 0xfd, '\n'};
    assert_int_equal(read_all(gbk, sizeof(gbk), r, &why), FK_OK);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->cell[0][0], "姓名");
    assert_string_equal(r->cell[1][0], "张三");
    free(r);
}

static void test_csv_caps(void **state)
{
    struct rows *r = new_rows();
    const char *why = NULL;
    /* 70 columns: only FK_SHEET_COLS_MAX are kept. */
    char wide[512];
    size_t at = 0;
    for (int i = 0; i < 70; i++) {
        if (i)
            wide[at++] = ',';
        wide[at++] = 'x';
    }
    wide[at] = '\0';
    assert_int_equal(read_all(wide, strlen(wide), r, &why), FK_OK);
    assert_int_equal(r->last_n_cells, FK_SHEET_COLS_MAX);
    /* A long cell of 3-byte characters is cut at a character boundary. */
    size_t n = 3 * 600;
    char *long_cell = malloc(n + 3);
    assert_non_null(long_cell);
    for (size_t i = 0; i < n; i += 3)
        memcpy(long_cell + i, "名", 3);
    memcpy(long_cell + n, ",y", 3);
    assert_int_equal(read_all(long_cell, n + 2, r, &why), FK_OK);
    assert_true(r->flags[0][0] & FK_CELL_TRUNCATED);
    assert_int_equal(strlen(r->cell[0][0]), 1023);
    assert_true(fk_utf8_valid((const unsigned char *)r->cell[0][0], 1023));
    assert_string_equal(r->cell[0][1], "y");
    free(long_cell);
    /* Empty and blank-only files have no rows; files over 64 MiB are refused. */
    assert_int_equal(read_all(" \n\n", 3, r, &why), FK_OK);
    assert_int_equal(r->n, 0);
    struct fk_sheet *sheet = NULL;
    assert_int_equal(
        fk_sheet_open((const unsigned char *)"x", FK_SHEET_FILE_MAX + 1u, &sheet, &why),
        FK_ERR_TOO_LARGE);
    assert_int_equal(fk_sheet_open((const unsigned char *)"", 0, &sheet, &why), FK_ERR_INVALID);
    free(r);
}

static enum fk_err count_only(void *ctx, const struct fk_sheet_row *row)
{
    (*(int64_t *)ctx)++;
    return FK_OK;
}

static void test_csv_row_cap(void **state)
{
    size_t rows = FK_SHEET_ROWS_MAX + 2;
    char *text = malloc(rows * 2);
    assert_non_null(text);
    for (size_t i = 0; i < rows; i++) {
        text[2 * i] = 'x';
        text[2 * i + 1] = '\n';
    }
    struct fk_sheet *sheet = NULL;
    const char *why = NULL;
    int64_t n = 0;
    assert_int_equal(fk_sheet_open((unsigned char *)text, rows * 2, &sheet, &why), FK_OK);
    assert_int_equal(fk_sheet_read(sheet, count_only, &n, &why), FK_ERR_TOO_LARGE);
    assert_non_null(why);
    fk_sheet_free(sheet);
    /* Exactly the header and 1,000,000 rows is fine. */
    n = 0;
    assert_int_equal(fk_sheet_open((unsigned char *)text, (rows - 1) * 2, &sheet, &why), FK_OK);
    assert_int_equal(fk_sheet_read(sheet, count_only, &n, &why), FK_OK);
    assert_int_equal(n, FK_SHEET_ROWS_MAX + 1);
    fk_sheet_free(sheet);
    free(text);
}

/* --- XLSX --- */

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    unsigned char *data = malloc((size_t)st.st_size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    *len = (size_t)st.st_size;
    return data;
}

static void temp_name(char path[64])
{
    snprintf(path, 64, "/tmp/fk-sheet-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* An XLSX written by libxlsxwriter: strings, numbers, a gap, two sheets. */
static unsigned char *writer_xlsx(int constant_memory, size_t *len)
{
    char path[64];
    temp_name(path);
    lxw_workbook_options opts = {.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE};
    lxw_workbook *wb = workbook_new_opt(path, &opts);
    assert_non_null(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "人员");
    lxw_worksheet *other = workbook_add_worksheet(wb, "说明");
    worksheet_write_string(ws, 0, 0, "身份证号", NULL);
    worksheet_write_string(ws, 0, 1, "姓名", NULL);
    worksheet_write_string(ws, 0, 2, "手机号", NULL);
    worksheet_write_string(ws, 1, 0, "141102199003070017", NULL);
    worksheet_write_string(ws, 1, 1, "张三 & <李>", NULL);
    worksheet_write_number(ws, 1, 2, 13812345678.0, NULL);
    worksheet_write_number(ws, 3, 0, 141102199003070017.0, NULL); /* row 4; row 3 is empty */
    worksheet_write_string(ws, 3, 2, "x", NULL);                  /* B4 left empty */
    worksheet_write_string(other, 0, 0, "不应读取", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    unsigned char *data = slurp(path, len);
    unlink(path);
    return data;
}

static void check_writer_rows(struct rows *r)
{
    assert_int_equal(r->n, 3);
    assert_string_equal(r->cell[0][0], "身份证号");
    assert_string_equal(r->cell[1][0], "141102199003070017");
    assert_string_equal(r->cell[1][1], "张三 & <李>");
    assert_string_equal(r->cell[1][2], "13812345678");
    assert_false(r->flags[1][2] & FK_CELL_IMPRECISE);
    assert_int_equal(r->number[2], 4);
    assert_true(r->flags[2][0] & FK_CELL_IMPRECISE);
    assert_string_equal(r->cell[2][1], "");
    assert_string_equal(r->cell[2][2], "x");
}

static void test_xlsx_writer(void **state)
{
    for (int cm = 0; cm < 2; cm++) {
        size_t len;
        unsigned char *data = writer_xlsx(cm, &len);
        struct rows *r = new_rows();
        const char *why = NULL;
        assert_int_equal(read_all(data, len, r, &why), FK_OK);
        check_writer_rows(r);
        free(r);
        free(data);
    }
}

struct entry {
    const char *name;
    const char *text;
};

/* A zip of the given entries, built with libzip. */
static unsigned char *make_zip(const struct entry *entries, int n, size_t *len)
{
    char path[64];
    temp_name(path);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(z);
    for (int i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(z, entries[i].text, strlen(entries[i].text), 0);
        assert_non_null(src);
        assert_true(zip_file_add(z, entries[i].name, src, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    unsigned char *data = slurp(path, len);
    unlink(path);
    return data;
}

#define NS_MAIN "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define NS_REL "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""

static void test_xlsx_handmade(void **state)
{
    /* The first sheet (rId7) lives at a non-default path; shared strings with
     * rich text and a phonetic guide; inline strings; skipped cells. */
    struct entry entries[] = {
        {"xl/workbook.xml", "<?xml version=\"1.0\"?><workbook " NS_MAIN " " NS_REL "><sheets>"
                            "<sheet name=\"A\" sheetId=\"1\" r:id=\"rId7\"/>"
                            "<sheet name=\"B\" sheetId=\"2\" r:id=\"rId1\"/></sheets></workbook>"},
        {"xl/_rels/workbook.xml.rels",
         "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
         "<Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
         "<Relationship Id=\"rId7\" Type=\"x/worksheet\" Target=\"/xl/worksheets/data.xml\"/>"
         "<Relationship Id=\"rId9\" Type=\"http://x/sharedStrings\" Target=\"strings.xml\"/>"
         "</Relationships>"},
        {"xl/strings.xml", "<sst " NS_MAIN "><si><t>姓名</t></si>"
                           "<si><r><t>张</t></r><r><t xml:space=\"preserve\">三</t></r>"
                           "<rPh sb=\"0\" eb=\"1\"><t>zhang</t></rPh></si></sst>"},
        {"xl/worksheets/sheet1.xml", "<worksheet " NS_MAIN "><sheetData><row r=\"1\"><c r=\"A1\" "
                                     "t=\"inlineStr\"><is><t>wrong sheet</t></is></c></row>"
                                     "</sheetData></worksheet>"},
        {"xl/worksheets/data.xml",
         "<worksheet " NS_MAIN "><sheetData>"
         "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>身份证号</t></is></c>"
         "<c r=\"C1\" t=\"s\"><v>0</v></c></row>"
         "<row r=\"5\"><c r=\"C5\" t=\"s\"><v>1</v></c><c t=\"b\"><v>1</v></c></row>"
         "<row><c r=\"AB6\" t=\"str\"><v>f</v></c></row>"
         "</sheetData></worksheet>"},
    };
    size_t len;
    unsigned char *data = make_zip(entries, 5, &len);
    struct rows *r = new_rows();
    const char *why = NULL;
    assert_int_equal(read_all(data, len, r, &why), FK_OK);
    assert_int_equal(r->n, 3);
    assert_string_equal(r->cell[0][0], "身份证号");
    assert_string_equal(r->cell[0][1], "");
    assert_string_equal(r->cell[0][2], "姓名");
    assert_int_equal(r->number[1], 5);
    assert_string_equal(r->cell[1][2], "张三");
    assert_string_equal(r->cell[1][3], "1");
    assert_int_equal(r->number[2], 6);
    assert_int_equal(r->n_cells[2], 28); /* AB = column 28 */
    free(r);
    free(data);
}

static void test_xlsx_hostile(void **state)
{
    struct rows *r = new_rows();
    const char *why = NULL;
    size_t len;
    /* A DOCTYPE (entity expansion) is refused. */
    struct entry doctype[] = {
        {"xl/worksheets/sheet1.xml",
         "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
         "<worksheet " NS_MAIN "><sheetData><row><c t=\"inlineStr\"><is><t>&b;</t></is></c>"
         "</row></sheetData></worksheet>"},
    };
    unsigned char *data = make_zip(doctype, 1, &len);
    assert_int_equal(read_all(data, len, r, &why), FK_ERR_INVALID);
    free(data);
    /* A shared string index out of range. */
    struct entry bad_index[] = {
        {"xl/worksheets/sheet1.xml", "<worksheet " NS_MAIN "><sheetData><row><c t=\"s\"><v>5</v>"
                                     "</c></row></sheetData></worksheet>"},
    };
    data = make_zip(bad_index, 1, &len);
    assert_int_equal(read_all(data, len, r, &why), FK_ERR_INVALID);
    free(data);
    /* No worksheet at all; malformed XML; a zip that is cut short. */
    struct entry none[] = {{"hello.txt", "hi"}};
    data = make_zip(none, 1, &len);
    assert_int_equal(read_all(data, len, r, &why), FK_ERR_INVALID);
    free(data);
    struct entry broken[] = {{"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>"}};
    data = make_zip(broken, 1, &len);
    assert_int_equal(read_all(data, len, r, &why), FK_ERR_INVALID);
    assert_int_equal(read_all(data, len / 2, r, &why), FK_ERR_INVALID);
    free(data);
    /* A bad cell reference. */
    struct entry bad_ref[] = {
        {"xl/worksheets/sheet1.xml", "<worksheet " NS_MAIN "><sheetData><row><c r=\"ZZZZ1\" "
                                     "t=\"str\"><v>1</v></c></row></sheetData></worksheet>"},
    };
    data = make_zip(bad_ref, 1, &len);
    assert_int_equal(read_all(data, len, r, &why), FK_ERR_INVALID);
    free(data);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),          cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_text_encodings), cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_csv_basic),      cmocka_unit_test(test_csv_lf_tab_and_gbk),
        cmocka_unit_test(test_csv_caps),       cmocka_unit_test(test_csv_row_cap),
        cmocka_unit_test(test_xlsx_writer),    cmocka_unit_test(test_xlsx_handmade),
        cmocka_unit_test(test_xlsx_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
