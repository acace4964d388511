/* Door-knock screening rules: outcomes, symptoms, dates, areas of concern.
 * No HTTP and no SQL here. The rule itself comes from DESIGN.md §2 and seed
 * 002 (网格员分片开展敲门行动, 对外省、太原市、忻州市忻府区、晋中市太谷区来离人员
 * 全方位摸排, 完成率 100%). */
#include "screening/screening_internal.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *label;
} outcomes[] = {
    {"reached", "已入户"},
    {"nobody_home", "无人在家"},
    {"refused", "拒绝配合"},
};

enum fk_visit_outcome fk_visit_outcome_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
        if (name != NULL && strcmp(outcomes[i].name, name) == 0)
            return (enum fk_visit_outcome)(i + 1);
    return 0;
}

const char *fk_visit_outcome_name(enum fk_visit_outcome outcome)
{
    if (outcome < FK_VISIT_REACHED || outcome > FK_VISIT_REFUSED)
        return "";
    return outcomes[outcome - 1].name;
}

const char *fk_visit_outcome_label(const char *name)
{
    enum fk_visit_outcome outcome = fk_visit_outcome_from_name(name);
    return outcome ? outcomes[outcome - 1].label : "未走访";
}

static const struct {
    const char *name, *label;
} symptoms[] = {
    {"fever", "发热"},
    {"cough", "咳嗽"},
    {"sore_throat", "咽痛"},
    {"fatigue", "乏力"},
    {"loss_of_smell", "嗅觉味觉减退"},
    {"runny_nose", "鼻塞流涕"},
    {"diarrhea", "腹泻"},
    {"muscle_pain", "肌肉酸痛"},
    {"shortness_of_breath", "呼吸困难"},
    {"conjunctivitis", "结膜炎"},
};

unsigned fk_symptom_bit(const char *name)
{
    for (size_t i = 0; i < sizeof(symptoms) / sizeof(symptoms[0]); i++)
        if (name != NULL && strcmp(symptoms[i].name, name) == 0)
            return 1u << i;
    return 0;
}

void fk_symptoms_format(unsigned bits, int chinese, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(symptoms) / sizeof(symptoms[0]); i++) {
        if (!(bits & (1u << i)) || used >= size)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? (chinese ? "、" : ",") : "",
                         chinese ? symptoms[i].label : symptoms[i].name);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

unsigned fk_symptoms_parse(const char *list)
{
    unsigned bits = 0;
    if (list == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(symptoms) / sizeof(symptoms[0]); i++) {
        size_t len = strlen(symptoms[i].name);
        for (const char *p = list; (p = strstr(p, symptoms[i].name)) != NULL; p += len)
            if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
                bits |= 1u << i;
    }
    return bits;
}

static int digits(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (text[i] < '0' || text[i] > '9')
            return 0;
    return 1;
}

static int two(const char *text)
{
    return (text[0] - '0') * 10 + (text[1] - '0');
}

int fk_screening_date(const char *text, int64_t *days)
{
    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
        !digits(text, 4) || !digits(text + 5, 2) || !digits(text + 8, 2))
        return 0;
    int y = two(text) * 100 + two(text + 2), m = two(text + 5), d = two(text + 8);
    if (y < 2000 || y > 2099 || !fk_date_valid(y, m, d))
        return 0;
    *days = fk_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 1;
}

/* GB/T 2260 provinces (and 71 Taiwan, 81 Hong Kong, 82 Macao). */
static int province_exists(int p)
{
    static const int known[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                                43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i] == p)
            return 1;
    return 0;
}

const char *fk_screening_area_code_check(const char *code)
{
    size_t len = code ? strlen(code) : 0;
    if ((len != 2 && len != 4 && len != 6) || !digits(code, len))
        return "区划代码应为 2 位（省）、4 位（市）或 6 位（县区）数字";
    if (!province_exists(two(code)))
        return "省级代码不存在";
    if ((len >= 4 && two(code + 2) == 0) || (len == 6 && two(code + 4) == 0))
        return "市、县代码不能为 00：省用 2 位，市用 4 位";
    return NULL;
}

int fk_screening_concern(const json_t *areas, int other_provinces, const char *campaign_region,
                         const char *origin_code)
{
    if (origin_code == NULL || strlen(origin_code) < 2)
        return 0;
    if (other_provinces && strncmp(origin_code, campaign_region, 2) != 0)
        return 1;
    size_t i;
    json_t *area;
    json_array_foreach(areas, i, area)
    {
        const char *code = json_string_value(json_object_get(area, "code"));
        if (code != NULL && strncmp(origin_code, code, strlen(code)) == 0)
            return 1;
    }
    return 0;
}
