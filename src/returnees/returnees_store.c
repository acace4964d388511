/* Returnee SQL: insert, duplicate lookup, load, list, filters, rate counters. */
#include "core/clock.h"
#include "crypto/crypto.h"
#include "healthcode/healthcode.h"
#include "http/keyset.h"
#include "returnees/returnees_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fk_err fk_returnee_find_duplicate(struct fk_conn *db, const struct fk_pii_key *key,
                                       const char *id_number, const char *arrival_date,
                                       int64_t *existing)
{
    char blind[FK_BLIND_LEN];
    fk_pii_blind(key, "id_number", id_number, blind);
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT id FROM returnees WHERE id_blind = ? AND arrival_date = ?", "tt",
        blind, arrival_date);
    if (err != FK_OK)
        return err;
    *existing = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_returnee_insert(struct fk_conn *db, const struct fk_pii_key *key,
                               const struct fk_returnee_new *r, int64_t actor_id, int64_t now,
                               int64_t *id, char reference[FK_RETURNEE_REFERENCE_LEN])
{
    char id_blind[FK_BLIND_LEN], phone_blind[FK_BLIND_LEN];
    char *id_sealed = NULL, *phone_sealed = NULL;
    const struct fk_person_valid *p = &r->person;
    fk_pii_blind(key, "id_number", p->id.number, id_blind);
    enum fk_err err = fk_pii_seal(key, "id_number", p->id.number, &id_sealed);
    if (err == FK_OK && p->phone[0] != '\0') {
        fk_pii_blind(key, "phone", p->phone, phone_blind);
        err = fk_pii_seal(key, "phone", p->phone, &phone_sealed);
    }
    if (err != FK_OK)
        goto done;
    /* 32^8 references: a collision is unlikely enough to look first rather
     * than let the unique index abort a PostgreSQL transaction. */
    for (int attempt = 0; attempt < 5; attempt++) {
        fk_returnee_reference(reference);
        struct fk_stmt *st;
        int row;
        err = fk_db_query(db, &st, &row, "SELECT 1 FROM returnees WHERE reference = ?", "t",
                          reference);
        if (err != FK_OK)
            goto done;
        fk_stmt_free(st);
        if (!row)
            break;
    }
    err = fk_db_run(
        db, id,
        "INSERT INTO returnees(reference, person_id, id_sealed, id_blind, name, phone_sealed, "
        "phone_blind, origin_code, origin_name, outside_province, arrival_date, transport, plate, "
        "trip_no, region, household_id, address, three_code, landing_test, disposition, note, "
        "concern, concern_campaign_id, grid_worker_id, source, created_by, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?) RETURNING id",
        "tztttttttittttt"
        "zttttti"
        "zztzii",
        reference, r->person_id, id_sealed, id_blind, p->name, phone_sealed,
        phone_sealed ? phone_blind : NULL, r->origin_code, r->origin_name,
        (int64_t)r->outside_province, r->arrival_date, r->transport, r->plate[0] ? r->plate : NULL,
        r->trip_no[0] ? r->trip_no : NULL, p->region.code, p->household_id, p->address,
        r->three_code, r->landing_test, r->disposition, r->note[0] ? r->note : NULL,
        (int64_t)r->concern, r->campaign_id, r->worker_id, r->public_page ? "public" : "staff",
        actor_id, now, now);
done:
    free(id_sealed);
    free(phone_sealed);
    return err;
}

enum fk_err fk_returnee_mark_person(struct fk_conn *db, int64_t person_id, int64_t now)
{
    return fk_person_add_category(db, person_id, "returnee", now);
}

static json_t *text_or_null(struct fk_stmt *st, int col)
{
    return fk_stmt_is_null(st, col) ? json_null() : json_string(fk_stmt_text(st, col));
}

static json_t *id_or_null(struct fk_stmt *st, int col)
{
    return fk_stmt_is_null(st, col) ? json_null() : json_integer(fk_stmt_int64(st, col));
}

