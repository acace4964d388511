/* The registry's tables: persons, households, person_history. The only
 * place their SQL lives; no HTTP here. Every read for a caller is limited to
 * a jurisdiction prefix (fk_where_region / fk_store_in_region). */
#include "core/clock.h"
#include "residents/residents_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest code point in UTF-8: "name >= q AND name < q + this" is
 * exactly "name starts with q" under byte-wise comparison (SQLite BINARY,
 * PostgreSQL COLLATE "C", migration 0003). */
#define MAX_CODE_POINT "\xf4\x8f\xbf\xbf"

#define BATCH 5000 /* rows per keyset batch of a ledger */

/* The columns person_read takes, in its order. */
#define PERSON_COLUMNS                                                                             \
    "p.id, p.id_sealed, p.name, p.sex, p.birth_date, p.phone_sealed, "                             \
    "COALESCE(p.household_id, 0), p.region, COALESCE(r.name, ''), p.address, p.categories, "       \
    "p.created_at, p.updated_at, COALESCE(p.merged_into, 0), p.id_blind"
#define PERSON_FROM " FROM persons p LEFT JOIN regions r ON r.code = p.region"

static void copy_text(char *out, size_t size, const char *text)
{
    snprintf(out, size, "%s", text ? text : "");
}

/* The current row (PERSON_COLUMNS) into *p. */
static void person_read(struct fk_stmt *st, struct fk_person *p)
{
    p->id = fk_stmt_int64(st, 0);
    copy_text(p->id_sealed, sizeof(p->id_sealed), fk_stmt_text(st, 1));
    copy_text(p->name, sizeof(p->name), fk_stmt_text(st, 2));
    p->sex = (int)fk_stmt_int64(st, 3);
    copy_text(p->birth_date, sizeof(p->birth_date), fk_stmt_text(st, 4));
    copy_text(p->phone_sealed, sizeof(p->phone_sealed), fk_stmt_text(st, 5));
    p->household_id = fk_stmt_int64(st, 6);
    copy_text(p->region, sizeof(p->region), fk_stmt_text(st, 7));
    copy_text(p->region_name, sizeof(p->region_name), fk_stmt_text(st, 8));
    copy_text(p->address, sizeof(p->address), fk_stmt_text(st, 9));
    copy_text(p->categories, sizeof(p->categories), fk_stmt_text(st, 10));
    p->created_at = fk_stmt_int64(st, 11);
    p->updated_at = fk_stmt_int64(st, 12);
    p->merged_into = fk_stmt_int64(st, 13);
    copy_text(p->id_blind, sizeof(p->id_blind), fk_stmt_text(st, 14));
}

/* A person callback for fk_where_each. */
struct person_rows {
    fk_person_fn each;
    void *ctx;
};

static enum fk_err person_row(struct fk_stmt *st, void *ctx)
{
    struct person_rows *r = ctx;
    struct fk_person p;
    person_read(st, &p);
    return r->each(&p, r->ctx);
}

/* Reads the row into the caller's person (ctx): fk_where_one. */
static enum fk_err read_person(struct fk_stmt *st, void *ctx)
{
    person_read(st, ctx);
    return FK_OK;
}

/* The one person matching `w` (PERSON_COLUMNS), or FK_ERR_NOT_FOUND. */
static enum fk_err one_person(struct fk_conn *db, const struct fk_where *w, struct fk_person *out)
{
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT " PERSON_COLUMNS PERSON_FROM "%s", w->sql);
    struct fk_person p;
    enum fk_err err = fk_where_one(db, sql, w, read_person, &p);
    if (err == FK_OK)
        *out = p;
    return err;
}

/* LIKE pattern for "contains `q`", with '!' escaping the user's % and _. */
static void like_pattern(const char *q, char *out, size_t size)
{
    size_t o = 0;
    out[o++] = '%';
    for (const char *p = q; *p != '\0' && o < size - 3; p++) {
        if (*p == '%' || *p == '_' || *p == '!')
            out[o++] = '!';
        out[o++] = *p;
    }
    out[o++] = '%';
    out[o] = '\0';
}

/* --- person reads --- */

