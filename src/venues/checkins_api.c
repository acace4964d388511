/* HTTP handlers for check-ins (扫码登记): POST /checkins (one or a batch of
 * up to 1000), the staff scan at a venue (a personal code or an ID number),
 * a venue's and a person's check-ins, the venue ledger, and the purge.
 *
 * Every item of a batch is checked before anything is written; one bad item
 * is a 422 naming it ("items[3].at") and nothing is stored. Each check-in is
 * stored with the colour of the person's health code at the time; red and
 * yellow arrivals are refused entry but recorded (allowed = 0). A retry with
 * the same idempotency key (per caller) answers the first result: the INSERT
 * is `ON CONFLICT DO NOTHING RETURNING id`, which never fails the
 * transaction, and a key that returned nothing is read back. */
#include "audit/audit.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "healthcode/healthcode.h"
#include "http/ledger.h"
#include "residents/residents.h"
#include "selfservice/selfservice.h"
#include "venues/venues_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Venues met in one request (a batch usually names a few). */
#define VENUE_CACHE 16
struct venue_cache {
    struct fk_venue_brief v[VENUE_CACHE];
    int n;
};

/* Replies 422 naming `prefix` + `name`; returns -1. */
static int item_invalid(struct fk_req *req, const char *prefix, const char *name, enum fk_ecode e,
                        const char *message)
{
    char field[64];
    snprintf(field, sizeof(field), "%s%s", prefix, name);
    fk_reply_errf(req, e, field, message);
    return -1;
}

static int printable_key(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 64)
        return 0;
    for (const char *p = key; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return 0;
    return 1;
}

/* Reads a time member: required RFC 3339 in [now - BEHIND, now + AHEAD]. */
static int time_member(struct fk_req *req, json_t *obj, const char *prefix, const char *name,
                       int required, int64_t now, int64_t *out)
{
    json_t *v = json_object_get(obj, name);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return required ? item_invalid(req, prefix, name, FK_E_MISSING_FIELD, NULL) : 0;
    int64_t t;
    if (!json_is_string(v) || fk_time_parse(json_string_value(v), &t) != FK_OK)
        return item_invalid(req, prefix, name, FK_E_INVALID_FIELD_MSG,
                            "时间格式应为 RFC 3339（例如 2022-03-02T08:00:00+08:00）");
    if (t > now + FK_CHECKIN_AHEAD || t < now - FK_CHECKIN_BEHIND)
        return item_invalid(req, prefix, name, FK_E_INVALID_FIELD_MSG,
                            "登记时间应在 7 天前到现在之间");
    *out = t;
    return 0;
}

static int id_member(struct fk_req *req, json_t *obj, const char *prefix, const char *name,
                     int required, int64_t *out)
{
    json_t *v = json_object_get(obj, name);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return required ? item_invalid(req, prefix, name, FK_E_MISSING_FIELD, NULL) : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return item_invalid(req, prefix, name, FK_E_INVALID_FIELD_MSG, "应为正整数编号");
    *out = json_integer_value(v);
    return 0;
}

/* The venue a FKS: place code names; -1 after replying 422. */
static int venue_code_member(struct fk_req *req, struct fk_conn *db, const char *prefix,
                             const char *code, int64_t *venue_id)
{
    struct fk_code_info info;
    enum fk_code_status status = fk_code_verify(db, code, &info);
    if (status == FK_CODE_UNAVAILABLE) {
        fk_reply_fail(req, FK_ERR_BUSY, NULL);
        return -1;
    }
    if (status == FK_CODE_EXPIRED)
        return item_invalid(req, prefix, "venue_code", FK_E_INVALID_FIELD_MSG,
                            "场所码已过期，请联系场所更换");
    if (status != FK_CODE_VALID || info.type != FK_CODE_VENUE)
        return item_invalid(req, prefix, "venue_code", FK_E_INVALID_FIELD_MSG, "不是有效的场所码");
    *venue_id = info.object_id;
    return 0;
}

