/* Registry queries: search, load, update, merge, households. Every query is
 * limited to the caller's jurisdiction with fk_store_in_region. */
#include "audit/audit.h"
#include "core/clock.h"
#include "core/parse.h"
#include "residents/residents_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest code point in UTF-8: "name >= q AND name < q + this" is
 * exactly "name starts with q" under byte-wise comparison (SQLite BINARY,
 * PostgreSQL COLLATE "C", migration 0003). */
#define MAX_CODE_POINT "\xf4\x8f\xbf\xbf"

static const char *const address_words[] = {"小区", "楼", "号", "路", "街", "村", "单元", "室",
                                            "巷",   "组", "区", "苑", "院", "栋", "层"};

static const char *classify(const char *q)
{
    size_t len = strlen(q);
    int digits = 0;
    for (size_t i = 0; i < len; i++)
        digits += q[i] >= '0' && q[i] <= '9';
    if (len == 18 && (digits == 18 || (digits == 17 && (q[17] == 'X' || q[17] == 'x'))))
        return "id_number";
    if (len == 11 && digits == 11 && q[0] == '1')
        return "phone";
    if (digits > 0)
        return "address";
    for (size_t i = 0; i < sizeof(address_words) / sizeof(address_words[0]); i++)
        if (strstr(q, address_words[i]) != NULL)
            return "address";
    return "name";
}

int fk_residents_parse_query(struct fk_req *req, struct fk_person_query *query)
{
    query->match_kind = "all";
    const char *q = fk_req_query(req, "q");
    if (q != NULL && q[0] != '\0') {
        if (strlen(q) > 64) {
            fk_reply_error(req, 422, "invalid_field", "查询内容过长", "q");
            return -1;
        }
        query->q = q;
        query->match_kind = classify(q);
    }
    const char *category = fk_req_query(req, "category");
    if (category != NULL && category[0] != '\0') {
        static const char *const known[] = {"returnee", "key_person", "staff",
                                            "student",  "elderly",    "disabled"};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (strcmp(known[i], category) == 0)
                query->category = known[i];
        if (query->category == NULL) {
            fk_reply_error(req, 422, "invalid_field", "未知的人员类别", "category");
            return -1;
        }
    }
    const char *household = fk_req_query(req, "household_id");
    if (household != NULL && household[0] != '\0' &&
        fk_parse_int64(household, 1, INT64_MAX, &query->household_id) != FK_OK) {
        fk_reply_error(req, 422, "invalid_field", "户编号应为正整数", "household_id");
        return -1;
    }
    if (fk_query_time_or_reply(req, "from", &query->has_from, &query->from) != 0 ||
        fk_query_time_or_reply(req, "until", &query->has_until, &query->until) != 0)
        return -1;
    return 0;
}

void fk_residents_where(const struct fk_person_query *query, char *sql, size_t size)
{
    const char *match = "";
    if (query->q != NULL) {
        if (strcmp(query->match_kind, "id_number") == 0)
            match = " AND p.id_blind = ?";
        else if (strcmp(query->match_kind, "phone") == 0)
            match = " AND p.phone_blind = ?";
        else if (strcmp(query->match_kind, "address") == 0)
            match = " AND p.address LIKE ? ESCAPE '!'";
        else
            match = " AND p.name >= ? AND p.name < ?";
    }
    /* A name prefix is far more selective than a jurisdiction: keep the
     * planner off the region index by comparing an expression of the column
     * (SQLite has no statistics on ranges to tell the two apart). */
    int by_name = query->q != NULL && strcmp(query->match_kind, "name") == 0;
    snprintf(sql, size, " WHERE %s AND p.merged_into IS NULL%s%s%s%s%s",
             by_name ? "((p.region || '') >= ? AND (p.region || '') < ?)"
                     : "(p.region >= ? AND p.region < ?)",
             match, query->category ? " AND (',' || p.categories || ',') LIKE ?" : "",
             query->household_id ? " AND p.household_id = ?" : "",
             query->has_from ? " AND p.created_at >= ?" : "",
             query->has_until ? " AND p.created_at < ?" : "");
}

