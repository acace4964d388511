/* HTTP handlers for gate scans (门岗扫码): a scan of a four-colour card at a
 * compound or community gate, the gate's log, and refused exits as the task
 * list of the compound's grid worker. A gate's region decides who scans there
 * and who reads its log; a refused exit is also seen by whoever covers the
 * card's region. Every scan is stored, allowed or not, once per
 * (scanner, idempotency key). */
#include "audit/audit.h"
#include "cards/cards_internal.h"
#include "http/lookup.h"
#include "checkpoints/checkpoints.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/parse.h"
#include "id/id.h"
#include "quarantine/quarantine.h"

#include <stdio.h>
#include <string.h>

/* Scanners' clocks may run a little ahead; offline scanners sync late. */
#define SCAN_AHEAD 300
#define SCAN_BEHIND (7 * 86400)

/* The {checkpoint_id} gate inside the caller's jurisdiction. -1 after
 * replying 404 (or 500). */
static int gate_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *cp)
{
    int64_t id;
    if (fk_path_id_or_reply(req, "checkpoint_id", FK_E_GATE_NOT_FOUND, "checkpoint_id", &id) != 0)
        return -1;
    enum fk_err err = fk_checkpoint_get(db, id, cp);
    return fk_found_or_reply(req, err, cp->region, FK_E_GATE_NOT_FOUND, "checkpoint_id");
}

static void refuse(struct fk_gate_scan *f, const char *code, const char *reason)
{
    f->v.allowed = 0;
    f->v.code = code;
    snprintf(f->v.reason, sizeof(f->v.reason), "%s", reason);
}

/* Decides the scan. FK_OK with f->v filled, FK_ERR_BUSY when the codes
 * cannot be checked now. */
static enum fk_err decide(struct fk_req *req, struct fk_conn *db, const struct fk_checkpoint *cp,
                          const char *code, int out, int64_t scanned_at, struct fk_gate_scan *f)
{
    struct fk_code_info info;
    enum fk_code_status status = fk_code_verify(db, code, &info);
    switch (status) {
    case FK_CODE_VALID: break;
    /* Genuine but past its expiry now: whether it had expired when it was
     * scanned (an offline scanner syncs late) is decided below. */
    case FK_CODE_EXPIRED: break;
    case FK_CODE_MALFORMED: refuse(f, "unreadable", "无法识别的二维码"); return FK_OK;
    case FK_CODE_BAD_SIGNATURE: refuse(f, "forged", "伪造的通行证（签名无效）"); return FK_OK;
    case FK_CODE_UNKNOWN_KEY: refuse(f, "unknown_key", "非本区签发的通行证"); return FK_OK;
    case FK_CODE_REVOKED: refuse(f, "revoked", "通行证已作废"); return FK_OK;
    case FK_CODE_UNAVAILABLE:
    default: return FK_ERR_BUSY;
    }
    if (info.type != FK_CODE_CARD) {
        refuse(f, "not_card", "不是四色通行证");
        return FK_OK;
    }
    struct fk_gate_card card;
    enum fk_err err = fk_gate_card_get(db, info.object_id, &card);
    if (err == FK_ERR_NOT_FOUND) {
        refuse(f, "unknown_card", "通行证不存在");
        return FK_OK;
    }
    if (err != FK_OK)
        return err;
    f->card_id = info.object_id;
    f->person_id = card.person_id;
    f->household_id = card.household_id;
    snprintf(f->card_region, sizeof(f->card_region), "%s", card.region);
    f->color = card.color;
    int64_t expires_at = card.expires_at;
    if (card.revoked) {
        refuse(f, "revoked", "通行证已作废");
        return FK_OK;
    }
    if (expires_at <= scanned_at || info.expires_at <= scanned_at) {
        refuse(f, "expired", "通行证已过期");
        return FK_OK;
    }
    char prefix[19];
    int depth;
    const char *why;
    if (fk_region_code_prefix(cp->region, prefix, &depth, &why) != FK_OK ||
        strncmp(f->card_region, prefix, strlen(prefix)) != 0) {
        refuse(f, "other_compound", "非本小区（社区）通行证");
        return FK_OK;
    }
    /* The card follows its holder's status even before anyone reissues it. */
    int quarantined = 0;
    if ((err = fk_homeq_person_active(db, f->person_id, &quarantined)) != FK_OK)
        return err;
    if (quarantined)
        f->color = FK_CARD_YELLOW;
    /* A green exit depends on the other exits of the household: decided
     * inside the write that stores it (green_exit_rule). */
    f->green_exit = f->color == FK_CARD_GREEN && out;
    fk_card_gate_rule(f->color, out, scanned_at, 0, 0, req->app->cfg.green_exit_hours * 3600,
                      &f->v);
    return FK_OK;
}

