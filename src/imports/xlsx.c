/* The first worksheet of an XLSX file (libzip + expat), streamed.
 *
 * xl/workbook.xml names the first sheet's relationship id, which
 * xl/_rels/workbook.xml.rels maps to the part (usually
 * xl/worksheets/sheet1.xml). Shared strings are loaded once; the sheet XML is
 * streamed on every read. Every inflated byte counts against
 * FK_SHEET_XML_MAX (zip bombs), a DOCTYPE stops the parse (entity bombs). */
#include "core/parse.h"
#include "imports/sheet_internal.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define NS_SEP '|'
#define PART_MAX 256
#define CHUNK 65536

struct fk_xlsx {
    zip_t *zip;
    zip_int64_t sheet_index;
    uint64_t opened_bytes; /* inflated while opening (workbook, rels, strings) */
    /* shared strings: one pool of NUL-terminated texts */
    char *pool;
    size_t pool_len, pool_cap;
    size_t *offsets;
    size_t n_strings, offsets_cap;
};

/* Collected character data of one element, capped just above a cell. */
struct text {
    char data[FK_SHEET_CELL_MAX + 8];
    size_t len;
    int over;
};

static void text_reset(struct text *t)
{
    t->len = 0;
    t->over = 0;
}

static void text_add(struct text *t, const char *s, int len)
{
    size_t room = sizeof(t->data) - 1 - t->len;
    size_t n = (size_t)len;
    if (n > room) {
        n = room;
        t->over = 1;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

/* Common state of every parse: the error that stopped it. */
struct parse {
    XML_Parser p;
    enum fk_err err;
    const char *why;
};

static void stop(struct parse *ps, enum fk_err err, const char *why)
{
    if (ps->err == FK_OK) {
        ps->err = err;
        ps->why = why;
    }
    XML_StopParser(ps->p, XML_FALSE);
}

static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, NS_SEP);
    return sep ? sep + 1 : name;
}

/* An attribute by local name; `namespaced` selects attributes with (1) or
 * without (0) a namespace. */
static const char *attr(const char **atts, const char *name, int namespaced)
{
    for (int i = 0; atts[i] != NULL; i += 2) {
        int has_ns = strchr(atts[i], NS_SEP) != NULL;
        if (has_ns == namespaced && strcmp(local_name(atts[i]), name) == 0)
            return atts[i + 1];
    }
    return NULL;
}

static void XMLCALL on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
    struct parse *ps = data; /* every handler's user data starts with struct parse */
    stop(ps, FK_ERR_INVALID, "XLSX 内容含有 DOCTYPE，已拒绝");
}

static XML_Parser new_parser(void *data)
{
    XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);
    if (p == NULL)
        return NULL;
    XML_SetUserData(p, data);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    ((struct parse *)data)->p = p;
    return p;
}

/* Streams entry `index` through parser `ps->p`, counting inflated bytes
 * against *budget. */
static enum fk_err stream_entry(zip_t *zip, zip_int64_t index, struct parse *ps, uint64_t *budget,
                                const char **why)
{
    zip_file_t *f = zip_fopen_index(zip, (zip_uint64_t)index, 0);
    if (f == NULL) {
        *why = "XLSX 文件已损坏或已加密";
        return FK_ERR_INVALID;
    }
    char *buf = malloc(CHUNK);
    enum fk_err err = buf ? FK_OK : FK_ERR_NOMEM;
    while (err == FK_OK) {
        zip_int64_t n = zip_fread(f, buf, CHUNK);
        if (n < 0) {
            *why = "XLSX 文件已损坏（解压失败）";
            err = FK_ERR_INVALID;
            break;
        }
        if ((uint64_t)n > *budget) {
            *why = "XLSX 内容解压后超过 512 MiB";
            err = FK_ERR_TOO_LARGE;
            break;
        }
        *budget -= (uint64_t)n;
        if (XML_Parse(ps->p, buf, (int)n, n == 0) != XML_STATUS_OK) {
            if (ps->err != FK_OK) {
                err = ps->err;
                *why = ps->why;
            } else {
                *why = "XLSX 中的 XML 格式错误";
                err = FK_ERR_INVALID;
            }
            break;
        }
        if (n == 0)
            break;
    }
    free(buf);
    zip_fclose(f);
    return err;
}

static zip_int64_t locate(zip_t *zip, const char *name)
{
    zip_int64_t i = zip_name_locate(zip, name, 0);
    if (i < 0)
        i = zip_name_locate(zip, name, ZIP_FL_NOCASE);
    return i;
}