enum fk_err fk_person_get(struct fk_conn *db, int64_t id, struct fk_person *out)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "p.id = ?", "i", id);
    return one_person(db, &w, out);
}

enum fk_err fk_residents_person_load(struct fk_conn *db, int64_t id, const char *prefix,
                                     struct fk_person *out)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "p.id = ?", "i", id);
    fk_where_region(&w, "p.region", prefix);
    return one_person(db, &w, out);
}

enum fk_err fk_person_get_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                                   struct fk_person *out)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "p.id = ?", "i", id);
    fk_where_add(&w, "p.merged_into IS NULL", "");
    fk_where_region(&w, "p.region", prefix);
    return one_person(db, &w, out);
}

enum fk_err fk_person_find_in_scope(struct fk_conn *db, const struct fk_pii_key *key,
                                    const char *id_number, const char *prefix,
                                    struct fk_person *out)
{
    char blind[FK_BLIND_LEN];
    fk_pii_blind(key, "id_number", id_number, blind);
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "p.id_blind = ?", "t", blind);
    fk_where_add(&w, "p.merged_into IS NULL", "");
    fk_where_region(&w, "p.region", prefix);
    return one_person(db, &w, out);
}

enum fk_err fk_person_find_by_id_number(struct fk_conn *db, const struct fk_pii_key *key,
                                        const char *id_number, int64_t *id)
{
    char blind[FK_BLIND_LEN];
    fk_pii_blind(key, "id_number", id_number, blind);
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT id FROM persons WHERE id_blind = ?", "t", blind);
    if (err != FK_OK)
        return err;
    *id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    return FK_OK;
}

/* The filters of `query` in `w`; `text` holds the bound search values (it
 * must outlive the statement). */
struct query_values {
    char blind[FK_BLIND_LEN];
    char text[200];
    char pattern[40];
};

static void query_where(struct fk_where *w, const struct fk_person_query *query,
                        const struct fk_pii_key *key, struct query_values *v)
{
    /* A name prefix is far more selective than a jurisdiction: keep the
     * planner off the region index by comparing an expression of the column
     * (SQLite has no statistics on ranges to tell the two apart). */
    int by_name = query->q != NULL && strcmp(query->match_kind, "name") == 0;
    fk_where_init(w);
    fk_where_region(w, by_name ? "(p.region || '')" : "p.region", query->scope);
    fk_where_add(w, "p.merged_into IS NULL", "");
    if (query->q != NULL) {
        if (strcmp(query->match_kind, "id_number") == 0) {
            char number[19];
            memcpy(number, query->q, 18);
            number[18] = '\0';
            if (number[17] == 'x')
                number[17] = 'X';
            fk_pii_blind(key, "id_number", number, v->blind);
            fk_where_add(w, "p.id_blind = ?", "t", v->blind);
        } else if (strcmp(query->match_kind, "phone") == 0) {
            fk_pii_blind(key, "phone", query->q, v->blind);
            fk_where_add(w, "p.phone_blind = ?", "t", v->blind);
        } else if (strcmp(query->match_kind, "address") == 0) {
            like_pattern(query->q, v->text, sizeof(v->text));
            fk_where_add(w, "p.address LIKE ? ESCAPE '!'", "t", v->text);
        } else {
            snprintf(v->text, sizeof(v->text), "%s" MAX_CODE_POINT, query->q);
            fk_where_add(w, "p.name >= ? AND p.name < ?", "tt", query->q, v->text);
        }
    }
    if (query->category) {
        snprintf(v->pattern, sizeof(v->pattern), "%%,%s,%%", query->category);
        fk_where_add(w, "(',' || p.categories || ',') LIKE ?", "t", v->pattern);
    }
    if (query->household_id)
        fk_where_add(w, "p.household_id = ?", "i", query->household_id);
    if (query->has_from)
        fk_where_add(w, "p.created_at >= ?", "i", query->from);
    if (query->has_until)
        fk_where_add(w, "p.created_at < ?", "i", query->until);
}

