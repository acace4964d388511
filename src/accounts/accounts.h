/* Accounts: users (one role, one region each), the password rule, browser
 * sessions, bearer tokens and login throttling. */
#ifndef FK_ACCOUNTS_ACCOUNTS_H
#define FK_ACCOUNTS_ACCOUNTS_H

#include <stdint.h>
#include "core/err.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "store/store.h"

#define FK_USERNAME_MAX 64
#define FK_PASSWORD_MIN 10 /* characters */
#define FK_PASSWORD_MAX 256

/* Why fk_user_validate refused: the field and a Chinese message. */
struct fk_field_error {
    const char *field;
    const char *message;
};

/* Checks a username (3–64 of [A-Za-z0-9._-]). */
int fk_username_valid(const char *username);

/* The rule every new password meets (issue 9 item 3): 10–256 characters
 * (at most 256 bytes), not containing `username` (ASCII case ignored; may be
 * NULL), and accepted by cracklib's FascistCheckUser with the system
 * dictionary. FK_ERR_INVALID with `why` (field "password", a Chinese message
 * saying what is wrong); FK_ERR_IO when the dictionary is not installed (the
 * message says so). Thread-safe: cracklib calls are serialized. */
enum fk_err fk_password_check(const char *username, const char *password,
                              struct fk_field_error *why) FK_MUST_CHECK;
/* FK_OK when cracklib's dictionary (cracklib-runtime) is readable. */
enum fk_err fk_password_dictionary_ready(void) FK_MUST_CHECK;

/* fk_user_add flags. */
#define FK_USER_ALLOW_WEAK 1u /* skip fk_password_check (CLI --allow-weak-password) */

/* Creates a user. Role must be a known role name; region any accepted code
 * spelling of an existing region; the password must pass fk_password_check
 * unless `flags` has FK_USER_ALLOW_WEAK (then 1–256 bytes). On FK_ERR_INVALID
 * / FK_ERR_CONFLICT (and FK_ERR_IO: no dictionary) `why` names the field.
 * `*id` receives the new id (may be NULL). */
enum fk_err fk_user_add(struct fk_conn *db, const char *username, const char *password,
                        const char *role, const char *region, const char *display_name,
                        unsigned flags, int64_t *id, struct fk_field_error *why) FK_MUST_CHECK;

/* Revokes every bearer token of the user not yet revoked, as of `now`. */
enum fk_err fk_user_revoke_tokens(struct fk_conn *db, int64_t user_id, int64_t now) FK_MUST_CHECK;

/* Sets the password of `username` (the rule as in fk_user_add), ends the
 * user's sessions, lifts the login locks and, when `revoke_tokens`, revokes
 * the bearer tokens: one transaction. FK_ERR_INVALID / FK_ERR_NOT_FOUND with
 * `why`. Used by `fangkong user passwd`. */
enum fk_err fk_user_set_password(struct fk_conn *db, const char *username, const char *password,
                                 unsigned flags, int revoke_tokens,
                                 struct fk_field_error *why) FK_MUST_CHECK;

/* Creates a bearer token for `username`: `token` receives the secret (shown
 * once; only its hash is stored). FK_ERR_NOT_FOUND if no such user. */
enum fk_err fk_token_create(struct fk_conn *db, const char *username, const char *name,
                            char token[FK_TOKEN_LEN], int64_t *id) FK_MUST_CHECK;

/* Starts a browser session for `user_id` valid `ttl` seconds from `now`:
 * writes the session row (only the token's hash), and fills `token` (the
 * cookie's secret), `csrf` (its CSRF token) and `*session_id` (may be NULL).
 * Used by staff login and resident one-time-code sign-in alike. */
enum fk_err fk_session_create(struct fk_conn *db, int64_t user_id, int64_t now, int64_t ttl,
                              char token[FK_TOKEN_LEN], char csrf[FK_TOKEN_LEN],
                              int64_t *session_id) FK_MUST_CHECK;
