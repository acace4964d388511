/* Resident ID numbers (GB 11643-1999, check character per ISO 7064 MOD 11-2). */
#include <string.h>

#include "core/clock.h"
#include "id/id.h"

#define ID_LEN 18

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Province-level parts of GB/T 2260 division codes that have ever been issued
 * on resident IDs. 14 is Shanxi, so the older 1423xx Lüliang codes pass. */
static int province_known(int p)
{
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
           (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
           p == 81 || p == 82;
}

static int digits_value(const char *text, int count)
{
    int value = 0;
    for (int i = 0; i < count; i++)
        value = value * 10 + (text[i] - '0');
    return value;
}

char fk_resident_id_check_char(const char digits17[17])
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (digits17[i] - '0') * weights[i];
    return map[sum % 11];
}

enum fk_err fk_resident_id_parse(const char *text, int64_t now, struct fk_resident_id *out,
                                 const char **reason)
{
    const char *why = NULL;
    if (text == NULL || strnlen(text, ID_LEN + 1) != ID_LEN) {
        why = "length";
        goto fail;
    }
    for (int i = 0; i < 17; i++) {
        if (!is_digit(text[i])) {
            why = "characters";
            goto fail;
        }
    }
    char check = text[17] == 'x' ? 'X' : text[17];
    if (!is_digit(check) && check != 'X') {
        why = "characters";
        goto fail;
    }
    if (!province_known(digits_value(text, 2))) {
        why = "province";
        goto fail;
    }
    int year = digits_value(text + 6, 4), month = digits_value(text + 10, 2);
    int day = digits_value(text + 12, 2);
    if (!fk_date_valid(year, month, day)) {
        why = "birth_date";
        goto fail;
    }
    int ty, tm, td;
    fk_civil_date(now, &ty, &tm, &td);
    if (year > ty || (year == ty && (month > tm || (month == tm && day > td)))) {
        why = "birth_in_future";
        goto fail;
    }
    if (year < 1900) {
        why = "birth_too_old";
        goto fail;
    }
    if (fk_resident_id_check_char(text) != check) {
        why = "checksum";
        goto fail;
    }

    memcpy(out->number, text, 17);
    out->number[17] = check;
    out->number[18] = '\0';
    memcpy(out->region, text, 6);
    out->region[6] = '\0';
    fk_resident_id_birth_date(text, out->birth_date);
    out->birth_year = year;
    out->birth_month = month;
    out->birth_day = day;
    /* The 17th digit is the sequence number's last digit: odd for men. */
    out->sex = (text[16] - '0') % 2 == 1 ? FK_SEX_MALE : FK_SEX_FEMALE;
    if (reason)
        *reason = NULL;
    return FK_OK;

fail:
    if (reason)
        *reason = why;
    return FK_ERR_INVALID;
}

void fk_resident_id_birth_date(const char *digits, char out[11])
{
    memcpy(out, digits + 6, 4);
    out[4] = '-';
    memcpy(out + 5, digits + 10, 2);
    out[7] = '-';
    memcpy(out + 8, digits + 12, 2);
    out[10] = '\0';
}

const char *fk_resident_id_message(const char *reason)
{
    static const struct {
        const char *reason, *message;
    } table[] = {
        {"length", "身份证号应为 18 位"},
        {"characters", "身份证号只能包含数字，最后一位可以是 X"},
        {"province", "身份证号的省份代码不存在"},
        {"birth_date", "身份证号中的出生日期不存在"},
        {"birth_in_future", "身份证号中的出生日期晚于今天"},
        {"birth_too_old", "身份证号中的出生日期早于 1900 年"},
        {"checksum", "身份证号校验位错误，请核对"},
    };
    for (size_t i = 0; reason != NULL && i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].reason, reason) == 0)
            return table[i].message;
    return "身份证号无效";
}
