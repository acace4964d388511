/* HTTP handlers: session (login/logout), users and tokens. */
#include "accounts/accounts.h"
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/http.h"
#include "regions/regions.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define USER_COLUMNS                                                                               \
    "u.id, u.username, u.display_name, u.role, u.region, COALESCE(r.name, ''), u.disabled, "       \
    "COALESCE((SELECT MAX(t.locked_until) FROM login_throttle t WHERE t.username = u.username), "  \
    "0), u.created_at"
#define USER_FROM " FROM users u LEFT JOIN regions r ON r.code = u.region"

/* locked_until: the latest lock of the username from any client address
 * (login throttling is per address: the owner elsewhere is not locked). */
static json_t *user_json(struct fk_stmt *st)
{
    int64_t locked_until = fk_stmt_int64(st, 7);
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "username", fk_stmt_text(st, 1),
                     "display_name", fk_stmt_text(st, 2), "role", fk_stmt_text(st, 3), "region",
                     fk_stmt_text(st, 4), "region_name", fk_stmt_text(st, 5), "disabled",
                     (int)fk_stmt_int64(st, 6), "locked_until",
                     fk_time_or_null(locked_until > fk_now() ? locked_until : 0), "created_at",
                     fk_time_or_null(fk_stmt_int64(st, 8)));
}

/* Loads a user the caller may see (inside the caller's jurisdiction). */
static enum fk_err load_user(struct fk_req *req, struct fk_conn *db, int64_t id, json_t **out)
{
    char sql[512];
    char in_region[96];
    fk_store_in_region("u.region_prefix", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "SELECT " USER_COLUMNS USER_FROM " WHERE u.id = ? AND %s",
             in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        *out = user_json(st);
    else if (err == FK_ERR_DONE)
        err = FK_ERR_NOT_FOUND;
    fk_stmt_free(st);
    return err;
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

enum fk_err fk_session_create(struct fk_conn *db, int64_t user_id, int64_t now, int64_t ttl,
                              char token[FK_TOKEN_LEN], char csrf[FK_TOKEN_LEN],
                              int64_t *session_id)
{
    char token_hash[FK_TOKEN_HASH_LEN];
    fk_token_new(token);
    fk_token_new(csrf);
    fk_token_hash(token, token_hash);
    return fk_db_run(db, session_id,
                     "INSERT INTO sessions(token_hash, csrf_token, user_id, created_at, "
                     "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                     "ttiiii", token_hash, csrf, user_id, now, now, now + ttl);
}

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
        fk_reply_error(req, 423, "account_locked", "登录失败次数过多，请稍后再试", "username");
        char seconds[24];
        snprintf(seconds, sizeof(seconds), "%lld", (long long)retry_after);
        fk_reply_header(req, "Retry-After", seconds);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    struct fk_stmt *st;
    int row;
    err = fk_db_query(db, &st, &row,
                      "SELECT id, username, display_name, role, region, region_prefix, "
                      "password_hash, disabled FROM users WHERE username = ?",
                      "t", username);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    struct fk_actor actor = {0};
    char hash[FK_PASSWORD_HASH_LEN] = "";
    int disabled = 0;
    if (row) {
        actor.user_id = fk_stmt_int64(st, 0);
        snprintf(actor.username, sizeof(actor.username), "%s", fk_stmt_text(st, 1));
        snprintf(actor.display_name, sizeof(actor.display_name), "%s", fk_stmt_text(st, 2));
        actor.role = fk_role_from_name(fk_stmt_text(st, 3));
        snprintf(actor.region, sizeof(actor.region), "%s", fk_stmt_text(st, 4));
        snprintf(actor.prefix, sizeof(actor.prefix), "%s", fk_stmt_text(st, 5));
        snprintf(hash, sizeof(hash), "%s", fk_stmt_text(st, 6));
        disabled = (int)fk_stmt_int64(st, 7);
    }
    fk_stmt_free(st);

    /* One argon2id verification whether the name exists or not. */
    if (verify_password(row ? hash : NULL, password) != FK_OK) {
        audit_failure(req, db, actor.user_id, username, row ? "wrong_password" : "unknown_user");
        fk_reply_error(req, 401, "invalid_credentials", "用户名或密码错误", "password");
        return;
    }
    if (disabled) {
        audit_failure(req, db, 0, username, "disabled");
        fk_reply_error(req, 403, "account_disabled", "账号已停用，请联系管理员", "username");
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
        enum fk_err err =
            fk_db_run(db, NULL, "DELETE FROM sessions WHERE id = ?", "i", req->actor.session_id);
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

static int parse_id_or_reply(struct fk_req *req, const char *code, const char *message, int64_t *id)
{
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, id) != FK_OK) {
        fk_reply_error(req, 404, code, message, "id");
        return -1;
    }
    return 0;
}

/* fk_list_run callbacks of the user list. */
struct user_filter {
    const char *scope, *q, *role;
    char like[80];
};

static enum fk_err bind_user_filter(struct fk_stmt *st, const void *ctx, int *idx)
{
    const struct user_filter *f = ctx;
    enum fk_err err = fk_stmt_bind_region(st, *idx, f->scope);
    *idx += 2;
    if (err == FK_OK && f->q) {
        err = fk_stmt_bind_text(st, (*idx)++, f->like);
        if (err == FK_OK)
            err = fk_stmt_bind_text(st, (*idx)++, f->like);
    }
    if (err == FK_OK && f->role)
        err = fk_stmt_bind_text(st, (*idx)++, f->role);
    return err;
}

static json_t *user_row(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    return user_json(st);
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
        fk_reply_error(req, 422, "invalid_field", "没有这个角色", "role");
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
            fk_reply_error(req, 422, "invalid_field", "区划代码格式错误", "region");
            return;
        }
        if (!fk_req_covers(req, prefix)) {
            fk_reply_error(req, 404, "region_not_found", "区划不存在或不在管辖范围内", "region");
            return;
        }
        snprintf(scope, sizeof(scope), "%s", prefix);
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    char in_region[96], where[384], count_sql[512], list_sql[768];
    fk_store_in_region("u.region_prefix", in_region, sizeof(in_region));
    /* Resident accounts (phone sign-in, thousands of them) are listed only
     * when asked for with ?role=resident: the staff list stays the staff. */
    snprintf(where, sizeof(where), " WHERE %s%s%s", in_region,
             q ? " AND (u.username LIKE ? OR u.display_name LIKE ?)" : "",
             role ? " AND u.role = ?" : " AND u.role <> 'resident'");
    struct user_filter uf = {scope, q, role, ""};
    if (q)
        snprintf(uf.like, sizeof(uf.like), "%%%s%%", q);
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*)" USER_FROM "%s", where);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " USER_COLUMNS USER_FROM "%s ORDER BY u.id LIMIT ? OFFSET ?", where);
    struct fk_list_query lq = {count_sql, list_sql, bind_user_filter, &uf, user_row, NULL};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_list_run(db, &lq, page, per_page, items, &total);
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