/* Adds the session cookie (HttpOnly, SameSite=Strict, Max-Age --session-ttl)
 * for `token` to the reply already set. */
void fk_session_cookie(struct fk_req *req, const char *token);

/* Login throttling per (username, client address): see login_throttle.c. */
struct fk_login_limits {
    int64_t attempts; /* failures allowed before the first lock (--lockout-attempts) */
    int64_t window;   /* seconds of quiet after which failures are forgotten */
    int64_t delay;    /* seconds of the first lock (--lockout-delay) */
    int64_t cap;      /* longest lock in seconds (--lockout-duration) */
};

/* Counts one login attempt of `username` (known or not) from `ip` before its
 * password is checked. FK_OK: go on and check it; FK_ERR_LOCKED: refuse, and
 * `*retry_after` says in how many seconds the next attempt is admitted.
 * Atomic: parallel attempts never get more tries than the limit. */
enum fk_err fk_login_throttle_admit(struct fk_conn *db, const char *username, const char *ip,
                                    int64_t now, const struct fk_login_limits *lim,
                                    int64_t *retry_after) FK_MUST_CHECK;
/* Forgets the failures of `username` from `ip` (after a success), or from
 * every address when `ip` is NULL (an admin's unlock). */
enum fk_err fk_login_throttle_clear(struct fk_conn *db, const char *username,
                                    const char *ip) FK_MUST_CHECK;

/* --- typed reads (issue 10 item 2): what other modules call instead of
 * reading the users table. A list that labels its rows with a user's name
 * joins the view user_directory (sql/0018_directories.sql) instead. --- */

/* One user as stored, with the name of their region and the latest login
 * lock of their username from any address (0 = none). A plain value. */
struct fk_user {
    int64_t id;
    char username[FK_USERNAME_MAX + 1];
    char display_name[128];
    char role_name[32]; /* "district_admin", ... */
    unsigned role;      /* its FK_ROLE_* bit (0 if unknown) */
    char region[19];    /* region code */
    char prefix[19];    /* its significant prefix: the user's jurisdiction */
    char region_name[128];
    int disabled;
    int64_t locked_until;
    int64_t created_at;
};

/* The user `id`, or FK_ERR_NOT_FOUND. Fills the caller's *out. */
enum fk_err fk_user_get(struct fk_conn *db, int64_t id, struct fk_user *out) FK_MUST_CHECK;
/* The user called `username` (borrowed), or FK_ERR_NOT_FOUND. */
enum fk_err fk_user_get_by_username(struct fk_conn *db, const char *username,
                                    struct fk_user *out) FK_MUST_CHECK;
/* The user `id` when their region lies in the jurisdiction `prefix`
 * (borrowed); "not found" and "not yours" are the same FK_ERR_NOT_FOUND. */
enum fk_err fk_user_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                             struct fk_user *out) FK_MUST_CHECK;
/* As fk_user_in_scope, by username. */
enum fk_err fk_user_by_username_in_scope(struct fk_conn *db, const char *username,
                                         const char *prefix, struct fk_user *out) FK_MUST_CHECK;

/* Writes of resident self-service accounts (src/selfservice), in
 * accounts_resident_store.c. Both run inside the caller's transaction. */
/* Creates the user of a resident account: role 'resident', no usable
 * password ("!" is no argon2id hash), `username`, `display_name`, `region`
 * and `prefix` (all borrowed), created and updated at `now`; *id its id. */
enum fk_err fk_user_create_resident(struct fk_conn *db, const char *username,
                                    const char *display_name, const char *region,
                                    const char *prefix, int64_t now, int64_t *id) FK_MUST_CHECK;
/* Moves user `id` to `region` and `prefix` (borrowed), updated at `now`. */
enum fk_err fk_user_set_region(struct fk_conn *db, int64_t id, const char *region,
                               const char *prefix, int64_t now) FK_MUST_CHECK;

enum fk_err fk_accounts_routes(void) FK_MUST_CHECK;

#endif
