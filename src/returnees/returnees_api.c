/* HTTP handlers for returnee registration (staff): parse, authorize, call the
 * rules and queries, audit, reply. Everything personal is limited to the
 * caller's jurisdiction by the destination region; outside it an arrival does
 * not exist (404). */
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/handler.h"
#include "returnees/returnees_internal.h"
#include "screening/screening.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAFF (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)

/* An enumerated string member, optional with a default. */
static int value_or_reply(struct fk_req *req, const char *name, enum fk_returnee_field field,
                          const char *fallback, char *out, size_t size)
{
    const char *text;
    if (fk_json_str_or_reply(req, name, fallback == NULL, 32, &text) != 0)
        return -1;
    if (text == NULL)
        text = fallback;
    if (!fk_returnee_value_known(field, text))
        return fk_reply_invalid(req, name, fk_returnee_values_text(field));
    snprintf(out, size, "%s", text);
    return 0;
}

static const char *const staff_only[] = {"household_id", "three_code", "landing_test",
                                         "disposition"};

int fk_returnee_body_or_reply(struct fk_req *req, struct fk_conn *db, int public_page,
                              struct fk_returnee_new *out)
{
    memset(out, 0, sizeof(*out));
    out->public_page = public_page;
    if (public_page)
        for (size_t i = 0; i < sizeof(staff_only) / sizeof(staff_only[0]); i++) {
            json_t *v = json_object_get(req->json, staff_only[i]);
            if (v != NULL && !json_is_null(v))
                return fk_reply_invalid(req, staff_only[i],
                                        "该字段由工作人员填写，自助登记时不能提交");
        }
    const char *id_number, *name, *phone, *arrival, *transport, *plate, *trip, *destination,
        *address, *note, *origin_code, *origin_name;
    int has_household = 0;
    int64_t household_id = 0;
    if (fk_json_str_or_reply(req, "id_number", 1, 32, &id_number) != 0 ||
        fk_json_str_or_reply(req, "name", 1, FK_NAME_MAX, &name) != 0 ||
        fk_json_str_or_reply(req, "phone", public_page, 16, &phone) != 0)
        return -1;
    json_t *origin = json_object_get(req->json, "origin");
    if (origin == NULL || json_is_null(origin))
        return fk_reply_missing(req, "origin");
    if (!json_is_object(origin))
        return fk_reply_invalid(req, "origin", "来源地应为 {code, name}");
    if (fk_member_str_or_reply(req, origin, "code", "origin.code", 1, 6, &origin_code) != 0)
        return -1;
    const char *why = fk_screening_area_code_check(origin_code);
    if (why != NULL)
        return fk_reply_invalid(req, "origin.code", why);
    if (fk_member_str_or_reply(req, origin, "name", "origin.name", 1, FK_RETURNEE_ORIGIN_MAX,
                               &origin_name) != 0)
        return -1;
    if (fk_json_str_or_reply(req, "arrival_date", 1, 10, &arrival) != 0)
        return -1;
    int64_t day;
    if (!fk_screening_date(arrival, &day))
        return fk_reply_invalid(req, "arrival_date", "到达日期格式应为 YYYY-MM-DD");
    int64_t now = fk_now();
    if ((why = fk_returnee_date_check(day, now, public_page)) != NULL)
        return fk_reply_invalid(req, "arrival_date", why);
    if (fk_json_str_or_reply(req, "transport", 1, 16, &transport) != 0)
        return -1;
    if (!fk_returnee_value_known(FK_RETURNEE_TRANSPORT, transport))
        return fk_reply_invalid(req, "transport", fk_returnee_values_text(FK_RETURNEE_TRANSPORT));
    int car = strcmp(transport, "car") == 0;
    int scheduled = strcmp(transport, "train") == 0 || strcmp(transport, "flight") == 0 ||
                    strcmp(transport, "bus") == 0;
    if (fk_json_str_or_reply(req, "plate", 0, 16, &plate) != 0 ||
        fk_json_str_or_reply(req, "trip_no", 0, 16, &trip) != 0)
        return -1;
    if (car && plate == NULL)
        return fk_reply_invalid(req, "plate", "自驾返乡须填写车牌号");
    if (!car && plate != NULL)
        return fk_reply_invalid(req, "plate", "只有自驾返乡填写车牌号");
    const char *reason;
    if (plate != NULL && fk_plate_check(plate, &reason) != FK_OK)
        return fk_reply_invalid(req, "plate", "车牌号格式错误，例如 晋J12345（字母大写）");
    if (trip != NULL && !scheduled)
        return fk_reply_invalid(req, "trip_no", "只有乘火车、飞机或客车时填写车次或航班号");
    if (trip != NULL && (why = fk_returnee_trip_check(trip)) != NULL)
        return fk_reply_invalid(req, "trip_no", why);
    if (fk_json_str_or_reply(req, "destination_region", 1, 18, &destination) != 0)
        return -1;
    if (!public_page && fk_json_int_or_reply(req, "household_id", 0, 1, INT64_MAX, &has_household,
                                             &household_id) != 0)
        return -1;
    if (fk_json_str_or_reply(req, "address", public_page, FK_ADDRESS_MAX, &address) != 0 ||
        fk_json_str_or_reply(req, "note", 0, FK_RETURNEE_NOTE_MAX, &note) != 0)
        return -1;
    if (note != NULL && !fk_text_plain(note))
        return fk_reply_invalid(req, "note", "备注含有控制字符");
    if (public_page) {
        snprintf(out->three_code, sizeof(out->three_code), "unchecked");
        snprintf(out->landing_test, sizeof(out->landing_test), "pending");
        snprintf(out->disposition, sizeof(out->disposition), "none");
    } else if (value_or_reply(req, "three_code", FK_RETURNEE_THREE_CODE, "unchecked",
                              out->three_code, sizeof(out->three_code)) != 0 ||
               value_or_reply(req, "landing_test", FK_RETURNEE_LANDING_TEST, "pending",
                              out->landing_test, sizeof(out->landing_test)) != 0 ||
               value_or_reply(req, "disposition", FK_RETURNEE_DISPOSITION, "none", out->disposition,
                              sizeof(out->disposition)) != 0)
        return -1;

