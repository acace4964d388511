/* Home quarantine SQL: the row's JSON, its follow-up (readings, overdue), its
 * team, loads and the list filter. */
#include "core/clock.h"
#include "crypto/crypto.h"
#include "quarantine/homeq_internal.h"
#include "store/where_query.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns read for homeq_json, and the joins they need. */
#define HOMEQ_COLUMNS                                                                              \
    "q.id, q.person_id, p.name, p.id_sealed, p.phone_sealed, q.region, COALESCE(g.name, ''), "     \
    "q.address, q.reason, q.starts_at, q.planned_end, q.state, q.outcome, q.ended_at, "            \
    "q.commitment_issued_at, q.commitment_signed_at, q.notification_issued_at, "                   \
    "q.notification_signed_at, q.last_celsius_x10, q.last_measured_at, q.fever_count, q.note, "    \
    "q.created_at, q.updated_at"
#define HOMEQ_FROM                                                                                 \
    " FROM home_quarantines q JOIN person_directory p ON p.id = q.person_id LEFT JOIN regions g "  \
    "ON "                                                                                          \
    "g.code = q.region"

void fk_homeq_day_text(int64_t day, char out[11])
{
    int y, m, d;
    fk_civil_date(fk_homeq_slot_opens(day, 0), &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

int fk_homeq_day_parse(const char *text, int64_t *day)
{
    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return 0;
    int v[3] = {0, 0, 0};
    const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < len[i]; k++) {
            char c = text[start[i] + k];
            if (c < '0' || c > '9')
                return 0;
            v[i] = v[i] * 10 + (c - '0');
        }
    if (!fk_date_valid(v[0], v[1], v[2]))
        return 0;
    *day = fk_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
    return 1;
}

static json_t *col_time(struct fk_stmt *st, int col)
{
    return fk_time_json(fk_stmt_int64(st, col), !fk_stmt_is_null(st, col));
}

static json_t *celsius_json(int64_t x10)
{
    return json_real((double)x10 / 10.0);
}

/* The JSON of the current row (HOMEQ_COLUMNS), ID and phone masked unless
 * `role` needs them in full; fills *row. New reference, NULL on failure. */
static json_t *homeq_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role,
                          struct fk_homeq_row *row)
{
    memset(row, 0, sizeof(*row));
    row->id = fk_stmt_int64(st, 0);
    row->person_id = fk_stmt_int64(st, 1);
    row->starts_at = fk_stmt_int64(st, 9);
    row->planned_end = fk_stmt_int64(st, 10);
    row->ended_at = fk_stmt_is_null(st, 13) ? 0 : fk_stmt_int64(st, 13);
    for (int i = 0; i < 4; i++)
        row->letters[i / 2][i % 2] = fk_stmt_is_null(st, 14 + i) ? 0 : fk_stmt_int64(st, 14 + i);
    json_t *letters = json_object();
    for (int letter = 0; letter < 2 && letters != NULL; letter++)
        json_object_set_new(letters, fk_homeq_letter_name(letter),
                            json_pack("{s:o,s:o}", "issued_at", col_time(st, 14 + 2 * letter),
                                      "signed_at", col_time(st, 15 + 2 * letter)));
    json_t *last = json_null();
    if (!fk_stmt_is_null(st, 18))
        last = json_pack("{s:o,s:o,s:b}", "celsius", celsius_json(fk_stmt_int64(st, 18)),
                         "measured_at", col_time(st, 19), "fever",
                         fk_stmt_int64(st, 18) >= FK_HOMEQ_FEVER_X10);
    const char *outcome = fk_stmt_is_null(st, 12) ? NULL : fk_stmt_text(st, 12);
    json_t *out = json_pack(
        "{s:I,s:{s:I,s:s,s:o,s:o},s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:o,"
        "s:o,s:o}",
        "id", (json_int_t)row->id, "person", "id", (json_int_t)row->person_id, "name",
        fk_stmt_text(st, 2), "id_number",
        fk_pii_json(key, "id_number", fk_stmt_text(st, 3), fk_role_sees_full_id(role)), "phone",
        fk_pii_json(key, "phone", fk_stmt_text(st, 4), fk_role_sees_full_phone(role)), "region",
        fk_stmt_text(st, 5), "region_name", fk_stmt_text(st, 6), "address", fk_stmt_text(st, 7),
        "reason", fk_stmt_text(st, 8), "reason_label", fk_homeq_reason_label(fk_stmt_text(st, 8)),
        "starts_at", col_time(st, 9), "planned_end", col_time(st, 10), "state",
        fk_stmt_text(st, 11), "outcome", outcome ? json_string(outcome) : json_null(),
        "outcome_label", outcome ? json_string(fk_homeq_outcome_label(outcome)) : json_null(),
        "ended_at", col_time(st, 13), "letters", letters ? letters : json_null(),
        "last_temperature", last ? last : json_null(), "fever_count",
        (json_int_t)fk_stmt_int64(st, 20), "note",
        fk_stmt_is_null(st, 21) ? json_null() : json_string(fk_stmt_text(st, 21)), "created_at",
        col_time(st, 22), "updated_at", col_time(st, 23));
    return out;
}

