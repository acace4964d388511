/* HTTP handlers for home quarantine (居家隔离): create, list, detail, update
 * (planned end, team, end, note), letters, the team member picker, and the
 * routes of the whole module. Every quarantine belongs to the jurisdiction of
 * its person's region; outside it a quarantine does not exist (404). */
#include "audit/audit.h"
#include "healthcode/healthcode.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/log.h"
#include "core/parse.h"
#include "quarantine/homeq_internal.h"
#include "http/field_query.h"
#include "http/lookup.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slack for clocks of phones and browsers a little ahead of the server. */
#define CLOCK_SLACK 300
/* A quarantine may start this far back (late registration) or ahead. */
#define START_PAST (FK_HOMEQ_MAX_DAYS * 86400)
#define START_AHEAD (7 * 86400)

static int missing(struct fk_req *req, const char *field)
{
    fk_reply_err(req, FK_E_MISSING_FIELD, field);
    return -1;
}

void fk_homeq_not_found(struct fk_req *req)
{
    fk_reply_err(req, FK_E_HOMEQ_NOT_FOUND, "id");
}

int fk_homeq_id_or_reply(struct fk_req *req, int64_t *id)
{
    return fk_path_id_or_reply(req, "id", FK_E_HOMEQ_NOT_FOUND, "id", id);
}

int fk_homeq_current_or_reply(struct fk_req *req, struct fk_conn *db, int64_t *id,
                              struct fk_homeq_current *cur)
{
    if (db == NULL || fk_homeq_id_or_reply(req, id) != 0)
        return -1;
    enum fk_err err = fk_homeq_current(db, req->actor.prefix, *id, cur);
    return fk_found_or_reply(req, err, NULL, FK_E_HOMEQ_NOT_FOUND, "id");
}

/* An RFC 3339 time (or a plain date, midnight Asia/Shanghai) in the body. */
static int time_or_reply(struct fk_req *req, const char *name, int *present, int64_t *out)
{
    const char *text;
    *present = 0;
    if (fk_json_str_or_reply(req, name, 0, 40, &text) != 0)
        return -1;
    if (text == NULL)
        return 0;
    if (fk_time_parse(text, out) != FK_OK)
        return fk_reply_invalid(req, name,
                                "时间格式应为 RFC 3339（例如 2022-03-02T08:00:00+08:00）或 "
                                "YYYY-MM-DD");
    *present = 1;
    return 0;
}

