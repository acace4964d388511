/* 每日健康申报: the resident's daily health report for themselves and their
 * family members, and the staff list and ledger of the reports in their
 * jurisdiction. A fever (temperature at or above --fever-tenths, or the
 * symptom "fever") records a `fever` health fact (source "selfreport", the
 * report id) and re-evaluates the person's code in the same transaction. */
#include "selfservice/selfservice_internal.h"

#include <stdio.h>
#include <string.h>
#include "audit/audit.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "healthcode/healthcode.h"
#include "http/caller.h"
#include "http/ledger.h"
#include "residents/residents.h"

#define MY_REPORTS_MAX 30
#define EXPORT_BATCH 500

/* "cough,fever" → ["cough","fever"] and ["咳嗽","发热"]. */
static void symptoms_json(const char *list, json_t **ids, json_t **labels)
{
    *ids = json_array();
    *labels = json_array();
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", list ? list : "");
    char *start = copy;
    while (*start != '\0') {
        char *comma = strchr(start, ',');
        if (comma != NULL)
            *comma = '\0';
        const char *label = fk_symptom_label(start);
        json_array_append_new(*ids, json_string(start));
        json_array_append_new(*labels, json_string(label ? label : start));
        if (comma == NULL)
            break;
        start = comma + 1;
    }
}

/* The body's "symptoms": an array of known identifiers, no repeats, written
 * comma-separated to `out`; `*fever` set when "fever" is among them. */
static int symptoms_or_reply(struct fk_req *req, char *out, size_t size, int *fever)
{
    out[0] = '\0';
    *fever = 0;
    json_t *list = json_object_get(req->json, "symptoms");
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > FK_SYMPTOMS_MAX) {
        fk_reply_err(req, FK_E_SELF_SYMPTOMS_LIST, "symptoms");
        return -1;
    }
    size_t i, used = 0;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *id = json_string_value(item);
        if (id == NULL || fk_symptom_label(id) == NULL) {
            fk_reply_err(req, FK_E_SELF_SYMPTOM_UNKNOWN, "symptoms");
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(list, j)), id) == 0) {
                fk_reply_err(req, FK_E_SELF_SYMPTOM_REPEATED, "symptoms");
                return -1;
            }
        int w = snprintf(out + used, size - used, "%s%s", used ? "," : "", id);
        if (w < 0 || (size_t)w >= size - used) {
            fk_reply_err(req, FK_E_SELF_SYMPTOMS_TOO_MANY, "symptoms");
            return -1;
        }
        used += (size_t)w;
        if (strcmp(id, "fever") == 0)
            *fever = 1;
    }
    return 0;
}

