/* The accounts' tables: users, sessions, api_tokens (login_throttle is
 * login_throttle.c's): the reads the handlers and other modules need and the
 * writes of users, sessions and tokens. No HTTP. */
#include "accounts/accounts_internal.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

#define USER_COLUMNS                                                                               \
    "u.id, u.username, u.display_name, u.role, u.region, u.region_prefix, COALESCE(r.name, ''), "  \
    "u.disabled, COALESCE((SELECT MAX(t.locked_until) FROM login_throttle t WHERE t.username = "   \
    "u.username), 0), u.created_at, COALESCE(u.password_hash, '')"
#define USER_FROM " FROM users u LEFT JOIN regions r ON r.code = u.region"

static enum fk_err end_sessions(struct fk_conn *db, int64_t user_id);

static void copy_text(char *out, size_t size, const char *text)
{
    snprintf(out, size, "%s", text ? text : "");
}

/* locked_until: the latest lock of the username from any client address
 * (login throttling is per address: the owner elsewhere is not locked). */
static void user_read(struct fk_stmt *st, struct fk_user *u)
{
    u->id = fk_stmt_int64(st, 0);
    copy_text(u->username, sizeof(u->username), fk_stmt_text(st, 1));
    copy_text(u->display_name, sizeof(u->display_name), fk_stmt_text(st, 2));
    copy_text(u->role_name, sizeof(u->role_name), fk_stmt_text(st, 3));
    u->role = fk_role_from_name(u->role_name);
    copy_text(u->region, sizeof(u->region), fk_stmt_text(st, 4));
    copy_text(u->prefix, sizeof(u->prefix), fk_stmt_text(st, 5));
    copy_text(u->region_name, sizeof(u->region_name), fk_stmt_text(st, 6));
    u->disabled = (int)fk_stmt_int64(st, 7);
    u->locked_until = fk_stmt_int64(st, 8);
    u->created_at = fk_stmt_int64(st, 9);
}

/* A user callback for fk_where_each. */
struct user_rows {
    fk_user_fn each;
    void *ctx;
};

static enum fk_err user_row(struct fk_stmt *st, void *ctx)
{
    struct user_rows *r = ctx;
    struct fk_user u;
    user_read(st, &u);
    return r->each(&u, r->ctx);
}

static enum fk_err read_user(struct fk_stmt *st, void *ctx)
{
    user_read(st, ctx);
    return FK_OK;
}

static enum fk_err one_user(struct fk_conn *db, const struct fk_where *w, struct fk_user *out)
{
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT " USER_COLUMNS USER_FROM "%s", w->sql);
    return fk_where_one(db, sql, w, read_user, out);
}

/* A user by id (`username` NULL) or by username, within `prefix` unless NULL. */
static enum fk_err find_user(struct fk_conn *db, int64_t id, const char *username,
                             const char *prefix, struct fk_user *out)
{
    struct fk_where w;
    fk_where_init(&w);
    if (username != NULL)
        fk_where_add(&w, "u.username = ?", "t", username);
    else
        fk_where_add(&w, "u.id = ?", "i", id);
    if (prefix != NULL)
        fk_where_region(&w, "u.region_prefix", prefix);
    return one_user(db, &w, out);
}

enum fk_err fk_user_get(struct fk_conn *db, int64_t id, struct fk_user *out)
{
    return find_user(db, id, NULL, NULL, out);
}

enum fk_err fk_user_get_by_username(struct fk_conn *db, const char *username, struct fk_user *out)
{
    return find_user(db, 0, username, NULL, out);
}

enum fk_err fk_user_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                             struct fk_user *out)
{
    return find_user(db, id, NULL, prefix, out);
}

enum fk_err fk_user_by_username_in_scope(struct fk_conn *db, const char *username,
                                         const char *prefix, struct fk_user *out)
{
    return find_user(db, 0, username, prefix, out);
}