static int member_or_reply(struct fk_req *req, struct fk_conn *db, json_t *value, size_t i,
                           const char *region, struct fk_homeq_member *out)
{
    char field[48];
    memset(out, 0, sizeof(*out));
    snprintf(field, sizeof(field), "team[%zu]", i);
    if (!json_is_object(value))
        return fk_reply_invalid(req, field, "组员应为 {role, user_id} 或 {role, name, phone}");
    const char *key;
    json_t *v;
    json_object_foreach(value, key, v)
    {
        if (strcmp(key, "role") != 0 && strcmp(key, "user_id") != 0 && strcmp(key, "name") != 0 &&
            strcmp(key, "phone") != 0) {
            snprintf(field, sizeof(field), "team[%zu].%.16s", i, key);
            return fk_reply_invalid(req, field, "组员只能有 role、user_id、name、phone");
        }
    }
    json_t *role = json_object_get(value, "role");
    snprintf(field, sizeof(field), "team[%zu].role", i);
    if (role == NULL || json_is_null(role))
        return missing(req, field);
    out->role = json_is_string(role) ? fk_homeq_role_from_name(json_string_value(role)) : -1;
    if (out->role < 0)
        return fk_reply_invalid(req, field,
                                "角色应为 township_cadre（乡镇干部）、village_cadre（村干部）、"
                                "village_doctor（村医）、police（民警）或 grid_worker（网格员）");
    json_t *user = json_object_get(value, "user_id");
    json_t *name = json_object_get(value, "name");
    json_t *phone = json_object_get(value, "phone");
    int has_user = user != NULL && !json_is_null(user);
    int has_contact =
        (name != NULL && !json_is_null(name)) || (phone != NULL && !json_is_null(phone));
    if (has_user && has_contact) {
        snprintf(field, sizeof(field), "team[%zu]", i);
        return fk_reply_invalid(req, field,
                                "组员填写 user_id（系统用户）或 name+phone（联系人）之一");
    }
    if (has_user) {
        snprintf(field, sizeof(field), "team[%zu].user_id", i);
        if (!json_is_integer(user) || json_integer_value(user) < 1)
            return fk_reply_invalid(req, field, "user_id 应为正整数");
        out->user_id = json_integer_value(user);
        struct fk_user staff;
        enum fk_err err = fk_user_get(db, out->user_id, &staff);
        if (err != FK_OK && err != FK_ERR_NOT_FOUND) {
            fk_reply_fail(req, err, NULL);
            return -1;
        }
        int ok = 0, covers = 0;
        if (err == FK_OK) {
            ok = !staff.disabled && (staff.role & FK_HOMEQ_STAFF) != 0;
            covers = strncmp(region, staff.prefix, strlen(staff.prefix)) == 0;
            snprintf(out->name, sizeof(out->name), "%.*s", (int)sizeof(out->name) - 1,
                     staff.display_name);
        }
        if (!ok)
            return fk_reply_invalid(
                req, field,
                "用户不存在、已停用，或不是区管理员、乡镇干部、社区工作人员、隔离工作人员");
        if (!covers)
            return fk_reply_invalid(req, field, "该用户的管辖范围不包括此人，不能作为包保组员");
        return 0;
    }
    snprintf(field, sizeof(field), "team[%zu].name", i);
    if (name == NULL || json_is_null(name))
        return missing(req, field);
    const char *text = json_is_string(name) ? json_string_value(name) : NULL;
    size_t len = text ? json_string_length(name) : 0;
    if (text == NULL || len == 0 || len > FK_NAME_MAX || strlen(text) != len ||
        !fk_text_plain(text) || text[0] == ' ' || text[len - 1] == ' ')
        return fk_reply_invalid(req, field, "联系人姓名应为 1–64 字节的文字");
    snprintf(out->name, sizeof(out->name), "%s", text);
    snprintf(field, sizeof(field), "team[%zu].phone", i);
    if (phone == NULL || json_is_null(phone))
        return missing(req, field);
    const char *reason;
    if (!json_is_string(phone) || json_string_length(phone) != 11 ||
        fk_phone_check(json_string_value(phone), &reason) != FK_OK)
        return fk_reply_invalid(req, field, "手机号应为 11 位数字，例如 13912345678");
    snprintf(out->phone, sizeof(out->phone), "%s", json_string_value(phone));
    return 0;
}

/* Reads "team": an array of members, each role at most once; `all` requires
 * all five. *n receives the count. */
static int team_or_reply(struct fk_req *req, struct fk_conn *db, const char *region, int all,
                         struct fk_homeq_member team[FK_HOMEQ_ROLES], size_t *n)
{
    json_t *value = json_object_get(req->json, "team");
    *n = 0;
    if (value == NULL || json_is_null(value))
        return missing(req, "team");
    if (!json_is_array(value) || json_array_size(value) == 0 ||
        json_array_size(value) > FK_HOMEQ_ROLES)
        return fk_reply_invalid(req, "team", "包保组应为 1–5 名组员的数组");
    unsigned seen = 0;
    for (size_t i = 0; i < json_array_size(value); i++) {
        if (member_or_reply(req, db, json_array_get(value, i), i, region, &team[i]) != 0)
            return -1;
        if (seen & (1u << team[i].role)) {
            char field[48];
            snprintf(field, sizeof(field), "team[%zu].role", i);
            return fk_reply_invalid(req, field, "同一角色只能有一名组员");
        }
        seen |= 1u << team[i].role;
    }
    *n = json_array_size(value);
    if (all && seen != (1u << FK_HOMEQ_ROLES) - 1)
        return fk_reply_invalid(req, "team",
                                "五包一：须有乡镇干部、村干部、村医、民警、网格员各一名");
    return 0;
}