void fk_selfservice_post_report(struct fk_req *req)
{
    struct fk_conn *db;
    int64_t person = 0;
    if (fk_selfservice_person_or_reply(req, 1, &db, &person) != 0)
        return;
    const char *date, *note = NULL;
    if (fk_json_str_or_reply(req, "date", 1, 10, &date) != 0)
        return;
    int64_t now = fk_now();
    if (!fk_report_date_ok(date, now)) {
        fk_reply_err(req, FK_E_SELF_REPORT_DATE, "date");
        return;
    }
    json_t *t = json_object_get(req->json, "temperature");
    int64_t tenths = json_is_number(t) ? fk_report_temperature_tenths(json_number_value(t)) : -1;
    if (tenths < 0) {
        fk_reply_err(req, t == NULL ? FK_E_SELF_TEMPERATURE_MISSING : FK_E_SELF_TEMPERATURE,
                     "temperature");
        return;
    }
    char symptoms[256];
    int fever_symptom = 0;
    if (symptoms_or_reply(req, symptoms, sizeof(symptoms), &fever_symptom) != 0 ||
        fk_json_str_or_reply(req, "note", 0, FK_REPORT_NOTE_MAX, &note) != 0)
        return;
    if (note != NULL && !fk_text_plain(note)) {
        fk_reply_err(req, FK_E_SELF_NOTE_CONTROL, "note");
        return;
    }
    int fever = tenths >= req->app->cfg.fever_tenths || fever_symptom;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT p.region, COALESCE((SELECT h.id FROM health_reports h WHERE h.person_id = p.id "
        "AND h.report_date = ?), 0) FROM person_directory p WHERE p.id = ?",
        "ti", date, person);
    char region[19] = "";
    int64_t previous = 0;
    if (err == FK_OK && row) {
        snprintf(region, sizeof(region), "%s", fk_stmt_text(st, 0));
        previous = fk_stmt_int64(st, 1);
    } else if (err == FK_OK)
        err = FK_ERR_NOT_FOUND;
    fk_stmt_free(st);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int64_t id = 0;
    struct fk_health_code code = {0};
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(
            db, &id,
            "INSERT INTO health_reports(person_id, report_date, temperature_tenths, "
            "symptoms, note, fever, region, reported_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_id, "
            "report_date) DO UPDATE SET temperature_tenths = excluded.temperature_tenths, "
            "symptoms = excluded.symptoms, note = excluded.note, fever = excluded.fever, "
            "region = excluded.region, reported_by = excluded.reported_by, "
            "updated_at = excluded.updated_at RETURNING id",
            "itittitiii", person, date, tenths, symptoms, note ? note : "", (int64_t)fever, region,
            req->actor.user_id, now, now);
    if (err == FK_OK && fever) {
        char detail[96];
        if (tenths >= req->app->cfg.fever_tenths)
            snprintf(detail, sizeof(detail), "自报体温 %lld.%lld ℃（%s）", (long long)(tenths / 10),
                     (long long)(tenths % 10), date);
        else
            snprintf(detail, sizeof(detail), "自报发热症状（%s）", date);
        struct fk_health_fact fact = {.person_id = person,
                                      .kind = FK_FACT_FEVER,
                                      .started_at = now,
                                      .source = "selfreport",
                                      .source_id = id,
                                      .detail = detail};
        err = fk_health_fact_record(db, &fact);
    } else if (err == FK_OK) {
        /* A replaced report of the same day that had a fever no longer has one. */
        err = fk_health_fact_close(db, "selfreport", id, FK_FACT_FEVER, now);
    }
    if (err == FK_OK) { /* the health-code engine re-evaluates the person */
        struct fk_event event = {.kind = FK_EVENT_HEALTH_FACT_CHANGED,
                                 .at = now,
                                 .person_id = person,
                                 .subject_id = id,
                                 .actor_id = req->actor.user_id,
                                 .region = region};
        err = fk_event_publish(db, &event);
    }
    if (err == FK_OK) {
        char target[24];
        snprintf(target, sizeof(target), "%lld", (long long)id);
        json_t *detail =
            json_pack("{s:s,s:b,s:b}", "date", date, "fever", fever, "replaced", previous != 0);
        err = fk_audit_req(req, "health_report_submit", "health_report", target, person, detail);
        json_decref(detail);
    }
    if (err == FK_OK)
        err = fk_health_code_get(db, person, &code);
    if ((err = fk_caller_finish(db, err)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *ids, *labels;
    symptoms_json(symptoms, &ids, &labels);
    fk_reply_json(req, previous != 0 ? 200 : 201,
                  json_pack("{s:I,s:I,s:s,s:f,s:o,s:o,s:b,s:b,s:s,s:s}", "id", (json_int_t)id,
                            "person_id", (json_int_t)person, "date", date, "temperature",
                            (double)tenths / 10.0, "symptoms", ids, "symptom_labels", labels,
                            "fever", fever, "replaced", previous != 0, "color",
                            fk_health_color_name(code.color), "label",
                            fk_health_color_label(code.color)));
}

static json_t *report_json(struct fk_stmt *st, int first)
{
    json_t *ids, *labels;
    symptoms_json(fk_stmt_text(st, first + 3), &ids, &labels);
    int64_t tenths = fk_stmt_int64(st, first + 2);
    return json_pack("{s:I,s:s,s:f,s:o,s:o,s:s,s:b,s:o,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, first), "date", fk_stmt_text(st, first + 1),
                     "temperature", (double)tenths / 10.0, "symptoms", ids, "symptom_labels",
                     labels, "note", fk_stmt_text(st, first + 4), "fever",
                     (int)fk_stmt_int64(st, first + 5), "reported_at",
                     fk_time_or_null(fk_stmt_int64(st, first + 6)), "updated_at",
                     fk_time_or_null(fk_stmt_int64(st, first + 7)));
}

#define REPORT_COLUMNS                                                                             \
    "h.id, h.report_date, h.temperature_tenths, h.symptoms, h.note, h.fever, h.created_at, "       \
    "h.updated_at"

void fk_selfservice_list_my_reports(struct fk_req *req)
{
    struct fk_conn *db;
    int64_t person = 0;
    if (fk_selfservice_person_or_reply(req, 0, &db, &person) != 0)
        return;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT " REPORT_COLUMNS " FROM health_reports h WHERE "
                                  "h.person_id = ? ORDER BY h.report_date DESC LIMIT ?",
                                  "ii", person, (int64_t)MY_REPORTS_MAX);
    json_t *items = json_array();
    while (err == FK_OK && row) {
        json_array_append_new(items, report_json(st, 0));
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    if (err == FK_OK)
        err = fk_audit_req(req, "health_report_read", "person", NULL, person, NULL);
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:I,s:o}", "person_id", (json_int_t)person, "items", items));
}

/* --- staff: list and ledger --- */

struct report_filter {
    char scope[19];
    char date[11]; /* "" = any */
    int fever;     /* 1 = fever reports only */
    int q_kind;
    char q[FK_Q_VALUE_MAX];
};

static int filter_or_reply(struct fk_req *req, struct report_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (fk_scope_or_reply(req, f->scope) != 0)
        return -1;
    const char *date = fk_req_query(req, "date");
    if (date != NULL && date[0] != '\0') {
        int ok = strlen(date) == 10 && date[4] == '-' && date[7] == '-';
        for (int i = 0; ok && i < 10; i++)
            ok = i == 4 || i == 7 || (date[i] >= '0' && date[i] <= '9');
        if (ok)
            ok = fk_date_valid((date[0] - '0') * 1000 + (date[1] - '0') * 100 +
                                   (date[2] - '0') * 10 + (date[3] - '0'),
                               (date[5] - '0') * 10 + (date[6] - '0'),
                               (date[8] - '0') * 10 + (date[9] - '0'));
        if (!ok) {
            fk_reply_err(req, FK_E_SELF_DATE_FORMAT, "date");
            return -1;
        }
        snprintf(f->date, sizeof(f->date), "%s", date);
    }
    const char *fever = fk_req_query(req, "fever");
    if (fever != NULL && fever[0] != '\0') {
        if (strcmp(fever, "1") != 0 && strcmp(fever, "0") != 0) {
            fk_reply_err(req, FK_E_SELF_FEVER_FLAG, "fever");
            return -1;
        }
        f->fever = fever[0] == '1';
    }
    return fk_person_q_or_reply(req, &f->q_kind, f->q);
}

/* The WHERE clause of the filter; `after_id` >= 0 adds the keyset bound. */
static void report_where(const struct report_filter *f, int64_t after_id, struct fk_where *w)
{
    fk_where_init(w);
    fk_where_region(w, "h.region", f->scope);
    if (f->date[0])
        fk_where_add(w, "h.report_date = ?", "t", f->date);
    if (f->fever)
        fk_where_add(w, "h.fever = 1", "");
    if (f->q_kind == FK_Q_ID_NUMBER)
        fk_where_add(w, "p.id_blind = ?", "t", f->q);
    else if (f->q_kind == FK_Q_NAME_PREFIX)
        fk_where_add(w, "p.name LIKE ? ESCAPE '!'", "t", f->q);
    if (after_id >= 0)
        fk_where_add(w, "h.id > ?", "i", after_id);
}

#define STAFF_COLUMNS                                                                              \
    REPORT_COLUMNS ", h.person_id, p.name, p.id_sealed, p.phone_sealed, h.region, "                \
                   "COALESCE(r.name, '')"
#define STAFF_FROM                                                                                 \
    " FROM health_reports h JOIN person_directory p ON p.id = h.person_id LEFT JOIN regions r ON " \
    "r.code = h.region"

static json_t *staff_json(struct fk_req *req, struct fk_stmt *st)
{
    json_t *item = report_json(st, 0);
    const struct fk_pii_key *key = &req->app->pii_key;
    json_object_set_new(item, "person",
                        json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)fk_stmt_int64(st, 8),
                                  "name", fk_stmt_text(st, 9), "id_number",
                                  fk_pii_json(key, "id_number", fk_stmt_text(st, 10),
                                              fk_role_sees_full_id(req->actor.role)),
                                  "phone",
                                  fk_pii_json(key, "phone", fk_stmt_text(st, 11),
                                              fk_role_sees_full_phone(req->actor.role))));
    json_object_set_new(item, "region", json_string(fk_stmt_text(st, 12)));
    json_object_set_new(item, "region_name", json_string(fk_stmt_text(st, 13)));
    return item;
}

