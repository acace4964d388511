/* The HTTP layer: libmicrohttpd server, route table, request context, JSON
 * replies and input helpers. Modules add routes with fk_http_add_routes() and
 * write handlers of type fk_handler. */
#ifndef FK_HTTP_HTTP_H
#define FK_HTTP_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "http/errors.h"

struct fk_app;
struct fk_req;

typedef void (*fk_handler)(struct fk_req *req);

/* Roles (DESIGN.md §5) as bits for fk_route.roles. */
enum fk_role {
    FK_ROLE_DISTRICT_ADMIN = 1u << 0,
    FK_ROLE_TOWNSHIP_OFFICER = 1u << 1,
    FK_ROLE_COMMUNITY_WORKER = 1u << 2,
    FK_ROLE_CHECKPOINT_STAFF = 1u << 3,
    FK_ROLE_SAMPLER = 1u << 4,
    FK_ROLE_LAB = 1u << 5,
    FK_ROLE_TRACER = 1u << 6,
    FK_ROLE_QUARANTINE_STAFF = 1u << 7,
    FK_ROLE_INSPECTOR = 1u << 8,
    FK_ROLE_SCHOOL_ADMIN = 1u << 9,
    FK_ROLE_ENTERPRISE = 1u << 10,
    FK_ROLE_RESIDENT = 1u << 11,
};
#define FK_ROLE_ANY 0u

/* The role bit for a role name (borrowed), or 0 if there is no such role. */
unsigned fk_role_from_name(const char *name);
/* The role's name for a single bit (static storage), or NULL. */
const char *fk_role_name(unsigned role);

enum fk_route_flag {
    FK_ROUTE_PUBLIC = 1u << 0, /* no authentication */
    FK_ROUTE_RAW = 1u << 1,    /* body is not parsed as JSON */
    FK_ROUTE_UPLOAD = 1u << 2, /* body capped by --max-upload instead of --max-body */
};

struct fk_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/v1/regions/{code}" */
    fk_handler handler;
    unsigned flags;      /* enum fk_route_flag */
    unsigned roles;      /* allowed roles; FK_ROLE_ANY = any authenticated user */
    const char *tag;     /* OpenAPI tag, e.g. "regions" */
    const char *summary; /* OpenAPI summary (Chinese or English) */
    const char *openapi; /* optional JSON merged into the OpenAPI operation */
};

/* The authenticated caller. */
struct fk_actor {
    int64_t user_id; /* 0 when anonymous */
    char username[64];
    char display_name[128];
    unsigned role;
    char region[19];    /* the user's region code */
    char prefix[19];    /* its significant prefix: the jurisdiction */
    int64_t session_id; /* 0 when authenticated by token */
    int64_t token_id;   /* 0 when authenticated by session */
    char csrf[48];      /* the session's CSRF token */
};

#define FK_MAX_PARAMS 4

struct fk_req {
    struct fk_app *app;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const struct fk_route *route;
    const char *param_names[FK_MAX_PARAMS];
    char *param_values[FK_MAX_PARAMS];
    int n_params;
    int path_known; /* no route for this method, but one for another (405) */
    struct fk_buf body;
    int body_too_large;
    json_t *json; /* parsed body (an object) for routes without FK_ROUTE_RAW */
    struct fk_actor actor;
    char ip[64];
    int https; /* HTTPS at a trusted proxy (X-Forwarded-Proto): cookies get Secure */
    int64_t started_ns;
    unsigned status;
    struct MHD_Response *response;
    struct fk_arena arena; /* fk_req_alloc & co.; freed at completion */
    json_t *owned;         /* fk_req_own_json: an array of what the request holds */
};

/* The application: configuration, store, keys and routes. */
struct fk_app {
    struct fk_config cfg;
    struct fk_store *store;
    struct fk_pii_key pii_key;
    struct MHD_Daemon *daemon;
    struct fk_metrics *metrics;
    struct fk_conns *conns; /* per-address limits, deadlines, MHD log (conns.h) */
};