enum fk_err fk_residents_search(struct fk_conn *db, const struct fk_pii_key *key,
                                const struct fk_person_query *query, int64_t page, int64_t per_page,
                                int64_t *total, fk_person_fn each, void *ctx)
{
    struct fk_where w;
    struct query_values v;
    query_where(&w, query, key, &v);
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM persons p%s", w.sql);
    enum fk_err err = fk_where_count(db, sql, &w, total);
    if (err != FK_OK || *total == 0)
        return err;
    /* Name searches come back in the name index's order, so LIMIT stops
     * early; everything else in the jurisdiction index's order. */
    int by_name = query->q != NULL && strcmp(query->match_kind, "name") == 0;
    snprintf(sql, sizeof(sql),
             "SELECT " PERSON_COLUMNS PERSON_FROM "%s ORDER BY %s LIMIT ? OFFSET ?", w.sql,
             by_name ? "p.name, p.region, p.id" : "p.region, p.id");
    int64_t tail[2] = {per_page, (page - 1) * per_page};
    return fk_where_each(db, sql, &w, tail, 2, person_row, &(struct person_rows){each, ctx}, NULL,
                         NULL);
}

enum fk_err fk_residents_scan(struct fk_conn *db, const struct fk_pii_key *key,
                              const struct fk_person_query *query, fk_person_fn each, void *ctx)
{
    struct fk_where w;
    struct query_values v;
    query_where(&w, query, key, &v);
    char sql[1536];
    snprintf(sql, sizeof(sql),
             "SELECT " PERSON_COLUMNS PERSON_FROM "%s AND p.id > ? ORDER BY p.id LIMIT %d", w.sql,
             BATCH);
    int64_t last = 0, rows;
    enum fk_err err;
    do {
        rows = 0;
        err = fk_where_each(db, sql, &w, &last, 1, person_row, &(struct person_rows){each, ctx},
                            &last, &rows);
    } while (err == FK_OK && rows == BATCH);
    return err;
}

enum fk_err fk_residents_members(struct fk_conn *db, int64_t id, const char *prefix,
                                 fk_person_fn each, void *ctx)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "p.household_id = ?", "i", id);
    fk_where_add(&w, "p.merged_into IS NULL", "");
    fk_where_region(&w, "p.region", prefix);
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT " PERSON_COLUMNS PERSON_FROM "%s ORDER BY p.id LIMIT %d",
             w.sql, FK_HOUSEHOLD_MEMBERS_MAX);
    return fk_where_each(db, sql, &w, NULL, 0, person_row, &(struct person_rows){each, ctx}, NULL,
                         NULL);
}

/* --- person writes --- */

enum fk_err fk_person_insert(struct fk_conn *db, const struct fk_pii_key *key,
                             const struct fk_person_valid *p, int64_t now, int64_t *id,
                             int64_t *existing_id)
{
    char id_blind[FK_BLIND_LEN], phone_blind[FK_BLIND_LEN];
    char *id_sealed = NULL, *phone_sealed = NULL;
    /* Look first: on PostgreSQL a failed INSERT aborts the caller's whole
     * transaction, so a known duplicate must never reach the unique index. */
    int64_t found = 0;
    enum fk_err err = fk_person_find_by_id_number(db, key, p->id.number, &found);
    if (err != FK_OK)
        return err;
    if (found != 0) {
        if (existing_id != NULL)
            *existing_id = found;
        return FK_ERR_CONFLICT;
    }
    fk_pii_blind(key, "id_number", p->id.number, id_blind);
    err = fk_pii_seal(key, "id_number", p->id.number, &id_sealed);
    if (err == FK_OK && p->phone[0] != '\0') {
        fk_pii_blind(key, "phone", p->phone, phone_blind);
        err = fk_pii_seal(key, "phone", p->phone, &phone_sealed);
    }
    if (err != FK_OK)
        goto done;
    int64_t new_id = 0;
    err = fk_db_run(db, &new_id,
                    "INSERT INTO persons(id_sealed, id_blind, name, sex, birth_date, phone_sealed, "
                    "phone_blind, household_id, region, address, created_at, updated_at) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    "ttti"
                    "t"
                    "tt"
                    "z"
                    "tt"
                    "ii",
                    id_sealed, id_blind, p->name, (int64_t)p->id.sex, p->id.birth_date,
                    phone_sealed, phone_sealed ? phone_blind : NULL, p->household_id,
                    p->region.code, p->address, now, now);
    if (err == FK_OK && id != NULL)
        *id = new_id;
done:
    free(id_sealed);
    free(phone_sealed);
    return err;
}