void fk_selfservice_list_reports(struct fk_req *req)
{
    struct report_filter f;
    int64_t page, per_page;
    if (filter_or_reply(req, &f) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_where where;
    report_where(&f, -1, &where);
    char sql[2400];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*)" STAFF_FROM "%s", where.sql);
    struct fk_stmt *st = NULL;
    int idx = 1;
    int64_t total = 0;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_where_bind(st, &where, &idx);
    if (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        total = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    st = NULL;
    json_t *items = json_array();
    if (err == FK_OK) {
        snprintf(sql, sizeof(sql),
                 "SELECT " STAFF_COLUMNS STAFF_FROM
                 "%s ORDER BY h.report_date DESC, h.fever DESC, h.id DESC LIMIT ? OFFSET ?",
                 where.sql);
        idx = 1;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_where_bind(st, &where, &idx);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, idx++, per_page);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
            json_array_append_new(items, staff_json(req, st));
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:s,s:s,s:b,s:I}", "region", f.scope, "date", f.date, "fever",
                                   f.fever, "rows", (json_int_t)json_array_size(items));
        err = fk_audit_req(req, "health_report_list", "health_report", NULL, 0, detail);
        json_decref(detail);
    }
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static const char *text_of(json_t *object, const char *name)
{
    const char *text = json_string_value(json_object_get(object, name));
    return text ? text : "";
}