enum fk_err fk_accounts_login_user(struct fk_conn *db, const char *username, struct fk_user *out,
                                   char *hash)
{
    struct fk_stmt *st;
    int row;
    hash[0] = '\0';
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT " USER_COLUMNS USER_FROM " WHERE u.username = ?", "t", username);
    if (err != FK_OK)
        return err;
    if (row) {
        user_read(st, out);
        copy_text(hash, FK_PASSWORD_HASH_LEN, fk_stmt_text(st, 10));
    }
    fk_stmt_free(st);
    return row ? FK_OK : FK_ERR_NOT_FOUND;
}

enum fk_err fk_accounts_list_users(struct fk_conn *db, const struct fk_user_filter *f, int64_t page,
                                   int64_t per_page, int64_t *total, fk_user_fn each, void *ctx)
{
    char like[80];
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "u.region_prefix", f->scope);
    if (f->q) {
        snprintf(like, sizeof(like), "%%%s%%", f->q);
        fk_where_add(&w, "(u.username LIKE ? OR u.display_name LIKE ?)", "tt", like, like);
    }
    /* Resident accounts (phone sign-in, thousands of them) are listed only
     * when asked for with ?role=resident: the staff list stays the staff. */
    if (f->role)
        fk_where_add(&w, "u.role = ?", "t", f->role);
    else
        fk_where_add(&w, "u.role <> 'resident'", "");
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*)" USER_FROM "%s", w.sql);
    enum fk_err err = fk_where_count(db, sql, &w, total);
    if (err != FK_OK)
        return err;
    snprintf(sql, sizeof(sql), "SELECT " USER_COLUMNS USER_FROM "%s ORDER BY u.id LIMIT ? OFFSET ?",
             w.sql);
    int64_t tail[2] = {per_page, (page - 1) * per_page};
    return fk_where_each(db, sql, &w, tail, 2, user_row, &(struct user_rows){each, ctx}, NULL,
                         NULL);
}

enum fk_err fk_accounts_update_user(struct fk_conn *db, int64_t id, const char *username,
                                    const struct fk_user_change *c, int64_t now,
                                    const struct fk_audit_entry *audit)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    if (c->display_name)
        err = fk_db_run(db, NULL, "UPDATE users SET display_name = ? WHERE id = ?", "ti",
                        c->display_name, id);
    if (err == FK_OK && c->role)
        err = fk_db_run(db, NULL, "UPDATE users SET role = ? WHERE id = ?", "ti", c->role, id);
    if (err == FK_OK && c->region)
        err = fk_db_run(db, NULL, "UPDATE users SET region = ?, region_prefix = ? WHERE id = ?",
                        "tti", c->region, c->prefix, id);
    if (err == FK_OK && c->password_hash)
        err = fk_db_run(db, NULL, "UPDATE users SET password_hash = ? WHERE id = ?", "ti",
                        c->password_hash, id);
    if (err == FK_OK && c->has_disabled)
        err = fk_db_run(db, NULL, "UPDATE users SET disabled = ? WHERE id = ?", "ii",
                        (int64_t)c->disabled, id);
    if (err == FK_OK && c->unlock)
        err = fk_login_throttle_clear(db, username, NULL);
    /* On request (with a password reset, typically) the bearer tokens go too. */
    if (err == FK_OK && c->revoke_tokens)
        err = fk_user_revoke_tokens(db, id, now);
    if (err == FK_OK && c->end_sessions)
        err = end_sessions(db, id);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE users SET updated_at = ? WHERE id = ?", "ii", now, id);
    if (err == FK_OK)
        err = fk_audit_write(db, audit);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}

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

enum fk_err fk_session_delete(struct fk_conn *db, int64_t id)
{
    return fk_db_run(db, NULL, "DELETE FROM sessions WHERE id = ?", "i", id);
}

/* A token callback for fk_where_each. */
struct token_rows {
    fk_token_fn each;
    void *ctx;
};

static enum fk_err token_row(struct fk_stmt *st, void *ctx)
{
    struct token_rows *r = ctx;
    struct fk_token_info t;
    t.id = fk_stmt_int64(st, 0);
    copy_text(t.name, sizeof(t.name), fk_stmt_text(st, 1));
    t.user_id = fk_stmt_int64(st, 2);
    copy_text(t.username, sizeof(t.username), fk_stmt_text(st, 3));
    t.created_at = fk_stmt_int64(st, 4);
    t.last_used_at = fk_stmt_int64(st, 5);
    t.revoked_at = fk_stmt_int64(st, 6);
    return r->each(&t, r->ctx);
}

