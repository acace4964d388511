/* fangkong import: the import from the command line, and a sample file for
 * the benchmark.
 *
 *   fangkong import persons --db DB [--key FILE] [--region CODE] FILE
 *   fangkong import sample-csv --db DB [--key FILE] --out FILE
 */
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "imports/imports.h"
#include "imports/sheet.h"
#include "regions/regions.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: fangkong import persons --db DB [--key FILE] [--region CODE] FILE\n"
    "         imports residents from a CSV (UTF-8 or GBK) or .xlsx file with the headers\n"
    "         身份证号,姓名,手机号,区划代码,地址 (or id_number,name,phone,region,address);\n"
    "         rejected rows go to FILE.errors.xlsx. Exit 0: all rows fine, 2: some rows\n"
    "         rejected, 1: failure. --region limits the rows to a region subtree.\n"
    "       fangkong import sample-csv --db DB [--key FILE] --out FILE\n"
    "         writes the store's persons as an import CSV (for bench/import)\n";

/* The first argument after the subcommand that is neither an option nor an
 * option's value. */
static const char *positional(int argc, char **argv)
{
    static const char *const with_value[] = {"--db", "--key", "--region", "--out"};
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0)
            return argv[i];
        if (strchr(argv[i], '=') != NULL)
            continue;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            if (strcmp(argv[i], with_value[k]) == 0) {
                i++;
                break;
            }
    }
    return NULL;
}

