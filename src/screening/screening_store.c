/* The screening store: the only place with the module's SQL (tables
 * screening_campaigns, screening_grids, screening_visits, screening_arrivals,
 * screening_household_state). Everything that returns personal data is
 * limited to a scope inside the caller's jurisdiction (fk_campaign_scope,
 * never wider than the caller's prefix). Changes that span statements hold
 * their own transaction and write their audit entries in it. It takes a
 * struct fk_caller (http/caller.h), never an HTTP request. */
#include "core/clock.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "accounts/accounts.h"
#include "http/keyset.h"
#include "residents/residents.h"
#include "screening/screening_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAMPAIGN_COLUMNS                                                                           \
    "c.id, c.name, c.region, c.region_prefix, COALESCE(r.name, ''), c.starts_on, c.ends_on, "      \
    "c.other_provinces, c.areas_of_concern, c.created_by, c.created_at, c.updated_at "             \
    "FROM screening_campaigns c LEFT JOIN regions r ON r.code = c.region"

/* Per-household outcome counts, in this order after the group key. */
#define OUTCOME_SUMS                                                                               \
    "COUNT(h.id), SUM(CASE WHEN s.outcome = 'reached' THEN 1 ELSE 0 END), "                        \
    "SUM(CASE WHEN s.outcome = 'nobody_home' THEN 1 ELSE 0 END), "                                 \
    "SUM(CASE WHEN s.outcome = 'refused' THEN 1 ELSE 0 END)"

static void copy_text(char *out, size_t size, const char *text)
{
    snprintf(out, size, "%s", text ? text : "");
}

/* Runs the count and the page of a campaign list; *items new. */
static enum fk_err run_list(struct fk_conn *db, const struct fk_list_query *q, int64_t page,
                            int64_t per_page, json_t **items, int64_t *total)
{
    *total = 0;
    *items = json_array();
    if (*items == NULL)
        return FK_ERR_NOMEM;
    return fk_list_run(db, q, page, per_page, *items, total);
}

void fk_campaign_clear(struct fk_campaign *c)
{
    json_decref(c->areas);
    c->areas = NULL;
}

static void read_campaign(struct fk_stmt *st, struct fk_campaign *c)
{
    memset(c, 0, sizeof(*c));
    c->id = fk_stmt_int64(st, 0);
    copy_text(c->name, sizeof(c->name), fk_stmt_text(st, 1));
    copy_text(c->region, sizeof(c->region), fk_stmt_text(st, 2));
    copy_text(c->prefix, sizeof(c->prefix), fk_stmt_text(st, 3));
    copy_text(c->region_name, sizeof(c->region_name), fk_stmt_text(st, 4));
    copy_text(c->starts_on, sizeof(c->starts_on), fk_stmt_text(st, 5));
    copy_text(c->ends_on, sizeof(c->ends_on), fk_stmt_text(st, 6));
    c->other_provinces = fk_stmt_int64(st, 7) != 0;
    const char *areas = fk_stmt_text(st, 8);
    c->areas = areas ? json_loads(areas, 0, NULL) : NULL;
    if (!json_is_array(c->areas)) {
        json_decref(c->areas);
        c->areas = json_array();
    }
    c->created_by = fk_stmt_int64(st, 9);
    c->created_at = fk_stmt_int64(st, 10);
    c->updated_at = fk_stmt_int64(st, 11);
}

json_t *fk_campaign_json(const struct fk_campaign *c, int64_t now)
{
    char created[FK_RFC3339_LEN], updated[FK_RFC3339_LEN];
    fk_time_format(c->created_at, created);
    fk_time_format(c->updated_at, updated);
    int y, m, d;
    fk_civil_date(now, &y, &m, &d);
    char today[16];
    snprintf(today, sizeof(today), "%04d-%02d-%02d", y, m, d);
    const char *status = strcmp(today, c->starts_on) < 0 ? "upcoming"
                         : strcmp(today, c->ends_on) > 0 ? "ended"
                                                         : "active";
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:O,s:s,s:I,s:s,s:s}", "id", (json_int_t)c->id,
                     "name", c->name, "region", c->region, "region_name", c->region_name,
                     "starts_on", c->starts_on, "ends_on", c->ends_on, "other_provinces",
                     c->other_provinces, "areas_of_concern", c->areas, "status", status,
                     "created_by", (json_int_t)c->created_by, "created_at", created, "updated_at",
                     updated);
}

static int overlaps(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return strncmp(a, b, la < lb ? la : lb) == 0;
}

void fk_campaign_scope(const char *jurisdiction, const struct fk_campaign *c,
                       char scope[FK_REGION_CODE_LEN])
{
    const char *narrower = strlen(c->prefix) > strlen(jurisdiction) ? c->prefix : jurisdiction;
    snprintf(scope, FK_REGION_CODE_LEN, "%s", narrower);
}

enum fk_err fk_campaign_load(struct fk_conn *db, const char *jurisdiction, int64_t id,
                             struct fk_campaign *out)
{
    struct fk_stmt *st;
    int row;
    memset(out, 0, sizeof(*out));
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT " CAMPAIGN_COLUMNS " WHERE c.id = ?", "i", id);
    if (err != FK_OK)
        return err;
    if (row)
        read_campaign(st, out);
    fk_stmt_free(st);
    if (!row || jurisdiction[0] == '\0' || !overlaps(out->prefix, jurisdiction)) {
        fk_campaign_clear(out);
        return FK_ERR_NOT_FOUND;
    }
    return FK_OK;
}

enum fk_err fk_campaign_save(struct fk_conn *db, struct fk_campaign *c, int64_t user_id,
                             int64_t now)
{
    char *areas = json_dumps(c->areas, JSON_COMPACT);
    if (areas == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err;
    if (c->id == 0)
        err = fk_db_run(db, &c->id,
                        "INSERT INTO screening_campaigns(name, region, region_prefix, starts_on, "
                        "ends_on, other_provinces, areas_of_concern, created_by, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        "tttttitiii", c->name, c->region, c->prefix, c->starts_on, c->ends_on,
                        (int64_t)c->other_provinces, areas, user_id, now, now);
    else
        err = fk_db_run(db, NULL,
                        "UPDATE screening_campaigns SET name = ?, starts_on = ?, ends_on = ?, "
                        "other_provinces = ?, areas_of_concern = ?, updated_at = ? WHERE id = ?",
                        "tttitii", c->name, c->starts_on, c->ends_on, (int64_t)c->other_provinces,
                        areas, now, c->id);
    free(areas);
    return err;
}

static enum fk_err campaigns_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    const char *jurisdiction = ctx;
    enum fk_err err = fk_stmt_bind_region(st, *idx, jurisdiction);
    *idx += 2;
    if (err == FK_OK)
        err = fk_stmt_bind_text(st, (*idx)++, jurisdiction);
    return err;
}

