/* Returnee rules: the enumerated values and their labels, the registration
 * window, trip numbers, reference codes and rate windows. No HTTP, no SQL.
 * The values follow DESIGN.md §2 (外省返乡: 三码查验, 落地检, 黄码宾馆/隔离
 * 酒店, 居家) and seed 001 (返乡人员提前 48 小时报备). */
#include "returnees/returnees.h"
#include "core/clock.h"

#include <sodium.h>
#include <string.h>

struct value {
    const char *name, *label;
};

static const struct value transports[] = {
    {"car", "自驾"}, {"train", "火车"}, {"flight", "飞机"}, {"bus", "客车"}, {"other", "其他"},
};
static const struct value three_codes[] = {
    {"green", "绿码"}, {"yellow", "黄码"}, {"red", "红码"}, {"unchecked", "未查验"}};
static const struct value landing_tests[] = {
    {"pending", "待检测"}, {"sampled", "已采样"},        {"negative", "阴性"},
    {"positive", "阳性"},  {"not_required", "无需检测"},
};
static const struct value dispositions[] = {
    {"home_monitoring", "居家健康监测"},
    {"home_quarantine", "居家隔离"},
    {"centralized_quarantine", "集中隔离"},
    {"yellow_code_hotel", "黄码宾馆"},
    {"none", "无需管控"},
};

static const struct value *table(enum fk_returnee_field field, size_t *n)
{
    switch (field) {
    case FK_RETURNEE_TRANSPORT: *n = sizeof(transports) / sizeof(transports[0]); return transports;
    case FK_RETURNEE_THREE_CODE:
        *n = sizeof(three_codes) / sizeof(three_codes[0]);
        return three_codes;
    case FK_RETURNEE_LANDING_TEST:
        *n = sizeof(landing_tests) / sizeof(landing_tests[0]);
        return landing_tests;
    case FK_RETURNEE_DISPOSITION:
        *n = sizeof(dispositions) / sizeof(dispositions[0]);
        return dispositions;
    }
    *n = 0;
    return NULL;
}

int fk_returnee_value_known(enum fk_returnee_field field, const char *name)
{
    size_t n;
    const struct value *values = table(field, &n);
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(values[i].name, name) == 0)
            return 1;
    return 0;
}

const char *fk_returnee_value_label(enum fk_returnee_field field, const char *name)
{
    size_t n;
    const struct value *values = table(field, &n);
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(values[i].name, name) == 0)
            return values[i].label;
    return name ? name : "";
}

const char *fk_returnee_values_text(enum fk_returnee_field field)
{
    switch (field) {
    case FK_RETURNEE_TRANSPORT: return "交通方式应为 car、train、flight、bus 或 other";
    case FK_RETURNEE_THREE_CODE: return "三码查验结果应为 green、yellow、red 或 unchecked";
    case FK_RETURNEE_LANDING_TEST:
        return "落地检状态应为 pending、sampled、negative、positive 或 not_required";
    case FK_RETURNEE_DISPOSITION:
        return "管控措施应为 home_monitoring、home_quarantine、centralized_quarantine、"
               "yellow_code_hotel 或 none";
    }
    return "取值无效";
}

const char *fk_returnee_date_check(int64_t arrival_day, int64_t now, int public_page)
{
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    int64_t today = fk_days_from_civil(y, (unsigned)m, (unsigned)d);
    if (public_page) {
        /* Midnight of the arrival day in Asia/Shanghai. */
        int64_t midnight = arrival_day * 86400 - 8 * 3600;
        if (midnight > now + FK_RETURNEE_PUBLIC_AHEAD)
            return "只能在到达前 48 小时内报备，请临近到达时再登记";
        if (arrival_day < today - FK_RETURNEE_PUBLIC_PAST_DAYS)
            return "到达日期早于 14 天前，请联系所在社区登记";
        return NULL;
    }
    if (arrival_day > today + FK_RETURNEE_STAFF_AHEAD_DAYS)
        return "到达日期不能晚于 30 天后";
    if (arrival_day < today - FK_RETURNEE_STAFF_PAST_DAYS)
        return "到达日期不能早于一年前";
    return NULL;
}

const char *fk_returnee_trip_check(const char *trip_no)
{
    size_t len = trip_no ? strnlen(trip_no, FK_RETURNEE_TRIP_MAX + 1) : 0;
    if (len < 2 || len > FK_RETURNEE_TRIP_MAX)
        return "车次或航班号应为 2–10 位字母或数字";
    for (size_t i = 0; i < len; i++) {
        char c = trip_no[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return "车次或航班号只能包含大写字母和数字，例如 G1234、CA1234";
    }
    return NULL;
}

void fk_returnee_reference(char out[FK_RETURNEE_REFERENCE_LEN])
{
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* no 0/O, 1/I */
    out[0] = 'R';
    for (int i = 1; i < FK_RETURNEE_REFERENCE_LEN - 1; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[FK_RETURNEE_REFERENCE_LEN - 1] = '\0';
}
