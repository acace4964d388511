/* Helpers of the modules' handlers (handler.h). */
#include "http/handler.h"
#include "core/parse.h"
#include "http/http.h"

#include <string.h>

int fk_reply_missing(struct fk_req *req, const char *field)
{
    fk_reply_err(req, FK_E_MISSING_FIELD, field);
    return -1;
}

int fk_member_str_or_reply(struct fk_req *req, const json_t *object, const char *name,
                           const char *field, int required, size_t max, const char **out)
{
    json_t *value = json_object_get(object, name);
    *out = NULL;
    if (value == NULL || json_is_null(value))
        return required ? fk_reply_missing(req, field) : 0;
    if (!json_is_string(value))
        return fk_reply_invalid(req, field, "字段类型应为字符串");
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (strlen(text) != len || !fk_text_plain(text))
        return fk_reply_invalid(req, field, "字段含有非法字符");
    if (len == 0)
        return required ? fk_reply_missing(req, field) : 0;
    if (len > max)
        return fk_reply_invalid(req, field, "字段过长");
    if (text[0] == ' ' || text[len - 1] == ' ')
        return fk_reply_invalid(req, field, "字段首尾不能有空格");
    *out = text;
    return 0;
}
