/* Four-colour card SQL: the card's JSON, loads, issuing one card with its
 * signed code, bulk issue for a compound, and the card following its
 * holder's quarantine. */
#include "cards/cards_internal.h"
#include "codes/codes.h"
#include "core/clock.h"
#include "core/events.h"
#include "quarantine/quarantine.h"
#include "store/where_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most persons bulk issue handles in one compound. */
#define BULK_MAX 20000

/* Columns read for card_json, and the joins they need. */
#define CARD_COLUMNS                                                                               \
    "c.id, c.person_id, p.name, p.id_sealed, p.phone_sealed, c.household_id, c.region, "           \
    "COALESCE(g.name, ''), c.color, c.state, c.code, c.issued_at, c.expires_at, c.issued_by, "     \
    "COALESCE(u.display_name, ''), c.revoked_at, c.revoked_reason, c.note, c.created_at, "         \
    "c.updated_at"
#define CARD_FROM                                                                                  \
    " FROM cards c JOIN person_directory p ON p.id = c.person_id LEFT JOIN regions g ON g.code = " \
    "c.region LEFT JOIN user_directory u ON u.id = c.issued_by"

static json_t *col_time(struct fk_stmt *st, int col)
{
    return fk_time_json(fk_stmt_int64(st, col), !fk_stmt_is_null(st, col));
}

static json_t *col_text(struct fk_stmt *st, int col)
{
    return fk_stmt_is_null(st, col) ? json_null() : json_string(fk_stmt_text(st, col));
}

/* The JSON of the current row (CARD_COLUMNS), ID and phone masked unless
 * `role` sees them in full. New reference, NULL on failure. */
static json_t *card_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role,
                         int64_t now)
{
    enum fk_card_color color = fk_card_color_from_name(fk_stmt_text(st, 8));
    int active = strcmp(fk_stmt_text(st, 9), "active") == 0;
    int64_t expires_at = fk_stmt_int64(st, 12);
    return json_pack(
        "{s:I,s:o,s:{s:I,s:s,s:o,s:o},s:o,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:{s:I,s:s},s:o,s:o,"
        "s:o,s:o,s:o}",
        "id", (json_int_t)fk_stmt_int64(st, 0), "code", col_text(st, 10), "person", "id",
        (json_int_t)fk_stmt_int64(st, 1), "name", fk_stmt_text(st, 2), "id_number",
        fk_pii_json(key, "id_number", fk_stmt_text(st, 3), fk_role_sees_full_id(role)), "phone",
        fk_stmt_is_null(st, 4)
            ? json_null()
            : fk_pii_json(key, "phone", fk_stmt_text(st, 4), fk_role_sees_full_phone(role)),
        "household_id", fk_stmt_is_null(st, 5) ? json_null() : json_integer(fk_stmt_int64(st, 5)),
        "region", fk_stmt_text(st, 6), "region_name", fk_stmt_text(st, 7), "color",
        fk_card_color_name(color) ? fk_card_color_name(color) : "", "color_label",
        fk_card_color_label(color) ? fk_card_color_label(color) : "", "state", fk_stmt_text(st, 9),
        "expired", active && expires_at <= now, "issued_at", col_time(st, 11), "expires_at",
        col_time(st, 12), "issued_by", "id", (json_int_t)fk_stmt_int64(st, 13), "name",
        fk_stmt_text(st, 14), "revoked_at", col_time(st, 15), "revoked_reason", col_text(st, 16),
        "note", col_text(st, 17), "created_at", col_time(st, 18), "updated_at", col_time(st, 19));
}

