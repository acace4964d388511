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
#include "healthcode/healthcode_json.h"
#include "http/http.h"
#include "id/id.h"
#include "passes/passes.h"
#include "regions/regions.h"
#include "residents/residents.h"
#include "residents/residents_json.h"
#include "returnees/returnees.h"
#include "venues/venues.h"

/* Staff who check people at checkpoints, gates and venues, and those above
 * them. Not the enterprise role: it has no registry of its own people, and a
 * workplace checks its workers' codes with the venue scan at its own venue
 * (POST /venues/{id}/scans answers the colour and whether they may enter). */
#define THREECODES_STAFF                                                                           \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_TRACER)

/* Who is being looked at: a registry person (id > 0) or only an ID number. */
struct subject {
    int64_t person_id; /* 0: not in the registry */
    char blind[FK_BLIND_LEN];
    char masked[24];                   /* the masked ID number */
    char masked_name[FK_NAME_MAX + 1]; /* registry persons */
    int covered;                       /* the caller's jurisdiction holds the person's region */
    const char *via;                   /* "personal_code", "id_number", "person_id" */
};

/* The cities and counties a person passed through, each with the last day
 * (Asia/Shanghai) seen there: what a gate may know of a person from outside
 * its jurisdiction. Local region codes (12 digits and more) count as their
 * county (the first 6 digits), named from the regions table once all walks
 * are done; an arrival's origin keeps the code and name it was registered
 * with (a city such as 4201 湖北省武汉市, or a county). */
#define MAX_AREAS 32
struct area {
    char code[8];
    char name[128]; /* "" until named */
    char last_date[11];
};

/* What the walks of one view collect. */
struct view {
    json_t *itinerary, *places; /* NULL in the gate view: only the areas */
    struct area areas[MAX_AREAS];
    size_t n_areas;
};

static void day_of(int64_t t, char out[11])
{
    int y, m, d;
    fk_civil_date(t, &y, &m, &d); /* the day in Asia/Shanghai */
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* Records that the person was in `code` (a local region or an origin) on
 * `date`; `name` is the origin's, NULL for local codes. */
static void add_area(struct view *v, const char *code, const char *name, const char *date)
{
    if (code == NULL || code[0] == '\0' || date == NULL || strlen(date) != 10)
        return;
    char key[8];
    int local = strlen(code) >= 12;
    snprintf(key, sizeof(key), "%.6s", code);
    for (size_t i = 0; i < v->n_areas; i++)
        if (strcmp(v->areas[i].code, key) == 0) {
            if (strcmp(date, v->areas[i].last_date) > 0)
                snprintf(v->areas[i].last_date, sizeof(v->areas[i].last_date), "%s", date);
            return;
        }
    if (v->n_areas == MAX_AREAS)
        return;
    struct area *a = &v->areas[v->n_areas++];
    snprintf(a->code, sizeof(a->code), "%s", key);
    snprintf(a->name, sizeof(a->name), "%s", local || name == NULL ? "" : name);
    snprintf(a->last_date, sizeof(a->last_date), "%s", date);
}

static int newest_area_first(const void *a, const void *b)
{
    const struct area *x = a, *y = b;
    int c = strcmp(y->last_date, x->last_date);
    return c ? c : strcmp(x->code, y->code);
}

/* The areas as JSON, newest first, local counties named from the regions
 * table (the code itself when it is not there). */
static enum fk_err areas_json(struct fk_conn *db, struct view *v, json_t **out)
{
    qsort(v->areas, v->n_areas, sizeof(v->areas[0]), newest_area_first);
    json_t *arr = json_array();
    enum fk_err err = arr ? FK_OK : FK_ERR_NOMEM;
    for (size_t i = 0; i < v->n_areas && err == FK_OK; i++) {
        struct area *a = &v->areas[i];
        if (a->name[0] == '\0') {
            char county[FK_REGION_CODE_LEN];
            struct fk_region r;
            snprintf(county, sizeof(county), "%s000000", a->code);
            err = fk_region_get(db, county, &r);
            if (err == FK_ERR_NOT_FOUND) {
                snprintf(r.name, sizeof(r.name), "%s", a->code);
                err = FK_OK;
            }
            if (err != FK_OK)
                break;
            snprintf(a->name, sizeof(a->name), "%s", r.name);
        }
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "code", a->code, "name", a->name,
                                             "last_date", a->last_date));
    }
    if (err != FK_OK) {
        json_decref(arr);
        arr = NULL;
    }
    *out = arr;
    return err;
}

