#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fk_err fk_audit_write(struct fk_conn *db, const struct fk_audit_entry *e)
{
    char *detail = e->detail ? json_dumps(e->detail, JSON_COMPACT) : NULL;
    enum fk_err err = fk_db_run(
        db, NULL,
        "INSERT INTO audit_log(at, actor_id, actor, action, target_type, target_id, person_id, "
        "region, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "i"
        "i"
        "t"
        "t"
        "t"
        "t"
        "i"
        "t"
        "t"
        "t",
        fk_now(), e->actor_id, e->actor ? e->actor : "", e->action, e->target_type, e->target_id,
        e->person_id, e->region, e->ip, detail);
    free(detail);
    return err;
}

struct fk_audit_entry fk_audit_entry_of(struct fk_req *req, const char *action,
                                        const char *target_type, int64_t person_id, json_t *detail)
{
    return (struct fk_audit_entry){
        .actor_id = req->actor.user_id,
        .actor = req->actor.username,
        .action = action,
        .target_type = target_type,
        .person_id = person_id,
        .region = req->actor.region,
        .ip = req->ip,
        .detail = detail,
    };
}

enum fk_err fk_audit_req(struct fk_req *req, const char *action, const char *target_type,
                         const char *target_id, int64_t person_id, json_t *detail)
{
    struct fk_conn *db;
    enum fk_err err = fk_store_conn(req->app->store, &db);
    if (err != FK_OK)
        return err;
    struct fk_audit_entry e = fk_audit_entry_of(req, action, target_type, person_id, detail);
    e.target_id = target_id;
    return fk_audit_write(db, &e);
}

/* Filters of GET /api/v1/audit, validated. */
struct audit_filter {
    const char *actor;
    const char *action;
    int has_from, has_until;
    int64_t from, until;
};

static void bind_filter(struct fk_stmt *st, const struct audit_filter *f, int *idx,
                        enum fk_err *err)
{
    if (f->actor && *err == FK_OK)
        *err = fk_stmt_bind_text(st, (*idx)++, f->actor);
    if (f->action && *err == FK_OK)
        *err = fk_stmt_bind_text(st, (*idx)++, f->action);
    if (f->has_from && *err == FK_OK)
        *err = fk_stmt_bind_int64(st, (*idx)++, f->from);
    if (f->has_until && *err == FK_OK)
        *err = fk_stmt_bind_int64(st, (*idx)++, f->until);
}

static json_t *id_or_null(int64_t id)
{
    return id > 0 ? json_integer((json_int_t)id) : json_null();
}

static void get_audit(struct fk_req *req)
{
    int64_t page, per_page;
    struct audit_filter f = {0};
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
    char where[256];
    snprintf(where, sizeof(where), " WHERE 1=1%s%s%s%s", f.actor ? " AND actor = ?" : "",
             f.action ? " AND action = ?" : "", f.has_from ? " AND at >= ?" : "",
             f.has_until ? " AND at < ?" : "");
    char sql[512];
    struct fk_stmt *st = NULL;
    enum fk_err err;
    int idx = 1;
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM audit_log%s", where);
    if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
        goto fail;
    bind_filter(st, &f, &idx, &err);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err != FK_OK)
        goto fail;
    int64_t total = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    st = NULL;

    snprintf(sql, sizeof(sql),
             "SELECT id, at, actor, actor_id, action, target_type, target_id, person_id, ip, "
             "detail FROM audit_log%s ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
             where);
    if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
        goto fail;
    idx = 1;
    bind_filter(st, &f, &idx, &err);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, per_page);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
    if (err != FK_OK)
        goto fail;
    json_t *items = json_array();
    while ((err = fk_stmt_step(st)) == FK_OK) {
        char at[FK_RFC3339_LEN];
        fk_time_format(fk_stmt_int64(st, 1), at);
        const char *detail_text = fk_stmt_text(st, 9);
        json_t *detail = detail_text ? json_loads(detail_text, 0, NULL) : NULL;
        json_array_append_new(
            items,
            json_pack("{s:I,s:s,s:s,s:o,s:s,s:s?,s:s?,s:o,s:s?,s:o?}", "id",
                      (json_int_t)fk_stmt_int64(st, 0), "at", at, "actor", fk_stmt_text(st, 2),
                      "actor_id", id_or_null(fk_stmt_int64(st, 3)), "action", fk_stmt_text(st, 4),
                      "target_type", fk_stmt_text(st, 5), "target_id", fk_stmt_text(st, 6),
                      "person_id", id_or_null(fk_stmt_int64(st, 7)), "ip", fk_stmt_text(st, 8),
                      "detail", detail));
    }
    fk_stmt_free(st);
    if (err != FK_ERR_DONE) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (fk_audit_req(req, "audit_read", NULL, NULL, 0, NULL) != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, FK_ERR_DB, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
    return;
fail:
    fk_stmt_free(st);
    fk_reply_fail(req, err, NULL);
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