/* --- workbook.xml: the first sheet's relationship id --- */

struct workbook_parse {
    struct parse ps;
    char rid[PART_MAX];
    int found;
};

static void XMLCALL workbook_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    struct workbook_parse *w = data;
    if (w->found || strcmp(local_name(name), "sheet") != 0)
        return;
    const char *rid = attr(atts, "id", 1);
    if (rid != NULL && strlen(rid) < sizeof(w->rid)) {
        memcpy(w->rid, rid, strlen(rid) + 1);
        w->found = 1;
    }
}

/* --- workbook.xml.rels: targets of the sheet and the shared strings --- */

struct rels_parse {
    struct parse ps;
    const char *rid;
    char sheet[PART_MAX];
    char strings[PART_MAX];
};

/* xl/ + a relative target, or an absolute one without its leading slash. */
static void part_path(const char *target, char out[PART_MAX])
{
    out[0] = '\0';
    if (target[0] == '/')
        snprintf(out, PART_MAX, "%s", target + 1);
    else if (strncmp(target, "./", 2) == 0)
        snprintf(out, PART_MAX, "xl/%s", target + 2);
    else
        snprintf(out, PART_MAX, "xl/%s", target);
}

static void XMLCALL rels_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    struct rels_parse *r = data;
    if (strcmp(local_name(name), "Relationship") != 0)
        return;
    const char *id = attr(atts, "Id", 0);
    const char *type = attr(atts, "Type", 0);
    const char *target = attr(atts, "Target", 0);
    if (target == NULL || strlen(target) >= PART_MAX - 4)
        return;
    if (id != NULL && r->rid != NULL && strcmp(id, r->rid) == 0)
        part_path(target, r->sheet);
    size_t tl = type ? strlen(type) : 0;
    if (tl >= 14 && strcmp(type + tl - 14, "/sharedStrings") == 0)
        part_path(target, r->strings);
}

/* --- sharedStrings.xml --- */

struct sst_parse {
    struct parse ps;
    struct fk_xlsx *x;
    int in_si, in_t, rph_depth;
    struct text text;
};

static enum fk_err push_string(struct fk_xlsx *x, const char *s, size_t len)
{
    if (x->n_strings == x->offsets_cap) {
        size_t cap = x->offsets_cap ? x->offsets_cap * 2 : 1024;
        size_t *bigger = realloc(x->offsets, cap * sizeof(*bigger));
        if (bigger == NULL)
            return FK_ERR_NOMEM;
        x->offsets = bigger;
        x->offsets_cap = cap;
    }
    if (x->pool_len + len + 1 > FK_SHEET_STRINGS_MAX)
        return FK_ERR_TOO_LARGE;
    if (x->pool_len + len + 1 > x->pool_cap) {
        size_t cap = x->pool_cap ? x->pool_cap : 65536;
        while (cap < x->pool_len + len + 1)
            cap *= 2;
        char *bigger = realloc(x->pool, cap);
        if (bigger == NULL)
            return FK_ERR_NOMEM;
        x->pool = bigger;
        x->pool_cap = cap;
    }
    memcpy(x->pool + x->pool_len, s, len);
    x->pool[x->pool_len + len] = '\0';
    x->offsets[x->n_strings++] = x->pool_len;
    x->pool_len += len + 1;
    return FK_OK;
}

static void XMLCALL sst_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    struct sst_parse *s = data;
    const char *n = local_name(name);
    if (strcmp(n, "si") == 0) {
        s->in_si = 1;
        s->rph_depth = 0;
        text_reset(&s->text);
    } else if (strcmp(n, "rPh") == 0) {
        s->rph_depth++; /* phonetic guide: not part of the value */
    } else if (strcmp(n, "t") == 0 && s->in_si && s->rph_depth == 0) {
        s->in_t = 1;
    }
}

static void XMLCALL sst_end(void *data, const XML_Char *name)
{
    struct sst_parse *s = data;
    const char *n = local_name(name);
    if (strcmp(n, "t") == 0) {
        s->in_t = 0;
    } else if (strcmp(n, "rPh") == 0) {
        if (s->rph_depth > 0)
            s->rph_depth--;
    } else if (strcmp(n, "si") == 0 && s->in_si) {
        s->in_si = 0;
        enum fk_err err = push_string(s->x, s->text.data, s->text.len);
        if (err != FK_OK)
            stop(&s->ps, err, "XLSX 共享字符串过多");
    }
}