enum fk_err fk_residents_bind(struct fk_stmt *st, const struct fk_person_query *query,
                              const struct fk_pii_key *key, int *next)
{
    int idx = 1;
    enum fk_err err = fk_stmt_bind_region(st, idx, query->scope);
    idx += 2;
    if (err == FK_OK && query->q != NULL) {
        char text[200];
        if (strcmp(query->match_kind, "id_number") == 0) {
            char number[19];
            memcpy(number, query->q, 18);
            number[18] = '\0';
            if (number[17] == 'x')
                number[17] = 'X';
            char blind[FK_BLIND_LEN];
            fk_pii_blind(key, "id_number", number, blind);
            err = fk_stmt_bind_text(st, idx++, blind);
        } else if (strcmp(query->match_kind, "phone") == 0) {
            char blind[FK_BLIND_LEN];
            fk_pii_blind(key, "phone", query->q, blind);
            err = fk_stmt_bind_text(st, idx++, blind);
        } else if (strcmp(query->match_kind, "address") == 0) {
            /* LIKE with '!' as the escape for the user's own % and _. */
            size_t o = 0;
            text[o++] = '%';
            for (const char *p = query->q; *p != '\0' && o < sizeof(text) - 3; p++) {
                if (*p == '%' || *p == '_' || *p == '!')
                    text[o++] = '!';
                text[o++] = *p;
            }
            text[o++] = '%';
            text[o] = '\0';
            err = fk_stmt_bind_text(st, idx++, text);
        } else {
            snprintf(text, sizeof(text), "%s" MAX_CODE_POINT, query->q);
            err = fk_stmt_bind_text(st, idx++, query->q);
            if (err == FK_OK)
                err = fk_stmt_bind_text(st, idx++, text);
        }
    }
    if (err == FK_OK && query->category) {
        char pattern[40];
        snprintf(pattern, sizeof(pattern), "%%,%s,%%", query->category);
        err = fk_stmt_bind_text(st, idx++, pattern);
    }
    if (err == FK_OK && query->household_id)
        err = fk_stmt_bind_int64(st, idx++, query->household_id);
    if (err == FK_OK && query->has_from)
        err = fk_stmt_bind_int64(st, idx++, query->from);
    if (err == FK_OK && query->has_until)
        err = fk_stmt_bind_int64(st, idx++, query->until);
    *next = idx;
    return err;
}

