/* The person generator: households of 1–6 people whose ages hang together
 * (couples of similar age, children born to mothers aged 22–34, grandparents
 * a generation above), each person with an invented name, a valid and unique
 * resident ID number (GB 11643) and, from age 12, a valid and unique mobile
 * number. Deterministic: everything comes from one PRNG seeded by the seed. */
#include "demo/demo_internal.h"
#include "id/id.h"

#include <stdlib.h>
#include <string.h>

/* Surnames with rough weights: the national top names, heavier on those
 * common in Lüliang (高, 郭, 贾, 任, 薛, 白, 霍, 温, 乔, 闫). */
static const struct {
    const char *name;
    int weight;
} surnames[] = {
    {"王", 80}, {"李", 70}, {"张", 70}, {"刘", 70}, {"高", 40}, {"郭", 40}, {"贾", 30}, {"任", 30},
    {"薛", 30}, {"白", 30}, {"马", 30}, {"赵", 30}, {"杨", 30}, {"陈", 30}, {"冯", 20}, {"武", 20},
    {"吴", 20}, {"孙", 20}, {"韩", 20}, {"温", 20}, {"康", 20}, {"杜", 20}, {"曹", 20}, {"田", 20},
    {"霍", 20}, {"梁", 20}, {"闫", 20}, {"乔", 20}, {"成", 10}, {"宋", 10}, {"程", 10}, {"周", 10},
    {"黄", 10}, {"徐", 10}, {"胡", 10}, {"朱", 10}, {"林", 10}, {"何", 10}, {"罗", 10}, {"郑", 10},
    {"谢", 10}, {"唐", 10}, {"许", 10}, {"邓", 10}, {"曾", 10}, {"彭", 10}, {"苏", 10}, {"卢", 10},
    {"蒋", 10}, {"蔡", 10}, {"丁", 10}, {"魏", 10}, {"叶", 10}, {"余", 10}, {"潘", 10}, {"夏", 10},
    {"姚", 10}, {"范", 10}, {"方", 10}, {"石", 10}, {"秦", 10}, {"史", 10}, {"侯", 10}, {"孟", 10},
    {"段", 10}, {"雷", 10}, {"常", 10}, {"贺", 10}, {"申", 10}, {"牛", 10}, {"崔", 10}, {"毛", 10},
    {"樊", 10}, {"岳", 10}, {"卫", 10}, {"兰", 10}, {"穆", 10},
};
#define N_SURNAMES ((int)(sizeof(surnames) / sizeof(surnames[0])))

/* Given-name characters by sex and generation (born before 1965, 1965–1994,
 * from 1995). Every character is 3 bytes of UTF-8. */
static const char *const given_pools[2][3] = {
    {
        "建国军民华明忠福贵生有德保全成文山林海平志兴旺财荣树春金",
        "伟强磊军勇杰涛斌超明刚平辉鹏华飞波健俊峰建宏兵亮东晓志文海龙林",
        "浩宇轩睿泽昊然博子晨阳鑫凯帅旭宁一诺铭瑞豪皓逸辰航奕俊梓",
    },
    {
        "秀英兰桂凤玉珍翠花芳梅琴香莲云霞淑娥润芝爱金银彩",
        "芳娜敏静丽艳娟霞燕玲婷雪慧颖琳倩洁红萍晶丹媛亚莉",
        "涵萱悦诗雨佳嘉梦思彤欣怡可馨琪瑶妍若一语曦沫桐欢",
    },
};

/* Region parts of ID numbers: where the number was first issued. */
static const char *const old_lvliang[] = {"142301", "142303", "142322", "142323", "142325",
                                          "142326", "142327", "142330", "142332", "142333"};
static const char *const other_shanxi[] = {"141181", "141182", "141121", "141122",
                                           "141124", "141125", "141129", "141130",
                                           "140105", "140106", "140902", "140702"};

/* Mobile prefixes of the three carriers. */
static const char *const phone_prefixes[] = {
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "178", "182", "183", "184", "187", "188", "198", "130", "131", "132", "155", "156", "166",
    "175", "176", "185", "186", "133", "153", "173", "177", "180", "181", "189", "191", "199",
};
#define N_PHONE_PREFIXES (sizeof(phone_prefixes) / sizeof(phone_prefixes[0]))

/* An open-addressing set of non-zero 64-bit keys (17-digit ID prefixes and
 * 11-digit phone numbers are never zero). */
struct u64set {
    uint64_t *slots;
    size_t mask;
};

static int u64set_init(struct u64set *set, int64_t expected)
{
    size_t size = 1024;
    while ((double)size < (double)expected * 1.5)
        size *= 2;
    set->slots = calloc(size, sizeof(uint64_t));
    set->mask = size - 1;
    return set->slots != NULL;
}