/* The client's address: `peer` (the TCP peer), unless `peer` is one of the
 * comma-separated `trusted` proxy addresses and `forwarded_for` (the
 * X-Forwarded-For header, may be NULL) names who the proxies served: then
 * the rightmost address there that is not a trusted proxy. A malformed
 * entry ends the walk. The inputs are borrowed; written to the caller's out
 * (at most out_size bytes). */
void fk_forwarded_client(const char *peer, const char *forwarded_for, const char *trusted,
                         char *out, size_t out_size);
/* Whether the request came over HTTPS as a trusted proxy tells it: `peer` is
 * one of the `trusted` addresses and `forwarded_proto` (X-Forwarded-Proto,
 * may be NULL) starts with "https" (any case). Anyone else's header is
 * ignored. All three are borrowed. */
int fk_forwarded_https(const char *peer, const char *forwarded_proto, const char *trusted);

/* Adds routes (a static array that must outlive the server). */
enum fk_err fk_http_add_routes(const struct fk_route *routes, size_t n) FK_MUST_CHECK;
/* Every route added, for the OpenAPI document: borrowed from the module's
 * static table; NULL past the last. */
const struct fk_route *fk_http_route_at(size_t i);

/* Starts the server on cfg.listen; returns when listening. `app` is borrowed
 * and must outlive fk_http_stop (the server keeps its metrics and conns). */
enum fk_err fk_http_start(struct fk_app *app) FK_MUST_CHECK;
/* Stops accepting, finishes requests in flight, stops the workers. */
void fk_http_stop(struct fk_app *app);

/* --- replies (each sets req->response; call exactly one) --- */
/* Replies with `body` (stolen: the reply owns and frees it, also when it is
 * NULL or the reply fails). */
void fk_reply_json(struct fk_req *req, unsigned status, json_t *body);
/* Replies with row `e` of the error registry (http/errors.def): its status,
 * code and message; `field` (borrowed, may be NULL) names the input at fault. */
void fk_reply_err(struct fk_req *req, enum fk_ecode e, const char *field);
/* Like fk_reply_err for a row whose message has one "%s", filled with `arg`
 * (borrowed; a rule's static reason text, a number, a field label). */
void fk_reply_errf(struct fk_req *req, enum fk_ecode e, const char *field, const char *arg);
/* Like fk_reply_err with more members: `in_error` is merged into the "error"
 * object (e.g. "reason"), `top` into the body beside it (e.g. "existing_id").
 * Both are stolen (the reply owns and frees them) and may be NULL. `arg` fills
 * a "%s" message as in fk_reply_errf (NULL otherwise). */
void fk_reply_err_ex(struct fk_req *req, enum fk_ecode e, const char *field, const char *arg,
                     json_t *in_error, json_t *top);
/* fk_list_run over a struct fk_where: counts `count_head` + w->sql and lists
 * `list_head` + w->sql + `order` (which ends "LIMIT ? OFFSET ?"), rows made
 * by `row` (see struct fk_list_query). `w` is borrowed. */
enum fk_err fk_list_where(struct fk_conn *db, const char *count_head, const char *list_head,
                          const struct fk_where *w, const char *order,
                          json_t *(*row)(struct fk_stmt *st, void *ctx), void *row_ctx,
                          int64_t page, int64_t per_page, json_t *items,
                          int64_t *total) FK_MUST_CHECK;

/* Inputs of a scan at a gate or checkpoint (folded from cards and passes):
 * the required RFC 3339 time "scanned_at", between `behind` seconds before
 * `now` and `ahead` after it (offline scanners sync late, clocks run ahead),
 * in *at; -1 after replying 422 naming it. */
int fk_json_scanned_at_or_reply(struct fk_req *req, int64_t now, int64_t ahead, int64_t behind,
                                int64_t *at);
/* Whether `key` (an idempotency key) is printable ASCII; -1 after replying
 * 422 naming "idempotency_key". */
int fk_idempotency_key_or_reply(struct fk_req *req, const char *key);

/* Replies 200 with a page of `items` (stolen) and its count, or on `err`
 * frees `items` and replies fk_reply_fail. */
void fk_reply_list(struct fk_req *req, enum fk_err err, json_t *items, int64_t total, int64_t page,
                   int64_t per_page);
