/* Passage SQL (passages): a passage's JSON, the write shared with
 * concurrent scans, the checkpoint log, hourly and daily counts, the ledger
 * walk and a person's passages for itineraries. No HTTP here:
 * passages_api.c parses and replies. */
#include "core/clock.h"
#include "passes/passes_internal.h"
#include "store/where_query.h"

#include <stdio.h>
#include <string.h>

/* Asia/Shanghai has no daylight saving: UTC+8 all year. */
#define SHANGHAI (8 * 3600)

enum fk_err fk_passages_of_person(struct fk_conn *db, const char *id_blind, int64_t since, int max,
                                  int (*cb)(void *ctx, const struct fk_person_passage *p),
                                  void *ctx)
{
    if (db == NULL || id_blind == NULL || max < 1 || cb == NULL)
        return FK_ERR_INVALID;
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(
        db,
        "SELECT g.id, g.scanned_at, COALESCE(k.name, ''), g.region, v.plate, g.decision, o.seat "
        "FROM pass_occupants o JOIN passages g ON g.pass_id = o.pass_id JOIN vehicle_passes v ON "
        "v.id = g.pass_id LEFT JOIN checkpoints k ON k.id = g.checkpoint_id WHERE o.id_blind = ? "
        "AND g.scanned_at >= ? ORDER BY g.scanned_at DESC, g.id DESC LIMIT ?",
        &st);
    if (err != FK_OK)
        return err;
    if ((err = fk_stmt_bind_text(st, 1, id_blind)) == FK_OK &&
        (err = fk_stmt_bind_int64(st, 2, since)) == FK_OK)
        err = fk_stmt_bind_int64(st, 3, max);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        struct fk_person_passage p = {
            .id = fk_stmt_int64(st, 0),
            .scanned_at = fk_stmt_int64(st, 1),
            .checkpoint_name = fk_stmt_text(st, 2),
            .checkpoint_region = fk_stmt_text(st, 3),
            .plate = fk_stmt_text(st, 4),
            .decision = fk_stmt_text(st, 5),
            .seat = (int)fk_stmt_int64(st, 6),
        };
        if (cb(ctx, &p) != 0)
            break;
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

#define PASSAGE_COLUMNS                                                                            \
    "g.id, g.checkpoint_id, COALESCE(k.name, ''), g.region, g.pass_id, v.plate, v.vehicle_type, "  \
    "g.scanned_at, g.decision, g.fever, g.occupants_count, g.temperatures, g.note, g.scanned_by, " \
    "COALESCE(u.display_name, ''), g.created_at, g.offline, g.review"
#define PASSAGE_FROM                                                                               \
    " FROM passages g JOIN vehicle_passes v ON v.id = g.pass_id LEFT JOIN checkpoints k ON k.id "  \
    "= g.checkpoint_id LEFT JOIN user_directory u ON u.id = g.scanned_by"

static json_t *passage_json(struct fk_stmt *st)
{
    json_t *temps = json_loads(fk_stmt_text(st, 11), 0, NULL);
    json_t *review = fk_stmt_is_null(st, 17) ? NULL : json_loads(fk_stmt_text(st, 17), 0, NULL);
    const char *decision = fk_stmt_text(st, 8);
    return json_pack(
        "{s:I,s:I,s:s,s:s,s:I,s:s,s:s,s:o,s:s,s:s,s:b,s:I,s:o,s:o,s:{s:I,s:s},s:o,s:b,s:o}", "id",
        (json_int_t)fk_stmt_int64(st, 0), "checkpoint_id", (json_int_t)fk_stmt_int64(st, 1),
        "checkpoint_name", fk_stmt_text(st, 2), "region", fk_stmt_text(st, 3), "pass_id",
        (json_int_t)fk_stmt_int64(st, 4), "plate", fk_stmt_text(st, 5), "vehicle_type",
        fk_stmt_text(st, 6), "scanned_at", fk_time_json(fk_stmt_int64(st, 7), 1), "decision",
        decision, "decision_label", fk_passage_decision_label(decision), "fever",
        fk_stmt_int64(st, 9) != 0, "occupants_count", (json_int_t)fk_stmt_int64(st, 10),
        "temperatures", temps ? temps : json_array(), "note",
        fk_stmt_is_null(st, 12) ? json_null() : json_string(fk_stmt_text(st, 12)), "scanned_by",
        "id", (json_int_t)fk_stmt_int64(st, 13), "name", fk_stmt_text(st, 14), "created_at",
        fk_time_json(fk_stmt_int64(st, 15), 1), "offline", fk_stmt_int64(st, 16) != 0, "review",
        review ? review : json_null());
}

enum fk_err fk_passage_load(struct fk_conn *db, int64_t id, int64_t user, const char *key,
                            json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *out = NULL;
    enum fk_err err =
        key ? fk_db_query(db, &st, &row,
                          "SELECT " PASSAGE_COLUMNS PASSAGE_FROM
                          " WHERE g.scanned_by = ? AND g.idempotency_key = ?",
                          "it", user, key)
            : fk_db_query(db, &st, &row, "SELECT " PASSAGE_COLUMNS PASSAGE_FROM " WHERE g.id = ?",
                          "i", id);
    if (err != FK_OK)
        return err;
    if (!row)
        err = FK_ERR_NOT_FOUND;
    else if ((*out = passage_json(st)) == NULL)
        err = FK_ERR_NOMEM;
    fk_stmt_free(st);
    return err;
}

/* fk_db_write_shared argument of fk_passage_store. */
struct passage_write {
    const struct fk_passage_new *in;
    const struct fk_caller *who;
    int64_t person_id;
    json_t *detail; /* borrowed */
    int64_t id;
};

static enum fk_err passage_write(struct fk_conn *db, void *arg)
{
    struct passage_write *w = arg;
    const struct fk_passage_new *in = w->in;
    w->id = 0;
    enum fk_err err = fk_db_run(
        db, &w->id,
        "INSERT INTO passages(checkpoint_id, region, pass_id, scanned_at, decision, fever, "
        "occupants_count, temperatures, note, scanned_by, idempotency_key, created_at, offline, "
        "review) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (scanned_by, idempotency_key) DO NOTHING RETURNING id",
        "itiitiittitiit", in->checkpoint_id, in->region, in->pass_id, in->scanned_at, in->decision,
        (int64_t)in->fever, (int64_t)in->n, in->temps, in->note, w->who->user_id, in->key, in->now,
        (int64_t)in->offline, in->review);
    if (w->id != 0)
        err = fk_caller_audit(db, err, w->who, "passage_create", "passage", w->id, w->person_id,
                              json_incref(w->detail));
    return err;
}

enum fk_err fk_passage_store(struct fk_conn *db, const struct fk_passage_new *in,
                             const struct fk_caller *who, int64_t person_id, json_t *detail,
                             int64_t *id)
{
    struct passage_write w = {.in = in, .who = who, .person_id = person_id, .detail = detail};
    enum fk_err err = fk_db_write_shared(db, passage_write, &w);
    *id = err == FK_OK ? w.id : 0;
    return err;
}

/* The WHERE clause of a passage query. */
static void passage_where(const struct fk_passage_filter *f, struct fk_where *w)
{
    fk_where_init(w);
    if (f->scope != NULL)
        fk_where_region(w, "g.region", f->scope);
    else
        fk_where_add(w, "g.checkpoint_id = ?", "i", f->checkpoint_id);
    if (f->has_from)
        fk_where_add(w, "g.scanned_at >= ?", "i", f->from);
    if (f->has_until)
        fk_where_add(w, "g.scanned_at < ?", "i", f->until);
    if (f->review > 0)
        fk_where_add(w, "g.review IS NOT NULL", "");
    else if (f->review == 0)
        fk_where_add(w, "g.review IS NULL", "");
}

static json_t *passage_row(struct fk_stmt *st, void *ctx)
{
    (void)ctx;
    return passage_json(st);
}

enum fk_err fk_passages_page(struct fk_conn *db, const struct fk_passage_filter *f, int64_t page,
                             int64_t per_page, json_t *items, int64_t *total)
{
    struct fk_where w;
    passage_where(f, &w);
    return fk_list_where(db, "SELECT COUNT(*) FROM passages g",
                         "SELECT " PASSAGE_COLUMNS PASSAGE_FROM, &w,
                         " ORDER BY g.scanned_at DESC, g.id DESC LIMIT ? OFFSET ?", passage_row,
                         NULL, page, per_page, items, total);
}

/* fk_db_walk_where callback of fk_passages_each. */
struct passage_walk {
    int (*each)(void *ctx, const struct fk_passage_row *row);
    void *ctx;
};

static enum fk_err passage_step(struct fk_stmt *st, void *arg)
{
    struct passage_walk *x = arg;
    struct fk_passage_row row = {
        .id = fk_stmt_int64(st, 0),
        .checkpoint_name = fk_stmt_text(st, 2),
        .region = fk_stmt_text(st, 3),
        .plate = fk_stmt_text(st, 5),
        .vehicle_type = fk_stmt_text(st, 6),
        .scanned_at = fk_stmt_int64(st, 7),
        .decision = fk_stmt_text(st, 8),
        .fever = fk_stmt_int64(st, 9) != 0,
        .occupants_count = fk_stmt_int64(st, 10),
        .temperatures = fk_stmt_text(st, 11),
        .note = fk_stmt_is_null(st, 12) ? NULL : fk_stmt_text(st, 12),
        .scanned_by_name = fk_stmt_text(st, 14),
    };
    return x->each(x->ctx, &row) ? FK_ERR_DONE : FK_OK;
}

enum fk_err fk_passages_each(struct fk_conn *db, const struct fk_passage_filter *f,
                             int (*each)(void *ctx, const struct fk_passage_row *row), void *ctx)
{
    struct fk_where w;
    passage_where(f, &w);
    struct passage_walk x = {each, ctx};
    return fk_db_walk_where(db, "SELECT " PASSAGE_COLUMNS PASSAGE_FROM, &w, "g.id", 500,
                            passage_step, &x);
}

/* Counts (vehicles, persons) by bucket `(scanned_at + 8 h) / width` over
 * [from, until). */
enum fk_err fk_passages_count_by(struct fk_conn *db, int64_t checkpoint, int64_t width,
                                 int64_t from, int64_t until, int64_t first, int64_t n,
                                 int64_t (*counts)[2])
{
    /* The bucket width is one of two constants, written into the text so
     * that PostgreSQL sees the same expression in SELECT and GROUP BY. */
    char sql[320];
    snprintf(sql, sizeof(sql),
             "SELECT (scanned_at + %d) / %lld, COUNT(*), SUM(occupants_count) FROM passages "
             "WHERE checkpoint_id = ? AND scanned_at >= ? AND scanned_at < ? GROUP BY "
             "(scanned_at + %d) / %lld",
             SHANGHAI, (long long)width, SHANGHAI, (long long)width);
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(db, sql, &st);
    if (err != FK_OK)
        return err;
    int64_t args[] = {checkpoint, from, until};
    for (int i = 0; err == FK_OK && i < 3; i++)
        err = fk_stmt_bind_int64(st, i + 1, args[i]);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        int64_t b = fk_stmt_int64(st, 0) - first;
        if (b >= 0 && b < n) {
            counts[b][0] = fk_stmt_int64(st, 1);
            counts[b][1] = fk_stmt_int64(st, 2);
        }
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}