static int add_arrival(void *ctx, const struct fk_returnee_trip *t)
{
    struct view *v = ctx;
    add_area(v, t->origin_code, t->origin_name, t->arrival_date);
    add_area(v, t->region, NULL, t->arrival_date);
    if (v->itinerary == NULL)
        return 0;
    json_array_append_new(v->itinerary,
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
    struct view *v = ctx;
    char at[FK_RFC3339_LEN], day[11];
    day_of(p->scanned_at, day);
    add_area(v, p->checkpoint_region, NULL, day);
    if (v->itinerary == NULL)
        return 0;
    fk_time_format(p->scanned_at, at);
    json_array_append_new(v->itinerary,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "kind", "passage", "at",
                                    at, "checkpoint_name", p->checkpoint_name, "checkpoint_region",
                                    p->checkpoint_region, "plate", p->plate, "decision",
                                    p->decision, "decision_label",
                                    fk_passage_decision_label(p->decision), "seat", p->seat));
    return 0;
}

static int add_visit(void *ctx, const struct fk_person_visit *v)
{
    struct view *w = ctx;
    char at[FK_RFC3339_LEN], left[FK_RFC3339_LEN], day[11];
    day_of(v->at, day);
    add_area(w, v->region, NULL, day);
    if (w->places == NULL)
        return 0;
    fk_time_format(v->at, at);
    if (v->left_at > 0)
        fk_time_format(v->left_at, left);
    const struct fk_venue_category *c = fk_venue_category_find(v->category);
    json_array_append_new(w->places,
                          json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b}", "venue_id",
                                    (json_int_t)v->venue_id, "venue_name", v->venue_name,
                                    "category", v->category, "category_label",
                                    c ? c->label : v->category, "region", v->region, "at", at,
                                    "left_at", v->left_at > 0 ? json_string(left) : json_null(),
                                    "color", v->color, "allowed", v->allowed));
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

/* The gate's part of a health code (`code` as fk_health_code_current
 * answers it; a new object, `code` untouched): the colour, its label, the
 * rules that set it with their times, but not the cause text (it may name
 * the residence, a case or a contact) nor the person's id. */
static json_t *gate_code(json_t *code)
{
    json_t *reasons = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(code, "reasons"), i, r)
    {
        json_array_append_new(
            reasons,
            json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}", "rule", json_object_get(r, "rule"), "color",
                      json_object_get(r, "color"), "label", json_object_get(r, "label"), "since",
                      json_object_get(r, "since"), "until", json_object_get(r, "until")));
    }
    return json_pack("{s:O?,s:O?,s:o,s:O?,s:O?}", "color", json_object_get(code, "color"), "label",
                     json_object_get(code, "label"), "reasons", reasons, "since",
                     json_object_get(code, "since"), "until", json_object_get(code, "until"));
}

/* Answers the view of `s`. The full view (person with address and region,
 * health code with its causes, itinerary, check-ins) when the caller's
 * jurisdiction holds the person, or for an ID number outside the registry,
 * which belongs to no jurisdiction here (the district's own records of their
 * travel: arrivals and passages). The gate view for a registry person from
 * elsewhere: masked name and ID number, colour and reasons, the cities and
 * counties passed through by day, the last test — never the address, the
 * region, the phone, the household or the check-ins. Both carry `areas`
 * and `last_test` (null until a testing module exists) and are audited with
 * whether the lookup crossed a jurisdiction. */