/* Adds `key`; returns 0 if it was already present. The caller never adds more
 * keys than `expected`, so the table stays under 2/3 full. */
static int u64set_add(struct u64set *set, uint64_t key)
{
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & set->mask;
    while (set->slots[i] != 0) {
        if (set->slots[i] == key)
            return 0;
        i = (i + 1) & set->mask;
    }
    set->slots[i] = key;
    return 1;
}

struct fk_demo_people {
    struct fk_demo_rng rng;
    struct u64set ids;
    struct u64set phones;
    int surname_total;
};

enum fk_err fk_demo_people_new(uint64_t seed, int64_t people, struct fk_demo_people **out)
{
    struct fk_demo_people *gen = calloc(1, sizeof(*gen));
    if (gen == NULL)
        return FK_ERR_NOMEM;
    if (!u64set_init(&gen->ids, people) || !u64set_init(&gen->phones, people)) {
        fk_demo_people_free(gen);
        return FK_ERR_NOMEM;
    }
    fk_demo_rng_seed(&gen->rng, seed);
    for (int i = 0; i < N_SURNAMES; i++)
        gen->surname_total += surnames[i].weight;
    *out = gen;
    return FK_OK;
}

void fk_demo_people_free(struct fk_demo_people *gen)
{
    if (gen == NULL)
        return;
    free(gen->ids.slots);
    free(gen->phones.slots);
    free(gen);
}

/* A household member before names and numbers are drawn. */
struct member {
    int age;
    int sex;
    int surname;
};

static int clamp_age(int age)
{
    /* Births 1935..2021 for the scenario year 2022. */
    if (age < 1)
        return 1;
    if (age > FK_DEMO_YEAR - 1935)
        return FK_DEMO_YEAR - 1935;
    return age;
}

static int draw_surname(struct fk_demo_people *gen)
{
    int r = (int)fk_demo_rng_below(&gen->rng, (uint32_t)gen->surname_total);
    for (int i = 0; i < N_SURNAMES; i++) {
        r -= surnames[i].weight;
        if (r < 0)
            return i;
    }
    return 0;
}

static struct member person(int age, int sex, int surname)
{
    struct member m = {clamp_age(age), sex, surname};
    return m;
}

/* Husband first (the head), then the wife, 0–4 years younger mostly. */
static int couple(struct fk_demo_people *gen, struct member *m, int husband_age)
{
    struct fk_demo_rng *r = &gen->rng;
    m[0] = person(husband_age, FK_SEX_MALE, draw_surname(gen));
    m[1] = person(husband_age - fk_demo_rng_range(r, -2, 4), FK_SEX_FEMALE, draw_surname(gen));
    return 2;
}

/* A child of the couple m[0], m[1]: born when the mother was 22–34. */
static struct member child_of(struct fk_demo_people *gen, const struct member *m, int older)
{
    struct fk_demo_rng *r = &gen->rng;
    int age;
    if (older > 0) {
        /* A younger sibling, 1–8 years apart (twins when the elder is 1). */
        int gap_max = older - 1 < 8 ? older - 1 : 8;
        age = gap_max < 1 ? older : older - fk_demo_rng_range(r, 1, gap_max);
    } else {
        age = m[1].age - fk_demo_rng_range(r, 22, 34);
        /* A young mother: the child is small, spread over her years past 20
         * rather than piled up at age 1. */
        if (age < 1)
            age = m[1].age > 21 ? fk_demo_rng_range(r, 1, m[1].age - 20) : 1;
    }
    int surname = fk_demo_rng_percent(r, 90) ? m[0].surname : m[1].surname;
    return person(age, fk_demo_rng_percent(r, 51) ? FK_SEX_MALE : FK_SEX_FEMALE, surname);
}

/* A parent of the husband (or, less often, of the wife). */
static struct member grandparent(struct fk_demo_people *gen, const struct member *m, int sex)
{
    struct fk_demo_rng *r = &gen->rng;
    int paternal = fk_demo_rng_percent(r, 70);
    int age = (paternal ? m[0].age : m[1].age) + fk_demo_rng_range(r, 22, 32);
    /* Past the oldest birth year: spread over the oldest ages instead. */
    if (age > FK_DEMO_YEAR - 1935)
        age = fk_demo_rng_range(r, 78, FK_DEMO_YEAR - 1935);
    int surname = draw_surname(gen);
    if (sex == FK_SEX_MALE)
        surname = paternal ? m[0].surname : m[1].surname;
    return person(age, sex, surname);
}

static void grandparents(struct fk_demo_people *gen, struct member *m, int at)
{
    struct fk_demo_rng *r = &gen->rng;
    m[at] = grandparent(gen, m, FK_SEX_MALE);
    /* Keep the couple of grandparents from the same side and of similar age. */
    int age = m[at].age - fk_demo_rng_range(r, -2, 4);
    if (age > FK_DEMO_YEAR - 1935)
        age = fk_demo_rng_range(r, 78, FK_DEMO_YEAR - 1935);
    m[at + 1] = person(age, FK_SEX_FEMALE, draw_surname(gen));
}

