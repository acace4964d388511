/* Home quarantine temperature SQL (home_quarantine_temperatures): the
 * reading's JSON, a reading with the quarantine's latest value, the fever
 * fact and its audit entry in one transaction, the readings of a quarantine,
 * the fever list. No HTTP here: homeq_temps.c parses and replies. */
#include "healthcode/healthcode.h"
#include "quarantine/homeq_internal.h"
#include "screening/screening.h"
#include "store/where_query.h"

#include <stdio.h>
#include <string.h>

#define TEMP_COLUMNS                                                                               \
    "t.id, t.quarantine_id, t.day, t.slot, t.celsius_x10, t.fever, t.symptoms, t.measured_at, "    \
    "t.measured_by, COALESCE(mu.display_name, ''), t.recorded_by, COALESCE(ru.display_name, ''), " \
    "t.idempotency_key, t.created_at"
#define TEMP_FROM                                                                                  \
    " FROM home_quarantine_temperatures t LEFT JOIN user_directory mu ON mu.id = t.measured_by "   \
    "LEFT JOIN "                                                                                   \
    "user_directory ru ON ru.id = t.recorded_by"

static json_t *temperature_json(struct fk_stmt *st)
{
    unsigned bits = fk_symptoms_parse(fk_stmt_text(st, 6));
    char names[256], labels[256];
    fk_symptoms_format(bits, 0, names, sizeof(names));
    fk_symptoms_format(bits, 1, labels, sizeof(labels));
    json_t *symptoms = json_array();
    for (char *p = names; symptoms != NULL && *p != '\0';) {
        char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        json_array_append_new(symptoms, json_stringn(p, len));
        p += len + (comma ? 1 : 0);
    }
    return json_pack("{s:I,s:I,s:s,s:s,s:f,s:b,s:o,s:s,s:o,s:{s:I,s:s},s:{s:I,s:s},s:o,s:o}", "id",
                     (json_int_t)fk_stmt_int64(st, 0), "quarantine_id",
                     (json_int_t)fk_stmt_int64(st, 1), "day", fk_stmt_text(st, 2), "slot",
                     fk_stmt_text(st, 3), "celsius", (double)fk_stmt_int64(st, 4) / 10.0, "fever",
                     fk_stmt_int64(st, 5) != 0, "symptoms", symptoms ? symptoms : json_array(),
                     "symptoms_label", labels, "measured_at", fk_time_json(fk_stmt_int64(st, 7), 1),
                     "measured_by", "id", (json_int_t)fk_stmt_int64(st, 8), "display_name",
                     fk_stmt_text(st, 9), "recorded_by", "id", (json_int_t)fk_stmt_int64(st, 10),
                     "display_name", fk_stmt_text(st, 11), "idempotency_key",
                     fk_stmt_is_null(st, 12) ? json_null() : json_string(fk_stmt_text(st, 12)),
                     "created_at", fk_time_json(fk_stmt_int64(st, 13), 1));
}

enum fk_err fk_homeq_temp_load(struct fk_conn *db, int64_t id, json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *out = NULL;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT " TEMP_COLUMNS TEMP_FROM " WHERE t.id = ?", "i", id);
    if (err != FK_OK)
        return err;
    if (!row)
        err = FK_ERR_NOT_FOUND;
    else if ((*out = temperature_json(st)) == NULL)
        err = FK_ERR_NOMEM;
    fk_stmt_free(st);
    return err;
}

/* A stored reading by (recorder, key): its id and quarantine, or 0. */
enum fk_err fk_homeq_temp_replay_of(struct fk_conn *db, int64_t user, const char *key, int64_t *id,
                                    int64_t *quarantine)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *id = *quarantine = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT id, quarantine_id FROM home_quarantine_temperatures "
                                  "WHERE recorded_by = ? AND idempotency_key = ?",
                                  "it", user, key);
    if (err != FK_OK)
        return err;
    if (row) {
        *id = fk_stmt_int64(st, 0);
        *quarantine = fk_stmt_int64(st, 1);
    }
    fk_stmt_free(st);
    return FK_OK;
}

enum fk_err fk_homeq_team_has_user(struct fk_conn *db, int64_t id, int64_t user_id, int *yes)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *yes = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT 1 FROM home_quarantine_team WHERE quarantine_id = ? AND "
                                  "user_id = ?",
                                  "ii", id, user_id);
    if (err != FK_OK)
        return err;
    fk_stmt_free(st);
    *yes = row;
    return FK_OK;
}

