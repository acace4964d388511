/* HTTP handlers: session (login/logout), users and tokens. */
#include "accounts/accounts_internal.h"
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/http.h"
#include "http/lookup.h"
#include "regions/regions_json.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A user as the API shows it. Returns a new reference; borrows `u`. */
static json_t *user_json(const struct fk_user *u)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o}", "id", (json_int_t)u->id, "username",
                     u->username, "display_name", u->display_name, "role", u->role_name, "region",
                     u->region, "region_name", u->region_name, "disabled", u->disabled,
                     "locked_until",
                     fk_time_or_null(u->locked_until > fk_now() ? u->locked_until : 0),
                     "created_at", fk_time_or_null(u->created_at));
}

/* Replies user `id` of the caller's jurisdiction with `status` after a
 * write, or the write's failure. */
static void reply_user(struct fk_req *req, struct fk_conn *db, enum fk_err err, int64_t id,
                       unsigned status)
{
    struct fk_user u;
    if (err == FK_OK)
        err = fk_user_in_scope(db, id, req->actor.prefix, &u);
    json_t *user = err == FK_OK ? user_json(&u) : NULL;
    if (err == FK_OK && user == NULL)
        err = FK_ERR_NOMEM;
    fk_reply_result(req, err, status, user);
}

static json_t *actor_json(const struct fk_actor *actor, struct fk_conn *db)
{
    struct fk_region region;
    const char *region_name = "";
    if (fk_region_get(db, actor->region, &region) == FK_OK)
        region_name = region.name;
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)actor->user_id, "username",
                     actor->username, "display_name", actor->display_name, "role",
                     fk_role_name(actor->role) ? fk_role_name(actor->role) : "", "region",
                     actor->region, "region_name", region_name);
}

static void audit_or_log(struct fk_req *req, const char *action, const char *type, const char *id)
{
    if (fk_audit_req(req, action, type, id, 0, NULL) != FK_OK)
        fk_log(FK_LOG_ERROR, "audit_write_failed", json_pack("{s:s}", "action", action));
}

/* --- session --- */

void fk_session_cookie(struct fk_req *req, const char *token)
{
    /* Secure when asked for (--secure-cookies) or when a trusted proxy says
     * the client spoke HTTPS to it: a browser then never sends the cookie in
     * clear. */
    int secure = req->app->cfg.secure_cookies || req->https;
    char cookie[256];
    if (token == NULL)
        snprintf(cookie, sizeof(cookie),
                 "fk_session=; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=0",
                 secure ? "; Secure" : "");
    else
        snprintf(cookie, sizeof(cookie),
                 "fk_session=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%lld", token,
                 secure ? "; Secure" : "", (long long)req->app->cfg.session_ttl);
    fk_reply_header(req, "Set-Cookie", cookie);
}

/* A hash to verify against when the username is unknown (or its account has
 * no password, like residents' phone sign-in accounts), made once with the
 * parameters of new hashes, so that every failed login costs one argon2id
 * verification and the time does not tell which names exist. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[FK_PASSWORD_HASH_LEN];

static void make_dummy_hash(void)
{
    char secret[FK_TOKEN_LEN];
    fk_token_new(secret);
    if (fk_password_hash(secret, dummy_hash) != FK_OK)
        dummy_hash[0] = '\0'; /* verification then fails fast; logged at start */
}

/* Checks `password` against `hash`, or against the dummy hash when `hash`
 * is NULL or no argon2id hash: FK_OK only for a real match. */
static enum fk_err verify_password(const char *hash, const char *password)
{
    pthread_once(&dummy_once, make_dummy_hash);
    if (hash != NULL && strncmp(hash, "$argon2id$", 10) == 0)
        return fk_password_verify(hash, password);
    if (fk_password_verify(dummy_hash, password) == FK_OK)
        return FK_ERR_INTERNAL; /* a random secret guessed: impossible, and never a login */
    return FK_ERR_AUTH;
}

static void audit_failure(struct fk_req *req, struct fk_conn *db, int64_t user_id,
                          const char *username, const char *why)
{
    json_t *detail = json_pack("{s:s}", "reason", why);
    struct fk_audit_entry e = {.actor_id = user_id,
                               .actor = username,
                               .action = "login_failed",
                               .target_type = "user",
                               .ip = req->ip,
                               .detail = detail};
    if (fk_audit_write(db, &e) != FK_OK)
        fk_log_msg(FK_LOG_ERROR, "audit_write_failed", "login_failed");
    json_decref(detail);
}

