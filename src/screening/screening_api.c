/* HTTP handlers for door-knock screening: parse, authorize, call the rules
 * and queries, audit, reply. Campaigns are visible where their region and the
 * caller's jurisdiction overlap; everything personal is limited to the
 * narrower of the two (fk_campaign_scope), and for a grid worker to the
 * compounds and buildings assigned to them. */
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/handler.h"
#include "residents/residents.h"
#include "screening/screening_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANAGERS (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER)
#define SCREENERS (MANAGERS | FK_ROLE_COMMUNITY_WORKER)

/* Visits may be dated up to this far ahead of the server clock (phones). */
#define CLOCK_SKEW 300

/* A string member of `object` (a nested object of the body): like
 * fk_json_str_or_reply, with the error naming `field` (e.g. "arrivals[0].name"). */
static int member_str_or_reply(struct fk_req *req, json_t *object, const char *name,
                               const char *field, int required, size_t max_len, const char **out)
{
    json_t *value = json_object_get(object, name);
    *out = NULL;
    if (value == NULL || json_is_null(value))
        return required ? fk_reply_missing(req, field) : 0;
    if (!json_is_string(value))
        return fk_reply_invalid(req, field, "字段类型应为字符串");
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (strlen(text) != len)
        return fk_reply_invalid(req, field, "字段含有非法字符");
    if (len == 0)
        return required ? fk_reply_missing(req, field) : 0;
    if (len > max_len)
        return fk_reply_invalid(req, field, "字段过长");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return fk_reply_invalid(req, field, "字段含有控制字符");
    if (text[0] == ' ' || text[len - 1] == ' ')
        return fk_reply_invalid(req, field, "字段首尾不能有空格");
    *out = text;
    return 0;
}