static void reply_active(struct fk_req *req, int64_t existing)
{
    fk_reply_err_ex(req, FK_E_HOMEQ_ALREADY, "person_id", NULL,
                    json_pack("{s:I}", "existing_id", (json_int_t)existing), NULL);
}

static void create_homeq(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int present;
    int64_t person_id;
    if (fk_json_int_or_reply(req, "person_id", 1, 1, INT64_MAX, &present, &person_id) != 0)
        return;
    /* The person, inside the caller's jurisdiction: their region becomes the
     * quarantine's. */
    struct fk_person subject;
    enum fk_err err = fk_person_get_in_scope(db, person_id, req->actor.prefix, &subject);
    if (fk_found_or_reply(req, err, NULL, FK_E_CARD_PERSON_NOT_FOUND, "person_id") != 0)
        return;
    int64_t now = fk_now(), starts_at = now, planned_end = 0, days = 0;
    int has_start, has_date, has_end, has_days;
    int64_t start_date;
    if (time_or_reply(req, "starts_at", &has_start, &starts_at) != 0 ||
        time_or_reply(req, "start_date", &has_date, &start_date) != 0)
        return;
    if (has_start && has_date) {
        fk_reply_invalid(req, "start_date", "starts_at 与 start_date 只填其一");
        return;
    }
    if (has_date)
        starts_at = start_date;
    if (!has_start && !has_date)
        starts_at = now;
    const char *start_field = has_date ? "start_date" : "starts_at";
    if (starts_at < now - START_PAST || starts_at > now + START_AHEAD) {
        fk_reply_invalid(req, start_field, "开始时间应在 60 天前到 7 天后之间");
        return;
    }
    if (time_or_reply(req, "planned_end", &has_end, &planned_end) != 0 ||
        fk_json_int_or_reply(req, "days", 0, 1, FK_HOMEQ_MAX_DAYS, &has_days, &days) != 0)
        return;
    if (has_end && has_days) {
        fk_reply_invalid(req, "days", "planned_end 与 days 只填其一");
        return;
    }
    if (!has_end && !has_days) {
        missing(req, "planned_end");
        return;
    }
    if (has_days)
        planned_end = starts_at + days * 86400;
    if (planned_end <= starts_at || planned_end - starts_at > FK_HOMEQ_MAX_DAYS * 86400) {
        fk_reply_invalid(req, "planned_end", "计划解除时间应晚于开始时间，且隔离期不超过 60 天");
        return;
    }
    const char *reason, *addr, *note;
    if (fk_json_str_or_reply(req, "reason", 1, 32, &reason) != 0)
        return;
    if (!fk_homeq_reason_known(reason)) {
        fk_reply_invalid(req, "reason",
                         "隔离原因应为 close_contact（密接）、secondary_contact（次密接）、"
                         "returnee（返乡）或 other");
        return;
    }
    if (fk_json_str_or_reply(req, "address", 0, FK_ADDRESS_MAX, &addr) != 0 ||
        fk_json_str_or_reply(req, "note", 0, FK_HOMEQ_NOTE_MAX, &note) != 0)
        return;
    if (addr != NULL && !fk_text_plain(addr)) {
        fk_reply_invalid(req, "address", "地址含有控制字符");
        return;
    }
    if (note != NULL && !fk_text_plain(note)) {
        fk_reply_invalid(req, "note", "备注含有控制字符");
        return;
    }
    if (addr != NULL)
        snprintf(subject.address, sizeof(subject.address), "%s", addr);
    struct fk_homeq_member team[FK_HOMEQ_ROLES];
    size_t n_team;
    if (team_or_reply(req, db, subject.region, 1, team, &n_team) != 0)
        return;
    int64_t existing = 0, id = 0;
    if ((err = fk_homeq_active_of(db, person_id, &existing)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (existing != 0) {
        reply_active(req, existing);
        return;
    }
    struct fk_homeq_new in = {.person_id = person_id,
                              .region = subject.region,
                              .address = subject.address,
                              .reason = reason,
                              .note = note,
                              .starts_at = starts_at,
                              .planned_end = planned_end,
                              .now = now};
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail =
        json_pack("{s:s,s:s,s:I,s:I}", "region", subject.region, "reason", reason, "starts_at",
                  (json_int_t)starts_at, "planned_end", (json_int_t)planned_end);
    err = detail ? fk_homeq_create(db, &req->app->pii_key, &in, team, n_team, &who, detail, &id)
                 : FK_ERR_NOMEM;
    if (err != FK_OK) {
        if (err == FK_ERR_CONFLICT && fk_homeq_active_of(db, person_id, &existing) == FK_OK &&
            existing)
            reply_active(req, existing);
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    err = fk_homeq_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id, 1, &body,
                        NULL);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 201, body);
}

static int date_bound_or_reply(struct fk_req *req, const char *name, int end, int64_t *out)
{
    const char *text = fk_req_query(req, name);
    int64_t day;
    *out = 0;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (!fk_homeq_day_parse(text, &day))
        return fk_reply_invalid(req, name, "日期格式应为 YYYY-MM-DD");
    *out = fk_homeq_slot_opens(day + (end ? 1 : 0), 0);
    return 0;
}

int fk_homeq_filter_or_reply(struct fk_req *req, struct fk_homeq_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (fk_scope_or_reply(req, f->scope) != 0 || date_bound_or_reply(req, "from", 0, &f->from) ||
        date_bound_or_reply(req, "until", 1, &f->until))
        return -1;
    if (f->from && f->until && f->until <= f->from)
        return fk_reply_invalid(req, "until", "结束日期不能早于开始日期");
    static const char *const states[] = {"all", "active", "ended"};
    if (fk_query_choice_or_reply(req, "state", states, 3, 1, "状态应为 active、ended 或 all",
                                 &f->state) != 0)
        return -1;
    const char *member = fk_req_query(req, "member");
    if (member != NULL && member[0] != '\0') {
        if (strcmp(member, "me") == 0)
            f->member = req->actor.user_id;
        else if (fk_parse_int64(member, 1, INT64_MAX, &f->member) != FK_OK)
            return fk_reply_invalid(req, "member", "member 应为 me 或用户编号");
    }
    return fk_person_q_or_reply(req, &f->q_kind, f->q_value);
}

static void list_homeq(struct fk_req *req)
{
    struct fk_homeq_filter f;
    int64_t page, per_page;
    if (fk_homeq_filter_or_reply(req, &f) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = items ? fk_homeq_page(db, &f, &req->app->pii_key, req->actor.role, fk_now(),
                                            page, per_page, items, &total)
                            : FK_ERR_NOMEM;
    fk_list_audited_reply(req, err, "home_quarantine_list", "home_quarantine", f.scope, items,
                          total, page, per_page);
}

static void get_homeq(struct fk_req *req)
{
    int64_t id, person = 0;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_homeq_id_or_reply(req, &id) != 0)
        return;
    json_t *body = NULL;
    enum fk_err err = fk_homeq_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id,
                                    1, &body, &person);
    if (err == FK_ERR_NOT_FOUND) {
        fk_homeq_not_found(req);
        return;
    }
    fk_req_audit(req, &err, "home_quarantine_read", "home_quarantine", id, person, NULL);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

static void reply_loaded(struct fk_req *req, struct fk_conn *db, int64_t id, unsigned status)
{
    json_t *body = NULL;
    enum fk_err err = fk_homeq_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id,
                                    1, &body, NULL);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, status, body);
}

