/* The three-codes view (threecodes.h). */
#include "threecodes/threecodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit/audit.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/crypto.h"
#include "healthcode/healthcode.h"
#include "http/http.h"
#include "id/id.h"
#include "passes/passes.h"
#include "residents/residents.h"
#include "returnees/returnees.h"
#include "venues/venues.h"

/* Staff who check people at checkpoints, gates and venues, and those above them. */
#define THREECODES_STAFF                                                                           \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER | FK_ROLE_ENTERPRISE)

/* Who is being looked at: a registry person (id > 0) or only an ID number. */
struct subject {
    int64_t person_id; /* 0: not in the registry */
    char blind[FK_BLIND_LEN];
    char masked[24]; /* the masked ID number */
    const char *via; /* "personal_code", "id_number", "person_id" */
};

static int add_arrival(void *ctx, const struct fk_returnee_trip *t)
{
    json_array_append_new(ctx,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:b}", "kind", "arrival",
                                    "at", t->arrival_date, "origin_code", t->origin_code,
                                    "origin_name", t->origin_name, "transport", t->transport,
                                    "trip_no", t->trip_no ? json_string(t->trip_no) : json_null(),
                                    "destination", t->region, "destination_name", t->region_name,
                                    "outside_province", t->outside_province));
    return 0;
}

static int add_passage(void *ctx, const struct fk_person_passage *p)
{
    char at[FK_RFC3339_LEN];
    fk_time_format(p->scanned_at, at);
    json_array_append_new(ctx, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "kind", "passage",
                                         "at", at, "checkpoint_name", p->checkpoint_name,
                                         "checkpoint_region", p->checkpoint_region, "plate",
                                         p->plate, "decision", p->decision, "decision_label",
                                         fk_passage_decision_label(p->decision), "seat", p->seat));
    return 0;
}

static int add_visit(void *ctx, const struct fk_person_visit *v)
{
    char at[FK_RFC3339_LEN], left[FK_RFC3339_LEN];
    fk_time_format(v->at, at);
    if (v->left_at > 0)
        fk_time_format(v->left_at, left);
    const struct fk_venue_category *c = fk_venue_category_find(v->category);
    json_array_append_new(
        ctx, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b}", "venue_id", (json_int_t)v->venue_id,
                       "venue_name", v->venue_name, "category", v->category, "category_label",
                       c ? c->label : v->category, "region", v->region, "at", at, "left_at",
                       v->left_at > 0 ? json_string(left) : json_null(), "color", v->color,
                       "allowed", v->allowed));
    return 0;
}

/* Arrivals carry a date, passages an instant: newest first by the text,
 * which compares correctly because both start with YYYY-MM-DD. */
static int newest_first(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "at"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "at"));
    return strcmp(y ? y : "", x ? x : "");
}

static json_t *sorted(json_t *items)
{
    size_t n = json_array_size(items);
    json_t **v = n ? malloc(n * sizeof(*v)) : NULL;
    if (n && v == NULL)
        return items;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(items, i));
    qsort(v, n, sizeof(*v), newest_first);
    json_array_clear(items);
    for (size_t i = 0; i < n && i < FK_THREECODES_MAX_ITEMS; i++)
        json_array_append(items, v[i]);
    for (size_t i = 0; i < n; i++)
        json_decref(v[i]);
    free(v);
    return items;
}

static void reply_view(struct fk_req *req, struct fk_conn *db, const struct subject *s)
{
    int64_t now = fk_now(), since = now - (int64_t)FK_THREECODES_DAYS * 86400;
    int y, m, d;
    fk_civil_date(since + 8 * 3600, &y, &m, &d); /* the day in Asia/Shanghai */
    char since_date[16], since_text[FK_RFC3339_LEN];
    snprintf(since_date, sizeof(since_date), "%04d-%02d-%02d", y, m, d);
    fk_time_format(since, since_text);

    json_t *person = NULL, *code = json_null(), *itinerary = json_array(), *places = json_array();
    enum fk_err err = FK_OK;
    if (s->person_id > 0) {
        struct fk_stmt *st = NULL;
        int row = 0;
        err =
            fk_db_query(db, &st, &row, "SELECT " FK_PERSON_COLUMNS FK_PERSON_FROM " WHERE p.id = ?",
                        "i", s->person_id);
        if (err == FK_OK && !row)
            err = FK_ERR_NOT_FOUND;
        if (err == FK_OK &&
            (person = fk_person_json(st, &req->app->pii_key, req->actor.role)) == NULL)
            err = FK_ERR_NOMEM;
        fk_stmt_free(st);
        if (err == FK_OK) {
            json_decref(code);
            err = fk_health_code_current(db, s->person_id, &code);
        }
    } else {
        person = json_pack("{s:n,s:n,s:s,s:n,s:n}", "id", "name", "id_number", s->masked, "region",
                           "region_name");
    }
    if (err == FK_OK)
        err = fk_returnee_trips(db, s->blind, since_date, FK_THREECODES_MAX_ITEMS, add_arrival,
                                itinerary);
    if (err == FK_OK)
        err = fk_passages_of_person(db, s->blind, since, FK_THREECODES_MAX_ITEMS, add_passage,
                                    itinerary);
    if (err == FK_OK && s->person_id > 0)
        err = fk_checkins_person_visits(db, s->person_id, since, now + 1, FK_THREECODES_MAX_ITEMS,
                                        add_visit, places);
    json_t *detail = json_pack("{s:s,s:b}", "via", s->via, "in_registry", s->person_id > 0);
    if (err == FK_OK && fk_audit_req(req, "three_codes_read", "person", NULL, s->person_id,
                                     detail) != FK_OK) /* the detail is borrowed */
        err = FK_ERR_DB;
    json_decref(detail);
    if (err != FK_OK) {
        json_decref(person);
        json_decref(code);
        json_decref(itinerary);
        json_decref(places);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_object_set_new(person, "in_registry", json_boolean(s->person_id > 0));
    fk_reply_json(req, 200,
                  json_pack("{s:o,s:o,s:o,s:o,s:i,s:s,s:s}", "person", person, "health_code", code,
                            "itinerary", sorted(itinerary), "places", places, "days",
                            FK_THREECODES_DAYS, "since", since_text, "via", s->via));
}

/* The blind index and mask of a registry person's ID number. */
static enum fk_err subject_of_person(struct fk_req *req, struct fk_conn *db, int64_t person_id,
                                     struct subject *s)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT id_blind, region FROM persons WHERE id = ?", "i", person_id);
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        snprintf(s->blind, sizeof(s->blind), "%s", fk_stmt_text(st, 0));
        s->person_id = person_id;
        if (s->via != NULL && strcmp(s->via, "person_id") == 0 &&
            !fk_req_covers(req, fk_stmt_text(st, 1)))
            err = FK_ERR_NOT_FOUND; /* outside the caller's jurisdiction: as if absent */
    }
    fk_stmt_free(st);
    return err;
}