int fk_screening_campaign_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_campaign *c)
{
    int64_t id;
    memset(c, 0, sizeof(*c));
    enum fk_err err = fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &id);
    if (err == FK_OK)
        err = fk_campaign_load(db, req->actor.prefix, id, c);
    if (err == FK_ERR_NOT_FOUND || err == FK_ERR_INVALID) {
        fk_reply_err(req, FK_E_CAMPAIGN_NOT_FOUND, "id");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

int fk_screening_scope_or_reply(struct fk_req *req, const struct fk_campaign *c,
                                char scope[FK_REGION_CODE_LEN])
{
    fk_campaign_scope(req->actor.prefix, c, scope);
    const char *region = fk_req_query(req, "region");
    if (region == NULL || region[0] == '\0')
        return 0;
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (strlen(region) > 18 || fk_region_normalize(region, code, prefix, &reason) != FK_OK) {
        fk_reply_err(req, FK_E_REGION_FORMAT, "region");
        return -1;
    }
    size_t ls = strlen(scope), lp = strlen(prefix);
    if (strncmp(scope, prefix, ls < lp ? ls : lp) != 0) {
        fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
        return -1;
    }
    if (lp > ls)
        snprintf(scope, FK_REGION_CODE_LEN, "%s", prefix);
    return 0;
}

int fk_screening_work_scope_or_reply(struct fk_req *req, struct fk_conn *db, int64_t *campaign_id,
                                     char scope[FK_REGION_CODE_LEN], int64_t *worker)
{
    struct fk_campaign c;
    if (fk_screening_campaign_or_reply(req, db, &c) != 0)
        return -1;
    *campaign_id = c.id;
    int rc = fk_screening_scope_or_reply(req, &c, scope);
    fk_campaign_clear(&c);
    /* A grid worker's lists and ledgers are their own grid. */
    *worker = (req->actor.role & FK_ROLE_COMMUNITY_WORKER) ? req->actor.user_id : 0;
    return rc;
}

int fk_screening_outcome_or_reply(struct fk_req *req, const char **outcome)
{
    *outcome = fk_req_query(req, "outcome");
    if (*outcome != NULL && (*outcome)[0] == '\0')
        *outcome = NULL;
    if (*outcome != NULL && strcmp(*outcome, "not_visited") != 0 &&
        strcmp(*outcome, "nobody_home") != 0 && strcmp(*outcome, "refused") != 0)
        return fk_reply_invalid(req, "outcome", "outcome 应为 not_visited、nobody_home 或 refused");
    return 0;
}

/* Replies with a page of a campaign's list (`err` its status), audited as
 * `action` when `action` is not NULL. `items` is consumed. */
static void reply_page(struct fk_req *req, enum fk_err err, json_t *items, int64_t total,
                       int64_t page, int64_t per_page, const char *action, int64_t campaign_id,
                       const char *scope)
{
    if (action != NULL)
        fk_req_audit(req, &err, action, "screening_campaign", campaign_id, 0,
                     json_pack("{s:s,s:I}", "region", scope, "total", (json_int_t)total));
    fk_reply_list(req, err, items, total, page, per_page);
}

/* ?page=&per_page= (and ?outcome= when `outcome` is not NULL), then the
 * campaign and the caller's scope in it, for a list. -1 after replying. */
static int list_or_reply(struct fk_req *req, struct fk_conn **db, int64_t *page, int64_t *per_page,
                         const char **outcome, int64_t *campaign_id, char scope[FK_REGION_CODE_LEN],
                         int64_t *worker)
{
    if (fk_page_or_reply(req, page, per_page) != 0 ||
        (outcome != NULL && fk_screening_outcome_or_reply(req, outcome) != 0))
        return -1;
    *db = fk_req_db(req);
    if (*db == NULL)
        return -1;
    return fk_screening_work_scope_or_reply(req, *db, campaign_id, scope, worker);
}

/* --- campaigns --- */

/* Reads "areas_of_concern" into a normalized array [{"code","name"}] (new
 * reference in *out; NULL when absent). -1 after replying 422. */
static int areas_or_reply(struct fk_req *req, const char *campaign_region, json_t **out)
{
    json_t *list = json_object_get(req->json, "areas_of_concern");
    *out = NULL;
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return fk_reply_invalid(req, "areas_of_concern", "关注地区应为数组");
    if (json_array_size(list) > FK_SCREENING_MAX_AREAS)
        return fk_reply_invalid(req, "areas_of_concern", "关注地区过多");
    json_t *areas = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        char field[64];
        snprintf(field, sizeof(field), "areas_of_concern[%zu]", i);
        if (!json_is_object(item)) {
            json_decref(areas);
            return fk_reply_invalid(req, field, "关注地区应为 {code, name}");
        }
        const char *code, *name;
        snprintf(field, sizeof(field), "areas_of_concern[%zu].code", i);
        if (member_str_or_reply(req, item, "code", field, 1, 6, &code) != 0) {
            json_decref(areas);
            return -1;
        }
        const char *why = fk_screening_area_code_check(code);
        if (why == NULL && strncmp(campaign_region, code, strlen(code)) == 0)
            why = "关注地区不能包含本次排查的区域（外省请用 other_provinces）";
        size_t k;
        json_t *seen;
        json_array_foreach(areas, k, seen)
        {
            const char *other = json_string_value(json_object_get(seen, "code"));
            size_t la = strlen(other), lb = strlen(code);
            if (why == NULL && strncmp(other, code, la < lb ? la : lb) == 0)
                why = "关注地区重复或相互包含";
        }
        if (why != NULL) {
            json_decref(areas);
            return fk_reply_invalid(req, field, why);
        }
        snprintf(field, sizeof(field), "areas_of_concern[%zu].name", i);
        if (member_str_or_reply(req, item, "name", field, 1, FK_SCREENING_NAME_MAX, &name) != 0) {
            json_decref(areas);
            return -1;
        }
        json_array_append_new(areas, json_pack("{s:s,s:s}", "code", code, "name", name));
    }
    *out = areas;
    return 0;
}

/* Reads name, dates, areas and flag over `c` (create: all required but the
 * areas and the flag). -1 after replying. */
