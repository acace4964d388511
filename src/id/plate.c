/* Licence plates (GA 36): province abbreviation, issuing-office letter, serial. */
#include <string.h>

#include "id/id.h"

/* Every province abbreviation and every plate suffix is one CJK character,
 * three bytes in UTF-8. */
#define CJK_LEN 3
#define PLATE_MIN (CJK_LEN + 1 + 5)
#define PLATE_MAX (CJK_LEN + 1 + 4 + CJK_LEN)

static const char *const provinces[] = {
    "京", "津", "沪", "渝", "冀", "豫", "云", "辽", "黑", "湘", "皖", "鲁", "新", "苏", "浙", "赣",
    "鄂", "桂", "甘", "晋", "蒙", "陕", "吉", "闽", "贵", "粤", "青", "藏", "川", "宁", "琼",
};

static const char *const suffixes[] = {"挂", "学", "警", "港", "澳"};

static int cjk_in(const char *text, const char *const *set, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (memcmp(text, set[i], CJK_LEN) == 0)
            return 1;
    }
    return 0;
}

static int serial_char(char c)
{
    return ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) && c != 'I' && c != 'O';
}

enum fk_err fk_plate_check(const char *text, const char **reason)
{
    const char *why = NULL;
    size_t len = text ? strnlen(text, PLATE_MAX + 1) : 0;
    if (len < PLATE_MIN || len > PLATE_MAX) {
        why = "length";
        goto fail;
    }
    if (!cjk_in(text, provinces, sizeof provinces / sizeof provinces[0])) {
        why = "province";
        goto fail;
    }
    char office = text[CJK_LEN];
    if (office < 'A' || office > 'Z' || office == 'I' || office == 'O') {
        why = "letter";
        goto fail;
    }
    const char *serial = text + CJK_LEN + 1;
    size_t serial_len = len - CJK_LEN - 1;
    size_t plain_len = serial_len;
    if (serial_len == 4 + CJK_LEN) { /* ordinary plate with a suffix character */
        if (!cjk_in(serial + 4, suffixes, sizeof suffixes / sizeof suffixes[0])) {
            why = "characters";
            goto fail;
        }
        plain_len = 4;
    }
    for (size_t i = 0; i < plain_len; i++) {
        if (!serial_char(serial[i])) {
            why = "characters";
            goto fail;
        }
    }
    if (reason)
        *reason = NULL;
    return FK_OK;

fail:
    if (reason)
        *reason = why;
    return FK_ERR_INVALID;
}
