/* Counting attempts of an anonymous form per client address, ID number or
 * plate, with the counters in the store so that several app servers share
 * them, and the 429 reply when a limit is passed. The public returnee
 * registration and the public vehicle pass form share it; each keeps its own
 * counter table behind its `hit` function. */
#ifndef FK_HTTP_MOVEMENT_RATELIMIT_H
#define FK_HTTP_MOVEMENT_RATELIMIT_H

#include <stdint.h>
#include "core/err.h"
#include "http/errors.h"

struct fk_conn;
struct fk_req;

/* Counts one attempt of `kind` by `key_hash` (both borrowed) in the window
 * starting at `window_start`; *hits receives the count including this one. */
typedef enum fk_err (*fk_rate_hit_fn)(struct fk_conn *db, const char *kind, const char *key_hash,
                                      int64_t window_start, int64_t now, int64_t *hits);

/* One form's limiter: static data. */
struct fk_rate_limit {
    const char *context; /* blind-index context prefix, the kind appended */
    fk_rate_hit_fn hit;
    enum fk_ecode error; /* the 429 row; its message is one "%s" */
};

/* The start of the fixed window of `window` seconds holding `now`; when
 * `retry_after` is not NULL it receives the seconds until the next one. */
int64_t fk_rate_window_start(int64_t now, int64_t window, int64_t *retry_after);

/* Counts the attempt of `kind` by `plain` (borrowed; stored only as a blind
 * index under rl->context + kind). 0 to go on; 1 after replying 429 with
 * Retry-After and "`message`，请 N 分钟后再试" (or 约 N 小时) naming `field`
 * (may be NULL) when more than `limit` attempts fell in the window; -1 after
 * replying on a store failure. */
int fk_rate_limited(struct fk_req *req, struct fk_conn *db, const struct fk_rate_limit *rl,
                    const char *kind, const char *plain, int64_t window, int64_t limit,
                    const char *message, const char *field);

#endif