json_t *fk_homeq_due_json(const struct fk_homeq_due *due)
{
    char day[11];
    json_t *out = json_pack("{s:s,s:o}", "kind",
                            due->kind == FK_HOMEQ_DUE_TEMPERATURE ? "temperature"
                            : due->kind == FK_HOMEQ_DUE_LETTER    ? "letter"
                                                                  : "end",
                            "due_at", fk_time_json(due->due, 1));
    if (out == NULL)
        return NULL;
    if (due->kind == FK_HOMEQ_DUE_TEMPERATURE) {
        fk_homeq_day_text(due->day, day);
        json_object_set_new(out, "day", json_string(day));
        json_object_set_new(out, "slot", json_string(due->pm ? "pm" : "am"));
        char label[64];
        snprintf(label, sizeof(label), "%s %s体温未测", day, due->pm ? "下午" : "上午");
        json_object_set_new(out, "label", json_string(label));
    } else if (due->kind == FK_HOMEQ_DUE_LETTER) {
        json_object_set_new(out, "letter", json_string(fk_homeq_letter_name(due->letter)));
        json_object_set_new(out, "action",
                            json_string(due->step == FK_HOMEQ_ISSUED ? "issued" : "signed"));
        char label[64];
        snprintf(label, sizeof(label), "%s未%s", fk_homeq_letter_label(due->letter),
                 due->step == FK_HOMEQ_ISSUED ? "送达" : "签订");
        json_object_set_new(out, "label", json_string(label));
    } else {
        json_object_set_new(out, "label", json_string("已到计划解除时间，尚未解除"));
    }
    return out;
}