static void XMLCALL collect_sst(void *data, const XML_Char *s, int len)
{
    struct sst_parse *p = data;
    if (p->in_t)
        text_add(&p->text, s, len);
}

/* --- parts read whole at open time --- */

static enum fk_err parse_part(struct fk_xlsx *x, zip_int64_t index, struct parse *ps,
                              XML_StartElementHandler start, XML_EndElementHandler end,
                              XML_CharacterDataHandler chars, const char **why)
{
    if (new_parser(ps) == NULL)
        return FK_ERR_NOMEM;
    XML_SetElementHandler(ps->p, start, end);
    if (chars != NULL)
        XML_SetCharacterDataHandler(ps->p, chars);
    uint64_t budget = FK_SHEET_XML_MAX - x->opened_bytes;
    uint64_t before = budget;
    enum fk_err err = stream_entry(x->zip, index, ps, &budget, why);
    x->opened_bytes += before - budget;
    XML_ParserFree(ps->p);
    ps->p = NULL;
    return err;
}

enum fk_err fk_xlsx_open(const unsigned char *bytes, size_t len, struct fk_xlsx **out,
                         const char **why)
{
    *out = NULL;
    struct fk_xlsx *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err = FK_ERR_INVALID;
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(bytes, len, 0, &zerr);
    if (src == NULL) {
        err = FK_ERR_NOMEM;
        goto fail;
    }
    x->zip = zip_open_from_source(src, ZIP_RDONLY, &zerr);
    if (x->zip == NULL) {
        zip_source_free(src);
        *why = "XLSX 文件已损坏，无法打开";
        err = FK_ERR_INVALID;
        goto fail;
    }
    struct workbook_parse wb = {0};
    zip_int64_t i = locate(x->zip, "xl/workbook.xml");
    if (i >= 0 && (err = parse_part(x, i, &wb.ps, workbook_start, NULL, NULL, why)) != FK_OK)
        goto fail;
    struct rels_parse rels = {0};
    rels.rid = wb.found ? wb.rid : NULL;
    i = locate(x->zip, "xl/_rels/workbook.xml.rels");
    if (i >= 0 && (err = parse_part(x, i, &rels.ps, rels_start, NULL, NULL, why)) != FK_OK)
        goto fail;
    x->sheet_index = rels.sheet[0] ? locate(x->zip, rels.sheet) : -1;
    if (x->sheet_index < 0)
        x->sheet_index = locate(x->zip, "xl/worksheets/sheet1.xml");
    if (x->sheet_index < 0) {
        *why = "XLSX 文件中找不到工作表";
        err = FK_ERR_INVALID;
        goto fail;
    }
    i = locate(x->zip, rels.strings[0] ? rels.strings : "xl/sharedStrings.xml");
    if (i >= 0) {
        struct sst_parse *sst = calloc(1, sizeof(*sst));
        if (sst == NULL) {
            err = FK_ERR_NOMEM;
            goto fail;
        }
        sst->x = x;
        err = parse_part(x, i, &sst->ps, sst_start, sst_end, collect_sst, why);
        free(sst);
        if (err != FK_OK)
            goto fail;
    }
    *out = x;
    return FK_OK;
fail:
    fk_xlsx_free(x);
    return err;
}

/* --- the worksheet --- */

struct sheet_parse {
    struct parse ps;
    struct fk_xlsx *x;
    struct fk_row_builder *rb;
    int in_row, in_cell, in_v, in_is, in_t, rph_depth;
    int64_t row_number, last_row;
    int col, last_col;
    char type[12];
    struct text text;
};

/* "BC12" -> column 54 (0-based); -1 if malformed. */
static int column_of(const char *ref)
{
    int col = 0, letters = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++) {
        if (++letters > 3)
            return -1;
        col = col * 26 + (*ref - 'A' + 1);
    }
    if (letters == 0 || col > 16384)
        return -1;
    return col - 1;
}