static enum fk_err set_categories(struct fk_conn *db, int64_t id, const char *categories)
{
    return fk_db_run(db, NULL, "UPDATE persons SET categories = ? WHERE id = ?", "ti", categories,
                     id);
}

/* Commits when *err is FK_OK, else (or when the commit fails) rolls back. */
static enum fk_err finish(struct fk_conn *db, enum fk_err err)
{
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}

/* Writes `audit` naming record `id` (when not 0) as its target. */
static enum fk_err audit_target(struct fk_conn *db, const struct fk_audit_entry *audit, int64_t id)
{
    char id_text[24];
    struct fk_audit_entry e = *audit;
    if (id != 0) {
        snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
        e.target_id = id_text;
    }
    return fk_audit_write(db, &e);
}

enum fk_err fk_residents_create(struct fk_conn *db, const struct fk_pii_key *key,
                                const struct fk_person_valid *person, const char *categories,
                                int64_t now, struct fk_audit_entry *audit, int64_t *id,
                                int64_t *existing_id)
{
    int64_t new_id = 0;
    *existing_id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_person_insert(db, key, person, now, &new_id, existing_id);
    if (err == FK_OK && categories != NULL)
        err = set_categories(db, new_id, categories);
    if (err == FK_OK) {
        audit->person_id = new_id;
        err = audit_target(db, audit, new_id);
    }
    err = finish(db, err);
    if (err == FK_ERR_CONFLICT && *existing_id == 0 &&
        fk_person_find_by_id_number(db, key, person->id.number, existing_id) != FK_OK)
        *existing_id = 0; /* registered by a concurrent request: still a conflict */
    if (err == FK_OK)
        *id = new_id;
    return err;
}

enum fk_err fk_residents_update(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                                const struct fk_person_valid *p, const char *categories,
                                int64_t now, const struct fk_audit_entry *audit)
{
    char *phone_sealed = NULL;
    char phone_blind[FK_BLIND_LEN] = "";
    enum fk_err err = FK_OK;
    if (p->phone[0] != '\0') {
        fk_pii_blind(key, "phone", p->phone, phone_blind);
        err = fk_pii_seal(key, "phone", p->phone, &phone_sealed);
    }
    if (err == FK_OK)
        err = fk_db_begin(db);
    if (err != FK_OK) {
        free(phone_sealed);
        return err;
    }
    err = fk_db_run(db, NULL,
                    "UPDATE persons SET name = ?, phone_sealed = ?, phone_blind = ?, "
                    "region = ?, address = ?, household_id = ?, updated_at = ? WHERE id = ?",
                    "ttttt"
                    "z"
                    "ii",
                    p->name, phone_sealed, phone_sealed ? phone_blind : NULL, p->region.code,
                    p->address, p->household_id, now, id);
    if (err == FK_OK && categories != NULL)
        err = set_categories(db, id, categories);
    if (err == FK_OK)
        err = audit_target(db, audit, id);
    free(phone_sealed);
    return finish(db, err);
}

enum fk_err fk_person_add_category(struct fk_conn *db, int64_t person_id, const char *category,
                                   int64_t now)
{
    return fk_db_run(db, NULL,
                     "UPDATE persons SET categories = CASE WHEN categories = '' THEN ? "
                     "WHEN (',' || categories || ',') LIKE '%,' || ? || ',%' THEN categories "
                     "ELSE ? || ',' || categories END, updated_at = ? WHERE id = ?",
                     "tttii", category, category, category, now, person_id);
}

/* --- duplicates and merges --- */