enum fk_err fk_residents_search(struct fk_req *req, struct fk_conn *db,
                                const struct fk_person_query *query, int64_t page, int64_t per_page,
                                json_t **items, int64_t *total)
{
    char where[512], sql[1024];
    fk_residents_where(query, where, sizeof(where));
    struct fk_stmt *st = NULL;
    int idx;
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM persons p%s", where);
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_residents_bind(st, query, &req->app->pii_key, &idx);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        *total = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    if (err != FK_OK)
        return err;
    *items = json_array();
    if (*total == 0)
        return FK_OK;
    /* Name searches come back in the name index's order, so LIMIT stops
     * early; everything else in the jurisdiction index's order. */
    int by_name = query->q != NULL && strcmp(query->match_kind, "name") == 0;
    snprintf(sql, sizeof(sql),
             "SELECT " FK_PERSON_COLUMNS FK_PERSON_FROM "%s ORDER BY %s LIMIT ? OFFSET ?", where,
             by_name ? "p.name, p.region, p.id" : "p.region, p.id");
    err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_residents_bind(st, query, &req->app->pii_key, &idx);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, per_page);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        json_array_append_new(*items, fk_person_json(st, &req->app->pii_key, req->actor.role));
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_err fk_residents_load_person(struct fk_req *req, struct fk_conn *db, int64_t id,
                                     json_t **out)
{
    char in_region[96], sql[640];
    fk_store_in_region("p.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT " FK_PERSON_COLUMNS ", COALESCE(p.merged_into, 0)" FK_PERSON_FROM
             " WHERE p.id = ? AND %s",
             in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK) {
        *out = fk_person_json(st, &req->app->pii_key, req->actor.role);
        int64_t merged = fk_stmt_int64(st, 13);
        json_object_set_new(*out, "merged_into",
                            merged ? json_integer((json_int_t)merged) : json_null());
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}

enum fk_err fk_residents_attach_members(struct fk_req *req, struct fk_conn *db, json_t *household,
                                        int64_t id)
{
    char in_region[96], sql[640];
    fk_store_in_region("p.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT " FK_PERSON_COLUMNS FK_PERSON_FROM
             " WHERE p.household_id = ? AND p.merged_into IS NULL AND %s ORDER BY p.id LIMIT 50",
             in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    json_t *members = json_array();
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        json_array_append_new(members, fk_person_json(st, &req->app->pii_key, req->actor.role));
    fk_stmt_free(st);
    json_object_set_new(household, "members", members);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_err fk_residents_attach_household(struct fk_req *req, struct fk_conn *db, json_t *person)
{
    json_t *hid = json_object_get(person, "household_id");
    if (!json_is_integer(hid)) {
        json_object_set_new(person, "household", json_null());
        return FK_OK;
    }
    json_t *household = NULL;
    enum fk_err err = fk_residents_load_household(req, db, json_integer_value(hid), &household);
    if (err == FK_ERR_NOT_FOUND) {
        json_object_set_new(person, "household", json_null());
        return FK_OK;
    }
    if (err == FK_OK)
        err = fk_residents_attach_members(req, db, household, json_integer_value(hid));
    if (err != FK_OK) {
        json_decref(household);
        return err;
    }
    json_object_set_new(person, "household", household);
    return FK_OK;
}

static void open_into(const struct fk_pii_key *key, const char *context, const char *sealed,
                      char *out, size_t size)
{
    out[0] = '\0';
    char *plain = NULL;
    if (sealed != NULL && fk_pii_open(key, context, sealed, &plain) == FK_OK) {
        snprintf(out, size, "%s", plain);
        sodium_memzero(plain, strlen(plain));
        free(plain);
    }
}

enum fk_err fk_residents_load_current(struct fk_req *req, struct fk_conn *db, int64_t id,
                                      struct fk_person_current *out)
{
    char in_region[96], sql[384];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT id_sealed, name, phone_sealed, region, address, COALESCE(household_id, 0) "
             "FROM persons WHERE id = ? AND merged_into IS NULL AND %s",
             in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK) {
        open_into(&req->app->pii_key, "id_number", fk_stmt_text(st, 0), out->id_number,
                  sizeof(out->id_number));
        snprintf(out->name, sizeof(out->name), "%s", fk_stmt_text(st, 1));
        open_into(&req->app->pii_key, "phone", fk_stmt_text(st, 2), out->phone, sizeof(out->phone));
        snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 3));
        snprintf(out->address, sizeof(out->address), "%s", fk_stmt_text(st, 4));
        out->household_id = fk_stmt_int64(st, 5);
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}

enum fk_err fk_residents_update(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                                const struct fk_person_valid *p, const char *categories,
                                int64_t now)
{
    char *phone_sealed = NULL;
    char phone_blind[FK_BLIND_LEN] = "";
    enum fk_err err = FK_OK;
    if (p->phone[0] != '\0') {
        fk_pii_blind(key, "phone", p->phone, phone_blind);
        err = fk_pii_seal(key, "phone", p->phone, &phone_sealed);
    }
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE persons SET name = ?, phone_sealed = ?, phone_blind = ?, "
                        "region = ?, address = ?, household_id = ?, updated_at = ? WHERE id = ?",
                        "ttttt"
                        "z"
                        "ii",
                        p->name, phone_sealed, phone_sealed ? phone_blind : NULL, p->region.code,
                        p->address, p->household_id, now, id);
    if (err == FK_OK && categories != NULL)
        err = fk_db_run(db, NULL, "UPDATE persons SET categories = ? WHERE id = ?", "ti",
                        categories, id);
    free(phone_sealed);
    return err;
}

