/* libmicrohttpd glue: the request lifecycle, dispatch, security headers. */
#include "http/http.h"
#include "http/conns.h"
#include "http/internal.h"
#include "http/router.h"
#include "core/log.h"
#include "core/parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'";

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void client_ip(struct fk_req *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[sizeof(req->ip)] = "unknown";
    if (info != NULL && info->client_addr != NULL) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
                      sizeof(peer));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer,
                      sizeof(peer));
    }
    const char *xff = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    fk_forwarded_client(peer, xff, req->app->cfg.trusted_proxies, req->ip, sizeof(req->ip));
    const char *proto =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    req->https = fk_forwarded_https(peer, proto, req->app->cfg.trusted_proxies);
}

static void add_security_headers(struct MHD_Response *response)
{
    MHD_add_response_header(response, "Content-Security-Policy", csp);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "X-Frame-Options", "DENY");
    MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(response, "Cross-Origin-Opener-Policy", "same-origin");
}

static int is_mutating(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

static void parse_json_body(struct fk_req *req)
{
    json_error_t jerr;
    json_t *root = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        fk_reply_err(req, FK_E_MALFORMED_JSON, "body");
        return;
    }
    req->json = root;
}

static void dispatch(struct fk_req *req)
{
    int path_known = req->path_known;
    if (req->route == NULL) {
        if (strncmp(req->path, "/api/", 5) != 0 && strcmp(req->method, "GET") == 0 &&
            fk_static_serve(req))
            return;
        if (path_known) {
            char allow[64];
            fk_router_allow(req->path, allow, sizeof(allow));
            fk_reply_err(req, FK_E_METHOD_NOT_ALLOWED, "method");
            fk_reply_header(req, "Allow", allow);
        } else
            fk_reply_err(req, FK_E_NO_ROUTE, "path");
        return;
    }
    if (req->body_too_large) {
        fk_reply_err(req, FK_E_BODY_TOO_LARGE, "body");
        return;
    }
    if (!(req->route->flags & FK_ROUTE_PUBLIC)) {
        if (!fk_auth_authenticate(req))
            return; /* replied */
        if (req->actor.session_id != 0 && is_mutating(req->method) && !fk_auth_check_csrf(req))
            return;
        if (req->route->roles != FK_ROLE_ANY && !(req->route->roles & req->actor.role)) {
            fk_reply_err(req, FK_E_FORBIDDEN_ROLE, NULL);
            return;
        }
    }
    if (!(req->route->flags & FK_ROUTE_RAW) &&
        (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
         strcmp(req->method, "PATCH") == 0)) {
        parse_json_body(req);
        if (req->response != NULL)
            return;
    }
    req->route->handler(req);
    if (req->response == NULL) {
        fk_log(FK_LOG_ERROR, "handler_no_reply", json_pack("{s:s}", "route", req->route->pattern));
        fk_reply_err(req, FK_E_INTERNAL, NULL);
    }
}

static enum MHD_Result queue_reply(struct fk_req *req)
{
    add_security_headers(req->response);
    return MHD_queue_response(req->conn, req->status, req->response);
}

/* The body length the request declares, if it declares one libmicrohttpd
 * believes (it ignores Content-Length beside Transfer-Encoding, and answers
 * one it cannot parse itself: see conns.c). Lengths past INT64_MAX count as
 * INT64_MAX. */
static int declared_length(struct MHD_Connection *connection, int64_t *out)
{
    const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
    if (length == NULL ||
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Transfer-Encoding") != NULL)
        return 0;
    if (fk_parse_int64(length, 0, INT64_MAX, out) != FK_OK)
        *out = INT64_MAX;
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct fk_app *app = cls;
    struct fk_req *req = *con_cls;
    if (req == NULL) {
        req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        req->app = app;
        req->conn = connection;
        req->method = method;
        req->path = url;
        req->started_ns = mono_ns();
        /* The route is found before the body arrives: uploads get their own cap. */
        req->route = fk_router_find(method, url, req->param_names, req->param_values,
                                    &req->n_params, &req->path_known);
        int64_t cap = app->cfg.max_body;
        if (req->route != NULL && (req->route->flags & FK_ROUTE_UPLOAD))
            cap = app->cfg.max_upload;
        fk_buf_init(&req->body, (size_t)cap);
        fk_arena_init(&req->arena, FK_REQ_ARENA_CAP);
        client_ip(req);
        *con_cls = req;
        /* Refuse a declared oversized body before reading it: the reply goes
         * out at once and libmicrohttpd closes the connection after it. */
        int64_t declared = 0;
        if (declared_length(connection, &declared) && declared > cap) {
            fk_reply_err(req, FK_E_BODY_TOO_LARGE, "body");
            (void)fk_conns_progress(connection, FK_CONN_BUSY, 0);
            return queue_reply(req);
        }
        int has_body = declared > 0 || MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                                   "Transfer-Encoding") != NULL;
        if (!fk_conns_progress(connection, has_body ? FK_CONN_BODY : FK_CONN_BUSY, 0))
            return MHD_NO;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->body_too_large &&
            fk_buf_append(&req->body, upload_data, *upload_data_size) != FK_OK)
            req->body_too_large = 1;
        if (!fk_conns_progress(connection, FK_CONN_BODY, *upload_data_size))
            return MHD_NO; /* answered 408 by the watchdog */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->response == NULL) {
        if (!fk_conns_progress(connection, FK_CONN_BUSY, 0))
            return MHD_NO;
        if (req->body_too_large && strncmp(url, "/api/", 5) == 0) {
            fk_reply_err(req, FK_E_BODY_TOO_LARGE, "body");
        } else {
            dispatch(req);
        }
    }
    return queue_reply(req);
}

