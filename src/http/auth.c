/* Authentication of each request: bearer tokens for machines, session cookies
 * with a CSRF header for browsers. */
#include "http/http.h"
#include "http/internal.h"
#include "core/clock.h"
#include "core/log.h"

#include <string.h>

static const char *const role_names[] = {
    "district_admin",   "township_officer", "community_worker",
    "checkpoint_staff", "sampler",          "lab",
    "tracer",           "quarantine_staff", "inspector",
    "school_admin",     "enterprise",       "resident",
};
#define N_ROLES (sizeof(role_names) / sizeof(role_names[0]))

unsigned fk_role_from_name(const char *name)
{
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < N_ROLES; i++)
        if (strcmp(role_names[i], name) == 0)
            return 1u << i;
    return 0;
}

const char *fk_role_name(unsigned role)
{
    for (size_t i = 0; i < N_ROLES; i++)
        if (role == (1u << i))
            return role_names[i];
    return NULL;
}

/* Seconds between writes of last_seen/last_used, to keep reads cheap. */
#define TOUCH_INTERVAL 60

static void fill_actor(struct fk_actor *actor, struct fk_stmt *st)
{
    /* Columns: users.id, username, display_name, role, region, region_prefix */
    actor->user_id = fk_stmt_int64(st, 0);
    snprintf(actor->username, sizeof(actor->username), "%s", fk_stmt_text(st, 1));
    snprintf(actor->display_name, sizeof(actor->display_name), "%s", fk_stmt_text(st, 2));
    actor->role = fk_role_from_name(fk_stmt_text(st, 3));
    snprintf(actor->region, sizeof(actor->region), "%s", fk_stmt_text(st, 4));
    snprintf(actor->prefix, sizeof(actor->prefix), "%s", fk_stmt_text(st, 5));
}

static int unauthenticated(struct fk_req *req, const char *message)
{
    fk_reply_errf(req, FK_E_UNAUTHENTICATED_MSG, NULL, message);
    return 0;
}

static int by_token(struct fk_req *req, struct fk_conn *db, const char *token)
{
    if (strlen(token) > 128)
        return unauthenticated(req, "令牌无效");
    char hash[FK_TOKEN_HASH_LEN];
    fk_token_hash(token, hash);
    struct fk_stmt *st;
    int row;
    if (fk_db_query(db, &st, &row,
                    "SELECT u.id, u.username, u.display_name, u.role, u.region, u.region_prefix, "
                    "t.id, COALESCE(t.last_used_at, 0) FROM api_tokens t JOIN users u ON "
                    "u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND "
                    "u.disabled = 0",
                    "t", hash) != FK_OK) {
        fk_reply_fail(req, FK_ERR_DB, NULL);
        return 0;
    }
    if (!row) {
        fk_stmt_free(st);
        return unauthenticated(req, "令牌无效或已吊销");
    }
    fill_actor(&req->actor, st);
    req->actor.token_id = fk_stmt_int64(st, 6);
    int64_t last_used = fk_stmt_int64(st, 7);
    fk_stmt_free(st);
    int64_t now = fk_now();
    if (now - last_used >= TOUCH_INTERVAL)
        if (fk_db_run(db, NULL, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", "ii", now,
                      req->actor.token_id) != FK_OK)
            fk_log_msg(FK_LOG_WARN, "token_touch_failed", req->actor.username);
    return 1;
}

static int by_session(struct fk_req *req, struct fk_conn *db, const char *cookie)
{
    if (strlen(cookie) > 128)
        return unauthenticated(req, "登录已失效，请重新登录");
    char hash[FK_TOKEN_HASH_LEN];
    fk_token_hash(cookie, hash);
    struct fk_stmt *st;
    int row;
    int64_t now = fk_now();
    if (fk_db_query(
            db, &st, &row,
            "SELECT u.id, u.username, u.display_name, u.role, u.region, u.region_prefix, "
            "s.id, s.last_seen_at, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
            "ti", hash, now) != FK_OK) {
        fk_reply_fail(req, FK_ERR_DB, NULL);
        return 0;
    }
    if (!row) {
        fk_stmt_free(st);
        return unauthenticated(req, "登录已失效，请重新登录");
    }
    fill_actor(&req->actor, st);
    req->actor.session_id = fk_stmt_int64(st, 6);
    int64_t last_seen = fk_stmt_int64(st, 7);
    snprintf(req->actor.csrf, sizeof(req->actor.csrf), "%s", fk_stmt_text(st, 8));
    fk_stmt_free(st);
    if (now - last_seen >= TOUCH_INTERVAL)
        if (fk_db_run(db, NULL, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
                      "iii", now, now + req->app->cfg.session_ttl, req->actor.session_id) != FK_OK)
            fk_log_msg(FK_LOG_WARN, "session_touch_failed", req->actor.username);
    return 1;
}

int fk_auth_authenticate(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return 0;
    const char *authorization = fk_req_header(req, "Authorization");
    if (authorization != NULL) {
        if (strncmp(authorization, "Bearer ", 7) != 0 || authorization[7] == '\0')
            return unauthenticated(req, "Authorization 头应为 Bearer 令牌");
        return by_token(req, db, authorization + 7);
    }
    const char *cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, "fk_session");
    if (cookie == NULL || cookie[0] == '\0')
        return unauthenticated(req, "请先登录");
    return by_session(req, db, cookie);
}

int fk_auth_check_csrf(struct fk_req *req)
{
    const char *header = fk_req_header(req, "X-CSRF-Token");
    if (header != NULL && req->actor.csrf[0] != '\0' && strlen(header) <= 128 &&
        fk_token_equal(req->actor.csrf, header))
        return 1;
    fk_reply_err(req, FK_E_CSRF_TOKEN_INVALID, "X-CSRF-Token");
    return 0;
}
