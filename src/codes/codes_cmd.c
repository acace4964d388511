/* fangkong keys: the district's signing keys and codes from the command line.
 *
 *   fangkong keys init   --db DB [--key FILE]
 *   fangkong keys rotate --db DB [--key FILE]
 *   fangkong keys list   --db DB [--key FILE]
 *   fangkong keys issue  --db DB [--key FILE] --type T --id N --expires RFC3339
 *   fangkong keys revoke --db DB [--key FILE] --type T --id N --reason TEXT
 */
#include "cli/cli.h"
#include "codes/codes.h"
#include "codes/codes_api.h"
#include "core/clock.h"
#include "core/parse.h"
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: fangkong keys init   --db DB [--key FILE]   create the first signing key\n"
    "       fangkong keys rotate --db DB [--key FILE]   new active key; the old one keeps\n"
    "                                                   verifying for 31 days\n"
    "       fangkong keys list   --db DB [--key FILE]   the keys that verify codes now\n"
    "       fangkong keys issue  --db DB [--key FILE] --type vehicle_pass|card|personal|venue\n"
    "                            --id N --expires RFC3339   print a signed code\n"
    "       fangkong keys revoke --db DB [--key FILE] --type T --id N --reason TEXT\n";

static int issue(struct fk_conn *db, int argc, char **argv)
{
    const char *type_name = fk_cli_opt(argc, argv, "type");
    const char *id_text = fk_cli_opt(argc, argv, "id");
    const char *expires_text = fk_cli_opt(argc, argv, "expires");
    enum fk_code_type type = fk_code_type_from_name(type_name);
    int64_t id = 0, expires = 0;
    if (type == 0 || id_text == NULL || fk_parse_int64(id_text, 1, INT64_MAX, &id) != FK_OK ||
        expires_text == NULL || fk_time_parse(expires_text, &expires) != FK_OK) {
        fprintf(stderr, "fangkong keys issue: --type, --id and --expires are required\n%s",
                usage_text);
        return 64;
    }
    char code[FK_CODE_MAX_LEN];
    enum fk_err err = fk_code_issue(db, type, id, expires, code, sizeof(code));
    if (err == FK_ERR_INVALID) {
        fprintf(stderr, "fangkong keys issue: --expires must be after now and at most 31 days "
                        "ahead\n");
        return 2;
    }
    if (err != FK_OK) {
        fprintf(stderr, "fangkong keys issue: %s (run `fangkong keys init` first?)\n",
                fk_err_name(err));
        return 1;
    }
    printf("%s\n", code);
    return 0;
}

static int revoke_code(struct fk_conn *db, int argc, char **argv)
{
    const char *type_name = fk_cli_opt(argc, argv, "type");
    const char *id_text = fk_cli_opt(argc, argv, "id");
    const char *reason = fk_cli_opt(argc, argv, "reason");
    enum fk_code_type type = fk_code_type_from_name(type_name);
    int64_t id = 0;
    if (type == 0 || id_text == NULL || fk_parse_int64(id_text, 1, INT64_MAX, &id) != FK_OK ||
        reason == NULL) {
        fprintf(stderr, "fangkong keys revoke: --type, --id and --reason are required\n%s",
                usage_text);
        return 64;
    }
    enum fk_err err = fk_code_revoke(db, type, id, reason, 0);
    if (err != FK_OK) {
        fprintf(stderr, "fangkong keys revoke: %s\n", fk_err_name(err));
        return err == FK_ERR_INVALID ? 2 : 1;
    }
    printf("revoked %s %lld\n", type_name, (long long)id);
    return 0;
}

static int list(struct fk_conn *db)
{
    struct fk_code_key keys[64];
    size_t n = 0;
    if (fk_code_keys_list(db, keys, 64, &n) != FK_OK) {
        fprintf(stderr, "fangkong keys list: the store failed\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        char b64[64], created[FK_RFC3339_LEN];
        sodium_bin2base64(b64, sizeof(b64), keys[i].public_key, 32, sodium_base64_VARIANT_ORIGINAL);
        fk_time_format(keys[i].created_at, created);
        printf("%08x %-7s %s %s\n", keys[i].key_id, keys[i].active ? "active" : "retired", created,
               b64);
    }
    return 0;
}

int fk_cmd_keys(int argc, char **argv)
{
    const char *verb = argc >= 2 ? argv[1] : "";
    int known = strcmp(verb, "init") == 0 || strcmp(verb, "rotate") == 0 ||
                strcmp(verb, "list") == 0 || strcmp(verb, "issue") == 0 ||
                strcmp(verb, "revoke") == 0;
    if (!known) {
        fputs(usage_text, strcmp(verb, "--help") == 0 ? stdout : stderr);
        return strcmp(verb, "--help") == 0 ? 0 : 64;
    }
    struct fk_store *store;
    struct fk_pii_key key;
    int rc = fk_cli_open(argc, argv, &store, &key);
    if (rc != 0)
        return rc;
    fk_codes_init(&key);
    sodium_memzero(&key, sizeof(key));
    struct fk_conn *db;
    if (fk_store_conn(store, &db) != FK_OK) {
        fk_store_close(store);
        fprintf(stderr, "fangkong keys: cannot connect to the store\n");
        return 1;
    }
    enum fk_err err = FK_OK;
    if (strcmp(verb, "init") == 0) {
        int created = 0;
        err = fk_code_keys_ensure(db, &created);
        if (err == FK_OK)
            printf(created ? "signing key created\n" : "signing key exists\n");
    } else if (strcmp(verb, "rotate") == 0) {
        uint32_t key_id = 0;
        err = fk_code_keys_rotate(db, &key_id);
        if (err == FK_OK)
            printf("new active key %08x\n", key_id);
    } else if (strcmp(verb, "list") == 0) {
        rc = list(db);
    } else if (strcmp(verb, "issue") == 0) {
        rc = issue(db, argc, argv);
    } else {
        rc = revoke_code(db, argc, argv);
    }
    fk_store_close(store);
    if (err != FK_OK) {
        fprintf(stderr, "fangkong keys %s: %s\n", verb, fk_err_name(err));
        return 1;
    }
    return rc;
}
