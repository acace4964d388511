/* Placeholder evaluation until the rule engine (rules/ files) lands: open
 * facts of the red kinds make red, of the yellow kinds yellow. Replaced by the
 * engine of issue 5 item 4. */
#include "healthcode/healthcode.h"

#include <string.h>
#include "core/clock.h"

enum fk_err fk_health_refresh(struct fk_conn *db, int64_t person_id)
{
    if (db == NULL || person_id < 1)
        return FK_ERR_INVALID;
    int64_t now = fk_now();
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row,
        "SELECT MAX(CASE WHEN kind IN ('case','close_contact','secondary_contact',"
        "'central_quarantine','home_quarantine','risk_stay','risk_arrival') THEN 2 "
        "ELSE 1 END), (SELECT region FROM persons WHERE id = ?) FROM health_facts "
        "WHERE person_id = ? AND started_at <= ? AND (ended_at IS NULL OR ended_at > ?)",
        "iiii", person_id, person_id, now, now);
    if (err != FK_OK || !row) {
        fk_stmt_free(st);
        return err != FK_OK ? err : FK_ERR_NOT_FOUND;
    }
    enum fk_health_color color =
        fk_stmt_is_null(st, 0) ? FK_HEALTH_GREEN : (enum fk_health_color)fk_stmt_int64(st, 0);
    char region[19] = "";
    const char *r = fk_stmt_text(st, 1);
    if (r != NULL)
        strncpy(region, r, sizeof(region) - 1);
    fk_stmt_free(st);
    if (region[0] == '\0')
        return FK_ERR_NOT_FOUND;
    struct fk_health_code old;
    if ((err = fk_health_code_get(db, person_id, &old)) != FK_OK)
        return err;
    if (old.since != 0 && old.color == color)
        return FK_OK;
    return fk_db_run(db, NULL,
                     "INSERT INTO health_codes (person_id, color, reasons, since, rules_version, "
                     "region, updated_at) VALUES (?, ?, '[]', ?, 'placeholder', ?, ?) "
                     "ON CONFLICT (person_id) DO UPDATE SET color = excluded.color, "
                     "since = excluded.since, updated_at = excluded.updated_at",
                     "ititi", person_id, fk_health_color_name(color), now, region, now);
}

enum fk_err fk_healthcode_routes(void)
{
    return FK_OK;
}
