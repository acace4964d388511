/* Whether an arrival registered outside a door-knock visit (returnee
 * registration) is of concern for a campaign, and whose grid it falls in.
 * The rule is fk_screening_concern's; this file only finds the campaigns. */
#include "screening/screening_internal.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

enum fk_err fk_screening_arrival_check(struct fk_conn *db, const char *destination,
                                       const char *arrival_date, const char *origin_code,
                                       int *concern, int64_t *campaign_id, int64_t *worker_id)
{
    *concern = 0;
    *campaign_id = 0;
    *worker_id = 0;
    /* The destination's ancestors: campaigns sit on a district, township,
     * community, compound or building, whose significant prefix has 6, 9,
     * 12, 15 or 18 digits. */
    char ancestors[5][19];
    static const size_t lengths[5] = {6, 9, 12, 15, 18};
    size_t dlen = strlen(destination);
    for (size_t i = 0; i < 5; i++)
        snprintf(ancestors[i], sizeof(ancestors[i]), "%.*s",
                 (int)(lengths[i] < dlen ? lengths[i] : dlen), destination);
    struct fk_stmt *st;
    enum fk_err err =
        fk_stmt_prepare(db,
                        "SELECT id, region, other_provinces, areas_of_concern "
                        "FROM screening_campaigns WHERE starts_on <= ? AND ends_on >= ? AND "
                        "region_prefix IN (?, ?, ?, ?, ?) ORDER BY starts_on DESC, id DESC",
                        &st);
    if (err != FK_OK)
        return err;
    err = fk_stmt_bind_text(st, 1, arrival_date);
    if (err == FK_OK)
        err = fk_stmt_bind_text(st, 2, arrival_date);
    for (int i = 0; i < 5 && err == FK_OK; i++)
        err = fk_stmt_bind_text(st, 3 + i, ancestors[i]);
    /* Collect the concerned campaigns first: the grid lookups need the
     * connection. At most a handful are active at once. */
    int64_t concerned[32];
    size_t n = 0;
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK) {
        json_t *areas = json_loads(fk_stmt_text(st, 3), 0, NULL);
        int hit = fk_screening_concern(areas, fk_stmt_int64(st, 2) != 0, fk_stmt_text(st, 1),
                                       origin_code);
        json_decref(areas);
        if (hit && n < sizeof(concerned) / sizeof(concerned[0]))
            concerned[n++] = fk_stmt_int64(st, 0);
    }
    fk_stmt_free(st);
    if (err != FK_ERR_DONE)
        return err;
    if (n == 0)
        return FK_OK;
    *concern = 1;
    *campaign_id = concerned[0];
    for (size_t i = 0; i < n; i++) {
        int row;
        err = fk_db_query(db, &st, &row,
                          "SELECT user_id FROM screening_grids WHERE campaign_id = ? AND "
                          "low <= ? AND high > ? ORDER BY length(low) DESC, id LIMIT 1",
                          "itt", concerned[i], destination, destination);
        if (err != FK_OK)
            return err;
        int64_t user = row ? fk_stmt_int64(st, 0) : 0;
        fk_stmt_free(st);
        if (user != 0) {
            *worker_id = user;
            return FK_OK;
        }
    }
    return FK_OK;
}
