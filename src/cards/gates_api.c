/* HTTP handlers for gate scans (门岗扫码): a scan of a four-colour card at a
 * compound or community gate, the gate's log, and refused exits as the task
 * list of the compound's grid worker. A gate's region decides who scans there
 * and who reads its log; a refused exit is also seen by whoever covers the
 * card's region. Every scan is stored, allowed or not, once per
 * (scanner, idempotency key). */
#include "audit/audit.h"
#include "cards/cards_internal.h"
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

static void checkpoint_not_found(struct fk_req *req)
{
    fk_reply_err(req, FK_E_GATE_NOT_FOUND, "checkpoint_id");
}

/* The {checkpoint_id} gate inside the caller's jurisdiction. -1 after
 * replying 404 (or 500). */
static int gate_or_reply(struct fk_req *req, struct fk_conn *db, struct fk_checkpoint *cp)
{
    int64_t id;
    if (fk_parse_int64(fk_req_param(req, "checkpoint_id"), 1, INT64_MAX, &id) != FK_OK) {
        checkpoint_not_found(req);
        return -1;
    }
    enum fk_err err = fk_checkpoint_get(db, id, cp);
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, cp->region))) {
        checkpoint_not_found(req);
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

#define SCAN_COLUMNS                                                                               \
    "s.id, s.checkpoint_id, COALESCE(k.name, ''), s.card_id, s.person_id, "                        \
    "COALESCE(p.name, ''), p.id_sealed, s.card_region, COALESCE(g.name, ''), s.color, "            \
    "s.direction, s.scanned_at, s.allowed, s.reason_code, s.reason, s.scanned_by, "                \
    "COALESCE(u.display_name, ''), s.handled, s.handled_at, s.note, s.created_at, s.offline, "     \
    "s.review"
#define SCAN_FROM                                                                                  \
    " FROM gate_scans s LEFT JOIN checkpoints k ON k.id = s.checkpoint_id LEFT JOIN persons p "    \
    "ON p.id = s.person_id LEFT JOIN regions g ON g.code = s.card_region LEFT JOIN users u ON "    \
    "u.id = s.scanned_by"

static json_t *scan_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role)
{
    enum fk_card_color color =
        fk_stmt_is_null(st, 9) ? 0 : fk_card_color_from_name(fk_stmt_text(st, 9));
    json_t *person = json_null();
    if (!fk_stmt_is_null(st, 4))
        person =
            json_pack("{s:I,s:s,s:o}", "id", (json_int_t)fk_stmt_int64(st, 4), "name",
                      fk_stmt_text(st, 5), "id_number",
                      fk_stmt_is_null(st, 6) ? json_null()
                                             : fk_pii_json(key, "id_number", fk_stmt_text(st, 6),
                                                           fk_role_sees_full_id(role)));
    return json_pack(
        "{s:I,s:I,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:s,s:o,s:b,s:s,s:s,s:{s:I,s:s},s:b,s:o,s:o,s:o,s:b,"
        "s:b}",
        "scan_id", (json_int_t)fk_stmt_int64(st, 0), "checkpoint_id",
        (json_int_t)fk_stmt_int64(st, 1), "checkpoint_name", fk_stmt_text(st, 2), "card_id",
        fk_stmt_is_null(st, 3) ? json_null() : json_integer(fk_stmt_int64(st, 3)), "person",
        person ? person : json_null(), "card_region",
        fk_stmt_is_null(st, 7) ? json_null() : json_string(fk_stmt_text(st, 7)), "card_region_name",
        fk_stmt_text(st, 8), "color", color ? json_string(fk_card_color_name(color)) : json_null(),
        "color_label", color ? json_string(fk_card_color_label(color)) : json_null(), "direction",
        fk_stmt_text(st, 10), "scanned_at", fk_time_json(fk_stmt_int64(st, 11), 1), "allowed",
        fk_stmt_int64(st, 12) != 0, "reason_code", fk_stmt_text(st, 13), "reason",
        fk_stmt_text(st, 14), "scanned_by", "id", (json_int_t)fk_stmt_int64(st, 15), "name",
        fk_stmt_text(st, 16), "handled", fk_stmt_int64(st, 17) != 0, "handled_at",
        fk_time_json(fk_stmt_int64(st, 18), !fk_stmt_is_null(st, 18)), "note",
        fk_stmt_is_null(st, 19) ? json_null() : json_string(fk_stmt_text(st, 19)), "created_at",
        fk_time_json(fk_stmt_int64(st, 20), 1), "offline", fk_stmt_int64(st, 21) != 0, "review",
        fk_stmt_int64(st, 22) != 0);
}

