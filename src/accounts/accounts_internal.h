/* Internal to src/accounts: what its handlers and its store share. No other
 * module includes this. */
#ifndef FK_ACCOUNTS_INTERNAL_H
#define FK_ACCOUNTS_INTERNAL_H

#include "accounts/accounts.h"
#include "audit/audit.h"
#include "regions/regions.h"

/* Called once per user / token read; a failure stops the read. */
typedef enum fk_err (*fk_user_fn)(const struct fk_user *u, void *ctx);

/* A user for login: fk_user_get_by_username plus the password hash
 * (FK_PASSWORD_HASH_LEN bytes, "" when the account has none). */
enum fk_err fk_accounts_login_user(struct fk_conn *db, const char *username, struct fk_user *out,
                                   char *hash) FK_MUST_CHECK;

/* Filters of the user list (strings borrowed; NULL = any). Without `role`
 * resident accounts are left out. */
struct fk_user_filter {
    const char *scope, *q, *role;
};
enum fk_err fk_accounts_list_users(struct fk_conn *db, const struct fk_user_filter *f, int64_t page,
                                   int64_t per_page, int64_t *total, fk_user_fn each,
                                   void *ctx) FK_MUST_CHECK;

/* What PATCH /users/{id} changes (NULL / 0 = unchanged). Strings borrowed. */
struct fk_user_change {
    const char *display_name, *role, *region, *prefix;
    const char *password_hash;
    int has_disabled, disabled;
    int unlock, revoke_tokens;
    int end_sessions; /* delete the user's sessions */
};
/* Applies `change` to user `id` (`username` for the unlock) and writes
 * `audit` (borrowed), in one transaction. */
enum fk_err fk_accounts_update_user(struct fk_conn *db, int64_t id, const char *username,
                                    const struct fk_user_change *change, int64_t now,
                                    const struct fk_audit_entry *audit) FK_MUST_CHECK;

/* Inserts a checked user (`hash` an argon2id hash, `region` an existing
 * one); FK_ERR_CONFLICT when the username exists. *id may be NULL. */
enum fk_err fk_accounts_insert_user(struct fk_conn *db, const char *username,
                                    const char *display_name, const char *hash, const char *role,
                                    const struct fk_region *region, int64_t now,
                                    int64_t *id) FK_MUST_CHECK;
/* Sets the password hash of `username`, ends their sessions, lifts their
 * login locks and, when `revoke_tokens`, revokes their bearer tokens: one
 * transaction. FK_ERR_NOT_FOUND when there is no such user. */
enum fk_err fk_accounts_set_password_hash(struct fk_conn *db, const char *username,
                                          const char *hash, int64_t now,
                                          int revoke_tokens) FK_MUST_CHECK;

/* Ends session `id`. */
enum fk_err fk_session_delete(struct fk_conn *db, int64_t id) FK_MUST_CHECK;

/* A bearer token as listed (never its secret). */
struct fk_token_info {
    int64_t id;
    char name[128];
    int64_t user_id;
    char username[FK_USERNAME_MAX + 1];
    int64_t created_at, last_used_at, revoked_at; /* 0 = never */
};
typedef enum fk_err (*fk_token_fn)(const struct fk_token_info *t, void *ctx);
/* One page of the tokens of users in `prefix`, newest first. */
enum fk_err fk_accounts_list_tokens(struct fk_conn *db, const char *prefix, int64_t page,
                                    int64_t per_page, int64_t *total, fk_token_fn each,
                                    void *ctx) FK_MUST_CHECK;
/* Revokes token `id` of a user in `prefix` as of `now`; FK_ERR_NOT_FOUND
 * when there is none or it is revoked already. */
enum fk_err fk_token_revoke_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                                     int64_t now) FK_MUST_CHECK;

#endif