static json_t *campaign_row(struct fk_stmt *st, void *ctx)
{
    const int64_t *now = ctx;
    struct fk_campaign c;
    read_campaign(st, &c);
    json_t *item = fk_campaign_json(&c, *now);
    fk_campaign_clear(&c);
    return item;
}

enum fk_err fk_campaign_list(struct fk_conn *db, const char *jurisdiction, int64_t page,
                             int64_t per_page, json_t **items, int64_t *total)
{
    /* Visible: inside the jurisdiction, or containing it (a district-wide
     * campaign for a township officer). */
#define VISIBLE                                                                                    \
    " WHERE (c.region_prefix >= ? AND c.region_prefix < ?) OR "                                    \
    "substr(?, 1, length(c.region_prefix)) = c.region_prefix"
    int64_t now = fk_now();
    struct fk_list_query q = {"SELECT COUNT(*) FROM screening_campaigns c" VISIBLE,
                              "SELECT " CAMPAIGN_COLUMNS VISIBLE
                              " ORDER BY c.id DESC LIMIT ? OFFSET ?",
                              campaigns_bind,
                              jurisdiction,
                              campaign_row,
                              &now};
#undef VISIBLE
    return run_list(db, &q, page, per_page, items, total);
}

enum fk_err fk_campaign_reflag(struct fk_conn *db, const struct fk_campaign *c)
{
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(
        db, "SELECT id, origin_code, concern FROM screening_arrivals WHERE campaign_id = ?", &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, c->id);
    json_t *changes = json_array();
    if (changes == NULL)
        err = FK_ERR_NOMEM;
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        int concern =
            fk_screening_concern(c->areas, c->other_provinces, c->region, fk_stmt_text(st, 1));
        if (concern != (fk_stmt_int64(st, 2) != 0))
            json_array_append_new(changes,
                                  json_pack("[I,i]", (json_int_t)fk_stmt_int64(st, 0), concern));
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    size_t i;
    json_t *change;
    json_array_foreach(changes, i, change)
    {
        if (err != FK_OK)
            break;
        err = fk_db_run(db, NULL, "UPDATE screening_arrivals SET concern = ? WHERE id = ?", "ii",
                        (int64_t)json_integer_value(json_array_get(change, 1)),
                        (int64_t)json_integer_value(json_array_get(change, 0)));
    }
    json_decref(changes);
    return err;
}

/* --- grids --- */

enum fk_err fk_grid_overlap(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                            const char *code, int64_t *other_user,
                            char other_region[FK_REGION_CODE_LEN])
{
    struct fk_stmt *st;
    int row;
    char low[24], high[24];
    fk_store_region_bounds(code, low, high);
    *other_user = 0;
    other_region[0] = '\0';
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT user_id, region FROM screening_grids WHERE campaign_id = ? AND user_id <> ? AND "
        "((region >= ? AND region < ?) OR substr(?, 1, length(region)) = region) "
        "ORDER BY region LIMIT 1",
        "iittt", campaign_id, user_id, low, high, code);
    if (err != FK_OK)
        return err;
    if (row) {
        *other_user = fk_stmt_int64(st, 0);
        copy_text(other_region, FK_REGION_CODE_LEN, fk_stmt_text(st, 1));
    }
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_grid_replace(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                            const char *const *codes, size_t n, int64_t actor_id, int64_t now)
{
    enum fk_err err =
        fk_db_run(db, NULL, "DELETE FROM screening_grids WHERE campaign_id = ? AND user_id = ?",
                  "ii", campaign_id, user_id);
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        char low[24], high[24];
        fk_store_region_bounds(codes[i], low, high);
        err = fk_db_run(db, NULL,
                        "INSERT INTO screening_grids(campaign_id, user_id, region, low, high, "
                        "assigned_by, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        "iittti"
                        "i",
                        campaign_id, user_id, codes[i], low, high, actor_id, now);
    }
    return err;
}

enum fk_err fk_grid_json(struct fk_conn *db, int64_t campaign_id, int64_t user_id, json_t **out)
{
    struct fk_stmt *st;
    struct fk_user u;
    *out = NULL;
    enum fk_err err = fk_user_get(db, user_id, &u);
    if (err != FK_OK)
        return err;
    json_t *grid =
        json_pack("{s:I,s:s,s:s,s:s,s:[],s:I,s:I}", "user_id", (json_int_t)user_id, "username",
                  u.username, "display_name", u.display_name, "user_region", u.region, "regions",
                  "households", (json_int_t)0, "reached", (json_int_t)0);
    if (grid == NULL)
        return FK_ERR_NOMEM;
    /* One indexed range count per region: a worker has a few compounds. */
    err = fk_stmt_prepare(
        db,
        "SELECT g.region, COALESCE(r.name, ''), COALESCE(r.level, 0), " OUTCOME_SUMS
        " FROM screening_grids g LEFT JOIN regions r ON r.code = g.region "
        "LEFT JOIN household_directory h ON h.region >= g.low AND h.region < g.high "
        "LEFT JOIN screening_household_state s ON s.campaign_id = g.campaign_id AND "
        "s.household_id = h.id WHERE g.campaign_id = ? AND g.user_id = ? "
        "GROUP BY g.region, r.name, r.level ORDER BY g.region",
        &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, campaign_id);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 2, user_id);
    int64_t households = 0, reached = 0;
    json_t *regions = json_object_get(grid, "regions");
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        households += fk_stmt_int64(st, 3);
        reached += fk_stmt_int64(st, 4);
        json_array_append_new(regions, json_pack("{s:s,s:s,s:I,s:I,s:I}", "code",
                                                 fk_stmt_text(st, 0), "name", fk_stmt_text(st, 1),
                                                 "level", (json_int_t)fk_stmt_int64(st, 2),
                                                 "households", (json_int_t)fk_stmt_int64(st, 3),
                                                 "reached", (json_int_t)fk_stmt_int64(st, 4)));
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    json_object_set_new(grid, "households", json_integer(households));
    json_object_set_new(grid, "reached", json_integer(reached));
    if (err != FK_OK) {
        json_decref(grid);
        return err;
    }
    *out = grid;
    return FK_OK;
}

