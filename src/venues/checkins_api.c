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
#include "core/events.h"
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

/* One check-in as submitted and then resolved. */
struct item {
    int64_t venue_id, person_id, at, left_at; /* left_at 0 = not given */
    const char *key;
    const char *region; /* the venue's (points into the venue cache) */
    int color;          /* enum fk_health_color */
    int allowed;
    char reason[160];
    int64_t id;
    int duplicate;
};

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
                      int64_t now, struct item *it)
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
static void audit_refused(struct fk_req *req, struct fk_conn *db, const struct item *it,
                          const char *prefix)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    char region[24] = "";
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT region FROM persons WHERE id = ? AND merged_into IS NULL",
                                  "i", it->person_id);
    if (err == FK_OK && row)
        snprintf(region, sizeof(region), "%s", fk_stmt_text(st, 0));
    fk_stmt_free(st);
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

/* The PostgreSQL backend binds at most 64 parameters per statement. */
#define PERSONS_PER_QUERY 64

static enum fk_err person_set_load(const struct fk_req *req, struct fk_conn *db,
                                   const struct item *items, size_t n, struct person_set *set)
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
    enum fk_err err = FK_OK;
    char sql[128 + PERSONS_PER_QUERY * 2];
    for (size_t start = 0; start < m && err == FK_OK; start += PERSONS_PER_QUERY) {
        size_t k = m - start < PERSONS_PER_QUERY ? m - start : PERSONS_PER_QUERY;
        size_t len =
            (size_t)snprintf(sql, sizeof(sql), "SELECT id, region FROM persons WHERE id IN (");
        for (size_t j = 0; j < k; j++)
            len += (size_t)snprintf(sql + len, sizeof(sql) - len, j ? ",?" : "?");
        snprintf(sql + len, sizeof(sql) - len, ") AND merged_into IS NULL");
        struct fk_stmt *st = NULL;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        for (size_t j = 0; j < k && err == FK_OK; j++)
            err = fk_stmt_bind_int64(st, (int)j + 1, want[start + j]);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
            if (may_name_by_id(req, fk_stmt_text(st, 1)))
                set->ids[set->n++] = fk_stmt_int64(st, 0);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
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
                        int presented, struct item *it)
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
        struct fk_stmt *st = NULL;
        int row = 0;
        err = fk_db_query(db, &st, &row,
                          "SELECT region FROM persons WHERE id = ? AND merged_into IS NULL", "i",
                          it->person_id);
        ok = err == FK_OK && row && (presented || may_name_by_id(req, fk_stmt_text(st, 0)));
        fk_stmt_free(st);
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

/* 13 parameters a row: 4 rows stay within the store's 64 parameters. */
#define ROWS_PER_INSERT 4

/* INSERT … VALUES (13 typed parameters) × rows … ON CONFLICT DO NOTHING RETURNING
 * id, idempotency_key; malloc'd. */
static char *insert_sql(size_t rows)
{
    static const char head[] =
        "INSERT INTO checkins(venue_id, region, person_id, at, left_at, day, color, allowed, "
        "reason, source, created_by, idempotency_key, created_at) VALUES ";
    /* Typed: PostgreSQL types the parameters of a multi-row VALUES list
     * as text unless told (a single row takes the column types). */
#define B "CAST(? AS BIGINT)"
#define T "CAST(? AS TEXT)"
    static const char row[] =
        "(" B "," T "," B "," B "," B "," B "," T "," B "," T "," T "," B "," T "," B ")";
#undef B
#undef T
    static const char tail[] =
        " ON CONFLICT (created_by, idempotency_key) DO NOTHING RETURNING id, idempotency_key";
    size_t size = sizeof(head) + rows * sizeof(row) + sizeof(tail);
    char *sql = malloc(size);
    if (sql == NULL)
        return NULL;
    size_t len = (size_t)snprintf(sql, size, "%s", head);
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(sql + len, size - len, "%s%s", i ? "," : "", row);
    snprintf(sql + len, size - len, "%s", tail);
    return sql;
}

/* Stores the items in one transaction with one prepared INSERT; items whose
 * key was stored before are read back (duplicate = 1) with their first
 * result. */