/* Replies 422/404 when `region` is malformed, unknown or outside the caller's
 * jurisdiction; 0 if fine. */
static int region_in_reach_or_reply(struct fk_req *req, struct fk_conn *db, const char *region,
                                    struct fk_region *out)
{
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(region, code, prefix, &reason) != FK_OK) {
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
        fk_reply_error(req, 422, "invalid_field", "没有这个角色", "role");
        return;
    }
    if (region_in_reach_or_reply(req, db, region, &found) != 0)
        return;
    int64_t id = 0;
    struct fk_field_error why = {0};
    enum fk_err err =
        fk_user_add(db, username, password, role, found.code, display_name, 0, &id, &why);
    if (err == FK_ERR_INVALID || err == FK_ERR_CONFLICT || (err == FK_ERR_IO && why.message)) {
        fk_reply_error(req,
                       err == FK_ERR_CONFLICT ? 409
                       : err == FK_ERR_IO     ? 503
                                              : 422,
                       err == FK_ERR_CONFLICT ? "conflict"
                       : err == FK_ERR_IO     ? "password_dictionary_missing"
                                              : "invalid_field",
                       why.message, why.field);
        return;
    }
    json_t *user = NULL;
    if (err == FK_OK)
        err = load_user(req, db, id, &user);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    audit_or_log(req, "user_create", "user", id_text);
    fk_reply_json(req, 201, user);
}

