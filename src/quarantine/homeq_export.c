/* The home quarantine ledger (居家隔离台账) as .xlsx or .csv, with the list's
 * filters, streamed in keyset batches through the shared ledger writer. ID
 * and phone numbers are masked as in the list unless the role sees them. */
#include "audit/audit.h"
#include "core/clock.h"
#include "quarantine/homeq_internal.h"

#include <stdio.h>
#include <string.h>

#include "http/ledger.h"

static void letter_text(json_t *letter, char *out, size_t size)
{
    char at[20];
    if (json_is_string(json_object_get(letter, "signed_at"))) {
        fk_ledger_local_time(json_object_get(letter, "signed_at"), at);
        snprintf(out, size, "已签订 %s", at);
    } else if (json_is_string(json_object_get(letter, "issued_at"))) {
        fk_ledger_local_time(json_object_get(letter, "issued_at"), at);
        snprintf(out, size, "已送达 %s，未签订", at);
    } else {
        snprintf(out, size, "未送达");
    }
}

/* One ledger row per quarantine (fk_homeq_each): with its follow-up and team. */
struct export_rows {
    struct fk_ledger *lg;
    struct fk_conn *db;
    const struct fk_pii_key *key;
    unsigned role;
    int64_t now, count;
};

static enum fk_err export_row(void *ctx, json_t *q, const struct fk_homeq_row *row)
{
    struct export_rows *x = ctx;
    json_t *team = NULL;
    int64_t users[FK_HOMEQ_ROLES];
    enum fk_err err = fk_homeq_follow_up(x->db, row, x->now, q, 1, NULL, NULL);
    if (err == FK_OK)
        err = fk_homeq_team(x->db, x->key, x->role, row->id, &team, users);
    if (err != FK_OK)
        return err;
    char seq[24], days[32], starts[20], planned[20], ended[20], last_at[20];
    char celsius[16] = "", fevers[16], commitment[64], notification[64];
    char overdue[512] = "", members[FK_HOMEQ_ROLES][FK_NAME_MAX + 32];
    snprintf(seq, sizeof(seq), "%lld", (long long)++x->count);
    snprintf(days, sizeof(days), "第%lld天/共%lld天",
             (long long)json_integer_value(json_object_get(q, "day")),
             (long long)json_integer_value(json_object_get(q, "days_total")));
    fk_ledger_local_time(json_object_get(q, "starts_at"), starts);
    fk_ledger_local_time(json_object_get(q, "planned_end"), planned);
    fk_ledger_local_time(json_object_get(q, "ended_at"), ended);
    json_t *lt = json_object_get(q, "last_temperature");
    fk_ledger_local_time(json_object_get(lt, "measured_at"), last_at);
    if (json_is_number(json_object_get(lt, "celsius")))
        snprintf(celsius, sizeof(celsius), "%.1f",
                 json_number_value(json_object_get(lt, "celsius")));
    snprintf(fevers, sizeof(fevers), "%lld",
             (long long)json_integer_value(json_object_get(q, "fever_count")));
    json_t *letters = json_object_get(q, "letters");
    letter_text(json_object_get(letters, "commitment"), commitment, sizeof(commitment));
    letter_text(json_object_get(letters, "notification"), notification, sizeof(notification));
    /* Overdue items as "label；label；…" (cut to the cell). */
    size_t k, used = 0;
    json_t *item;
    json_array_foreach(json_object_get(q, "overdue_items"), k, item)
    {
        int w = snprintf(overdue + used, sizeof(overdue) - used, "%s%s", used ? "；" : "",
                         fk_ledger_text(item, "label"));
        if (w < 0 || (size_t)w >= sizeof(overdue) - used) {
            overdue[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    for (int r = 0; r < FK_HOMEQ_ROLES; r++)
        members[r][0] = '\0';
    json_array_foreach(team, k, item)
    {
        int r = fk_homeq_role_from_name(fk_ledger_text(item, "role"));
        if (r < 0)
            continue;
        const char *phone = fk_ledger_text(item, "phone");
        snprintf(members[r], sizeof(members[r]), "%s%s%s", fk_ledger_text(item, "name"),
                 phone[0] ? " " : "", phone);
    }
    json_t *person = json_object_get(q, "person");
    const char *state = fk_ledger_text(q, "state");
    const char *cells[] = {
        seq,
        fk_ledger_text(person, "name"),
        fk_ledger_text(person, "id_number"),
        fk_ledger_text(person, "phone"),
        fk_ledger_text(q, "region"),
        fk_ledger_text(q, "region_name"),
        fk_ledger_text(q, "address"),
        fk_ledger_text(q, "reason_label"),
        starts,
        planned,
        days,
        strcmp(state, "ended") == 0 ? "已解除" : "隔离中",
        fk_ledger_text(q, "outcome_label"),
        ended,
        celsius,
        last_at,
        fevers,
        commitment,
        notification,
        overdue,
        members[FK_HOMEQ_TOWNSHIP_CADRE],
        members[FK_HOMEQ_VILLAGE_CADRE],
        members[FK_HOMEQ_VILLAGE_DOCTOR],
        members[FK_HOMEQ_POLICE],
        members[FK_HOMEQ_GRID_WORKER],
        fk_ledger_text(q, "note"),
    };
    fk_ledger_row(x->lg, cells, sizeof(cells) / sizeof(cells[0]));
    json_decref(team);
    return FK_OK;
}

void fk_homeq_export(struct fk_req *req)
{
    int xlsx;
    struct fk_homeq_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || fk_homeq_filter_or_reply(req, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {
        "序号",     "姓名",     "身份证号",    "手机号",         "区划代码", "所属区划",
        "居住地址", "隔离原因", "开始时间",    "计划解除时间",   "隔离天数", "状态",
        "解除方式", "解除时间", "最近体温(℃)", "最近测温时间",   "发热次数", "承诺书",
        "告知书",   "逾期事项", "乡镇干部",    "村（社区）干部", "村医",     "民警",
        "网格员",   "备注"};
    static const double widths[] = {8,  10, 20, 14, 16, 20, 36, 12, 18, 18, 10, 8,  12,
                                    18, 10, 18, 8,  26, 26, 40, 14, 14, 14, 14, 14, 30};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "居家隔离台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct export_rows rows = {
        .lg = &lg, .db = db, .key = &req->app->pii_key, .role = req->actor.role, .now = fk_now()};
    enum fk_err err = fk_homeq_each(db, &f, rows.key, rows.role, export_row, &rows);
    int64_t count = rows.count;
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:s,s:s,s:I}", "region", f.scope, "format",
                                   xlsx ? "xlsx" : "csv", "rows", (json_int_t)count);
        err = fk_audit_req(req, "home_quarantine_export", "home_quarantine", NULL, 0, detail);
        json_decref(detail);
    }
    fk_ledger_finish(req, &lg, err, "home-quarantines");
}
