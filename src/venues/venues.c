/* The pure rules of venues and check-ins: the category table with its
 * typical dwell times, statuses, input checks, the day key, the retention
 * cutoff and who is refused entry. No HTTP, no SQL. */
#include "venues/venues_internal.h"
#include "core/clock.h"
#include "core/events.h"
#include "healthcode/healthcode.h"
#include "id/id.h"

#include <stdio.h>
#include <string.h>

/* Typical stays are the tracing defaults for each kind of place: short for
 * passing through (gates, stations), a working day for schools and
 * workplaces, a night for hotels. A venue may override its own. */
static const struct fk_venue_category categories[FK_VENUE_CATEGORIES] = {
    {"gate", "小区（社区）卡口", 10},   {"village", "村庄", 60},
    {"government", "机关单位", 60},     {"school", "学校", 480},
    {"hospital", "医疗机构", 60},       {"supermarket", "超市", 30},
    {"market", "农贸市场", 30},         {"mall", "商场", 90},
    {"restaurant", "餐饮场所", 60},     {"hotel", "宾馆酒店", 720},
    {"entertainment", "娱乐场所", 120}, {"workplace", "企业", 480},
    {"transport", "车站", 30},
};

const struct fk_venue_category *fk_venue_category_at(size_t i)
{
    return i < FK_VENUE_CATEGORIES ? &categories[i] : NULL;
}

const struct fk_venue_category *fk_venue_category_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < FK_VENUE_CATEGORIES; i++)
        if (strcmp(categories[i].name, name) == 0)
            return &categories[i];
    return NULL;
}

static const char *const status_names[] = {NULL, "open", "suspended", "sealed"};
static const char *const status_labels[] = {NULL, "开放", "暂停开放", "已查封"};

const char *fk_venue_status_name(int status)
{
    return status >= FK_VENUE_OPEN && status <= FK_VENUE_SEALED ? status_names[status] : NULL;
}

const char *fk_venue_status_label(int status)
{
    return status >= FK_VENUE_OPEN && status <= FK_VENUE_SEALED ? status_labels[status] : NULL;
}

int fk_venue_status_from_name(const char *name)
{
    for (int s = FK_VENUE_OPEN; name != NULL && s <= FK_VENUE_SEALED; s++)
        if (strcmp(status_names[s], name) == 0)
            return s;
    return 0;
}

/* Whether `text` is 1..max bytes without control characters (C0, DEL). */
static int text_ok(const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n == 0 || n > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static enum fk_err refuse(struct fk_venue_error *why, const char *field, const char *message)
{
    why->field = field;
    why->message = message;
    return FK_ERR_INVALID;
}

enum fk_err fk_venue_check(const struct fk_venue_input *in, int creating,
                           struct fk_venue_error *why)
{
    if (creating && in->name == NULL)
        return refuse(why, "name", "请填写场所名称");
    if (in->name != NULL && !text_ok(in->name, FK_VENUE_NAME_MAX))
        return refuse(why, "name", "场所名称应为 1–100 字节，且不含控制字符");
    if (creating && in->category == NULL)
        return refuse(why, "category", "请选择场所类别");
    if (in->category != NULL && fk_venue_category_find(in->category) == NULL)
        return refuse(why, "category",
                      "场所类别应为 gate、village、government、school、hospital、supermarket、"
                      "market、mall、restaurant、hotel、entertainment、workplace 或 transport");
    if (creating && in->region == NULL)
        return refuse(why, "region", "请填写场所所属区划");
    if (in->address != NULL && in->address[0] != '\0' &&
        !text_ok(in->address, FK_VENUE_ADDRESS_MAX))
        return refuse(why, "address", "地址应不超过 200 字节，且不含控制字符");
    if (in->contact_name != NULL && in->contact_name[0] != '\0' &&
        !text_ok(in->contact_name, FK_VENUE_CONTACT_MAX))
        return refuse(why, "contact_name", "负责人姓名应不超过 32 字节，且不含控制字符");
    const char *reason;
    if (in->contact_phone != NULL && in->contact_phone[0] != '\0' &&
        fk_phone_check(in->contact_phone, &reason) != FK_OK)
        return refuse(why, "contact_phone", "负责人手机号应为 11 位手机号码");
    if (in->status != NULL && fk_venue_status_from_name(in->status) == 0)
        return refuse(why, "status",
                      "状态应为 open（开放）、suspended（暂停开放）或 sealed（已查封）");
    if (in->note != NULL && in->note[0] != '\0' && !text_ok(in->note, FK_VENUE_NOTE_MAX))
        return refuse(why, "note", "备注应不超过 500 字节，且不含控制字符");
    if (in->has_dwell && (in->dwell_minutes < 0 || in->dwell_minutes > FK_VENUE_DWELL_MAX))
        return refuse(why, "dwell_minutes", "停留时长应为 1–1440 分钟（0 表示按类别默认）");
    return FK_OK;
}

int64_t fk_checkin_day(int64_t epoch)
{
    int64_t local = epoch + 8 * 3600;
    return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

int64_t fk_checkin_cutoff(int64_t now, int64_t retention_days)
{
    return now - retention_days * 86400;
}

int fk_checkin_refused(int color, char *reason, size_t size)
{
    if (color == FK_HEALTH_RED) {
        snprintf(reason, size, "红码人员，禁止进入，请就地等候并联系社区（村）处置");
        return 1;
    }
    if (color == FK_HEALTH_YELLOW) {
        snprintf(reason, size,
                 "黄码人员，禁止进入，请按赋码原因（发热就医、补做核酸等）处置后再来");
        return 1;
    }
    if (size > 0)
        reason[0] = '\0';
    return 0;
}

/* FK_EVENT_RISK_AREA_CHANGED: a local area just declared learns who checked
 * in at venues under it during its window (healthcode.h). */
struct stays_walk {
    struct fk_conn *db;
    const struct fk_risk_area_change *change;
    enum fk_err err;
};

static int stay_seen(void *ctx, int64_t person_id, int64_t at, const char *venue_region)
{
    struct stays_walk *w = ctx;
    w->err = fk_health_risk_stay(w->db, w->change, person_id, at, venue_region);
    return w->err == FK_OK ? 0 : -1;
}

static enum fk_err risk_area_changed(struct fk_conn *db, const struct fk_event *event, void *unused)
{
    (void)unused;
    const struct fk_risk_area_change *change = event->detail;
    if (change == NULL || !change->declared || change->outside)
        return FK_OK;
    struct stays_walk w = {.db = db, .change = change};
    enum fk_err err =
        fk_checkins_visitors_each(db, change->prefix, change->from, change->until, stay_seen, &w);
    if (err == FK_ERR_DONE) /* stay_seen stopped the walk */
        err = w.err;
    return err != FK_OK ? err : w.err;
}

enum fk_err fk_venues_subscribe(void)
{
    return fk_event_subscribe(FK_EVENT_RISK_AREA_CHANGED, risk_area_changed, NULL,
                              "venues.risk_area_visitors");
}