static int campaign_fields_or_reply(struct fk_req *req, struct fk_campaign *c, int create)
{
    const char *name, *starts, *ends;
    int has_flag, flag;
    if (fk_json_str_or_reply(req, "name", create, FK_SCREENING_NAME_MAX, &name) != 0 ||
        fk_json_str_or_reply(req, "starts_on", create, 10, &starts) != 0 ||
        fk_json_str_or_reply(req, "ends_on", create, 10, &ends) != 0 ||
        fk_json_bool_or_reply(req, "other_provinces", &has_flag, &flag) != 0)
        return -1;
    int64_t start_day, end_day;
    if (starts != NULL && !fk_screening_date(starts, &start_day))
        return fk_reply_invalid(req, "starts_on", "日期格式应为 YYYY-MM-DD");
    if (ends != NULL && !fk_screening_date(ends, &end_day))
        return fk_reply_invalid(req, "ends_on", "日期格式应为 YYYY-MM-DD");
    if (name != NULL) {
        for (const char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return fk_reply_invalid(req, "name", "名称含有控制字符");
        snprintf(c->name, sizeof(c->name), "%s", name);
    }
    if (starts != NULL)
        snprintf(c->starts_on, sizeof(c->starts_on), "%s", starts);
    if (ends != NULL)
        snprintf(c->ends_on, sizeof(c->ends_on), "%s", ends);
    if (strcmp(c->ends_on, c->starts_on) < 0)
        return fk_reply_invalid(req, ends ? "ends_on" : "starts_on", "结束日期不能早于开始日期");
    if (has_flag)
        c->other_provinces = flag;
    json_t *areas;
    if (areas_or_reply(req, c->region, &areas) != 0)
        return -1;
    if (areas != NULL) {
        json_decref(c->areas);
        c->areas = areas;
    }
    if (c->areas == NULL)
        c->areas = json_array();
    return 0;
}

/* After a create or update with status `err`: clears c and replies with the
 * campaign as stored (`status`) or the failure. */
static void reply_campaign(struct fk_req *req, struct fk_conn *db, enum fk_err err,
                           struct fk_campaign *c, unsigned status, int64_t now)
{
    int64_t id = c->id;
    fk_campaign_clear(c);
    if (err == FK_OK)
        err = fk_campaign_load(db, req->actor.prefix, id, c);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, status, fk_campaign_json(c, now));
    fk_campaign_clear(c);
}

static void create_campaign(struct fk_req *req)
{
    struct fk_campaign c = {0};
    const char *region_text;
    if (fk_json_str_or_reply(req, "region", 1, 18, &region_text) != 0)
        return;
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(region_text, code, prefix, &reason) != FK_OK) {
        fk_reply_err(req, FK_E_REGION_FORMAT, "region");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_region region;
    enum fk_err err = fk_region_get(db, code, &region);
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, region.prefix))) {
        fk_reply_invalid(req, "region", "区划不存在或不在管辖范围内");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    snprintf(c.region, sizeof(c.region), "%s", region.code);
    snprintf(c.prefix, sizeof(c.prefix), "%s", region.prefix);
    if (campaign_fields_or_reply(req, &c, 1) != 0) {
        fk_campaign_clear(&c);
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t now = fk_now();
    err = fk_campaign_create(db, &who, &c, now);
    reply_campaign(req, db, err, &c, 201, now);
}

static void list_campaigns(struct fk_req *req)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err = fk_campaign_list(db, req->actor.prefix, page, per_page, &items, &total);
    fk_reply_list(req, err, items, total, page, per_page);
}

static void get_campaign(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_campaign c;
    if (db == NULL || fk_screening_campaign_or_reply(req, db, &c) != 0)
        return;
    fk_reply_json(req, 200, fk_campaign_json(&c, fk_now()));
    fk_campaign_clear(&c);
}

