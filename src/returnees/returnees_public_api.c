/* The public self-registration (返乡人员自助报备): no login, no CSRF (there is
 * no session to forge), rate-limited per client address and per ID number
 * with counters in the store so that several app servers share them. The
 * answer never carries anyone's data but the new registration's id and
 * reference. Also the region tree the page picks the destination from: names
 * and codes only, never counts of people. */
#include "core/clock.h"
#include "core/log.h"
#include "http/movement_ratelimit.h"
#include "returnees/returnees_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The public form's counters: returnee_rate_limits. */
static const struct fk_rate_limit returnee_limit = {"ratelimit_", fk_returnee_rate_hit,
                                                    FK_E_RETURNEE_RATE_LIMITED};

void fk_returnees_public_create(struct fk_req *req)
{
    snprintf(req->actor.username, sizeof(req->actor.username), "public");
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    if (fk_rate_limited(req, db, &returnee_limit, "ip", req->ip, FK_RETURNEE_LIMIT_IP_WINDOW,
                        FK_RETURNEE_LIMIT_IP, "本网络提交次数过多", NULL) != 0)
        return;
    const char *id_text;
    if (fk_json_str_or_reply(req, "id_number", 1, 32, &id_text) != 0)
        return;
    struct fk_resident_id id;
    const char *reason = NULL;
    if (fk_resident_id_parse(id_text, fk_now(), &id, &reason) != FK_OK) {
        fk_reply_errf(req, FK_E_INVALID_FIELD_MSG, "id_number", fk_resident_id_message(reason));
        return;
    }
    if (fk_rate_limited(req, db, &returnee_limit, "id_number", id.number,
                        FK_RETURNEE_LIMIT_ID_WINDOW, FK_RETURNEE_LIMIT_ID,
                        "该身份证号今天提交次数过多", "id_number") != 0)
        return;
    struct fk_returnee_new *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        fk_reply_fail(req, FK_ERR_NOMEM, NULL);
        return;
    }
    if (fk_returnee_body_or_reply(req, db, 1, r) != 0)
        goto done;
    /* Linked to the registry when the person is known there; an unknown
     * person is not added to the registry from an anonymous form (staff
     * confirm them with PATCH {"register": true}). */
    int64_t existing = 0, person = 0;
    enum fk_err err =
        fk_returnee_duplicate_or_person(db, &req->app->pii_key, r, &existing, &person);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        goto done;
    }
    if (existing != 0) {
        fk_reply_err(req, FK_E_RETURNEE_SELF_DUPLICATE, "arrival_date");
        goto done;
    }
    r->person_id = person;
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t new_id = 0;
    char reference[FK_RETURNEE_REFERENCE_LEN] = "";
    err = fk_returnee_register(db, &who, r, fk_now(), &new_id, reference);
    if (err != FK_OK) {
        if (err == FK_ERR_CONFLICT)
            fk_reply_err(req, FK_E_RETURNEE_SELF_CONFLICT, "arrival_date");
        else
            fk_reply_fail(req, err, NULL);
        goto done;
    }
    char message[256];
    snprintf(message, sizeof(message),
             "报备成功，登记编号 %s。请保存此编号；到达后请配合社区查验三码、做好落地检。",
             reference);
    fk_reply_json(req, 201,
                  json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)new_id, "reference", reference,
                            "arrival_date", r->arrival_date, "message", message));
done:
    free(r);
}

void fk_returnees_public_regions(struct fk_req *req)
{
    const char *text = fk_req_param(req, "code");
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *children = json_array();
    json_t *body = NULL;
    enum fk_err err = FK_OK;
    if (text[0] == '\0') {
        err = fk_returnee_region_children(db, NULL, children);
        body = json_pack("{s:n,s:o}", "code", "children", children);
    } else {
        char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
        const char *reason;
        struct fk_region region;
        if (strlen(text) > 18 || fk_region_normalize(text, code, prefix, &reason) != FK_OK ||
            (err = fk_region_get(db, code, &region)) == FK_ERR_NOT_FOUND) {
            json_decref(children);
            fk_reply_err(req, FK_E_PUBLIC_REGION_NOT_FOUND, "code");
            return;
        }
        if (err == FK_OK)
            err = fk_returnee_region_children(db, region.code, children);
        body = json_pack("{s:s,s:s,s:i,s:s,s:o}", "code", region.code, "name", region.name, "level",
                         region.level, "parent", region.parent, "children", children);
    }
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}
