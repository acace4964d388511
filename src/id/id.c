/* Mobile numbers and region codes. Resident IDs are in resident_id.c, plates in
 * plate.c. */
#include <string.h>

#include "id/id.h"

#define PHONE_LEN 11
#define REGION_MAX 18

static int all_digits(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
    }
    return 1;
}

enum fk_err fk_phone_check(const char *text, const char **reason)
{
    const char *why = NULL;
    if (text == NULL || strnlen(text, PHONE_LEN + 1) != PHONE_LEN) {
        why = "length";
        goto fail;
    }
    if (!all_digits(text, PHONE_LEN)) {
        why = "characters";
        goto fail;
    }
    if (text[0] != '1' || text[1] < '3') {
        why = "prefix";
        goto fail;
    }
    if (reason)
        *reason = NULL;
    return FK_OK;

fail:
    if (reason)
        *reason = why;
    return FK_ERR_INVALID;
}

enum fk_err fk_region_code_prefix(const char *code, char prefix[19], int *depth,
                                  const char **reason)
{
    const char *why = NULL;
    size_t len = code ? strnlen(code, REGION_MAX + 1) : 0;
    if (len != 6 && len != 9 && len != 12 && len != 15 && len != 18) {
        why = "length";
        goto fail;
    }
    if (!all_digits(code, len)) {
        why = "characters";
        goto fail;
    }
    size_t significant = len;
    if (len == 12) {
        /* Statistical division codes pad township and village to 12 digits
         * with "000" groups; strip them to find the level actually named. */
        while (significant > 6 && memcmp(code + significant - 3, "000", 3) == 0)
            significant -= 3;
    }
    memcpy(prefix, code, significant);
    prefix[significant] = '\0';
    *depth = (int)(significant / 3) - 1;
    if (reason)
        *reason = NULL;
    return FK_OK;

fail:
    if (reason)
        *reason = why;
    return FK_ERR_INVALID;
}