enum fk_err fk_card_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                         const char *scope, int64_t id, json_t **out, int64_t *person_id)
{
    struct fk_where w;
    fk_where_record(&w, "c.id = ?", id, "c.region", scope);
    struct fk_stmt *st;
    int row;
    *out = NULL;
    enum fk_err err = fk_db_query_where(db, &st, &row, "SELECT " CARD_COLUMNS CARD_FROM, &w, NULL);
    if (err != FK_OK)
        return err;
    if (!row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        *out = card_json(st, key, role, fk_now());
        if (*out == NULL)
            err = FK_ERR_NOMEM;
        else if (person_id != NULL)
            *person_id = fk_stmt_int64(st, 1);
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_card_insert(struct fk_conn *db, int64_t person_id, int64_t household_id,
                           const char *region, enum fk_card_color color, int64_t expires_at,
                           const char *note, int64_t actor, int64_t now, int64_t *id)
{
    char code[FK_CODE_MAX_LEN];
    int green = color == FK_CARD_GREEN;
    /* The id comes first: the signed code names it. */
    enum fk_err err = fk_db_run(
        db, id,
        "INSERT INTO cards(person_id, household_id, region, color, state, active_person, "
        "active_green_household, issued_at, expires_at, issued_by, note, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        "izttiziiitii", person_id, household_id, region, fk_card_color_name(color), person_id,
        green ? household_id : 0, now, expires_at, actor, note, now, now);
    if (err == FK_OK)
        err = fk_code_issue(db, FK_CODE_CARD, *id, expires_at, code, sizeof(code));
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE cards SET code = ? WHERE id = ?", "ti", code, *id);
    return err;
}

/* The id of the card found by `sql` (one int64 parameter), or 0. */
static enum fk_err card_by(struct fk_conn *db, const char *sql, int64_t value, int64_t *id)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *id = 0;
    enum fk_err err = fk_db_query(db, &st, &row, sql, "i", value);
    if (err != FK_OK)
        return err;
    *id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_card_active_of(struct fk_conn *db, int64_t person_id, int64_t *id)
{
    return card_by(db, "SELECT id FROM cards WHERE active_person = ?", person_id, id);
}

enum fk_err fk_card_green_of(struct fk_conn *db, int64_t household_id, int64_t *id)
{
    return card_by(db, "SELECT id FROM cards WHERE active_green_household = ?", household_id, id);
}

/* Revokes active card `id` and its code (inside the caller's transaction). */
static enum fk_err revoke_row(struct fk_conn *db, int64_t id, const char *reason, int64_t now,
                              int64_t actor)
{
    enum fk_err err = fk_db_run(db, NULL,
                                "UPDATE cards SET state = 'revoked', active_person = NULL, "
                                "active_green_household = NULL, revoked_at = ?, revoked_reason = "
                                "?, updated_at = ? WHERE id = ? AND state = 'active'",
                                "itii", now, reason, now, id);
    if (err == FK_OK)
        err = fk_code_revoke(db, FK_CODE_CARD, id, reason, actor);
    return err;
}

enum fk_err fk_card_issue(struct fk_conn *db, const struct fk_card_issue *in,
                          const struct fk_caller *who, json_t *detail, int64_t *id)
{
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK && in->replaces != 0)
        err = revoke_row(db, in->replaces, "重新发放", in->now, who->user_id);
    if (err == FK_OK)
        err = fk_card_insert(db, in->person_id, in->household_id, in->region, in->color,
                             in->expires_at, in->note, who->user_id, in->now, id);
    err = fk_caller_audit(db, err, who, "card_issue", "card", *id, in->person_id, detail);
    return fk_caller_finish(db, err);
}

enum fk_err fk_card_revoke(struct fk_conn *db, int64_t id, int64_t person_id, const char *reason,
                           int64_t now, const struct fk_caller *who, json_t *detail)
{
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = revoke_row(db, id, reason, now, who->user_id);
    err = fk_caller_audit(db, err, who, "card_revoke", "card", id, person_id, detail);
    return fk_caller_finish(db, err);
}

/* The WHERE clause of filter `f` (cards c joined with persons p). */
static void card_where(const struct fk_card_filter *f, struct fk_where *w)
{
    static const char *const states[] = {NULL, "c.state = 'active'", "c.state = 'revoked'"};
    static const char *const q_clauses[] = {NULL, "p.id_blind = ?", "p.name LIKE ? ESCAPE '!'"};
    fk_where_init(w);
    fk_where_region(w, "c.region", f->scope);
    if (states[f->state] != NULL)
        fk_where_add(w, states[f->state], "");
    if (f->color != NULL)
        fk_where_add(w, "c.color = ?", "t", f->color);
    if (f->q_kind != 0)
        fk_where_add(w, q_clauses[f->q_kind], "t", f->q_value);
}

static json_t *card_row(struct fk_stmt *st, void *ctx)
{
    const struct fk_card_view *v = ctx;
    return card_json(st, v->key, v->role, v->now);
}

enum fk_err fk_cards_page(struct fk_conn *db, const struct fk_card_filter *f,
                          const struct fk_card_view *view, int64_t page, int64_t per_page,
                          json_t *items, int64_t *total)
{
    struct fk_where w;
    card_where(f, &w);
    return fk_list_where(
        db, "SELECT COUNT(*) FROM cards c JOIN person_directory p ON p.id = c.person_id",
        "SELECT " CARD_COLUMNS CARD_FROM, &w, " ORDER BY c.region, c.id LIMIT ? OFFSET ?", card_row,
        (void *)view, page, per_page, items, total);
}

/* fk_db_walk_where callback of fk_cards_each. */
struct card_walk {
    const struct fk_card_view *view;
    int (*each)(void *ctx, json_t *card);
    void *ctx;
};

static enum fk_err card_step(struct fk_stmt *st, void *arg)
{
    struct card_walk *x = arg;
    json_t *c = card_json(st, x->view->key, x->view->role, x->view->now);
    if (c == NULL)
        return FK_ERR_NOMEM;
    int stop = x->each(x->ctx, c);
    json_decref(c);
    return stop ? FK_ERR_DONE : FK_OK;
}

enum fk_err fk_cards_each(struct fk_conn *db, const struct fk_card_filter *f,
                          const struct fk_card_view *view, int (*each)(void *ctx, json_t *card),
                          void *ctx)
{
    struct fk_where w;
    card_where(f, &w);
    struct card_walk x = {view, each, ctx};
    return fk_db_walk_where(db, "SELECT " CARD_COLUMNS CARD_FROM, &w, "c.id", 500, card_step, &x);
}

/* Quarantine started: the active card turns yellow (FK_EVENT_HOMEQ_STARTED). */
static enum fk_err follow_quarantine(struct fk_conn *db, const struct fk_event *event, void *ctx)
{
    (void)ctx;
    int64_t person_id = event->person_id, now = event->at;
    return fk_db_run(db, NULL,
                     "UPDATE cards SET color_before_quarantine = color, color = 'yellow', "
                     "active_green_household = NULL, updated_at = ? WHERE active_person = ? AND "
                     "color <> 'yellow'",
                     "ii", now, person_id);
}

/* Quarantine ended: a released person's card gets its colour back
 * (FK_EVENT_HOMEQ_ENDED). A green card stays yellow while another card of the
 * household holds the green slot. */
static enum fk_err follow_release(struct fk_conn *db, const struct fk_event *event, void *ctx)
{
    (void)ctx;
    const struct fk_homeq_ended *ended = event->detail;
    if (ended == NULL || ended->outcome == NULL || strcmp(ended->outcome, "released") != 0)
        return FK_OK;
    int64_t person_id = event->person_id, now = event->at;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT id, color_before_quarantine, household_id FROM cards "
                                  "WHERE active_person = ? AND color = 'yellow' AND "
                                  "color_before_quarantine IS NOT NULL",
                                  "i", person_id);
    if (err != FK_OK || !row) {
        fk_stmt_free(st);
        return err;
    }
    int64_t id = fk_stmt_int64(st, 0);
    int green = strcmp(fk_stmt_text(st, 1), "green") == 0;
    char before[16];
    snprintf(before, sizeof(before), "%s", fk_stmt_text(st, 1));
    int64_t household = fk_stmt_is_null(st, 2) ? 0 : fk_stmt_int64(st, 2);
    fk_stmt_free(st);
    if (green && household != 0) {
        /* Look before writing: a failed UNIQUE would abort the transaction on
         * PostgreSQL. */
        if ((err =
                 fk_db_query(db, &st, &row, "SELECT 1 FROM cards WHERE active_green_household = ?",
                             "i", household)) != FK_OK)
            return err;
        fk_stmt_free(st);
        if (row)
            return FK_OK;
    }
    return fk_db_run(db, NULL,
                     "UPDATE cards SET color = ?, color_before_quarantine = NULL, "
                     "active_green_household = ?, updated_at = ? WHERE id = ?",
                     "tzii", before, green ? household : (int64_t)0, now, id);
}