enum fk_err fk_residents_duplicates(struct fk_req *req, struct fk_conn *db, const char *scope,
                                    int64_t page, int64_t per_page, json_t **items, int64_t *total)
{
    /* Same name, birth date and phone (an unknown phone matches only another
     * unknown phone). Same ID number cannot be stored twice (unique blind
     * index), so that kind of duplicate is refused at registration. */
    static const char groups[] =
        " FROM persons p WHERE (p.region >= ? AND p.region < ?) AND p.merged_into IS NULL "
        "GROUP BY p.name, p.birth_date, COALESCE(p.phone_blind, '') HAVING COUNT(*) > 1";
    char sql[1024];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM (SELECT 1%s) g", groups);
    struct fk_stmt *st, *members = NULL;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 1, scope);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        *total = fk_stmt_int64(st, 0);
    fk_stmt_free(st);
    if (err != FK_OK)
        return err;
    *items = json_array();
    snprintf(sql, sizeof(sql),
             "SELECT p.name, p.birth_date, COALESCE(p.phone_blind, '')%s "
             "ORDER BY p.birth_date, p.name LIMIT ? OFFSET ?",
             groups);
    err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 1, scope);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 3, per_page);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 4, (page - 1) * per_page);
    char member_sql[768];
    snprintf(member_sql, sizeof(member_sql),
             "SELECT " FK_PERSON_COLUMNS FK_PERSON_FROM
             " WHERE (p.region >= ? AND p.region < ?) AND p.merged_into IS NULL AND p.name = ? "
             "AND p.birth_date = ? AND COALESCE(p.phone_blind, '') = ? ORDER BY p.id LIMIT 20");
    if (err == FK_OK)
        err = fk_stmt_prepare(db, member_sql, &members);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        json_t *persons = json_array();
        err = fk_stmt_bind_region(members, 1, scope);
        if (err == FK_OK)
            err = fk_stmt_bind_text(members, 3, fk_stmt_text(st, 0));
        if (err == FK_OK)
            err = fk_stmt_bind_text(members, 4, fk_stmt_text(st, 1));
        if (err == FK_OK)
            err = fk_stmt_bind_text(members, 5, fk_stmt_text(st, 2));
        while (err == FK_OK && (err = fk_stmt_step(members)) == FK_OK)
            json_array_append_new(persons,
                                  fk_person_json(members, &req->app->pii_key, req->actor.role));
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_reset(members);
        char key[64];
        snprintf(key, sizeof(key), "%s|%s", fk_stmt_text(st, 1), fk_stmt_text(st, 0));
        json_array_append_new(*items, json_pack("{s:s,s:o}", "key", key, "persons", persons));
    }
    fk_stmt_free(members);
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

