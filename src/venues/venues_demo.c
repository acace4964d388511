/* Demo venues for `fangkong demo --venues N`: N venues in every community
 * of the demo district, categories in turn, each with its place code. Behind
 * a flag so that the demo's counts other tests rely on do not change. */
#include "codes/codes.h"
#include "core/clock.h"
#include "venues/venues_internal.h"

#include <stdio.h>
#include <string.h>

/* A name per category, after the community's name. */
static const char *const suffixes[FK_VENUE_CATEGORIES] = {
    "东门",     "村委会",   "便民服务中心", "小学", "卫生服务站", "惠民超市", "农贸市场",
    "购物广场", "家常菜馆", "快捷酒店",     "KTV",  "建材厂",     "公交站"};

enum fk_err fk_venues_demo(struct fk_conn *db, const struct fk_pii_key *key, int64_t per_community,
                           int64_t *created)
{
    *created = 0;
    if (per_community < 1 || per_community > FK_VENUE_CATEGORIES)
        return FK_ERR_INVALID;
    fk_codes_init(key);
    enum fk_err err = fk_code_keys_ensure(db, NULL);
    if (err != FK_OK)
        return err;
    /* The communities first (a statement stays open while inserting would
     * hold SQLite's read snapshot). */
    struct community {
        char code[19];
        char name[128];
    } list[256];
    size_t n = 0;
    struct fk_stmt *st = NULL;
    err = fk_stmt_prepare(db, "SELECT code, name FROM regions WHERE level = 3 ORDER BY code", &st);
    while (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK &&
           n < sizeof(list) / sizeof(list[0])) {
        snprintf(list[n].code, sizeof(list[n].code), "%s", fk_stmt_text(st, 0));
        snprintf(list[n].name, sizeof(list[n].name), "%s", fk_stmt_text(st, 1));
        n++;
    }
    if (st != NULL)
        fk_stmt_free(st);
    if (err != FK_OK && err != FK_ERR_DONE)
        return err;
    int64_t now = fk_now(), expires_at = now + FK_VENUE_CODE_DAYS * 86400;
    err = fk_db_begin(db);
    size_t turn = 0;
    for (size_t c = 0; c < n && err == FK_OK; c++) {
        for (int64_t k = 0; k < per_community && err == FK_OK; k++, turn++) {
            size_t cat = turn % FK_VENUE_CATEGORIES;
            char name[FK_VENUE_NAME_MAX + 1];
            snprintf(name, sizeof(name), "%.60s%s", list[c].name, suffixes[cat]);
            struct fk_venue_input in = {.name = name,
                                        .category = fk_venue_category_at(cat)->name,
                                        .address = "",
                                        .contact_name = "",
                                        .status = "open"};
            int64_t id;
            err = fk_venue_insert(db, &in, list[c].code, NULL, 0, now, expires_at, &id);
            if (err == FK_OK)
                (*created)++;
        }
    }
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        *created = 0;
    }
    return err;
}