enum fk_err fk_grid_list(struct fk_conn *db, int64_t campaign_id, const char *scope, int64_t page,
                         int64_t per_page, json_t **items, int64_t *total)
{
    struct fk_stmt *st;
    int row;
    char low[24], high[24];
    fk_store_region_bounds(scope, low, high);
    *items = json_array();
    *total = 0;
    if (*items == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT COUNT(DISTINCT user_id) FROM screening_grids WHERE "
                                  "campaign_id = ? AND region >= ? AND region < ?",
                                  "itt", campaign_id, low, high);
    if (err != FK_OK)
        return err;
    *total = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    err = fk_stmt_prepare(db,
                          "SELECT DISTINCT user_id FROM screening_grids WHERE campaign_id = ? AND "
                          "region >= ? AND region < ? ORDER BY user_id LIMIT ? OFFSET ?",
                          &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, campaign_id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, scope);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 4, per_page);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 5, (page - 1) * per_page);
    json_t *ids = json_array();
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        json_array_append_new(ids, json_integer(fk_stmt_int64(st, 0)));
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        json_t *grid = NULL;
        if (err == FK_OK)
            err = fk_grid_json(db, campaign_id, json_integer_value(id), &grid);
        if (grid != NULL)
            json_array_append_new(*items, grid);
    }
    json_decref(ids);
    return err;
}

enum fk_err fk_grid_covers(struct fk_conn *db, int64_t campaign_id, int64_t user_id,
                           const char *region, int *covers)
{
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT 1 FROM screening_grids WHERE campaign_id = ? AND "
                                  "user_id = ? AND low <= ? AND high > ? LIMIT 1",
                                  "iitt", campaign_id, user_id, region, region);
    if (err != FK_OK)
        return err;
    *covers = row;
    fk_stmt_free(st);
    return FK_OK;
}

/* --- visits --- */

enum fk_err fk_visit_by_key(struct fk_conn *db, int64_t worker_id, const char *key,
                            int64_t *visit_id, int64_t *campaign_id)
{
    struct fk_stmt *st;
    int row;
    *visit_id = 0;
    *campaign_id = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT id, campaign_id FROM screening_visits WHERE worker_id = "
                                  "? AND idempotency_key = ?",
                                  "it", worker_id, key);
    if (err != FK_OK)
        return err;
    if (row) {
        *visit_id = fk_stmt_int64(st, 0);
        *campaign_id = fk_stmt_int64(st, 1);
    }
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_visit_household(struct fk_conn *db, int64_t id, char region[FK_REGION_CODE_LEN],
                               int *found)
{
    region[0] = '\0';
    enum fk_err err = fk_household_region(db, id, region);
    *found = err == FK_OK;
    return err == FK_ERR_NOT_FOUND ? FK_OK : err;
}

enum fk_err fk_visit_is_member(struct fk_conn *db, int64_t household_id, int64_t id, int *member)
{
    struct fk_person p;
    enum fk_err err = fk_person_get(db, id, &p);
    *member = err == FK_OK && p.household_id == household_id && p.merged_into == 0;
    return err == FK_ERR_NOT_FOUND ? FK_OK : err;
}

enum fk_err fk_visit_insert(struct fk_conn *db, const struct fk_visit_input *in, int64_t worker_id,
                            int64_t now, int64_t *visit_id)
{
    char *members = in->members ? json_dumps(in->members, JSON_COMPACT) : strdup("[]");
    if (members == NULL)
        return FK_ERR_NOMEM;
    char symptoms[256];
    fk_symptoms_format(in->symptoms, 0, symptoms, sizeof(symptoms));
    const char *outcome = fk_visit_outcome_name(in->outcome);
    enum fk_err err =
        fk_db_run(db, visit_id,
                  "INSERT INTO screening_visits(campaign_id, household_id, region, outcome, "
                  "members_present, symptoms, note, visited_at, worker_id, idempotency_key, "
                  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                  "iittttt"
                  "iiti",
                  in->campaign_id, in->household_id, in->region, outcome, members, symptoms,
                  in->note, in->visited_at, worker_id, in->idempotency_key, now);
    free(members);
    /* The household's state: "reached" is final; otherwise the visit made
     * latest (by visited_at, so that a late offline upload of an older visit
     * does not override a newer one) decides. */
    if (err == FK_OK)
        err = fk_db_run(
            db, NULL,
            "INSERT INTO screening_household_state(campaign_id, household_id, outcome, visits, "
            "last_visit_id, last_visited_at) VALUES (?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (campaign_id, household_id) DO UPDATE SET "
            "outcome = CASE WHEN screening_household_state.outcome = 'reached' "
            "OR excluded.outcome = 'reached' THEN 'reached' "
            "WHEN excluded.last_visited_at >= screening_household_state.last_visited_at "
            "THEN excluded.outcome ELSE screening_household_state.outcome END, "
            "visits = screening_household_state.visits + 1, "
            "last_visit_id = CASE WHEN excluded.last_visited_at >= "
            "screening_household_state.last_visited_at THEN excluded.last_visit_id "
            "ELSE screening_household_state.last_visit_id END, "
            "last_visited_at = CASE WHEN excluded.last_visited_at >= "
            "screening_household_state.last_visited_at THEN excluded.last_visited_at "
            "ELSE screening_household_state.last_visited_at END",
            "iitii", in->campaign_id, in->household_id, outcome, *visit_id, in->visited_at);
    return err;
}

enum fk_err fk_visit_add_arrival(struct fk_conn *db, const struct fk_visit_input *in,
                                 int64_t visit_id, const struct fk_visit_arrival *a, int64_t now)
{
    enum fk_err err = fk_db_run(
        db, NULL,
        "INSERT INTO screening_arrivals(visit_id, campaign_id, household_id, region, person_id, "
        "registered, origin_code, origin_name, arrived_on, concern, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "iiitiitttii", visit_id, in->campaign_id, in->household_id, in->region, a->person_id,
        (int64_t)a->registered, a->origin_code, a->origin_name, a->arrived_on, (int64_t)a->concern,
        now);
    if (err == FK_OK)
        err = fk_person_add_category(db, a->person_id, "returnee", now);
    return err;
}

/* An arrival row: a.id, a.person_id, p.name, p.id_sealed, p.phone_sealed,
 * a.origin_code, a.origin_name, a.arrived_on, a.registered, a.concern (cols 0–9). */