static void patch_user(struct fk_req *req)
{
    int64_t id;
    if (parse_id_or_reply(req, "user_not_found", "用户不存在", &id) != 0)
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
        fk_reply_error(req, 422, "invalid_field", "没有这个角色", "role");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *user = NULL;
    enum fk_err err = load_user(req, db, id, &user);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_error(req, 404, "user_not_found", "用户不存在", "id");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    char username[FK_USERNAME_MAX + 1];
    snprintf(username, sizeof(username), "%s",
             json_string_value(json_object_get(user, "username")));
    json_decref(user);
    user = NULL;
    struct fk_field_error why = {0};
    if (password != NULL && (err = fk_password_check(username, password, &why)) != FK_OK) {
        if (err == FK_ERR_INVALID)
            fk_reply_error(req, 422, "invalid_field", why.message, "password");
        else
            fk_reply_error(req, 503, "password_dictionary_missing", why.message, "password");
        return;
    }
    if (has_disabled && disabled && id == req->actor.user_id) {
        fk_reply_error(req, 422, "invalid_field", "不能停用自己的账号", "disabled");
        return;
    }
    struct fk_region found;
    if (region != NULL && region_in_reach_or_reply(req, db, region, &found) != 0)
        return;
    char hash[FK_PASSWORD_HASH_LEN];
    if (password != NULL && (err = fk_password_hash(password, hash)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int64_t now = fk_now();
    if ((err = fk_db_begin(db)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (display_name)
        err = fk_db_run(db, NULL, "UPDATE users SET display_name = ? WHERE id = ?", "ti",
                        display_name, id);
    if (err == FK_OK && role)
        err = fk_db_run(db, NULL, "UPDATE users SET role = ? WHERE id = ?", "ti", role, id);
    if (err == FK_OK && region)
        err = fk_db_run(db, NULL, "UPDATE users SET region = ?, region_prefix = ? WHERE id = ?",
                        "tti", found.code, found.prefix, id);
    if (err == FK_OK && password)
        err =
            fk_db_run(db, NULL, "UPDATE users SET password_hash = ? WHERE id = ?", "ti", hash, id);
    if (err == FK_OK && has_disabled)
        err = fk_db_run(db, NULL, "UPDATE users SET disabled = ? WHERE id = ?", "ii",
                        (int64_t)disabled, id);
    if (err == FK_OK && has_unlock && unlock)
        err = fk_login_throttle_clear(db, username, NULL);
    /* On request (with a password reset, typically) the bearer tokens go too. */
    if (err == FK_OK && has_revoke && revoke_tokens)
        err = fk_user_revoke_tokens(db, id, now);
    /* A new password, role or region, or disabling, ends the user's sessions. */
    if (err == FK_OK && (password || role || region || (has_disabled && disabled)) &&
        id != req->actor.user_id)
        err = fk_db_run(db, NULL, "DELETE FROM sessions WHERE user_id = ?", "i", id);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE users SET updated_at = ? WHERE id = ?", "ii", now, id);
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    if (err == FK_OK) {
        json_t *changed =
            json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "display_name", display_name != NULL, "role",
                      role != NULL, "region", region != NULL, "password", password != NULL,
                      "disabled", has_disabled, "unlock", has_unlock && unlock, "revoke_tokens",
                      has_revoke && revoke_tokens);
        err = fk_audit_req(req, "user_update", "user", id_text, 0, changed);
        json_decref(changed);
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    if ((err = load_user(req, db, id, &user)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, user);
}

/* --- tokens --- */

/* fk_list_run callbacks of the token list. */
static enum fk_err bind_scope(struct fk_stmt *st, const void *ctx, int *idx)
{
    enum fk_err err = fk_stmt_bind_region(st, *idx, ctx);
    *idx += 2;
    return err;
}

static json_t *token_row(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack(
        "{s:I,s:s,s:I,s:s,s:o,s:o,s:o}", "id", (json_int_t)fk_stmt_int64(st, 0), "name",
        fk_stmt_text(st, 1), "user_id", (json_int_t)fk_stmt_int64(st, 2), "username",
        fk_stmt_text(st, 3), "created_at", fk_time_or_null(fk_stmt_int64(st, 4)), "last_used_at",
        fk_time_or_null(fk_stmt_int64(st, 5)), "revoked_at", fk_time_or_null(fk_stmt_int64(st, 6)));
}

static void list_tokens(struct fk_req *req)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    char in_region[96], count_sql[256], list_sql[640];
    fk_store_in_region("u.region_prefix", in_region, sizeof(in_region));
    snprintf(count_sql, sizeof(count_sql),
             "SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE %s",
             in_region);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT t.id, t.name, t.user_id, u.username, t.created_at, "
             "COALESCE(t.last_used_at, 0), COALESCE(t.revoked_at, 0) FROM api_tokens t "
             "JOIN users u ON u.id = t.user_id WHERE %s ORDER BY t.id DESC LIMIT ? OFFSET ?",
             in_region);
    struct fk_list_query lq = {count_sql, list_sql, bind_scope, req->actor.prefix, token_row, NULL};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_list_run(db, &lq, page, per_page, items, &total);
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
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
    char in_region[96], sql[256];
    fk_store_in_region("region_prefix", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "SELECT id FROM users WHERE username = ? AND %s", in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_text(st, 1, username);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    fk_stmt_free(st);
    if (err == FK_ERR_DONE) {
        fk_reply_error(req, 404, "user_not_found", "用户不存在", "username");
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
    if (parse_id_or_reply(req, "token_not_found", "令牌不存在", &id) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    char in_region[96], sql[320];
    fk_store_in_region("region_prefix", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND "
             "user_id IN (SELECT id FROM users WHERE %s) RETURNING id",
             in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, fk_now());
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 2, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 3, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        while (fk_stmt_step(st) == FK_OK)
            ;
    fk_stmt_free(st);
    if (err == FK_ERR_DONE) {
        fk_reply_error(req, 404, "token_not_found", "令牌不存在或已吊销", "id");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
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