    /* The person: the registry's own rules (ID number, name, phone, region,
     * address, household), the destination standing for the region. Staff
     * register within their jurisdiction; the public page anywhere in the
     * district tree. */
    struct fk_person_input person = {
        .id_number = id_number,
        .name = name,
        .phone = phone,
        .region = destination,
        .address = address,
        .household_id = has_household ? household_id : 0,
    };
    struct fk_person_error error;
    enum fk_err err = fk_person_validate(db, &person, public_page ? "" : req->actor.prefix, now,
                                         &out->person, &error);
    if (err == FK_ERR_INVALID) {
        const char *field = strcmp(error.field, "region") == 0 ? "destination_region" : error.field;
        fk_reply_err_ex(req, FK_E_INVALID_FIELD_MSG, field, error.message,
                        json_pack("{s:s}", "reason", error.reason), NULL);
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (out->person.region.level < 3)
        return fk_reply_invalid(req, "destination_region", "目的地应选到社区（村）、小区或楼栋");
    if (out->person.household_id != 0) {
        int fits = 0;
        err = fk_returnee_household_in(db, out->person.household_id, out->person.region.prefix,
                                       &fits);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return -1;
        }
        if (!fits)
            return fk_reply_invalid(req, "household_id", "该户不在目的地区划内");
    }
    snprintf(out->origin_code, sizeof(out->origin_code), "%s", origin_code);
    snprintf(out->origin_name, sizeof(out->origin_name), "%s", origin_name);
    snprintf(out->arrival_date, sizeof(out->arrival_date), "%s", arrival);
    snprintf(out->transport, sizeof(out->transport), "%s", transport);
    snprintf(out->plate, sizeof(out->plate), "%s", plate ? plate : "");
    snprintf(out->trip_no, sizeof(out->trip_no), "%s", trip ? trip : "");
    snprintf(out->note, sizeof(out->note), "%s", note ? note : "");
    /* 外省: the origin's province differs from the destination's. */
    out->outside_province = strncmp(origin_code, out->person.region.code, 2) != 0;
    err =
        fk_screening_arrival_check(db, out->person.region.code, out->arrival_date, out->origin_code,
                                   &out->concern, &out->campaign_id, &out->worker_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

static void create_returnee(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_returnee_new *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    if (fk_returnee_body_or_reply(req, db, 0, r) != 0)
        goto done;
    const struct fk_pii_key *key = &req->app->pii_key;
    int64_t existing = 0, person = 0;
    enum fk_err err = fk_returnee_duplicate_or_person(db, key, r, &existing, &person);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    if (existing != 0) {
        fk_reply_err_ex(req, FK_E_RETURNEE_DUPLICATE, "arrival_date", NULL,
                        json_pack("{s:I}", "existing_id", (json_int_t)existing), NULL);
        goto done;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t id = 0;
    char reference[FK_RETURNEE_REFERENCE_LEN];
    r->person_id = person;
    err = fk_returnee_register(db, &who, r, fk_now(), &id, reference);
    if (err != FK_OK) {
        if (err == FK_ERR_CONFLICT)
            fk_reply_err(req, FK_E_RETURNEE_CONFLICT, "id_number");
        else
            fk_reply_fail(req, err, NULL);
        goto done;
    }
    json_t *body = NULL;
    err = fk_returnee_load(db, key, req->actor.role, r->person.region.prefix, id, &body, &person);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    fk_reply_json(req, 201, body);
done:
    free(r);
}

static int flag_or_reply(struct fk_req *req, const char *name, int *out)
{
    const char *text = fk_req_query(req, name);
    *out = -1;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
        *out = 1;
    else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
        *out = 0;
    else
        return fk_reply_invalid(req, name, "应为 1 或 0");
    return 0;
}

static int query_value_or_reply(struct fk_req *req, const char *name, enum fk_returnee_field field,
                                const char **out)
{
    const char *text = fk_req_query(req, name);
    *out = NULL;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (!fk_returnee_value_known(field, text))
        return fk_reply_invalid(req, name, fk_returnee_values_text(field));
    *out = text;
    return 0;
}

static int query_date_or_reply(struct fk_req *req, const char *name, const char **out)
{
    const char *text = fk_req_query(req, name);
    int64_t day;
    *out = NULL;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (!fk_screening_date(text, &day))
        return fk_reply_invalid(req, name, "日期格式应为 YYYY-MM-DD");
    *out = text;
    return 0;
}

int fk_returnee_filter_or_reply(struct fk_req *req, struct fk_returnee_filter *f)
{
    memset(f, 0, sizeof(*f));
    if (fk_scope_or_reply(req, f->scope) != 0 || query_date_or_reply(req, "from", &f->from) != 0 ||
        query_date_or_reply(req, "until", &f->until) != 0 ||
        flag_or_reply(req, "flagged", &f->flagged) != 0 ||
        flag_or_reply(req, "handled", &f->handled) != 0 ||
        query_value_or_reply(req, "disposition", FK_RETURNEE_DISPOSITION, &f->disposition) != 0 ||
        query_value_or_reply(req, "landing_test", FK_RETURNEE_LANDING_TEST, &f->landing_test) !=
            0 ||
        query_value_or_reply(req, "three_code", FK_RETURNEE_THREE_CODE, &f->three_code) != 0 ||
        query_value_or_reply(req, "transport", FK_RETURNEE_TRANSPORT, &f->transport) != 0)
        return -1;
    if (f->from && f->until && strcmp(f->from, f->until) > 0)
        return fk_reply_invalid(req, "until", "结束日期不能早于开始日期");
    const char *q = fk_req_query(req, "q");
    if (q == NULL || q[0] == '\0')
        return 0;
    size_t len = strlen(q);
    if (len > FK_NAME_MAX || !fk_text_plain(q))
        return fk_reply_invalid(req, "q", "查询内容过长或含有控制字符");
    struct fk_resident_id id;
    const char *reason;
    const struct fk_pii_key *key = &req->app->pii_key;
    if (len == 18 && fk_resident_id_parse(q, fk_now(), &id, &reason) == FK_OK) {
        f->q_kind = 1;
        fk_pii_blind(key, "id_number", id.number, f->q_value);
    } else if (len == 11 && fk_phone_check(q, &reason) == FK_OK) {
        f->q_kind = 2;
        fk_pii_blind(key, "phone", q, f->q_value);
    } else if (len == FK_RETURNEE_REFERENCE_LEN - 1 && q[0] == 'R' &&
               strspn(q + 1, "23456789ABCDEFGHJKLMNPQRSTUVWXYZ") == len - 1) {
        f->q_kind = 3;
        snprintf(f->q_value, sizeof(f->q_value), "%s", q);
    } else {
        /* A name prefix; LIKE wildcards in the text are taken literally. */
        fk_like_prefix(q, f->q_value, sizeof(f->q_value));
        f->q_kind = 4;
    }
    return 0;
}

static void reply_list(struct fk_req *req, struct fk_returnee_filter *f, const char *action)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err = fk_returnee_list(db, &req->app->pii_key, req->actor.role, f, page, per_page,
                                       &items, &total);
    fk_req_audit(req, &err, action, "returnee", 0, 0,
                 json_pack("{s:s,s:I,s:I}", "region", f->scope, "total", (json_int_t)total,
                           "returned", (json_int_t)json_array_size(items)));
    fk_reply_list(req, err, items, total, page, per_page);
}

static void list_returnees(struct fk_req *req)
{
    struct fk_returnee_filter f;
    if (fk_returnee_filter_or_reply(req, &f) != 0)
        return;
    reply_list(req, &f, "returnee_list");
}

/* Arrivals from an area of concern in the caller's jurisdiction (?region=
 * narrows it); ?mine=1 those whose destination lies in the caller's grid. */
static void list_flags(struct fk_req *req)
{
    struct fk_returnee_filter f;
    if (fk_returnee_filter_or_reply(req, &f) != 0)
        return;
    int mine;
    if (flag_or_reply(req, "mine", &mine) != 0)
        return;
    f.flagged = 1;
    if (mine == 1)
        f.worker_id = req->actor.user_id;
    reply_list(req, &f, "returnee_flags_list");
}

static void get_returnee(struct fk_req *req)
{
    int64_t id, person = 0;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_RETURNEE_NOT_FOUND, "id", &id) != 0)
        return;
    json_t *body = NULL;
    enum fk_err err = fk_returnee_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix,
                                       id, &body, &person);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_RETURNEE_NOT_FOUND, "id");
        return;
    }
    fk_req_audit(req, &err, "returnee_read", "returnee", id, person, NULL);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

