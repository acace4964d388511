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

static int user_usage(void)
{
    fprintf(stderr,
            "usage: fangkong user add --db DB --username U --role ROLE --region CODE "
            "[--display-name NAME] [--allow-weak-password] [--fast-password-hash]\n"
            "       fangkong user passwd --db DB --username U [--revoke-tokens] "
            "[--allow-weak-password] [--fast-password-hash]\n"
            "  the password is read from stdin; it must have 10-256 characters, not contain the "
            "username\n"
            "  and pass cracklib; --allow-weak-password skips that check (throwaway demos and "
            "tests only).\n"
            "  --fast-password-hash stores an argon2id hash of libsodium's minimum cost: test "
            "suites only,\n"
            "  never for a login people use (the hash carries its cost; the server checks it as "
            "stored).\n"
            "  passwd ends the user's sessions and login locks; --revoke-tokens also revokes "
            "their bearer tokens\n");
    return 64;
}

/* Prints why the store refused, returns the exit status (0 on FK_OK). */
static int user_result(const char *what, enum fk_err err, const struct fk_field_error *why)
{
    if (err == FK_OK)
        return 0;
    if (why->message != NULL) {
        fprintf(stderr, "fangkong user %s: %s: %s\n", what, why->field, why->message);
        return 2;
    }
    fprintf(stderr, "fangkong user %s: %s\n", what, fk_err_name(err));
    return 1;
}

int fk_cmd_user(int argc, char **argv)
{
    int add = argc >= 2 && strcmp(argv[1], "add") == 0;
    int passwd = argc >= 2 && strcmp(argv[1], "passwd") == 0;
    if (!add && !passwd)
        return user_usage();
    const char *what = add ? "add" : "passwd";
    const char *username = fk_cli_opt(argc, argv, "username");
    const char *role = fk_cli_opt(argc, argv, "role");
    const char *region = fk_cli_opt(argc, argv, "region");
    const char *display_name = fk_cli_opt(argc, argv, "display-name");
    if (username == NULL || (add && (role == NULL || region == NULL))) {
        fprintf(stderr, "fangkong user %s: %s required\n", what,
                add ? "--username, --role and --region are" : "--username is");
        return 64;
    }
    char password[FK_PASSWORD_MAX + 2];
    if (read_password(password, sizeof(password)) != 0) {
        fprintf(stderr, "fangkong user %s: give the password on stdin\n", what);
        return 64;
    }
    unsigned flags = fk_cli_flag(argc, argv, "allow-weak-password") ? FK_USER_ALLOW_WEAK : 0;
    /* A test suite logs in hundreds of times: the interactive argon2id cost
     * (~0.1-0.2 s each here) would be most of its time. */
    fk_password_set_fast(fk_cli_flag(argc, argv, "fast-password-hash"));
    struct fk_store *store;
    int rc = fk_cli_open(argc, argv, &store, NULL);
    if (rc != 0)
        return rc;
    struct fk_conn *db;
    int64_t id = 0;
    struct fk_field_error why = {0};
    enum fk_err err = fk_store_conn(store, &db);
    if (err == FK_OK && add)
        err = fk_user_add(db, username, password, role, region, display_name, flags, &id, &why);
    else if (err == FK_OK)
        err = fk_user_set_password(db, username, password, flags,
                                   fk_cli_flag(argc, argv, "revoke-tokens"), &why);
    fk_store_close(store);
    memset(password, 0, sizeof(password));
    if ((rc = user_result(what, err, &why)) != 0)
        return rc;
    if (add)
        printf("%lld\n", (long long)id);
    else
        printf("password of %s changed\n", username);
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
        fprintf(stderr,
                "fangkong id: FANGKONG_NOW must be RFC 3339 (FANGKONG_CLOCK=frozen needs it)\n");
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