#define ARRIVAL_COLUMNS                                                                            \
    "a.id, a.person_id, COALESCE(p.name, ''), p.id_sealed, p.phone_sealed, a.origin_code, "        \
    "a.origin_name, a.arrived_on, a.registered, a.concern"

static json_t *arrival_json(const struct fk_caller *who, struct fk_stmt *st)
{
    char id_number[32], phone[32];
    fk_pii_open_masked(who->key, "id_number", fk_stmt_text(st, 3), fk_role_sees_full_id(who->role),
                       id_number, sizeof(id_number));
    fk_pii_open_masked(who->key, "phone", fk_stmt_text(st, 4), fk_role_sees_full_phone(who->role),
                       phone, sizeof(phone));
    return json_pack(
        "{s:I,s:I,s:s,s:s,s:s?,s:s,s:s,s:s,s:b,s:b}", "id", (json_int_t)fk_stmt_int64(st, 0),
        "person_id", (json_int_t)fk_stmt_int64(st, 1), "name", fk_stmt_text(st, 2), "id_number",
        id_number, "phone", phone[0] ? phone : NULL, "origin_code", fk_stmt_text(st, 5),
        "origin_name", fk_stmt_text(st, 6), "arrived_on", fk_stmt_text(st, 7), "registered",
        (int)fk_stmt_int64(st, 8), "concern", (int)fk_stmt_int64(st, 9));
}

enum fk_err fk_visit_json(struct fk_conn *db, const struct fk_caller *who, int64_t visit_id,
                          json_t **out)
{
    struct fk_stmt *st;
    int row;
    *out = NULL;
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT v.id, v.campaign_id, v.household_id, v.region, COALESCE(h.address, ''), "
        "v.outcome, v.members_present, v.symptoms, v.note, v.visited_at, v.worker_id, "
        "COALESCE(u.username, ''), COALESCE(u.display_name, ''), v.idempotency_key, "
        "v.created_at, COALESCE(s.outcome, '') FROM screening_visits v "
        "LEFT JOIN household_directory h ON h.id = v.household_id LEFT JOIN user_directory u ON "
        "u.id = v.worker_id "
        "LEFT JOIN screening_household_state s ON s.campaign_id = v.campaign_id AND "
        "s.household_id = v.household_id WHERE v.id = ?",
        "i", visit_id);
    if (err != FK_OK)
        return err;
    if (!row) {
        fk_stmt_free(st);
        return FK_ERR_NOT_FOUND;
    }
    char visited[FK_RFC3339_LEN], created[FK_RFC3339_LEN], symptoms[256];
    fk_time_format(fk_stmt_int64(st, 9), visited);
    fk_time_format(fk_stmt_int64(st, 14), created);
    fk_symptoms_format(fk_symptoms_parse(fk_stmt_text(st, 7)), 0, symptoms, sizeof(symptoms));
    json_t *members = json_loads(fk_stmt_text(st, 6) ? fk_stmt_text(st, 6) : "[]", 0, NULL);
    json_t *symptom_list = json_array();
    for (char *save = NULL, *item = strtok_r(symptoms, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save))
        json_array_append_new(symptom_list, json_string(item));
    json_t *visit = json_pack(
        "{s:I,s:I,s:I,s:s,s:s,s:s,s:o,s:o,s:s?,s:s,s:{s:I,s:s,s:s},s:s,s:s,s:s,s:[]}", "id",
        (json_int_t)fk_stmt_int64(st, 0), "campaign_id", (json_int_t)fk_stmt_int64(st, 1),
        "household_id", (json_int_t)fk_stmt_int64(st, 2), "region", fk_stmt_text(st, 3), "address",
        fk_stmt_text(st, 4), "outcome", fk_stmt_text(st, 5), "members_present",
        members ? members : json_array(), "symptoms", symptom_list, "note", fk_stmt_text(st, 8),
        "visited_at", visited, "worker", "id", (json_int_t)fk_stmt_int64(st, 10), "username",
        fk_stmt_text(st, 11), "display_name", fk_stmt_text(st, 12), "idempotency_key",
        fk_stmt_text(st, 13), "created_at", created, "household_state", fk_stmt_text(st, 15),
        "arrivals");
    fk_stmt_free(st);
    if (visit == NULL)
        return FK_ERR_NOMEM;
    err = fk_stmt_prepare(db,
                          "SELECT " ARRIVAL_COLUMNS
                          " FROM screening_arrivals a LEFT JOIN person_directory "
                          "p ON p.id = a.person_id WHERE a.visit_id = ? ORDER BY a.id",
                          &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, visit_id);
    json_t *arrivals = json_object_get(visit, "arrivals");
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        json_array_append_new(arrivals, arrival_json(who, st));
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    if (err != FK_OK) {
        json_decref(visit);
        return err;
    }
    *out = visit;
    return FK_OK;
}

/* --- progress --- */

