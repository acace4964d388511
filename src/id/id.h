/* Identity primitives: resident ID numbers (GB 11643), mobile numbers,
 * licence plates and region codes. Every check returns a reason on rejection:
 * a static English snake_case string such as "bad_checksum". */
#ifndef FK_ID_ID_H
#define FK_ID_ID_H

#include <stdint.h>
#include "core/err.h"

enum fk_sex { FK_SEX_MALE = 1, FK_SEX_FEMALE = 2 };

struct fk_resident_id {
    char number[19];     /* normalized: 17 digits + digit or upper-case 'X' */
    char region[7];      /* the 6-digit division code */
    char birth_date[11]; /* YYYY-MM-DD */
    int birth_year, birth_month, birth_day;
    enum fk_sex sex;
};

/* Validates an 18-character resident ID number. A lower-case 'x' is accepted and
 * normalized. `now` (epoch seconds, from fk_now()) bounds the birth date.
 * Rejections (FK_ERR_INVALID, *reason set): "length", "characters",
 * "province" (no such province part; the older 1423xx Lüliang codes are accepted
 * since 14 is Shanxi), "birth_date" (not a real date), "birth_in_future",
 * "birth_too_old" (before 1900), "checksum". `out` is untouched on failure. */
enum fk_err fk_resident_id_parse(const char *text, int64_t now, struct fk_resident_id *out,
                                 const char **reason) FK_MUST_CHECK;

/* The Chinese message for a rejection reason of fk_resident_id_parse (static
 * string), e.g. "checksum" -> "身份证号校验位错误，请核对"; "身份证号无效" for
 * NULL or an unknown reason. */
const char *fk_resident_id_message(const char *reason);

/* Writes the birth date of an ID number's digits (positions 7–14) as
 * YYYY-MM-DD. `digits` must hold at least 14 characters; no validation. */
void fk_resident_id_birth_date(const char *digits, char out[11]);

/* The ISO 7064 MOD 11-2 check character for the first 17 digits. */
char fk_resident_id_check_char(const char digits17[17]);

/* Mobile numbers: exactly 11 digits, "1[3-9]" followed by 9 digits.
 * Reasons: "length", "characters", "prefix". */
enum fk_err fk_phone_check(const char *text, const char **reason) FK_MUST_CHECK;

/* Licence plates: a province abbreviation (one Chinese character, UTF-8), a
 * letter A-Z except I and O, then 5 (ordinary) or 6 (new-energy) letters/digits
 * with no I or O; an ordinary plate may end in 挂/学/警/港/澳. Reasons: "length",
 * "province", "letter", "characters". */
enum fk_err fk_plate_check(const char *text, const char **reason) FK_MUST_CHECK;

/* Region codes: 6 (county), 9 (township), 12 (village/community), 15 (compound)
 * or 18 (building) digits; a 12-digit code with trailing "000" groups is the
 * padded form of a shorter level. Writes the significant prefix (trailing
 * zero groups of a 12-digit code stripped, never shorter than 6) into `prefix`
 * (19 bytes) and the level depth (1 district, 2 township, 3 community,
 * 4 compound, 5 building). Reasons: "length", "characters". */
enum fk_err fk_region_code_prefix(const char *code, char prefix[19], int *depth,
                                  const char **reason) FK_MUST_CHECK;

#endif