static enum fk_err store_items(struct fk_req *req, struct fk_conn *db, struct item *items, size_t n,
                               const char *source, int64_t now)
{
    struct fk_stmt *ins = NULL, *sel = NULL;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    size_t dups = 0;
    /* Multi-row INSERTs of up to ROWS_PER_INSERT items: one round trip each
     * on PostgreSQL. Rows come back as (id, key) in no promised order; an
     * item whose key came back is new, the others are duplicates (of an
     * earlier request, or of an earlier item of this one). */
    for (size_t start = 0; start < n && err == FK_OK; start += ROWS_PER_INSERT) {
        size_t m = n - start < ROWS_PER_INSERT ? n - start : ROWS_PER_INSERT;
        if (ins == NULL || m != ROWS_PER_INSERT) {
            if (ins != NULL)
                fk_stmt_free(ins);
            ins = NULL;
            char *sql = insert_sql(m);
            err = sql ? fk_stmt_prepare(db, sql, &ins) : FK_ERR_NOMEM;
            free(sql);
            if (err != FK_OK)
                break;
        } else {
            fk_stmt_reset(ins);
        }
        int k = 1;
        for (size_t i = start; i < start + m && err == FK_OK; i++) {
            struct item *it = &items[i];
            if ((err = fk_stmt_bind_int64(ins, k++, it->venue_id)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, it->region)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, it->person_id)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, it->at)) == FK_OK &&
                (err = it->left_at ? fk_stmt_bind_int64(ins, k++, it->left_at)
                                   : fk_stmt_bind_null(ins, k++)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, fk_checkin_day(it->at))) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, fk_health_color_name(it->color))) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, it->allowed)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, it->reason)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, source)) == FK_OK &&
                (err = fk_stmt_bind_int64(ins, k++, req->actor.user_id)) == FK_OK &&
                (err = fk_stmt_bind_text(ins, k++, it->key)) == FK_OK)
                err = fk_stmt_bind_int64(ins, k++, now);
        }
        while (err == FK_OK && (err = fk_stmt_step(ins)) == FK_OK) {
            const char *key = fk_stmt_text(ins, 1);
            for (size_t i = start; i < start + m; i++)
                if (items[i].id == 0 && strcmp(items[i].key, key) == 0) {
                    items[i].id = fk_stmt_int64(ins, 0);
                    break;
                }
        }
        if (err == FK_ERR_DONE)
            err = FK_OK;
        for (size_t i = start; i < start + m && err == FK_OK; i++)
            if (items[i].id == 0) {
                items[i].duplicate = 1;
                dups++;
            }
    }
    if (err == FK_OK && dups > 0)
        err = fk_stmt_prepare(db,
                              "SELECT id, venue_id, region, person_id, at, left_at, color, "
                              "allowed, reason FROM checkins WHERE created_by = ? AND "
                              "idempotency_key = ?",
                              &sel);
    for (size_t i = 0; i < n && err == FK_OK && dups > 0; i++) {
        struct item *it = &items[i];
        if (!it->duplicate)
            continue;
        fk_stmt_reset(sel);
        if ((err = fk_stmt_bind_int64(sel, 1, req->actor.user_id)) == FK_OK &&
            (err = fk_stmt_bind_text(sel, 2, it->key)) == FK_OK)
            err = fk_stmt_step(sel);
        if (err == FK_ERR_DONE)
            err = FK_ERR_DB; /* the conflicting row must exist */
        if (err != FK_OK)
            break;
        it->id = fk_stmt_int64(sel, 0);
        it->venue_id = fk_stmt_int64(sel, 1);
        it->person_id = fk_stmt_int64(sel, 3);
        it->at = fk_stmt_int64(sel, 4);
        it->left_at = fk_stmt_is_null(sel, 5) ? 0 : fk_stmt_int64(sel, 5);
        it->color = fk_health_color_from_name(fk_stmt_text(sel, 6));
        if (it->color < 0)
            it->color = FK_HEALTH_GREEN;
        it->allowed = fk_stmt_int64(sel, 7) != 0;
        snprintf(it->reason, sizeof(it->reason), "%s", fk_stmt_text(sel, 8));
    }
    /* A stay inside a declared risk area turns the code (the colour stored
     * above is the one shown at the door, before this visit). */
    if (err == FK_OK && dups < n) {
        struct fk_place_visit *visits = calloc(n, sizeof(*visits));
        size_t m = 0, first = 0;
        for (size_t i = 0; visits != NULL && i < n; i++)
            if (!items[i].duplicate) {
                first = m ? first : i;
                visits[m++] =
                    (struct fk_place_visit){items[i].person_id, items[i].at, items[i].region};
            }
        struct fk_place_visits batch = {visits, m};
        struct fk_event event = {.kind = FK_EVENT_CHECKIN_RECORDED,
                                 .at = m ? visits[0].at : now,
                                 .person_id = m ? visits[0].person_id : 0,
                                 .subject_id = items[first].venue_id,
                                 .actor_id = req->actor.user_id,
                                 .region = m ? visits[0].region : NULL,
                                 .detail = &batch};
        err = visits != NULL ? fk_event_publish(db, &event) : FK_ERR_NOMEM;
        free(visits);
    }
    /* One audit entry per request: the person for a single check-in, the
     * count and venues for a batch. */
    if (err == FK_OK) {
        json_t *venues = json_array();
        for (size_t i = 0; venues && i < n && i < 20; i++)
            json_array_append_new(venues, json_integer(items[i].venue_id));
        json_t *detail =
            json_pack("{s:s,s:I,s:I,s:o}", "source", source, "items", (json_int_t)n, "duplicates",
                      (json_int_t)dups, "venue_ids", venues ? venues : json_null());
        char target[24];
        snprintf(target, sizeof(target), "%lld", (long long)items[0].id);
        err = fk_audit_req(req, n == 1 ? "checkin_create" : "checkin_batch", "checkin",
                           n == 1 ? target : NULL, n == 1 ? items[0].person_id : 0, detail);
        json_decref(detail);
    }
    if (ins != NULL)
        fk_stmt_free(ins);
    if (sel != NULL)
        fk_stmt_free(sel);
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}