/* Parses one item object; -1 after replying. */
static int parse_item(struct fk_req *req, struct fk_conn *db, json_t *obj, const char *prefix,
                      int64_t now, struct fk_checkin_item *it)
{
    memset(it, 0, sizeof(*it));
    if (!json_is_object(obj))
        return item_invalid(req, prefix, "", FK_E_INVALID_FIELD_MSG, "每条登记应为对象");
    json_t *code = json_object_get(obj, "venue_code");
    if (code != NULL && !json_is_null(code)) {
        if (!json_is_string(code) || json_string_length(code) > FK_CODE_MAX_INPUT)
            return item_invalid(req, prefix, "venue_code", FK_E_INVALID_FIELD_MSG,
                                "不是有效的场所码");
        if (venue_code_member(req, db, prefix, json_string_value(code), &it->venue_id) != 0)
            return -1;
    } else if (id_member(req, obj, prefix, "venue_id", 1, &it->venue_id) != 0) {
        return -1;
    }
    if (id_member(req, obj, prefix, "person_id", 1, &it->person_id) != 0 ||
        time_member(req, obj, prefix, "at", 1, now, &it->at) != 0 ||
        time_member(req, obj, prefix, "left_at", 0, now, &it->left_at) != 0)
        return -1;
    if (it->left_at != 0 && it->left_at < it->at)
        return item_invalid(req, prefix, "left_at", FK_E_INVALID_FIELD_MSG,
                            "离开时间不能早于到达时间");
    json_t *key = json_object_get(obj, "idempotency_key");
    if (key == NULL || json_is_null(key))
        return item_invalid(req, prefix, "idempotency_key", FK_E_MISSING_FIELD, NULL);
    if (!json_is_string(key) || !printable_key(json_string_value(key)))
        return item_invalid(req, prefix, "idempotency_key", FK_E_INVALID_FIELD_MSG,
                            "幂等键应为 1–64 个可打印 ASCII 字符");
    it->key = json_string_value(key);
    return 0;
}

/* Persons of a batch the caller may name by bare id (sorted ids): those
 * that exist and, for staff, live inside the caller's jurisdiction; read in
 * a few queries instead of one per item. */
struct person_set {
    int64_t *ids;
    size_t n;
};

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether the caller may name a person living in `region` by bare internal
 * id: staff only inside their jurisdiction (a visitor from elsewhere presents
 * a personal code or ID card at POST /venues/{id}/scans); a resident account
 * is checked against the persons it acts for afterwards. */
static int may_name_by_id(const struct fk_req *req, const char *region)
{
    return req->actor.role == FK_ROLE_RESIDENT || fk_req_covers(req, region);
}

/* Audits a refused person (checkin_refused) with why: the person does not
 * exist, lives outside the caller's jurisdiction, or is not one the resident
 * acts for. The answer to the caller is the same in every case; a failed
 * audit write is logged and does not change it. */
static void audit_refused(struct fk_req *req, struct fk_conn *db, const struct fk_checkin_item *it,
                          const char *prefix)
{
    int row = 0;
    char region[24] = "";
    enum fk_err err = fk_checkins_person_region(db, it->person_id, region, &row);
    const char *why = !row                                  ? "not_found"
                      : req->actor.role == FK_ROLE_RESIDENT ? "not_acting_for"
                                                            : "outside_jurisdiction";
    char target[24], field[64];
    snprintf(target, sizeof(target), "%lld", (long long)it->person_id);
    snprintf(field, sizeof(field), "%sperson_id", prefix);
    json_t *detail = json_pack("{s:s,s:s,s:I,s:s}", "reason", why, "field", field, "venue_id",
                               (json_int_t)it->venue_id, "person_region", region);
    if (err == FK_OK)
        err =
            fk_audit_req(req, "checkin_refused", "person", target, row ? it->person_id : 0, detail);
    json_decref(detail);
    if (err != FK_OK)
        fk_log_msg(FK_LOG_WARN, "checkin_refused_not_audited", fk_err_name(err));
}

struct person_pick {
    const struct fk_req *req;
    struct person_set *set;
};

static void person_picked(void *ctx, int64_t person_id, const char *region)
{
    struct person_pick *pick = ctx;
    if (may_name_by_id(pick->req, region))
        pick->set->ids[pick->set->n++] = person_id;
}

static enum fk_err person_set_load(const struct fk_req *req, struct fk_conn *db,
                                   const struct fk_checkin_item *items, size_t n,
                                   struct person_set *set)
{
    set->n = 0;
    set->ids = malloc(n * sizeof(*set->ids));
    int64_t *want = malloc(n * sizeof(*want));
    if (set->ids == NULL || want == NULL) {
        free(want);
        return FK_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        want[i] = items[i].person_id;
    qsort(want, n, sizeof(*want), cmp_id);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || want[m - 1] != want[i])
            want[m++] = want[i];
    struct person_pick pick = {req, set};
    enum fk_err err = fk_checkins_person_regions(db, want, m, person_picked, &pick);
    free(want);
    if (err == FK_OK)
        qsort(set->ids, set->n, sizeof(*set->ids), cmp_id);
    return err;
}

