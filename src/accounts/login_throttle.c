/* Login throttling per (username, client address), kept in the store.
 *
 * Each attempt is counted before the password is checked, in one transaction
 * that holds the row (SQLite: BEGIN IMMEDIATE takes the writer; PostgreSQL:
 * the upsert locks the row), so parallel attempts take turns and cannot get
 * more tries than the limit. The attempt that reaches `attempts` sets the lock
 * that stands if it fails; a success deletes the row. Each further failure
 * after a lock doubles it, from `delay` up to `cap` seconds. Failures are
 * forgotten `window` seconds after the last attempt or the end of the lock,
 * whichever is later. */
#include "accounts/accounts.h"

/* The lock for the n-th counted failure (n >= attempts). */
static int64_t lock_seconds(const struct fk_login_limits *lim, int64_t n)
{
    int64_t seconds = lim->delay;
    for (int64_t k = n - lim->attempts; k > 0 && seconds < lim->cap; k--)
        seconds *= 2;
    return seconds < lim->cap ? seconds : lim->cap;
}

enum fk_err fk_login_throttle_admit(struct fk_conn *db, const char *username, const char *ip,
                                    int64_t now, const struct fk_login_limits *lim,
                                    int64_t *retry_after)
{
    *retry_after = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    struct fk_stmt *st = NULL;
    int row = 0;
    err = fk_db_query(db, &st, &row,
                      "INSERT INTO login_throttle(username, ip, failures, last_at, locked_until) "
                      "VALUES (?, ?, 0, ?, 0) ON CONFLICT (username, ip) DO UPDATE SET failures = "
                      "login_throttle.failures RETURNING failures, last_at, locked_until",
                      "tti", username, ip, now);
    int64_t failures = 0, last_at = now, locked_until = 0;
    if (err == FK_OK && row) {
        failures = fk_stmt_int64(st, 0);
        last_at = fk_stmt_int64(st, 1);
        locked_until = fk_stmt_int64(st, 2);
    } else if (err == FK_OK) {
        err = FK_ERR_INTERNAL; /* an upsert with RETURNING always gives its row */
    }
    fk_stmt_free(st);
    if (err == FK_OK && locked_until > now) {
        *retry_after = locked_until - now;
        err = fk_db_commit(db);
        if (err != FK_OK)
            fk_db_rollback(db);
        return err == FK_OK ? FK_ERR_LOCKED : err;
    }
    if (err == FK_OK) {
        int64_t quiet_since = last_at > locked_until ? last_at : locked_until;
        if (now - quiet_since > lim->window)
            failures = 0;
        failures++;
        int64_t lock = failures >= lim->attempts ? now + lock_seconds(lim, failures) : 0;
        err = fk_db_run(db, NULL,
                        "UPDATE login_throttle SET failures = ?, last_at = ?, locked_until = ? "
                        "WHERE username = ? AND ip = ?",
                        "iiitt", failures, now, lock, username, ip);
    }
    /* Rows nobody has tried for a window are of no use any more. */
    if (err == FK_OK)
        err =
            fk_db_run(db, NULL, "DELETE FROM login_throttle WHERE last_at < ? AND locked_until < ?",
                      "ii", now - lim->window, now - lim->window);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}

enum fk_err fk_login_throttle_clear(struct fk_conn *db, const char *username, const char *ip)
{
    if (ip == NULL)
        return fk_db_run(db, NULL, "DELETE FROM login_throttle WHERE username = ?", "t", username);
    return fk_db_run(db, NULL, "DELETE FROM login_throttle WHERE username = ? AND ip = ?", "tt",
                     username, ip);
}