static json_t *item_json(const struct item *it)
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
            fk_venues_invalid(req, "items", "items 应为 1–1000 条登记的数组");
            return;
        }
        n = json_array_size(list);
    }
    struct item *items = calloc(n, sizeof(*items));
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
    enum fk_err err = store_items(req, db, items, n, source, now);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    if (!batch) {
        /* The one who scanned a poster sees where they checked in. */
        json_t *body = item_json(&items[0]);
        struct fk_stmt *st = NULL;
        int row = 0;
        if (fk_db_query(db, &st, &row, "SELECT name FROM venues WHERE id = ?", "i",
                        items[0].venue_id) == FK_OK &&
            row)
            json_object_set_new(body, "venue_name", json_string(fk_stmt_text(st, 0)));
        fk_stmt_free(st);
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
    if (fk_parse_int64(fk_req_param(req, "id"), 1, INT64_MAX, &id) != FK_OK) {
        fk_venue_not_found(req);
        return -1;
    }
    enum fk_err err = fk_venue_brief_get(db, id, v);
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, v->region))) {
        fk_venue_not_found(req);
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
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
            return fk_venues_invalid(req, "code", "个人码已过期，请刷新后重新出示");
        if (status != FK_CODE_VALID || info.type != FK_CODE_PERSONAL)
            return fk_venues_invalid(req, "code", "不是有效的个人码");
        *person_id = info.object_id;
        return 0;
    }
    struct fk_resident_id rid;
    const char *reason;
    if (fk_resident_id_parse(id_number, now, &rid, &reason) != FK_OK)
        return fk_venues_invalid(req, "id_number", "身份证号格式或校验位错误");
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
    struct item it;
    memset(&it, 0, sizeof(it));
    if (scanned_person_or_reply(req, db, now, &it.person_id) != 0 ||
        time_member(req, req->json, "", "at", 1, now, &it.at) != 0)
        return;
    const char *key;
    if (fk_json_str_or_reply(req, "idempotency_key", 1, 64, &key) != 0)
        return;
    if (!printable_key(key)) {
        fk_venues_invalid(req, "idempotency_key", "幂等键应为 1–64 个可打印 ASCII 字符");
        return;
    }
    it.key = key;
    it.venue_id = v.id;
    struct venue_cache vc = {.n = 1};
    vc.v[0] = v;
    if (resolve_item(req, db, &vc, NULL, "", 0, 1, &it) != 0)
        return;
    enum fk_err err = store_items(req, db, &it, 1, "scan", now);
    struct fk_stmt *st = NULL;
    int row = 0;
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row, "SELECT name, id_sealed FROM persons WHERE id = ?", "i",
                          it.person_id);
    if (err != FK_OK) {
        fk_stmt_free(st);
        fk_reply_fail(req, err, NULL);
        return;
    }
    char name[FK_NAME_MAX + 1] = "";
    json_t *id_json = json_null();
    if (row) {
        fk_mask_name(fk_stmt_text(st, 0), name, sizeof(name));
        if (!fk_stmt_is_null(st, 1)) {
            json_decref(id_json);
            id_json = fk_pii_json(&req->app->pii_key, "id_number", fk_stmt_text(st, 1), 0);
        }
    }
    fk_stmt_free(st);
    json_t *body = item_json(&it);
    json_object_set_new(body, "venue_name", json_string(v.name));
    json_object_set_new(body, "person",
                        json_pack("{s:I,s:s,s:o}", "id", (json_int_t)it.person_id, "name", name,
                                  "id_number", id_json ? id_json : json_null()));
    fk_reply_json(req, it.duplicate ? 200 : 201, body);
}