/* Resolves the item's venue (cached) and person, the caller's right to
 * check them in, and the colour. `presented`: the person was named by what
 * they present (a personal code or ID number at a staff scan), which any
 * venue staff may check in; a bare person_id only within the caller's
 * jurisdiction (`known` holds those of a batch). A person who does not exist
 * and one the caller may not name get the same answer, audited. -1 after
 * replying; `batch` turns "not found" into a 422 naming the item. */
static int resolve_item(struct fk_req *req, struct fk_conn *db, struct venue_cache *vc,
                        const struct person_set *known, const char *prefix, int batch,
                        int presented, struct fk_checkin_item *it)
{
    const struct fk_venue_brief *v = NULL;
    for (int i = 0; i < vc->n && v == NULL; i++)
        if (vc->v[i].id == it->venue_id)
            v = &vc->v[i];
    int resident = req->actor.role == FK_ROLE_RESIDENT;
    if (v == NULL) {
        struct fk_venue_brief b;
        enum fk_err err = fk_venue_brief_get(db, it->venue_id, &b);
        if (err != FK_OK && err != FK_ERR_NOT_FOUND) {
            fk_reply_fail(req, err, NULL);
            return -1;
        }
        if (err == FK_ERR_NOT_FOUND || (!resident && !fk_req_covers(req, b.region))) {
            if (batch)
                return item_invalid(req, prefix, "venue_id", FK_E_INVALID_FIELD_MSG,
                                    "场所不存在或不在管辖范围内");
            fk_reply_err(req, FK_E_VENUE_NOT_FOUND, "venue_id");
            return -1;
        }
        int slot = vc->n < VENUE_CACHE ? vc->n++ : VENUE_CACHE - 1;
        vc->v[slot] = b;
        v = &vc->v[slot];
    }
    if (v->status != FK_VENUE_OPEN)
        return item_invalid(req, prefix, "venue_id", FK_E_VENUE_CLOSED, NULL);
    it->region = v->region;
    /* The person: anyone registered who presented their code or ID card
     * (visitors come from elsewhere); by bare id only one inside the
     * caller's jurisdiction, or for a resident account itself and the family
     * members it acts for. */
    int ok = 0;
    enum fk_err err = FK_OK;
    if (known != NULL) {
        ok = bsearch(&it->person_id, known->ids, known->n, sizeof(*known->ids), cmp_id) != NULL;
    } else {
        int row = 0;
        char region[24] = "";
        err = fk_checkins_person_region(db, it->person_id, region, &row);
        ok = err == FK_OK && row && (presented || may_name_by_id(req, region));
    }
    if (err == FK_OK && ok && resident)
        err = fk_selfservice_may_act_for(db, req->actor.user_id, it->person_id, &ok);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (!ok) {
        audit_refused(req, db, it, prefix);
        if (batch)
            return item_invalid(req, prefix, "person_id", FK_E_INVALID_FIELD_MSG,
                                "人员不存在或无权为其登记");
        fk_reply_err(req, FK_E_CHECKIN_PERSON_REFUSED, "person_id");
        return -1;
    }
    struct fk_health_code code;
    if ((err = fk_health_code_get(db, it->person_id, &code)) != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    it->color = code.color;
    it->allowed = !fk_checkin_refused(code.color, it->reason, sizeof(it->reason));
    return 0;
}

static json_t *item_json(const struct fk_checkin_item *it)
{
    char at[FK_RFC3339_LEN];
    fk_time_format(it->at, at);
    return json_pack("{s:I,s:I,s:I,s:s,s:o,s:s,s:s,s:b,s:s,s:b}", "id", (json_int_t)it->id,
                     "venue_id", (json_int_t)it->venue_id, "person_id", (json_int_t)it->person_id,
                     "at", at, "left_at", fk_time_json(it->left_at, it->left_at != 0), "color",
                     fk_health_color_name(it->color), "color_label",
                     fk_health_color_label(it->color), "allowed", it->allowed, "reason", it->reason,
                     "duplicate", it->duplicate);
}

void fk_checkins_post(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t now = fk_now();
    json_t *list = json_object_get(req->json, "items");
    int batch = list != NULL && !json_is_null(list);
    size_t n = 1;
    if (batch) {
        if (!json_is_array(list) || json_array_size(list) == 0 ||
            json_array_size(list) > FK_CHECKINS_BATCH_MAX) {
            fk_reply_invalid(req, "items", "items 应为 1–1000 条登记的数组");
            return;
        }
        n = json_array_size(list);
    }
    struct fk_checkin_item *items = calloc(n, sizeof(*items));
    if (items == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    /* Every item is checked before anything is written. */
    char prefix[32] = "";
    for (size_t i = 0; i < n; i++) {
        if (batch)
            snprintf(prefix, sizeof(prefix), "items[%zu].", i);
        if (parse_item(req, db, batch ? json_array_get(list, i) : req->json, prefix, now,
                       &items[i]) != 0)
            goto done;
    }
    struct venue_cache vc = {.n = 0};
    struct person_set known = {NULL, 0};
    if (batch) {
        enum fk_err err = person_set_load(req, db, items, n, &known);
        if (err != FK_OK) {
            free(known.ids);
            fk_reply_fail(req, err, NULL);
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (batch)
            snprintf(prefix, sizeof(prefix), "items[%zu].", i);
        if (resolve_item(req, db, &vc, batch ? &known : NULL, prefix, batch, 0, &items[i]) != 0) {
            free(known.ids);
            goto done;
        }
    }
    free(known.ids);
    const char *source = req->actor.role == FK_ROLE_RESIDENT ? "resident" : "api";
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    enum fk_err err = fk_checkins_store(db, items, n, source, now, &audit);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    if (!batch) {
        /* The one who scanned a poster sees where they checked in. */
        json_t *body = item_json(&items[0]);
        char name[FK_VENUE_NAME_MAX + 1];
        if (fk_venue_name(db, items[0].venue_id, name, sizeof(name)) == FK_OK)
            json_object_set_new(body, "venue_name", json_string(name));
        fk_reply_json(req, items[0].duplicate ? 200 : 201, body);
        goto done;
    }
    json_t *out = json_array();
    size_t created = 0;
    for (size_t i = 0; out && i < n; i++) {
        created += !items[i].duplicate;
        json_array_append_new(out, item_json(&items[i]));
    }
    fk_reply_json(req, created > 0 ? 201 : 200,
                  json_pack("{s:o,s:I,s:I}", "items", out ? out : json_array(), "created",
                            (json_int_t)created, "duplicates", (json_int_t)(n - created)));
done:
    free(items);
}

/* --- the staff scan at a venue --- */

static int venue_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_venue_brief *v)
{
    int64_t id;
    if (fk_path_id_or_reply(req, "id", FK_E_VENUE_NOT_FOUND, "id", &id) != 0)
        return -1;
    return fk_venue_in_scope_or_reply(req, db, id, v);
}

/* The person a personal code or an ID number names; -1 after replying. */
static int scanned_person_or_reply(struct fk_req *req, struct fk_conn *db, int64_t now,
                                   int64_t *person_id)
{
    const char *code, *id_number;
    if (fk_json_str_or_reply(req, "code", 0, FK_CODE_MAX_INPUT, &code) != 0 ||
        fk_json_str_or_reply(req, "id_number", 0, 32, &id_number) != 0)
        return -1;
    if ((code == NULL) == (id_number == NULL)) {
        fk_reply_err(req, FK_E_CHECKIN_CODE_OR_ID, "code");
        return -1;
    }
    *person_id = 0;
    if (code != NULL) {
        struct fk_code_info info;
        enum fk_code_status status = fk_code_verify(db, code, &info);
        if (status == FK_CODE_UNAVAILABLE) {
            fk_reply_fail(req, FK_ERR_BUSY, NULL);
            return -1;
        }
        if (status == FK_CODE_EXPIRED && info.type == FK_CODE_PERSONAL)
            return fk_reply_invalid(req, "code", "个人码已过期，请刷新后重新出示");
        if (status != FK_CODE_VALID || info.type != FK_CODE_PERSONAL)
            return fk_reply_invalid(req, "code", "不是有效的个人码");
        *person_id = info.object_id;
        return 0;
    }
    struct fk_resident_id rid;
    const char *reason;
    if (fk_resident_id_parse(id_number, now, &rid, &reason) != FK_OK)
        return fk_reply_invalid(req, "id_number", "身份证号格式或校验位错误");
    enum fk_err err = fk_person_find_by_id_number(db, &req->app->pii_key, rid.number, person_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    if (*person_id == 0) {
        fk_reply_err(req, FK_E_CHECKIN_ID_UNKNOWN, "id_number");
        return -1;
    }
    return 0;
}

void fk_venue_scan(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_venue_brief v;
    if (db == NULL || venue_or_reply(req, db, &v) != 0)
        return;
    int64_t now = fk_now();
    struct fk_checkin_item it;
    memset(&it, 0, sizeof(it));
    if (scanned_person_or_reply(req, db, now, &it.person_id) != 0 ||
        time_member(req, req->json, "", "at", 1, now, &it.at) != 0)
        return;
    const char *key;
    if (fk_json_str_or_reply(req, "idempotency_key", 1, 64, &key) != 0)
        return;
    if (!printable_key(key)) {
        fk_reply_invalid(req, "idempotency_key", "幂等键应为 1–64 个可打印 ASCII 字符");
        return;
    }
    it.key = key;
    it.venue_id = v.id;
    struct venue_cache vc = {.n = 1};
    vc.v[0] = v;
    if (resolve_item(req, db, &vc, NULL, "", 0, 1, &it) != 0)
        return;
    struct fk_audit_entry audit = fk_audit_entry_of(req, NULL, NULL, 0, NULL);
    enum fk_err err = fk_checkins_store(db, &it, 1, "scan", now, &audit);
    char name[FK_NAME_MAX + 1] = "";
    json_t *id_json = NULL;
    if (err == FK_OK)
        err = fk_checkins_person_shown(db, &req->app->pii_key, it.person_id, name, sizeof(name),
                                       &id_json);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = item_json(&it);
    json_object_set_new(body, "venue_name", json_string(v.name));
    json_object_set_new(body, "person",
                        json_pack("{s:I,s:s,s:o}", "id", (json_int_t)it.person_id, "name", name,
                                  "id_number", id_json ? id_json : json_null()));
    fk_reply_json(req, it.duplicate ? 200 : 201, body);
}

/* --- lists --- */

/* ?from=&until=&allowed= into q; -1 after replying 422. */
static int window_or_reply(struct fk_req *req, struct fk_checkin_filter *q)
{
    int has_from, has_until;
    q->allowed = -1;
    if (fk_query_time_or_reply(req, "from", &has_from, &q->from) != 0 ||
        fk_query_time_or_reply(req, "until", &has_until, &q->until) != 0)
        return -1;
    if (!has_from)
        q->from = 0;
    if (!has_until)
        q->until = 0;
    if (q->from && q->until && q->until <= q->from)
        return fk_reply_invalid(req, "until", "结束时间应晚于开始时间");
    const char *allowed = fk_req_query(req, "allowed");
    if (allowed != NULL && allowed[0] != '\0') {
        if (strcmp(allowed, "1") == 0 || strcmp(allowed, "true") == 0)
            q->allowed = 1;
        else if (strcmp(allowed, "0") == 0 || strcmp(allowed, "false") == 0)
            q->allowed = 0;
        else
            return fk_reply_invalid(req, "allowed", "应为 0 或 1");
    }
    return 0;
}

static void reply_list(struct fk_req *req, struct fk_conn *db, const struct fk_checkin_filter *q,
                       const char *action, int64_t person_id)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err =
        fk_checkins_list(db, q, &req->app->pii_key, req->actor.role, page, per_page, items, &total);
    fk_req_audit(req, &err, action, q->by[2] == 'v' ? "venue" : "person", q->id, person_id,
                 json_pack("{s:I,s:I}", "total", (json_int_t)total, "returned",
                           (json_int_t)json_array_size(items)));
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

void fk_venue_checkins_list(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_venue_brief v;
    if (db == NULL || venue_or_reply(req, db, &v) != 0)
        return;
    struct fk_checkin_filter q = {.by = "c.venue_id", .id = v.id};
    if (window_or_reply(req, &q) != 0)
        return;
    reply_list(req, db, &q, "venue_checkin_list", 0);
}

void fk_person_checkins_list(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    if (db == NULL)
        return;
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &id) != FK_OK) {
        fk_reply_err(req, FK_E_HEALTH_PERSON_NOT_FOUND, "id");
        return;
    }
    int row = 0, ok = 0;
    char region[24] = "";
    enum fk_err err = fk_checkins_person_region(db, id, region, &row);
    if (err == FK_OK && row)
        ok = req->actor.role != FK_ROLE_RESIDENT && fk_req_covers(req, region);
    if (err == FK_OK && row && req->actor.role == FK_ROLE_RESIDENT)
        err = fk_selfservice_may_act_for(db, req->actor.user_id, id, &ok);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (!ok) {
        fk_reply_err(req, FK_E_HEALTH_PERSON_NOT_FOUND, "id");
        return;
    }
    struct fk_checkin_filter q = {.by = "c.person_id", .id = id};
    if (window_or_reply(req, &q) != 0)
        return;
    reply_list(req, db, &q, "person_checkin_list", id);
}

struct checkin_rows {
    struct fk_ledger *lg;
    const char *venue_name;
    int64_t count;
};

/* One check-in (fk_checkins_each) as a ledger row. */
static int checkin_ledger_row(void *ctx, int64_t id, json_t *c)
{
    (void)id;
    struct checkin_rows *rows = ctx;
    enum { N = 9 };
    char seq[24], at[20] = "", left[20] = "";
    snprintf(seq, sizeof(seq), "%lld", (long long)++rows->count);
    const char *t = json_string_value(json_object_get(c, "at"));
    const char *l = json_string_value(json_object_get(c, "left_at"));
    if (t && strlen(t) >= 16)
        snprintf(at, sizeof(at), "%.10s %.5s", t, t + 11);
    if (l && strlen(l) >= 16)
        snprintf(left, sizeof(left), "%.10s %.5s", l, l + 11);
    json_t *person = json_object_get(c, "person");
    const char *idn = json_string_value(json_object_get(person, "id_number"));
    const char *cells[N] = {seq,
                            rows->venue_name,
                            json_string_value(json_object_get(person, "name")),
                            idn ? idn : "",
                            at,
                            left,
                            json_string_value(json_object_get(c, "color_label")),
                            json_is_true(json_object_get(c, "allowed")) ? "是" : "否",
                            json_string_value(json_object_get(c, "reason"))};
    fk_ledger_row(rows->lg, cells, N);
    return 0;
}

void fk_venue_checkins_export(struct fk_req *req)
{
    int xlsx;
    struct fk_conn *db = fk_req_db(req);
    struct fk_venue_brief v;
    if (db == NULL || fk_ledger_format_or_reply(req, &xlsx) != 0 ||
        venue_or_reply(req, db, &v) != 0)
        return;
    struct fk_checkin_filter q = {.by = "c.venue_id", .id = v.id};
    if (window_or_reply(req, &q) != 0)
        return;
    static const char *const headers[] = {"序号",     "场所",         "姓名",
                                          "身份证号", "到达时间",     "离开时间",
                                          "健康码",   "是否允许进入", "原因"};
    static const double widths[] = {8, 24, 10, 20, 18, 18, 8, 10, 36};
    enum { N = sizeof(headers) / sizeof(headers[0]) };
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "扫码登记台账", headers, widths, N) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    struct checkin_rows rows = {&lg, v.name, 0};
    enum fk_err err =
        fk_checkins_each(db, &q, &req->app->pii_key, req->actor.role, checkin_ledger_row, &rows);
    int64_t count = rows.count;
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:I,s:s,s:I}", "venue_id", (json_int_t)v.id, "format",
                                   xlsx ? "xlsx" : "csv", "rows", (json_int_t)count);
        err = fk_audit_req(req, "venue_checkin_export", "venue", NULL, 0, detail);
        json_decref(detail);
    }
    fk_ledger_finish(req, &lg, err, "checkins");
}

void fk_checkins_purge_post(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    int64_t now = fk_now(), deleted = 0, days = req->app->cfg.checkin_retention_days;
    enum fk_err err =
        fk_checkins_purge(db, now, days, req->actor.user_id, req->actor.username, &deleted);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    char cutoff[FK_RFC3339_LEN];
    fk_time_format(fk_checkin_cutoff(now, days), cutoff);
    fk_reply_json(req, 200,
                  json_pack("{s:I,s:I,s:s}", "deleted", (json_int_t)deleted, "retention_days",
                            (json_int_t)days, "kept_from", cutoff));
}
