/* A person's registered arrivals, for other modules' itineraries (returnees.h). */
#include "returnees/returnees.h"
#include "store/store.h"

enum fk_err fk_returnee_trips(struct fk_conn *db, const char *id_blind, const char *since_date,
                              int max, int (*cb)(void *ctx, const struct fk_returnee_trip *trip),
                              void *ctx)
{
    if (db == NULL || id_blind == NULL || since_date == NULL || max < 1 || cb == NULL)
        return FK_ERR_INVALID;
    struct fk_stmt *st;
    enum fk_err err = fk_stmt_prepare(
        db,
        "SELECT t.id, t.arrival_date, t.origin_code, t.origin_name, t.transport, t.trip_no, "
        "t.region, COALESCE(r.name, ''), t.outside_province FROM returnees t LEFT JOIN regions r "
        "ON r.code = t.region WHERE t.id_blind = ? AND t.arrival_date >= ? "
        "ORDER BY t.arrival_date DESC, t.id DESC LIMIT ?",
        &st);
    if (err != FK_OK)
        return err;
    if ((err = fk_stmt_bind_text(st, 1, id_blind)) == FK_OK &&
        (err = fk_stmt_bind_text(st, 2, since_date)) == FK_OK)
        err = fk_stmt_bind_int64(st, 3, max);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        struct fk_returnee_trip t = {
            .id = fk_stmt_int64(st, 0),
            .arrival_date = fk_stmt_text(st, 1),
            .origin_code = fk_stmt_text(st, 2),
            .origin_name = fk_stmt_text(st, 3),
            .transport = fk_stmt_text(st, 4),
            .trip_no = fk_stmt_is_null(st, 5) ? NULL : fk_stmt_text(st, 5),
            .region = fk_stmt_text(st, 6),
            .region_name = fk_stmt_text(st, 7),
            .outside_province = fk_stmt_int64(st, 8) != 0,
        };
        if (cb(ctx, &t) != 0)
            break;
    }
    fk_stmt_free(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}