static void patch_returnee(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_path_id_or_reply(req, "id", FK_E_RETURNEE_NOT_FOUND, "id", &id) != 0)
        return;
    /* The current state, inside the caller's jurisdiction; ID number and
     * phone are opened only to register the person in the registry (below). */
    struct fk_returnee_state s;
    enum fk_err err =
        fk_returnee_state_load(db, &req->app->pii_key, req->actor.prefix, id,
                               json_is_true(json_object_get(req->json, "register")), &s);
    json_t *changed = NULL;
    struct fk_person_valid *valid = NULL;
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_RETURNEE_NOT_FOUND, "id");
        goto fail;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto fail;
    }
    static const char *const allowed[] = {
        "three_code", "landing_test", "disposition", "household_id", "note", "handled", "register"};
    const char *key_name;
    json_t *value;
    json_object_foreach(req->json, key_name, value)
    {
        size_t k = 0;
        while (k < sizeof(allowed) / sizeof(allowed[0]) && strcmp(allowed[k], key_name) != 0)
            k++;
        if (k == sizeof(allowed) / sizeof(allowed[0])) {
            fk_reply_invalid(
                req, key_name,
                "只能修改 three_code、landing_test、disposition、household_id、note、handled、"
                "register");
            goto fail;
        }
    }
    if (json_object_size(req->json) == 0) {
        fk_reply_invalid(req, "body", "没有要修改的字段");
        goto fail;
    }
    changed = json_array();
    if (json_object_get(req->json, "three_code") != NULL) {
        if (value_or_reply(req, "three_code", FK_RETURNEE_THREE_CODE, NULL, s.three_code,
                           sizeof(s.three_code)) != 0)
            goto fail;
        json_array_append_new(changed, json_string("three_code"));
    }
    if (json_object_get(req->json, "landing_test") != NULL) {
        if (value_or_reply(req, "landing_test", FK_RETURNEE_LANDING_TEST, NULL, s.landing_test,
                           sizeof(s.landing_test)) != 0)
            goto fail;
        json_array_append_new(changed, json_string("landing_test"));
    }
    if (json_object_get(req->json, "disposition") != NULL) {
        if (value_or_reply(req, "disposition", FK_RETURNEE_DISPOSITION, NULL, s.disposition,
                           sizeof(s.disposition)) != 0)
            goto fail;
        json_array_append_new(changed, json_string("disposition"));
    }
    if (json_object_get(req->json, "household_id") != NULL) {
        int present;
        int64_t h = 0;
        if (fk_json_int_or_reply(req, "household_id", 0, 1, INT64_MAX, &present, &h) != 0)
            goto fail;
        if (present) {
            /* The household must lie in the destination (hence in jurisdiction). */
            char prefix[FK_REGION_CODE_LEN], code[FK_REGION_CODE_LEN];
            const char *reason;
            int fits = 0;
            if (fk_region_normalize(s.region, code, prefix, &reason) != FK_OK)
                snprintf(prefix, sizeof(prefix), "%s", s.region);
            err = fk_returnee_household_in(db, h, prefix, &fits);
            if (err != FK_OK) {
                fk_reply_fail(req, err, NULL);
                goto fail;
            }
            if (!fits) {
                fk_reply_invalid(req, "household_id", "该户不存在或不在目的地区划内");
                goto fail;
            }
        }
        s.household_id = h;
        json_array_append_new(changed, json_string("household_id"));
    }
    if (json_object_get(req->json, "note") != NULL) {
        const char *text;
        if (fk_json_str_or_reply(req, "note", 0, FK_RETURNEE_NOTE_MAX, &text) != 0)
            goto fail;
        if (text != NULL && !fk_text_plain(text)) {
            fk_reply_invalid(req, "note", "备注含有控制字符");
            goto fail;
        }
        s.has_note = text != NULL;
        snprintf(s.note, sizeof(s.note), "%s", text ? text : "");
        json_array_append_new(changed, json_string("note"));
    }
    struct fk_returnee_change change = {.handled = s.handled};
    if (fk_json_bool_or_reply(req, "handled", &change.has_handled, &change.handled) != 0)
        goto fail;
    if (change.has_handled)
        json_array_append_new(changed, json_string("handled"));
    /* "register": true puts a self-registered person who is not in the
     * registry there (at the destination, as a returnee), or links them if
     * they have been registered meanwhile. */
    int has_register = 0, want_register = 0;
    if (fk_json_bool_or_reply(req, "register", &has_register, &want_register) != 0)
        goto fail;
    if (has_register && !want_register) {
        fk_reply_invalid(req, "register", "register 只能为 true：已登记入库的人员不能取消");
        goto fail;
    }
    if (has_register && s.person_id == 0) {
        valid = calloc(1, sizeof(*valid));
        if (valid == NULL || s.id_plain == NULL) {
            fk_reply_fail(req, valid == NULL ? FK_ERR_NOMEM : FK_ERR_CRYPTO, NULL);
            goto fail;
        }
        struct fk_person_input in = {.id_number = s.id_plain,
                                     .name = s.name,
                                     .phone = s.phone_plain,
                                     .region = s.region,
                                     .address = s.address,
                                     .household_id = s.household_id};
        struct fk_person_error why;
        err = fk_person_validate(db, &in, req->actor.prefix, fk_now(), valid, &why);
        if (err == FK_OK)
            err = fk_person_find_by_id_number(db, &req->app->pii_key, valid->id.number,
                                              &change.existing_person);
        if (err == FK_ERR_INVALID) {
            fk_reply_invalid(req, "register", why.message);
            goto fail;
        }
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            goto fail;
        }
        change.register_person = valid;
        json_array_append_new(changed, json_string("register"));
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    err = fk_returnee_update(db, &who, id, &s, &change, changed, fk_now());
    json_decref(changed);
    changed = NULL;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto fail;
    }
    int64_t person = 0;
    json_t *body = NULL;
    err = fk_returnee_load(db, &req->app->pii_key, req->actor.role, req->actor.prefix, id, &body,
                           &person);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, 200, body);
