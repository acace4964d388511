#include "accounts/accounts.h"
#include "core/clock.h"
#include "http/http.h"
#include "regions/regions.h"

#include <string.h>

int fk_username_valid(const char *username)
{
    size_t len = strnlen(username, FK_USERNAME_MAX + 1);
    if (len < 3 || len > FK_USERNAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = username[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static enum fk_err refuse(struct fk_field_error *why, const char *field, const char *message,
                          enum fk_err err)
{
    why->field = field;
    why->message = message;
    return err;
}

/* The rule (fk_password_check), or with FK_USER_ALLOW_WEAK only 1–256 bytes. */
static enum fk_err password_acceptable(const char *username, const char *password, unsigned flags,
                                       struct fk_field_error *why)
{
    size_t plen = strnlen(password, FK_PASSWORD_MAX + 1);
    if (plen == 0)
        return refuse(why, "password", "密码不能为空", FK_ERR_INVALID);
    if (plen > FK_PASSWORD_MAX)
        return refuse(why, "password", "密码不能超过 256 个字节", FK_ERR_INVALID);
    if (flags & FK_USER_ALLOW_WEAK)
        return FK_OK;
    return fk_password_check(username, password, why);
}

enum fk_err fk_user_add(struct fk_conn *db, const char *username, const char *password,
                        const char *role, const char *region, const char *display_name,
                        unsigned flags, int64_t *id, struct fk_field_error *why)
{
    if (!fk_username_valid(username))
        return refuse(why, "username", "用户名应为 3–64 位字母、数字或 . _ -", FK_ERR_INVALID);
    enum fk_err err = password_acceptable(username, password, flags, why);
    if (err != FK_OK)
        return err;
    if (fk_role_from_name(role) == 0)
        return refuse(why, "role", "没有这个角色", FK_ERR_INVALID);
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(region, code, prefix, &reason) != FK_OK)
        return refuse(why, "region", "区划代码格式错误", FK_ERR_INVALID);
    struct fk_region found;
    err = fk_region_get(db, code, &found);
    if (err == FK_ERR_NOT_FOUND)
        return refuse(why, "region", "区划不存在", FK_ERR_INVALID);
    if (err != FK_OK)
        return err;
    if (display_name == NULL || display_name[0] == '\0')
        display_name = username;
    char hash[FK_PASSWORD_HASH_LEN];
    if ((err = fk_password_hash(password, hash)) != FK_OK)
        return err;
    int64_t now = fk_now();
    int64_t new_id = 0;
    err = fk_db_run(db, &new_id,
                    "INSERT INTO users(username, display_name, password_hash, role, region, "
                    "region_prefix, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "RETURNING id",
                    "ttttttii", username, display_name, hash, role, found.code, found.prefix, now,
                    now);
    if (err == FK_ERR_CONFLICT)
        return refuse(why, "username", "用户名已存在", FK_ERR_CONFLICT);
    if (err == FK_OK && id != NULL)
        *id = new_id;
    return err;
}

enum fk_err fk_token_create(struct fk_conn *db, const char *username, const char *name,
                            char token[FK_TOKEN_LEN], int64_t *id)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT id FROM users WHERE username = ?", "t", username);
    if (err != FK_OK)
        return err;
    int64_t user_id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    if (!row)
        return FK_ERR_NOT_FOUND;
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

enum fk_err fk_user_set_password(struct fk_conn *db, const char *username, const char *password,
                                 unsigned flags, int revoke_tokens, struct fk_field_error *why)
{
    enum fk_err err = password_acceptable(username, password, flags, why);
    char hash[FK_PASSWORD_HASH_LEN];
    if (err == FK_OK)
        err = fk_password_hash(password, hash);
    if (err != FK_OK)
        return err;
    int64_t now = fk_now();
    int64_t user_id = 0;
    if ((err = fk_db_begin(db)) != FK_OK)
        return err;
    err = fk_db_run(db, &user_id,
                    "UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ? "
                    "RETURNING id",
                    "tit", hash, now, username);
    if (err == FK_OK && user_id == 0)
        err = refuse(why, "username", "用户不存在", FK_ERR_NOT_FOUND);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "DELETE FROM sessions WHERE user_id = ?", "i", user_id);
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