void fk_selfservice_export_reports(struct fk_req *req)
{
    int xlsx;
    struct report_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 || filter_or_reply(req, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {"序号",     "申报日期", "姓名",     "身份证号",
                                          "手机号",   "区划代码", "所属区划", "体温(℃)",
                                          "是否发热", "症状",     "备注",     "申报时间"};
    static const double widths[] = {8, 12, 10, 20, 14, 16, 24, 10, 10, 30, 30, 18};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "健康申报台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    int64_t last = 0, count = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_where where;
        report_where(&f, last, &where);
        char sql[2400];
        snprintf(sql, sizeof(sql), "SELECT " STAFF_COLUMNS STAFF_FROM "%s ORDER BY h.id LIMIT %d",
                 where.sql, EXPORT_BATCH);
        struct fk_stmt *st = NULL;
        int64_t batch = 0;
        int idx = 1;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_where_bind(st, &where, &idx);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            json_t *item = staff_json(req, st);
            if (item == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            batch++;
            last = fk_stmt_int64(st, 0);
            char seq[24], celsius[16], labels[256] = "", at[20];
            snprintf(seq, sizeof(seq), "%lld", (long long)++count);
            snprintf(celsius, sizeof(celsius), "%.1f",
                     json_number_value(json_object_get(item, "temperature")));
            size_t k, used = 0;
            json_t *label;
            json_array_foreach(json_object_get(item, "symptom_labels"), k, label)
            {
                int w = snprintf(labels + used, sizeof(labels) - used, "%s%s", used ? "、" : "",
                                 json_string_value(label));
                if (w < 0 || (size_t)w >= sizeof(labels) - used) {
                    labels[used] = '\0';
                    break;
                }
                used += (size_t)w;
            }
            snprintf(at, sizeof(at), "%s", text_of(item, "updated_at"));
            if (strlen(at) >= 16) {
                at[16] = '\0';
                at[10] = ' ';
            }
            json_t *person = json_object_get(item, "person");
            const char *cells[N] = {seq,
                                    text_of(item, "date"),
                                    text_of(person, "name"),
                                    text_of(person, "id_number"),
                                    text_of(person, "phone"),
                                    text_of(item, "region"),
                                    text_of(item, "region_name"),
                                    celsius,
                                    json_is_true(json_object_get(item, "fever")) ? "是" : "否",
                                    labels,
                                    text_of(item, "note"),
                                    at};
            fk_ledger_row(&lg, cells, N);
            json_decref(item);
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err != FK_OK || batch < EXPORT_BATCH)
            break;
    }
    if (err == FK_OK) {
        json_t *detail =
            json_pack("{s:s,s:s,s:b,s:s,s:I}", "region", f.scope, "date", f.date, "fever", f.fever,
                      "format", xlsx ? "xlsx" : "csv", "rows", (json_int_t)count);
        err = fk_audit_req(req, "health_report_export", "health_report", NULL, 0, detail);
        json_decref(detail);
    }
    fk_ledger_finish(req, &lg, err, "health-reports");
}
