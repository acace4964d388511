/* `fangkong purge --checkins --db DB [--retention-days N]`: the retention
 * purge of check-ins from the command line (the server also runs it hourly). */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "venues/venues.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fk_cmd_purge(int argc, char **argv)
{
    int checkins = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--checkins") == 0)
            checkins = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: fangkong purge --checkins --db DB [--retention-days N]\n"
                   "  deletes venue check-ins older than N days (default: "
                   "FANGKONG_CHECKIN_RETENTION_DAYS or 28)\n");
            return 0;
        }
    }
    if (!checkins) {
        fprintf(stderr, "fangkong purge: say what to purge: --checkins\n");
        return 64;
    }
    int64_t days = 28;
    const char *text = fk_cli_opt(argc, argv, "retention-days");
    if (text == NULL)
        text = getenv("FANGKONG_CHECKIN_RETENTION_DAYS");
    if (text != NULL && fk_parse_int64(text, 1, 3650, &days) != FK_OK) {
        fprintf(stderr, "fangkong purge: --retention-days must be 1..3650\n");
        return 64;
    }
    struct fk_store *store = NULL;
    struct fk_pii_key key;
    int rc = fk_cli_open(argc, argv, &store, &key);
    if (rc != 0)
        return rc;
    struct fk_conn *db = NULL;
    int64_t deleted = 0;
    enum fk_err err = fk_store_conn(store, &db);
    if (err == FK_OK)
        err = fk_checkins_purge(db, fk_now(), days, 0, "cli", &deleted);
    fk_store_close(store);
    if (err != FK_OK) {
        fprintf(stderr, "fangkong purge: failed (%s)\n", fk_err_name(err));
        return 1;
    }
    printf("deleted %lld check-ins older than %lld days\n", (long long)deleted, (long long)days);
    return 0;
}
