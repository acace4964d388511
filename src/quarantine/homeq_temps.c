/* Home quarantine temperatures (twice a day), the fever list and the overdue
 * follow-ups of each team member. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "healthcode/healthcode.h"
#include "quarantine/homeq_internal.h"
#include "screening/screening.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOCK_SLACK 300
#define IDEMPOTENCY_KEY_MAX 64
/* A reading may be taken at the start visit, a little before the start. */
#define BEFORE_START 3600
/* Most overdue items one answer is computed from. */
#define OVERDUE_ITEMS_MAX 100000

#define TEMP_COLUMNS                                                                               \
    "t.id, t.quarantine_id, t.day, t.slot, t.celsius_x10, t.fever, t.symptoms, t.measured_at, "    \
    "t.measured_by, COALESCE(mu.display_name, ''), t.recorded_by, COALESCE(ru.display_name, ''), " \
    "t.idempotency_key, t.created_at"
#define TEMP_FROM                                                                                  \
    " FROM home_quarantine_temperatures t LEFT JOIN users mu ON mu.id = t.measured_by LEFT JOIN "  \
    "users ru ON ru.id = t.recorded_by"

static json_t *temperature_json(struct fk_stmt *st)
{
    unsigned bits = fk_symptoms_parse(fk_stmt_text(st, 6));
    char names[256], labels[256];
    fk_symptoms_format(bits, 0, names, sizeof(names));
    fk_symptoms_format(bits, 1, labels, sizeof(labels));
    json_t *symptoms = json_array();
    for (char *p = names; symptoms != NULL && *p != '\0';) {
        char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        json_array_append_new(symptoms, json_stringn(p, len));
        p += len + (comma ? 1 : 0);
    }
    return json_pack("{s:I,s:I,s:s,s:s,s:f,s:b,s:o,s:s,s:o,s:{s:I,s:s},s:{s:I,s:s},s:o,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "quarantine_id",
                     (json_int_t)fk_stmt_int64(st, 1), "day", fk_stmt_text(st, 2), "slot",
                     fk_stmt_text(st, 3), "celsius", (double)fk_stmt_int64(st, 4) / 10.0, "fever",
                     fk_stmt_int64(st, 5) != 0, "symptoms", symptoms ? symptoms : json_array(),
                     "symptoms_label", labels, "measured_at", fk_time_json(fk_stmt_int64(st, 7), 1),
                     "measured_by", "id", (json_int_t)fk_stmt_int64(st, 8), "display_name",
                     fk_stmt_text(st, 9), "recorded_by", "id", (json_int_t)fk_stmt_int64(st, 10),
                     "display_name", fk_stmt_text(st, 11), "idempotency_key",
                     fk_stmt_is_null(st, 12) ? json_null() : json_string(fk_stmt_text(st, 12)),
                     "created_at", fk_time_json(fk_stmt_int64(st, 13), 1));
}

static enum fk_err temperature_load(struct fk_conn *db, int64_t id, json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *out = NULL;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT " TEMP_COLUMNS TEMP_FROM " WHERE t.id = ?", "i", id);
    if (err != FK_OK)
        return err;
    if (!row)
        err = FK_ERR_NOT_FOUND;
    else if ((*out = temperature_json(st)) == NULL)
        err = FK_ERR_NOMEM;
    fk_stmt_free(st);
    return err;
}

/* A stored reading by (recorder, key): its id and quarantine, or 0. */
static enum fk_err replay_of(struct fk_conn *db, int64_t user, const char *key, int64_t *id,
                             int64_t *quarantine)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *id = *quarantine = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT id, quarantine_id FROM home_quarantine_temperatures "
                                  "WHERE recorded_by = ? AND idempotency_key = ?",
                                  "it", user, key);
    if (err != FK_OK)
        return err;
    if (row) {
        *id = fk_stmt_int64(st, 0);
        *quarantine = fk_stmt_int64(st, 1);
    }
    fk_stmt_free(st);
    return FK_OK;
}

