/* Input checks shared by the health-code handlers (healthcode_handler.h). */
#include "healthcode/healthcode_handler.h"
#include "core/clock.h"
#include "core/parse.h"
#include "http/lookup.h"

#include <string.h>

int fk_health_known_keys_or_reply(struct fk_req *req, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach(req->json, key, v)
    {
        int ok = 0;
        for (const char *const *k = keys; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return fk_reply_invalid(req, key, "未知字段");
    }
    return 0;
}

int fk_health_time_or_reply(struct fk_req *req, const char *name, int required, int *present,
                            int64_t *out)
{
    const char *text;
    *present = 0;
    if (fk_json_str_or_reply(req, name, required, 40, &text) != 0)
        return -1;
    if (text == NULL)
        return 0;
    if (fk_time_parse(text, out) != FK_OK)
        return fk_reply_invalid(req, name, "时间格式应为 RFC 3339，例如 2022-03-02T08:00:00+08:00");
    *present = 1;
    return 0;
}

int fk_health_plain_or_reply(struct fk_req *req, const char *field, const char *text,
                             const char *message)
{
    if (text != NULL && !fk_text_plain(text))
        return fk_reply_invalid(req, field, message);
    return 0;
}
