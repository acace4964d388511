/* Demo checkpoints (fangkong demo --checkpoints N; DESIGN.md §6: checkpoints
 * of all levels): a province/city boundary highway exit, district boundary
 * posts (national road, railway and bus stations), a road post per township
 * and N community gates per community, created by the demo's district admin. */
#include "checkpoints/checkpoints.h"

#include <stdio.h>
#include <string.h>
#include "core/clock.h"
#include "store/store.h"

struct demo_region {
    char code[19];
    char name[128];
    int level;
};

static enum fk_err add(struct fk_conn *db, const char *name, int level, const char *type,
                       const char *region, int64_t by, int64_t now, int64_t *created)
{
    enum fk_err err =
        fk_db_run(db, NULL,
                  "INSERT INTO checkpoints (name, level, type, region, location, state, "
                  "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, '', 'open', ?, ?, ?)",
                  "tittiii", name, (int64_t)level, type, region, by, now, now);
    if (err == FK_OK)
        (*created)++;
    return err;
}

enum fk_err fk_checkpoints_demo(struct fk_conn *db, int64_t gates_per_community, int64_t *created)
{
    *created = 0;
    if (db == NULL || gates_per_community < 0 || gates_per_community > 3)
        return FK_ERR_INVALID;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row,
                    "SELECT id FROM user_directory WHERE role = 'district_admin' ORDER BY id "
                    "LIMIT 1",
                    "");
    int64_t by = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    if (err != FK_OK)
        return err;
    if (by == 0)
        return FK_ERR_NOT_FOUND;
    /* The regions first: a statement left open while inserting would hold
     * SQLite's read snapshot. */
    static struct demo_region list[512];
    size_t n = 0;
    if ((err = fk_stmt_prepare(db,
                               "SELECT code, name, level FROM regions WHERE level <= 3 ORDER BY "
                               "level, code",
                               &st)) != FK_OK)
        return err;
    while ((err = fk_stmt_step(st)) == FK_OK && n < sizeof(list) / sizeof(list[0])) {
        snprintf(list[n].code, sizeof(list[n].code), "%s", fk_stmt_text(st, 0));
        snprintf(list[n].name, sizeof(list[n].name), "%s", fk_stmt_text(st, 1));
        list[n].level = (int)fk_stmt_int64(st, 2);
        n++;
    }
    fk_stmt_free(st);
    if (err != FK_OK && err != FK_ERR_DONE)
        return err;
    int64_t now = fk_now();
    err = fk_db_begin(db);
    char name[FK_CHECKPOINT_NAME_MAX + 1];
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        const struct demo_region *r = &list[i];
        if (r->level == 1) {
            static const struct {
                const char *name;
                int level;
                const char *type;
            } district[] = {
                {"青银高速离石收费站", 1, "highway_exit"},
                {"307国道吴城卡口", 2, "road"},
                {"吕梁站（火车站）", 2, "railway_station"},
                {"离石汽车客运站", 2, "bus_station"},
                {"吕梁大武机场", 1, "airport"},
            };
            for (size_t k = 0; k < sizeof(district) / sizeof(district[0]) && err == FK_OK; k++)
                err = add(db, district[k].name, district[k].level, district[k].type, r->code, by,
                          now, created);
        } else if (r->level == 2) {
            snprintf(name, sizeof(name), "%.40s交通卡口", r->name);
            err = add(db, name, 3, "road", r->code, by, now, created);
        } else {
            for (int64_t k = 0; k < gates_per_community && err == FK_OK; k++) {
                snprintf(name, sizeof(name), "%.40s%s", r->name,
                         k == 0   ? "东门卡口"
                         : k == 1 ? "西门卡口"
                                  : "北门卡口");
                err = add(db, name, 4, "community_gate", r->code, by, now, created);
            }
        }
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    else
        fk_db_rollback(db);
    return err;
}