enum fk_err fk_residents_duplicates(struct fk_conn *db, const char *scope, int64_t page,
                                    int64_t per_page, int64_t *total, fk_duplicate_group_fn group,
                                    fk_person_fn each, void *ctx)
{
    /* Same name, birth date and phone (an unknown phone matches only another
     * unknown phone). Same ID number cannot be stored twice (unique blind
     * index), so that kind of duplicate is refused at registration. */
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "p.region", scope);
    fk_where_add(&w, "p.merged_into IS NULL", "");
    static const char groups[] =
        " GROUP BY p.name, p.birth_date, COALESCE(p.phone_blind, '') HAVING COUNT(*) > 1";
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM (SELECT 1 FROM persons p%s%s) g", w.sql,
             groups);
    enum fk_err err = fk_where_count(db, sql, &w, total);
    if (err != FK_OK)
        return err;
    snprintf(sql, sizeof(sql),
             "SELECT p.name, p.birth_date, COALESCE(p.phone_blind, '') FROM persons p%s%s "
             "ORDER BY p.birth_date, p.name LIMIT ? OFFSET ?",
             w.sql, groups);
    struct fk_stmt *st = NULL;
    int idx = 1;
    err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_where_bind(st, &w, &idx);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, per_page);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        char key[64];
        snprintf(key, sizeof(key), "%s|%s", fk_stmt_text(st, 1), fk_stmt_text(st, 0));
        struct fk_where m;
        fk_where_init(&m);
        fk_where_region(&m, "p.region", scope);
        fk_where_add(&m,
                     "p.merged_into IS NULL AND p.name = ? AND p.birth_date = ? AND "
                     "COALESCE(p.phone_blind, '') = ?",
                     "ttt", fk_stmt_text(st, 0), fk_stmt_text(st, 1), fk_stmt_text(st, 2));
        char member_sql[1536];
        snprintf(member_sql, sizeof(member_sql),
                 "SELECT " PERSON_COLUMNS PERSON_FROM "%s ORDER BY p.id LIMIT 20", m.sql);
        err = group(key, ctx);
        if (err == FK_OK)
            err = fk_where_each(db, member_sql, &m, NULL, 0, person_row,
                                &(struct person_rows){each, ctx}, NULL, NULL);
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

/* The union of two category lists, `keep`'s order first, into `out`. */
static void categories_union(const char *keep, const char *other, char *out, size_t size)
{
    snprintf(out, size, "%s", keep);
    const char *p = other;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char needle[40], haystack[264];
        if (len > 0 && len < 32) {
            snprintf(needle, sizeof(needle), ",%.*s,", (int)len, p);
            snprintf(haystack, sizeof(haystack), ",%s,", out);
            if (strstr(haystack, needle) == NULL) {
                size_t used = strlen(out);
                snprintf(out + used, size - used, "%s%.*s", used ? "," : "", (int)len, p);
            }
        }
        p += len + (comma ? 1 : 0);
    }
}

static enum fk_err history(struct fk_conn *db, int64_t person_id, int64_t now, const char *actor,
                           const char *action, int64_t other)
{
    char detail[96];
    snprintf(detail, sizeof(detail), "{\"other\":%lld}", (long long)other);
    return fk_db_run(db, NULL,
                     "INSERT INTO person_history(person_id, at, actor, action, detail) "
                     "VALUES (?, ?, ?, ?, ?)",
                     "iittt", person_id, now, actor, action, detail);
}