static void patch_campaign(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_campaign c;
    if (db == NULL || fk_screening_campaign_or_reply(req, db, &c) != 0)
        return;
    if (!fk_req_covers(req, c.prefix)) {
        fk_reply_err(req, FK_E_CAMPAIGN_FORBIDDEN, NULL);
        fk_campaign_clear(&c);
        return;
    }
    if (json_object_get(req->json, "region") != NULL) {
        fk_reply_invalid(req, "region", "排查区域不能修改：网格和走访记录依赖它");
        fk_campaign_clear(&c);
        return;
    }
    if (campaign_fields_or_reply(req, &c, 0) != 0) {
        fk_campaign_clear(&c);
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t now = fk_now();
    enum fk_err err = fk_campaign_update(db, &who, &c, now);
    reply_campaign(req, db, err, &c, 200, now);
}

/* --- grids --- */

/* 409 region_assigned naming `field`, with the worker who holds it. */
static void reply_assigned(struct fk_req *req, const char *field, int64_t other_user)
{
    fk_reply_err_ex(req, FK_E_REGION_ASSIGNED, field, NULL, NULL,
                    json_pack("{s:I}", "assigned_to", (json_int_t)other_user));
}

static void put_grid(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_campaign c;
    if (db == NULL || fk_screening_campaign_or_reply(req, db, &c) != 0)
        return;
    int64_t user_id;
    struct fk_grid_worker worker = {0};
    enum fk_err err = FK_OK;
    if (fk_parse_int64(fk_req_param(req, "user_id"), 1, INT64_MAX, &user_id) == FK_OK)
        err = fk_grid_worker(db, user_id, &worker);
    if (err != FK_OK) {
        fk_campaign_clear(&c);
        fk_reply_fail(req, err, NULL);
        return;
    }
    const char *worker_prefix = worker.prefix;
    if (!worker.found || !fk_req_covers(req, worker_prefix)) {
        fk_campaign_clear(&c);
        fk_reply_err(req, FK_E_SCREENING_USER_NOT_FOUND, "user_id");
        return;
    }
    if (strcmp(worker.role, "community_worker") != 0 || worker.disabled) {
        fk_campaign_clear(&c);
        fk_reply_invalid(req, "user_id", "只能为在岗的网格员（community_worker）分配网格");
        return;
    }
    json_t *list = json_object_get(req->json, "regions");
    if (list == NULL || json_is_null(list)) {
        fk_campaign_clear(&c);
        fk_reply_missing(req, "regions");
        return;
    }
    if (!json_is_array(list) || json_array_size(list) > FK_SCREENING_MAX_GRID_REGIONS) {
        fk_campaign_clear(&c);
        fk_reply_invalid(req, "regions", "regions 应为小区或楼栋代码数组（最多 200 个）");
        return;
    }
    size_t n = json_array_size(list);
    char(*codes)[FK_REGION_CODE_LEN] = calloc(n ? n : 1, FK_REGION_CODE_LEN);
    const char **code_list = calloc(n ? n : 1, sizeof(*code_list));
    char field[32];
    const char *why = NULL;
    int status = 422;
    int64_t other_user = 0;
    if (codes == NULL || code_list == NULL)
        err = FK_ERR_NOMEM;
    for (size_t i = 0; i < n && err == FK_OK && why == NULL; i++) {
        snprintf(field, sizeof(field), "regions[%zu]", i);
        json_t *item = json_array_get(list, i);
        const char *text = json_string_value(item);
        char prefix[FK_REGION_CODE_LEN];
        const char *reason;
        struct fk_region region;
        if (text == NULL || strlen(text) > 18 ||
            fk_region_normalize(text, codes[i], prefix, &reason) != FK_OK) {
            why = "区划代码格式错误";
            break;
        }
        err = fk_region_get(db, codes[i], &region);
        if (err == FK_ERR_NOT_FOUND) {
            err = FK_OK;
            why = "区划不存在";
            break;
        }
        if (err != FK_OK)
            break;
        if (region.level != 4 && region.level != 5)
            why = "网格只能由小区或楼栋组成";
        else if (strncmp(region.prefix, c.prefix, strlen(c.prefix)) != 0)
            why = "不在本次排查的区域内";
        else if (!fk_req_covers(req, region.prefix) ||
                 strncmp(region.prefix, worker_prefix, strlen(worker_prefix)) != 0)
            why = "不在管辖范围或该网格员所属区划内";
        for (size_t k = 0; k < i && why == NULL; k++) {
            size_t la = strlen(codes[k]), lb = strlen(codes[i]);
            if (strncmp(codes[k], codes[i], la < lb ? la : lb) == 0)
                why = "区划重复或相互包含";
        }
        code_list[i] = codes[i];
        char other_region[FK_REGION_CODE_LEN];
        if (why == NULL)
            err = fk_grid_overlap(db, c.id, user_id, codes[i], &other_user, other_region);
        if (err == FK_OK && why == NULL && other_user != 0) {
            why = "该区域已分配给其他网格员";
            status = 409;
        }
    }
    if (err != FK_OK || why != NULL) {
        free(codes);
        free(code_list);
        fk_campaign_clear(&c);
        if (err != FK_OK)
            fk_reply_fail(req, err, NULL);
        else if (status == 409)
            reply_assigned(req, field, other_user);
        else
            fk_reply_invalid(req, field, why);
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    size_t at = 0;
    err = fk_grid_assign(db, &who, c.id, user_id, code_list, n, fk_now(), &other_user, &at);
    free(codes);
    free(code_list);
    if (err == FK_OK && other_user != 0) {
        fk_campaign_clear(&c);
        snprintf(field, sizeof(field), "regions[%zu]", at);
        reply_assigned(req, field, other_user);
        return;
    }
    if (err != FK_OK) {
        fk_campaign_clear(&c);
        /* Two officers assigning the same compound at once: one loses. */
        if (err == FK_ERR_CONFLICT)
            fk_reply_err(req, FK_E_REGION_ASSIGNED, "regions");
        else
            fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *grid = NULL;
    err = fk_grid_json(db, c.id, user_id, &grid);
    fk_campaign_clear(&c);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, grid);
}

static void list_grids(struct fk_req *req)
{
    int64_t page, per_page, campaign_id, worker;
    char scope[FK_REGION_CODE_LEN];
    struct fk_conn *db;
    if (list_or_reply(req, &db, &page, &per_page, NULL, &campaign_id, scope, &worker) != 0)
        return;
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err = fk_grid_list(db, campaign_id, scope, page, per_page, &items, &total);
    reply_page(req, err, items, total, page, per_page, NULL, campaign_id, scope);
}

/* --- visits --- */

static int key_or_reply(struct fk_req *req, const char **key)
{
    if (fk_json_str_or_reply(req, "idempotency_key", 1, FK_SCREENING_KEY_MAX, key) != 0)
        return -1;
    for (const char *p = *key; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return fk_reply_invalid(req, "idempotency_key", "幂等键只能包含可见 ASCII 字符");
    return 0;
}

static void reply_visit(struct fk_req *req, struct fk_conn *db, unsigned status, int64_t visit_id)
{
    json_t *visit = NULL;
    struct fk_caller who;
    fk_caller_of(req, &who);
    enum fk_err err = fk_visit_json(db, &who, visit_id, &visit);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, status, visit);
}

/* A retry with a key already used: the first answer (200), or 409 if the key
 * was used for another campaign. -1 when the key is new. */
static int replay_or_continue(struct fk_req *req, struct fk_conn *db, int64_t campaign_id,
                              const char *key)
{
    int64_t visit_id, other_campaign;
    enum fk_err err = fk_visit_by_key(db, req->actor.user_id, key, &visit_id, &other_campaign);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return 0;
    }
    if (visit_id == 0)
        return -1;
    if (other_campaign != campaign_id) {
        fk_reply_err(req, FK_E_IDEMPOTENCY_KEY_REUSED, "idempotency_key");
        return 0;
    }
    fk_req_audit(req, &err, "screening_visit_replay", "screening_visit", 0, 0,
                 json_pack("{s:I}", "visit_id", (json_int_t)visit_id));
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return 0;
    }
    reply_visit(req, db, 200, visit_id);
    return 0;
}