static json_t *progress_row(const char *key, const char *name, int64_t households, int64_t reached,
                            int64_t nobody, int64_t refused)
{
    int64_t not_visited = households - reached - nobody - refused;
    double percent = households > 0 ? (double)(reached * 1000 / households) / 10.0 : 0.0;
    return json_pack("{s:s?,s:s,s:I,s:I,s:I,s:I,s:I,s:f}", "key", key, "name", name, "households",
                     (json_int_t)households, "reached", (json_int_t)reached, "nobody_home",
                     (json_int_t)nobody, "refused", (json_int_t)refused, "not_visited",
                     (json_int_t)(not_visited < 0 ? 0 : not_visited), "percent", percent);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rows per region of `level` (township 2, community 3, compound 4): one
 * grouped pass over the scope's households (households_region index) with a
 * primary-key probe into the state table per household. */
static enum fk_err progress_by_region(struct fk_conn *db, const struct fk_campaign *c,
                                      const char *scope, int level, json_t *rows, int64_t sums[4])
{
    int key_len = level == 2 ? 9 : level == 3 ? 12 : 15;
    char sql[768];
    snprintf(sql, sizeof(sql),
             "SELECT substr(h.region, 1, %d), " OUTCOME_SUMS " FROM household_directory h "
             "LEFT JOIN screening_household_state s ON s.campaign_id = ? AND "
             "s.household_id = h.id WHERE h.region >= ? AND h.region < ? GROUP BY 1",
             key_len);
    struct fk_stmt *st;
    json_t *groups = json_object(); /* key -> [households, reached, nobody, refused] */
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, c->id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, scope);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        json_t *counts = json_pack(
            "[I,I,I,I]", (json_int_t)fk_stmt_int64(st, 1), (json_int_t)fk_stmt_int64(st, 2),
            (json_int_t)fk_stmt_int64(st, 3), (json_int_t)fk_stmt_int64(st, 4));
        for (int k = 0; k < 4; k++)
            sums[k] += fk_stmt_int64(st, k + 1);
        json_object_set_new(groups, fk_stmt_text(st, 0) ? fk_stmt_text(st, 0) : "", counts);
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    /* Every region of the level in scope, with zeros where no household is;
     * plus the region of that level that contains a narrower scope. */
    json_t *names = json_object();
    if (err == FK_OK)
        err = fk_stmt_prepare(db,
                              "SELECT prefix, name FROM regions WHERE level = ? AND "
                              "((prefix >= ? AND prefix < ?) OR substr(?, 1, length(prefix)) = "
                              "prefix)",
                              &st);
    if (err == FK_OK) {
        err = fk_stmt_bind_int64(st, 1, level);
        if (err == FK_OK)
            err = fk_stmt_bind_region(st, 2, scope);
        if (err == FK_OK)
            err = fk_stmt_bind_text(st, 4, scope);
        while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
            const char *key = fk_stmt_text(st, 0);
            json_object_set_new(names, key, json_string(fk_stmt_text(st, 1)));
            if (json_object_get(groups, key) == NULL)
                json_object_set_new(groups, key, json_pack("[i,i,i,i]", 0, 0, 0, 0));
        }
        fk_stmt_free(st);
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    size_t n = json_object_size(groups), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (keys == NULL && err == FK_OK)
        err = FK_ERR_NOMEM;
    const char *key;
    json_t *counts;
    if (err == FK_OK) {
        json_object_foreach(groups, key, counts) keys[i++] = key;
        qsort(keys, n, sizeof(*keys), compare_keys);
        for (i = 0; i < n; i++) {
            counts = json_object_get(groups, keys[i]);
            const char *name = json_string_value(json_object_get(names, keys[i]));
            /* Households registered above this level (e.g. at a community
             * when counting compounds) form a row of their own. */
            json_array_append_new(
                rows, progress_row(name ? keys[i] : NULL, name ? name : "未细分到该级的住户",
                                   json_integer_value(json_array_get(counts, 0)),
                                   json_integer_value(json_array_get(counts, 1)),
                                   json_integer_value(json_array_get(counts, 2)),
                                   json_integer_value(json_array_get(counts, 3))));
        }
    }
    free(keys);
    json_decref(groups);
    json_decref(names);
    return err;
}

static enum fk_err progress_by_grid(struct fk_conn *db, const struct fk_campaign *c,
                                    const char *scope, json_t *rows, int64_t sums[4])
{
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(
        db,
        "SELECT COUNT(*), SUM(CASE WHEN s.outcome = 'reached' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN s.outcome = 'nobody_home' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN s.outcome = 'refused' THEN 1 ELSE 0 END) FROM household_directory h "
        "LEFT JOIN screening_household_state s ON s.campaign_id = ? AND s.household_id = h.id "
        "WHERE h.region >= ? AND h.region < ?",
        &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, c->id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, scope);
    if (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        for (int k = 0; k < 4; k++)
            sums[k] = fk_stmt_int64(st, k);
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    if (err != FK_OK)
        return err;
    err = fk_stmt_prepare(
        db,
        "SELECT g.user_id, COALESCE(u.display_name, ''), COALESCE(u.username, ''), " OUTCOME_SUMS
        " FROM screening_grids g LEFT JOIN user_directory u ON u.id = g.user_id "
        "LEFT JOIN household_directory h ON h.region >= g.low AND h.region < g.high "
        "LEFT JOIN screening_household_state s ON s.campaign_id = g.campaign_id AND "
        "s.household_id = h.id WHERE g.campaign_id = ? AND g.region >= ? AND g.region < ? "
        "GROUP BY g.user_id, u.display_name, u.username ORDER BY g.user_id",
        &st);
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, 1, c->id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, 2, scope);
    int64_t assigned[4] = {0, 0, 0, 0};
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        char key[24];
        snprintf(key, sizeof(key), "%lld", (long long)fk_stmt_int64(st, 0));
        const char *name = fk_stmt_text(st, 1);
        json_t *row =
            progress_row(key, name && name[0] ? name : fk_stmt_text(st, 2), fk_stmt_int64(st, 3),
                         fk_stmt_int64(st, 4), fk_stmt_int64(st, 5), fk_stmt_int64(st, 6));
        json_object_set_new(row, "user_id", json_integer(fk_stmt_int64(st, 0)));
        json_array_append_new(rows, row);
        for (int k = 0; k < 4; k++)
            assigned[k] += fk_stmt_int64(st, k + 3);
    }
    fk_stmt_free(st);
    if (err == FK_ERR_DONE)
        err = FK_OK;
    /* Grids never overlap, so what no grid covers is the difference. */
    if (err == FK_OK && sums[0] > assigned[0])
        json_array_append_new(rows, progress_row(NULL, "未分配网格", sums[0] - assigned[0],
                                                 sums[1] - assigned[1], sums[2] - assigned[2],
                                                 sums[3] - assigned[3]));
    return err;
}

enum fk_err fk_progress(struct fk_conn *db, const struct fk_campaign *c, const char *scope,
                        enum fk_progress_level level, json_t **rows, json_t **totals)
{
    int64_t sums[4] = {0, 0, 0, 0};
    *rows = json_array();
    *totals = NULL;
    if (*rows == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err = level == FK_PROGRESS_GRID
                          ? progress_by_grid(db, c, scope, *rows, sums)
                          : progress_by_region(db, c, scope, (int)level, *rows, sums);
    if (err != FK_OK) {
        json_decref(*rows);
        *rows = NULL;
        return err;
    }
    *totals = progress_row(scope, "合计", sums[0], sums[1], sums[2], sums[3]);
    return FK_OK;
}

/* --- pending --- */

/* What the pending and flag lists bind: the campaign, the grid worker (0
 * none), the scope and the pending outcome filter (or NULL). */
struct campaign_list {
    int64_t campaign_id, worker_id;
    const char *scope, *outcome;
    const struct fk_caller *who;
};

static enum fk_err pending_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    const struct campaign_list *l = ctx;
    enum fk_err err = FK_OK;
    if (l->worker_id) {
        err = fk_stmt_bind_int64(st, (*idx)++, l->campaign_id);
        if (err == FK_OK)
            err = fk_stmt_bind_int64(st, (*idx)++, l->worker_id);
    }
    if (err == FK_OK)
        err = fk_stmt_bind_int64(st, (*idx)++, l->campaign_id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, *idx, l->scope);
    *idx += 2;
    if (err == FK_OK && l->outcome != NULL && strcmp(l->outcome, "not_visited") != 0)
        err = fk_stmt_bind_text(st, (*idx)++, l->outcome);
    return err;
}