enum fk_err fk_residents_merge(struct fk_conn *db, int64_t keep, int64_t duplicate,
                               const char *prefix, const struct fk_audit_entry *audit,
                               const char **field)
{
    int64_t ids[2] = {keep, duplicate};
    const char *names[2] = {"id", "duplicate_id"};
    struct fk_person p[2];
    enum fk_err err = fk_db_begin(db);
    for (int i = 0; i < 2 && err == FK_OK; i++) {
        err = fk_residents_person_load(db, ids[i], prefix, &p[i]);
        if (err == FK_OK && p[i].merged_into != 0)
            err = FK_ERR_CONFLICT;
        if (err != FK_OK)
            *field = names[i];
    }
    int64_t now = fk_now();
    if (err == FK_OK && p[0].household_id == 0 && p[1].household_id != 0)
        err = fk_db_run(db, NULL, "UPDATE persons SET household_id = ? WHERE id = ?", "ii",
                        p[1].household_id, keep);
    if (err == FK_OK && p[0].phone_sealed[0] == '\0' && p[1].phone_sealed[0] != '\0')
        err = fk_db_run(db, NULL,
                        "UPDATE persons SET phone_sealed = ?, phone_blind = (SELECT phone_blind "
                        "FROM persons WHERE id = ?) WHERE id = ?",
                        "tii", p[1].phone_sealed, duplicate, keep);
    if (err == FK_OK && p[1].categories[0] != '\0') {
        char merged[260];
        categories_union(p[0].categories, p[1].categories, merged, sizeof(merged));
        err = set_categories(db, keep, merged);
    }
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE persons SET merged_into = ?, updated_at = ? WHERE id = ?",
                        "iii", keep, now, duplicate);
    if (err == FK_OK)
        err =
            fk_db_run(db, NULL, "UPDATE persons SET updated_at = ? WHERE id = ?", "ii", now, keep);
    if (err == FK_OK)
        err = history(db, keep, now, audit->actor, "merged_from", duplicate);
    if (err == FK_OK)
        err = history(db, duplicate, now, audit->actor, "merged_into", keep);
    if (err == FK_OK)
        err = audit_target(db, audit, keep);
    return finish(db, err);
}

/* --- households --- */

enum fk_err fk_household_region(struct fk_conn *db, int64_t id, char region[FK_REGION_CODE_LEN])
{
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT region FROM households WHERE id = ?", "i", id);
    if (err != FK_OK)
        return err;
    if (row)
        copy_text(region, FK_REGION_CODE_LEN, fk_stmt_text(st, 0));
    fk_stmt_free(st);
    return row ? FK_OK : FK_ERR_NOT_FOUND;
}

enum fk_err fk_residents_household_save(struct fk_conn *db, int64_t id, const char *region,
                                        const char *address, int64_t head, const char *prefix,
                                        struct fk_audit_entry *audit, int64_t *new_id,
                                        const char **field)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    if (head != 0) {
        struct fk_person person;
        err = fk_person_get_in_scope(db, head, prefix, &person);
        if (err == FK_ERR_NOT_FOUND)
            *field = "head_person_id";
    }
    int64_t now = fk_now();
    int inserting = id == 0;
    if (err == FK_OK && inserting) {
        err = fk_db_run(db, &id,
                        "INSERT INTO households(region, address, head_person_id, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                        "ttzii", region, address, head, now, now);
        if (err == FK_OK && new_id != NULL)
            *new_id = id;
    } else if (err == FK_OK) {
        err = fk_db_run(db, NULL,
                        "UPDATE households SET region = ?, address = ?, head_person_id = ?, "
                        "updated_at = ? WHERE id = ?",
                        "ttzii", region, address, head, now, id);
    }
    /* The head belongs to the household they head. */
    if (err == FK_OK && head != 0)
        err =
            fk_db_run(db, NULL, "UPDATE persons SET household_id = ? WHERE id = ?", "ii", id, head);
    if (err == FK_OK)
        err = audit_target(db, audit, id);
    return finish(db, err);
}

#define HOUSEHOLD_COLUMNS                                                                          \
    "h.id, h.region, COALESCE(r.name, ''), h.address, COALESCE(h.head_person_id, 0), "             \
    "COALESCE(hp.name, ''), (SELECT COUNT(*) FROM persons m WHERE m.household_id = h.id AND "      \
    "m.merged_into IS NULL), h.created_at"
#define HOUSEHOLD_FROM                                                                             \
    " FROM households h LEFT JOIN regions r ON r.code = h.region LEFT JOIN persons hp ON "         \
    "hp.id = h.head_person_id"

/* A household callback for fk_where_each. */
struct household_rows {
    fk_household_fn each;
    void *ctx;
};

