#include "core/parse.h"

#include <errno.h>
#include <stdlib.h>

enum fk_err fk_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (text == NULL || text[0] == '\0' || text[0] == ' ' || text[0] == '+')
        return FK_ERR_INVALID;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return FK_ERR_INVALID;
    *out = (int64_t)v;
    return FK_OK;
}