/* --- lists --- */

#define LIST_COLUMNS                                                                               \
    "c.id, c.venue_id, COALESCE(v.name, ''), COALESCE(v.category, ''), c.region, c.person_id, "    \
    "COALESCE(p.name, ''), p.id_sealed, c.at, c.left_at, c.color, c.allowed, c.reason, "           \
    "c.source, c.created_at"
#define LIST_FROM                                                                                  \
    " FROM checkins c LEFT JOIN venues v ON v.id = c.venue_id LEFT JOIN persons p ON p.id = "      \
    "c.person_id"

static json_t *row_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role)
{
    int color = fk_health_color_from_name(fk_stmt_text(st, 10));
    if (color < 0)
        color = FK_HEALTH_GREEN;
    const struct fk_venue_category *cat = fk_venue_category_find(fk_stmt_text(st, 3));
    json_t *id_json = fk_stmt_is_null(st, 7) ? json_null()
                                             : fk_pii_json(key, "id_number", fk_stmt_text(st, 7),
                                                           fk_role_sees_full_id(role));
    return json_pack(
        "{s:I,s:{s:I,s:s,s:s,s:s,s:s},s:{s:I,s:s,s:o},s:o,s:o,s:s,s:s,s:b,s:s,s:s,s:o}", "id",
        (json_int_t)fk_stmt_int64(st, 0), "venue", "id", (json_int_t)fk_stmt_int64(st, 1), "name",
        fk_stmt_text(st, 2), "category", fk_stmt_text(st, 3), "category_label",
        cat ? cat->label : "", "region", fk_stmt_text(st, 4), "person", "id",
        (json_int_t)fk_stmt_int64(st, 5), "name", fk_stmt_text(st, 6), "id_number",
        id_json ? id_json : json_null(), "at", fk_time_json(fk_stmt_int64(st, 8), 1), "left_at",
        fk_time_json(fk_stmt_int64(st, 9), !fk_stmt_is_null(st, 9)), "color",
        fk_health_color_name(color), "color_label", fk_health_color_label(color), "allowed",
        fk_stmt_int64(st, 11) != 0, "reason", fk_stmt_text(st, 12), "source", fk_stmt_text(st, 13),
        "created_at", fk_time_json(fk_stmt_int64(st, 14), 1));
}

struct list_query {
    const char *by; /* "c.venue_id" or "c.person_id" */
    int64_t id;
    int64_t from, until; /* 0 = open */
    int allowed;         /* -1 any */
};

static void where_of(const struct list_query *q, char *out, size_t size)
{
    snprintf(out, size, " WHERE %s = ?%s%s%s", q->by, q->from ? " AND c.at >= ?" : "",
             q->until ? " AND c.at < ?" : "", q->allowed >= 0 ? " AND c.allowed = ?" : "");
}

static enum fk_err bind_of(struct fk_stmt *st, const struct list_query *q, int *idx)
{
    enum fk_err err = fk_stmt_bind_int64(st, (*idx)++, q->id);
    if (err == FK_OK && q->from)
        err = fk_stmt_bind_int64(st, (*idx)++, q->from);
    if (err == FK_OK && q->until)
        err = fk_stmt_bind_int64(st, (*idx)++, q->until);
    if (err == FK_OK && q->allowed >= 0)
        err = fk_stmt_bind_int64(st, (*idx)++, q->allowed);
    return err;
}

/* ?from=&until=&allowed= into q; -1 after replying 422. */
static int window_or_reply(struct fk_req *req, struct list_query *q)
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
        return fk_venues_invalid(req, "until", "结束时间应晚于开始时间");
    const char *allowed = fk_req_query(req, "allowed");
    if (allowed != NULL && allowed[0] != '\0') {
        if (strcmp(allowed, "1") == 0 || strcmp(allowed, "true") == 0)
            q->allowed = 1;
        else if (strcmp(allowed, "0") == 0 || strcmp(allowed, "false") == 0)
            q->allowed = 0;
        else
            return fk_venues_invalid(req, "allowed", "应为 0 或 1");
    }
    return 0;
}

