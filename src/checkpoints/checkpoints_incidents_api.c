/* Incidents at a checkpoint (闯卡, refusing checks, assault on staff): the
 * plate and/or the person (ID number and phone sealed with a blind index,
 * masked by role in answers), when, where, what happened and the referral
 * to the police. Every read and change is audited: they hold personal data. */
#include "checkpoints/checkpoints_internal.h"
#include "core/clock.h"
#include "id/id.h"
#include "residents/residents.h"

#include <stdio.h>
#include <string.h>

/* A reported time may run ahead of the server's clock by this much. */
#define CLOCK_SKEW 600

void fk_cp_incident_create(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    static const char *const fields[] = {"kind",           "occurred_at", "plate",
                                         "person",         "description", "police_referral",
                                         "police_station", "note",        NULL};
    if (fk_cp_only_fields_or_reply(req, fields) != 0)
        return;
    const char *kind, *plate, *description, *station, *note, *reason;
    const char *id_text = NULL, *name = NULL, *phone = NULL;
    int64_t occurred, now = fk_now();
    int present, referral = 0;
    if (fk_json_str_or_reply(req, "kind", 1, 20, &kind) != 0)
        return;
    if (!fk_checkpoint_incident_kind_known(kind)) {
        fk_reply_invalid(req, "kind",
                         "事件类型应为 ran_checkpoint（闯卡）、refused_check（拒不配合检查）、"
                         "assault（殴打工作人员）、other（其他）之一");
        return;
    }
    if (fk_cp_time_or_reply(req, "occurred_at", &occurred) != 0)
        return;
    if (occurred > now + CLOCK_SKEW) {
        fk_reply_invalid(req, "occurred_at", "发生时间不能晚于现在");
        return;
    }
    if (fk_json_str_or_reply(req, "plate", 0, 16, &plate) != 0)
        return;
    if (plate != NULL && fk_plate_check(plate, &reason) != FK_OK) {
        fk_reply_invalid(req, "plate", "车牌号格式错误，例如 晋J12345（字母大写）");
        return;
    }
    json_t *person = json_object_get(req->json, "person");
    struct fk_resident_id rid;
    memset(&rid, 0, sizeof(rid));
    if (person != NULL && !json_is_null(person)) {
        if (!json_is_object(person)) {
            fk_reply_invalid(req, "person", "当事人应为 {id_number,name,phone}");
            return;
        }
        const char *key;
        json_t *value;
        json_object_foreach(person, key, value)
        {
            if (strcmp(key, "id_number") != 0 && strcmp(key, "name") != 0 &&
                strcmp(key, "phone") != 0) {
                fk_reply_invalid(req, "person", "当事人只能填写 id_number、name、phone");
                return;
            }
        }
        if (fk_member_str_or_reply(req, person, "id_number", "person.id_number", 0, 32, &id_text) !=
                0 ||
            fk_member_str_or_reply(req, person, "name", "person.name", 0, FK_NAME_MAX, &name) !=
                0 ||
            fk_member_str_or_reply(req, person, "phone", "person.phone", 0, 16, &phone) != 0)
            return;
        if (id_text != NULL && fk_resident_id_parse(id_text, now, &rid, &reason) != FK_OK) {
            fk_reply_invalid(req, "person.id_number", "身份证号无效（校验位、出生日期或长度不对）");
            return;
        }
        if (phone != NULL && fk_phone_check(phone, &reason) != FK_OK) {
            fk_reply_invalid(req, "person.phone", "手机号应为 11 位数字，以 13–19 开头");
            return;
        }
        if (id_text == NULL && name == NULL && phone == NULL) {
            fk_reply_invalid(req, "person", "当事人至少填写一项，或不提交 person");
            return;
        }
    }
    if (fk_cp_text_or_reply(req, "description", 1, FK_CHECKPOINT_NOTE_MAX, &description) != 0)
        return;
    json_t *ref = json_object_get(req->json, "police_referral");
    if (ref == NULL || json_is_null(ref)) {
        fk_reply_missing(req, "police_referral");
        return;
    }
    if (fk_json_bool_or_reply(req, "police_referral", &present, &referral) != 0 ||
        fk_cp_text_or_reply(req, "police_station", 0, FK_CHECKPOINT_NAME_MAX, &station) != 0 ||
        fk_cp_text_or_reply(req, "note", 0, FK_CHECKPOINT_NOTE_MAX, &note) != 0)
        return;
    if (station != NULL && !referral) {
        fk_reply_invalid(req, "police_station", "未移交公安时不填写派出所");
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    struct fk_cp_incident_input in = {
        .checkpoint_id = cp.id,
        .occurred_at = occurred,
        .region = cp.region,
        .kind = kind,
        .plate = plate,
        .person_name = name,
        .id_number = id_text != NULL ? rid.number : NULL,
        .phone = phone,
        .description = description,
        .police_referral = referral,
        .police_station = station,
        .note = note,
    };
    int64_t id = 0;
    enum fk_err err = fk_cp_incident_insert(db, &who, &in, now, &id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_cp_reply_record(req, db, FK_CP_INCIDENT, id, 201, FK_E_NOT_FOUND);
}

void fk_cp_incident_list(struct fk_req *req)
{
    fk_cp_reply_list(req, FK_CP_INCIDENT, 1);
}

void fk_cp_incident_list_all(struct fk_req *req)
{
    fk_cp_reply_list(req, FK_CP_INCIDENT, 0);
}

/* Incident {id} of the path as the caller sees it: *out new, `who` filled.
 * -1 after replying 404 incident_not_found or the failure. */
static int incident_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_caller *who,
                             int64_t *id, json_t **out)
{
    if (fk_path_id_or_reply(req, "id", FK_E_INCIDENT_NOT_FOUND, "id", id) != 0)
        return -1;
    fk_caller_of(req, who);
    enum fk_err err = fk_cp_load(db, who, FK_CP_INCIDENT, *id, out);
    if (err == FK_ERR_NOT_FOUND)
        fk_reply_err(req, FK_E_INCIDENT_NOT_FOUND, "id");
    else if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    return err == FK_OK ? 0 : -1;
}

void fk_cp_incident_get(struct fk_req *req)
{
    int64_t id;
    struct fk_caller who;
    json_t *body = NULL;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || incident_or_reply(req, db, &who, &id, &body) != 0)
        return;
    enum fk_err err = FK_OK;
    fk_req_audit(req, &err, "incident_read", "checkpoint_incident", id, 0, NULL);
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}