/* libmicrohttpd calls this for every request it gave a context (*con_cls),
 * whatever ended it (MHD_REQUEST_TERMINATED_*: completed, error, timeout,
 * client abort, daemon shutdown): the one place a request's memory (its body,
 * parsed JSON, path parameters, arena and owned JSON) is freed. */
static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct fk_app *app = cls;
    struct fk_req *req = *con_cls;
    if (req == NULL)
        return;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        (void)fk_conns_progress(connection, FK_CONN_HEAD, 0); /* kept alive: the next request */
    double seconds = (double)(mono_ns() - req->started_ns) / 1e9;
    const char *route =
        req->route ? req->route->pattern : (req->status == 404 ? "unmatched" : "static");
    if (req->status != 0)
        fk_metrics_record(app->metrics, req->method, route, req->status, seconds);
    if (req->status >= 500 || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        fk_log(req->status >= 500 ? FK_LOG_ERROR : FK_LOG_WARN, "request",
               json_pack("{s:s,s:s,s:i,s:f,s:i}", "method", req->method, "path", req->path,
                         "status", (int)req->status, "seconds", seconds, "termination", (int)toe));
    else
        fk_log(FK_LOG_DEBUG, "request",
               json_pack("{s:s,s:s,s:i,s:f}", "method", req->method, "path", req->path, "status",
                         (int)req->status, "seconds", seconds));
    if (req->response != NULL)
        MHD_destroy_response(req->response);
    for (int i = 0; i < req->n_params; i++)
        free(req->param_values[i]);
    json_decref(req->json);
    json_decref(req->owned);
    fk_arena_free(&req->arena);
    fk_buf_free(&req->body);
    free(req);
    *con_cls = NULL;
}

static enum fk_err parse_listen(const char *listen, struct sockaddr_in *addr)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
        return FK_ERR_INVALID;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    int64_t port;
    if (fk_parse_int64(colon + 1, 0, 65535, &port) != FK_OK)
        return FK_ERR_INVALID;
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (host[0] == '\0')
        addr->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return FK_ERR_INVALID;
    return FK_OK;
}

enum fk_err fk_http_start(struct fk_app *app)
{
    struct sockaddr_in addr;
    if (parse_listen(app->cfg.listen, &addr) != FK_OK) {
        fk_log_msg(FK_LOG_ERROR, "bad_listen_address", app->cfg.listen);
        return FK_ERR_INVALID;
    }
    enum fk_err err = fk_metrics_new(&app->metrics);
    if (err != FK_OK)
        return err;
    err = fk_conns_new(&app->cfg, &app->conns);
    if (err != FK_OK) {
        fk_metrics_free(app->metrics);
        app->metrics = NULL;
        return err;
    }
    /* The logger first: messages about the later options go through it. */
    app->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, fk_conns_accept,
        app->conns, on_request, app, MHD_OPTION_EXTERNAL_LOGGER, fk_conns_log, app->conns,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)app->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)app->cfg.conn_timeout, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)app->cfg.conn_limit, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, app, MHD_OPTION_NOTIFY_CONNECTION, fk_conns_notify, app->conns,
        MHD_OPTION_END);
    if (app->daemon == NULL) {
        fk_log_msg(FK_LOG_ERROR, "listen_failed", app->cfg.listen);
        fk_conns_free(app->conns);
        app->conns = NULL;
        fk_metrics_free(app->metrics);
        app->metrics = NULL;
        return FK_ERR_IO;
    }
    return FK_OK;
}

void fk_http_stop(struct fk_app *app)
{
    if (app->daemon != NULL) {
        MHD_stop_daemon(app->daemon);
        app->daemon = NULL;
    }
    fk_conns_free(app->conns);
    app->conns = NULL;
    fk_metrics_free(app->metrics);
    app->metrics = NULL;
}