/* Validates "arrivals" fully (lookups included) before anything is written:
 * on PostgreSQL a failed statement would abort the transaction. */
static int arrivals_or_reply(struct fk_req *req, struct fk_conn *db, const struct fk_campaign *c,
                             const struct fk_visit_input *in, struct fk_visit_arrival_in *out,
                             size_t *count)
{
    json_t *list = json_object_get(req->json, "arrivals");
    *count = 0;
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > FK_SCREENING_MAX_ARRIVALS)
        return fk_reply_invalid(req, "arrivals", "arrivals 应为数组（最多 20 人）");
    if (json_array_size(list) > 0 && in->outcome != FK_VISIT_REACHED)
        return fk_reply_invalid(req, "arrivals", "未入户时不能登记新到人员");
    int64_t now = fk_now(), today;
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    today = fk_days_from_civil(y, (unsigned)m, (unsigned)d);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        char field[64];
        struct fk_visit_arrival_in *v = &out[i];
        memset(v, 0, sizeof(*v));
        snprintf(field, sizeof(field), "arrivals[%zu]", i);
        if (!json_is_object(item))
            return fk_reply_invalid(req, field, "新到人员应为对象");
        static const char *const names[] = {"id_number",   "name",        "phone",
                                            "origin_code", "origin_name", "arrived_on"};
        const char **targets[] = {&v->a.id_number,   &v->a.name,        &v->a.phone,
                                  &v->a.origin_code, &v->a.origin_name, &v->a.arrived_on};
        const size_t caps[] = {32, FK_NAME_MAX, 16, 6, FK_SCREENING_NAME_MAX, 10};
        for (size_t k = 0; k < 6; k++) {
            snprintf(field, sizeof(field), "arrivals[%zu].%s", i, names[k]);
            if (member_str_or_reply(req, item, names[k], field, k != 2, caps[k], targets[k]) != 0)
                return -1;
        }
        const char *why = fk_screening_area_code_check(v->a.origin_code);
        if (why != NULL) {
            snprintf(field, sizeof(field), "arrivals[%zu].origin_code", i);
            return fk_reply_invalid(req, field, why);
        }
        int64_t day;
        snprintf(field, sizeof(field), "arrivals[%zu].arrived_on", i);
        if (!fk_screening_date(v->a.arrived_on, &day))
            return fk_reply_invalid(req, field, "日期格式应为 YYYY-MM-DD");
        if (day > today)
            return fk_reply_invalid(req, field, "到达日期不能晚于今天");
        struct fk_person_input person = {
            .id_number = v->a.id_number,
            .name = v->a.name,
            .phone = v->a.phone,
            .region = in->region,
            .household_id = in->household_id,
        };
        struct fk_person_error error;
        enum fk_err err =
            fk_person_validate(db, &person, req->actor.prefix, now, &v->person, &error);
        if (err == FK_ERR_INVALID) {
            snprintf(field, sizeof(field), "arrivals[%zu].%s", i, error.field);
            fk_reply_err_ex(req, FK_E_INVALID_FIELD_MSG, field, error.message,
                            json_pack("{s:s}", "reason", error.reason), NULL);
            return -1;
        }
        if (err == FK_OK)
            err = fk_person_find_by_id_number(db, &req->app->pii_key, v->person.id.number,
                                              &v->existing);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(out[k].person.id.number, v->person.id.number) == 0) {
                snprintf(field, sizeof(field), "arrivals[%zu].id_number", i);
                return fk_reply_invalid(req, field, "同一身份证号重复登记");
            }
        v->a.concern =
            fk_screening_concern(c->areas, c->other_provinces, c->region, v->a.origin_code);
        (*count)++;
    }
    return 0;
}

