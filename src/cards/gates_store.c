/* Gate scan SQL (gate_scans): the scan's JSON, the card a scan reads, the
 * green-exit rule and the scan insert in one shared write, the scan logs and
 * the handling of refused exits. No HTTP here: gates_api.c parses and
 * replies. */
#include "cards/cards_internal.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

#define SCAN_COLUMNS                                                                               \
    "s.id, s.checkpoint_id, COALESCE(k.name, ''), s.card_id, s.person_id, "                        \
    "COALESCE(p.name, ''), p.id_sealed, s.card_region, COALESCE(g.name, ''), s.color, "            \
    "s.direction, s.scanned_at, s.allowed, s.reason_code, s.reason, s.scanned_by, "                \
    "COALESCE(u.display_name, ''), s.handled, s.handled_at, s.note, s.created_at, s.offline, "     \
    "s.review"
#define SCAN_FROM                                                                                  \
    " FROM gate_scans s LEFT JOIN checkpoints k ON k.id = s.checkpoint_id LEFT JOIN "              \
    "person_directory p "                                                                          \
    "ON p.id = s.person_id LEFT JOIN regions g ON g.code = s.card_region LEFT JOIN "               \
    "user_directory u ON "                                                                         \
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

enum fk_err fk_gate_card_get(struct fk_conn *db, int64_t card_id, struct fk_gate_card *out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    memset(out, 0, sizeof(*out));
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT person_id, region, color, state, expires_at, household_id FROM cards WHERE id = ?",
        "i", card_id);
    if (err != FK_OK)
        return err;
    if (row) {
        out->person_id = fk_stmt_int64(st, 0);
        snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 1));
        out->color = fk_card_color_from_name(fk_stmt_text(st, 2));
        out->revoked = strcmp(fk_stmt_text(st, 3), "active") != 0;
        out->expires_at = fk_stmt_int64(st, 4);
        out->household_id = fk_stmt_is_null(st, 5) ? 0 : fk_stmt_int64(st, 5);
    }
    fk_stmt_free(st);
    return row ? FK_OK : FK_ERR_NOT_FOUND;
}

/* Loads the scan found by `where` (a clause on s.* with the given bind
 * types); FK_ERR_NOT_FOUND when there is none. */
static enum fk_err scan_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const char *where, const char *types, int64_t a, const char *b,
                             json_t **out)
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
    else if ((*out = scan_json(st, key, role)) == NULL)
        err = FK_ERR_NOMEM;
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_gate_scan_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                              int64_t id, json_t **out)
{
    return scan_load(db, key, role, "s.id = ?", "i", id, NULL, out);
}