enum fk_err fk_homeq_temp_record(struct fk_conn *db, const struct fk_homeq_temp_new *in,
                                 const struct fk_caller *who, int64_t *temp_id)
{
    const char *slot = in->pm ? "pm" : "am";
    int fever = in->x10 >= FK_HOMEQ_FEVER_X10;
    *temp_id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, temp_id,
                        "INSERT INTO home_quarantine_temperatures(quarantine_id, region, day, "
                        "slot, celsius_x10, fever, symptoms, measured_at, measured_by, "
                        "recorded_by, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?) RETURNING id",
                        "itttiitiiiti", in->id, in->region, in->day, slot, (int64_t)in->x10,
                        (int64_t)fever, in->symptoms, in->measured_at, in->by_user, who->user_id,
                        in->key, in->now);
    /* The latest reading by measured_at stays on the quarantine for lists. */
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "UPDATE home_quarantines SET last_celsius_x10 = CASE WHEN "
                        "last_measured_at IS NULL OR last_measured_at <= ? THEN ? ELSE "
                        "last_celsius_x10 END, last_measured_at = CASE WHEN last_measured_at IS "
                        "NULL OR last_measured_at <= ? THEN ? ELSE last_measured_at END, "
                        "fever_count = fever_count + ?, updated_at = ? WHERE id = ?",
                        "iiiiiii", in->measured_at, (int64_t)in->x10, in->measured_at,
                        in->measured_at, (int64_t)fever, in->now, in->id);
    /* A fever reading is a health-code fact of its own (the rules say how
     * long it keeps the code yellow after the reading). */
    if (err == FK_OK && fever) {
        char detail[64];
        snprintf(detail, sizeof(detail), "居家隔离体温 %.1f ℃", (double)in->x10 / 10.0);
        struct fk_health_fact fact = {.person_id = in->person_id,
                                      .kind = FK_FACT_FEVER,
                                      .started_at = in->measured_at,
                                      .ended_at = in->measured_at,
                                      .source = "homeq_temp",
                                      .source_id = *temp_id,
                                      .detail = detail};
        err = fk_health_fact_record(db, &fact);
        if (err == FK_OK)
            err = fk_health_refresh(db, in->person_id);
    }
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:I,s:s,s:s,s:b}", "temperature_id", (json_int_t)*temp_id,
                                   "day", in->day, "slot", slot, "fever", fever);
        err = detail ? fk_caller_audit(db, err, who, "home_quarantine_temperature",
                                       "home_quarantine", in->id, in->person_id, detail)
                     : FK_ERR_NOMEM;
    }
    return fk_caller_finish(db, err);
}

/* Appends the rows of `st` (current row first, TEMP_COLUMNS) to `items`;
 * with `fever_list` also the quarantine's person, region and state. */
static enum fk_err append_rows(struct fk_stmt *st, int has, int fever_list, json_t *items)
{
    enum fk_err err = FK_OK;
    while (has) {
        json_t *item = temperature_json(st);
        if (item == NULL)
            return FK_ERR_NOMEM;
        if (fever_list) {
            json_object_set_new(item, "person",
                                json_pack("{s:I,s:s}", "id", (json_int_t)fk_stmt_int64(st, 14),
                                          "name", fk_stmt_text(st, 15)));
            json_object_set_new(item, "region", json_string(fk_stmt_text(st, 16)));
            json_object_set_new(item, "region_name", json_string(fk_stmt_text(st, 17)));
            json_object_set_new(item, "state", json_string(fk_stmt_text(st, 18)));
        }
        json_array_append_new(items, item);
        err = fk_stmt_step(st);
        has = err == FK_OK;
    }
    return err == FK_ERR_DONE ? FK_OK : err;
}

/* The count of `count_head` + w and one page of `list_head` + w + `order`
 * (ending "LIMIT ? OFFSET ?") appended to `items`. */
static enum fk_err page_of(struct fk_conn *db, const char *count_head, const char *list_head,
                           struct fk_where *w, const char *order, int fever_list, int64_t page,
                           int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_stmt *st;
    int has;
    *total = 0;
    enum fk_err err = fk_db_query_where(db, &st, &has, count_head, w, NULL);
    if (err != FK_OK)
        return err;
    *total = has ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    /* LIMIT and OFFSET follow the clause's own values. */
    struct fk_where paged = *w;
    fk_where_page(&paged, page, per_page);
    if ((err = fk_db_query_where(db, &st, &has, list_head, &paged, order)) != FK_OK)
        return err;
    err = append_rows(st, has, fever_list, items);
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_homeq_temps_page(struct fk_conn *db, int64_t id, int64_t page, int64_t per_page,
                                json_t *items, int64_t *total)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "t.quarantine_id = ?", "i", id);
    return page_of(
        db, "SELECT COUNT(*) FROM home_quarantine_temperatures t", "SELECT " TEMP_COLUMNS TEMP_FROM,
        &w, " ORDER BY t.measured_at, t.id LIMIT ? OFFSET ?", 0, page, per_page, items, total);
}

#define FEVER_FROM                                                                                 \
    " FROM home_quarantine_temperatures t JOIN home_quarantines q ON q.id = t.quarantine_id JOIN " \
    "person_directory p ON p.id = q.person_id LEFT JOIN regions g ON g.code = q.region LEFT JOIN " \
    "user_directory mu "                                                                           \
    "ON mu.id = t.measured_by LEFT JOIN user_directory ru ON ru.id = t.recorded_by"

enum fk_err fk_homeq_fevers_page(struct fk_conn *db, const struct fk_homeq_filter *f, int64_t page,
                                 int64_t per_page, json_t *items, int64_t *total)
{
    static const char *const states[] = {NULL, "q.state = 'active'", "q.state = 'ended'"};
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "t.fever = 1", "");
    fk_where_region(&w, "t.region", f->scope);
    if (f->from)
        fk_where_add(&w, "t.measured_at >= ?", "i", f->from);
    if (f->until)
        fk_where_add(&w, "t.measured_at < ?", "i", f->until);
    if (states[f->state] != NULL)
        fk_where_add(&w, states[f->state], "");
    return page_of(db, "SELECT COUNT(*)" FEVER_FROM,
                   "SELECT " TEMP_COLUMNS ", q.person_id, p.name, q.region, COALESCE(g.name, ''), "
                   "q.state" FEVER_FROM,
                   &w, " ORDER BY t.measured_at DESC, t.id DESC LIMIT ? OFFSET ?", 1, page,
                   per_page, items, total);
}
