/* GET /api/v1/audit: the log for district admins. Parse, call, reply. */
#include "audit/audit_internal.h"
#include "core/clock.h"
#include "http/http.h"

#include <string.h>

static json_t *id_or_null(int64_t id)
{
    return id > 0 ? json_integer((json_int_t)id) : json_null();
}

static enum fk_err append_row(const struct fk_audit_row *r, void *ctx)
{
    char at[FK_RFC3339_LEN];
    fk_time_format(r->at, at);
    json_t *detail = r->detail ? json_loads(r->detail, 0, NULL) : NULL;
    return fk_json_append(
        ctx, json_pack("{s:I,s:s,s:s,s:o,s:s,s:s?,s:s?,s:o,s:s?,s:o?}", "id", (json_int_t)r->id,
                       "at", at, "actor", r->actor, "actor_id", id_or_null(r->actor_id), "action",
                       r->action, "target_type", r->target_type, "target_id", r->target_id,
                       "person_id", id_or_null(r->person_id), "ip", r->ip, "detail", detail));
}

static void get_audit(struct fk_req *req)
{
    int64_t page, per_page;
    struct fk_audit_filter f = {0};
    if (fk_page_or_reply(req, &page, &per_page) != 0 ||
        fk_query_time_or_reply(req, "from", &f.has_from, &f.from) != 0 ||
        fk_query_time_or_reply(req, "until", &f.has_until, &f.until) != 0)
        return;
    f.actor = fk_req_query(req, "actor");
    f.action = fk_req_query(req, "action");
    if (f.actor && (f.actor[0] == '\0' || strlen(f.actor) > 64))
        f.actor = NULL;
    if (f.action && (f.action[0] == '\0' || strlen(f.action) > 64))
        f.action = NULL;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_audit_search(db, &f, page, per_page, &total, append_row, items);
    if (err == FK_OK && fk_audit_req(req, "audit_read", NULL, NULL, 0, NULL) != FK_OK)
        err = FK_ERR_DB;
    fk_reply_list(req, err, items, total, page, per_page);
}

static const struct fk_route routes[] = {
    {"GET", "/api/v1/audit", get_audit, 0, FK_ROLE_DISTRICT_ADMIN, "audit",
     "审计日志（actor、action、from、until 筛选，分页）",
     "{\"parameters\":[{\"name\":\"page\",\"in\":\"query\",\"schema\":{\"type\":\"integer\"}},"
     "{\"name\":\"per_page\",\"in\":\"query\",\"schema\":{\"type\":\"integer\"}},"
     "{\"name\":\"actor\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"
     "{\"name\":\"action\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}},"
     "{\"name\":\"from\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":\"date-time\"}"
     "},"
     "{\"name\":\"until\",\"in\":\"query\",\"schema\":{\"type\":\"string\",\"format\":\"date-"
     "time\"}}]}"},
};

enum fk_err fk_audit_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