/* Loads the scan found by `where` (a clause on s.* with the given bind
 * types); FK_ERR_NOT_FOUND when there is none. */
static enum fk_err scan_load(struct fk_req *req, struct fk_conn *db, const char *where,
                             const char *types, int64_t a, const char *b, json_t **out)
{
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT " SCAN_COLUMNS SCAN_FROM " WHERE %s", where);
    struct fk_stmt *st = NULL;
    int row = 0;
    *out = NULL;
    enum fk_err err = b ? fk_db_query(db, &st, &row, sql, types, a, b)
                        : fk_db_query(db, &st, &row, sql, types, a);
    if (err != FK_OK)
        return err;
    if (!row)
        err = FK_ERR_NOT_FOUND;
    else if ((*out = scan_json(st, &req->app->pii_key, req->actor.role)) == NULL)
        err = FK_ERR_NOMEM;
    fk_stmt_free(st);
    return err;
}

/* What the scan found out about the card. */
struct scan_facts {
    int64_t card_id, person_id, household_id;
    int green_exit; /* a green card going out: decided in the write (green_exit_rule) */
    char card_region[FK_REGION_CODE_LEN];
    enum fk_card_color color; /* effective */
    struct fk_gate_verdict v;
};

static void refuse(struct scan_facts *f, const char *code, const char *reason)
{
    f->v.allowed = 0;
    f->v.code = code;
    snprintf(f->v.reason, sizeof(f->v.reason), "%s", reason);
}

/* Decides the scan. FK_OK with f->v filled, FK_ERR_BUSY when the codes
 * cannot be checked now. */