static void patch_homeq(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = fk_req_db(req);
    struct fk_homeq_current cur;
    if (fk_homeq_current_or_reply(req, db, &id, &cur) != 0)
        return;
    enum fk_err err;
    static const char *const allowed[] = {"planned_end", "team", "outcome",
                                          "ended_at",    "note", "address"};
    const char *key_name;
    json_t *value;
    int changes_state = 0;
    json_object_foreach(req->json, key_name, value)
    {
        size_t k = 0;
        while (k < sizeof(allowed) / sizeof(allowed[0]) && strcmp(allowed[k], key_name) != 0)
            k++;
        if (k == sizeof(allowed) / sizeof(allowed[0])) {
            fk_reply_invalid(req, key_name,
                             "只能修改 planned_end、team、outcome、ended_at、note、address");
            return;
        }
        if (strcmp(key_name, "note") != 0)
            changes_state = 1;
    }
    if (json_object_size(req->json) == 0) {
        fk_reply_invalid(req, "body", "没有要修改的字段");
        return;
    }
    if (cur.ended && changes_state) {
        fk_reply_err(req, FK_E_HOMEQ_ENDED_NOTE_ONLY, "state");
        return;
    }
    int64_t now = fk_now(), planned_end = cur.planned_end, ended_at = now;
    int has_end, has_ended_at = 0;
    if (time_or_reply(req, "planned_end", &has_end, &planned_end) != 0)
        return;
    if (json_object_get(req->json, "planned_end") != NULL && !has_end) {
        missing(req, "planned_end");
        return;
    }
    if (has_end &&
        (planned_end <= cur.starts_at || planned_end - cur.starts_at > FK_HOMEQ_MAX_DAYS * 86400)) {
        fk_reply_invalid(req, "planned_end", "计划解除时间应晚于开始时间，且隔离期不超过 60 天");
        return;
    }
    const char *outcome = NULL, *note = NULL, *address = NULL;
    if (fk_json_str_or_reply(req, "outcome", 0, 32, &outcome) != 0)
        return;
    if (outcome != NULL && !fk_homeq_outcome_known(outcome)) {
        fk_reply_invalid(
            req, "outcome",
            "解除方式应为 released（解除隔离）、transferred_to_centralized（转集中隔离）"
            "或 hospital（送医）");
        return;
    }
    if (time_or_reply(req, "ended_at", &has_ended_at, &ended_at) != 0)
        return;
    if (has_ended_at && outcome == NULL) {
        fk_reply_invalid(req, "ended_at", "ended_at 只能与 outcome 一起填写");
        return;
    }
    if (outcome != NULL && (ended_at < cur.starts_at || ended_at > now + CLOCK_SLACK)) {
        fk_reply_invalid(req, "ended_at", "解除时间应在开始时间之后、且不晚于现在");
        return;
    }
    int has_note = json_object_get(req->json, "note") != NULL;
    if (fk_json_str_or_reply(req, "note", 0, FK_HOMEQ_NOTE_MAX, &note) != 0)
        return;
    if (note != NULL && !fk_text_plain(note)) {
        fk_reply_invalid(req, "note", "备注含有控制字符");
        return;
    }
    if (json_object_get(req->json, "address") != NULL) {
        if (fk_json_str_or_reply(req, "address", 1, FK_ADDRESS_MAX, &address) != 0)
            return;
        if (!fk_text_plain(address)) {
            fk_reply_invalid(req, "address", "地址含有控制字符");
            return;
        }
    }
    struct fk_homeq_member team[FK_HOMEQ_ROLES];
    size_t n_team = 0;
    if (json_object_get(req->json, "team") != NULL &&
        team_or_reply(req, db, cur.region, 0, team, &n_team) != 0)
        return;
    json_t *fields = json_array();
    json_object_foreach(req->json, key_name, value)
    {
        json_array_append_new(fields, json_string(key_name));
    }
    struct fk_homeq_change ch = {.id = id,
                                 .person_id = cur.person_id,
                                 .region = cur.region,
                                 .has_end = has_end,
                                 .planned_end = planned_end,
                                 .has_note = has_note,
                                 .note = note,
                                 .address = address,
                                 .outcome = outcome,
                                 .ended_at = ended_at,
                                 .now = now};
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail =
        json_pack("{s:o,s:s}", "fields", fields ? fields : json_array(), "region", cur.region);
    err = detail ? fk_homeq_update(db, &req->app->pii_key, &ch, team, n_team, &who, detail)
                 : FK_ERR_NOMEM;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_loaded(req, db, id, 200);
}

