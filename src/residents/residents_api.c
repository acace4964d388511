/* HTTP handlers for persons and households: parse, authorize, call the
 * registry (residents_store.c), reply. Reads are audited here; writes are
 * audited by the registry inside their transaction. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/http.h"
#include "http/lookup.h"
#include "residents/residents_internal.h"
#include "regions/regions_json.h"
#include "residents/residents_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)
#define MERGERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER)
#define STAFF (~FK_ROLE_RESIDENT & 0xfffu)

int fk_residents_parse_query(struct fk_req *req, struct fk_person_query *query)
{
    query->match_kind = "all";
    const char *q = fk_req_query(req, "q");
    if (q != NULL && q[0] != '\0') {
        if (strlen(q) > 64) {
            fk_reply_err(req, FK_E_PERSON_QUERY_TOO_LONG, "q");
            return -1;
        }
        query->q = q;
        query->match_kind = fk_person_query_kind(q);
    }
    const char *category = fk_req_query(req, "category");
    if (category != NULL && category[0] != '\0') {
        int k = fk_person_category_index(category);
        if (k < 0) {
            fk_reply_err(req, FK_E_PERSON_CATEGORY_UNKNOWN, "category");
            return -1;
        }
        query->category = fk_person_categories[k][0];
    }
    const char *household = fk_req_query(req, "household_id");
    if (household != NULL && household[0] != '\0' &&
        fk_parse_int64(household, 1, INT64_MAX, &query->household_id) != FK_OK) {
        fk_reply_err(req, FK_E_HOUSEHOLD_ID_FORMAT, "household_id");
        return -1;
    }
    if (fk_query_time_or_reply(req, "from", &query->has_from, &query->from) != 0 ||
        fk_query_time_or_reply(req, "until", &query->has_until, &query->until) != 0)
        return -1;
    return 0;
}

/* Reads "categories" (an array of known names) into "a,b" sorted by the
 * table's order; -1 after replying 422. *present says whether it was given. */
static int categories_or_reply(struct fk_req *req, char *out, size_t out_size, int *present)
{
    json_t *list = json_object_get(req->json, "categories");
    *present = 0;
    out[0] = '\0';
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > 16) {
        fk_reply_err(req, FK_E_PERSON_CATEGORIES_TYPE, "categories");
        return -1;
    }
    unsigned chosen = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        int k = json_is_string(item) ? fk_person_category_index(json_string_value(item)) : -1;
        if (k < 0) {
            fk_reply_err(req, FK_E_PERSON_CATEGORY_UNKNOWN, "categories");
            return -1;
        }
        chosen |= 1u << k;
    }
    size_t used = 0;
    for (int k = 0; k < FK_PERSON_CATEGORY_COUNT; k++)
        if (chosen & (1u << k))
            used += (size_t)snprintf(out + used, out_size - used, "%s%s", used ? "," : "",
                                     fk_person_categories[k][0]);
    *present = 1;
    return 0;
}

static int id_param_or_reply(struct fk_req *req, enum fk_ecode e, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, e, "id");
        return -1;
    }
    return 0;
}

/* The record id of the path and the request's connection; NULL after
 * replying (`e` for an id that cannot be one). */
static struct fk_conn *id_db_or_reply(struct fk_req *req, enum fk_ecode e, int64_t *id)
{
    return id_param_or_reply(req, e, id) == 0 ? fk_req_db(req) : NULL;
}

static void reply_person_error(struct fk_req *req, const struct fk_person_error *why)
{
    fk_reply_err_ex(req, FK_E_INVALID_FIELD_MSG, why->field, why->message,
                    json_pack("{s:s}", "reason", why->reason), NULL);
}

/* Audits a read when *err is FK_OK (a failure lands in *err); frees detail. */
static void audit_read(struct fk_req *req, enum fk_err *err, const char *action, const char *type,
                       int64_t id, int64_t person_id, json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    if (*err == FK_OK)
        *err = fk_audit_req(req, action, type, id ? id_text : NULL, person_id, detail);
    json_decref(detail);
}

/* Audits the read of record `id` and replies `body` (stolen), or the
 * failure of the read or of its audit. */
static void reply_read(struct fk_req *req, enum fk_err err, json_t *body, const char *action,
                       const char *type, int64_t id, int64_t person_id)
{
    audit_read(req, &err, action, type, id, person_id, NULL);
    fk_reply_result(req, err, 200, body);
}