enum fk_err fk_residents_merge(struct fk_req *req, struct fk_conn *db, int64_t keep,
                               int64_t duplicate, const char **field)
{
    char in_region[96], sql[384];
    fk_store_in_region("region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql),
             "SELECT COALESCE(merged_into, 0), COALESCE(household_id, 0), categories, "
             "phone_sealed, phone_blind FROM persons WHERE id = ? AND %s",
             in_region);
    int64_t ids[2] = {keep, duplicate};
    const char *names[2] = {"id", "duplicate_id"};
    int64_t household[2] = {0, 0};
    char categories[2][128];
    char *phone_sealed = NULL, phone_blind[FK_BLIND_LEN] = "";
    int keep_has_phone = 0;
    enum fk_err err = FK_OK;
    for (int i = 0; i < 2 && err == FK_OK; i++) {
        struct fk_stmt *st;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, 1, ids[i]);
        if (err == FK_OK)
            err = fk_stmt_bind_region(st, 2, req->actor.prefix);
        if (err == FK_OK)
            err = fk_stmt_step(st);
        if (err == FK_ERR_DONE)
            err = FK_ERR_NOT_FOUND;
        if (err == FK_OK && fk_stmt_int64(st, 0) != 0)
            err = FK_ERR_CONFLICT;
        if (err == FK_OK) {
            household[i] = fk_stmt_int64(st, 1);
            snprintf(categories[i], sizeof(categories[i]), "%s",
                     fk_stmt_text(st, 2) ? fk_stmt_text(st, 2) : "");
            if (i == 0)
                keep_has_phone = !fk_stmt_is_null(st, 3);
            else if (!fk_stmt_is_null(st, 3)) {
                phone_sealed = strdup(fk_stmt_text(st, 3));
                snprintf(phone_blind, sizeof(phone_blind), "%s", fk_stmt_text(st, 4));
            }
        }
        if (err != FK_OK)
            *field = names[i];
        fk_stmt_free(st);
    }
    int64_t now = fk_now();
    if (err == FK_OK && household[0] == 0 && household[1] != 0)
        err = fk_db_run(db, NULL, "UPDATE persons SET household_id = ? WHERE id = ?", "ii",
                        household[1], keep);
    if (err == FK_OK && !keep_has_phone && phone_sealed != NULL)
        err =
            fk_db_run(db, NULL, "UPDATE persons SET phone_sealed = ?, phone_blind = ? WHERE id = ?",
                      "tti", phone_sealed, phone_blind, keep);
    if (err == FK_OK && categories[1][0] != '\0') {
        /* Union of the two category lists, keep's order first. */
        char merged[260];
        snprintf(merged, sizeof(merged), "%s", categories[0]);
        char *copy = strdup(categories[1]);
        for (char *save = NULL, *item = copy ? strtok_r(copy, ",", &save) : NULL; item != NULL;
             item = strtok_r(NULL, ",", &save)) {
            char needle[40];
            snprintf(needle, sizeof(needle), ",%s,", item);
            char haystack[264];
            snprintf(haystack, sizeof(haystack), ",%s,", merged);
            if (strstr(haystack, needle) == NULL) {
                size_t used = strlen(merged);
                snprintf(merged + used, sizeof(merged) - used, "%s%s", used ? "," : "", item);
            }
        }
        free(copy);
        err = fk_db_run(db, NULL, "UPDATE persons SET categories = ? WHERE id = ?", "ti", merged,
                        keep);
    }
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE persons SET merged_into = ?, updated_at = ? WHERE id = ?",
                        "iii", keep, now, duplicate);
    if (err == FK_OK)
        err =
            fk_db_run(db, NULL, "UPDATE persons SET updated_at = ? WHERE id = ?", "ii", now, keep);
    char detail[96];
    snprintf(detail, sizeof(detail), "{\"other\":%lld}", (long long)duplicate);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "INSERT INTO person_history(person_id, at, actor, action, detail) "
                        "VALUES (?, ?, ?, 'merged_from', ?)",
                        "iitt", keep, now, req->actor.username, detail);
    snprintf(detail, sizeof(detail), "{\"other\":%lld}", (long long)keep);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "INSERT INTO person_history(person_id, at, actor, action, detail) "
                        "VALUES (?, ?, ?, 'merged_into', ?)",
                        "iitt", duplicate, now, req->actor.username, detail);
    free(phone_sealed);
    return err;
}

enum fk_err fk_residents_household_save(struct fk_req *req, struct fk_conn *db, int64_t id,
                                        const char *region, const char *address, int64_t head,
                                        int64_t *new_id, const char **field)
{
    enum fk_err err = FK_OK;
    if (head != 0) {
        char in_region[96], sql[256];
        fk_store_in_region("region", in_region, sizeof(in_region));
        snprintf(sql, sizeof(sql),
                 "SELECT 1 FROM persons WHERE id = ? AND merged_into IS NULL AND %s", in_region);
        struct fk_stmt *st;
        err = fk_stmt_prepare(db, sql, &st);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, 1, head);
        if (err == FK_OK)
            err = fk_stmt_bind_region(st, 2, req->actor.prefix);
        if (err == FK_OK)
            err = fk_stmt_step(st);
        fk_stmt_free(st);
        if (err == FK_ERR_DONE) {
            *field = "head_person_id";
            return FK_ERR_NOT_FOUND;
        }
        if (err != FK_OK)
            return err;
    }
    int64_t now = fk_now();
    if (id == 0) {
        err = fk_db_run(db, &id,
                        "INSERT INTO households(region, address, head_person_id, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                        "ttzii", region, address, head, now, now);
        if (err == FK_OK && new_id != NULL)
            *new_id = id;
    } else {
        err = fk_db_run(db, NULL,
                        "UPDATE households SET region = ?, address = ?, head_person_id = ?, "
                        "updated_at = ? WHERE id = ?",
                        "ttzii", region, address, head, now, id);
    }
    /* The head belongs to the household they head. */
    if (err == FK_OK && head != 0)
        err =
            fk_db_run(db, NULL, "UPDATE persons SET household_id = ? WHERE id = ?", "ii", id, head);
    return err;
}