enum fk_err fk_homeq_follow_up(struct fk_conn *db, const struct fk_homeq_row *row, int64_t now,
                               json_t *item, int detail, struct fk_homeq_due *due_out,
                               size_t *n_due_out)
{
    struct fk_homeq_slot slots[FK_HOMEQ_SLOTS_MAX];
    size_t n_slots = 0;
    int64_t today;
    int pm_now;
    fk_homeq_slot_of(now, &today, &pm_now);
    json_t *today_json[2] = {json_null(), json_null()};
    struct fk_stmt *st = NULL;
    int has = 0;
    enum fk_err err =
        fk_db_query(db, &st, &has,
                    "SELECT day, slot, celsius_x10, measured_at FROM home_quarantine_temperatures "
                    "WHERE quarantine_id = ? ORDER BY measured_at, id",
                    "i", row->id);
    while (err == FK_OK && has) {
        int64_t day;
        int pm = strcmp(fk_stmt_text(st, 1), "pm") == 0;
        if (fk_homeq_day_parse(fk_stmt_text(st, 0), &day)) {
            size_t k = 0;
            while (k < n_slots && !(slots[k].day == day && slots[k].pm == pm))
                k++;
            if (k == n_slots && n_slots < FK_HOMEQ_SLOTS_MAX)
                slots[n_slots++] = (struct fk_homeq_slot){.day = day, .pm = pm};
            if (day == today) {
                json_decref(today_json[pm]);
                today_json[pm] = celsius_json(fk_stmt_int64(st, 2));
            }
        }
        err = fk_stmt_step(st);
        has = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    if (st != NULL)
        fk_stmt_free(st);
    if (err != FK_OK) {
        json_decref(today_json[0]);
        json_decref(today_json[1]);
        return err;
    }
    struct fk_homeq_facts facts = {.starts_at = row->starts_at,
                                   .planned_end = row->planned_end,
                                   .ended_at = row->ended_at,
                                   .recorded = slots,
                                   .n_recorded = n_slots};
    memcpy(facts.letters, row->letters, sizeof(facts.letters));
    struct fk_homeq_due due[FK_HOMEQ_DUE_MAX];
    size_t n = fk_homeq_overdue(&facts, now, due, FK_HOMEQ_DUE_MAX);
    if (n > FK_HOMEQ_DUE_MAX)
        n = FK_HOMEQ_DUE_MAX;
    /* Day N of M (civil days, Asia/Shanghai): the start day is day 1. */
    int64_t start_day, end_day, at_day;
    int ignored;
    fk_homeq_slot_of(row->starts_at, &start_day, &ignored);
    fk_homeq_slot_of(row->planned_end, &end_day, &ignored);
    fk_homeq_slot_of(row->ended_at ? row->ended_at : now, &at_day, &ignored);
    int64_t total = end_day - start_day;
    if (total < 1)
        total = 1;
    int64_t day_n = at_day - start_day + 1;
    if (day_n < 0)
        day_n = 0;
    int64_t remaining = row->ended_at ? 0 : end_day - today;
    if (remaining < 0)
        remaining = 0;
    json_object_set_new(item, "day", json_integer(day_n));
    json_object_set_new(item, "days_total", json_integer(total));
    json_object_set_new(item, "days_remaining", json_integer(remaining));
    json_object_set_new(item, "today",
                        json_pack("{s:o,s:o}", "am", today_json[0], "pm", today_json[1]));
    json_object_set_new(item, "overdue_count", json_integer((json_int_t)n));
    json_object_set_new(item, "overdue", json_boolean(n > 0));
    if (detail) {
        json_t *items = json_array();
        for (size_t i = 0; i < n && items != NULL; i++)
            json_array_append_new(items, fk_homeq_due_json(&due[i]));
        json_object_set_new(item, "overdue_items", items ? items : json_array());
    }
    if (due_out != NULL && n_due_out != NULL) {
        memcpy(due_out, due, n * sizeof(due[0]));
        *n_due_out = n;
    }
    return FK_OK;
}

enum fk_err fk_homeq_team(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                          int64_t id, json_t **out, int64_t user_ids[FK_HOMEQ_ROLES])
{
    json_t *members[FK_HOMEQ_ROLES] = {NULL};
    for (int r = 0; r < FK_HOMEQ_ROLES; r++)
        user_ids[r] = 0;
    struct fk_stmt *st = NULL;
    int has = 0;
    enum fk_err err =
        fk_db_query(db, &st, &has,
                    "SELECT t.role, t.user_id, t.name, t.phone_sealed, COALESCE(u.username, ''), "
                    "COALESCE(u.display_name, t.name) FROM home_quarantine_team t LEFT JOIN "
                    "user_directory u ON u.id = "
                    "t.user_id WHERE t.quarantine_id = ?",
                    "i", id);
    while (err == FK_OK && has) {
        int r = fk_homeq_role_from_name(fk_stmt_text(st, 0));
        if (r >= 0 && members[r] == NULL) {
            int is_user = !fk_stmt_is_null(st, 1);
            user_ids[r] = is_user ? fk_stmt_int64(st, 1) : 0;
            members[r] =
                json_pack("{s:s,s:s,s:o,s:o,s:s,s:o}", "role", fk_homeq_role_name(r), "role_label",
                          fk_homeq_role_label(r), "user_id",
                          is_user ? json_integer(fk_stmt_int64(st, 1)) : json_null(), "username",
                          is_user ? json_string(fk_stmt_text(st, 4)) : json_null(), "name",
                          fk_stmt_text(st, is_user ? 5 : 2), "phone",
                          fk_stmt_is_null(st, 3) ? json_null()
                                                 : fk_pii_json(key, "phone", fk_stmt_text(st, 3),
                                                               fk_role_sees_full_phone(role)));
        }
        err = fk_stmt_step(st);
        has = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    if (st != NULL)
        fk_stmt_free(st);
    json_t *team = err == FK_OK ? json_array() : NULL;
    if (err == FK_OK && team == NULL)
        err = FK_ERR_NOMEM;
    for (int r = 0; r < FK_HOMEQ_ROLES; r++) {
        if (team != NULL && members[r] != NULL)
            json_array_append(team, members[r]);
        json_decref(members[r]);
    }
    *out = team;
    return err;
}

enum fk_err fk_homeq_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                          const char *scope, int64_t id, int detail, json_t **out,
                          int64_t *person_id)
{
    struct fk_where w;
    fk_where_record(&w, "q.id = ?", id, "q.region", scope);
    struct fk_stmt *st;
    int found;
    *out = NULL;
    enum fk_err err =
        fk_db_query_where(db, &st, &found, "SELECT " HOMEQ_COLUMNS HOMEQ_FROM, &w, NULL);
    if (err != FK_OK)
        return err;
    if (!found)
        err = FK_ERR_NOT_FOUND;
    struct fk_homeq_row row;
    json_t *item = NULL;
    if (err == FK_OK) {
        item = homeq_json(st, key, role, &row);
        if (item == NULL)
            err = FK_ERR_NOMEM;
    }
    fk_stmt_free(st);
    if (err == FK_OK)
        err = fk_homeq_follow_up(db, &row, fk_now(), item, detail, NULL, NULL);
    if (err == FK_OK) {
        json_t *team = NULL;
        int64_t users[FK_HOMEQ_ROLES];
        err = fk_homeq_team(db, key, role, id, &team, users);
        if (err == FK_OK)
            json_object_set_new(item, "team", team);
    }
    if (err != FK_OK) {
        json_decref(item);
        return err;
    }
    if (person_id != NULL)
        *person_id = row.person_id;
    *out = item;
    return FK_OK;
}

/* The WHERE clause of filter `f` (home_quarantines q joined with persons p). */
static void homeq_where(const struct fk_homeq_filter *f, struct fk_where *w)
{
    static const char *const states[] = {NULL, "q.state = 'active'", "q.state = 'ended'"};
    static const char *const q_clauses[] = {NULL, "p.id_blind = ?", "p.name LIKE ? ESCAPE '!'"};
    fk_where_init(w);
    fk_where_region(w, "q.region", f->scope);
    if (states[f->state] != NULL)
        fk_where_add(w, states[f->state], "");
    if (f->from)
        fk_where_add(w, "(q.ended_at IS NULL OR q.ended_at >= ?)", "i", f->from);
    if (f->until)
        fk_where_add(w, "q.starts_at < ?", "i", f->until);
    if (f->member)
        fk_where_add(w,
                     "EXISTS (SELECT 1 FROM home_quarantine_team t WHERE t.quarantine_id = q.id "
                     "AND t.user_id = ?)",
                     "i", f->member);
    if (f->q_kind)
        fk_where_add(w, q_clauses[f->q_kind], "t", f->q_value);
}

enum fk_err fk_homeq_page(struct fk_conn *db, const struct fk_homeq_filter *f,
                          const struct fk_pii_key *key, unsigned role, int64_t now, int64_t page,
                          int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    homeq_where(f, &w);
    char sql[1536 + FK_WHERE_SQL_MAX];
    *total = 0;
    enum fk_err err = FK_OK;
    for (int pass = 0; pass < 2 && err == FK_OK; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof(sql),
                     "SELECT COUNT(*) FROM home_quarantines q JOIN person_directory p ON p.id = "
                     "q.person_id%s",
                     w.sql);
        else
            snprintf(sql, sizeof(sql),
                     "SELECT " HOMEQ_COLUMNS HOMEQ_FROM
                     "%s ORDER BY q.starts_at DESC, q.id DESC LIMIT ? OFFSET ?",
                     w.sql);
        struct fk_stmt *st;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        int idx = 1;
        err = fk_where_bind(st, &w, &idx);
        if (err == FK_OK && pass == 1) {
            err = fk_stmt_bind_int64(st, idx++, per_page);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        }
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            if (pass == 0) {
                *total = fk_stmt_int64(st, 0);
                continue;
            }
            struct fk_homeq_row row;
            json_t *item = homeq_json(st, key, role, &row);
            if (item == NULL)
                err = FK_ERR_NOMEM;
            else if ((err = fk_homeq_follow_up(db, &row, now, item, 0, NULL, NULL)) == FK_OK)
                json_array_append(items, item);
            json_decref(item);
        }
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
    return err;
}