/* Appends persons or households to a JSON array (ctx). */
struct person_list {
    json_t *items;
    struct fk_req *req;
};

static enum fk_err append_person(const struct fk_person *p, void *ctx)
{
    struct person_list *list = ctx;
    json_t *item = fk_person_to_json(p, &list->req->app->pii_key, list->req->actor.role);
    return fk_json_append(list->items, item);
}

static enum fk_err append_household(const struct fk_household *h, void *ctx)
{
    json_t *item = fk_household_to_json(h);
    return fk_json_append(ctx, item);
}

/* A person of the caller's jurisdiction (merged ones too) as JSON with
 * "merged_into", into *out (a new reference). */
static enum fk_err person_json(struct fk_req *req, struct fk_conn *db, int64_t id, json_t **out)
{
    struct fk_person p;
    enum fk_err err = fk_residents_person_load(db, id, req->actor.prefix, &p);
    if (err == FK_OK && (*out = fk_person_to_json(&p, &req->app->pii_key, req->actor.role)) == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK)
        json_object_set_new(*out, "merged_into",
                            p.merged_into ? json_integer((json_int_t)p.merged_into) : json_null());
    return err;
}

/* Replies person `id` with `status` after a write, or the write's failure. */
static void reply_person(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t id,
                         unsigned status)
{
    json_t *person = NULL;
    if (err == FK_OK)
        err = person_json(req, db, id, &person);
    fk_reply_result(req, err, status, person);
}

/* Household `id` of the caller's jurisdiction as JSON (a new reference in
 * *out), with its members when `members`. */