static int members_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_visit_input *in)
{
    json_t *list = json_object_get(req->json, "members_present");
    in->members = NULL;
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > FK_SCREENING_MAX_MEMBERS)
        return fk_reply_invalid(req, "members_present", "members_present 应为人员编号数组");
    if (json_array_size(list) > 0 && in->outcome != FK_VISIT_REACHED)
        return fk_reply_invalid(req, "members_present", "未入户时不能登记在家成员");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        char field[48];
        snprintf(field, sizeof(field), "members_present[%zu]", i);
        if (!json_is_integer(item) || json_integer_value(item) < 1)
            return fk_reply_invalid(req, field, "人员编号应为正整数");
        for (size_t k = 0; k < i; k++)
            if (json_integer_value(json_array_get(list, k)) == json_integer_value(item))
                return fk_reply_invalid(req, field, "人员重复");
        int member = 0;
        enum fk_err err =
            fk_visit_is_member(db, in->household_id, json_integer_value(item), &member);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return -1;
        }
        if (!member)
            return fk_reply_invalid(req, field, "该人员不是本户成员");
    }
    in->members = list;
    return 0;
}

static int symptoms_or_reply(struct fk_req *req, struct fk_visit_input *in)
{
    json_t *list = json_object_get(req->json, "symptoms");
    in->symptoms = 0;
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > 16)
        return fk_reply_invalid(req, "symptoms", "symptoms 应为症状名称数组");
    if (json_array_size(list) > 0 && in->outcome != FK_VISIT_REACHED)
        return fk_reply_invalid(req, "symptoms", "未入户时不能登记症状");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        unsigned bit = fk_symptom_bit(json_string_value(item));
        if (bit == 0) {
            char field[32];
            snprintf(field, sizeof(field), "symptoms[%zu]", i);
            return fk_reply_invalid(req, field,
                                    "未知症状（fever、cough、sore_throat、fatigue、loss_of_smell、"
                                    "runny_nose、diarrhea、muscle_pain、shortness_of_breath、"
                                    "conjunctivitis）");
        }
        in->symptoms |= bit;
    }
    return 0;
}

