/* Routes every server has: health, metrics and the OpenAPI document built
 * from the route table, so that it stays complete as modules add endpoints. */
#include "http/http.h"
#include "http/internal.h"
#include "http/system.h"
#include "core/clock.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

static void get_healthz(struct fk_req *req)
{
    fk_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

/* Whether the client is this machine; else replies 403 and returns 0. */
static int local_or_reply(struct fk_req *req)
{
    if (strcmp(req->ip, "127.0.0.1") == 0 || strcmp(req->ip, "::1") == 0)
        return 1;
    fk_reply_err(req, FK_E_FORBIDDEN_LOCAL, NULL);
    return 0;
}

static void get_metrics(struct fk_req *req)
{
    /* Route names and counts are operational detail: loopback only (a
     * Prometheus scraper runs beside the server or behind its proxy). */
    if (!local_or_reply(req))
        return;
    char *text = fk_metrics_render(req->app->metrics);
    if (text == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}

static json_t *error_response(const char *description)
{
    return json_pack("{s:s,s:{s:{s:{s:s}}}}", "description", description, "content",
                     "application/json", "schema", "$ref", "#/components/schemas/Error");
}

static json_t *operation_for(const struct fk_route *route)
{
    json_t *op = json_pack("{s:s,s:[s],s:s}", "summary", route->summary ? route->summary : "",
                           "tags", route->tag ? route->tag : "system", "operationId", "");
    char op_id[256];
    snprintf(op_id, sizeof(op_id), "%s %s", route->method, route->pattern);
    json_object_set_new(op, "operationId", json_string(op_id));
    json_t *params = json_array();
    for (const char *p = strchr(route->pattern, '{'); p != NULL; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (close == NULL)
            break;
        json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:{s:s}}", "name", p + 1,
                                                (size_t)(close - p - 1), "in", "path", "required",
                                                1, "schema", "type", "string"));
    }
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    json_t *responses = json_object();
    json_object_set_new(responses, "200", json_pack("{s:s}", "description", "成功"));
    json_object_set_new(responses, "4XX", error_response("请求错误（字段见 error.field）"));
    if (!(route->flags & FK_ROUTE_PUBLIC)) {
        json_object_set_new(op, "security", json_pack("[{s:[]},{s:[]}]", "session", "bearer"));
        json_object_set_new(responses, "401", error_response("未登录或登录已失效"));
        json_object_set_new(responses, "403", error_response("无权限或 CSRF 令牌错误"));
    }
    json_object_set_new(op, "responses", responses);
    if (route->roles != FK_ROLE_ANY) {
        json_t *roles = json_array();
        for (unsigned bit = 1; bit != 0 && bit <= route->roles; bit <<= 1)
            if (route->roles & bit)
                json_array_append_new(roles, json_string(fk_role_name(bit)));
        json_object_set_new(op, "x-roles", roles);
    }
    if (route->openapi != NULL) {
        json_error_t jerr;
        json_t *extra = json_loads(route->openapi, 0, &jerr);
        if (extra == NULL)
            fk_log(FK_LOG_ERROR, "openapi_fragment_invalid",
                   json_pack("{s:s,s:s}", "route", route->pattern, "error", jerr.text));
        else
            json_object_update_recursive(op, extra);
        json_decref(extra);
    }
    return op;
}

static void get_openapi(struct fk_req *req)
{
    static const char skeleton[] =
        "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"fangkong 防控 API\",\"version\":\"1\","
        "\"description\":\"疫情防控综合平台接口。时间为带时区的 RFC 3339；错误统一为 "
        "{error:{code,message,field}}。\"},\"paths\":{},\"components\":{\"schemas\":{},"
        "\"securitySchemes\":{\"session\":{\"type\":\"apiKey\",\"in\":\"cookie\","
        "\"name\":\"fk_session\"},\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\"}}}}";
    json_t *doc = json_loads(skeleton, 0, NULL);
    if (doc == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    json_object_set_new(json_object_get(json_object_get(doc, "components"), "schemas"), "Error",
                        fk_error_schema());
    json_t *paths = json_object_get(doc, "paths");
    const struct fk_route *route;
    for (size_t i = 0; (route = fk_http_route_at(i)) != NULL; i++) {
        json_t *item = json_object_get(paths, route->pattern);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, route->pattern, item);
        }
        char method[16];
        size_t n = strlen(route->method);
        for (size_t k = 0; k < n && k < sizeof(method) - 1; k++)
            method[k] = (char)(route->method[k] | 0x20);
        method[n < sizeof(method) - 1 ? n : sizeof(method) - 1] = '\0';
        json_object_set_new(item, method, operation_for(route));
    }
    fk_reply_json(req, 200, doc);
}

/* Moves the frozen clock (FANGKONG_CLOCK=frozen, tests only): {"now": RFC 3339}
 * sets it, {"advance_seconds": n} moves it on; answers {"now"}. The route
 * exists only in that mode and answers this machine only. */
static void post_test_clock(struct fk_req *req)
{
    if (!local_or_reply(req))
        return;
    const char *text = NULL;
    int present = 0;
    int64_t seconds = 0;
    if (fk_json_str_or_reply(req, "now", 0, 64, &text) != 0 ||
        fk_json_int_or_reply(req, "advance_seconds", 0, 0, INT64_C(366) * 86400 * 100, &present,
                             &seconds) != 0)
        return;
    if (text != NULL) {
        int64_t at;
        if (fk_time_parse(text, &at) != FK_OK) {
            fk_reply_err(req, FK_E_TIME_FORMAT, "now");
            return;
        }
        fk_clock_set(at);
    } else if (!present) {
        fk_reply_err(req, FK_E_MISSING_FIELD, "now");
        return;
    } else if (fk_clock_advance(seconds) != FK_OK) {
        fk_reply_err(req, FK_E_INVALID_FIELD, "advance_seconds");
        return;
    }
    fk_reply_json(req, 200, json_pack("{s:o}", "now", fk_time_json(fk_now(), 1)));
}

static const struct fk_route test_clock_routes[] = {
    {"POST", "/api/v1/test/clock", post_test_clock, FK_ROUTE_PUBLIC, 0, "system",
     "移动冻结时钟（仅测试，FANGKONG_CLOCK=frozen）", NULL},
};

static const struct fk_route system_routes[] = {
    {"GET", "/healthz", get_healthz, FK_ROUTE_PUBLIC, 0, "system", "健康检查", NULL},
    {"GET", "/metrics", get_metrics, FK_ROUTE_PUBLIC, 0, "system", "Prometheus 指标", NULL},
    {"GET", "/api/v1/openapi.json", get_openapi, FK_ROUTE_PUBLIC, 0, "system", "OpenAPI 文档",
     NULL},
};

enum fk_err fk_http_system_routes(void)
{
    enum fk_err err =
        fk_http_add_routes(system_routes, sizeof(system_routes) / sizeof(system_routes[0]));
    if (err == FK_OK && fk_clock_frozen())
        err = fk_http_add_routes(test_clock_routes, 1);
    return err;
}