void fk_gate_scan_create(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || gate_or_reply(req, db, &cp) != 0)
        return;
    if (!fk_checkpoint_type_is_gate(cp.type)) {
        fk_reply_invalid(req, "checkpoint_id", "该卡口不是社区卡口或小区门岗，不能扫四色通行证");
        return;
    }
    const char *code, *direction, *key;
    if (fk_json_str_or_reply(req, "code", 1, FK_CODE_MAX_INPUT, &code) != 0 ||
        fk_json_str_or_reply(req, "direction", 1, 8, &direction) != 0)
        return;
    if (strcmp(direction, "out") != 0 && strcmp(direction, "in") != 0) {
        fk_reply_invalid(req, "direction", "方向应为 out（出）或 in（进）");
        return;
    }
    int out = strcmp(direction, "out") == 0;
    int64_t now = fk_now(), scanned_at;
    if (fk_json_scanned_at_or_reply(req, now, SCAN_AHEAD, SCAN_BEHIND, &scanned_at) != 0)
        return;
    if (fk_json_str_or_reply(req, "idempotency_key", 1, 64, &key) != 0)
        return;
    if (fk_idempotency_key_or_reply(req, key) != 0)
        return;
    int has_offline, offline;
    if (fk_json_bool_or_reply(req, "offline", &has_offline, &offline) != 0)
        return;
    struct fk_gate_scan f = {.checkpoint_id = cp.id,
                             .checkpoint_region = cp.region,
                             .green_window = req->app->cfg.green_exit_hours * 3600,
                             .direction = direction,
                             .scanned_at = scanned_at,
                             .key = key,
                             .now = now,
                             .offline = has_offline && offline};
    enum fk_err err = decide(req, db, &cp, code, out, scanned_at, &f);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    /* The scan (with a green exit's verdict) and its audit entry in one
     * transaction, shared with other concurrent scans (group commit). ON
     * CONFLICT DO NOTHING never fails the transaction, so concurrent
     * duplicates store one scan: the later ones find id 0 and replay it. */
    struct fk_caller who;
    fk_caller_of(req, &who);
    int64_t id = 0;
    err = fk_gate_scan_store(db, &f, &who, &id);
    json_t *body = NULL;
    if (err == FK_OK && id != 0)
        err = fk_gate_scan_load(db, &req->app->pii_key, req->actor.role, id, &body);
    else if (err == FK_OK) {
        err = fk_gate_scan_load_key(db, &req->app->pii_key, req->actor.role, req->actor.user_id,
                                    key, &body);
        fk_req_audit(req, &err, "gate_scan_replay", "gate_scan",
                     json_integer_value(json_object_get(body, "scan_id")), f.person_id,
                     json_pack("{s:I,s:s,s:O?,s:O?}", "checkpoint_id", (json_int_t)cp.id,
                               "direction", direction, "allowed", json_object_get(body, "allowed"),
                               "reason_code", json_object_get(body, "reason_code")));
    }
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, id != 0 ? 201 : 200, body);
}