json_t *fk_returnee_json(struct fk_stmt *st, const struct fk_pii_key *key, unsigned role)
{
    json_t *worker = json_null();
    if (!fk_stmt_is_null(st, 23))
        worker = json_pack("{s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 23), "display_name",
                           fk_stmt_text(st, 24));
    json_t *campaign = json_null();
    if (!fk_stmt_is_null(st, 22))
        campaign = json_pack("{s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 22), "name",
                             fk_stmt_text(st, 30));
    json_t *out = json_pack(
        "{s:I,s:s,s:o,s:b,s:o,s:s,s:o,s:{s:s,s:s},s:b,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:s,s:s,s:s,"
        "s:s,s:o,s:b,s:b,s:o,s:o}",
        "id", (json_int_t)fk_stmt_int64(st, 0), "reference", fk_stmt_text(st, 1), "person_id",
        id_or_null(st, 2), "in_registry", !fk_stmt_is_null(st, 2), "id_number",
        fk_pii_json(key, "id_number", fk_stmt_text(st, 3), fk_role_sees_full_id(role)), "name",
        fk_stmt_text(st, 4), "phone",
        fk_pii_json(key, "phone", fk_stmt_text(st, 5), fk_role_sees_full_phone(role)), "origin",
        "code", fk_stmt_text(st, 6), "name", fk_stmt_text(st, 7), "outside_province",
        fk_stmt_int64(st, 8) != 0, "arrival_date", fk_stmt_text(st, 9), "transport",
        fk_stmt_text(st, 10), "plate", text_or_null(st, 11), "trip_no", text_or_null(st, 12),
        "destination_region", fk_stmt_text(st, 13), "destination_name", fk_stmt_text(st, 14),
        "household_id", id_or_null(st, 15), "address", fk_stmt_text(st, 16), "three_code",
        fk_stmt_text(st, 17), "landing_test", fk_stmt_text(st, 18), "disposition",
        fk_stmt_text(st, 19), "note", text_or_null(st, 20), "concern", fk_stmt_int64(st, 21) != 0,
        "handled", fk_stmt_int64(st, 25) != 0, "concern_campaign", campaign, "grid_worker", worker);
    if (out == NULL)
        return NULL;
    json_object_set_new(out, "handled_at",
                        fk_stmt_is_null(st, 26) ? json_null()
                                                : fk_time_or_null(fk_stmt_int64(st, 26)));
    json_object_set_new(out, "source", json_string(fk_stmt_text(st, 27)));
    json_object_set_new(out, "created_at", fk_time_or_null(fk_stmt_int64(st, 28)));
    json_object_set_new(out, "updated_at", fk_time_or_null(fk_stmt_int64(st, 29)));
    return out;
}

enum fk_err fk_returnee_load(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const char *scope, int64_t id, json_t **out, int64_t *person_id)
{
    struct fk_stmt *st;
    enum fk_err err = fk_row_in_region(db, "SELECT " FK_RETURNEE_COLUMNS FK_RETURNEE_FROM, "r.id",
                                       "r.region", id, scope, &st);
    if (err != FK_OK)
        return err;
    *person_id = fk_stmt_is_null(st, 2) ? 0 : fk_stmt_int64(st, 2);
    *out = fk_returnee_json(st, key, role);
    fk_stmt_free(st);
    return *out != NULL ? FK_OK : FK_ERR_NOMEM;
}

void fk_returnee_where(const struct fk_returnee_filter *f, struct fk_where *w)
{
    static const char *const q_clauses[] = {"", "r.id_blind = ?", "r.phone_blind = ?",
                                            "r.reference = ?", "r.name LIKE ? ESCAPE '!'"};
    fk_where_init(w);
    fk_where_region(w, "r.region", f->scope);
    if (f->from)
        fk_where_add(w, "r.arrival_date >= ?", "t", f->from);
    if (f->until)
        fk_where_add(w, "r.arrival_date <= ?", "t", f->until);
    if (f->flagged >= 0)
        fk_where_add(w, "r.concern = ?", "i", (int64_t)f->flagged);
    if (f->handled >= 0)
        fk_where_add(w, "r.handled = ?", "i", (int64_t)f->handled);
    if (f->disposition)
        fk_where_add(w, "r.disposition = ?", "t", f->disposition);
    if (f->landing_test)
        fk_where_add(w, "r.landing_test = ?", "t", f->landing_test);
    if (f->three_code)
        fk_where_add(w, "r.three_code = ?", "t", f->three_code);
    if (f->transport)
        fk_where_add(w, "r.transport = ?", "t", f->transport);
    if (f->worker_id)
        fk_where_add(w, "r.grid_worker_id = ?", "i", f->worker_id);
    if (f->q_kind)
        fk_where_add(w, q_clauses[f->q_kind], "t", f->q_value);
}

/* fk_list_run callbacks of fk_returnee_list. */
static enum fk_err returnee_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    return fk_where_bind(st, ctx, idx);
}