static void reply_replay(struct fk_req *req, struct fk_conn *db, int64_t id, int64_t quarantine,
                         int64_t expected, int64_t person_id)
{
    if (quarantine != expected) {
        fk_reply_err(req, FK_E_HOMEQ_TEMP_KEY_REUSED, "idempotency_key");
        return;
    }
    json_t *body = NULL;
    enum fk_err err = temperature_load(db, id, &body);
    fk_homeq_audit(req, &err, "home_quarantine_temperature_replay", quarantine, person_id,
                   json_pack("{s:I}", "temperature_id", (json_int_t)id));
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

void fk_homeq_temperature_create(struct fk_req *req)
{
    int64_t id;
    struct fk_homeq_current cur;
    if (fk_homeq_current_or_reply(req, fk_req_db(req), &id, &cur) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    const char *region = cur.region;
    int64_t person_id = cur.person_id, starts_at = cur.starts_at;
    int ended = cur.ended;
    enum fk_err err;
    /* The idempotency key first: a retry answers the stored reading even if
     * the rest of the body would no longer pass (the clock moved on). */
    const char *key;
    if (fk_json_str_or_reply(req, "idempotency_key", 0, IDEMPOTENCY_KEY_MAX, &key) != 0)
        return;
    if (key != NULL &&
        strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            strlen(key)) {
        fk_homeq_invalid(req, "idempotency_key", "幂等键只能由字母、数字、- 和 _ 组成");
        return;
    }
    if (key != NULL) {
        int64_t existing, quarantine;
        if ((err = replay_of(db, req->actor.user_id, key, &existing, &quarantine)) != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
        if (existing) {
            reply_replay(req, db, existing, quarantine, id, person_id);
            return;
        }
    }
    json_t *celsius = json_object_get(req->json, "celsius");
    int x10 = 0;
    if (celsius == NULL || json_is_null(celsius)) {
        fk_reply_err(req, FK_E_MISSING_FIELD, "celsius");
        return;
    }
    if (!json_is_number(celsius) || fk_homeq_celsius_x10(json_number_value(celsius), &x10) != 0) {
        fk_homeq_invalid(req, "celsius", "体温应为 35.0 到 42.0 之间的数（摄氏度）");
        return;
    }
    int64_t now = fk_now(), measured_at = now;
    const char *text;
    if (fk_json_str_or_reply(req, "measured_at", 0, 40, &text) != 0)
        return;
    if (text != NULL && fk_time_parse(text, &measured_at) != FK_OK) {
        fk_homeq_invalid(req, "measured_at",
                         "时间格式应为 RFC 3339，例如 2022-03-02T08:00:00+08:00");
        return;
    }
    if (measured_at < starts_at - BEFORE_START || measured_at > now + CLOCK_SLACK) {
        fk_homeq_invalid(req, "measured_at", "测量时间应在隔离开始之后、且不晚于现在");
        return;
    }
    int64_t day;
    int pm;
    fk_homeq_slot_of(measured_at, &day, &pm);
    if (fk_json_str_or_reply(req, "slot", 0, 8, &text) != 0)
        return;
    if (text != NULL) {
        if (strcmp(text, "am") != 0 && strcmp(text, "pm") != 0) {
            fk_homeq_invalid(req, "slot", "时段应为 am（上午）或 pm（下午）");
            return;
        }
        if (strcmp(text, "pm") == 0 && !pm) {
            fk_homeq_invalid(req, "slot", "下午时段的体温须在 12:00 以后测量");
            return;
        }
        pm = strcmp(text, "pm") == 0;
    }
    json_t *symptoms = json_object_get(req->json, "symptoms");
    unsigned bits = 0;
    if (symptoms != NULL && !json_is_null(symptoms)) {
        if (!json_is_array(symptoms) || json_array_size(symptoms) > 16) {
            fk_homeq_invalid(req, "symptoms", "症状应为数组，例如 [\"cough\"]");
            return;
        }
        for (size_t i = 0; i < json_array_size(symptoms); i++) {
            unsigned bit = fk_symptom_bit(json_string_value(json_array_get(symptoms, i)));
            if (bit == 0) {
                char field[32];
                snprintf(field, sizeof(field), "symptoms[%zu]", i);
                fk_homeq_invalid(req, field, "未知症状");
                return;
            }
            bits |= bit;
        }
    }
    /* by_user: the team member who measured (default: the caller). */
    int has_by;
    int64_t by_user = req->actor.user_id;
    if (fk_json_int_or_reply(req, "by_user", 0, 1, INT64_MAX, &has_by, &by_user) != 0)
        return;
    if (has_by && by_user != req->actor.user_id) {
        struct fk_stmt *st = NULL;
        int row = 0;
        err = fk_db_query(db, &st, &row,
                          "SELECT 1 FROM home_quarantine_team WHERE quarantine_id = ? AND "
                          "user_id = ?",
                          "ii", id, by_user);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
        fk_stmt_free(st);
        if (!row) {
            fk_homeq_invalid(req, "by_user", "测量人应为该隔离人员包保组中的系统用户");
            return;
        }
    }
    if (ended) {
        fk_reply_err(req, FK_E_HOMEQ_ENDED_TEMP, "state");
        return;
    }
    char day_text[11], symptoms_text[256];
    fk_homeq_day_text(day, day_text);
    fk_symptoms_format(bits, 0, symptoms_text, sizeof(symptoms_text));
    int fever = x10 >= FK_HOMEQ_FEVER_X10;
    int64_t temp_id = 0;
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, &temp_id,
                        "INSERT INTO home_quarantine_temperatures(quarantine_id, region, day, "
                        "slot, celsius_x10, fever, symptoms, measured_at, measured_by, "
                        "recorded_by, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?) RETURNING id",
                        "itttiitiiiti", id, region, day_text, pm ? "pm" : "am", (int64_t)x10,
                        (int64_t)fever, symptoms_text, measured_at, by_user, req->actor.user_id,
                        key, now);
    /* The latest reading by measured_at stays on the quarantine for lists. */
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE home_quarantines SET last_celsius_x10 = CASE WHEN "
                        "last_measured_at IS NULL OR last_measured_at <= ? THEN ? ELSE "
                        "last_celsius_x10 END, last_measured_at = CASE WHEN last_measured_at IS "
                        "NULL OR last_measured_at <= ? THEN ? ELSE last_measured_at END, "
                        "fever_count = fever_count + ?, updated_at = ? WHERE id = ?",
                        "iiiiiii", measured_at, (int64_t)x10, measured_at, measured_at,
                        (int64_t)fever, now, id);
    /* A fever reading is a health-code fact of its own (the rules say how
     * long it keeps the code yellow after the reading). */
    if (err == FK_OK && fever) {
        char detail[64];
        snprintf(detail, sizeof(detail), "居家隔离体温 %.1f ℃", (double)x10 / 10.0);
        struct fk_health_fact fact = {.person_id = person_id,
                                      .kind = FK_FACT_FEVER,
                                      .started_at = measured_at,
                                      .ended_at = measured_at,
                                      .source = "homeq_temp",
                                      .source_id = temp_id,
                                      .detail = detail};
        err = fk_health_fact_record(db, &fact);
        if (err == FK_OK)
            err = fk_health_refresh(db, person_id);
    }
    fk_homeq_audit(req, &err, "home_quarantine_temperature", id, person_id,
                   json_pack("{s:I,s:s,s:s,s:b}", "temperature_id", (json_int_t)temp_id, "day",
                             day_text, "slot", pm ? "pm" : "am", "fever", fever));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        int64_t existing = 0, quarantine = 0;
        /* A concurrent retry with the same key won the unique index. */
        if (err == FK_ERR_CONFLICT && key != NULL &&
            replay_of(db, req->actor.user_id, key, &existing, &quarantine) == FK_OK && existing) {
            reply_replay(req, db, existing, quarantine, id, person_id);
            return;
        }
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    if ((err = temperature_load(db, temp_id, &body)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 201, body);
}

void fk_homeq_temperature_list(struct fk_req *req)
{
    int64_t id, page, per_page;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_homeq_id_or_reply(req, &id) != 0 ||
        fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_homeq_current cur;
    enum fk_err err = fk_homeq_current(db, req->actor.prefix, id, &cur);
    if (err == FK_ERR_NOT_FOUND) {
        fk_homeq_not_found(req);
        return;
    }
    json_t *items = json_array();
    int64_t total = 0;
    struct fk_stmt *st = NULL;
    int has = 0;
    if (err == FK_OK && items == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK)
        err = fk_db_query(db, &st, &has,
                          "SELECT COUNT(*) FROM home_quarantine_temperatures WHERE quarantine_id "
                          "= ?",
                          "i", id);
    if (err == FK_OK) {
        total = has ? fk_stmt_int64(st, 0) : 0;
        fk_stmt_free(st);
        st = NULL;
        err = fk_db_query(db, &st, &has,
                          "SELECT " TEMP_COLUMNS TEMP_FROM
                          " WHERE t.quarantine_id = ? ORDER BY t.measured_at, t.id LIMIT ? "
                          "OFFSET ?",
                          "iii", id, per_page, (page - 1) * per_page);
    }
    while (err == FK_OK && has) {
        json_t *item = temperature_json(st);
        if (item == NULL) {
            err = FK_ERR_NOMEM;
            break;
        }
        json_array_append_new(items, item);
        err = fk_stmt_step(st);
        has = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    if (st != NULL)
        fk_stmt_free(st);
    fk_homeq_audit(req, &err, "home_quarantine_temperature_list", id, cur.person_id, NULL);
    fk_reply_list(req, err, items, total, page, per_page);
}

void fk_homeq_fever_list(struct fk_req *req)
{
    struct fk_homeq_filter f;
    int64_t page, per_page;
    if (fk_homeq_filter_or_reply(req, &f) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    /* The fever list defaults to every state: a fever stays of interest. */
    const char *state = fk_req_query(req, "state");
    if (state == NULL || state[0] == '\0')
        f.state = 0;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    char in_region[96], where[512], sql[1536];
    static const char *const states[] = {"", " AND q.state = 'active'", " AND q.state = 'ended'"};
    fk_store_in_region("t.region", in_region, sizeof(in_region));
    snprintf(where, sizeof(where),
             " FROM home_quarantine_temperatures t JOIN home_quarantines q ON q.id = "
             "t.quarantine_id JOIN persons p ON p.id = q.person_id LEFT JOIN regions g ON g.code "
             "= q.region LEFT JOIN users mu ON mu.id = t.measured_by LEFT JOIN users ru ON ru.id "
             "= t.recorded_by WHERE t.fever = 1 AND %s%s%s%s",
             in_region, f.from ? " AND t.measured_at >= ?" : "",
             f.until ? " AND t.measured_at < ?" : "", states[f.state]);
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = items ? FK_OK : FK_ERR_NOMEM;
    for (int pass = 0; pass < 2 && err == FK_OK; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof(sql), "SELECT COUNT(*)%s", where);
        else
            snprintf(sql, sizeof(sql),
                     "SELECT " TEMP_COLUMNS ", q.person_id, p.name, q.region, COALESCE(g.name, "
                     "''), q.state%s ORDER BY t.measured_at DESC, t.id DESC LIMIT ? OFFSET ?",
                     where);
        struct fk_stmt *st;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        int idx = 3;
        err = fk_stmt_bind_region(st, 1, f.scope);
        if (err == FK_OK && f.from)
            err = fk_stmt_bind_int64(st, idx++, f.from);
        if (err == FK_OK && f.until)
            err = fk_stmt_bind_int64(st, idx++, f.until);
        if (err == FK_OK && pass == 1) {
            err = fk_stmt_bind_int64(st, idx++, per_page);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        }
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            if (pass == 0) {
                total = fk_stmt_int64(st, 0);
                continue;
            }
            json_t *item = temperature_json(st);
            if (item == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            json_object_set_new(item, "person",
                                json_pack("{s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 14),
                                          "name", fk_stmt_text(st, 15)));
            json_object_set_new(item, "region", json_string(fk_stmt_text(st, 16)));
            json_object_set_new(item, "region_name", json_string(fk_stmt_text(st, 17)));
            json_object_set_new(item, "state", json_string(fk_stmt_text(st, 18)));
            json_array_append_new(items, item);
        }
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
    fk_homeq_audit(req, &err, "home_quarantine_fever_list", 0, 0,
                   json_pack("{s:s,s:I}", "region", f.scope, "total", (json_int_t)total));
    fk_reply_list(req, err, items, total, page, per_page);
}

struct overdue_item {
    int64_t due, quarantine_id;
    int seq;
    json_t *json;
};

static int overdue_cmp(const void *a, const void *b)
{
    const struct overdue_item *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    if (x->quarantine_id != y->quarantine_id)
        return x->quarantine_id < y->quarantine_id ? -1 : 1;
    return x->seq - y->seq;
}

/* One quarantine's overdue items, each with the team members responsible,
 * appended to *list (those of `member` only when it is not 0). */
static enum fk_err overdue_of(struct fk_req *req, struct fk_conn *db, json_t *quarantine,
                              const struct fk_homeq_row *row, int64_t now, int64_t member, int kind,
                              struct overdue_item **list, size_t *n, size_t *cap)
{
    struct fk_homeq_due due[FK_HOMEQ_DUE_MAX];
    size_t n_due = 0;
    enum fk_err err = fk_homeq_follow_up(db, row, now, quarantine, 0, due, &n_due);
    if (err != FK_OK || n_due == 0)
        return err;
    json_t *team = NULL;
    int64_t users[FK_HOMEQ_ROLES];
    if ((err = fk_homeq_team(db, &req->app->pii_key, req->actor.role, row->id, &team, users)) !=
        FK_OK)
        return err;
    for (size_t i = 0; i < n_due && err == FK_OK; i++) {
        if (kind >= 0 && (int)due[i].kind != kind)
            continue;
        unsigned roles = fk_homeq_due_roles(&due[i]);
        int mine = member == 0;
        json_t *responsible = json_array();
        size_t k;
        json_t *m;
        json_array_foreach(team, k, m)
        {
            int r = fk_homeq_role_from_name(json_string_value(json_object_get(m, "role")));
            if (r < 0 || !(roles & (1u << r)))
                continue;
            if (member != 0 && users[r] == member)
                mine = 1;
            json_array_append_new(responsible, json_pack("{s:O,s:O,s:O,s:O,s:O}", "role",
                                                         json_object_get(m, "role"), "role_label",
                                                         json_object_get(m, "role_label"),
                                                         "user_id", json_object_get(m, "user_id"),
                                                         "name", json_object_get(m, "name"),
                                                         "phone", json_object_get(m, "phone")));
        }
        if (!mine) {
            json_decref(responsible);
            continue;
        }
        if (*n >= OVERDUE_ITEMS_MAX) {
            json_decref(responsible);
            break;
        }
        if (*n == *cap) {
            size_t grown = *cap ? *cap * 2 : 64;
            struct overdue_item *bigger = realloc(*list, grown * sizeof(**list));
            if (bigger == NULL) {
                json_decref(responsible);
                err = FK_ERR_NOMEM;
                break;
            }
            *list = bigger;
            *cap = grown;
        }
        json_t *item = fk_homeq_due_json(&due[i]);
        if (item == NULL) {
            json_decref(responsible);
            err = FK_ERR_NOMEM;
            break;
        }
        json_object_set_new(item, "quarantine_id", json_integer(row->id));
        json_object_set(item, "person", json_object_get(quarantine, "person"));
        json_object_set(item, "region", json_object_get(quarantine, "region"));
        json_object_set(item, "region_name", json_object_get(quarantine, "region_name"));
        json_object_set(item, "address", json_object_get(quarantine, "address"));
        json_object_set_new(item, "responsible", responsible);
        (*list)[*n] = (struct overdue_item){
            .due = due[i].due, .quarantine_id = row->id, .seq = (int)i, .json = item};
        (*n)++;
    }
    json_decref(team);
    return err;
}

/* fk_homeq_each over the active quarantines: their overdue items. */
struct overdue_scan {
    struct fk_req *req;
    struct fk_conn *db;
    int64_t now, member;
    int kind;
    struct overdue_item *list;
    size_t n, cap;
};

static enum fk_err overdue_each(void *ctx, json_t *quarantine, const struct fk_homeq_row *row)
{
    struct overdue_scan *x = ctx;
    return overdue_of(x->req, x->db, quarantine, row, x->now, x->member, x->kind, &x->list, &x->n,
                      &x->cap);
}

void fk_homeq_overdue_list(struct fk_req *req)
{
    struct fk_homeq_filter f;
    int64_t page, per_page;
    if (fk_homeq_filter_or_reply(req, &f) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    f.state = 1; /* only active quarantines have follow-ups */
    const char *kind_text = fk_req_query(req, "kind");
    int kind = -1;
    if (kind_text != NULL && kind_text[0] != '\0') {
        if (strcmp(kind_text, "temperature") == 0)
            kind = FK_HOMEQ_DUE_TEMPERATURE;
        else if (strcmp(kind_text, "letter") == 0)
            kind = FK_HOMEQ_DUE_LETTER;
        else if (strcmp(kind_text, "end") == 0)
            kind = FK_HOMEQ_DUE_END;
        else {
            fk_homeq_invalid(req, "kind", "kind 应为 temperature、letter 或 end");
            return;
        }
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct overdue_scan scan = {
        .req = req, .db = db, .now = fk_now(), .member = f.member, .kind = kind};
    enum fk_err err =
        fk_homeq_each(db, &f, &req->app->pii_key, req->actor.role, overdue_each, &scan);
    struct overdue_item *list = scan.list;
    size_t n = scan.n;
    json_t *items = json_array();
    if (err == FK_OK && items == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK && n > 0)
        qsort(list, n, sizeof(*list), overdue_cmp);
    int64_t first = (page - 1) * per_page;
    for (size_t i = 0; i < n; i++) {
        if (err == FK_OK && (int64_t)i >= first && (int64_t)i < first + per_page)
            json_array_append(items, list[i].json);
        json_decref(list[i].json);
    }
    free(list);
    fk_homeq_audit(req, &err, "home_quarantine_overdue_list", 0, 0,
                   json_pack("{s:s,s:I,s:I}", "region", f.scope, "member", (json_int_t)f.member,
                             "total", (json_int_t)n));
    fk_reply_list(req, err, items, (int64_t)n, page, per_page);
}
