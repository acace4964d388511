/* Person rules: validation, categories, what a search text is, who sees
 * what in full. No HTTP and no SQL here (residents_store.c reads). */
#include "http/http.h" /* role bits */
#include "residents/residents_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum fk_err refuse(struct fk_person_error *why, const char *field, const char *reason,
                          const char *message)
{
    why->field = field;
    why->reason = reason;
    why->message = message;
    return FK_ERR_INVALID;
}

const char *fk_person_id_reason_message(const char *reason)
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
        {"checksum", "身份证号校验位错误"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].reason, reason) == 0)
            return table[i].message;
    return "身份证号无效";
}

/* A UTF-8 text field: valid UTF-8 (jansson guarantees it for API input; rows
 * from files are checked by the importer), no control characters. */
static int clean_text(const char *text, size_t max)
{
    size_t len = strnlen(text, max + 1);
    if (len > max)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return 0;
    return 1;
}

static int present(const char *text)
{
    return text != NULL && text[0] != '\0';
}

enum fk_err fk_person_validate(struct fk_conn *db, const struct fk_person_input *in,
                               const char *scope, int64_t now, struct fk_person_valid *out,
                               struct fk_person_error *why)
{
    memset(out, 0, sizeof(*out));
    if (!present(in->id_number))
        return refuse(why, "id_number", "missing", "缺少身份证号");
    const char *reason = NULL;
    if (fk_resident_id_parse(in->id_number, now, &out->id, &reason) != FK_OK)
        return refuse(why, "id_number", reason ? reason : "invalid",
                      fk_person_id_reason_message(reason ? reason : ""));
    if (!present(in->name))
        return refuse(why, "name", "missing", "缺少姓名");
    if (!clean_text(in->name, FK_NAME_MAX))
        return refuse(why, "name", "invalid", "姓名过长或含有控制字符");
    memcpy(out->name, in->name, strlen(in->name) + 1);
    if (present(in->phone)) {
        if (fk_phone_check(in->phone, &reason) != FK_OK)
            return refuse(why, "phone", reason ? reason : "invalid",
                          "手机号应为 11 位，以 13–19 开头");
        memcpy(out->phone, in->phone, 12);
    }
    if (present(in->address)) {
        if (!clean_text(in->address, FK_ADDRESS_MAX))
            return refuse(why, "address", "invalid", "地址过长或含有控制字符");
        memcpy(out->address, in->address, strlen(in->address) + 1);
    }
    if (!present(in->region))
        return refuse(why, "region", "missing", "缺少区划代码");
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    if (fk_region_normalize(in->region, code, prefix, &reason) != FK_OK)
        return refuse(why, "region", "malformed", "区划代码应为 6–18 位数字");
    enum fk_err err = fk_region_get(db, code, &out->region);
    if (err == FK_ERR_NOT_FOUND ||
        (err == FK_OK && strncmp(out->region.prefix, scope, strlen(scope)) != 0))
        return refuse(why, "region", "unknown_region", "区划不存在或不在管辖范围内");
    if (err != FK_OK)
        return err;
    if (in->household_id != 0) {
        char household_region[FK_REGION_CODE_LEN];
        err = fk_household_region(db, in->household_id, household_region);
        if (err != FK_OK && err != FK_ERR_NOT_FOUND)
            return err;
        if (err == FK_ERR_NOT_FOUND || strncmp(household_region, scope, strlen(scope)) != 0)
            return refuse(why, "household_id", "unknown_household", "户不存在或不在管辖范围内");
        out->household_id = in->household_id;
    }
    return FK_OK;
}

int fk_role_sees_full_id(unsigned role)
{
    return (role & FK_ROLE_TRACER) != 0;
}

int fk_role_sees_full_phone(unsigned role)
{
    return (role & (FK_ROLE_TRACER | FK_ROLE_COMMUNITY_WORKER | FK_ROLE_TOWNSHIP_OFFICER |
                    FK_ROLE_QUARANTINE_STAFF)) != 0;
}

const char *const fk_person_categories[FK_PERSON_CATEGORY_COUNT][2] = {
    {"returnee", "返乡人员"}, {"key_person", "重点人员"}, {"staff", "上班人员"},
    {"student", "学生"},      {"elderly", "独居老人"},    {"disabled", "残疾人"},
};

int fk_person_category_index(const char *name)
{
    for (int i = 0; i < FK_PERSON_CATEGORY_COUNT; i++)
        if (strcmp(fk_person_categories[i][0], name) == 0)
            return i;
    return -1;
}

/* Words that make a search text an address rather than a name. */
static const char *const address_words[] = {"小区", "楼", "号", "路", "街", "村", "单元", "室",
                                            "巷",   "组", "区", "苑", "院", "栋", "层"};

const char *fk_person_query_kind(const char *q)
{
    size_t len = strlen(q);
    int digits = 0;
    for (size_t i = 0; i < len; i++)
        digits += q[i] >= '0' && q[i] <= '9';
    if (len == 18 && (digits == 18 || (digits == 17 && (q[17] == 'X' || q[17] == 'x'))))
        return "id_number";
    if (len == 11 && digits == 11 && q[0] == '1')
        return "phone";
    if (digits > 0)
        return "address";
    for (size_t i = 0; i < sizeof(address_words) / sizeof(address_words[0]); i++)
        if (strstr(q, address_words[i]) != NULL)
            return "address";
    return "name";
}

void fk_person_open(const struct fk_pii_key *key, const char *context, const char *sealed,
                    char *out, size_t size)
{
    out[0] = '\0';
    char *plain = NULL;
    if (sealed != NULL && sealed[0] != '\0' && fk_pii_open(key, context, sealed, &plain) == FK_OK) {
        snprintf(out, size, "%s", plain);
        sodium_memzero(plain, strlen(plain));
        free(plain);
    }
}
