/* Accounts: users (one role, one region each), browser sessions, bearer
 * tokens and login lockout. */
#ifndef FK_ACCOUNTS_ACCOUNTS_H
#define FK_ACCOUNTS_ACCOUNTS_H

#include <stdint.h>
#include "core/err.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "store/store.h"

#define FK_USERNAME_MAX 64
#define FK_PASSWORD_MIN 8
#define FK_PASSWORD_MAX 256

/* Why fk_user_validate refused: the field and a Chinese message. */
struct fk_field_error {
    const char *field;
    const char *message;
};

/* Checks a username (3–64 of [A-Za-z0-9._-]). */
int fk_username_valid(const char *username);

/* Creates a user. Role must be a known role name; region any accepted code
 * spelling of an existing region. On FK_ERR_INVALID / FK_ERR_CONFLICT `why`
 * names the field. `*id` receives the new id (may be NULL). */
enum fk_err fk_user_add(struct fk_conn *db, const char *username, const char *password,
                        const char *role, const char *region, const char *display_name, int64_t *id,
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

enum fk_err fk_accounts_routes(void) FK_MUST_CHECK;

#endif