static void post_session(struct fk_req *req)
{
    const char *username, *password;
    if (fk_json_str_or_reply(req, "username", 1, FK_USERNAME_MAX, &username) != 0 ||
        fk_json_str_or_reply(req, "password", 1, FK_PASSWORD_MAX, &password) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    const struct fk_config *cfg = &req->app->cfg;
    struct fk_login_limits limits = {cfg->lockout_attempts, cfg->lockout_window, cfg->lockout_delay,
                                     cfg->lockout_duration};
    int64_t now = fk_now();
    int64_t retry_after = 0;
    /* Counted before anything about the name is looked up: known and unknown
     * names are throttled alike, per client address. */
    enum fk_err err = fk_login_throttle_admit(db, username, req->ip, now, &limits, &retry_after);
    if (err == FK_ERR_LOCKED) {
        audit_failure(req, db, 0, username, "throttled");
        fk_reply_err(req, FK_E_ACCOUNT_LOCKED, "username");
        char seconds[24];
        snprintf(seconds, sizeof(seconds), "%lld", (long long)retry_after);
        fk_reply_header(req, "Retry-After", seconds);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    struct fk_user user;
    char hash[FK_PASSWORD_HASH_LEN];
    err = fk_accounts_login_user(db, username, &user, hash);
    if (err != FK_OK && err != FK_ERR_NOT_FOUND) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int row = err == FK_OK;
    struct fk_actor actor = {0};
    int disabled = 0;
    if (row) {
        actor.user_id = user.id;
        snprintf(actor.username, sizeof(actor.username), "%.63s", user.username);
        snprintf(actor.display_name, sizeof(actor.display_name), "%s", user.display_name);
        actor.role = user.role;
        snprintf(actor.region, sizeof(actor.region), "%s", user.region);
        snprintf(actor.prefix, sizeof(actor.prefix), "%s", user.prefix);
        disabled = user.disabled;
    }

    /* One argon2id verification whether the name exists or not. */
    if (verify_password(row ? hash : NULL, password) != FK_OK) {
        audit_failure(req, db, actor.user_id, username, row ? "wrong_password" : "unknown_user");
        fk_reply_err(req, FK_E_INVALID_CREDENTIALS, "password");
        return;
    }
    if (disabled) {
        audit_failure(req, db, 0, username, "disabled");
        fk_reply_err(req, FK_E_ACCOUNT_DISABLED, "username");
        return;
    }
    char token[FK_TOKEN_LEN], csrf[FK_TOKEN_LEN];
    err =
        fk_session_create(db, actor.user_id, now, cfg->session_ttl, token, csrf, &actor.session_id);
    if (err == FK_OK)
        err = fk_login_throttle_clear(db, username, req->ip);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    req->actor = actor;
    audit_or_log(req, "login", "user", NULL);
    fk_reply_json(req, 200,
                  json_pack("{s:s,s:o}", "csrf_token", csrf, "user", actor_json(&actor, db)));
    fk_session_cookie(req, token);
}

static void get_session(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    if (req->actor.session_id == 0) {
        /* A bearer token has no CSRF token; still say who it is. */
        fk_reply_json(req, 200,
                      json_pack("{s:n,s:o}", "csrf_token", "user", actor_json(&req->actor, db)));
        return;
    }
    fk_reply_json(
        req, 200,
        json_pack("{s:s,s:o}", "csrf_token", req->actor.csrf, "user", actor_json(&req->actor, db)));
}

static void delete_session(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    if (req->actor.session_id != 0) {
        enum fk_err err = fk_session_delete(db, req->actor.session_id);
        if (err != FK_OK) {
            fk_reply_fail(req, err, NULL);
            return;
        }
    }
    audit_or_log(req, "logout", "user", NULL);
    fk_reply_empty(req, 204);
    fk_session_cookie(req, NULL);
}

/* --- users --- */

static int parse_id_or_reply(struct fk_req *req, enum fk_ecode e, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_err(req, e, "id");
        return -1;
    }
    return 0;
}

/* Appends users or tokens as JSON to the array ctx. */
static enum fk_err append_user(const struct fk_user *u, void *ctx)
{
    json_t *item = user_json(u);
    return fk_json_append(ctx, item);
}

static enum fk_err append_token(const struct fk_token_info *t, void *ctx)
{
    json_t *item =
        json_pack("{s:I,s:s,s:I,s:s,s:o,s:o,s:o}", "id", (json_int_t)t->id, "name", t->name,
                  "user_id", (json_int_t)t->user_id, "username", t->username, "created_at",
                  fk_time_or_null(t->created_at), "last_used_at", fk_time_or_null(t->last_used_at),
                  "revoked_at", fk_time_or_null(t->revoked_at));
    return fk_json_append(ctx, item);
}

static void list_users(struct fk_req *req)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    const char *q = fk_req_query(req, "q");
    const char *role = fk_req_query(req, "role");
    const char *region = fk_req_query(req, "region");
    if (q != NULL && (q[0] == '\0' || strlen(q) > 64))
        q = NULL;
    if (role != NULL && role[0] != '\0' && fk_role_from_name(role) == 0) {
        fk_reply_err(req, FK_E_ROLE_UNKNOWN, "role");
        return;
    }
    if (role != NULL && role[0] == '\0')
        role = NULL;
    char scope[FK_REGION_CODE_LEN];
    snprintf(scope, sizeof(scope), "%s", req->actor.prefix);
    if (region != NULL && region[0] != '\0') {
        char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
        const char *reason;
        if (fk_region_normalize(region, code, prefix, &reason) != FK_OK) {
            fk_reply_err(req, FK_E_REGION_FORMAT, "region");
            return;
        }
        if (!fk_req_covers(req, prefix)) {
            fk_reply_err(req, FK_E_REGION_NOT_FOUND, "region");
            return;
        }
        snprintf(scope, sizeof(scope), "%s", prefix);
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_user_filter uf = {scope, q, role};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_accounts_list_users(db, &uf, page, per_page, &total, append_user, items);
    fk_reply_list(req, err, items, total, page, per_page);
}

static void create_user(struct fk_req *req)
{
    const char *username, *password, *role, *region, *display_name;
    if (fk_json_str_or_reply(req, "username", 1, FK_USERNAME_MAX, &username) != 0 ||
        fk_json_str_or_reply(req, "password", 1, FK_PASSWORD_MAX, &password) != 0 ||
        fk_json_str_or_reply(req, "role", 1, 32, &role) != 0 ||
        fk_json_str_or_reply(req, "region", 1, 18, &region) != 0 ||
        fk_json_str_or_reply(req, "display_name", 0, 120, &display_name) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_region found;
    if (fk_role_from_name(role) == 0) {
        fk_reply_err(req, FK_E_ROLE_UNKNOWN, "role");
        return;
    }
    if (fk_region_in_reach_or_reply(req, db, region, &found) != 0)
        return;
    int64_t id = 0;
    struct fk_field_error why = {0};
    enum fk_err err =
        fk_user_add(db, username, password, role, found.code, display_name, 0, &id, &why);
    if (err == FK_ERR_INVALID || err == FK_ERR_CONFLICT || (err == FK_ERR_IO && why.message)) {
        fk_reply_errf(req,
                      err == FK_ERR_CONFLICT ? FK_E_USER_CONFLICT_MSG
                      : err == FK_ERR_IO     ? FK_E_PASSWORD_DICTIONARY_MISSING
                                             : FK_E_INVALID_FIELD_MSG,
                      why.field, why.message);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    audit_or_log(req, "user_create", "user", id_text);
    reply_user(req, db, FK_OK, id, 201);
}

static void patch_user(struct fk_req *req)
{
    int64_t id;
    if (parse_id_or_reply(req, FK_E_USER_NOT_FOUND, &id) != 0)
        return;
    const char *display_name, *role, *region, *password;
    int has_disabled, disabled = 0, has_unlock, unlock = 0, has_revoke, revoke_tokens = 0;
    if (fk_json_str_or_reply(req, "display_name", 0, 120, &display_name) != 0 ||
        fk_json_str_or_reply(req, "role", 0, 32, &role) != 0 ||
        fk_json_str_or_reply(req, "region", 0, 18, &region) != 0 ||
        fk_json_str_or_reply(req, "password", 0, FK_PASSWORD_MAX, &password) != 0 ||
        fk_json_bool_or_reply(req, "disabled", &has_disabled, &disabled) != 0 ||
        fk_json_bool_or_reply(req, "unlock", &has_unlock, &unlock) != 0 ||
        fk_json_bool_or_reply(req, "revoke_tokens", &has_revoke, &revoke_tokens) != 0)
        return;
    if (role != NULL && fk_role_from_name(role) == 0) {
        fk_reply_err(req, FK_E_ROLE_UNKNOWN, "role");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_user user;
    enum fk_err err = fk_user_in_scope(db, id, req->actor.prefix, &user);
    if (fk_found_or_reply(req, err, NULL, FK_E_USER_NOT_FOUND, "id") != 0)
        return;
    const char *username = user.username;
    struct fk_field_error why = {0};
    if (password != NULL && (err = fk_password_check(username, password, &why)) != FK_OK) {
        if (err == FK_ERR_INVALID)
            fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, "password", why.message);
        else
            fk_reply_errf(req, FK_E_PASSWORD_DICTIONARY_MISSING, "password", why.message);
        return;
    }
    if (has_disabled && disabled && id == req->actor.user_id) {
        fk_reply_err(req, FK_E_DISABLE_SELF, "disabled");
        return;
    }
    struct fk_region found;
    if (region != NULL && fk_region_in_reach_or_reply(req, db, region, &found) != 0)
        return;
    char hash[FK_PASSWORD_HASH_LEN];
    if (password != NULL && (err = fk_password_hash(password, hash)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    struct fk_user_change change = {
        .display_name = display_name,
        .role = role,
        .region = region ? found.code : NULL,
        .prefix = region ? found.prefix : NULL,
        .password_hash = password ? hash : NULL,
        .has_disabled = has_disabled,
        .disabled = disabled,
        .unlock = has_unlock && unlock,
        .revoke_tokens = has_revoke && revoke_tokens,
        /* A new password, role or region, or disabling, ends the user's
         * sessions (not the caller's own). */
        .end_sessions =
            (password || role || region || (has_disabled && disabled)) && id != req->actor.user_id,
    };
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    json_t *changed = json_pack(
        "{s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "display_name", display_name != NULL, "role", role != NULL,
        "region", region != NULL, "password", password != NULL, "disabled", has_disabled, "unlock",
        has_unlock && unlock, "revoke_tokens", has_revoke && revoke_tokens);
    struct fk_audit_entry audit = fk_audit_entry_of(req, "user_update", "user", 0, changed);
    audit.target_id = id_text;
    err = fk_accounts_update_user(db, id, username, &change, fk_now(), &audit);
    json_decref(changed);
    reply_user(req, db, err, id, 200);
}

/* --- tokens --- */

static void list_tokens(struct fk_req *req)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err =
        fk_accounts_list_tokens(db, req->actor.prefix, page, per_page, &total, append_token, items);
    fk_reply_list(req, err, items, total, page, per_page);
}

static void create_token(struct fk_req *req)
{
    const char *username, *name;
    if (fk_json_str_or_reply(req, "username", 1, FK_USERNAME_MAX, &username) != 0 ||
        fk_json_str_or_reply(req, "name", 0, 120, &name) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    /* The user must be inside the caller's jurisdiction. */
    struct fk_user user;
    enum fk_err err = fk_user_by_username_in_scope(db, username, req->actor.prefix, &user);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_USER_NOT_FOUND, "username");
        return;
    }
    char token[FK_TOKEN_LEN];
    int64_t id = 0;
    if (err == FK_OK)
        err = fk_token_create(db, username, name ? name : "", token, &id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    audit_or_log(req, "token_create", "token", id_text);
    fk_reply_json(req, 201,
                  json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "name", name ? name : "",
                            "username", username, "token", token));
}

static void revoke_token(struct fk_req *req)
{
    int64_t id;
    if (parse_id_or_reply(req, FK_E_TOKEN_ID_NOT_FOUND, &id) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    enum fk_err err = fk_token_revoke_in_scope(db, id, req->actor.prefix, fk_now());
    if (fk_found_or_reply(req, err, NULL, FK_E_TOKEN_NOT_FOUND, "id") != 0)
        return;
    audit_or_log(req, "token_revoke", "token", fk_req_param(req, "id"));
    fk_reply_empty(req, 204);
}

/* OpenAPI fragments merged into the generated document (src/http/system.c). */
#define JSON_BODY(props, required)                                                                 \
    "{\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":{"          \
    "\"type\":\"object\",\"properties\":{" props "},\"required\":[" required "]}}}}}"
#define STR "{\"type\":\"string\"}"
#define PAGE_PARAMS_LIST                                                                           \
    "{\"name\":\"page\",\"in\":\"query\",\"schema\":{\"type\":\"integer\",\"minimum\":1}},"        \
    "{\"name\":\"per_page\",\"in\":\"query\",\"schema\":{\"type\":\"integer\",\"minimum\":1,"      \
    "\"maximum\":200}}"
#define PAGE_PARAMS "{\"parameters\":[" PAGE_PARAMS_LIST "]}"
#define LIST_USERS_PARAMS                                                                          \
    "{\"parameters\":[" PAGE_PARAMS_LIST ",{\"name\":\"q\",\"in\":\"query\",\"schema\":" STR       \
    "},{\"name\":\"role\",\"in\":\"query\",\"schema\":" STR "},{\"name\":\"region\",\"in\":"       \
    "\"query\",\"schema\":" STR "}]}"
#define LOGIN_BODY JSON_BODY("\"username\":" STR ",\"password\":" STR, "\"username\",\"password\"")
#define USER_BODY                                                                                  \
    JSON_BODY("\"username\":" STR ",\"password\":{\"type\":\"string\",\"minLength\":10},"          \
              "\"display_name\":" STR ",\"role\":" STR ",\"region\":" STR,                         \
              "\"username\",\"password\",\"role\",\"region\"")
#define USER_PATCH_BODY                                                                            \
    JSON_BODY("\"display_name\":" STR ",\"role\":" STR ",\"region\":" STR ",\"password\":" STR     \
              ",\"disabled\":{\"type\":\"boolean\"},\"unlock\":{\"type\":\"boolean\"},"            \
              "\"revoke_tokens\":{\"type\":\"boolean\"}",                                          \
              "")
#define TOKEN_BODY JSON_BODY("\"username\":" STR ",\"name\":" STR, "\"username\"")

static const struct fk_route routes[] = {
    {"POST", "/api/v1/session", post_session, FK_ROUTE_PUBLIC, 0, "session",
     "登录：{username,password} → csrf_token 与会话 Cookie", LOGIN_BODY},
    {"GET", "/api/v1/session", get_session, 0, FK_ROLE_ANY, "session", "当前登录用户", NULL},
    {"DELETE", "/api/v1/session", delete_session, 0, FK_ROLE_ANY, "session", "退出登录", NULL},
    {"GET", "/api/v1/users", list_users, 0, FK_ROLE_DISTRICT_ADMIN, "users",
     "用户列表（q、role、region 筛选，分页）", LIST_USERS_PARAMS},
    {"POST", "/api/v1/users", create_user, 0, FK_ROLE_DISTRICT_ADMIN, "users",
     "新建用户：{username,password,display_name,role,region}", USER_BODY},
    {"PATCH", "/api/v1/users/{id}", patch_user, 0, FK_ROLE_DISTRICT_ADMIN, "users",
     "修改用户：display_name、role、region、password、disabled、unlock、revoke_tokens",
     USER_PATCH_BODY},
    {"GET", "/api/v1/tokens", list_tokens, 0, FK_ROLE_DISTRICT_ADMIN, "tokens", "接口令牌列表",
     PAGE_PARAMS},
    {"POST", "/api/v1/tokens", create_token, 0, FK_ROLE_DISTRICT_ADMIN, "tokens",
     "新建接口令牌：{username,name}，令牌仅显示一次", TOKEN_BODY},
    {"DELETE", "/api/v1/tokens/{id}", revoke_token, 0, FK_ROLE_DISTRICT_ADMIN, "tokens",
     "吊销接口令牌", NULL},
};

enum fk_err fk_accounts_routes(void)
{
    /* The dummy hash of unknown-user logins is made now, not on the first
     * stranger's attempt (which would then take twice as long). */
    pthread_once(&dummy_once, make_dummy_hash);
    if (dummy_hash[0] == '\0')
        return FK_ERR_NOMEM;
    if (fk_password_dictionary_ready() != FK_OK)
        fk_log_msg(FK_LOG_WARN, "password_dictionary_missing",
                   "cracklib-runtime is not installed: new passwords are refused (503)");
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