static void letter_homeq(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = fk_req_db(req);
    struct fk_homeq_current cur;
    if (fk_homeq_current_or_reply(req, db, &id, &cur) != 0)
        return;
    enum fk_err err;
    const char *kind, *action;
    if (fk_json_str_or_reply(req, "kind", 1, 16, &kind) != 0)
        return;
    int letter = strcmp(kind, "commitment") == 0     ? FK_HOMEQ_COMMITMENT
                 : strcmp(kind, "notification") == 0 ? FK_HOMEQ_NOTIFICATION
                                                     : -1;
    if (letter < 0) {
        fk_reply_invalid(req, "kind", "文书应为 commitment（承诺书）或 notification（告知书）");
        return;
    }
    if (fk_json_str_or_reply(req, "action", 1, 16, &action) != 0)
        return;
    int step = strcmp(action, "issued") == 0   ? FK_HOMEQ_ISSUED
               : strcmp(action, "signed") == 0 ? FK_HOMEQ_SIGNED
                                               : -1;
    if (step < 0) {
        fk_reply_invalid(req, "action", "action 应为 issued（送达）或 signed（签订）");
        return;
    }
    int64_t now = fk_now(), at = now;
    int has_at;
    if (time_or_reply(req, "at", &has_at, &at) != 0)
        return;
    if (at < cur.starts_at - 86400 || at > now + CLOCK_SLACK) {
        fk_reply_invalid(req, "at", "时间应在隔离开始前一天之后、且不晚于现在");
        return;
    }
    if (cur.ended) {
        fk_reply_err(req, FK_E_HOMEQ_ENDED_LETTER, "state");
        return;
    }
    if (cur.letters[letter][step] != 0) {
        fk_reply_err(req,
                     step == FK_HOMEQ_ISSUED ? FK_E_HOMEQ_LETTER_ISSUED : FK_E_HOMEQ_LETTER_SIGNED,
                     "action");
        return;
    }
    if (step == FK_HOMEQ_SIGNED && cur.letters[letter][FK_HOMEQ_ISSUED] == 0) {
        fk_reply_err(req, FK_E_HOMEQ_LETTER_NOT_ISSUED, "action");
        return;
    }
    if (step == FK_HOMEQ_SIGNED && at < cur.letters[letter][FK_HOMEQ_ISSUED]) {
        fk_reply_invalid(req, "at", "签订时间不能早于送达时间");
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail =
        json_pack("{s:s,s:s,s:I}", "kind", kind, "action", action, "at", (json_int_t)at);
    err = detail
              ? fk_homeq_letter_record(db, id, cur.person_id, letter, step, at, now, &who, detail)
              : FK_ERR_NOMEM;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_loaded(req, db, id, 200);
}

/* Users who may be chosen as team members for a person of ?region=: enabled
 * staff whose jurisdiction covers that region (nearest first). */
static void list_members(struct fk_req *req)
{
    const char *region = fk_req_query(req, "region");
    char prefix[19];
    int depth;
    const char *reason;
    if (region == NULL || region[0] == '\0') {
        missing(req, "region");
        return;
    }
    if (fk_region_code_prefix(region, prefix, &depth, &reason) != FK_OK) {
        fk_reply_invalid(req, "region", "区划代码格式错误");
        return;
    }
    if (!fk_req_covers(req, prefix)) {
        fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
        return;
    }
    const char *q = fk_req_query(req, "q");
    char like[FK_NAME_MAX + 8] = "%";
    if (q != NULL && q[0] != '\0') {
        if (strlen(q) > FK_NAME_MAX || !fk_text_plain(q)) {
            fk_reply_invalid(req, "q", "查询内容过长或含有控制字符");
            return;
        }
        fk_like_prefix(q, like, sizeof(like));
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = NULL;
    enum fk_err err = fk_homeq_member_candidates(db, prefix, like, &items);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

#define P(name, type) "{\"name\":\"" name "\",\"in\":\"query\",\"schema\":{\"type\":\"" type "\"}}"
#define PAGE_PARAMS P("page", "integer") "," P("per_page", "integer")
#define FILTER_PARAMS                                                                              \
    P("region", "string")                                                                          \
    "," P("state", "string") "," P("from", "string") "," P("until", "string") "," P(               \
        "q", "string") "," P("member", "string")

static const struct fk_route routes[] = {
    {"GET", "/api/v1/home-quarantines/export", fk_homeq_export, 0, FK_HOMEQ_STAFF, "quarantine",
     "导出居家隔离台账（format=xlsx|csv，筛选同列表）",
     "{\"parameters\":[" P("format", "string") "," FILTER_PARAMS "]}"},
    {"GET", "/api/v1/home-quarantines/overdue", fk_homeq_overdue_list, 0, FK_HOMEQ_STAFF,
     "quarantine", "逾期未完成的随访事项（member=me：我负责的）",
     "{\"parameters\":[" P("region", "string") "," P("member", "string") "," P(
         "kind", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/home-quarantines/fevers", fk_homeq_fever_list, 0, FK_HOMEQ_STAFF, "quarantine",
     "发热预警：体温 ≥ 37.3 ℃ 的记录",
     "{\"parameters\":[" P("region", "string") "," P("from", "string") "," P(
         "until", "string") "," P("state", "string") "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/home-quarantines/members", list_members, 0, FK_HOMEQ_STAFF, "quarantine",
     "可选的包保组员（管辖范围覆盖该区划的工作人员）",
     "{\"parameters\":[" P("region", "string") "," P("q", "string") "]}"},
    {"POST", "/api/v1/home-quarantines", create_homeq, 0, FK_HOMEQ_STAFF, "quarantine",
     "登记居家隔离：{person_id,starts_at|start_date,planned_end|days,reason,address,note,"
     "team:[{role,user_id}|{role,name,phone}]×5}",
     NULL},
    {"GET", "/api/v1/home-quarantines", list_homeq, 0, FK_HOMEQ_STAFF, "quarantine",
     "居家隔离人员列表", "{\"parameters\":[" FILTER_PARAMS "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/home-quarantines/{id}", get_homeq, 0, FK_HOMEQ_STAFF, "quarantine",
     "居家隔离详情（含包保组、逾期事项）", NULL},
    {"PATCH", "/api/v1/home-quarantines/{id}", patch_homeq, 0, FK_HOMEQ_STAFF, "quarantine",
     "延长/调整计划解除时间、更换组员、解除（outcome, ended_at）、备注、地址", NULL},
    {"POST", "/api/v1/home-quarantines/{id}/letters", letter_homeq, 0, FK_HOMEQ_STAFF, "quarantine",
     "承诺书/告知书送达或签订：{kind,action,at}", NULL},
    {"POST", "/api/v1/home-quarantines/{id}/temperatures", fk_homeq_temperature_create, 0,
     FK_HOMEQ_STAFF, "quarantine",
     "登记体温：{celsius,measured_at,slot,by_user,symptoms,idempotency_key}", NULL},
    {"GET", "/api/v1/home-quarantines/{id}/temperatures", fk_homeq_temperature_list, 0,
     FK_HOMEQ_STAFF, "quarantine", "体温记录（按测量时间）",
     "{\"parameters\":[{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"schema\":{"
     "\"type\":\"string\"}}," PAGE_PARAMS "]}"},
};

enum fk_err fk_quarantine_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