/* Replies 200 with the SVG image in `image` (a QR code; private, cacheable
 * 5 minutes), or on `err` replies fk_reply_fail. Frees `image` either way. */
void fk_reply_svg(struct fk_req *req, enum fk_err err, struct fk_buf *image);

/* Maps a store/logic error to a reply (`field` borrowed, may be NULL):
 * NOT_FOUND 404, CONFLICT 409, INVALID 422,
 * FORBIDDEN 403, AUTH 401, BUSY 503, everything else 500 (logged). */
void fk_reply_fail(struct fk_req *req, enum fk_err err, const char *field);
/* Whether `text` (borrowed) is free of control characters (C0 and DEL): what every
 * free-text field (names, notes, addresses, queries) must satisfy. */
int fk_text_plain(const char *text);
/* Writes `text` (borrowed) as a LIKE prefix pattern to the caller's out (at most `size` bytes, cut
 * on a whole character): %, _ and ! are escaped with '!' (use ESCAPE '!'),
 * '%' appended. */
void fk_like_prefix(const char *text, char *out, size_t size);

/* ?q= on a list of persons' records: absent or empty (FK_Q_NONE); a valid
 * 18-character resident ID number, given as its blind index
 * (FK_Q_ID_NUMBER); else a name prefix as a LIKE pattern (FK_Q_NAME_PREFIX,
 * see fk_like_prefix). At most FK_Q_TEXT_MAX bytes without control
 * characters, else -1 after replying 422 naming "q". `value` is the caller's. */
enum fk_person_q { FK_Q_NONE = 0, FK_Q_ID_NUMBER = 1, FK_Q_NAME_PREFIX = 2 };
#define FK_Q_TEXT_MAX 64
#define FK_Q_VALUE_MAX (FK_Q_TEXT_MAX + 8)
int fk_person_q_or_reply(struct fk_req *req, int *kind, char value[FK_Q_VALUE_MAX]);

/* A sealed ID number or phone as JSON: the full or masked text, null when
 * there is none, "（无法解密）" when it does not open (fk_pii_open_masked).
 * `key`, `context` and `sealed` are borrowed; returns a new reference (the
 * caller owns it; NULL when out of memory). */
json_t *fk_pii_json(const struct fk_pii_key *key, const char *context, const char *sealed,
                    int full);
/* Replies with no body. */
void fk_reply_empty(struct fk_req *req, unsigned status);
/* Replies with bytes of `content_type` (borrowed); `data` is copied, so the
 * caller still owns (and frees) it. */
void fk_reply_bytes(struct fk_req *req, unsigned status, const char *content_type, const void *data,
                    size_t len);
/* Adds a header to the reply already set; `name` and `value` are copied. */
void fk_reply_header(struct fk_req *req, const char *name, const char *value);

/* --- per-request memory ---
 * What a handler allocates for the length of one request comes from the
 * request and is freed when libmicrohttpd reports the request complete, on
 * every path (MHD_REQUEST_TERMINATED_COMPLETED_OK, _WITH_ERROR, _TIMEOUT_REACHED,
 * _DAEMON_SHUTDOWN, _CLIENT_ABORT, ...): the handler never frees it, and
 * nothing from it may outlive the request (a job it starts copies what it
 * keeps). At most FK_REQ_ARENA_CAP bytes per request. */
#define FK_REQ_ARENA_CAP ((size_t)16 << 20)
/* `size` zeroed bytes owned by the request, or NULL (out of memory, past the
 * cap): reply fk_reply_fail(req, FK_ERR_NOMEM, NULL) then. */
void *fk_req_alloc(struct fk_req *req, size_t size);
/* A copy of `text` (borrowed) owned by the request; NULL for NULL text or when
 * out of memory. */
char *fk_req_strdup(struct fk_req *req, const char *text);
/* Hands `json` (a new reference, stolen even on failure) to the request,
 * which drops it at completion; returns it, borrowed for the request's life,
 * or NULL when out of memory (then it is already released). */
json_t *fk_req_own_json(struct fk_req *req, json_t *json);