static void create_visit(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_campaign c;
    if (db == NULL || fk_screening_campaign_or_reply(req, db, &c) != 0)
        return;
    struct fk_visit_input in = {.campaign_id = c.id};
    struct fk_visit_arrival_in *arrivals = NULL;
    size_t n_arrivals = 0;
    const char *outcome_text;
    int has_household;
    if (key_or_reply(req, &in.idempotency_key) != 0 ||
        replay_or_continue(req, db, c.id, in.idempotency_key) != -1)
        goto done;
    if (fk_json_int_or_reply(req, "household_id", 1, 1, INT64_MAX, &has_household,
                             &in.household_id) != 0 ||
        fk_json_str_or_reply(req, "outcome", 1, 16, &outcome_text) != 0)
        goto done;
    in.outcome = fk_visit_outcome_from_name(outcome_text);
    if (in.outcome == 0) {
        fk_reply_invalid(req, "outcome", "outcome 应为 reached、nobody_home 或 refused");
        goto done;
    }
    if (fk_json_str_or_reply(req, "note", 0, FK_SCREENING_NOTE_MAX, &in.note) != 0)
        goto done;
    int64_t now = fk_now();
    in.visited_at = now;
    const char *visited_text;
    if (fk_json_str_or_reply(req, "visited_at", 0, 40, &visited_text) != 0)
        goto done;
    if (visited_text != NULL && fk_time_parse(visited_text, &in.visited_at) != FK_OK) {
        fk_reply_err(req, FK_E_TIME_FORMAT, "visited_at");
        goto done;
    }
    int64_t starts, ends;
    if (fk_time_parse(c.starts_on, &starts) != FK_OK || fk_time_parse(c.ends_on, &ends) != FK_OK) {
        fk_reply_fail(req, FK_ERR_INTERNAL, NULL);
        goto done;
    }
    if (in.visited_at > now + CLOCK_SKEW || in.visited_at < starts ||
        in.visited_at >= ends + 86400) {
        fk_reply_invalid(req, "visited_at", "走访时间应在排查行动期间且不晚于现在");
        goto done;
    }
    /* The household: in the campaign and the caller's jurisdiction, and for a
     * grid worker in their grid. Anything else is "not found". */
    int found = 0, covers = 1;
    enum fk_err err = fk_visit_household(db, in.household_id, in.region, &found);
    char scope[FK_REGION_CODE_LEN];
    fk_campaign_scope(req->actor.prefix, &c, scope);
    if (err == FK_OK && found && (req->actor.role & FK_ROLE_COMMUNITY_WORKER))
        err = fk_grid_covers(db, c.id, req->actor.user_id, in.region, &covers);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    if (!found || strncmp(in.region, scope, strlen(scope)) != 0 || !covers) {
        fk_reply_err(req, FK_E_HOUSEHOLD_NOT_IN_GRID, "household_id");
        goto done;
    }
    if (members_or_reply(req, db, &in) != 0 || symptoms_or_reply(req, &in) != 0)
        goto done;
    arrivals = calloc(FK_SCREENING_MAX_ARRIVALS, sizeof(*arrivals));
    if (arrivals == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        goto done;
    }
    if (arrivals_or_reply(req, db, &c, &in, arrivals, &n_arrivals) != 0)
        goto done;

    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t visit_id = 0;
    int visit_conflict = 0;
    err = fk_visit_record(db, &who, &in, arrivals, n_arrivals, outcome_text, now, &visit_id,
                          &visit_conflict);
    if (err != FK_OK) {
        /* The same key from a concurrent retry won the race: answer its result. */
        if (visit_conflict && replay_or_continue(req, db, c.id, in.idempotency_key) != -1)
            goto done;
        if (err == FK_ERR_CONFLICT)
            fk_reply_err(req, FK_E_CONFLICT_RETRY, NULL);
        else
            fk_reply_fail(req, err, NULL);
        goto done;
    }
    reply_visit(req, db, 201, visit_id);
done:
    free(arrivals);
    fk_campaign_clear(&c);
}

/* --- progress, pending, flags --- */

static void get_progress(struct fk_req *req)
{
    const char *level_text = fk_req_query(req, "level");
    enum fk_progress_level level = FK_PROGRESS_TOWNSHIP;
    if (level_text != NULL && level_text[0] != '\0') {
        static const struct {
            const char *name;
            enum fk_progress_level level;
        } levels[] = {{"grid", FK_PROGRESS_GRID},
                      {"compound", FK_PROGRESS_COMPOUND},
                      {"community", FK_PROGRESS_COMMUNITY},
                      {"township", FK_PROGRESS_TOWNSHIP}};
        size_t k = 0;
        while (k < 4 && strcmp(levels[k].name, level_text) != 0)
            k++;
        if (k == 4) {
            fk_reply_invalid(req, "level", "level 应为 grid、compound、community 或 township");
            return;
        }
        level = levels[k].level;
    }
    struct fk_conn *db = fk_req_db(req);
    struct fk_campaign c;
    if (db == NULL || fk_screening_campaign_or_reply(req, db, &c) != 0)
        return;
    char scope[FK_REGION_CODE_LEN];
    if (fk_screening_scope_or_reply(req, &c, scope) != 0) {
        fk_campaign_clear(&c);
        return;
    }
    json_t *rows = NULL, *totals = NULL;
    enum fk_err err = fk_progress(db, &c, scope, level, &rows, &totals);
    int64_t id = c.id;
    fk_campaign_clear(&c);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200,
                  json_pack("{s:I,s:s,s:s,s:o,s:o}", "campaign_id", (json_int_t)id, "level",
                            level_text && level_text[0] ? level_text : "township", "region", scope,
                            "rows", rows, "totals", totals));
}