/* fk_db_walk_where callback of fk_homeq_each. */
struct homeq_walk {
    const struct fk_pii_key *key;
    unsigned role;
    enum fk_err (*each)(void *ctx, json_t *quarantine, const struct fk_homeq_row *row);
    void *ctx;
};

static enum fk_err homeq_step(struct fk_stmt *st, void *arg)
{
    struct homeq_walk *x = arg;
    struct fk_homeq_row row;
    json_t *q = homeq_json(st, x->key, x->role, &row);
    if (q == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err = x->each(x->ctx, q, &row);
    json_decref(q);
    return err;
}

enum fk_err fk_homeq_each(struct fk_conn *db, const struct fk_homeq_filter *f,
                          const struct fk_pii_key *key, unsigned role,
                          enum fk_err (*each)(void *ctx, json_t *quarantine,
                                              const struct fk_homeq_row *row),
                          void *ctx)
{
    struct fk_where w;
    homeq_where(f, &w);
    struct homeq_walk x = {key, role, each, ctx};
    return fk_db_walk_where(db, "SELECT " HOMEQ_COLUMNS HOMEQ_FROM, &w, "q.id", 500, homeq_step,
                            &x);
}

enum fk_err fk_homeq_person_active(struct fk_conn *db, int64_t person_id, int *yes)
{
    int64_t id = 0;
    enum fk_err err = fk_homeq_active_of(db, person_id, &id);
    *yes = err == FK_OK && id != 0;
    return err;
}