static json_t *pending_row(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    const char *last = fk_stmt_text(st, 5);
    char visited[FK_RFC3339_LEN];
    fk_time_format(fk_stmt_int64(st, 6), visited);
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s?,s:s,s:s?,s:I}", "household_id",
                     (json_int_t)fk_stmt_int64(st, 0), "region", fk_stmt_text(st, 1), "region_name",
                     fk_stmt_text(st, 2), "address", fk_stmt_text(st, 3), "head_name",
                     fk_stmt_text(st, 4), "member_count", (json_int_t)fk_stmt_int64(st, 8),
                     "last_outcome", last, "last_outcome_label", fk_visit_outcome_label(last),
                     "last_visited_at", last ? visited : NULL, "visits",
                     (json_int_t)fk_stmt_int64(st, 7));
}

enum fk_err fk_pending(struct fk_conn *db, int64_t campaign_id, const char *scope,
                       int64_t worker_id, const char *outcome, int64_t page, int64_t per_page,
                       json_t **items, int64_t *total)
{
    const char *filter = outcome == NULL                       ? ""
                         : strcmp(outcome, "not_visited") == 0 ? " AND s.outcome IS NULL"
                                                               : " AND s.outcome = ?";
    const char *grid = worker_id ? " JOIN screening_grids g ON g.campaign_id = ? AND g.user_id = ? "
                                   "AND h.region >= g.low AND h.region < g.high"
                                 : "";
    static const char where[] =
        " LEFT JOIN screening_household_state s ON s.campaign_id = ? AND s.household_id = h.id "
        "WHERE h.region >= ? AND h.region < ? AND (s.outcome IS NULL OR s.outcome <> 'reached')";
    /* The count needs no names; the page joins regions and heads. */
    char count_sql[1024], list_sql[1536];
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM household_directory h%s%s%s", grid,
             where, filter);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT h.id, h.region, COALESCE(r.name, ''), h.address, COALESCE(hp.name, ''), "
             "s.outcome, COALESCE(s.last_visited_at, 0), COALESCE(s.visits, 0), (SELECT COUNT(*) "
             "FROM person_directory m WHERE m.household_id = h.id AND m.merged_into IS NULL) FROM "
             "household_directory h LEFT JOIN regions r ON r.code = h.region "
             "LEFT JOIN person_directory hp ON hp.id = h.head_person_id%s%s%s "
             "ORDER BY h.region, h.id LIMIT ? OFFSET ?",
             grid, where, filter);
    struct campaign_list l = {campaign_id, worker_id, scope, outcome, NULL};
    struct fk_list_query q = {count_sql, list_sql, pending_bind, &l, pending_row, NULL};
    return run_list(db, &q, page, per_page, items, total);
}

/* --- flags --- */

static enum fk_err flags_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    const struct campaign_list *l = ctx;
    enum fk_err err = fk_stmt_bind_int64(st, (*idx)++, l->campaign_id);
    if (err == FK_OK)
        err = fk_stmt_bind_region(st, *idx, l->scope);
    *idx += 2;
    if (err == FK_OK && l->worker_id)
        err = fk_stmt_bind_int64(st, (*idx)++, l->worker_id);
    return err;
}

static json_t *flag_row(struct fk_stmt *st, void *ctx)
{
    const struct campaign_list *l = ctx;
    json_t *flag = arrival_json(l->who, st);
    char visited[FK_RFC3339_LEN];
    fk_time_format(fk_stmt_int64(st, 15), visited);
    json_object_update_new(
        flag,
        json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:o}", "household_id",
                  (json_int_t)fk_stmt_int64(st, 10), "address", fk_stmt_text(st, 11), "region",
                  fk_stmt_text(st, 12), "region_name", fk_stmt_text(st, 13), "visit_id",
                  (json_int_t)fk_stmt_int64(st, 14), "visited_at", visited, "grid_worker",
                  fk_stmt_is_null(st, 16)
                      ? json_null()
                      : json_pack("{s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 16),
                                  "display_name", fk_stmt_text(st, 17))));
    return flag;
}

enum fk_err fk_flags(struct fk_conn *db, const struct fk_caller *who, int64_t campaign_id,
                     const char *scope, int64_t worker_id, int64_t page, int64_t per_page,
                     json_t **items, int64_t *total)
{
    static const char grid[] = " LEFT JOIN screening_grids g ON g.campaign_id = a.campaign_id AND "
                               "a.region >= g.low AND a.region < g.high";
    char where[256], count_sql[768], list_sql[1536];
    snprintf(where, sizeof(where),
             " WHERE a.campaign_id = ? AND a.concern = 1 AND a.region >= ? AND a.region < ?%s",
             worker_id ? " AND g.user_id = ?" : "");
    snprintf(count_sql, sizeof(count_sql), "SELECT COUNT(*) FROM screening_arrivals a%s%s", grid,
             where);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT " ARRIVAL_COLUMNS ", a.household_id, COALESCE(h.address, ''), a.region, "
             "COALESCE(r.name, ''), a.visit_id, v.visited_at, g.user_id, "
             "COALESCE(u.display_name, '') FROM screening_arrivals a "
             "LEFT JOIN person_directory p ON p.id = a.person_id "
             "LEFT JOIN household_directory h ON h.id = a.household_id "
             "LEFT JOIN regions r ON r.code = a.region "
             "LEFT JOIN screening_visits v ON v.id = a.visit_id%s "
             "LEFT JOIN user_directory u ON u.id = g.user_id%s ORDER BY a.id DESC LIMIT ? OFFSET ?",
             grid, where);
    struct campaign_list l = {campaign_id, worker_id, scope, NULL, who};
    struct fk_list_query q = {count_sql, list_sql, flags_bind, &l, flag_row, &l};
    return run_list(db, &q, page, per_page, items, total);
}

/* --- the visit ledger --- */

