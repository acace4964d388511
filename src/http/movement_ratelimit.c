/* Store-backed attempt counters of the anonymous forms (movement_ratelimit.h). */
#include "http/movement_ratelimit.h"
#include "core/clock.h"
#include "http/http.h"

#include <stdio.h>

int64_t fk_rate_window_start(int64_t now, int64_t window, int64_t *retry_after)
{
    int64_t start = now - ((now % window) + window) % window;
    if (retry_after != NULL)
        *retry_after = start + window - now;
    return start;
}

int fk_rate_limited(struct fk_req *req, struct fk_conn *db, const struct fk_rate_limit *rl,
                    const char *kind, const char *plain, int64_t window, int64_t limit,
                    const char *message, const char *field)
{
    char hash[FK_BLIND_LEN], context[64];
    snprintf(context, sizeof(context), "%s%s", rl->context, kind);
    fk_pii_blind(&req->app->pii_key, context, plain, hash);
    int64_t now = fk_now(), retry, hits = 0;
    int64_t start = fk_rate_window_start(now, window, &retry);
    enum fk_err err = rl->hit(db, kind, hash, start, now, &hits);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (hits <= limit)
        return 0;
    char text[256], seconds[24];
    int64_t minutes = (retry + 59) / 60;
    if (minutes >= 120)
        snprintf(text, sizeof(text), "%s，请约 %lld 小时后再试", message,
                 (long long)((minutes + 59) / 60));
    else
        snprintf(text, sizeof(text), "%s，请 %lld 分钟后再试", message, (long long)minutes);
    snprintf(seconds, sizeof(seconds), "%lld", (long long)retry);
    fk_reply_errf(req, rl->error, field, text);
    fk_reply_header(req, "Retry-After", seconds);
    return 1;
}