static void reply_view(struct fk_req *req, struct fk_conn *db, const struct subject *s)
{
    int64_t now = fk_now(), since = now - (int64_t)FK_THREECODES_DAYS * 86400;
    char since_date[11], since_text[FK_RFC3339_LEN];
    day_of(since, since_date);
    fk_time_format(since, since_text);
    int full = s->person_id == 0 || s->covered;
    struct view v = {0};
    if (full) {
        v.itinerary = json_array();
        v.places = json_array();
    }

    json_t *person = NULL, *code = json_null(), *areas = NULL;
    enum fk_err err = FK_OK;
    if (s->person_id > 0 && full) {
        struct fk_person p;
        err = fk_person_get(db, s->person_id, &p);
        if (err == FK_OK &&
            (person = fk_person_to_json(&p, &req->app->pii_key, req->actor.role)) == NULL)
            err = FK_ERR_NOMEM;
    } else if (s->person_id > 0) {
        person = json_pack("{s:n,s:s,s:s}", "id", "name", s->masked_name, "id_number", s->masked);
    } else {
        person = json_pack("{s:n,s:n,s:s,s:n,s:n}", "id", "name", "id_number", s->masked, "region",
                           "region_name");
    }
    if (err == FK_OK && person == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK && s->person_id > 0) {
        json_decref(code);
        err = fk_health_code_current(db, s->person_id, &code);
        if (err == FK_OK && !full) {
            json_t *gate = gate_code(code);
            json_decref(code);
            code = gate;
            if (code == NULL)
                err = FK_ERR_NOMEM;
        }
    }
    if (err == FK_OK)
        err = fk_returnee_trips(db, s->blind, since_date, FK_THREECODES_MAX_ITEMS, add_arrival, &v);
    if (err == FK_OK)
        err = fk_passages_of_person(db, s->blind, since, FK_THREECODES_MAX_ITEMS, add_passage, &v);
    if (err == FK_OK && s->person_id > 0)
        err = fk_checkins_person_visits(db, s->person_id, since, now + 1, FK_THREECODES_MAX_ITEMS,
                                        add_visit, &v);
    if (err == FK_OK)
        err = areas_json(db, &v, &areas);
    json_t *detail =
        json_pack("{s:s,s:b,s:s,s:b}", "via", s->via, "in_registry", s->person_id > 0, "view",
                  full ? "full" : "gate", "cross_jurisdiction", s->person_id > 0 && !s->covered);
    if (err == FK_OK && fk_audit_req(req, "three_codes_read", "person", NULL, s->person_id,
                                     detail) != FK_OK) /* the detail is borrowed */
        err = FK_ERR_DB;
    json_decref(detail);
    if (err != FK_OK) {
        json_decref(person);
        json_decref(code);
        json_decref(v.itinerary);
        json_decref(v.places);
        json_decref(areas);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_object_set_new(person, "in_registry", json_boolean(s->person_id > 0));
    json_t *body = json_pack("{s:o,s:o,s:o,s:n,s:i,s:s,s:s,s:s}", "person", person, "health_code",
                             code, "areas", areas, "last_test", "days", FK_THREECODES_DAYS, "since",
                             since_text, "via", s->via, "view", full ? "full" : "gate");
    if (body != NULL && full) {
        json_object_set_new(body, "itinerary", sorted(v.itinerary));
        json_object_set_new(body, "places", v.places);
    }
    fk_reply_json(req, 200, body);
}

/* The blind index, masked ID number and name of a registry person, and
 * whether the caller's jurisdiction holds them. A read by id (`via`
 * "person_id") outside it is FK_ERR_NOT_FOUND, as if absent. */
static enum fk_err subject_of_person(struct fk_req *req, struct fk_conn *db, int64_t person_id,
                                     struct subject *s)
{
    struct fk_person p;
    enum fk_err err = fk_person_get(db, person_id, &p);
    if (err == FK_OK) {
        snprintf(s->blind, sizeof(s->blind), "%s", p.id_blind);
        s->person_id = person_id;
        s->covered = fk_req_covers(req, p.region);
        fk_mask_name(p.name, s->masked_name, sizeof(s->masked_name));
        if (fk_pii_open_masked(&req->app->pii_key, "id_number", p.id_sealed, 0, s->masked,
                               sizeof(s->masked)) != 0)
            s->masked[0] = '\0';
        if (s->via != NULL && strcmp(s->via, "person_id") == 0 && !s->covered)
            err = FK_ERR_NOT_FOUND;
    }
    return err;
}

static void person_not_found(struct fk_req *req, const char *field)
{
    fk_reply_err(req, FK_E_THREECODES_PERSON_NOT_FOUND, field);
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
        fk_reply_err(req, code ? FK_E_THREECODES_ONE_OF_INVALID : FK_E_THREECODES_ONE_OF_MISSING,
                     code ? "id_number" : "code");
        return;
    }
    struct subject s = {0};
    if (code != NULL) {
        struct fk_code_info info;
        enum fk_code_status st = fk_code_verify(db, code, &info);
        if (st == FK_CODE_VALID && info.type != FK_CODE_PERSONAL) {
            fk_reply_err(req, FK_E_THREECODES_NOT_PERSONAL, "code");
            return;
        }
        if (st != FK_CODE_VALID) {
            fk_reply_err_ex(
                req,
                st == FK_CODE_EXPIRED ? FK_E_THREECODES_CODE_EXPIRED : FK_E_THREECODES_CODE_INVALID,
                "code", NULL, json_pack("{s:s}", "reason", fk_code_status_name(st)), NULL);
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
            fk_reply_err(req, FK_E_THREECODES_ID_INVALID, "id_number");
            return;
        }
        s.via = "id_number";
        fk_pii_blind(&req->app->pii_key, "id_number", rid.number, s.blind);
        fk_mask_id(rid.number, s.masked, sizeof(s.masked));
        int64_t person_id = 0;
        enum fk_err err =
            fk_person_find_by_id_number(db, &req->app->pii_key, rid.number, &person_id);
        if (err == FK_OK && person_id > 0)
            err = subject_of_person(req, db, person_id, &s);
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
     "三码查验：扫个人码或身份证，查看健康码、行程与场所码（外辖区人员仅健康码、原因与途经城市/"
     "区县）",
     NULL},
    {"GET", "/api/v1/persons/{id}/three-codes", get_three_codes, 0, THREECODES_STAFF, "threecodes",
     "一人的三码：健康码、近 14 天行程、场所扫码记录", NULL},
};

enum fk_err fk_threecodes_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