/* fk_list_run callbacks of the check-in lists. */
static enum fk_err bind_list_query(struct fk_stmt *st, const void *ctx, int *idx)
{
    return bind_of(st, ctx, idx);
}

struct row_view {
    const struct fk_pii_key *key;
    unsigned role;
};

static json_t *list_row(struct fk_stmt *st, void *ctx)
{
    const struct row_view *v = ctx;
    return row_json(st, v->key, v->role);
}

static void reply_list(struct fk_req *req, struct fk_conn *db, const struct list_query *q,
                       const char *action, int64_t person_id)
{
    int64_t page, per_page;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    char where[256], count_sql[512], list_sql[1536];
    where_of(q, where, sizeof(where));
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM checkins c%s", where);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " LIST_COLUMNS LIST_FROM "%s ORDER BY c.at DESC, c.id DESC LIMIT ? OFFSET ?",
             where);
    struct row_view view = {&req->app->pii_key, req->actor.role};
    struct fk_list_query lq = {count_sql, list_sql, bind_list_query, q, list_row, &view};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_list_run(db, &lq, page, per_page, items, &total);
    fk_venues_audit(req, &err, action, q->by[2] == 'v' ? "venue" : "person", q->id, person_id,
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
    struct list_query q = {.by = "c.venue_id", .id = v.id};
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
    struct fk_stmt *st = NULL;
    int row = 0, ok = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT region FROM persons WHERE id = ? AND merged_into IS NULL", "i", id);
    if (err == FK_OK && row)
        ok = req->actor.role != FK_ROLE_RESIDENT && fk_req_covers(req, fk_stmt_text(st, 0));
    fk_stmt_free(st);
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
    struct list_query q = {.by = "c.person_id", .id = id};
    if (window_or_reply(req, &q) != 0)
        return;
    reply_list(req, db, &q, "person_checkin_list", id);
}

#define EXPORT_BATCH 1000

void fk_venue_checkins_export(struct fk_req *req)
{
    int xlsx;
    struct fk_conn *db = fk_req_db(req);
    struct fk_venue_brief v;
    if (db == NULL || fk_ledger_format_or_reply(req, &xlsx) != 0 ||
        venue_or_reply(req, db, &v) != 0)
        return;
    struct list_query q = {.by = "c.venue_id", .id = v.id};
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
    char where[256], sql[1536];
    where_of(&q, where, sizeof(where));
    snprintf(sql, sizeof(sql),
             "SELECT " LIST_COLUMNS LIST_FROM "%s AND c.id > ? ORDER BY c.id LIMIT %d", where,
             EXPORT_BATCH);
    int64_t last = 0, count = 0;
    enum fk_err err = FK_OK;
    for (;;) {
        struct fk_stmt *st;
        int64_t batch_rows = 0;
        int idx = 1;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        err = bind_of(st, &q, &idx);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, idx++, last);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            json_t *c = row_json(st, &req->app->pii_key, req->actor.role);
            if (c == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            batch_rows++;
            last = fk_stmt_int64(st, 0);
            char seq[24], at[20] = "", left[20] = "";
            snprintf(seq, sizeof(seq), "%lld", (long long)++count);
            const char *t = json_string_value(json_object_get(c, "at"));
            const char *l = json_string_value(json_object_get(c, "left_at"));
            if (t && strlen(t) >= 16)
                snprintf(at, sizeof(at), "%.10s %.5s", t, t + 11);
            if (l && strlen(l) >= 16)
                snprintf(left, sizeof(left), "%.10s %.5s", l, l + 11);
            json_t *person = json_object_get(c, "person");
            const char *idn = json_string_value(json_object_get(person, "id_number"));
            const char *cells[N] = {seq,
                                    v.name,
                                    json_string_value(json_object_get(person, "name")),
                                    idn ? idn : "",
                                    at,
                                    left,
                                    json_string_value(json_object_get(c, "color_label")),
                                    json_is_true(json_object_get(c, "allowed")) ? "是" : "否",
                                    json_string_value(json_object_get(c, "reason"))};
            fk_ledger_row(&lg, cells, N);
            json_decref(c);
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
        if (err != FK_OK || batch_rows < EXPORT_BATCH)
            break;
    }
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