/* --- input (each returns 0 when fine, -1 after replying with a 4xx) --- */
/* Input strings are borrowed from the request: valid until it completes
 * (copy what a job keeps).
 * A path parameter by name (never NULL for a matched route). */
const char *fk_req_param(const struct fk_req *req, const char *name);
/* A query-string argument or NULL. */
const char *fk_req_query(const struct fk_req *req, const char *name);
/* A request header or NULL. */
const char *fk_req_header(const struct fk_req *req, const char *name);
/* A string member of the JSON body: required or optional (*out NULL when
 * absent or null), trimmed length 1..max_len UTF-8 bytes. *out is borrowed
 * from req->json (valid until the request completes). */
int fk_json_str_or_reply(struct fk_req *req, const char *name, int required, size_t max_len,
                         const char **out);
int fk_json_int_or_reply(struct fk_req *req, const char *name, int required, int64_t min,
                         int64_t max, int *present, int64_t *out);
int fk_json_bool_or_reply(struct fk_req *req, const char *name, int *present, int *out);
/* ?page=&per_page= with defaults 1 and 20, per_page at most 200. */
int fk_page_or_reply(struct fk_req *req, int64_t *page, int64_t *per_page);
/* A query parameter that must be RFC 3339 if present. */
int fk_query_time_or_reply(struct fk_req *req, const char *name, int *present, int64_t *out);

/* The jurisdiction a list works in: ?region= when it lies inside the caller's
 * jurisdiction, else the caller's own. Writes the significant prefix (19
 * bytes). 0 when fine; -1 after replying 422 (malformed) or 404
 * region_not_found (outside), both naming "region". */
int fk_scope_or_reply(struct fk_req *req, char scope[19]);

/* The calling thread's store connection (borrowed: the store owns it), or
 * replies 503 and returns NULL. */
struct fk_conn *fk_req_db(struct fk_req *req);

/* An instant as the API writes it (RFC 3339, +08:00), or JSON null when
 * `present` is 0; fk_time_or_null: null for epoch <= 0 (never set). A new
 * reference (the caller owns it, or a json_pack "o" steals it). */
json_t *fk_time_json(int64_t epoch, int present);
json_t *fk_time_or_null(int64_t epoch);

/* Whether the caller's jurisdiction covers `region_code` (borrowed; by prefix). */
int fk_req_covers(const struct fk_req *req, const char *region_code);

/* A paginated list answer: {"items":items,"total","page","per_page"}. Steals
 * `items`; returns a new reference (NULL when out of memory, items freed). */
json_t *fk_list_json(json_t *items, int64_t total, int64_t page, int64_t per_page);
/* Replies `body` (stolen) with `status` when `err` is FK_OK, else frees it
 * and replies the failure (fk_reply_fail): the end of most handlers. */
void fk_reply_result(struct fk_req *req, enum fk_err err, unsigned status, json_t *body);
/* Appends `item` (stolen, may be NULL) to the array `list`: FK_ERR_NOMEM
 * when it is NULL or cannot be appended. For row callbacks. */
enum fk_err fk_json_append(json_t *list, json_t *item) FK_MUST_CHECK;

/* The two queries of a paginated list: `count_sql` (SELECT COUNT(*) with the
 * filter) and `list_sql` (the same filter, ending "LIMIT ? OFFSET ?"). `bind`
 * (may be NULL) binds the filter's parameters of either from *idx on; `row`
 * turns the current row into an item (NULL: out of memory). */
struct fk_list_query {
    const char *count_sql;
    const char *list_sql;
    enum fk_err (*bind)(struct fk_stmt *st, const void *ctx, int *idx);
    const void *bind_ctx;
    json_t *(*row)(struct fk_stmt *st, void *ctx);
    void *row_ctx;
};
/* Runs both: *total the count, the page's items appended to `items`
 * (borrowed: the caller keeps owning it, also on failure). `q` is borrowed. */
enum fk_err fk_list_run(struct fk_conn *db, const struct fk_list_query *q, int64_t page,
                        int64_t per_page, json_t *items, int64_t *total) FK_MUST_CHECK;

#endif