struct bar {
    int tty;
    int last_tenth;
    int64_t last_ns;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void show_progress(void *ctx, const struct fk_import_counts *c)
{
    struct bar *bar = ctx;
    double share = c->total > 0 ? (double)c->done / (double)c->total : 0;
    if (bar->tty) {
        int64_t now = mono_ns();
        if (now - bar->last_ns < 100000000LL && c->done < c->total)
            return;
        bar->last_ns = now;
        char cells[41];
        int filled = (int)(share * 40);
        for (int i = 0; i < 40; i++)
            cells[i] = i < filled ? '#' : '.';
        cells[40] = '\0';
        fprintf(stderr, "\r[%s] %3d%%  %lld/%lld", cells, (int)(share * 100), (long long)c->done,
                (long long)c->total);
        fflush(stderr);
        return;
    }
    int tenth = (int)(share * 10);
    if (tenth <= bar->last_tenth)
        return;
    bar->last_tenth = tenth;
    fprintf(stderr, "import: %d%% (%lld/%lld rows)\n", tenth * 10, (long long)c->done,
            (long long)c->total);
}

static int write_file(const char *path, const unsigned char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(bytes, 1, len, f) == len;
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static int import_persons(int argc, char **argv)
{
    const char *file = positional(argc, argv);
    if (file == NULL) {
        fputs(usage_text, stderr);
        return 64;
    }
    char scope[FK_REGION_CODE_LEN] = "";
    const char *region = fk_cli_opt(argc, argv, "region");
    char code[FK_REGION_CODE_LEN];
    if (region != NULL) {
        const char *reason;
        if (fk_region_normalize(region, code, scope, &reason) != FK_OK) {
            fprintf(stderr, "fangkong import: --region: not a region code (%s)\n", reason);
            return 64;
        }
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum fk_err err = fk_sheet_read_file(file, FK_SHEET_FILE_MAX, &bytes, &len);
    if (err != FK_OK) {
        fprintf(stderr, "fangkong import: %s: %s\n", file,
                err == FK_ERR_TOO_LARGE ? "larger than 64 MiB" : strerror(errno));
        return 1;
    }
    struct fk_store *store;
    struct fk_pii_key key;
    int rc = fk_cli_open(argc, argv, &store, &key);
    if (rc != 0) {
        free(bytes);
        return rc;
    }
    struct fk_conn *db = NULL;
    struct fk_import_result res = {0};
    struct bar bar = {.tty = isatty(2), .last_tenth = 0};
    err = fk_store_conn(store, &db);
    if (err == FK_OK && region != NULL) {
        struct fk_region found;
        err = fk_region_get(db, code, &found);
        if (err == FK_ERR_NOT_FOUND) {
            fprintf(stderr, "fangkong import: --region %s: no such region in the store\n", region);
            rc = 64;
            goto done;
        }
    }
    if (err == FK_OK) {
        struct fk_import_opts opts = {.db = db,
                                      .kind = fk_store_kind(store),
                                      .key = &key,
                                      .scope = scope,
                                      .now = fk_now(),
                                      .progress = show_progress,
                                      .progress_ctx = &bar};
        err = fk_import_persons(&opts, bytes, len, &res);
        if (bar.tty)
            fputc('\n', stderr);
    }
    if (db != NULL) {
        const char *base = strrchr(file, '/');
        json_t *detail =
            json_pack("{s:s,s:s?,s:I,s:I,s:I,s:I}", "result", err == FK_OK ? "done" : "failed",
                      "format", res.format, "total", (json_int_t)res.counts.total, "imported",
                      (json_int_t)res.counts.imported, "skipped", (json_int_t)res.counts.skipped,
                      "rejected", (json_int_t)res.counts.rejected);
        struct fk_audit_entry entry = {.actor = "cli",
                                       .action = "person_import",
                                       .target_type = "file",
                                       .target_id = base ? base + 1 : file,
                                       .region = scope[0] ? scope : NULL,
                                       .ip = "cli",
                                       .detail = detail};
        if (fk_audit_write(db, &entry) != FK_OK)
            fprintf(stderr, "fangkong import: warning: could not write the audit entry\n");
        json_decref(detail);
    }
    if (err != FK_OK) {
        fprintf(stderr, "fangkong import: %s\n", res.message[0] ? res.message : fk_err_name(err));
        rc = 1;
        goto done;
    }
    printf("%s\n", res.message);
    printf("total %lld, imported %lld, skipped %lld, rejected %lld\n", (long long)res.counts.total,
           (long long)res.counts.imported, (long long)res.counts.skipped,
           (long long)res.counts.rejected);
    rc = 0;
    if (res.counts.rejected > 0) {
        rc = 2;
        char path[4200];
        snprintf(path, sizeof(path), "%s.errors.xlsx", file);
        if (res.report == NULL || write_file(path, res.report, res.report_len) != 0) {
            fprintf(stderr, "fangkong import: cannot write %s\n", path);
            rc = 1;
        } else {
            printf("rejected rows (row, column, reason): %s\n", path);
        }
    }
done:
    free(res.report);
    free(bytes);
    fk_store_close(store);
    return rc;
}

/* A CSV field, quoted when it needs to be. */
static void csv_field(FILE *out, const char *text, int last)
{
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
    } else {
        fputc('"', out);
        for (const char *p = text; *p; p++) {
            if (*p == '"')
                fputc('"', out);
            fputc(*p, out);
        }
        fputc('"', out);
    }
    fputc(last ? '\n' : ',', out);
}

static int sample_csv(int argc, char **argv)
{
    const char *out_path = fk_cli_opt(argc, argv, "out");
    if (out_path == NULL) {
        fputs(usage_text, stderr);
        return 64;
    }
    struct fk_store *store;
    struct fk_pii_key key;
    int rc = fk_cli_open(argc, argv, &store, &key);
    if (rc != 0)
        return rc;
    FILE *out = fopen(out_path, "w");
    if (out == NULL) {
        fprintf(stderr, "fangkong import: cannot write %s: %s\n", out_path, strerror(errno));
        fk_store_close(store);
        return 1;
    }
    struct fk_conn *db;
    struct fk_stmt *st = NULL;
    int row = 0;
    int64_t n = 0;
    enum fk_err err = fk_store_conn(store, &db);
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          "SELECT id_sealed, name, phone_sealed, region, address FROM persons "
                          "ORDER BY id",
                          "");
    fputs("身份证号,姓名,手机号,区划代码,地址\n", out);
    while (err == FK_OK && row) {
        char *id = NULL, *phone = NULL;
        err = fk_pii_open(&key, "id_number", fk_stmt_text(st, 0), &id);
        if (err == FK_OK && !fk_stmt_is_null(st, 2) && fk_stmt_text(st, 2)[0] != '\0')
            err = fk_pii_open(&key, "phone", fk_stmt_text(st, 2), &phone);
        if (err == FK_OK) {
            csv_field(out, id, 0);
            csv_field(out, fk_stmt_text(st, 1), 0);
            csv_field(out, phone ? phone : "", 0);
            csv_field(out, fk_stmt_text(st, 3), 0);
            csv_field(out, fk_stmt_is_null(st, 4) ? "" : fk_stmt_text(st, 4), 1);
            n++;
        }
        free(id);
        free(phone);
        if (err == FK_OK) {
            err = fk_stmt_step(st);
            row = err == FK_OK;
            if (err == FK_ERR_DONE)
                err = FK_OK;
        }
    }
    fk_stmt_free(st);
    fk_store_close(store);
    if (fclose(out) != 0 && err == FK_OK)
        err = FK_ERR_IO;
    if (err != FK_OK) {
        fprintf(stderr, "fangkong import sample-csv: %s\n", fk_err_name(err));
        return 1;
    }
    fprintf(stderr, "wrote %lld persons to %s\n", (long long)n, out_path);
    return 0;
}

int fk_cmd_import(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "persons") == 0)
        return import_persons(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "sample-csv") == 0)
        return sample_csv(argc, argv);
    fputs(usage_text, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 64;
}
