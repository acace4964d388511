/* Home quarantine temperatures (twice a day), the fever list and the overdue
 * follow-ups of each team member. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "healthcode/healthcode.h"
#include "quarantine/homeq_internal.h"
#include "http/field_query.h"
#include "http/lookup.h"
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

static void reply_replay(struct fk_req *req, struct fk_conn *db, int64_t id, int64_t quarantine,
                         int64_t expected, int64_t person_id)
{
    if (quarantine != expected) {
        fk_reply_err(req, FK_E_HOMEQ_TEMP_KEY_REUSED, "idempotency_key");
        return;
    }
    json_t *body = NULL;
    enum fk_err err = fk_homeq_temp_load(db, id, &body);
    fk_req_audit(req, &err, "home_quarantine_temperature_replay", "home_quarantine", quarantine,
                 person_id, json_pack("{s:I}", "temperature_id", (json_int_t)id));
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
        fk_reply_invalid(req, "idempotency_key", "幂等键只能由字母、数字、- 和 _ 组成");
        return;
    }
    if (key != NULL) {
        int64_t existing, quarantine;
        if ((err = fk_homeq_temp_replay_of(db, req->actor.user_id, key, &existing, &quarantine)) !=
            FK_OK) {
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
        fk_reply_invalid(req, "celsius", "体温应为 35.0 到 42.0 之间的数（摄氏度）");
        return;
    }
    int64_t now = fk_now(), measured_at = now;
    const char *text;
    if (fk_json_str_or_reply(req, "measured_at", 0, 40, &text) != 0)
        return;
    if (text != NULL && fk_time_parse(text, &measured_at) != FK_OK) {
        fk_reply_invalid(req, "measured_at",
                         "时间格式应为 RFC 3339，例如 2022-03-02T08:00:00+08:00");
        return;
    }
    if (measured_at < starts_at - BEFORE_START || measured_at > now + CLOCK_SLACK) {
        fk_reply_invalid(req, "measured_at", "测量时间应在隔离开始之后、且不晚于现在");
        return;
    }
    int64_t day;
    int pm;
    fk_homeq_slot_of(measured_at, &day, &pm);
    if (fk_json_str_or_reply(req, "slot", 0, 8, &text) != 0)
        return;
    if (text != NULL) {
        if (strcmp(text, "am") != 0 && strcmp(text, "pm") != 0) {
            fk_reply_invalid(req, "slot", "时段应为 am（上午）或 pm（下午）");
            return;
        }
        if (strcmp(text, "pm") == 0 && !pm) {
            fk_reply_invalid(req, "slot", "下午时段的体温须在 12:00 以后测量");
            return;
        }
        pm = strcmp(text, "pm") == 0;
    }
    json_t *symptoms = json_object_get(req->json, "symptoms");
    unsigned bits = 0;
    if (symptoms != NULL && !json_is_null(symptoms)) {
        if (!json_is_array(symptoms) || json_array_size(symptoms) > 16) {
            fk_reply_invalid(req, "symptoms", "症状应为数组，例如 [\"cough\"]");
            return;
        }
        for (size_t i = 0; i < json_array_size(symptoms); i++) {
            unsigned bit = fk_symptom_bit(json_string_value(json_array_get(symptoms, i)));
            if (bit == 0) {
                char field[32];
                snprintf(field, sizeof(field), "symptoms[%zu]", i);
                fk_reply_invalid(req, field, "未知症状");
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
        int member = 0;
        if ((err = fk_homeq_team_has_user(db, id, by_user, &member)) != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
        if (!member) {
            fk_reply_invalid(req, "by_user", "测量人应为该隔离人员包保组中的系统用户");
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
    struct fk_homeq_temp_new in = {.id = id,
                                   .person_id = person_id,
                                   .region = region,
                                   .day = day_text,
                                   .pm = pm,
                                   .x10 = x10,
                                   .symptoms = symptoms_text,
                                   .measured_at = measured_at,
                                   .by_user = by_user,
                                   .now = now,
                                   .key = key};
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t temp_id = 0;
    err = fk_homeq_temp_record(db, &in, &who, &temp_id);
    if (err != FK_OK) {
        int64_t existing = 0, quarantine = 0;
        /* A concurrent retry with the same key won the unique index. */
        if (err == FK_ERR_CONFLICT && key != NULL &&
            fk_homeq_temp_replay_of(db, req->actor.user_id, key, &existing, &quarantine) == FK_OK &&
            existing) {
            reply_replay(req, db, existing, quarantine, id, person_id);
            return;
        }
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    if ((err = fk_homeq_temp_load(db, temp_id, &body)) != FK_OK) {
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
    if (err == FK_OK && items == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK)
        err = fk_homeq_temps_page(db, id, page, per_page, items, &total);
    fk_req_audit(req, &err, "home_quarantine_temperature_list", "home_quarantine", id,
                 cur.person_id, NULL);
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
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err =
        items ? fk_homeq_fevers_page(db, &f, page, per_page, items, &total) : FK_ERR_NOMEM;
    fk_req_audit(req, &err, "home_quarantine_fever_list", "home_quarantine", 0, 0,
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
    /* Indexed by enum fk_homeq_due_kind; -1 when absent: every kind. */
    static const char *const kinds[] = {"temperature", "letter", "end"};
    int kind;
    if (fk_query_choice_or_reply(req, "kind", kinds, 3, -1, "kind 应为 temperature、letter 或 end",
                                 &kind) != 0)
        return;
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
    fk_req_audit(req, &err, "home_quarantine_overdue_list", "home_quarantine", 0, 0,
                 json_pack("{s:s,s:I,s:I}", "region", f.scope, "member", (json_int_t)f.member,
                           "total", (json_int_t)n));
    fk_reply_list(req, err, items, (int64_t)n, page, per_page);
}