enum fk_err fk_cards_subscribe(void)
{
    enum fk_err err = fk_event_subscribe(FK_EVENT_HOMEQ_STARTED, follow_quarantine, NULL,
                                         "cards.follow_quarantine");
    if (err == FK_OK)
        err =
            fk_event_subscribe(FK_EVENT_HOMEQ_ENDED, follow_release, NULL, "cards.follow_release");
    return err;
}

/* Whether the comma-separated `list` contains `name`. */
static int has_category(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* Age in whole years at civil date (y, m, d) of a "YYYY-MM-DD" birth date;
 * -1 when it does not parse. */
static int age_at(const char *birth, int y, int m, int d)
{
    int v[3] = {0, 0, 0};
    const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    if (birth == NULL || strlen(birth) != 10)
        return -1;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < len[i]; k++) {
            char c = birth[start[i] + k];
            if (c < '0' || c > '9')
                return -1;
            v[i] = v[i] * 10 + (c - '0');
        }
    int age = y - v[0];
    if (m < v[1] || (m == v[1] && d < v[2]))
        age--;
    return age;
}

struct candidate {
    int64_t id, household_id;
    int head; /* the head of their household */
    int age;
    int quarantined;
    enum fk_card_color color; /* 0 = none yet */
    char region[FK_REGION_CODE_LEN];
    char categories[96];
    char birth[11];
};

