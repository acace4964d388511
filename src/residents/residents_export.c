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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* One ledger being written and the masking it applies. */
struct person_ledger {
    struct fk_ledger *lg;
    const struct fk_pii_key *key;
    int full_id, full_phone;
    int64_t count;
};

enum { PERSON_CELLS = 11, HOUSEHOLD_CELLS = 7 };

static enum fk_err person_row(const struct fk_person *p, void *ctx)
{
    struct person_ledger *pl = ctx;
    char seq[24], id_number[32], phone[32], created[FK_RFC3339_LEN], categories[160];
    snprintf(seq, sizeof(seq), "%lld", (long long)++pl->count);
    fk_pii_open_masked(pl->key, "id_number", p->id_sealed, pl->full_id, id_number,
                       sizeof(id_number));
    fk_pii_open_masked(pl->key, "phone", p->phone_sealed, pl->full_phone, phone, sizeof(phone));
    fk_time_format(p->created_at, created);
    created[19] = '\0';
    created[10] = ' ';
    /* "returnee,staff" -> "返乡人员、上班人员" */
    categories[0] = '\0';
    size_t used = 0;
    for (const char *c = p->categories; *c != '\0';) {
        const char *comma = strchr(c, ',');
        size_t len = comma ? (size_t)(comma - c) : strlen(c);
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)len, c);
        int k = fk_person_category_index(name);
        if (len > 0 && used < sizeof(categories))
            used += (size_t)snprintf(categories + used, sizeof(categories) - used, "%s%s",
                                     used ? "、" : "", k >= 0 ? fk_person_categories[k][1] : name);
        c += len + (comma ? 1 : 0);
    }
    const char *cells[PERSON_CELLS] = {
        seq,           p->name,        p->sex == FK_SEX_MALE ? "男" : "女",
        p->birth_date, id_number,      phone,
        p->region,     p->region_name, p->address,
        categories,    created};
    fk_ledger_row(pl->lg, cells, PERSON_CELLS);
    return FK_OK;
}

/* Writes the audit row of a finished ledger and sends it (or the failure). */
static void finish_ledger(struct fk_req *req, struct fk_ledger *lg, enum fk_err err,
                          const char *action, const char *type, json_t *detail, const char *name)
{
    if (err == FK_OK)
        err = fk_audit_req(req, action, type, NULL, 0, detail);
    json_decref(detail);
    fk_ledger_finish(req, lg, err, name);
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
        fk_reply_err(req, FK_E_EXPORT_UNMASKED_FORBIDDEN, "unmasked");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;

    static const char *const headers[PERSON_CELLS] = {"序号",     "姓名",   "性别",     "出生日期",
                                                      "身份证号", "手机号", "区划代码", "所属区划",
                                                      "地址",     "类别",   "登记时间"};
    static const double widths[PERSON_CELLS] = {8, 10, 6, 12, 22, 14, 18, 28, 40, 16, 22};
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "人员台账", headers, widths, PERSON_CELLS) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct person_ledger pl = {&lg, &req->app->pii_key,
                               want_full || fk_role_sees_full_id(req->actor.role),
                               want_full || fk_role_sees_full_phone(req->actor.role), 0};
    enum fk_err err = fk_residents_scan(db, &req->app->pii_key, &query, person_row, &pl);
    finish_ledger(req, &lg, err, want_full ? "person_export_full" : "person_export", "person",
                  json_pack("{s:s,s:s,s:I}", "region", scope, "format", xlsx ? "xlsx" : "csv",
                            "rows", (json_int_t)pl.count),
                  "persons");
}

static enum fk_err household_row(const struct fk_household *h, void *ctx)
{
    struct person_ledger *pl = ctx;
    char seq[24], id[24], members[24];
    snprintf(seq, sizeof(seq), "%lld", (long long)++pl->count);
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    snprintf(members, sizeof(members), "%lld", (long long)h->member_count);
    const char *cells[HOUSEHOLD_CELLS] = {seq,        id,           h->region, h->region_name,
                                          h->address, h->head_name, members};
    fk_ledger_row(pl->lg, cells, HOUSEHOLD_CELLS);
    return FK_OK;
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
    static const char *const headers[HOUSEHOLD_CELLS] = {"序号", "户编号", "区划代码", "所属区划",
                                                         "地址", "户主",   "人数"};
    static const double widths[HOUSEHOLD_CELLS] = {8, 10, 18, 28, 44, 10, 8};
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "住户台账", headers, widths, HOUSEHOLD_CELLS) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct person_ledger pl = {&lg, NULL, 0, 0, 0};
    enum fk_err err = fk_residents_scan_households(db, scope, household_row, &pl);
    finish_ledger(req, &lg, err, "household_export", "household",
                  json_pack("{s:s,s:I}", "region", scope, "rows", (json_int_t)pl.count),
                  "households");
}