void fk_cp_incident_patch(struct fk_req *req)
{
    int64_t id;
    struct fk_caller who;
    json_t *current = NULL;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL || incident_or_reply(req, db, &who, &id, &current) != 0)
        return;
    struct fk_cp_referral r;
    memset(&r, 0, sizeof(r));
    r.police_referral = json_is_true(json_object_get(current, "police_referral"));
    json_t *v;
    r.has_station = json_is_string(v = json_object_get(current, "police_station"));
    snprintf(r.station, sizeof(r.station), "%s", r.has_station ? json_string_value(v) : "");
    r.has_outcome = json_is_string(v = json_object_get(current, "referral_outcome"));
    snprintf(r.outcome, sizeof(r.outcome), "%s", r.has_outcome ? json_string_value(v) : "");
    r.has_note = json_is_string(v = json_object_get(current, "note"));
    snprintf(r.note, sizeof(r.note), "%s", r.has_note ? json_string_value(v) : "");
    json_decref(current);

    static const char *const fields[] = {"police_referral", "police_station", "referral_outcome",
                                         "note", NULL};
    if (fk_cp_only_fields_or_reply(req, fields) != 0)
        return;
    if (json_object_size(req->json) == 0) {
        fk_reply_invalid(req, "body", "没有要修改的字段");
        return;
    }
    int present;
    const char *text;
    if (fk_json_bool_or_reply(req, "police_referral", &present, &r.police_referral) != 0)
        return;
    struct {
        const char *name;
        size_t max;
        int *has;
        char *out;
        size_t size;
    } texts[] = {
        {"police_station", FK_CHECKPOINT_NAME_MAX, &r.has_station, r.station, sizeof(r.station)},
        {"referral_outcome", FK_CHECKPOINT_NOTE_MAX, &r.has_outcome, r.outcome, sizeof(r.outcome)},
        {"note", FK_CHECKPOINT_NOTE_MAX, &r.has_note, r.note, sizeof(r.note)}};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (json_object_get(req->json, texts[i].name) == NULL)
            continue;
        if (fk_cp_text_or_reply(req, texts[i].name, 0, texts[i].max, &text) != 0)
            return;
        *texts[i].has = text != NULL;
        snprintf(texts[i].out, texts[i].size, "%s", text ? text : "");
    }
    if (!r.police_referral && (r.has_station || r.has_outcome)) {
        fk_reply_invalid(req, r.has_station ? "police_station" : "referral_outcome",
                         "未移交公安时不填写派出所和处理结果");
        return;
    }
    json_t *changed = fk_cp_changed_fields(req);
    enum fk_err err = fk_cp_incident_update(db, &who, id, &r, changed, fk_now());
    json_decref(changed);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_cp_reply_record(req, db, FK_CP_INCIDENT, id, 200, FK_E_NOT_FOUND);
}

static void incident_row(json_t *r, int64_t seq, void *ctx)
{
    char n[24], occurred[17];
    snprintf(n, sizeof(n), "%lld", (long long)seq);
    fk_cp_ledger_time(fk_cp_text_of(r, "occurred_at"), occurred);
    json_t *cp = json_object_get(r, "checkpoint"), *person = json_object_get(r, "person");
    const char *cells[] = {n,
                           fk_cp_text_of(cp, "name"),
                           fk_cp_text_of(cp, "region"),
                           fk_cp_text_of(r, "kind_label"),
                           occurred,
                           fk_cp_text_of(r, "plate"),
                           fk_cp_text_of(person, "name"),
                           fk_cp_text_of(person, "id_number"),
                           fk_cp_text_of(person, "phone"),
                           fk_cp_text_of(r, "description"),
                           json_is_true(json_object_get(r, "police_referral")) ? "是" : "否",
                           fk_cp_text_of(r, "police_station"),
                           fk_cp_text_of(r, "referral_outcome"),
                           fk_cp_text_of(r, "recorded_by"),
                           fk_cp_text_of(r, "note")};
    fk_ledger_row(ctx, cells, (int)(sizeof(cells) / sizeof(cells[0])));
}

void fk_cp_incident_export(struct fk_req *req)
{
    static const char *const headers[] = {"序号",     "卡口",   "区划代码", "事件类型", "发生时间",
                                          "车牌号",   "当事人", "身份证号", "手机号",   "事件经过",
                                          "移交公安", "派出所", "处理结果", "登记人",   "备注"};
    static const double widths[] = {8, 24, 16, 14, 18, 12, 10, 20, 14, 40, 8, 20, 30, 12, 30};
    static const struct fk_cp_ledger ledger = {
        "卡口事件台账",        headers,    widths, 15, incident_row, "incident_export",
        "checkpoint_incident", "incidents"};
    fk_cp_export(req, FK_CP_INCIDENT, &ledger);
}