static enum fk_err decide(struct fk_req *req, struct fk_conn *db, const struct fk_checkpoint *cp,
                          const char *code, int out, int64_t scanned_at, struct scan_facts *f)
{
    memset(f, 0, sizeof(*f));
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
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT person_id, region, color, state, expires_at, household_id FROM cards WHERE id = ?",
        "i", info.object_id);
    if (err != FK_OK)
        return err;
    int revoked = 0;
    int64_t expires_at = 0;
    if (row) {
        f->card_id = info.object_id;
        f->person_id = fk_stmt_int64(st, 0);
        snprintf(f->card_region, sizeof(f->card_region), "%s", fk_stmt_text(st, 1));
        f->color = fk_card_color_from_name(fk_stmt_text(st, 2));
        revoked = strcmp(fk_stmt_text(st, 3), "active") != 0;
        expires_at = fk_stmt_int64(st, 4);
        f->household_id = fk_stmt_is_null(st, 5) ? 0 : fk_stmt_int64(st, 5);
    }
    fk_stmt_free(st);
    if (!row) {
        refuse(f, "unknown_card", "通行证不存在");
        return FK_OK;
    }
    if (revoked) {
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

/* Reasons the gate phone cannot judge offline (it checks the signature
 * only): an offline scan refused for one of them was let through. */
static int phone_let_through(const char *code)
{
    static const char *const judged_on_phone[] = {"unreadable", "forged", "unknown_key",
                                                  "not_card"};
    for (size_t i = 0; i < sizeof(judged_on_phone) / sizeof(judged_on_phone[0]); i++)
        if (strcmp(code, judged_on_phone[i]) == 0)
            return 0;
    return 1;
}

/* The green rule of one exit, inside the scan's transaction: locks the
 * household's (and the holder's) green exits, so that concurrent scans at
 * any gate take turns, then reads the allowed exits within the window either
 * side of `at` — the holder's and the household's green ones — and applies
 * fk_card_gate_rule. An offline exit that collides is recorded as
 * green_exit_conflict (the phone already let the person out). */
static enum fk_err green_exit_rule(struct fk_conn *db, const struct scan_facts *f, int64_t at,
                                   int64_t window, int offline, struct fk_gate_verdict *v)
{
    enum fk_err err = FK_OK;
    if (f->household_id != 0)
        err = fk_db_lock(db, FK_LOCK_GREEN_HOUSEHOLD, f->household_id);
    if (err == FK_OK)
        err = fk_db_lock(db, FK_LOCK_GREEN_PERSON, f->person_id);
    if (err != FK_OK)
        return err;
#define EXITS_OF_PERSON                                                                            \
    " FROM gate_scans WHERE person_id = ? AND direction = 'out' AND allowed = 1 AND "              \
    "scanned_at > ? AND scanned_at "
#define EXITS_OF_HOUSEHOLD                                                                         \
    " FROM gate_scans s JOIN cards c ON c.id = s.card_id WHERE c.household_id = ? AND s.color = "  \
    "'green' AND s.direction = 'out' AND s.allowed = 1 AND s.scanned_at > ? AND s.scanned_at "
    struct fk_stmt *st = NULL;
    int row = 0;
    err = fk_db_query(db, &st, &row,
                      "SELECT (SELECT MAX(scanned_at)" EXITS_OF_PERSON
                      "<= ?), (SELECT MIN(scanned_at)" EXITS_OF_PERSON
                      "< ?), (SELECT MAX(s.scanned_at)" EXITS_OF_HOUSEHOLD
                      "<= ?), (SELECT MIN(s.scanned_at)" EXITS_OF_HOUSEHOLD "< ?)",
                      "iiiiiiziizii", f->person_id, at - window, at, f->person_id, at, at + window,
                      f->household_id, at - window, at, f->household_id, at, at + window);
#undef EXITS_OF_PERSON
#undef EXITS_OF_HOUSEHOLD
    if (err != FK_OK)
        return err;
    int64_t prev = 0, next = 0;
    for (int col = 0; row && col < 4; col++) {
        if (fk_stmt_is_null(st, col))
            continue;
        int64_t t = fk_stmt_int64(st, col);
        if (col % 2 == 0 && t > prev)
            prev = t;
        if (col % 2 == 1 && (next == 0 || t < next))
            next = t;
    }
    fk_stmt_free(st);
    fk_card_gate_rule(FK_CARD_GREEN, 1, at, prev, next, window, v);
    if (!v->allowed && offline) {
        char other[FK_RFC3339_LEN];
        int64_t near = prev != 0 && (next == 0 || at - prev <= next - at) ? prev : next;
        fk_time_format(near, other);
        other[16] = '\0';
        other[10] = ' ';
        v->code = "green_exit_conflict";
        snprintf(v->reason, sizeof(v->reason),
                 "离线放行的绿卡外出与 %s 已记录的外出相隔不足 %lld 小时，已记录待核查", other,
                 (long long)(window / 3600));
    }
    return FK_OK;
}

/* One gate scan's write (fk_db_write_shared): the scan row and its audit
 * entry. `id` stays 0 when the idempotency key was stored already. */
struct scan_write {
    struct fk_req *req;
    const struct fk_checkpoint *cp;
    const struct scan_facts *f;
    const char *direction;
    int64_t scanned_at;
    const char *key;
    int64_t now;
    int offline;
    struct fk_gate_verdict v; /* out: the verdict stored */
    int64_t id;
};

static enum fk_err scan_write(struct fk_conn *db, void *arg)
{
    struct scan_write *w = arg;
    const struct scan_facts *f = w->f;
    w->id = 0;
    w->v = f->v;
    enum fk_err err = FK_OK;
    if (f->green_exit)
        err = green_exit_rule(db, f, w->scanned_at, w->req->app->cfg.green_exit_hours * 3600,
                              w->offline, &w->v);
    int out = strcmp(w->direction, "out") == 0;
    int review = w->offline && out && !w->v.allowed && phone_let_through(w->v.code);
    if (err == FK_OK)
        err = fk_db_run(
            db, &w->id,
            "INSERT INTO gate_scans(checkpoint_id, region, card_id, person_id, "
            "card_region, color, direction, scanned_at, allowed, reason_code, reason, "
            "scanned_by, idempotency_key, created_at, offline, review) VALUES (?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scanned_by, idempotency_key) DO NOTHING "
            "RETURNING id",
            "itzztttiittitiii", w->cp->id, w->cp->region, f->card_id, f->person_id,
            f->card_region[0] ? f->card_region : NULL,
            f->color ? fk_card_color_name(f->color) : NULL, w->direction, w->scanned_at,
            (int64_t)(w->v.allowed != 0), w->v.code, w->v.reason, w->req->actor.user_id, w->key,
            w->now, (int64_t)(w->offline != 0), (int64_t)review);
    if (err == FK_OK && w->id != 0)
        fk_cards_audit(w->req, &err, "gate_scan", "gate_scan", w->id, f->person_id,
                       json_pack("{s:I,s:s,s:b,s:s,s:b,s:b}", "checkpoint_id",
                                 (json_int_t)w->cp->id, "direction", w->direction, "allowed",
                                 w->v.allowed, "reason_code", w->v.code, "offline", w->offline,
                                 "review", review));
    return err;
}

void fk_gate_scan_create(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || gate_or_reply(req, db, &cp) != 0)
        return;
    if (!fk_checkpoint_type_is_gate(cp.type)) {
        fk_cards_invalid(req, "checkpoint_id", "该卡口不是社区卡口或小区门岗，不能扫四色通行证");
        return;
    }
    const char *code, *direction, *at_text, *key;
    if (fk_json_str_or_reply(req, "code", 1, FK_CODE_MAX_INPUT, &code) != 0 ||
        fk_json_str_or_reply(req, "direction", 1, 8, &direction) != 0)
        return;
    if (strcmp(direction, "out") != 0 && strcmp(direction, "in") != 0) {
        fk_cards_invalid(req, "direction", "方向应为 out（出）或 in（进）");
        return;
    }
    int out = strcmp(direction, "out") == 0;
    int64_t now = fk_now(), scanned_at;
    if (fk_json_str_or_reply(req, "scanned_at", 1, 40, &at_text) != 0)
        return;
    if (fk_time_parse(at_text, &scanned_at) != FK_OK) {
        fk_cards_invalid(req, "scanned_at",
                         "时间格式应为 RFC 3339（例如 2022-03-02T08:00:00+08:00）");
        return;
    }
    if (scanned_at > now + SCAN_AHEAD || scanned_at < now - SCAN_BEHIND) {
        fk_cards_invalid(req, "scanned_at", "扫码时间应在 7 天前到现在之间");
        return;
    }
    if (fk_json_str_or_reply(req, "idempotency_key", 1, 64, &key) != 0)
        return;
    for (const char *p = key; *p; p++)
        if (*p < 0x21 || *p > 0x7e) {
            fk_cards_invalid(req, "idempotency_key", "幂等键应为 1–64 个可打印 ASCII 字符");
            return;
        }
    int has_offline, offline;
    if (fk_json_bool_or_reply(req, "offline", &has_offline, &offline) != 0)
        return;
    struct scan_facts f;
    enum fk_err err = decide(req, db, &cp, code, out, scanned_at, &f);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    /* The scan (with a green exit's verdict) and its audit entry in one
     * transaction, shared with other concurrent scans (group commit). ON
     * CONFLICT DO NOTHING never fails the transaction, so concurrent
     * duplicates store one scan: the later ones find id 0 and replay it. */
    struct scan_write w = {.req = req,
                           .cp = &cp,
                           .f = &f,
                           .direction = direction,
                           .scanned_at = scanned_at,
                           .key = key,
                           .now = now,
                           .offline = has_offline && offline};
    err = fk_db_write_shared(db, scan_write, &w);
    int64_t id = w.id;
    json_t *body = NULL;
    if (err == FK_OK && id != 0)
        err = scan_load(req, db, "s.id = ?", "i", id, NULL, &body);
    else if (err == FK_OK) {
        err = scan_load(req, db, "s.scanned_by = ? AND s.idempotency_key = ?", "it",
                        req->actor.user_id, key, &body);
        fk_cards_audit(req, &err, "gate_scan_replay", "gate_scan",
                       json_integer_value(json_object_get(body, "scan_id")), f.person_id,
                       json_pack("{s:I,s:s,s:O?,s:O?}", "checkpoint_id", (json_int_t)cp.id,
                                 "direction", direction, "allowed",
                                 json_object_get(body, "allowed"), "reason_code",
                                 json_object_get(body, "reason_code")));
    }
    if (err != FK_OK) {
        json_decref(body);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, id != 0 ? 201 : 200, body);
}

