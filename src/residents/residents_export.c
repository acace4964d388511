/* Ledgers (台账): persons and households to .xlsx (libxlsxwriter, constant
 * memory) or .csv (libcsv quoting, UTF-8 with BOM for Excel). Rows are read in
 * keyset batches, so memory stays flat whatever the size; the file is built in
 * a temporary file that is unlinked as soon as it is open, then sent. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/ledger.h"
#include "residents/residents_internal.h"

#include <csv.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define BATCH 5000

static const char *category_label(const char *name)
{
    static const char *const table[][2] = {
        {"returnee", "返乡人员"}, {"key_person", "重点人员"}, {"staff", "上班人员"},
        {"student", "学生"},      {"elderly", "独居老人"},    {"disabled", "残疾人"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i][0], name) == 0)
            return table[i][1];
    return name;
}

void fk_residents_export_persons(struct fk_req *req)
{
    int xlsx;
    char scope[FK_REGION_CODE_LEN];
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || fk_scope_or_reply(req, scope) != 0)
        return;
    struct fk_person_query query = {.scope = scope};
    if (fk_residents_parse_query(req, &query) != 0)
        return;
    /* Full numbers only for roles that may see them, or on an explicit,
     * separately audited request by a district admin (ledgers sent upward). */
    const char *unmasked = fk_req_query(req, "unmasked");
    int want_full = unmasked != NULL && strcmp(unmasked, "1") == 0;
    if (want_full && !(req->actor.role & (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TRACER))) {
        fk_reply_error(req, 403, "forbidden", "当前角色不能导出完整身份证号", "unmasked");
        return;
    }
    int full_id = want_full || fk_role_sees_full_id(req->actor.role);
    int full_phone = want_full || fk_role_sees_full_phone(req->actor.role);
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;

    static const char *const headers[] = {"序号",     "姓名",   "性别",     "出生日期",
                                          "身份证号", "手机号", "区划代码", "所属区划",
                                          "地址",     "类别",   "登记时间"};
    static const double widths[] = {8, 10, 6, 12, 22, 14, 18, 28, 40, 16, 22};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "人员台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    char where[512], sql[1024];
    fk_residents_where(&query, where, sizeof(where));
    snprintf(sql, sizeof(sql),
             "SELECT " FK_PERSON_COLUMNS FK_PERSON_FROM "%s AND p.id > ? ORDER BY p.id LIMIT %d",
             where, BATCH);
    int64_t last = 0, count = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_stmt *st;
        int idx;
        int64_t batch_rows = 0;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_residents_bind(st, &query, &req->app->pii_key, &idx);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, idx, last);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            char seq[24], id_number[32], phone[32], created[FK_RFC3339_LEN], categories[160];
            last = fk_stmt_int64(st, 0);
            snprintf(seq, sizeof(seq), "%lld", (long long)++count);
            fk_pii_open_masked(&req->app->pii_key, "id_number", fk_stmt_text(st, 1), full_id,
                               id_number, sizeof(id_number));
            fk_pii_open_masked(&req->app->pii_key, "phone", fk_stmt_text(st, 5), full_phone, phone,
                               sizeof(phone));
            fk_time_format(fk_stmt_int64(st, 11), created);
            created[19] = '\0';
            created[10] = ' ';
            categories[0] = '\0';
            const char *cats = fk_stmt_text(st, 10);
            if (cats != NULL) {
                char copy[128];
                snprintf(copy, sizeof(copy), "%s", cats);
                size_t used = 0;
                for (char *save = NULL, *item = strtok_r(copy, ",", &save); item != NULL;
                     item = strtok_r(NULL, ",", &save))
                    used += (size_t)snprintf(categories + used, sizeof(categories) - used, "%s%s",
                                             used ? "、" : "", category_label(item));
            }
            const char *cells[N] = {seq,
                                    fk_stmt_text(st, 2),
                                    fk_stmt_int64(st, 3) == FK_SEX_MALE ? "男" : "女",
                                    fk_stmt_text(st, 4),
                                    id_number,
                                    phone,
                                    fk_stmt_text(st, 7),
                                    fk_stmt_text(st, 8),
                                    fk_stmt_text(st, 9),
                                    categories,
                                    created};
            fk_ledger_row(&lg, cells, N);
            batch_rows++;
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err != FK_OK || batch_rows < BATCH)
            break;
    }
    json_t *detail = NULL;
    if (err == FK_OK)
        err =
            fk_audit_req(req, want_full ? "person_export_full" : "person_export", "person", NULL, 0,
                         detail = json_pack("{s:s,s:s,s:I}", "region", scope, "format",
                                            xlsx ? "xlsx" : "csv", "rows", (json_int_t)count));
    json_decref(detail);
    fk_ledger_finish(req, &lg, err, "persons");
}

void fk_residents_export_households(struct fk_req *req)
{
    int xlsx;
    char scope[FK_REGION_CODE_LEN];
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || fk_scope_or_reply(req, scope) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {"序号", "户编号", "区划代码", "所属区划",
                                          "地址", "户主",   "人数"};
    static const double widths[] = {8, 10, 18, 28, 44, 10, 8};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "住户台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    char sql[768];
    snprintf(sql, sizeof(sql),
             "SELECT h.id, h.region, COALESCE(r.name, ''), h.address, COALESCE(hp.name, ''), "
             "(SELECT COUNT(*) FROM persons m WHERE m.household_id = h.id AND m.merged_into IS "
             "NULL) FROM households h LEFT JOIN regions r ON r.code = h.region LEFT JOIN persons "
             "hp ON hp.id = h.head_person_id WHERE (h.region >= ? AND h.region < ?) AND h.id > ? "
             "ORDER BY h.id LIMIT %d",
             BATCH);
    int64_t last = 0, count = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_stmt *st;
        int64_t batch_rows = 0;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_stmt_bind_region(st, 1, scope);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, 3, last);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            char seq[24], id[24], members[24];
            last = fk_stmt_int64(st, 0);
            snprintf(seq, sizeof(seq), "%lld", (long long)++count);
            snprintf(id, sizeof(id), "%lld", (long long)last);
            snprintf(members, sizeof(members), "%lld", (long long)fk_stmt_int64(st, 5));
            const char *cells[N] = {seq,
                                    id,
                                    fk_stmt_text(st, 1),
                                    fk_stmt_text(st, 2),
                                    fk_stmt_text(st, 3),
                                    fk_stmt_text(st, 4),
                                    members};
            fk_ledger_row(&lg, cells, N);
            batch_rows++;
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err != FK_OK || batch_rows < BATCH)
            break;
    }
    json_t *detail = NULL;
    if (err == FK_OK)
        err = fk_audit_req(req, "household_export", "household", NULL, 0,
                           detail =
                               json_pack("{s:s,s:I}", "region", scope, "rows", (json_int_t)count));
    json_decref(detail);
    fk_ledger_finish(req, &lg, err, "households");
}