enum fk_err fk_accounts_list_tokens(struct fk_conn *db, const char *prefix, int64_t page,
                                    int64_t per_page, int64_t *total, fk_token_fn each, void *ctx)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "u.region_prefix", prefix);
    char sql[1536];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id%s", w.sql);
    enum fk_err err = fk_where_count(db, sql, &w, total);
    if (err != FK_OK)
        return err;
    snprintf(sql, sizeof(sql),
             "SELECT t.id, t.name, t.user_id, u.username, t.created_at, "
             "COALESCE(t.last_used_at, 0), COALESCE(t.revoked_at, 0) FROM api_tokens t "
             "JOIN users u ON u.id = t.user_id%s ORDER BY t.id DESC LIMIT ? OFFSET ?",
             w.sql);
    int64_t tail[2] = {per_page, (page - 1) * per_page};
    return fk_where_each(db, sql, &w, tail, 2, token_row, &(struct token_rows){each, ctx}, NULL,
                         NULL);
}

enum fk_err fk_token_revoke_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                                     int64_t now)
{
    char low[24], high[24];
    fk_store_region_bounds(prefix, low, high);
    int64_t revoked = 0;
    enum fk_err err =
        fk_db_run(db, &revoked,
                  "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND "
                  "user_id IN (SELECT id FROM users WHERE (region_prefix >= ? AND region_prefix "
                  "< ?)) RETURNING id",
                  "iitt", now, id, low, high);
    return err == FK_OK && revoked == 0 ? FK_ERR_NOT_FOUND : err;
}

enum fk_err fk_token_create(struct fk_conn *db, const char *username, const char *name,
                            char token[FK_TOKEN_LEN], int64_t *id)
{
    struct fk_user user;
    enum fk_err err = fk_user_get_by_username(db, username, &user);
    if (err != FK_OK)
        return err;
    int64_t user_id = user.id;
    char secret[FK_TOKEN_LEN], hash[FK_TOKEN_HASH_LEN];
    fk_token_new(secret);
    fk_token_hash(secret, hash);
    int64_t new_id = 0;
    err = fk_db_run(db, &new_id,
                    "INSERT INTO api_tokens(user_id, name, token_hash, created_at) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    "itti", user_id, name ? name : "", hash, fk_now());
    if (err != FK_OK)
        return err;
    memcpy(token, secret, FK_TOKEN_LEN);
    if (id != NULL)
        *id = new_id;
    return FK_OK;
}

enum fk_err fk_user_revoke_tokens(struct fk_conn *db, int64_t user_id, int64_t now)
{
    return fk_db_run(
        db, NULL, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        "ii", now, user_id);
}

static enum fk_err end_sessions(struct fk_conn *db, int64_t user_id)
{
    return fk_db_run(db, NULL, "DELETE FROM sessions WHERE user_id = ?", "i", user_id);
}

enum fk_err fk_accounts_insert_user(struct fk_conn *db, const char *username,
                                    const char *display_name, const char *hash, const char *role,
                                    const struct fk_region *region, int64_t now, int64_t *id)
{
    int64_t new_id = 0;
    enum fk_err err = fk_db_run(
        db, &new_id,
        "INSERT INTO users(username, display_name, password_hash, role, region, "
        "region_prefix, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        "ttttttii", username, display_name, hash, role, region->code, region->prefix, now, now);
    if (err == FK_OK && id != NULL)
        *id = new_id;
    return err;
}

enum fk_err fk_accounts_set_password_hash(struct fk_conn *db, const char *username,
                                          const char *hash, int64_t now, int revoke_tokens)
{
    int64_t user_id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, &user_id,
                    "UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ? "
                    "RETURNING id",
                    "tit", hash, now, username);
    if (err == FK_OK && user_id == 0)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        err = end_sessions(db, user_id);
    if (err == FK_OK && revoke_tokens)
        err = fk_user_revoke_tokens(db, user_id, now);
    if (err == FK_OK)
        err = fk_login_throttle_clear(db, username, NULL);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}
