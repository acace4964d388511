/* The visit ledger (走访台账) of a campaign as .xlsx or .csv, streamed in
 * keyset batches through the shared ledger writer (src/http/ledger.h). */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/crypto.h"
#include "residents/residents.h"
#include "screening/screening_internal.h"

#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "http/ledger.h"

#define BATCH 5000

static void arrivals_text(struct fk_conn *db, int64_t visit_id, char *out, size_t size,
                          int64_t *concern)
{
    struct fk_stmt *st;
    size_t used = 0;
    out[0] = '\0';
    *concern = 0;
    if (fk_stmt_prepare(db,
                        "SELECT COALESCE(p.name, ''), a.origin_name, a.arrived_on, a.concern "
                        "FROM screening_arrivals a LEFT JOIN persons p ON p.id = a.person_id "
                        "WHERE a.visit_id = ? ORDER BY a.id",
                        &st) != FK_OK)
        return;
    if (fk_stmt_bind_int64(st, 1, visit_id) == FK_OK)
        while (fk_stmt_step(st) == FK_OK && used < size) {
            int n = snprintf(out + used, size - used, "%s%s（%s %s）%s", used ? "、" : "",
                             fk_stmt_text(st, 0), fk_stmt_text(st, 1), fk_stmt_text(st, 2),
                             fk_stmt_int64(st, 3) ? "★" : "");
            if (n < 0)
                break;
            used += (size_t)n;
            *concern += fk_stmt_int64(st, 3) != 0;
        }
    fk_stmt_free(st);
}

void fk_screening_export_visits(struct fk_req *req)
{
    int xlsx;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t campaign_id = 0, worker = 0;
    char scope[FK_REGION_CODE_LEN];
    if (fk_screening_work_scope_or_reply(req, db, &campaign_id, scope, &worker) != 0)
        return;

    static const char *const headers[] = {
        "序号",     "走访时间", "户编号",   "区划代码",     "所属区划", "地址", "户主",
        "走访结果", "在家人数", "新到人员", "关注地区人员", "症状",     "备注", "网格员"};
    static const double widths[] = {8, 20, 10, 18, 24, 40, 10, 10, 8, 40, 12, 20, 30, 12};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "走访台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT v.id, v.visited_at, v.household_id, v.region, COALESCE(r.name, ''), "
             "COALESCE(h.address, ''), COALESCE(hp.name, ''), v.outcome, v.members_present, "
             "v.symptoms, COALESCE(v.note, ''), COALESCE(u.display_name, '') "
             "FROM screening_visits v LEFT JOIN households h ON h.id = v.household_id "
             "LEFT JOIN regions r ON r.code = v.region "
             "LEFT JOIN persons hp ON hp.id = h.head_person_id "
             "LEFT JOIN users u ON u.id = v.worker_id%s "
             "WHERE v.campaign_id = ? AND v.region >= ? AND v.region < ? AND v.id > ?%s "
             "ORDER BY v.id LIMIT %d",
             worker ? " JOIN screening_grids g ON g.campaign_id = v.campaign_id AND "
                      "v.region >= g.low AND v.region < g.high"
                    : "",
             worker ? " AND g.user_id = ?" : "", BATCH);
    int64_t last = 0, count = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_stmt *st;
        int64_t batch_rows = 0;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, 1, campaign_id);
        if (err == FK_OK)
            err = fk_stmt_bind_region(st, 2, scope);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, 4, last);
        if (err == FK_OK && worker)
            err = fk_stmt_bind_int64(st, 5, worker);
        /* Arrivals are read per visit on the same connection once the batch's
         * rows are copied: collect the batch first. */
        json_t *rows = json_array();
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            json_t *row = json_array();
            for (int k = 0; k < 12; k++)
                json_array_append_new(
                    row, k == 0 || k == 1 || k == 2
                             ? json_integer(fk_stmt_int64(st, k))
                             : json_string(fk_stmt_text(st, k) ? fk_stmt_text(st, k) : ""));
            json_array_append_new(rows, row);
            batch_rows++;
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            char seq[24], household[24], visited[FK_RFC3339_LEN], present[16], arrivals[2048],
                concern_text[24], symptoms[256];
            int64_t concern;
            last = json_integer_value(json_array_get(row, 0));
            snprintf(seq, sizeof(seq), "%lld", (long long)++count);
            fk_time_format(json_integer_value(json_array_get(row, 1)), visited);
            visited[19] = '\0';
            visited[10] = ' ';
            snprintf(household, sizeof(household), "%lld",
                     (long long)json_integer_value(json_array_get(row, 2)));
            json_t *members = json_loads(json_string_value(json_array_get(row, 8)), 0, NULL);
            snprintf(present, sizeof(present), "%zu", json_array_size(members));
            json_decref(members);
            arrivals_text(db, last, arrivals, sizeof(arrivals), &concern);
            snprintf(concern_text, sizeof(concern_text), "%lld", (long long)concern);
            fk_symptoms_format(fk_symptoms_parse(json_string_value(json_array_get(row, 9))), 1,
                               symptoms, sizeof(symptoms));
            const char *cells[N] = {
                seq,
                visited,
                household,
                json_string_value(json_array_get(row, 3)),
                json_string_value(json_array_get(row, 4)),
                json_string_value(json_array_get(row, 5)),
                json_string_value(json_array_get(row, 6)),
                fk_visit_outcome_label(json_string_value(json_array_get(row, 7))),
                present,
                arrivals,
                concern_text,
                symptoms,
                json_string_value(json_array_get(row, 10)),
                json_string_value(json_array_get(row, 11)),
            };
            fk_ledger_row(&lg, cells, N);
        }
        json_decref(rows);
        if (err != FK_OK || batch_rows < BATCH)
            break;
    }
    json_t *detail = NULL;
    if (err == FK_OK)
        err = fk_audit_req(req, "screening_visit_export", "screening_campaign", NULL, 0,
                           detail = json_pack("{s:I,s:s,s:s,s:I}", "campaign_id",
                                              (json_int_t)campaign_id, "region", scope, "format",
                                              xlsx ? "xlsx" : "csv", "rows", (json_int_t)count));
    json_decref(detail);
    fk_ledger_finish(req, &lg, err, "screening-visits");
}