static void XMLCALL sheet_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    struct sheet_parse *s = data;
    const char *n = local_name(name);
    if (strcmp(n, "row") == 0) {
        const char *r = attr(atts, "r", 0);
        int64_t number = s->last_row + 1;
        if (r != NULL && fk_parse_int64(r, 1, 1048576, &number) != FK_OK) {
            stop(&s->ps, FK_ERR_INVALID, "XLSX 行号无效");
            return;
        }
        s->in_row = 1;
        s->row_number = number;
        s->last_col = -1;
        fk_row_builder_reset(s->rb);
    } else if (strcmp(n, "c") == 0 && s->in_row) {
        const char *r = attr(atts, "r", 0);
        const char *t = attr(atts, "t", 0);
        s->col = r ? column_of(r) : s->last_col + 1;
        if (s->col < 0) {
            stop(&s->ps, FK_ERR_INVALID, "XLSX 单元格引用无效");
            return;
        }
        snprintf(s->type, sizeof(s->type), "%s", t ? t : "n");
        s->in_cell = 1;
        s->rph_depth = 0;
        text_reset(&s->text);
    } else if (s->in_cell) {
        if (strcmp(n, "v") == 0)
            s->in_v = 1;
        else if (strcmp(n, "is") == 0)
            s->in_is = 1;
        else if (strcmp(n, "rPh") == 0)
            s->rph_depth++;
        else if (strcmp(n, "t") == 0 && s->in_is && s->rph_depth == 0)
            s->in_t = 1;
    }
}

static void end_cell(struct sheet_parse *s)
{
    s->in_cell = 0;
    s->last_col = s->col;
    if (s->col >= FK_SHEET_COLS_MAX)
        return;
    unsigned flags = s->text.over ? FK_CELL_TRUNCATED : 0;
    if (strcmp(s->type, "s") == 0) {
        int64_t idx;
        if (fk_parse_int64(s->text.data, 0, INT64_MAX, &idx) != FK_OK ||
            (uint64_t)idx >= s->x->n_strings) {
            stop(&s->ps, FK_ERR_INVALID, "XLSX 共享字符串索引无效");
            return;
        }
        const char *str = s->x->pool + s->x->offsets[idx];
        fk_row_builder_set(s->rb, s->col, str, strlen(str), 0);
    } else if (strcmp(s->type, "n") == 0 && s->text.len > 0) {
        char number[64];
        int imprecise = 0;
        fk_sheet_format_number(s->text.data, number, sizeof(number), &imprecise);
        fk_row_builder_set(s->rb, s->col, number, strlen(number),
                           flags | (imprecise ? FK_CELL_IMPRECISE : 0));
    } else {
        /* inlineStr, str (formula text), b, e: the text as written */
        fk_row_builder_set(s->rb, s->col, s->text.data, s->text.len, flags);
    }
}

static void XMLCALL sheet_end(void *data, const XML_Char *name)
{
    struct sheet_parse *s = data;
    const char *n = local_name(name);
    if (strcmp(n, "row") == 0 && s->in_row) {
        s->in_row = 0;
        s->last_row = s->row_number;
        const char *why = NULL;
        enum fk_err err = fk_row_builder_emit(s->rb, s->row_number, &why);
        if (err != FK_OK)
            stop(&s->ps, err, why);
    } else if (strcmp(n, "c") == 0 && s->in_cell) {
        end_cell(s);
    } else if (strcmp(n, "v") == 0) {
        s->in_v = 0;
    } else if (strcmp(n, "is") == 0) {
        s->in_is = 0;
    } else if (strcmp(n, "rPh") == 0) {
        if (s->rph_depth > 0)
            s->rph_depth--;
    } else if (strcmp(n, "t") == 0) {
        s->in_t = 0;
    }
}

static void XMLCALL collect_sheet(void *data, const XML_Char *str, int len)
{
    struct sheet_parse *s = data;
    if (s->in_cell && (s->in_v || s->in_t))
        text_add(&s->text, str, len);
}

enum fk_err fk_xlsx_read(struct fk_xlsx *x, struct fk_row_builder *rb, const char **why)
{
    struct sheet_parse *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FK_ERR_NOMEM;
    s->x = x;
    s->rb = rb;
    enum fk_err err = FK_ERR_NOMEM;
    if (new_parser(s) == NULL)
        goto done;
    XML_SetElementHandler(s->ps.p, sheet_start, sheet_end);
    XML_SetCharacterDataHandler(s->ps.p, collect_sheet);
    uint64_t budget = FK_SHEET_XML_MAX - x->opened_bytes;
    err = stream_entry(x->zip, x->sheet_index, &s->ps, &budget, why);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    XML_ParserFree(s->ps.p);
done:
    free(s);
    return err;
}

void fk_xlsx_free(struct fk_xlsx *x)
{
    if (x == NULL)
        return;
    if (x->zip != NULL)
        zip_discard(x->zip);
    free(x->pool);
    free(x->offsets);
    free(x);
}
