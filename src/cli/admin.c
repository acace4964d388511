/* fangkong init / user / token / id: administration from the command line. */
#include "accounts/accounts.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "id/id.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fk_cmd_init(int argc, char **argv)
{
    struct fk_store *store;
    struct fk_pii_key key;
    int rc = fk_cli_open(argc, argv, &store, &key);
    if (rc != 0)
        return rc;
    fk_store_close(store);
    printf("store ready\n");
    return 0;
}

/* Reads one line (the password) from stdin without its newline. */
static int read_password(char *out, size_t size)
{
    if (fgets(out, (int)size, stdin) == NULL)
        return -1;
    size_t len = strlen(out);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
        out[--len] = '\0';
    return 0;
}

int fk_cmd_user(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        fprintf(stderr, "usage: fangkong user add --db DB --username U --role ROLE --region CODE "
                        "[--display-name NAME] [--allow-weak-password]   (password on stdin)\n"
                        "  the password must have 10-256 characters, not contain the username "
                        "and pass cracklib;\n"
                        "  --allow-weak-password skips that check (throwaway demos and tests "
                        "only)\n");
        return 64;
    }
    const char *username = fk_cli_opt(argc, argv, "username");
    const char *role = fk_cli_opt(argc, argv, "role");
    const char *region = fk_cli_opt(argc, argv, "region");
    const char *display_name = fk_cli_opt(argc, argv, "display-name");
    if (username == NULL || role == NULL || region == NULL) {
        fprintf(stderr, "fangkong user add: --username, --role and --region are required\n");
        return 64;
    }
    char password[FK_PASSWORD_MAX + 2];
    if (read_password(password, sizeof(password)) != 0) {
        fprintf(stderr, "fangkong user add: give the password on stdin\n");
        return 64;
    }
    struct fk_store *store;
    int rc = fk_cli_open(argc, argv, &store, NULL);
    if (rc != 0)
        return rc;
    struct fk_conn *db;
    int64_t id = 0;
    struct fk_field_error why = {0};
    enum fk_err err = fk_store_conn(store, &db);
    if (err == FK_OK)
        err = fk_user_add(db, username, password, role, region, display_name,
                          fk_cli_flag(argc, argv, "allow-weak-password") ? FK_USER_ALLOW_WEAK : 0,
                          &id, &why);
    fk_store_close(store);
    if (err == FK_ERR_INVALID || err == FK_ERR_CONFLICT || (err == FK_ERR_IO && why.message)) {
        fprintf(stderr, "fangkong user add: %s: %s\n", why.field, why.message);
        return 2;
    }
    if (err != FK_OK) {
        fprintf(stderr, "fangkong user add: %s\n", fk_err_name(err));
        return 1;
    }
    printf("%lld\n", (long long)id);
    return 0;
}

int fk_cmd_token(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "usage: fangkong token create --db DB --username U [--name NAME]\n");
        return 64;
    }
    const char *username = fk_cli_opt(argc, argv, "username");
    const char *name = fk_cli_opt(argc, argv, "name");
    if (username == NULL) {
        fprintf(stderr, "fangkong token create: --username is required\n");
        return 64;
    }
    struct fk_store *store;
    int rc = fk_cli_open(argc, argv, &store, NULL);
    if (rc != 0)
        return rc;
    struct fk_conn *db;
    char token[FK_TOKEN_LEN];
    enum fk_err err = fk_store_conn(store, &db);
    if (err == FK_OK)
        err = fk_token_create(db, username, name ? name : "cli", token, NULL);
    fk_store_close(store);
    if (err == FK_ERR_NOT_FOUND) {
        fprintf(stderr, "fangkong token create: no user \"%s\"\n", username);
        return 2;
    }
    if (err != FK_OK) {
        fprintf(stderr, "fangkong token create: %s\n", fk_err_name(err));
        return 1;
    }
    printf("%s\n", token);
    return 0;
}

int fk_cmd_id(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: fangkong id check NUMBER\n");
        return 64;
    }
    if (fk_clock_init() != FK_OK) {
        fprintf(stderr, "fangkong id: FANGKONG_NOW must be RFC 3339\n");
        return 64;
    }
    struct fk_resident_id id;
    const char *reason = NULL;
    json_t *out;
    int rc;
    if (fk_resident_id_parse(argv[2], fk_now(), &id, &reason) == FK_OK) {
        out = json_pack("{s:b,s:s,s:s,s:s}", "valid", 1, "region", id.region, "birth_date",
                        id.birth_date, "sex", id.sex == FK_SEX_MALE ? "male" : "female");
        rc = 0;
    } else {
        out = json_pack("{s:b,s:s}", "valid", 0, "reason", reason ? reason : "invalid");
        rc = 2;
    }
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (text != NULL) {
        puts(text);
        free(text);
    }
    return rc;
}
