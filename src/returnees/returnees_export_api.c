/* The returnee ledger (返乡人员台账) as .xlsx or .csv, with the list's filters,
 * streamed in keyset batches through the shared ledger writer. ID and phone
 * numbers are masked as in the list unless the role sees them in full. */
#include "core/clock.h"
#include "returnees/returnees_internal.h"

#include <stdio.h>
#include <string.h>

#include "http/ledger.h"

enum { N = 25 };

/* One arrival (`r`, borrowed) as row `n` of the ledger `ctx`. */
static void ledger_row(json_t *r, int64_t n, void *ctx)
{
    char seq[24], household[24], created[FK_RFC3339_LEN];
    snprintf(seq, sizeof(seq), "%lld", (long long)n);
    json_t *h = json_object_get(r, "household_id");
    snprintf(household, sizeof(household), "%s", "");
    if (json_is_integer(h))
        snprintf(household, sizeof(household), "%lld", (long long)json_integer_value(h));
    snprintf(created, sizeof(created), "%s", fk_ledger_text(r, "created_at"));
    if (strlen(created) >= 19) {
        created[19] = '\0';
        created[10] = ' ';
    }
    json_t *origin = json_object_get(r, "origin");
    json_t *worker = json_object_get(r, "grid_worker");
    const char *cells[N] = {
        seq,
        fk_ledger_text(r, "reference"),
        fk_ledger_text(r, "name"),
        fk_ledger_text(r, "id_number"),
        fk_ledger_text(r, "phone"),
        fk_ledger_text(origin, "code"),
        fk_ledger_text(origin, "name"),
        json_is_true(json_object_get(r, "outside_province")) ? "是" : "否",
        json_is_true(json_object_get(r, "concern")) ? "是" : "否",
        fk_ledger_text(r, "arrival_date"),
        fk_returnee_value_label(FK_RETURNEE_TRANSPORT, fk_ledger_text(r, "transport")),
        fk_ledger_text(r, "plate"),
        fk_ledger_text(r, "trip_no"),
        fk_ledger_text(r, "destination_region"),
        fk_ledger_text(r, "destination_name"),
        household,
        fk_ledger_text(r, "address"),
        fk_returnee_value_label(FK_RETURNEE_THREE_CODE, fk_ledger_text(r, "three_code")),
        fk_returnee_value_label(FK_RETURNEE_LANDING_TEST, fk_ledger_text(r, "landing_test")),
        fk_returnee_value_label(FK_RETURNEE_DISPOSITION, fk_ledger_text(r, "disposition")),
        fk_ledger_text(worker, "display_name"),
        json_is_true(json_object_get(r, "handled")) ? "是" : "否",
        strcmp(fk_ledger_text(r, "source"), "public") == 0 ? "自助报备" : "工作人员登记",
        created,
        fk_ledger_text(r, "note"),
    };
    fk_ledger_row(ctx, cells, N);
}

void fk_returnees_export(struct fk_req *req)
{
    int xlsx;
    struct fk_returnee_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || fk_returnee_filter_or_reply(req, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {
        "序号",     "登记编号", "姓名",     "身份证号", "手机号", "来源地代码", "来源地",
        "是否外省", "关注地区", "到达日期", "交通方式", "车牌号", "车次/航班",  "目的地代码",
        "目的地",   "户编号",   "详细地址", "三码查验", "落地检", "管控措施",   "网格员",
        "已处置",   "登记方式", "登记时间", "备注"};
    static const double widths[] = {8,  12, 10, 20, 14, 10, 20, 8,  10, 12, 8,  12, 10,
                                    18, 24, 8,  36, 10, 10, 14, 12, 8,  10, 20, 30};
    _Static_assert(sizeof(headers) / sizeof(headers[0]) == N, "one header per cell");
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "返乡人员台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    int64_t count = 0;
    enum fk_err err =
        fk_returnee_each(db, &req->app->pii_key, req->actor.role, &f, ledger_row, &lg, &count);
    fk_req_audit(req, &err, "returnee_export", "returnee", 0, 0,
                 json_pack("{s:s,s:s,s:I}", "region", f.scope, "format", xlsx ? "xlsx" : "csv",
                           "rows", (json_int_t)count));
    fk_ledger_finish(req, &lg, err, "returnees");
}