/* The households not reached yet (未入户台账), in pages of the same query the
 * pending list uses. */
void fk_screening_export_pending(struct fk_req *req)
{
    int xlsx;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0)
        return;
    const char *outcome;
    if (fk_screening_outcome_or_reply(req, &outcome) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t campaign_id = 0, worker = 0;
    char scope[FK_REGION_CODE_LEN];
    if (fk_screening_work_scope_or_reply(req, db, &campaign_id, scope, &worker) != 0)
        return;
    static const char *const headers[] = {"序号",     "户编号",      "区划代码", "所属区划",
                                          "地址",     "户主",        "人数",     "最近走访结果",
                                          "走访次数", "最近走访时间"};
    static const double widths[] = {8, 10, 18, 24, 40, 10, 6, 14, 8, 20};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "未入户台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    enum { PAGE = 2000 };
    int64_t count = 0, total = 0;
    enum fk_err err = FK_OK;
    for (int64_t page = 1; err == FK_OK; page++) {
        json_t *items = NULL;
        err = fk_pending(db, campaign_id, scope, worker, outcome, page, PAGE, &items, &total);
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
    if (err == FK_OK) {
        json_t *detail =
            json_pack("{s:I,s:s,s:s,s:I}", "campaign_id", (json_int_t)campaign_id, "region", scope,
                      "format", xlsx ? "xlsx" : "csv", "rows", (json_int_t)count);
        err = fk_audit_req(req, "screening_pending_export", "screening_campaign", NULL, 0, detail);
        json_decref(detail);
    }
    fk_ledger_finish(req, &lg, err, "pending-households");
}