static void person_not_found(struct fk_req *req, const char *field)
{
    fk_reply_error(req, 404, "person_not_found", "未找到该人员或不在管辖范围内", field);
}

/* POST /api/v1/scans/three-codes {"code"} or {"id_number"}: the person
 * presents a personal code or an ID card. */
static void scan_three_codes(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    const char *code = NULL, *id_number = NULL;
    if (fk_json_str_or_reply(req, "code", 0, FK_CODE_MAX_INPUT, &code) != 0 ||
        fk_json_str_or_reply(req, "id_number", 0, 32, &id_number) != 0)
        return;
    if ((code == NULL) == (id_number == NULL)) {
        fk_reply_error(req, 422, code ? "invalid_field" : "missing_field",
                       "请提供个人码（code）或身份证号（id_number）之一",
                       code ? "id_number" : "code");
        return;
    }
    struct subject s = {0};
    if (code != NULL) {
        struct fk_code_info info;
        enum fk_code_status st = fk_code_verify(db, code, &info);
        if (st == FK_CODE_VALID && info.type != FK_CODE_PERSONAL) {
            fk_reply_error(req, 422, "invalid_code", "这不是个人码，请出示个人健康码", "code");
            return;
        }
        if (st != FK_CODE_VALID) {
            fk_reply_json(
                req, 422,
                json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "code", "invalid_code", "message",
                          st == FK_CODE_EXPIRED ? "个人码已过期，请刷新后重新出示" : "个人码无效",
                          "field", "code", "reason", fk_code_status_name(st)));
            return;
        }
        s.via = "personal_code";
        enum fk_err err = subject_of_person(req, db, info.object_id, &s);
        if (err == FK_ERR_NOT_FOUND) {
            person_not_found(req, "code");
            return;
        }
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
    } else {
        struct fk_resident_id rid;
        const char *why;
        if (fk_resident_id_parse(id_number, fk_now(), &rid, &why) != FK_OK) {
            fk_reply_error(req, 422, "invalid_field", "身份证号无效", "id_number");
            return;
        }
        s.via = "id_number";
        fk_pii_blind(&req->app->pii_key, "id_number", rid.number, s.blind);
        fk_mask_id(rid.number, s.masked, sizeof(s.masked));
        enum fk_err err =
            fk_person_find_by_id_number(db, &req->app->pii_key, rid.number, &s.person_id);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
    }
    reply_view(req, db, &s);
}

/* GET /api/v1/persons/{id}/three-codes: a registry person in the caller's jurisdiction. */
static void get_three_codes(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t id;
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &id) != FK_OK) {
        person_not_found(req, "id");
        return;
    }
    struct subject s = {.via = "person_id"};
    enum fk_err err = subject_of_person(req, db, id, &s);
    if (err == FK_ERR_NOT_FOUND) {
        person_not_found(req, "id");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    reply_view(req, db, &s);
}

static const struct fk_route routes[] = {
    {"POST", "/api/v1/scans/three-codes", scan_three_codes, 0, THREECODES_STAFF, "threecodes",
     "三码查验：扫个人码或身份证，查看健康码、行程与场所码", NULL},
    {"GET", "/api/v1/persons/{id}/three-codes", get_three_codes, 0, THREECODES_STAFF, "threecodes",
     "一人的三码：健康码、近 14 天行程、场所扫码记录", NULL},
};

enum fk_err fk_threecodes_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