static int by_household(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->household_id != y->household_id)
        return x->household_id < y->household_id ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static enum fk_err read_candidates(struct fk_conn *db, const char *prefix, int64_t now,
                                   struct candidate **out, size_t *n_out)
{
    char in_region[96], sql[1024];
    fk_store_in_region("p.region", in_region, sizeof(in_region));
    snprintf(
        sql, sizeof(sql),
        "SELECT p.id, COALESCE(p.household_id, 0), p.region, p.categories, p.birth_date, "
        "COALESCE(h.head_person_id, 0), EXISTS (SELECT 1 FROM home_quarantines q WHERE "
        "q.active_person = p.id) FROM person_directory p LEFT JOIN household_directory h ON h.id = "
        "p.household_id WHERE %s AND p.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM "
        "cards c WHERE c.active_person = p.id) ORDER BY p.id",
        in_region);
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    struct candidate *list = NULL;
    size_t n = 0, alloc = 0;
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err != FK_OK)
        return err;
    err = fk_stmt_bind_region(st, 1, prefix);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        if (n == BULK_MAX) {
            err = FK_ERR_TOO_LARGE;
            break;
        }
        if (n == alloc) {
            size_t grow = alloc ? alloc * 2 : 256;
            struct candidate *bigger = realloc(list, grow * sizeof(*list));
            if (bigger == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            list = bigger;
            alloc = grow;
        }
        struct candidate *c = &list[n++];
        memset(c, 0, sizeof(*c));
        c->id = fk_stmt_int64(st, 0);
        c->household_id = fk_stmt_int64(st, 1);
        snprintf(c->region, sizeof(c->region), "%s", fk_stmt_text(st, 2));
        snprintf(c->categories, sizeof(c->categories), "%s", fk_stmt_text(st, 3));
        snprintf(c->birth, sizeof(c->birth), "%s", fk_stmt_text(st, 4));
        c->head = fk_stmt_int64(st, 5) == c->id;
        c->quarantined = fk_stmt_int64(st, 6) != 0;
        c->age = age_at(c->birth, y, m, d);
    }
    if (err == FK_ERR_DONE)
        err = FK_OK;
    fk_stmt_free(st);
    if (err != FK_OK) {
        free(list);
        return err;
    }
    *out = list;
    *n_out = n;
    return FK_OK;
}

/* Whether household `id` already has an active green card. */
static enum fk_err green_taken(struct fk_conn *db, int64_t household_id, int *yes)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT id FROM cards WHERE active_green_household = ?", "i", household_id);
    if (err != FK_OK)
        return err;
    *yes = row;
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_cards_bulk(struct fk_conn *db, const char *region, int64_t expires_at, int64_t actor,
                          int64_t now, int64_t counts[5], int64_t *skipped)
{
    struct candidate *list = NULL;
    size_t n = 0;
    memset(counts, 0, 5 * sizeof(counts[0]));
    *skipped = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = read_candidates(db, region, now, &list, &n);
    if (err != FK_OK)
        goto fail;
    /* Status and category colours first: yellow (in isolation) wins over red
     * (key person), red over blue (goes out to work). */
    for (size_t i = 0; i < n; i++) {
        struct candidate *c = &list[i];
        if (c->quarantined)
            c->color = FK_CARD_YELLOW;
        else if (has_category(c->categories, "key_person"))
            c->color = FK_CARD_RED;
        else if (has_category(c->categories, "staff"))
            c->color = FK_CARD_BLUE;
    }
    /* One green card per household: its head if eligible, else the oldest
     * adult (18–65) without a card. */
    qsort(list, n, sizeof(*list), by_household);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && list[j].household_id == list[i].household_id)
            j++;
        if (list[i].household_id != 0) {
            int taken = 0;
            if ((err = green_taken(db, list[i].household_id, &taken)) != FK_OK)
                goto fail;
            struct candidate *pick = NULL;
            for (size_t k = i; !taken && k < j && pick == NULL; k++)
                if (list[k].head && list[k].color == 0)
                    pick = &list[k];
            for (size_t k = i; !taken && pick == NULL && k < j; k++) {
                struct candidate *c = &list[k];
                if (c->color != 0 || c->age < 18 || c->age > 65)
                    continue;
                int older = 1;
                for (size_t o = i; o < j; o++)
                    if (&list[o] != c && list[o].color == 0 && list[o].age >= 18 &&
                        list[o].age <= 65 && strcmp(list[o].birth, c->birth) < 0)
                        older = 0;
                if (older)
                    pick = c;
            }
            if (pick != NULL)
                pick->color = FK_CARD_GREEN;
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++) {
        struct candidate *c = &list[i];
        if (c->color == 0) {
            (*skipped)++;
            continue;
        }
        int64_t id;
        err = fk_card_insert(db, c->id, c->household_id, c->region, c->color, expires_at, NULL,
                             actor, now, &id);
        if (err != FK_OK)
            goto fail;
        counts[c->color]++;
    }
    free(list);
    return fk_db_commit(db);
fail:
    free(list);
    fk_db_rollback(db);
    return err;
}
