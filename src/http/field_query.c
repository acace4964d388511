/* Handler-side helpers of list requests (field_query.h). */
#include "http/field_query.h"
#include "http/caller.h"
#include "http/http.h"
#include "http/lookup.h"

#include <string.h>

int fk_query_choice_or_reply(struct fk_req *req, const char *param, const char *const *names, int n,
                             int dflt, const char *message, int *out)
{
    const char *value = fk_req_query(req, param);
    *out = dflt;
    if (value == NULL || value[0] == '\0')
        return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(value, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return fk_reply_invalid(req, param, message);
}

void fk_list_audited_reply(struct fk_req *req, enum fk_err err, const char *action,
                           const char *target_type, const char *scope, json_t *items, int64_t total,
                           int64_t page, int64_t per_page)
{
    fk_req_audit(req, &err, action, target_type, 0, 0,
                 json_pack("{s:s,s:I,s:I}", "region", scope, "total", (json_int_t)total, "returned",
                           (json_int_t)json_array_size(items)));
    fk_reply_list(req, err, items, total, page, per_page);
}