struct returnee_view {
    const struct fk_pii_key *key;
    unsigned role;
    void (*row)(json_t *record, int64_t seq, void *ctx);
    void *ctx;
};

static json_t *returnee_row(struct fk_stmt *st, void *ctx)
{
    const struct returnee_view *v = ctx;
    return fk_returnee_json(st, v->key, v->role);
}

enum fk_err fk_returnee_list(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const struct fk_returnee_filter *f, int64_t page, int64_t per_page,
                             json_t **items, int64_t *total)
{
    struct fk_where w;
    char count_sql[1536], list_sql[2560];
    fk_returnee_where(f, &w);
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM returnees r%s", w.sql);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " FK_RETURNEE_COLUMNS FK_RETURNEE_FROM
             "%s ORDER BY r.arrival_date DESC, r.id DESC LIMIT ? OFFSET ?",
             w.sql);
    struct returnee_view v = {key, role, NULL, NULL};
    struct fk_list_query q = {count_sql, list_sql, returnee_bind, &w, returnee_row, &v};
    *items = json_array();
    return fk_list_run(db, &q, page, per_page, *items, total);
}

#define BATCH 2000

static enum fk_err each_row(struct fk_stmt *st, int64_t seq, void *ctx)
{
    const struct returnee_view *v = ctx;
    json_t *r = fk_returnee_json(st, v->key, v->role);
    if (r == NULL)
        return FK_ERR_NOMEM;
    v->row(r, seq, v->ctx);
    json_decref(r);
    return FK_OK;
}

enum fk_err fk_returnee_each(struct fk_conn *db, const struct fk_pii_key *key, unsigned role,
                             const struct fk_returnee_filter *f,
                             void (*row)(json_t *record, int64_t seq, void *ctx), void *ctx,
                             int64_t *count)
{
    struct fk_where w;
    char sql[2560];
    fk_returnee_where(f, &w);
    snprintf(sql, sizeof(sql),
             "SELECT " FK_RETURNEE_COLUMNS FK_RETURNEE_FROM
             "%s AND r.id > ? ORDER BY r.id LIMIT %d",
             w.sql, BATCH);
    struct returnee_view v = {key, role, row, ctx};
    struct fk_keyset_query q = {sql, BATCH, &w, each_row, NULL, &v};
    return fk_keyset_run(db, &q, count);
}

enum fk_err fk_returnee_rate_hit(struct fk_conn *db, const char *kind, const char *key_hash,
                                 int64_t window_start, int64_t now, int64_t *hits)
{
    enum fk_err err = fk_db_run(db, NULL, "DELETE FROM returnee_rate_limits WHERE window_start < ?",
                                "i", now - 2 * 86400);
    if (err == FK_OK)
        err = fk_db_run(db, hits,
                        "INSERT INTO returnee_rate_limits(kind, key_hash, window_start, hits) "
                        "VALUES (?, ?, ?, 1) ON CONFLICT (kind, key_hash, window_start) DO UPDATE "
                        "SET hits = returnee_rate_limits.hits + 1 RETURNING hits",
                        "tti", kind, key_hash, window_start);
    return err;
}

enum fk_err fk_returnee_sync_health(struct fk_conn *db, int64_t id)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT person_id, origin_code, origin_name, arrival_date, "
                                  "landing_test FROM returnees WHERE id = ?",
                                  "i", id);
    if (err != FK_OK)
        return err;
    int64_t person = row && !fk_stmt_is_null(st, 0) ? fk_stmt_int64(st, 0) : 0;
    char origin[8] = "", origin_name[FK_RETURNEE_ORIGIN_MAX + 16] = "", landing[16] = "";
    int64_t arrived = 0;
    if (person != 0) {
        snprintf(origin, sizeof(origin), "%s", fk_stmt_text(st, 1));
        snprintf(origin_name, sizeof(origin_name), "%s", fk_stmt_text(st, 2));
        snprintf(landing, sizeof(landing), "%s", fk_stmt_text(st, 4));
        if (fk_time_parse(fk_stmt_text(st, 3), &arrived) != FK_OK)
            arrived = 0;
    }
    fk_stmt_free(st);
    /* Only registry persons have codes; the arrival date is midnight. */
    if (person == 0 || arrived <= 0)
        return FK_OK;
    struct fk_health_fact arrival = {.person_id = person,
                                     .kind = FK_FACT_ARRIVAL,
                                     .region = origin,
                                     .started_at = arrived,
                                     .source = "returnees",
                                     .source_id = id,
                                     .detail = origin_name};
    err = fk_health_fact_record(db, &arrival);
    /* The landing test (落地检) still owed while pending or sampled. */
    int owed = strcmp(landing, "pending") == 0 || strcmp(landing, "sampled") == 0;
    if (err == FK_OK && owed) {
        struct fk_health_fact tests = {.person_id = person,
                                       .kind = FK_FACT_TESTS_OWED,
                                       .started_at = arrived,
                                       .source = "returnees",
                                       .source_id = id,
                                       .detail = "落地检待完成"};
        err = fk_health_fact_record(db, &tests);
    } else if (err == FK_OK) {
        err = fk_health_fact_close(db, "returnees", id, FK_FACT_TESTS_OWED, fk_now());
    }
    if (err == FK_OK)
        err = fk_health_refresh(db, person);
    return err;
}