static void reply_scans(struct fk_req *req, struct fk_conn *db, const struct fk_gate_scan_filter *q,
                        int64_t page, int64_t per_page, const char *action)
{
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_gate_scans_page(db, q, &req->app->pii_key, req->actor.role, page, per_page,
                                         items, &total);
    fk_req_audit(req, &err, action, "gate_scan", 0, 0,
                 json_pack("{s:I,s:I,s:I}", "checkpoint_id", (json_int_t)q->checkpoint_id, "total",
                           (json_int_t)total, "returned", (json_int_t)json_array_size(items)));
    fk_reply_list(req, err, items, total, page, per_page);
}

/* ?name=0|1 → 0/1, -1 when absent. -2 after replying 422. */
static int flag_or_reply(struct fk_req *req, const char *name, int *out)
{
    const char *text = fk_req_query(req, name);
    *out = -1;
    if (text == NULL || text[0] == '\0')
        return 0;
    if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
        *out = 1;
    else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
        *out = 0;
    else
        return fk_reply_invalid(req, name, "应为 0 或 1");
    return 0;
}

void fk_gate_scan_list(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || gate_or_reply(req, db, &cp) != 0)
        return;
    struct fk_gate_scan_filter q = {.checkpoint_id = cp.id, .handled = -1};
    int has_from, has_until;
    int64_t page, per_page;
    if (fk_query_time_or_reply(req, "from", &has_from, &q.from) != 0 ||
        fk_query_time_or_reply(req, "until", &has_until, &q.until) != 0 ||
        flag_or_reply(req, "allowed", &q.allowed) != 0 ||
        flag_or_reply(req, "review", &q.review) != 0 ||
        fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    if (!has_from)
        q.from = 0;
    if (!has_until)
        q.until = 0;
    reply_scans(req, db, &q, page, per_page, "gate_scan_list");
}

void fk_gate_refusal_list(struct fk_req *req)
{
    char scope[19];
    int mine, handled, review;
    int64_t page, per_page;
    if (fk_scope_or_reply(req, scope) != 0 || flag_or_reply(req, "mine", &mine) != 0 ||
        flag_or_reply(req, "handled", &handled) != 0 ||
        flag_or_reply(req, "review", &review) != 0 || fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_gate_scan_filter q = {.refusals = 1,
                                    .mine = mine == 1,
                                    .scope = scope,
                                    .allowed = -1,
                                    .handled = handled,
                                    .review = review};
    reply_scans(req, db, &q, page, per_page, "gate_refusal_list");
}

void fk_gate_refusal_patch(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    if (db == NULL || fk_path_id_or_reply(req, "scan_id", FK_E_SCAN_NOT_FOUND, "scan_id", &id) != 0)
        return;
    int present, handled;
    const char *note;
    if (fk_json_bool_or_reply(req, "handled", &present, &handled) != 0 ||
        fk_json_str_or_reply(req, "note", 0, FK_CARD_NOTE_MAX, &note) != 0)
        return;
    if (!present) {
        fk_reply_err(req, FK_E_MISSING_FIELD, "handled");
        return;
    }
    if (note != NULL && !fk_text_plain(note)) {
        fk_reply_invalid(req, "note", "备注含有控制字符");
        return;
    }
    struct fk_gate_refusal r;
    enum fk_err err = fk_gate_refusal_get(db, id, &r);
    if (err != FK_OK && err != FK_ERR_NOT_FOUND) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int covered = err == FK_OK && (fk_req_covers(req, r.region) ||
                                   (r.card_region[0] && fk_req_covers(req, r.card_region)));
    if (!covered) {
        fk_reply_err(req, FK_E_SCAN_NOT_FOUND, "scan_id");
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    json_t *detail = json_pack("{s:b}", "handled", handled);
    err = detail
              ? fk_gate_refusal_handle(db, id, r.person_id, handled, note, fk_now(), &who, detail)
              : FK_ERR_NOMEM;
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    err = fk_gate_scan_load(db, &req->app->pii_key, req->actor.role, id, &body);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}
