/* HTTP handlers for persons and households: parse, authorize, call the
 * registry, audit, reply. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/http.h"
#include "residents/residents.h"
#include "residents/residents_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER)
#define MERGERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER)
#define STAFF (~FK_ROLE_RESIDENT & 0xfffu)

static const char *const known_categories[] = {"returnee", "key_person", "staff",
                                               "student",  "elderly",    "disabled"};

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
        fk_reply_error(req, 422, "invalid_field", "类别应为数组", "categories");
        return -1;
    }
    unsigned chosen = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        size_t k = 0;
        for (; k < sizeof(known_categories) / sizeof(known_categories[0]); k++)
            if (json_is_string(item) && strcmp(json_string_value(item), known_categories[k]) == 0)
                break;
        if (k == sizeof(known_categories) / sizeof(known_categories[0])) {
            fk_reply_error(req, 422, "invalid_field", "未知的人员类别", "categories");
            return -1;
        }
        chosen |= 1u << k;
    }
    size_t used = 0;
    for (size_t k = 0; k < sizeof(known_categories) / sizeof(known_categories[0]); k++)
        if (chosen & (1u << k))
            used += (size_t)snprintf(out + used, out_size - used, "%s%s", used ? "," : "",
                                     known_categories[k]);
    *present = 1;
    return 0;
}

static int id_param_or_reply(struct fk_req *req, const char *code, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_error(req, 404, code, "记录不存在或不在管辖范围内", "id");
        return -1;
    }
    return 0;
}

static void reply_person_error(struct fk_req *req, const struct fk_person_error *why)
{
    json_t *body = json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "code", "invalid_field", "message",
                             why->message, "field", why->field, "reason", why->reason);
    fk_reply_json(req, 422, body);
}

static void audit_or_fail(struct fk_req *req, enum fk_err *err, const char *action,
                          const char *type, int64_t id, int64_t person_id, json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    if (*err == FK_OK)
        *err = fk_audit_req(req, action, type, id ? id_text : NULL, person_id, detail);
    json_decref(detail);
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
    if (err == FK_OK)
        err = fk_db_begin(db);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    err = fk_person_insert(db, &req->app->pii_key, &valid, now, &id, &existing);
    if (err == FK_OK && has_categories)
        err = fk_db_run(db, NULL, "UPDATE persons SET categories = ? WHERE id = ?", "ti",
                        categories, id);
    audit_or_fail(req, &err, "person_create", "person", id, id,
                  json_pack("{s:s}", "region", valid.region.code));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (err == FK_ERR_CONFLICT && existing == 0 &&
            fk_person_find_by_id_number(db, &req->app->pii_key, valid.id.number, &existing) !=
                FK_OK)
            existing = 0; /* registered by a concurrent request: still a 409 */
        if (err == FK_ERR_CONFLICT) {
            fk_reply_json(req, 409,
                          json_pack("{s:{s:s,s:s,s:s},s:I}", "error", "code", "already_registered",
                                    "message", "该身份证号已登记", "field", "id_number",
                                    "existing_id", (json_int_t)existing));
            return;
        }
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *person = NULL;
    err = fk_residents_load_person(req, db, id, &person);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 201, person);
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
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err = fk_residents_search(req, db, &query, page, per_page, &items, &total);
    audit_or_fail(req, &err, "person_list", "person", 0, 0,
                  json_pack("{s:s,s:s,s:I}", "region", scope, "match", query.match_kind, "total",
                            (json_int_t)total));
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void get_person(struct fk_req *req)
{
    int64_t id;
    if (id_param_or_reply(req, "person_not_found", &id) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *person = NULL;
    enum fk_err err = fk_residents_load_person(req, db, id, &person);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_error(req, 404, "person_not_found", "人员不存在或不在管辖范围内", "id");
        return;
    }
    if (err == FK_OK)
        err = fk_residents_attach_household(req, db, person);
    audit_or_fail(req, &err, "person_read", "person", id, id, NULL);
    if (err != FK_OK) {
        json_decref(person);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, person);
}

