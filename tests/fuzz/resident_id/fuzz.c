/* libFuzzer target for the identity parsers in src/id. Every input is fed to
 * each parser; the harness checks what a successful parse promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "id/id.h"

#define MAX_INPUT 64

/* 2022-03-02 08:00 Asia/Shanghai, and the far future so that the date bound is
 * exercised both ways. */
#define NOW_2022 INT64_C(1646179200)
#define NOW_2100 INT64_C(4102444800)

static void check(int ok)
{
    if (!ok)
        abort();
}

static int reason_known(const char *reason, const char *const *known)
{
    if (reason == NULL)
        return 0;
    for (; *known; known++) {
        if (strcmp(reason, *known) == 0)
            return 1;
    }
    return 0;
}

/* Field by field: the struct has padding that memcmp would see. */
static int same_id(const struct fk_resident_id *a, const struct fk_resident_id *b)
{
    return strcmp(a->number, b->number) == 0 && strcmp(a->region, b->region) == 0 &&
           strcmp(a->birth_date, b->birth_date) == 0 && a->birth_year == b->birth_year &&
           a->birth_month == b->birth_month && a->birth_day == b->birth_day && a->sex == b->sex;
}

static void fuzz_resident_id(const char *text, int64_t now)
{
    static const char *const reasons[] = {
        "length",          "characters",    "province", "birth_date",
        "birth_in_future", "birth_too_old", "checksum", NULL};
    struct fk_resident_id id, again;
    const char *reason = NULL;
    if (fk_resident_id_parse(text, now, &id, &reason) != FK_OK) {
        check(reason_known(reason, reasons));
        return;
    }
    check(reason == NULL);
    check(strlen(id.number) == 18);
    check(fk_resident_id_check_char(id.number) == id.number[17]);
    check(memcmp(id.number, text, 17) == 0);
    check(memcmp(id.region, id.number, 6) == 0 && id.region[6] == '\0');
    check(strlen(id.birth_date) == 10);
    check(fk_date_valid(id.birth_year, id.birth_month, id.birth_day));
    check(id.birth_year >= 1900);
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    check(id.birth_year * 10000 + id.birth_month * 100 + id.birth_day <= y * 10000 + m * 100 + d);
    check(id.sex == FK_SEX_MALE || id.sex == FK_SEX_FEMALE);
    check((id.sex == FK_SEX_MALE) == ((id.number[16] - '0') % 2 == 1));
    /* The normalized number parses to the same record. */
    check(fk_resident_id_parse(id.number, now, &again, &reason) == FK_OK);
    check(same_id(&id, &again));
    /* A later clock never rejects an accepted ID. */
    check(fk_resident_id_parse(text, NOW_2100, &again, &reason) == FK_OK);
}

static void fuzz_phone(const char *text)
{
    static const char *const reasons[] = {"length", "characters", "prefix", NULL};
    const char *reason = NULL;
    if (fk_phone_check(text, &reason) != FK_OK) {
        check(reason_known(reason, reasons));
        return;
    }
    check(strlen(text) == 11 && text[0] == '1' && text[1] >= '3' && text[1] <= '9');
    check(strspn(text, "0123456789") == 11);
}

static void fuzz_plate(const char *text)
{
    static const char *const reasons[] = {"length", "province", "letter", "characters", NULL};
    const char *reason = NULL;
    if (fk_plate_check(text, &reason) != FK_OK) {
        check(reason_known(reason, reasons));
        return;
    }
    size_t len = strlen(text);
    check(len >= 9 && len <= 11);
    check(text[3] >= 'A' && text[3] <= 'Z' && text[3] != 'I' && text[3] != 'O');
    check(strchr(text + 3, 'I') == NULL && strchr(text + 3, 'O') == NULL);
}

static void fuzz_region(const char *text)
{
    static const char *const reasons[] = {"length", "characters", NULL};
    char prefix[19];
    int depth = 0;
    const char *reason = NULL;
    if (fk_region_code_prefix(text, prefix, &depth, &reason) != FK_OK) {
        check(reason_known(reason, reasons));
        return;
    }
    size_t len = strlen(prefix);
    check(depth >= 1 && depth <= 5);
    check(len == (size_t)(depth + 1) * 3);
    check(strncmp(prefix, text, len) == 0);
    check(strspn(text + len, "0") == strlen(text + len));
    /* The prefix is itself a valid code naming the same level. */
    char prefix2[19];
    int depth2 = 0;
    check(fk_region_code_prefix(prefix, prefix2, &depth2, &reason) == FK_OK);
    check(depth2 == depth && strcmp(prefix, prefix2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly `size` bytes, then a terminator: ASan catches any read beyond. */
    if (size > MAX_INPUT)
        size = MAX_INPUT;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_resident_id(text, NOW_2022);
    fuzz_resident_id(text, NOW_2100);
    fuzz_phone(text);
    fuzz_plate(text);
    fuzz_region(text);
    free(text);
    return 0;
}