/* Pages through gate_scans rows matching `where` (bound by `bind`). */
struct scan_query {
    const char *where; /* starts " WHERE " */
    const char *scope;
    int64_t checkpoint_id;
    int64_t from, until;
    int allowed; /* -1 any */
    int handled; /* -1 any */
    int review;  /* -1 any */
};

static enum fk_err scan_bind(struct fk_stmt *st, const struct scan_query *q, int *idx)
{
    enum fk_err err = FK_OK;
    if (q->scope != NULL) {
        err = fk_stmt_bind_region(st, *idx, q->scope);
        *idx += 2;
    }
    if (err == FK_OK && q->checkpoint_id)
        err = fk_stmt_bind_int64(st, (*idx)++, q->checkpoint_id);
    if (err == FK_OK && q->from)
        err = fk_stmt_bind_int64(st, (*idx)++, q->from);
    if (err == FK_OK && q->until)
        err = fk_stmt_bind_int64(st, (*idx)++, q->until);
    if (err == FK_OK && q->allowed >= 0)
        err = fk_stmt_bind_int64(st, (*idx)++, q->allowed);
    if (err == FK_OK && q->handled >= 0)
        err = fk_stmt_bind_int64(st, (*idx)++, q->handled);
    if (err == FK_OK && q->review >= 0)
        err = fk_stmt_bind_int64(st, (*idx)++, q->review);
    return err;
}