static void patch_person(struct fk_req *req)
{
    int64_t id;
    if (id_param_or_reply(req, "person_not_found", &id) != 0)
        return;
    if (json_object_get(req->json, "id_number") != NULL) {
        fk_reply_error(req, 422, "invalid_field",
                       "身份证号不能修改：请登记正确的身份证号后合并重复记录", "id_number");
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
    struct fk_person_current cur;
    enum fk_err err = fk_residents_load_current(req, db, id, &cur);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_error(req, 404, "person_not_found", "人员不存在或不在管辖范围内", "id");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    /* Validate the merged record as a whole, with the same rules as create. */
    json_t *phone_value = json_object_get(req->json, "phone");
    int clear_phone = phone_value != NULL && json_is_null(phone_value);
    struct fk_person_input in = {
        .id_number = cur.id_number,
        .name = name ? name : cur.name,
        .phone = clear_phone ? NULL : (phone ? phone : cur.phone),
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
    if (err == FK_OK)
        err = fk_db_begin(db);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    err = fk_residents_update(db, &req->app->pii_key, id, &valid,
                              has_categories ? categories : NULL, fk_now());
    audit_or_fail(req, &err, "person_update", "person", id, id,
                  json_pack("{s:b,s:b,s:b,s:b,s:b,s:b}", "name", name != NULL, "phone",
                            phone != NULL || clear_phone, "region", region != NULL, "address",
                            address != NULL, "household_id", has_household || clear_household,
                            "categories", has_categories));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *person = NULL;
    if ((err = fk_residents_load_person(req, db, id, &person)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, person);
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
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err = fk_residents_duplicates(req, db, scope, page, per_page, &items, &total);
    audit_or_fail(req, &err, "person_list", "person", 0, 0,
                  json_pack("{s:s,s:s}", "region", scope, "match", "duplicates"));
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void merge_person(struct fk_req *req)
{
    int64_t id, duplicate_id = 0;
    int has_duplicate;
    if (id_param_or_reply(req, "person_not_found", &id) != 0 ||
        fk_json_int_or_reply(req, "duplicate_id", 1, 1, INT64_MAX, &has_duplicate, &duplicate_id) !=
            0)
        return;
    if (duplicate_id == id) {
        fk_reply_error(req, 422, "invalid_field", "不能与自己合并", "duplicate_id");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    enum fk_err err = fk_db_begin(db);
    const char *field = NULL;
    if (err == FK_OK)
        err = fk_residents_merge(req, db, id, duplicate_id, &field);
    audit_or_fail(req, &err, "person_merge", "person", id, id,
                  json_pack("{s:I}", "duplicate_id", (json_int_t)duplicate_id));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (err == FK_ERR_NOT_FOUND)
            fk_reply_error(req, 404, "person_not_found", "人员不存在或不在管辖范围内", field);
        else if (err == FK_ERR_CONFLICT)
            fk_reply_error(req, 409, "already_merged", "该记录已被合并", field);
        else
            fk_reply_fail(req, err, field);
        return;
    }
    json_t *person = NULL;
    if ((err = fk_residents_load_person(req, db, id, &person)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, person);
}

/* --- households --- */

static int household_region_or_reply(struct fk_req *req, struct fk_conn *db, const char *text,
                                     struct fk_region *out)
{
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(text, code, prefix, &reason) != FK_OK) {
        fk_reply_error(req, 422, "invalid_field", "区划代码格式错误", "region");
        return -1;
    }
    enum fk_err err = fk_region_get(db, code, out);
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, out->prefix))) {
        fk_reply_error(req, 422, "invalid_field", "区划不存在或不在管辖范围内", "region");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

static void create_household(struct fk_req *req)
{
    const char *region_text, *address;
    int has_head;
    int64_t head = 0;
    if (fk_json_str_or_reply(req, "region", 1, 18, &region_text) != 0 ||
        fk_json_str_or_reply(req, "address", 1, FK_ADDRESS_MAX, &address) != 0 ||
        fk_json_int_or_reply(req, "head_person_id", 0, 1, INT64_MAX, &has_head, &head) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_region region;
    if (household_region_or_reply(req, db, region_text, &region) != 0)
        return;
    enum fk_err err = fk_db_begin(db);
    int64_t id = 0;
    const char *field = NULL;
    if (err == FK_OK)
        err = fk_residents_household_save(req, db, 0, region.code, address, head, &id, &field);
    audit_or_fail(req, &err, "household_create", "household", id, head, NULL);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (err == FK_ERR_NOT_FOUND)
            fk_reply_error(req, 422, "invalid_field", "户主不存在或不在管辖范围内", field);
        else
            fk_reply_fail(req, err, field);
        return;
    }
    json_t *household = NULL;
    if ((err = fk_residents_load_household(req, db, id, &household)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 201, household);
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
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err = fk_residents_households(req, db, scope, q, page, per_page, &items, &total);
    audit_or_fail(req, &err, "household_list", "household", 0, 0,
                  json_pack("{s:s}", "region", scope));
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

static void get_household(struct fk_req *req)
{
    int64_t id;
    if (id_param_or_reply(req, "household_not_found", &id) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *household = NULL;
    enum fk_err err = fk_residents_load_household(req, db, id, &household);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_error(req, 404, "household_not_found", "户不存在或不在管辖范围内", "id");
        return;
    }
    if (err == FK_OK)
        err = fk_residents_attach_members(req, db, household, id);
    audit_or_fail(req, &err, "household_read", "household", id, 0, NULL);
    if (err != FK_OK) {
        json_decref(household);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, household);
}

static void patch_household(struct fk_req *req)
{
    int64_t id;
    if (id_param_or_reply(req, "household_not_found", &id) != 0)
        return;
    const char *region_text, *address;
    int has_head;
    int64_t head = 0;
    if (fk_json_str_or_reply(req, "region", 0, 18, &region_text) != 0 ||
        fk_json_str_or_reply(req, "address", 0, FK_ADDRESS_MAX, &address) != 0 ||
        fk_json_int_or_reply(req, "head_person_id", 0, 1, INT64_MAX, &has_head, &head) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *current = NULL;
    enum fk_err err = fk_residents_load_household(req, db, id, &current);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_error(req, 404, "household_not_found", "户不存在或不在管辖范围内", "id");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    struct fk_region region;
    if (region_text != NULL && household_region_or_reply(req, db, region_text, &region) != 0) {
        json_decref(current);
        return;
    }
    char region_code[FK_REGION_CODE_LEN], address_now[FK_ADDRESS_MAX + 1];
    snprintf(region_code, sizeof(region_code), "%s",
             region_text ? region.code : json_string_value(json_object_get(current, "region")));
    snprintf(address_now, sizeof(address_now), "%s",
             address ? address : json_string_value(json_object_get(current, "address")));
    json_t *head_now = json_object_get(current, "head_person_id");
    if (!has_head && json_is_integer(head_now))
        head = json_integer_value(head_now);
    json_decref(current);
    const char *field = NULL;
    err = fk_db_begin(db);
    if (err == FK_OK)
        err =
            fk_residents_household_save(req, db, id, region_code, address_now, head, NULL, &field);
    audit_or_fail(req, &err, "household_update", "household", id, 0, NULL);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        if (err == FK_ERR_NOT_FOUND)
            fk_reply_error(req, 422, "invalid_field", "户主不存在或不在管辖范围内", field);
        else
            fk_reply_fail(req, err, field);
        return;
    }
    json_t *household = NULL;
    if ((err = fk_residents_load_household(req, db, id, &household)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, household);
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