/* The current row (HOUSEHOLD_COLUMNS) into *ctx. */
static enum fk_err read_household(struct fk_stmt *st, void *ctx)
{
    struct fk_household *out = ctx, h;
    h.id = fk_stmt_int64(st, 0);
    copy_text(h.region, sizeof(h.region), fk_stmt_text(st, 1));
    copy_text(h.region_name, sizeof(h.region_name), fk_stmt_text(st, 2));
    copy_text(h.address, sizeof(h.address), fk_stmt_text(st, 3));
    h.head_person_id = fk_stmt_int64(st, 4);
    copy_text(h.head_name, sizeof(h.head_name), fk_stmt_text(st, 5));
    h.member_count = fk_stmt_int64(st, 6);
    h.created_at = fk_stmt_int64(st, 7);
    *out = h;
    return FK_OK;
}

static enum fk_err household_row(struct fk_stmt *st, void *ctx)
{
    struct household_rows *r = ctx;
    struct fk_household h;
    read_household(st, &h);
    return r->each(&h, r->ctx);
}

enum fk_err fk_residents_household_load(struct fk_conn *db, int64_t id, const char *prefix,
                                        struct fk_household *out)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "h.id = ?", "i", id);
    fk_where_region(&w, "h.region", prefix);
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT " HOUSEHOLD_COLUMNS HOUSEHOLD_FROM "%s", w.sql);
    return fk_where_one(db, sql, &w, read_household, out);
}

enum fk_err fk_residents_households(struct fk_conn *db, const char *scope, const char *q,
                                    int64_t page, int64_t per_page, int64_t *total,
                                    fk_household_fn each, void *ctx)
{
    char like[200];
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "h.region", scope);
    if (q != NULL) {
        like_pattern(q, like, sizeof(like));
        fk_where_add(&w, "h.address LIKE ? ESCAPE '!'", "t", like);
    }
    char sql[1536];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM households h%s", w.sql);
    enum fk_err err = fk_where_count(db, sql, &w, total);
    if (err != FK_OK)
        return err;
    snprintf(sql, sizeof(sql),
             "SELECT " HOUSEHOLD_COLUMNS HOUSEHOLD_FROM "%s ORDER BY h.id LIMIT ? OFFSET ?", w.sql);
    int64_t tail[2] = {per_page, (page - 1) * per_page};
    return fk_where_each(db, sql, &w, tail, 2, household_row, &(struct household_rows){each, ctx},
                         NULL, NULL);
}

enum fk_err fk_residents_scan_households(struct fk_conn *db, const char *scope,
                                         fk_household_fn each, void *ctx)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_region(&w, "h.region", scope);
    char sql[1536];
    snprintf(sql, sizeof(sql),
             "SELECT " HOUSEHOLD_COLUMNS HOUSEHOLD_FROM "%s AND h.id > ? ORDER BY h.id LIMIT %d",
             w.sql, BATCH);
    int64_t last = 0, rows;
    enum fk_err err;
    do {
        rows = 0;
        err = fk_where_each(db, sql, &w, &last, 1, household_row,
                            &(struct household_rows){each, ctx}, &last, &rows);
    } while (err == FK_OK && rows == BATCH);
    return err;
}

/* Collects members into a growing array (fk_household_get_in_scope). */
struct member_list {
    struct fk_person *items;
    size_t n;
};

static enum fk_err add_member(const struct fk_person *p, void *ctx)
{
    struct member_list *list = ctx;
    if (list->items == NULL) {
        list->items = malloc(FK_HOUSEHOLD_MEMBERS_MAX * sizeof(*list->items));
        if (list->items == NULL)
            return FK_ERR_NOMEM;
    }
    if (list->n < FK_HOUSEHOLD_MEMBERS_MAX)
        list->items[list->n++] = *p;
    return FK_OK;
}

enum fk_err fk_household_get_in_scope(struct fk_conn *db, int64_t id, const char *prefix,
                                      struct fk_household *out, struct fk_person **members,
                                      size_t *n_members)
{
    enum fk_err err = fk_residents_household_load(db, id, prefix, out);
    if (err != FK_OK || members == NULL)
        return err;
    struct member_list list = {NULL, 0};
    err = fk_residents_members(db, id, prefix, add_member, &list);
    if (err != FK_OK) {
        free(list.items);
        return err;
    }
    *members = list.items;
    *n_members = list.n;
    return FK_OK;
}