/* fk_list_run callbacks of the scan logs. */
static enum fk_err bind_scan_query(struct fk_stmt *st, const void *ctx, int *idx)
{
    return scan_bind(st, ctx, idx);
}

struct scan_view {
    const struct fk_pii_key *key;
    unsigned role;
};

static json_t *scan_row(struct fk_stmt *st, void *ctx)
{
    const struct scan_view *v = ctx;
    return scan_json(st, v->key, v->role);
}

static void reply_scans(struct fk_req *req, struct fk_conn *db, const struct scan_query *q,
                        int64_t page, int64_t per_page, const char *action)
{
    char count_sql[1024], list_sql[2560];
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM gate_scans s%s", q->where);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " SCAN_COLUMNS SCAN_FROM
             "%s ORDER BY s.scanned_at DESC, s.id DESC LIMIT ? OFFSET ?",
             q->where);
    struct scan_view view = {&req->app->pii_key, req->actor.role};
    struct fk_list_query lq = {count_sql, list_sql, bind_scan_query, q, scan_row, &view};
    json_t *items = json_array();
    int64_t total = 0;
    enum fk_err err = fk_list_run(db, &lq, page, per_page, items, &total);
    fk_cards_audit(req, &err, action, "gate_scan", 0, 0,
                   json_pack("{s:I,s:I,s:I}", "checkpoint_id", (json_int_t)q->checkpoint_id,
                             "total", (json_int_t)total, "returned",
                             (json_int_t)json_array_size(items)));
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
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
        return fk_cards_invalid(req, name, "应为 0 或 1");
    return 0;
}

void fk_gate_scan_list(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || gate_or_reply(req, db, &cp) != 0)
        return;
    struct scan_query q = {.checkpoint_id = cp.id, .handled = -1};
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
    char where[256];
    snprintf(where, sizeof(where), " WHERE s.checkpoint_id = ?%s%s%s%s",
             q.from ? " AND s.scanned_at >= ?" : "", q.until ? " AND s.scanned_at < ?" : "",
             q.allowed >= 0 ? " AND s.allowed = ?" : "", q.review >= 0 ? " AND s.review = ?" : "");
    q.where = where;
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
    /* mine=1: refusals of the residents the caller covers (the card's
     * region), wherever they were refused; otherwise those at gates in the
     * scope. */
    char in_region[96], where[256];
    fk_store_in_region(mine == 1 ? "s.card_region" : "s.region", in_region, sizeof(in_region));
    snprintf(where, sizeof(where), " WHERE %s AND s.allowed = 0 AND s.direction = 'out'%s%s",
             in_region, handled >= 0 ? " AND s.handled = ?" : "",
             review >= 0 ? " AND s.review = ?" : "");
    struct scan_query q = {
        .where = where, .scope = scope, .allowed = -1, .handled = handled, .review = review};
    reply_scans(req, db, &q, page, per_page, "gate_refusal_list");
}

void fk_gate_refusal_patch(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    int64_t id;
    if (db == NULL)
        return;
    if (fk_parse_int64(fk_req_param(req, "scan_id"), 1, INT64_MAX, &id) != FK_OK) {
        fk_reply_err(req, FK_E_SCAN_NOT_FOUND, "scan_id");
        return;
    }
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
        fk_cards_invalid(req, "note", "备注含有控制字符");
        return;
    }
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT region, COALESCE(card_region, ''), person_id FROM "
                                  "gate_scans WHERE id = ? AND allowed = 0 AND direction = 'out'",
                                  "i", id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int covered = row && (fk_req_covers(req, fk_stmt_text(st, 0)) ||
                          (fk_stmt_text(st, 1)[0] && fk_req_covers(req, fk_stmt_text(st, 1))));
    int64_t person = row && !fk_stmt_is_null(st, 2) ? fk_stmt_int64(st, 2) : 0;
    fk_stmt_free(st);
    if (!covered) {
        fk_reply_err(req, FK_E_SCAN_NOT_FOUND, "scan_id");
        return;
    }
    int64_t now = fk_now();
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE gate_scans SET handled = ?, handled_by = ?, handled_at = ?, note "
                        "= COALESCE(?, note) WHERE id = ?",
                        "izzti", (int64_t)(handled != 0), handled ? req->actor.user_id : 0,
                        handled ? now : 0, note, id);
    fk_cards_audit(req, &err, "gate_refusal_handle", "gate_scan", id, person,
                   json_pack("{s:b}", "handled", handled));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_t *body = NULL;
    err = scan_load(req, db, "s.id = ?", "i", id, NULL, &body);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, body);
}