static enum fk_err household_json(struct fk_req *req, struct fk_conn *db, int64_t id, int members,
                                  json_t **out)
{
    struct fk_household h;
    enum fk_err err = fk_residents_household_load(db, id, req->actor.prefix, &h);
    if (err == FK_OK && (*out = fk_household_to_json(&h)) == NULL)
        err = FK_ERR_NOMEM;
    if (err != FK_OK || !members)
        return err;
    struct person_list list = {json_array(), req};
    err = fk_residents_members(db, id, req->actor.prefix, append_person, &list);
    json_object_set_new(*out, "members", list.items);
    if (err != FK_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

/* Replies household `id` with `status` after a write, or the write's failure. */
static void reply_household(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t id,
                            unsigned status)
{
    json_t *household = NULL;
    if (err == FK_OK)
        err = household_json(req, db, id, 0, &household);
    fk_reply_result(req, err, status, household);
}

/* --- persons --- */

static void create_person(struct fk_req *req)
{
    struct fk_person_input in = {0};
    const char *fields[] = {"id_number", "name", "phone", "region", "address"};
    const char **targets[] = {&in.id_number, &in.name, &in.phone, &in.region, &in.address};
    const size_t caps[] = {32, FK_NAME_MAX, 16, 18, FK_ADDRESS_MAX};
    for (size_t i = 0; i < 5; i++)
        if (fk_json_str_or_reply(req, fields[i], i == 0 || i == 1 || i == 3, caps[i], targets[i]) !=
            0)
            return;
    int has_household;
    char categories[128];
    int has_categories;
    if (fk_json_int_or_reply(req, "household_id", 0, 1, INT64_MAX, &has_household,
                             &in.household_id) != 0 ||
        categories_or_reply(req, categories, sizeof(categories), &has_categories) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_person_valid valid;
    struct fk_person_error why;
    int64_t now = fk_now();
    enum fk_err err = fk_person_validate(db, &in, req->actor.prefix, now, &valid, &why);
    if (err == FK_ERR_INVALID) {
        reply_person_error(req, &why);
        return;
    }
    int64_t id = 0, existing = 0;
    json_t *detail = json_pack("{s:s}", "region", valid.region.code);
    struct fk_audit_entry audit = fk_audit_entry_of(req, "person_create", "person", 0, detail);
    if (err == FK_OK)
        err = fk_residents_create(db, &req->app->pii_key, &valid,
                                  has_categories ? categories : NULL, now, &audit, &id, &existing);
    json_decref(detail);
    if (err == FK_ERR_CONFLICT) {
        fk_reply_err_ex(req, FK_E_PERSON_ALREADY_REGISTERED, "id_number", NULL, NULL,
                        json_pack("{s:I}", "existing_id", (json_int_t)existing));
        return;
    }
    reply_person(req, db, err, id, 201);
}

static void list_persons(struct fk_req *req)
{
    int64_t page, per_page;
    char scope[FK_REGION_CODE_LEN];
    if (fk_page_or_reply(req, &page, &per_page) != 0 || fk_scope_or_reply(req, scope) != 0)
        return;
    struct fk_person_query query = {.scope = scope};
    if (fk_residents_parse_query(req, &query) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct person_list list = {json_array(), req};
    int64_t total = 0;
    enum fk_err err = fk_residents_search(db, &req->app->pii_key, &query, page, per_page, &total,
                                          append_person, &list);
    audit_read(req, &err, "person_list", "person", 0, 0,
               json_pack("{s:s,s:s,s:I}", "region", scope, "match", query.match_kind, "total",
                         (json_int_t)total));
    fk_reply_list(req, err, list.items, total, page, per_page);
}

static void get_person(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = id_db_or_reply(req, FK_E_PERSON_ID_NOT_FOUND, &id);
    if (db == NULL)
        return;
    json_t *person = NULL;
    enum fk_err err = person_json(req, db, id, &person);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_PERSON_NOT_FOUND, "id");
        return;
    }
    json_t *hid = json_object_get(person, "household_id");
    json_t *household = NULL;
    if (err == FK_OK && json_is_integer(hid)) {
        err = household_json(req, db, json_integer_value(hid), 1, &household);
        if (err == FK_ERR_NOT_FOUND)
            err = FK_OK;
    }
    if (err == FK_OK)
        json_object_set_new(person, "household", household ? household : json_null());
    reply_read(req, err, person, "person_read", "person", id, id);
}

static void patch_person(struct fk_req *req)
{
    int64_t id;
    if (id_param_or_reply(req, FK_E_PERSON_ID_NOT_FOUND, &id) != 0)
        return;
    if (json_object_get(req->json, "id_number") != NULL) {
        fk_reply_err(req, FK_E_PERSON_ID_NUMBER_FIXED, "id_number");
        return;
    }
    const char *name, *phone, *region, *address;
    int has_household = 0, has_categories;
    int64_t household_id = 0;
    char categories[128];
    json_t *household_value = json_object_get(req->json, "household_id");
    int clear_household = household_value != NULL && json_is_null(household_value);
    if (fk_json_str_or_reply(req, "name", 0, FK_NAME_MAX, &name) != 0 ||
        fk_json_str_or_reply(req, "phone", 0, 16, &phone) != 0 ||
        fk_json_str_or_reply(req, "region", 0, 18, &region) != 0 ||
        fk_json_str_or_reply(req, "address", 0, FK_ADDRESS_MAX, &address) != 0 ||
        fk_json_int_or_reply(req, "household_id", 0, 1, INT64_MAX, &has_household, &household_id) !=
            0 ||
        categories_or_reply(req, categories, sizeof(categories), &has_categories) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_person cur;
    enum fk_err err = fk_person_get_in_scope(db, id, req->actor.prefix, &cur);
    if (fk_found_or_reply(req, err, NULL, FK_E_PERSON_NOT_FOUND, "id") != 0)
        return;
    char cur_id[19], cur_phone[12];
    fk_person_open(&req->app->pii_key, "id_number", cur.id_sealed, cur_id, sizeof(cur_id));
    fk_person_open(&req->app->pii_key, "phone", cur.phone_sealed, cur_phone, sizeof(cur_phone));
    /* Validate the merged record as a whole, with the same rules as create. */
    json_t *phone_value = json_object_get(req->json, "phone");
    int clear_phone = phone_value != NULL && json_is_null(phone_value);
    struct fk_person_input in = {
        .id_number = cur_id,
        .name = name ? name : cur.name,
        .phone = clear_phone ? NULL : (phone ? phone : cur_phone),
        .region = region ? region : cur.region,
        .address = address ? address : cur.address,
        .household_id = clear_household ? 0 : (has_household ? household_id : cur.household_id),
    };
    struct fk_person_valid valid;
    struct fk_person_error why;
    err = fk_person_validate(db, &in, req->actor.prefix, fk_now(), &valid, &why);
    /* A birth date that has become "invalid" cannot happen: the ID is fixed. */
    if (err == FK_ERR_INVALID) {
        reply_person_error(req, &why);
        return;
    }
    json_t *detail = json_pack("{s:b,s:b,s:b,s:b,s:b,s:b}", "name", name != NULL, "phone",
                               phone != NULL || clear_phone, "region", region != NULL, "address",
                               address != NULL, "household_id", has_household || clear_household,
                               "categories", has_categories);
    struct fk_audit_entry audit = fk_audit_entry_of(req, "person_update", "person", id, detail);
    if (err == FK_OK)
        err = fk_residents_update(db, &req->app->pii_key, id, &valid,
                                  has_categories ? categories : NULL, fk_now(), &audit);
    json_decref(detail);
    reply_person(req, db, err, id, 200);
}

/* Opens a group of likely duplicates: {"key", "persons": []}. */
static enum fk_err open_group(const char *key, void *ctx)
{
    struct person_list *list = ctx;
    json_t *persons = json_array();
    json_t *group = json_pack("{s:s,s:o}", "key", key, "persons", persons);
    if (group == NULL || json_array_append_new(list->items, group) != 0)
        return FK_ERR_NOMEM;
    return FK_OK;
}

/* Adds a person to the group opened last. */
static enum fk_err add_to_group(const struct fk_person *p, void *ctx)
{
    struct person_list *list = ctx;
    json_t *group = json_array_get(list->items, json_array_size(list->items) - 1);
    struct person_list persons = {json_object_get(group, "persons"), list->req};
    return append_person(p, &persons);
}

static void list_duplicates(struct fk_req *req)
{
    int64_t page, per_page;
    char scope[FK_REGION_CODE_LEN];
    if (fk_page_or_reply(req, &page, &per_page) != 0 || fk_scope_or_reply(req, scope) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct person_list list = {json_array(), req};
    int64_t total = 0;
    enum fk_err err =
        fk_residents_duplicates(db, scope, page, per_page, &total, open_group, add_to_group, &list);
    audit_read(req, &err, "person_list", "person", 0, 0,
               json_pack("{s:s,s:s}", "region", scope, "match", "duplicates"));
    fk_reply_list(req, err, list.items, total, page, per_page);
}

static void merge_person(struct fk_req *req)
{
    int64_t id, duplicate_id = 0;
    int has_duplicate;
    if (id_param_or_reply(req, FK_E_PERSON_ID_NOT_FOUND, &id) != 0 ||
        fk_json_int_or_reply(req, "duplicate_id", 1, 1, INT64_MAX, &has_duplicate, &duplicate_id) !=
            0)
        return;
    if (duplicate_id == id) {
        fk_reply_err(req, FK_E_PERSON_MERGE_SELF, "duplicate_id");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *detail = json_pack("{s:I}", "duplicate_id", (json_int_t)duplicate_id);
    struct fk_audit_entry audit = fk_audit_entry_of(req, "person_merge", "person", id, detail);
    const char *field = NULL;
    enum fk_err err = fk_residents_merge(db, id, duplicate_id, req->actor.prefix, &audit, &field);
    json_decref(detail);
    if (err == FK_ERR_NOT_FOUND)
        fk_reply_err(req, FK_E_PERSON_NOT_FOUND, field);
    else if (err == FK_ERR_CONFLICT)
        fk_reply_err(req, FK_E_PERSON_ALREADY_MERGED, field);
    else if (err != FK_OK)
        fk_reply_fail(req, err, field);
    else
        reply_person(req, db, FK_OK, id, 200);
}

/* --- households --- */

/* Saves household `id` (0: a new one) and replies it with `status`. */
static void save_household(struct fk_req *req, struct fk_conn *db, int64_t id, const char *region,
                           const char *address, int64_t head, unsigned status)
{
    struct fk_audit_entry audit =
        id == 0 ? fk_audit_entry_of(req, "household_create", "household", head, NULL)
                : fk_audit_entry_of(req, "household_update", "household", 0, NULL);
    const char *field = NULL;
    enum fk_err err = fk_residents_household_save(db, id, region, address, head, req->actor.prefix,
                                                  &audit, &id, &field);
    if (err == FK_ERR_NOT_FOUND)
        fk_reply_err(req, FK_E_HOUSEHOLD_HEAD_UNKNOWN, field);
    else if (err != FK_OK)
        fk_reply_fail(req, err, field);
    else
        reply_household(req, db, FK_OK, id, status);
}

/* The body of a household write: region (checked), address, head. */
struct household_body {
    const char *region_text, *address;
    int has_head;
    int64_t head;
    struct fk_region region;
};

static int household_body_or_reply(struct fk_req *req, int required, struct household_body *b)
{
    b->head = 0;
    return fk_json_str_or_reply(req, "region", required, 18, &b->region_text) != 0 ||
                   fk_json_str_or_reply(req, "address", required, FK_ADDRESS_MAX, &b->address) !=
                       0 ||
                   fk_json_int_or_reply(req, "head_person_id", 0, 1, INT64_MAX, &b->has_head,
                                        &b->head) != 0
               ? -1
               : 0;
}

static void create_household(struct fk_req *req)
{
    struct household_body b;
    if (household_body_or_reply(req, 1, &b) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || fk_region_in_reach_or_reply(req, db, b.region_text, &b.region) != 0)
        return;
    save_household(req, db, 0, b.region.code, b.address, b.head, 201);
}

static void list_households(struct fk_req *req)
{
    int64_t page, per_page;
    char scope[FK_REGION_CODE_LEN];
    if (fk_page_or_reply(req, &page, &per_page) != 0 || fk_scope_or_reply(req, scope) != 0)
        return;
    const char *q = fk_req_query(req, "q");
    if (q != NULL && (q[0] == '\0' || strlen(q) > 64))
        q = NULL;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err =
        fk_residents_households(db, scope, q, page, per_page, &total, append_household, items);
    audit_read(req, &err, "household_list", "household", 0, 0, json_pack("{s:s}", "region", scope));
    fk_reply_list(req, err, items, total, page, per_page);
}

static void get_household(struct fk_req *req)
{
    int64_t id;
    struct fk_conn *db = id_db_or_reply(req, FK_E_HOUSEHOLD_ID_NOT_FOUND, &id);
    if (db == NULL)
        return;
    json_t *household = NULL;
    enum fk_err err = household_json(req, db, id, 1, &household);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_HOUSEHOLD_NOT_FOUND, "id");
        return;
    }
    reply_read(req, err, household, "household_read", "household", id, 0);
}

static void patch_household(struct fk_req *req)
{
    int64_t id;
    if (id_param_or_reply(req, FK_E_HOUSEHOLD_ID_NOT_FOUND, &id) != 0)
        return;
    struct household_body b;
    if (household_body_or_reply(req, 0, &b) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_household current;
    enum fk_err err = fk_residents_household_load(db, id, req->actor.prefix, &current);
    if (fk_found_or_reply(req, err, NULL, FK_E_HOUSEHOLD_NOT_FOUND, "id") != 0)
        return;
    if (b.region_text != NULL &&
        fk_region_in_reach_or_reply(req, db, b.region_text, &b.region) != 0)
        return;
    if (!b.has_head)
        b.head = current.head_person_id;
    save_household(req, db, id, b.region_text ? b.region.code : current.region,
                   b.address ? b.address : current.address, b.head, 200);
}

static const struct fk_route routes[] = {
    {"GET", "/api/v1/persons/export", fk_residents_export_persons, 0, STAFF, "persons",
     "导出人员台账（format=xlsx|csv，region、category、from、until 筛选）", NULL},
    {"GET", "/api/v1/persons/duplicates", list_duplicates, 0, MERGERS, "persons",
     "疑似重复人员（同名、同出生日期、同手机号）", NULL},
    {"POST", "/api/v1/persons", create_person, 0, WRITERS, "persons",
     "登记人员：{id_number,name,phone,region,address,household_id,categories}", NULL},
    {"GET", "/api/v1/persons", list_persons, 0, STAFF, "persons",
     "人员列表与查询（q：身份证号、手机号、姓名前缀或地址）", NULL},
    {"GET", "/api/v1/persons/{id}", get_person, 0, STAFF, "persons", "人员详情（含同户成员）",
     NULL},
    {"PATCH", "/api/v1/persons/{id}", patch_person, 0, WRITERS, "persons",
     "修改人员：name、phone、region、address、household_id、categories", NULL},
    {"POST", "/api/v1/persons/{id}/merge", merge_person, 0, MERGERS, "persons",
     "合并重复记录：{duplicate_id}，保留历史", NULL},
    {"GET", "/api/v1/households/export", fk_residents_export_households, 0, STAFF, "households",
     "导出住户台账（format=xlsx|csv）", NULL},
    {"POST", "/api/v1/households", create_household, 0, WRITERS, "households",
     "新建住户：{region,address,head_person_id}", NULL},
    {"GET", "/api/v1/households", list_households, 0, STAFF, "households", "住户列表", NULL},
    {"GET", "/api/v1/households/{id}", get_household, 0, STAFF, "households", "住户详情（含成员）",
     NULL},
    {"PATCH", "/api/v1/households/{id}", patch_household, 0, WRITERS, "households",
     "修改住户：region、address、head_person_id", NULL},
};

enum fk_err fk_residents_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
