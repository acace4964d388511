/* Persons and households as the API's JSON (residents_json.h). */
#include "residents/residents_json.h"
#include "core/clock.h"
#include "http/http.h"

#include <string.h>

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

static const char *sealed_or_null(const char *sealed)
{
    return sealed[0] != '\0' ? sealed : NULL;
}

json_t *fk_person_to_json(const struct fk_person *p, const struct fk_pii_key *key, unsigned role)
{
    const char *birth = strlen(p->birth_date) == 10 ? p->birth_date : "1900-01-01";
    return json_pack(
        "{s:I,s:s,s:s,s:s,s:i,s:o,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", (json_int_t)p->id,
        "name", p->name, "sex", p->sex == FK_SEX_MALE ? "male" : "female", "birth_date", birth,
        "age", age_on(birth, fk_now()), "id_number",
        fk_pii_json(key, "id_number", sealed_or_null(p->id_sealed), fk_role_sees_full_id(role)),
        "phone",
        fk_pii_json(key, "phone", sealed_or_null(p->phone_sealed), fk_role_sees_full_phone(role)),
        "region", p->region, "region_name", p->region_name, "address", p->address, "household_id",
        p->household_id ? json_integer((json_int_t)p->household_id) : json_null(), "categories",
        categories_json(p->categories), "created_at", fk_time_or_null(p->created_at), "updated_at",
        fk_time_or_null(p->updated_at));
}

json_t *fk_household_to_json(const struct fk_household *h)
{
    char created[FK_RFC3339_LEN];
    fk_time_format(h->created_at, created);
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:s?,s:I,s:s}", "id", (json_int_t)h->id, "region",
                     h->region, "region_name", h->region_name, "address", h->address,
                     "head_person_id",
                     h->head_person_id ? json_integer((json_int_t)h->head_person_id) : json_null(),
                     "head_name", h->head_person_id ? h->head_name : NULL, "member_count",
                     (json_int_t)h->member_count, "created_at", created);
}