static void arrivals_text(struct fk_conn *db, int64_t visit_id, char *out, size_t size,
                          int64_t *concern)
{
    struct fk_stmt *st;
    size_t used = 0;
    out[0] = '\0';
    *concern = 0;
    if (fk_stmt_prepare(
            db,
            "SELECT COALESCE(p.name, ''), a.origin_name, a.arrived_on, a.concern "
            "FROM screening_arrivals a LEFT JOIN person_directory p ON p.id = a.person_id "
            "WHERE a.visit_id = ? ORDER BY a.id",
            &st) != FK_OK)
        return;
    if (fk_stmt_bind_int64(st, 1, visit_id) == FK_OK)
        while (fk_stmt_step(st) == FK_OK && used < size) {
            int n = snprintf(out + used, size - used, "%s%s（%s %s）%s", used ? "、" : "",
                             fk_stmt_text(st, 0), fk_stmt_text(st, 1), fk_stmt_text(st, 2),
                             fk_stmt_int64(st, 3) ? "★" : "");
            if (n < 0)
                break;
            used += (size_t)n;
            *concern += fk_stmt_int64(st, 3) != 0;
        }
    fk_stmt_free(st);
}

#define VISIT_BATCH 5000

/* fk_keyset_run callbacks of fk_visit_each: a batch's rows are kept, then
 * their arrivals are read once the batch's statement is closed. */
struct visit_walk {
    struct fk_conn *db;
    json_t *rows; /* [[seq, id, visited_at, household_id, region, ...]] */
    void (*row)(const struct fk_visit_line *v, int64_t seq, void *ctx);
    void *ctx;
};

static enum fk_err visit_keep(struct fk_stmt *st, int64_t seq, void *ctx)
{
    struct visit_walk *w = ctx;
    json_t *row = json_array();
    json_array_append_new(row, json_integer(seq));
    for (int k = 0; k < 12; k++)
        json_array_append_new(row,
                              k <= 2 ? json_integer(fk_stmt_int64(st, k))
                                     : json_string(fk_stmt_text(st, k) ? fk_stmt_text(st, k) : ""));
    return json_array_append_new(w->rows, row) == 0 ? FK_OK : FK_ERR_NOMEM;
}

static enum fk_err visit_batch(void *ctx)
{
    struct visit_walk *w = ctx;
    size_t i;
    json_t *row;
    json_array_foreach(w->rows, i, row)
    {
#define COL_TEXT(k) json_string_value(json_array_get(row, (k) + 1))
        char arrivals[2048];
        int64_t visit_id = json_integer_value(json_array_get(row, 1));
        json_t *members = json_loads(COL_TEXT(8), 0, NULL);
        struct fk_visit_line v = {
            .visited_at = json_integer_value(json_array_get(row, 2)),
            .household_id = json_integer_value(json_array_get(row, 3)),
            .region = COL_TEXT(3),
            .region_name = COL_TEXT(4),
            .address = COL_TEXT(5),
            .head_name = COL_TEXT(6),
            .outcome = COL_TEXT(7),
            .members_present = json_array_size(members),
            .arrivals = arrivals,
            .symptoms = fk_symptoms_parse(COL_TEXT(9)),
            .note = COL_TEXT(10),
            .worker_name = COL_TEXT(11),
        };
#undef COL_TEXT
        json_decref(members);
        arrivals_text(w->db, visit_id, arrivals, sizeof(arrivals), &v.concern);
        w->row(&v, json_integer_value(json_array_get(row, 0)), w->ctx);
    }
    json_array_clear(w->rows);
    return FK_OK;
}

enum fk_err fk_visit_each(struct fk_conn *db, int64_t campaign_id, const char *scope,
                          int64_t worker_id,
                          void (*row)(const struct fk_visit_line *v, int64_t seq, void *ctx),
                          void *ctx, int64_t *count)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "v.campaign_id = ?", "i", campaign_id);
    fk_where_region(&w, "v.region", scope);
    if (worker_id)
        fk_where_add(&w, "g.user_id = ?", "i", worker_id);
    char sql[2560];
    snprintf(
        sql, sizeof(sql),
        "SELECT v.id, v.visited_at, v.household_id, v.region, COALESCE(r.name, ''), "
        "COALESCE(h.address, ''), COALESCE(hp.name, ''), v.outcome, v.members_present, "
        "v.symptoms, COALESCE(v.note, ''), COALESCE(u.display_name, '') "
        "FROM screening_visits v LEFT JOIN household_directory h ON h.id = v.household_id "
        "LEFT JOIN regions r ON r.code = v.region "
        "LEFT JOIN person_directory hp ON hp.id = h.head_person_id "
        "LEFT JOIN user_directory u ON u.id = v.worker_id%s%s AND v.id > ? ORDER BY v.id LIMIT %d",
        worker_id ? " JOIN screening_grids g ON g.campaign_id = v.campaign_id AND "
                    "v.region >= g.low AND v.region < g.high"
                  : "",
        w.sql, VISIT_BATCH);
    struct visit_walk walk = {db, json_array(), row, ctx};
    if (walk.rows == NULL)
        return FK_ERR_NOMEM;
    struct fk_keyset_query q = {sql, VISIT_BATCH, &w, visit_keep, visit_batch, &walk};
    enum fk_err err = fk_keyset_run(db, &q, count);
    json_decref(walk.rows);
    return err;
}

/* --- changes: each in its own transaction, audited in it --- */

enum fk_err fk_campaign_create(struct fk_conn *db, const struct fk_caller *who,
                               struct fk_campaign *c, int64_t now)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_campaign_save(db, c, who->user_id, now);
    err = fk_caller_audit(db, err, who, "screening_campaign_create", "screening_campaign", c->id, 0,
                          json_pack("{s:s,s:s}", "region", c->region, "name", c->name));
    return fk_caller_finish(db, err);
}

enum fk_err fk_campaign_update(struct fk_conn *db, const struct fk_caller *who,
                               struct fk_campaign *c, int64_t now)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_campaign_save(db, c, who->user_id, now);
    /* Changed areas of concern re-flag the arrivals already recorded. */
    if (err == FK_OK)
        err = fk_campaign_reflag(db, c);
    err = fk_caller_audit(db, err, who, "screening_campaign_update", "screening_campaign", c->id, 0,
                          NULL);
    return fk_caller_finish(db, err);
}