fail:
    json_decref(changed);
    free(valid);
    fk_returnee_state_clear(&s);
}

#define PAGE_PARAMS                                                                                \
    "{\"name\":\"page\",\"in\":\"query\",\"schema\":{\"type\":\"integer\"}},"                      \
    "{\"name\":\"per_page\",\"in\":\"query\",\"schema\":{\"type\":\"integer\"}}"
#define FILTER_PARAMS                                                                              \
    "{\"name\":\"region\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"                     \
    "{\"name\":\"from\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":\"date\"}},"   \
    "{\"name\":\"until\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":\"date\"}},"  \
    "{\"name\":\"flagged\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"                    \
    "{\"name\":\"handled\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"                    \
    "{\"name\":\"disposition\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"                \
    "{\"name\":\"landing_test\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"               \
    "{\"name\":\"three_code\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"                 \
    "{\"name\":\"transport\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"                  \
    "{\"name\":\"q\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}"

static const struct fk_route routes[] = {
    {"GET", "/api/v1/returnees/export", fk_returnees_export, 0, STAFF, "returnees",
     "导出返乡人员台账（format=xlsx|csv，筛选同列表）",
     "{\"parameters\":[{\"name\":\"format\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}"
     "," FILTER_PARAMS "]}"},
    {"GET", "/api/v1/returnees/flags", list_flags, 0, STAFF, "returnees",
     "来自关注地区的返乡人员（mine=1：我的网格）",
     "{\"parameters\":[{\"name\":\"mine\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}"
     "," FILTER_PARAMS "," PAGE_PARAMS "]}"},
    {"POST", "/api/v1/returnees", create_returnee, 0, STAFF, "returnees",
     "返乡登记：{id_number,name,phone,origin:{code,name},arrival_date,transport,plate,trip_no,"
     "destination_region,household_id,address,three_code,landing_test,disposition,note}",
     NULL},
    {"GET", "/api/v1/returnees", list_returnees, 0, STAFF, "returnees", "返乡人员列表",
     "{\"parameters\":[" FILTER_PARAMS "," PAGE_PARAMS "]}"},
    {"GET", "/api/v1/returnees/{id}", get_returnee, 0, STAFF, "returnees", "返乡登记详情", NULL},
    {"PATCH", "/api/v1/returnees/{id}", patch_returnee, 0, STAFF, "returnees",
     "更新三码查验、落地检、管控措施、户、备注、已处置（handled）", NULL},
    {"POST", "/api/v1/public/returnees", fk_returnees_public_create, FK_ROUTE_PUBLIC, FK_ROLE_ANY,
     "returnees", "返乡人员自助报备（无需登录；到达前 48 小时内；按 IP 和身份证号限流）", NULL},
    {"GET", "/api/v1/public/regions", fk_returnees_public_regions, FK_ROUTE_PUBLIC, FK_ROLE_ANY,
     "returnees", "自助报备用：顶级区划及其下级（仅名称和代码）", NULL},
    {"GET", "/api/v1/public/regions/{code}", fk_returnees_public_regions, FK_ROUTE_PUBLIC,
     FK_ROLE_ANY, "returnees", "自助报备用：区划及其下级（仅名称和代码）", NULL},
};

enum fk_err fk_returnees_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