enum fk_err fk_gate_scan_load_key(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                                  int64_t scanned_by, const char *idempotency_key, json_t **out)
{
    return scan_load(db, key, role, "s.scanned_by = ? AND s.idempotency_key = ?", "it", scanned_by,
                     idempotency_key, out);
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
static enum fk_err green_exit_rule(struct fk_conn *db, const struct fk_gate_scan *f, int64_t at,
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

/* fk_db_write_shared argument of fk_gate_scan_store. */
struct scan_write {
    struct fk_gate_scan *scan;
    const struct fk_caller *who;
    int64_t id;
};

static enum fk_err scan_write(struct fk_conn *db, void *arg)
{
    struct scan_write *w = arg;
    struct fk_gate_scan *f = w->scan;
    w->id = 0;
    f->stored = f->v;
    enum fk_err err = FK_OK;
    if (f->green_exit)
        err = green_exit_rule(db, f, f->scanned_at, f->green_window, f->offline, &f->stored);
    int out = strcmp(f->direction, "out") == 0;
    int review = f->offline && out && !f->stored.allowed && phone_let_through(f->stored.code);
    if (err == FK_OK)
        err = fk_db_run(
            db, &w->id,
            "INSERT INTO gate_scans(checkpoint_id, region, card_id, person_id, "
            "card_region, color, direction, scanned_at, allowed, reason_code, reason, "
            "scanned_by, idempotency_key, created_at, offline, review) VALUES (?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scanned_by, idempotency_key) DO NOTHING "
            "RETURNING id",
            "itzztttiittitiii", f->checkpoint_id, f->checkpoint_region, f->card_id, f->person_id,
            f->card_region[0] ? f->card_region : NULL,
            f->color ? fk_card_color_name(f->color) : NULL, f->direction, f->scanned_at,
            (int64_t)(f->stored.allowed != 0), f->stored.code, f->stored.reason, w->who->user_id,
            f->key, f->now, (int64_t)(f->offline != 0), (int64_t)review);
    if (err == FK_OK && w->id != 0) {
        json_t *detail =
            json_pack("{s:I,s:s,s:b,s:s,s:b,s:b}", "checkpoint_id", (json_int_t)f->checkpoint_id,
                      "direction", f->direction, "allowed", f->stored.allowed, "reason_code",
                      f->stored.code, "offline", f->offline, "review", review);
        err = detail ? fk_caller_audit(db, err, w->who, "gate_scan", "gate_scan", w->id,
                                       f->person_id, detail)
                     : FK_ERR_NOMEM;
    }
    return err;
}

enum fk_err fk_gate_scan_store(struct fk_conn *db, struct fk_gate_scan *scan,
                               const struct fk_caller *who, int64_t *id)
{
    struct scan_write w = {.scan = scan, .who = who};
    enum fk_err err = fk_db_write_shared(db, scan_write, &w);
    *id = err == FK_OK ? w.id : 0;
    return err;
}

/* The WHERE clause of a scan log query. */
static void scan_where(const struct fk_gate_scan_filter *q, struct fk_where *w)
{
    fk_where_init(w);
    if (q->refusals) {
        /* mine=1: refusals of the residents the caller covers (the card's
         * region), wherever they were refused; otherwise those at gates in
         * the scope. */
        fk_where_region(w, q->mine ? "s.card_region" : "s.region", q->scope);
        fk_where_add(w, "s.allowed = 0 AND s.direction = 'out'", "");
    } else
        fk_where_add(w, "s.checkpoint_id = ?", "i", q->checkpoint_id);
    if (q->from)
        fk_where_add(w, "s.scanned_at >= ?", "i", q->from);
    if (q->until)
        fk_where_add(w, "s.scanned_at < ?", "i", q->until);
    if (q->allowed >= 0)
        fk_where_add(w, "s.allowed = ?", "i", (int64_t)q->allowed);
    if (q->handled >= 0)
        fk_where_add(w, "s.handled = ?", "i", (int64_t)q->handled);
    if (q->review >= 0)
        fk_where_add(w, "s.review = ?", "i", (int64_t)q->review);
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

enum fk_err fk_gate_scans_page(struct fk_conn *db, const struct fk_gate_scan_filter *q,
                               const struct fk_pii_key *key, unsigned role, int64_t page,
                               int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    scan_where(q, &w);
    struct scan_view view = {key, role};
    return fk_list_where(db, "SELECT COUNT(*) FROM gate_scans s", "SELECT " SCAN_COLUMNS SCAN_FROM,
                         &w, " ORDER BY s.scanned_at DESC, s.id DESC LIMIT ? OFFSET ?", scan_row,
                         &view, page, per_page, items, total);
}

enum fk_err fk_gate_refusal_get(struct fk_conn *db, int64_t id, struct fk_gate_refusal *out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    memset(out, 0, sizeof(*out));
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT region, COALESCE(card_region, ''), person_id FROM "
                                  "gate_scans WHERE id = ? AND allowed = 0 AND direction = 'out'",
                                  "i", id);
    if (err != FK_OK)
        return err;
    if (row) {
        snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 0));
        snprintf(out->card_region, sizeof(out->card_region), "%s", fk_stmt_text(st, 1));
        out->person_id = fk_stmt_is_null(st, 2) ? 0 : fk_stmt_int64(st, 2);
    }
    fk_stmt_free(st);
    return row ? FK_OK : FK_ERR_NOT_FOUND;
}

enum fk_err fk_gate_refusal_handle(struct fk_conn *db, int64_t id, int64_t person_id, int handled,
                                   const char *note, int64_t now, const struct fk_caller *who,
                                   json_t *detail)
{
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE gate_scans SET handled = ?, handled_by = ?, handled_at = ?, note "
                        "= COALESCE(?, note) WHERE id = ?",
                        "izzti", (int64_t)(handled != 0), handled ? who->user_id : 0,
                        handled ? now : 0, note, id);
    err = fk_caller_audit(db, err, who, "gate_refusal_handle", "gate_scan", id, person_id, detail);
    return fk_caller_finish(db, err);
}
