/* The ledgers of a campaign as .xlsx or .csv through the shared ledger writer
 * (src/http/ledger.h): the visits (走访台账, read in keyset batches by
 * fk_visit_each) and the households not reached (未入户台账). Handlers only:
 * the rows come from screening_store.c. */
#include "core/clock.h"
#include "http/ledger.h"
#include "screening/screening_internal.h"

#include <stdio.h>
#include <string.h>

enum { VISIT_CELLS = 14 };

/* One visit (`v`, borrowed) as row `n` of the ledger `ctx`. */
static void visit_row(const struct fk_visit_line *v, int64_t n, void *ctx)
{
    char seq[24], household[24], visited[FK_RFC3339_LEN], present[16], concern[24], symptoms[256];
    snprintf(seq, sizeof(seq), "%lld", (long long)n);
    fk_time_format(v->visited_at, visited);
    visited[19] = '\0';
    visited[10] = ' ';
    snprintf(household, sizeof(household), "%lld", (long long)v->household_id);
    snprintf(present, sizeof(present), "%zu", v->members_present);
    snprintf(concern, sizeof(concern), "%lld", (long long)v->concern);
    fk_symptoms_format(v->symptoms, 1, symptoms, sizeof(symptoms));
    const char *cells[VISIT_CELLS] = {
        seq,
        visited,
        household,
        v->region,
        v->region_name,
        v->address,
        v->head_name,
        fk_visit_outcome_label(v->outcome),
        present,
        v->arrivals,
        concern,
        symptoms,
        v->note,
        v->worker_name,
    };
    fk_ledger_row(ctx, cells, VISIT_CELLS);
}

/* A campaign ledger request: ?format=, the campaign, the caller's scope in
 * it and, for the pending ledger, ?outcome=. */
struct campaign_export {
    int xlsx;
    struct fk_conn *db;
    int64_t campaign_id, worker;
    char scope[FK_REGION_CODE_LEN];
    const char *outcome;
};

static int export_begin_or_reply(struct fk_req *req, int pending, struct campaign_export *e)
{
    e->outcome = NULL;
    if (fk_ledger_format_or_reply(req, &e->xlsx) != 0 ||
        (pending && fk_screening_outcome_or_reply(req, &e->outcome) != 0))
        return -1;
    e->db = fk_req_db(req);
    if (e->db == NULL)
        return -1;
    return fk_screening_work_scope_or_reply(req, e->db, &e->campaign_id, e->scope, &e->worker);
}

/* Audits the export of `count` rows as `action` and sends the file. */
static void export_end(struct fk_req *req, struct fk_ledger *lg, enum fk_err err,
                       const struct campaign_export *e, const char *action, int64_t count,
                       const char *base)
{
    fk_req_audit(req, &err, action, "screening_campaign", 0, 0,
                 json_pack("{s:I,s:s,s:s,s:I}", "campaign_id", (json_int_t)e->campaign_id, "region",
                           e->scope, "format", e->xlsx ? "xlsx" : "csv", "rows",
                           (json_int_t)count));
    fk_ledger_finish(req, lg, err, base);
}

void fk_screening_export_visits(struct fk_req *req)
{
    struct campaign_export e;
    if (export_begin_or_reply(req, 0, &e) != 0)
        return;
    static const char *const headers[] = {
        "序号",     "走访时间", "户编号",   "区划代码",     "所属区划", "地址", "户主",
        "走访结果", "在家人数", "新到人员", "关注地区人员", "症状",     "备注", "网格员"};
    static const double widths[] = {8, 20, 10, 18, 24, 40, 10, 10, 8, 40, 12, 20, 30, 12};
    _Static_assert(sizeof(headers) / sizeof(headers[0]) == VISIT_CELLS, "one header per cell");
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, e.xlsx, "走访台账", headers, widths, VISIT_CELLS) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    int64_t count = 0;
    enum fk_err err = fk_visit_each(e.db, e.campaign_id, e.scope, e.worker, visit_row, &lg, &count);
    export_end(req, &lg, err, &e, "screening_visit_export", count, "screening-visits");
}

/* The households not reached yet (未入户台账), in pages of the same query the
 * pending list uses. */
void fk_screening_export_pending(struct fk_req *req)
{
    struct campaign_export e;
    if (export_begin_or_reply(req, 1, &e) != 0)
        return;
    static const char *const headers[] = {"序号",     "户编号",      "区划代码", "所属区划",
                                          "地址",     "户主",        "人数",     "最近走访结果",
                                          "走访次数", "最近走访时间"};
    static const double widths[] = {8, 10, 18, 24, 40, 10, 6, 14, 8, 20};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, e.xlsx, "未入户台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    enum { PAGE = 2000 };
    int64_t count = 0, total = 0;
    enum fk_err err = FK_OK;
    for (int64_t page = 1; err == FK_OK; page++) {
        json_t *items = NULL;
        err = fk_pending(e.db, e.campaign_id, e.scope, e.worker, e.outcome, page, PAGE, &items,
                         &total);
        size_t n = err == FK_OK ? json_array_size(items) : 0;
        for (size_t i = 0; i < n; i++) {
            const json_t *h = json_array_get(items, i);
            char seq[24], id[24], members[24], visits[24], visited[FK_RFC3339_LEN] = "";
            snprintf(seq, sizeof(seq), "%lld", (long long)++count);
            snprintf(id, sizeof(id), "%lld",
                     (long long)json_integer_value(json_object_get(h, "household_id")));
            snprintf(members, sizeof(members), "%lld",
                     (long long)json_integer_value(json_object_get(h, "member_count")));
            snprintf(visits, sizeof(visits), "%lld",
                     (long long)json_integer_value(json_object_get(h, "visits")));
            const char *at = json_string_value(json_object_get(h, "last_visited_at"));
            if (at != NULL) {
                snprintf(visited, sizeof(visited), "%s", at);
                visited[10] = ' ';
                visited[19] = '\0';
            }
            const char *label = json_string_value(json_object_get(h, "last_outcome_label"));
            const char *cells[N] = {seq,
                                    id,
                                    json_string_value(json_object_get(h, "region")),
                                    json_string_value(json_object_get(h, "region_name")),
                                    json_string_value(json_object_get(h, "address")),
                                    json_string_value(json_object_get(h, "head_name")),
                                    members,
                                    at != NULL && label != NULL ? label : "未走访",
                                    visits,
                                    visited};
            fk_ledger_row(&lg, cells, N);
        }
        json_decref(items);
        if (n < PAGE)
            break;
    }
    export_end(req, &lg, err, &e, "screening_pending_export", count, "pending-households");
}