static int random_sex(struct fk_demo_rng *r)
{
    return fk_demo_rng_percent(r, 50) ? FK_SEX_MALE : FK_SEX_FEMALE;
}

/* Household sizes: mean ≈ 2.87, close to the 2.6–3.0 of Shanxi's censuses. */
static int draw_size(struct fk_demo_rng *r)
{
    static const int cumulative[] = {16, 44, 70, 87, 96, 100}; /* sizes 1..6 */
    int p = (int)fk_demo_rng_below(r, 100);
    for (int i = 0; i < 6; i++)
        if (p < cumulative[i])
            return i + 1;
    return 6;
}

/* Fills m[] with a household composition; returns its size. */
static int compose(struct fk_demo_people *gen, struct member *m)
{
    struct fk_demo_rng *r = &gen->rng;
    int size = draw_size(r);
    int p = (int)fk_demo_rng_below(r, 100);
    switch (size) {
    case 1: {
        int age = p < 40   ? fk_demo_rng_range(r, 60, 87)
                  : p < 75 ? fk_demo_rng_range(r, 20, 35)
                           : fk_demo_rng_range(r, 36, 59);
        m[0] = person(age, random_sex(r), draw_surname(gen));
        return 1;
    }
    case 2:
        if (p < 65) {
            /* Empty-nest couples and young couples. */
            int age = fk_demo_rng_percent(r, 50) ? fk_demo_rng_range(r, 55, 85)
                                                 : fk_demo_rng_range(r, 22, 54);
            return couple(gen, m, age);
        }
        if (p < 85) {
            /* A single parent and a child. */
            int sex = fk_demo_rng_percent(r, 70) ? FK_SEX_FEMALE : FK_SEX_MALE;
            m[0] = person(fk_demo_rng_range(r, 28, 55), sex, draw_surname(gen));
            int surname = fk_demo_rng_percent(r, 80) ? m[0].surname : draw_surname(gen);
            int age = m[0].age - fk_demo_rng_range(r, 20, 34);
            m[1] = person(age >= 1 ? age : fk_demo_rng_range(r, 1, 8), random_sex(r), surname);
            return 2;
        }
        /* A grandparent raising a grandchild (留守儿童). */
        m[0] = person(fk_demo_rng_range(r, 55, 75), random_sex(r), draw_surname(gen));
        m[1] = person(fk_demo_rng_range(r, 3, 14), random_sex(r),
                      m[0].sex == FK_SEX_MALE || fk_demo_rng_percent(r, 50) ? m[0].surname
                                                                            : draw_surname(gen));
        return 2;
    case 3:
        if (p < 85) {
            couple(gen, m, fk_demo_rng_range(r, 25, 56));
            m[2] = child_of(gen, m, 0);
            return 3;
        }
        couple(gen, m, fk_demo_rng_range(r, 40, 62));
        m[2] = grandparent(gen, m, fk_demo_rng_percent(r, 60) ? FK_SEX_FEMALE : FK_SEX_MALE);
        return 3;
    case 4:
        couple(gen, m, fk_demo_rng_range(r, 28, 52));
        m[2] = child_of(gen, m, 0);
        if (p < 55)
            m[3] = child_of(gen, m, m[2].age);
        else
            m[3] = grandparent(gen, m, fk_demo_rng_percent(r, 60) ? FK_SEX_FEMALE : FK_SEX_MALE);
        return 4;
    case 5:
        couple(gen, m, fk_demo_rng_range(r, 26, 48));
        m[2] = child_of(gen, m, 0);
        if (p < 60) {
            grandparents(gen, m, 3);
        } else {
            m[3] = child_of(gen, m, m[2].age);
            m[4] = grandparent(gen, m, fk_demo_rng_percent(r, 60) ? FK_SEX_FEMALE : FK_SEX_MALE);
        }
        return 5;
    default:
        couple(gen, m, fk_demo_rng_range(r, 26, 46));
        m[2] = child_of(gen, m, 0);
        m[3] = child_of(gen, m, m[2].age);
        grandparents(gen, m, 4);
        return 6;
    }
}

/* Copies the `index`-th 3-byte character of `pool` to `out`. */
static char *put_char(char *out, const char *pool, uint32_t index)
{
    memcpy(out, pool + 3 * (size_t)index, 3);
    return out + 3;
}