static void get_pending(struct fk_req *req)
{
    int64_t page, per_page, campaign_id, worker;
    char scope[FK_REGION_CODE_LEN];
    const char *outcome;
    struct fk_conn *db;
    if (list_or_reply(req, &db, &page, &per_page, &outcome, &campaign_id, scope, &worker) != 0)
        return;
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err =
        fk_pending(db, campaign_id, scope, worker, outcome, page, per_page, &items, &total);
    reply_page(req, err, items, total, page, per_page, "screening_pending_list", campaign_id,
               scope);
}

static void get_flags(struct fk_req *req)
{
    int64_t page, per_page, campaign_id, worker;
    char scope[FK_REGION_CODE_LEN];
    struct fk_conn *db;
    if (list_or_reply(req, &db, &page, &per_page, NULL, &campaign_id, scope, &worker) != 0)
        return;
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err =
        fk_flags(db, &who, campaign_id, scope, worker, page, per_page, &items, &total);
    reply_page(req, err, items, total, page, per_page, "screening_flags_list", campaign_id, scope);
}

/* --- workers who can be given a grid --- */

/* Enabled community workers a manager may assign in this campaign: inside the
 * caller's jurisdiction, and inside the campaign scope or above it (a worker
 * of the whole community for a campaign of one compound). ?q matches the
 * username or display name. The users list itself is for district_admin only;
 * a township officer assigning grids needs this one. */
static void list_workers(struct fk_req *req)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    const char *q = fk_req_query(req, "q");
    if (q != NULL && (q[0] == '\0' || strlen(q) > 64))
        q = NULL;
    struct fk_conn *db = fk_req_db(req);
    struct fk_campaign c;
    if (db == NULL || fk_screening_campaign_or_reply(req, db, &c) != 0)
        return;
    char scope[FK_REGION_CODE_LEN];
    fk_campaign_scope(req->actor.prefix, &c, scope);
    fk_campaign_clear(&c);
    json_t *items = NULL;
    int64_t total = 0;
    enum fk_err err =
        fk_screening_workers(db, req->actor.prefix, scope, q, page, per_page, &items, &total);
    fk_reply_list(req, err, items, total, page, per_page);
}

static const struct fk_route routes[] = {
    {"POST", "/api/v1/screening/campaigns", create_campaign, 0, MANAGERS, "screening",
     "新建敲门排查行动：{name,region,starts_on,ends_on,areas_of_concern:[{code,name}],"
     "other_provinces}",
     NULL},
    {"GET", "/api/v1/screening/campaigns", list_campaigns, 0, SCREENERS, "screening",
     "排查行动列表（与管辖范围重叠的）", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}", get_campaign, 0, SCREENERS, "screening",
     "排查行动详情", NULL},
    {"PATCH", "/api/v1/screening/campaigns/{id}", patch_campaign, 0, MANAGERS, "screening",
     "修改排查行动：name、starts_on、ends_on、areas_of_concern、other_provinces", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/grids", list_grids, 0, SCREENERS, "screening",
     "网格分配：网格员及其小区、楼栋和户数", NULL},
    {"PUT", "/api/v1/screening/campaigns/{id}/grids/{user_id}", put_grid, 0, MANAGERS, "screening",
     "为网格员分配小区或楼栋：{regions:[code]}（替换原有分配）", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/workers", list_workers, 0, MANAGERS, "screening",
     "可分配网格的在岗网格员（q 按用户名或姓名筛选）", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/visits/export", fk_screening_export_visits, 0,
     SCREENERS, "screening", "导出走访台账（format=xlsx|csv，region 筛选）", NULL},
    {"POST", "/api/v1/screening/campaigns/{id}/visits", create_visit, 0, SCREENERS, "screening",
     "登记入户走访：{household_id,outcome,members_present,arrivals,symptoms,note,visited_at,"
     "idempotency_key}",
     NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/progress", get_progress, 0, SCREENERS, "screening",
     "排查进度（level=grid|compound|community|township）", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/pending/export", fk_screening_export_pending, 0,
     SCREENERS, "screening", "未入户台账导出（format=xlsx|csv，region、outcome 筛选）", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/pending", get_pending, 0, SCREENERS, "screening",
     "尚未入户的住户（region、outcome 筛选）", NULL},
    {"GET", "/api/v1/screening/campaigns/{id}/flags", get_flags, 0, SCREENERS, "screening",
     "来自关注地区的新到人员", NULL},
};

enum fk_err fk_screening_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
