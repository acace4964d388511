/* Person validation, storage and presentation: no HTTP here. */
#include "residents/residents.h"
#include "core/clock.h"
#include "http/http.h"

#include <stdlib.h>
#include <sodium.h>
#include <string.h>

static enum fk_err refuse(struct fk_person_error *why, const char *field, const char *reason,
                          const char *message)
{
    why->field = field;
    why->reason = reason;
    why->message = message;
    return FK_ERR_INVALID;
}

static const char *id_reason_message(const char *reason)
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
                      id_reason_message(reason ? reason : ""));
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
        struct fk_stmt *st;
        int row;
        err = fk_db_query(db, &st, &row, "SELECT region FROM households WHERE id = ?", "i",
                          in->household_id);
        if (err != FK_OK)
            return err;
        int fits = row && strncmp(fk_stmt_text(st, 0), scope, strlen(scope)) == 0;
        fk_stmt_free(st);
        if (!fits)
            return refuse(why, "household_id", "unknown_household", "户不存在或不在管辖范围内");
        out->household_id = in->household_id;
    }
    return FK_OK;
}

enum fk_err fk_person_find_by_id_number(struct fk_conn *db, const struct fk_pii_key *key,
                                        const char *id_number, int64_t *id)
{
    char blind[FK_BLIND_LEN];
    fk_pii_blind(key, "id_number", id_number, blind);
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT id FROM persons WHERE id_blind = ?", "t", blind);
    if (err != FK_OK)
        return err;
    *id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_person_insert(struct fk_conn *db, const struct fk_pii_key *key,
                             const struct fk_person_valid *p, int64_t now, int64_t *id,
                             int64_t *existing_id)
{
    char id_blind[FK_BLIND_LEN], phone_blind[FK_BLIND_LEN];
    char *id_sealed = NULL, *phone_sealed = NULL;
    /* Look first: on PostgreSQL a failed INSERT aborts the caller's whole
     * transaction, so a known duplicate must never reach the unique index. */
    int64_t found = 0;
    enum fk_err err = fk_person_find_by_id_number(db, key, p->id.number, &found);
    if (err != FK_OK)
        return err;
    if (found != 0) {
        if (existing_id != NULL)
            *existing_id = found;
        return FK_ERR_CONFLICT;
    }
    fk_pii_blind(key, "id_number", p->id.number, id_blind);
    err = fk_pii_seal(key, "id_number", p->id.number, &id_sealed);
    if (err == FK_OK && p->phone[0] != '\0') {
        fk_pii_blind(key, "phone", p->phone, phone_blind);
        err = fk_pii_seal(key, "phone", p->phone, &phone_sealed);
    }
    if (err != FK_OK)
        goto done;
    int64_t new_id = 0;
    err = fk_db_run(db, &new_id,
                    "INSERT INTO persons(id_sealed, id_blind, name, sex, birth_date, phone_sealed, "
                    "phone_blind, household_id, region, address, created_at, updated_at) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    "ttti"
                    "t"
                    "tt"
                    "z"
                    "tt"
                    "ii",
                    id_sealed, id_blind, p->name, (int64_t)p->id.sex, p->id.birth_date,
                    phone_sealed, phone_sealed ? phone_blind : NULL, p->household_id,
                    p->region.code, p->address, now, now);
    if (err == FK_OK && id != NULL)
        *id = new_id;
done:
    free(id_sealed);
    free(phone_sealed);
    return err;
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

static int age_on(const char *birth_date, int64_t now)
{
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    int by = (birth_date[0] - '0') * 1000 + (birth_date[1] - '0') * 100 +
             (birth_date[2] - '0') * 10 + (birth_date[3] - '0');
    int bm = (birth_date[5] - '0') * 10 + (birth_date[6] - '0');
    int bd = (birth_date[8] - '0') * 10 + (birth_date[9] - '0');
    int age = y - by;
    if (m < bm || (m == bm && d < bd))
        age--;
    return age < 0 ? 0 : age;
}

/* "returnee,key_person" -> ["returnee","key_person"] */
static json_t *categories_json(const char *text)
{
    json_t *list = json_array();
    if (text == NULL)
        return list;
    const char *p = text;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0)
            json_array_append_new(list, json_stringn(p, len));
        p += len + (comma ? 1 : 0);
    }
    return list;
}

json_t *fk_person_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role)
{
    const char *birth = fk_stmt_text(st, 4);
    if (birth == NULL || strlen(birth) != 10)
        birth = "1900-01-01";
    return json_pack(
        "{s:I,s:s,s:s,s:s,s:i,s:o,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id",
        (json_int_t)fk_stmt_int64(st, 0), "name", fk_stmt_text(st, 2), "sex",
        fk_stmt_int64(st, 3) == FK_SEX_MALE ? "male" : "female", "birth_date", birth, "age",
        age_on(birth, fk_now()), "id_number",
        fk_pii_json(key, "id_number", fk_stmt_text(st, 1), fk_role_sees_full_id(role)), "phone",
        fk_pii_json(key, "phone", fk_stmt_text(st, 5), fk_role_sees_full_phone(role)), "region",
        fk_stmt_text(st, 7), "region_name", fk_stmt_text(st, 8), "address", fk_stmt_text(st, 9),
        "household_id",
        fk_stmt_is_null(st, 6) ? json_null() : json_integer((json_int_t)fk_stmt_int64(st, 6)),
        "categories", categories_json(fk_stmt_text(st, 10)), "created_at",
        fk_time_or_null(fk_stmt_int64(st, 11)), "updated_at",
        fk_time_or_null(fk_stmt_int64(st, 12)));
}