static void draw_name(struct fk_demo_people *gen, const struct member *m, int birth_year,
                      char out[32])
{
    struct fk_demo_rng *r = &gen->rng;
    int era = birth_year < 1965 ? 0 : birth_year < 1995 ? 1 : 2;
    const char *pool = given_pools[m->sex == FK_SEX_MALE ? 0 : 1][era];
    uint32_t chars = (uint32_t)(strlen(pool) / 3);
    size_t slen = strlen(surnames[m->surname].name);
    memcpy(out, surnames[m->surname].name, slen);
    char *at = out + slen;
    /* Two-character given names are the norm; one character is less common
     * among the young, whose names are longer. */
    int two = fk_demo_rng_percent(r, era == 2 ? 85 : 70);
    at = put_char(at, pool, fk_demo_rng_below(r, chars));
    if (two)
        at = put_char(at, pool, fk_demo_rng_below(r, chars));
    *at = '\0';
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static const char *draw_id_region(struct fk_demo_rng *r, int birth_year)
{
    int p = (int)fk_demo_rng_below(r, 100);
    if (birth_year < 2000) {
        /* Numbers first issued before Lüliang became a city (2004) keep the
         * old 1423xx prefecture codes; 142302 was 离石市. */
        if (p < 55)
            return "141102";
        if (p < 80)
            return "142302";
        if (p < 88)
            return old_lvliang[fk_demo_rng_below(r, sizeof(old_lvliang) / sizeof(old_lvliang[0]))];
    } else if (p < 85) {
        return "141102";
    }
    return other_shanxi[fk_demo_rng_below(r, sizeof(other_shanxi) / sizeof(other_shanxi[0]))];
}

static uint64_t digits_value(const char *digits, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(digits[i] - '0');
    return v;
}

static void put_digits(char *out, unsigned value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

/* Draws a birth date and an ID number for `m`, unique within this build: on
 * a clash another sequence number is drawn, and after many clashes the date
 * moves on a day (only thinkable near 5 million people). */
static void draw_id(struct fk_demo_people *gen, const struct member *m, struct fk_demo_person *out)
{
    struct fk_demo_rng *r = &gen->rng;
    int year = FK_DEMO_YEAR - m->age;
    int month = fk_demo_rng_range(r, 1, 12);
    int day = fk_demo_rng_range(r, 1, days_in_month(year, month));
    const char *region = draw_id_region(r, year);
    char digits[18];
    memcpy(digits, region, 6);
    for (int attempt = 0;; attempt++) {
        if (attempt > 0 && attempt % 32 == 0) {
            if (++day > days_in_month(year, month)) {
                day = 1;
                month = month % 12 + 1;
            }
        }
        put_digits(digits + 6, (unsigned)year, 4);
        put_digits(digits + 10, (unsigned)month, 2);
        put_digits(digits + 12, (unsigned)day, 2);
        /* Sequence 000–999; its last digit is odd for men, even for women. */
        unsigned seq = fk_demo_rng_below(r, 500) * 2 + (m->sex == FK_SEX_MALE ? 1u : 0u);
        put_digits(digits + 14, seq, 3);
        if (u64set_add(&gen->ids, digits_value(digits, 17)))
            break;
    }
    digits[17] = fk_resident_id_check_char(digits);
    memcpy(out->id_number, digits, 18);
    out->id_number[18] = '\0';
    fk_resident_id_birth_date(digits, out->birth_date);
}

static void draw_phone(struct fk_demo_people *gen, const struct member *m, char out[12])
{
    struct fk_demo_rng *r = &gen->rng;
    int has = m->age < 12    ? 0
              : m->age < 16  ? fk_demo_rng_percent(r, 50)
              : m->age >= 80 ? fk_demo_rng_percent(r, 60)
                             : fk_demo_rng_percent(r, 97);
    out[0] = '\0';
    if (!has)
        return;
    char digits[12];
    do {
        memcpy(digits, phone_prefixes[fk_demo_rng_below(r, N_PHONE_PREFIXES)], 3);
        put_digits(digits + 3, fk_demo_rng_below(r, 10000), 4);
        put_digits(digits + 7, fk_demo_rng_below(r, 10000), 4);
    } while (!u64set_add(&gen->phones, digits_value(digits, 11)));
    digits[11] = '\0';
    memcpy(out, digits, 12);
}

int fk_demo_household(struct fk_demo_people *gen, int max_size,
                      struct fk_demo_person out[FK_DEMO_HOUSEHOLD_MAX])
{
    struct member m[FK_DEMO_HOUSEHOLD_MAX];
    int n = compose(gen, m);
    if (max_size < 1)
        max_size = 1;
    if (n > max_size)
        n = max_size; /* the head comes first and always stays */
    for (int i = 0; i < n; i++) {
        out[i].sex = m[i].sex;
        draw_id(gen, &m[i], &out[i]);
        draw_name(gen, &m[i], FK_DEMO_YEAR - m[i].age, out[i].name);
        draw_phone(gen, &m[i], out[i].phone);
    }
    return n;
}
