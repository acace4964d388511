#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "crypto/crypto.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *fk_cli_opt(int argc, char **argv, const char *name)
{
    size_t len = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || strncmp(argv[i] + 2, name, len) != 0)
            continue;
        const char *rest = argv[i] + 2 + len;
        if (*rest == '=')
            return rest + 1;
        if (*rest == '\0' && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

int fk_cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0)
            return 1;
    return 0;
}

/* Creates the parent directory of a SQLite file or key file if missing. */
static void ensure_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path || strncmp(path, "postgres", 8) == 0)
        return;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        fprintf(stderr, "fangkong: cannot create %s: %s\n", dir, strerror(errno));
}

int fk_cli_open(int argc, char **argv, struct fk_store **store, struct fk_pii_key *key)
{
    if (fk_crypto_init() != FK_OK || fk_clock_init() != FK_OK) {
        fprintf(stderr,
                "fangkong: cannot initialise (libsodium, FANGKONG_NOW or FANGKONG_CLOCK)\n");
        return 1;
    }
    if (fk_modules_subscribe() != 0)
        return 1;
    const char *db = fk_cli_opt(argc, argv, "db");
    if (db == NULL)
        db = getenv("FANGKONG_DB");
    if (db == NULL || db[0] == '\0') {
        fprintf(stderr, "fangkong: --db is required (a SQLite file or a postgresql:// URL)\n");
        return 64;
    }
    ensure_parent_dir(db);
    if (fk_store_open(db, store) != FK_OK) {
        fprintf(stderr, "fangkong: cannot open the store %s\n", db);
        return 1;
    }
    if (fk_store_migrate(*store) != FK_OK) {
        fprintf(stderr, "fangkong: migrating the store failed (see the log above)\n");
        fk_store_close(*store);
        return 1;
    }
    if (key != NULL) {
        const char *key_opt = fk_cli_opt(argc, argv, "key");
        if (key_opt == NULL)
            key_opt = getenv("FANGKONG_KEY_FILE");
        char key_path[1100];
        fk_config_key_path(db, key_opt, key_path, sizeof(key_path));
        ensure_parent_dir(key_path);
        if (fk_pii_key_load_or_create(key_path, key) != FK_OK) {
            fprintf(stderr, "fangkong: cannot read or create the PII key file %s\n", key_path);
            fk_store_close(*store);
            return 1;
        }
    }
    return 0;
}