enum fk_err fk_returnee_duplicate_or_person(struct fk_conn *db, const struct fk_pii_key *key,
                                            const struct fk_returnee_new *r, int64_t *existing,
                                            int64_t *person)
{
    *person = 0;
    enum fk_err err =
        fk_returnee_find_duplicate(db, key, r->person.id.number, r->arrival_date, existing);
    if (err == FK_OK && *existing == 0)
        err = fk_person_find_by_id_number(db, key, r->person.id.number, person);
    return err;
}

enum fk_err fk_returnee_region_children(struct fk_conn *db, const char *parent, json_t *out)
{
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(
        db,
        parent ? "SELECT code, name, level FROM regions WHERE parent = ? ORDER BY code LIMIT 2000"
               : "SELECT code, name, level FROM regions WHERE parent IS NULL ORDER BY code "
                 "LIMIT 2000",
        &st);
    if (err != FK_OK)
        return err;
    if (parent)
        err = fk_stmt_bind_text(st, 1, parent);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        json_array_append_new(out, json_pack("{s:s,s:s,s:I}", "code", fk_stmt_text(st, 0), "name",
                                             fk_stmt_text(st, 1), "level",
                                             (json_int_t)fk_stmt_int64(st, 2)));
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

/* --- changes: each in its own transaction, audited in it --- */

enum fk_err fk_returnee_household_in(struct fk_conn *db, int64_t household_id, const char *prefix,
                                     int *fits)
{
    char region[FK_REGION_CODE_LEN];
    *fits = 0;
    enum fk_err err = fk_household_region(db, household_id, region);
    if (err == FK_ERR_NOT_FOUND)
        return FK_OK;
    if (err != FK_OK)
        return err;
    *fits = strncmp(region, prefix, strlen(prefix)) == 0;
    return FK_OK;
}

enum fk_err fk_returnee_register(struct fk_conn *db, const struct fk_caller *who,
                                 struct fk_returnee_new *r, int64_t now, int64_t *id,
                                 char reference[FK_RETURNEE_REFERENCE_LEN])
{
    int64_t person = r->person_id;
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    if (!r->public_page) {
        /* A person already in the registry is linked (not moved); anyone else
         * is registered there, at the destination, as a returnee. */
        int64_t ignored = 0;
        int registered = person == 0;
        if (registered)
            err = fk_person_insert(db, who->key, &r->person, now, &person, &ignored);
        if (err == FK_OK)
            err = fk_returnee_mark_person(db, person, now);
        err = fk_caller_audit(db, err, who, registered ? "person_create" : "person_link",
                              "returnee", 0, person, json_pack("{s:s}", "source", "returnee"));
        r->person_id = person;
    }
    if (err == FK_OK)
        err = fk_returnee_insert(db, who->key, r, r->public_page ? 0 : who->user_id, now, id,
                                 reference);
    if (err == FK_OK)
        err = fk_returnee_sync_health(db, *id);
    if (r->public_page)
        err = fk_caller_audit(db, err, who, "returnee_self_register", "returnee", *id, person,
                              json_pack("{s:s,s:s,s:s,s:b,s:b}", "region", r->person.region.code,
                                        "arrival_date", r->arrival_date, "origin_code",
                                        r->origin_code, "concern", r->concern, "linked",
                                        person != 0));
    else
        err = fk_caller_audit(db, err, who, "returnee_create", "returnee", *id, person,
                              json_pack("{s:s,s:s,s:s,s:b}", "region", r->person.region.code,
                                        "arrival_date", r->arrival_date, "origin_code",
                                        r->origin_code, "concern", r->concern));
    return fk_caller_finish(db, err);
}

static void copy_text(char *out, size_t size, const char *text)
{
    snprintf(out, size, "%s", text ? text : "");
}

enum fk_err fk_returnee_state_load(struct fk_conn *db, const struct fk_pii_key *key,
                                   const char *scope, int64_t id, int open_pii,
                                   struct fk_returnee_state *s)
{
    memset(s, 0, sizeof(*s));
    struct fk_stmt *st = NULL;
    enum fk_err err = fk_row_in_region(
        db,
        "SELECT region, three_code, landing_test, disposition, household_id, note, handled, "
        "person_id, id_sealed, phone_sealed, name, address FROM returnees",
        "id", "region", id, scope, &st);
    if (err != FK_OK)
        return err;
    copy_text(s->region, sizeof(s->region), fk_stmt_text(st, 0));
    copy_text(s->three_code, sizeof(s->three_code), fk_stmt_text(st, 1));
    copy_text(s->landing_test, sizeof(s->landing_test), fk_stmt_text(st, 2));
    copy_text(s->disposition, sizeof(s->disposition), fk_stmt_text(st, 3));
    s->household_id = fk_stmt_int64(st, 4);
    s->has_note = !fk_stmt_is_null(st, 5);
    copy_text(s->note, sizeof(s->note), fk_stmt_text(st, 5));
    s->handled = fk_stmt_int64(st, 6) != 0;
    s->person_id = fk_stmt_int64(st, 7);
    copy_text(s->name, sizeof(s->name), fk_stmt_text(st, 10));
    copy_text(s->address, sizeof(s->address), fk_stmt_text(st, 11));
    if (open_pii && s->person_id == 0) {
        err = fk_pii_open(key, "id_number", fk_stmt_text(st, 8), &s->id_plain);
        if (err == FK_OK && !fk_stmt_is_null(st, 9))
            err = fk_pii_open(key, "phone", fk_stmt_text(st, 9), &s->phone_plain);
    }
    fk_stmt_free(st);
    return err;
}

static void free_plain(char **text)
{
    if (*text != NULL) {
        sodium_memzero(*text, strlen(*text));
        free(*text);
        *text = NULL;
    }
}

void fk_returnee_state_clear(struct fk_returnee_state *s)
{
    free_plain(&s->id_plain);
    free_plain(&s->phone_plain);
}

enum fk_err fk_returnee_update(struct fk_conn *db, const struct fk_caller *who, int64_t id,
                               const struct fk_returnee_state *s,
                               const struct fk_returnee_change *c, const json_t *fields,
                               int64_t now)
{
    int64_t person = s->person_id;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    if (c->register_person != NULL) {
        int64_t ignored = 0;
        person = c->existing_person;
        if (person == 0)
            err = fk_person_insert(db, who->key, c->register_person, now, &person, &ignored);
        if (err == FK_OK)
            err = fk_returnee_mark_person(db, person, now);
        err = fk_caller_audit(
            db, err, who, c->existing_person ? "person_link" : "person_create", "returnee", 0,
            person, json_pack("{s:s,s:I}", "source", "returnee", "returnee_id", (json_int_t)id));
        if (err == FK_OK)
            err = fk_db_run(db, NULL, "UPDATE returnees SET person_id = ? WHERE id = ?", "ii",
                            person, id);
    }
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE returnees SET three_code = ?, landing_test = ?, disposition = ?, "
                        "household_id = ?, note = ?, updated_at = ? WHERE id = ?",
                        "tttztii", s->three_code, s->landing_test, s->disposition, s->household_id,
                        s->has_note ? s->note : NULL, now, id);
    if (err == FK_OK && c->has_handled && c->handled != s->handled)
        err = c->handled ? fk_db_run(db, NULL,
                                     "UPDATE returnees SET handled = 1, handled_by = ?, "
                                     "handled_at = ? WHERE id = ?",
                                     "iii", who->user_id, now, id)
                         : fk_db_run(db, NULL,
                                     "UPDATE returnees SET handled = 0, handled_by = NULL, "
                                     "handled_at = NULL WHERE id = ?",
                                     "i", id);
    if (err == FK_OK)
        err = fk_returnee_sync_health(db, id);
    err = fk_caller_audit(db, err, who, "returnee_update", "returnee", id, person,
                          json_pack("{s:O}", "fields", (json_t *)fields));
    return fk_caller_finish(db, err);
}