#define HOUSEHOLD_COLUMNS                                                                          \
    "h.id, h.region, COALESCE(r.name, ''), h.address, COALESCE(h.head_person_id, 0), "             \
    "COALESCE(hp.name, ''), (SELECT COUNT(*) FROM persons m WHERE m.household_id = h.id AND "      \
    "m.merged_into IS NULL), h.created_at"
#define HOUSEHOLD_FROM                                                                             \
    " FROM households h LEFT JOIN regions r ON r.code = h.region LEFT JOIN persons hp ON "         \
    "hp.id = h.head_person_id"

static json_t *household_json(struct fk_stmt *st)
{
    char created[FK_RFC3339_LEN];
    fk_time_format(fk_stmt_int64(st, 7), created);
    int64_t head = fk_stmt_int64(st, 4);
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:s?,s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 0),
                     "region", fk_stmt_text(st, 1), "region_name", fk_stmt_text(st, 2), "address",
                     fk_stmt_text(st, 3), "head_person_id",
                     head ? json_integer((json_int_t)head) : json_null(), "head_name",
                     head ? fk_stmt_text(st, 5) : NULL, "member_count",
                     (json_int_t)fk_stmt_int64(st, 6), "created_at", created);
}

enum fk_err fk_residents_load_household(struct fk_req *req, struct fk_conn *db, int64_t id,
                                        json_t **out)
{
    char in_region[96], sql[768];
    fk_store_in_region("h.region", in_region, sizeof(in_region));
    snprintf(sql, sizeof(sql), "SELECT " HOUSEHOLD_COLUMNS HOUSEHOLD_FROM " WHERE h.id = ? AND %s",
             in_region);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, req->actor.prefix);
    if (err == FK_OK)
        err = fk_stmt_step(st);
    if (err == FK_OK)
        *out = household_json(st);
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_ERR_NOT_FOUND : err;
}

enum fk_err fk_residents_households(struct fk_req *req, struct fk_conn *db, const char *scope,
                                    const char *q, int64_t page, int64_t per_page, json_t **items,
                                    int64_t *total)
{
    char where[160], sql[1024], like[200];
    snprintf(where, sizeof(where), " WHERE (h.region >= ? AND h.region < ?)%s",
             q ? " AND h.address LIKE ? ESCAPE '!'" : "");
    if (q != NULL) {
        size_t o = 0;
        like[o++] = '%';
        for (const char *p = q; *p != '\0' && o < sizeof(like) - 3; p++) {
            if (*p == '%' || *p == '_' || *p == '!')
                like[o++] = '!';
            like[o++] = *p;
        }
        like[o++] = '%';
        like[o] = '\0';
    }
    enum fk_err err = FK_OK;
    *items = json_array();
    for (int pass = 0; pass < 2 && err == FK_OK; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM households h%s", where);
        else
            snprintf(sql, sizeof(sql),
                     "SELECT " HOUSEHOLD_COLUMNS HOUSEHOLD_FROM "%s ORDER BY h.id LIMIT ? OFFSET ?",
                     where);
        struct fk_stmt *st;
        if ((err = fk_stmt_prepare(db, sql, &st)) != FK_OK)
            break;
        int idx = 1;
        err = fk_stmt_bind_region(st, idx, scope);
        idx += 2;
        if (err == FK_OK && q)
            err = fk_stmt_bind_text(st, idx++, like);
        if (err == FK_OK && pass == 1) {
            err = fk_stmt_bind_int64(st, idx++, per_page);
            if (err == FK_OK)
                err = fk_stmt_bind_int64(st, idx++, (page - 1) * per_page);
        }
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            if (pass == 0)
                *total = fk_stmt_int64(st, 0);
            else
                json_array_append_new(*items, household_json(st));
        }
        if (err == FK_ERR_DONE)
            err = FK_OK;
        fk_stmt_free(st);
    }
    return err;
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