enum fk_err fk_grid_worker(struct fk_conn *db, int64_t user_id, struct fk_grid_worker *out)
{
    struct fk_user u;
    memset(out, 0, sizeof(*out));
    enum fk_err err = fk_user_get(db, user_id, &u);
    if (err == FK_ERR_NOT_FOUND)
        return FK_OK;
    if (err != FK_OK)
        return err;
    out->found = 1;
    copy_text(out->role, sizeof(out->role), u.role_name);
    copy_text(out->prefix, sizeof(out->prefix), u.prefix);
    out->disabled = u.disabled != 0;
    return FK_OK;
}

enum fk_err fk_grid_assign(struct fk_conn *db, const struct fk_caller *who, int64_t campaign_id,
                           int64_t user_id, const char *const *codes, size_t n, int64_t now,
                           int64_t *other_user, size_t *at)
{
    /* The overlap is looked for again inside the transaction, under the
     * campaign's lock: two officers giving a compound and one of its
     * buildings to two workers at once cannot both succeed (the unique
     * (campaign, region) only catches the very same region). */
    *other_user = 0;
    *at = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_lock(db, FK_LOCK_SCREENING_CAMPAIGN, campaign_id);
    for (size_t i = 0; i < n && err == FK_OK && *other_user == 0; i++) {
        char other_region[FK_REGION_CODE_LEN];
        err = fk_grid_overlap(db, campaign_id, user_id, codes[i], other_user, other_region);
        if (err == FK_OK && *other_user != 0)
            *at = i;
    }
    if (err == FK_OK && *other_user != 0) {
        fk_db_rollback(db);
        return FK_OK;
    }
    if (err == FK_OK)
        err = fk_grid_replace(db, campaign_id, user_id, codes, n, who->user_id, now);
    json_t *regions = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(regions, json_string(codes[i]));
    err =
        fk_caller_audit(db, err, who, "screening_grid_assign", "screening_campaign", campaign_id, 0,
                        json_pack("{s:I,s:o}", "user_id", (json_int_t)user_id, "regions", regions));
    return fk_caller_finish(db, err);
}

enum fk_err fk_visit_record(struct fk_conn *db, const struct fk_caller *who,
                            const struct fk_visit_input *in, struct fk_visit_arrival_in *arrivals,
                            size_t n, const char *outcome_name, int64_t now, int64_t *visit_id,
                            int *key_conflict)
{
    *visit_id = 0;
    *key_conflict = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_visit_insert(db, in, who->user_id, now, visit_id);
    *key_conflict = err == FK_ERR_CONFLICT;
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        struct fk_visit_arrival_in *v = &arrivals[i];
        int64_t existing = 0;
        v->a.person_id = v->existing;
        if (v->existing == 0) {
            err = fk_person_insert(db, who->key, &v->person, now, &v->a.person_id, &existing);
            v->a.registered = 1;
        }
        err = fk_caller_audit(db, err, who, v->a.registered ? "person_create" : "person_link",
                              "person", v->a.person_id, v->a.person_id,
                              json_pack("{s:s,s:I,s:s}", "source", "screening_visit", "visit_id",
                                        (json_int_t)*visit_id, "origin_code", v->a.origin_code));
        if (err == FK_OK)
            err = fk_visit_add_arrival(db, in, *visit_id, &v->a, now);
    }
    err = fk_caller_audit(db, err, who, "screening_visit_create", "screening_visit", *visit_id, 0,
                          json_pack("{s:I,s:I,s:s,s:I}", "campaign_id", (json_int_t)in->campaign_id,
                                    "household_id", (json_int_t)in->household_id, "outcome",
                                    outcome_name, "arrivals", (json_int_t)n));
    return fk_caller_finish(db, err);
}

/* --- workers who can be given a grid --- */

static enum fk_err workers_bind(struct fk_stmt *st, const void *ctx, int *idx)
{
    return fk_where_bind(st, ctx, idx);
}

static json_t *worker_row(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)fk_stmt_int64(st, 0), "username",
                     fk_stmt_text(st, 1), "display_name", fk_stmt_text(st, 2), "region",
                     fk_stmt_text(st, 3), "region_name", fk_stmt_text(st, 4));
}

enum fk_err fk_screening_workers(struct fk_conn *db, const char *jurisdiction, const char *scope,
                                 const char *q, int64_t page, int64_t per_page, json_t **items,
                                 int64_t *total)
{
    /* The scope's ancestors (significant prefixes of 6, 9, 12 and 15 digits). */
    char ancestors[4][FK_REGION_CODE_LEN];
    static const size_t lengths[4] = {6, 9, 12, 15};
    for (size_t i = 0; i < 4; i++)
        snprintf(ancestors[i], sizeof(ancestors[i]), "%.*s",
                 (int)(lengths[i] < strlen(scope) ? lengths[i] : strlen(scope)), scope);
    char in_scope[96], clause[192], low[24], high[24], like[80];
    fk_store_in_region("u.region_prefix", in_scope, sizeof(in_scope));
    snprintf(clause, sizeof(clause), "(%s OR u.region_prefix IN (?, ?, ?, ?))", in_scope);
    fk_store_region_bounds(scope, low, high);
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "u.role = 'community_worker'", "");
    fk_where_add(&w, "u.disabled = 0", "");
    fk_where_region(&w, "u.region_prefix", jurisdiction);
    fk_where_add(&w, clause, "tttttt", low, high, ancestors[0], ancestors[1], ancestors[2],
                 ancestors[3]);
    if (q) {
        snprintf(like, sizeof(like), "%%%s%%", q);
        fk_where_add(&w, "(u.username LIKE ? OR u.display_name LIKE ?)", "tt", like, like);
    }
    char count_sql[1536], list_sql[1792];
    snprintf(count_sql, sizeof(count_sql),
             "SELECT COUNT(*) FROM user_directory u LEFT JOIN regions r ON r.code = u.region%s",
             w.sql);
    snprintf(list_sql, sizeof(list_sql),
             "SELECT u.id, u.username, u.display_name, u.region, COALESCE(r.name, '') FROM "
             "user_directory "
             "u LEFT JOIN regions r ON r.code = u.region%s ORDER BY u.region, u.id LIMIT ? "
             "OFFSET ?",
             w.sql);
    struct fk_list_query lq = {count_sql, list_sql, workers_bind, &w, worker_row, NULL};
    *total = 0;
    *items = json_array();
    if (*items == NULL)
        return FK_ERR_NOMEM;
    return fk_list_run(db, &lq, page, per_page, *items, total);
}
