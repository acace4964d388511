/* Account rules: usernames, what a new password must meet, the checks of
 * a new user. The rows are written by accounts_store.c. */
#include "accounts/accounts_internal.h"
#include "core/clock.h"
#include "http/http.h" /* role names */
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
    err = fk_accounts_insert_user(db, username, display_name, hash, role, &found, fk_now(), id);
    if (err == FK_ERR_CONFLICT)
        return refuse(why, "username", "用户名已存在", FK_ERR_CONFLICT);
    return err;
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
    err = fk_accounts_set_password_hash(db, username, hash, fk_now(), revoke_tokens);
    if (err == FK_ERR_NOT_FOUND)
        return refuse(why, "username", "用户不存在", FK_ERR_NOT_FOUND);
    return err;
}
