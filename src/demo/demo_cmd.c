/* `fangkong demo --db DB --people N --seed S [--key FILE]`: builds the demo
 * district and prints what it built and how to log in. */
#include "accounts/accounts.h"
#include "cli/cli.h"
#include "core/parse.h"
#include "crypto/crypto.h"
#include "demo/demo.h"
#include "store/store.h"
#include "checkpoints/checkpoints.h"
#include "venues/venues.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PEOPLE 50000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fangkong demo --db DB [--people N] [--seed S] [--key FILE]\n"
            "  builds the synthetic Lishi-shaped demo district (all people invented)\n"
            "  --people N   residents to create, 0..%d (default %d; 0: regions and logins only)\n"
            "  --seed S     any 64-bit integer; the same seed gives the same people (default 1)\n"
            "  --key FILE   the PII key file (default: beside the SQLite file)\n"
            "  --venues N   also N venues (场所) with place codes in every community, 0..13\n"
            "  --checkpoints N  also checkpoints of all levels, with N gates per community, 0..3\n"
            "  --allow-weak-password  let the demo logins have a password that fails the\n"
            "               password rule (the default %s does: it is public, for demos only)\n"
            "  --fast-password-hash  hash the demo logins at libsodium's minimum argon2id\n"
            "               cost (test suites only)\n"
            "  FANGKONG_DEMO_PASSWORD  password of the demo logins (default %s)\n",
            FK_DEMO_PEOPLE_MAX, DEFAULT_PEOPLE, FK_DEMO_PASSWORD, FK_DEMO_PASSWORD);
}

/* Every argument must be a known option; returns 0 if one is not. */
static int options_known(int argc, char **argv)
{
    static const char *const known[] = {"db", "people", "seed", "key", "venues", "checkpoints"};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0)
            return 0;
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        int found = 0;
        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]) && !found; k++)
            found = strlen(known[k]) == len && strncmp(arg + 2, known[k], len) == 0;
        if (!found &&
            (strcmp(arg, "--allow-weak-password") == 0 || strcmp(arg, "--fast-password-hash") == 0))
            continue; /* the switches without a value */
        if (!found)
            return 0;
        if (eq == NULL && ++i >= argc)
            return 0; /* "--people" without a value */
    }
    return 1;
}

/* Any 64-bit integer: signed (-2^63..2^63-1) through fk_parse_int64, or an
 * unsigned one above 2^63-1, so every seed a script derives from 64 random
 * bits works. Returns 0 if `text` is neither. */
static int parse_seed(const char *text, uint64_t *seed)
{
    int64_t value;
    if (fk_parse_int64(text, INT64_MIN, INT64_MAX, &value) == FK_OK) {
        *seed = (uint64_t)value;
        return 1;
    }
    uint64_t u = 0;
    if (text[0] == '\0' || strlen(text) > 20)
        return 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        uint64_t digit = (uint64_t)(*p - '0');
        if (u > (UINT64_MAX - digit) / 10)
            return 0;
        u = u * 10 + digit;
    }
    *seed = u;
    return 1;
}

/* Columns on a terminal: ASCII is one wide, CJK (3-byte UTF-8) two. */
static int display_width(const char *s)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        width += (*p & 0xf0) == 0xe0 ? 2 : 1;
    }
    return width;
}

static void cell(const char *text, int width)
{
    fputs(text, stdout);
    for (int pad = width - display_width(text); pad > 0; pad--)
        fputc(' ', stdout);
}

static void print_summary(const char *db, const struct fk_demo_stats *s, const char *password_shown)
{
    printf("离石区演示数据已生成 / demo district built in %s\n", db);
    printf("  区划 regions        %8lld  (乡镇街道 townships %lld, 社区村 communities %lld, "
           "楼栋 buildings %lld)\n",
           (long long)s->regions, (long long)s->townships, (long long)s->communities,
           (long long)s->buildings);
    printf("  小区 compounds      %8lld\n", (long long)s->compounds);
    printf("  住户 households     %8lld\n", (long long)s->households);
    printf("  人员 persons        %8lld\n", (long long)s->persons);
    printf("  用时 seconds        %8.1f\n\n", s->seconds);

    size_t n;
    const struct fk_demo_login *logins = fk_demo_logins(&n);
    printf("演示账号 / demo logins\n");
    cell("  用户名 username", 22);
    cell("角色 role", 18);
    cell("区划 region", 46);
    printf("密码 password\n");
    for (size_t i = 0; i < n; i++) {
        char region[160];
        snprintf(region, sizeof(region), "%s %s", logins[i].region, logins[i].region_name);
        printf("  ");
        cell(logins[i].username, 20);
        cell(logins[i].role_zh, 18);
        cell(region, 46);
        printf("%s\n", password_shown);
    }
    printf("\n注意：所有人员、姓名、身份证号码和手机号码均为虚构，如有雷同纯属巧合。\n"
           "Note: all people, names, ID numbers and phone numbers are invented; the ID numbers\n"
           "pass the GB 11643 checks but belong to nobody.\n");
}

int fk_cmd_demo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    }
    if (!options_known(argc, argv)) {
        fprintf(stderr, "fangkong demo: unknown option or missing value\n");
        usage(stderr);
        return 64;
    }
    struct fk_demo_options opt = {DEFAULT_PEOPLE, 1, FK_DEMO_PASSWORD, FK_DEMO_PROGRESS_NONE, 0};
    const char *people = fk_cli_opt(argc, argv, "people");
    if (people != NULL && fk_parse_int64(people, 0, FK_DEMO_PEOPLE_MAX, &opt.people) != FK_OK) {
        fprintf(stderr, "fangkong demo: --people must be an integer from 0 to %d\n",
                FK_DEMO_PEOPLE_MAX);
        usage(stderr);
        return 64;
    }
    const char *seed_text = fk_cli_opt(argc, argv, "seed");
    if (seed_text != NULL && !parse_seed(seed_text, &opt.seed)) {
        fprintf(stderr, "fangkong demo: --seed must be a 64-bit integer\n");
        usage(stderr);
        return 64;
    }
    int64_t venues = 0;
    const char *venues_text = fk_cli_opt(argc, argv, "venues");
    if (venues_text != NULL && fk_parse_int64(venues_text, 0, 13, &venues) != FK_OK) {
        fprintf(stderr, "fangkong demo: --venues must be an integer from 0 to 13\n");
        return 64;
    }
    int64_t checkpoints = -1;
    const char *checkpoints_text = fk_cli_opt(argc, argv, "checkpoints");
    if (checkpoints_text != NULL && fk_parse_int64(checkpoints_text, 0, 3, &checkpoints) != FK_OK) {
        fprintf(stderr, "fangkong demo: --checkpoints must be an integer from 0 to 3\n");
        return 64;
    }
    const char *password_shown = FK_DEMO_PASSWORD;
    const char *env_password = getenv("FANGKONG_DEMO_PASSWORD");
    if (env_password != NULL && env_password[0] != '\0') {
        size_t len = strlen(env_password);
        if (len < 8 || len > 256) {
            fprintf(stderr, "fangkong demo: FANGKONG_DEMO_PASSWORD must be 8–256 characters\n");
            return 64;
        }
        opt.password = env_password;
        password_shown = "(FANGKONG_DEMO_PASSWORD)"; /* an operator's secret is not echoed */
    }
    /* Checked before anything is built; each login is checked again with its name. */
    opt.allow_weak_password = fk_cli_flag(argc, argv, "allow-weak-password");
    struct fk_field_error why = {0};
    if (!opt.allow_weak_password && fk_password_check(NULL, opt.password, &why) != FK_OK) {
        fprintf(stderr,
                "fangkong demo: the demo password is refused: %s\n"
                "  set FANGKONG_DEMO_PASSWORD to a strong one, or pass --allow-weak-password "
                "for a throwaway demo\n",
                why.message);
        return 64;
    }
    /* Named in messages: a SQLite path as given, never a PostgreSQL URL,
     * which may carry a password. */
    const char *db_name = fk_cli_opt(argc, argv, "db");
    if (db_name == NULL)
        db_name = getenv("FANGKONG_DB");
    if (db_name == NULL || strncmp(db_name, "postgres", 8) == 0)
        db_name = "the PostgreSQL store";

    struct fk_store *store = NULL;
    struct fk_pii_key key;
    int rc = fk_cli_open(argc, argv, &store, &key);
    if (rc != 0)
        return rc;
    /* Real argon2id for the logins, as people will use them on a real server;
     * the minimum cost only when a test suite asks. */
    fk_password_set_fast(fk_cli_flag(argc, argv, "fast-password-hash"));
    opt.progress = isatty(STDERR_FILENO) ? FK_DEMO_PROGRESS_BAR : FK_DEMO_PROGRESS_LINES;

    struct fk_demo_stats stats;
    enum fk_err err = fk_demo_build(store, &key, &opt, &stats);
    int64_t venues_made = 0;
    struct fk_conn *venue_db = NULL;
    if (err == FK_OK && venues > 0 &&
        ((err = fk_store_conn(store, &venue_db)) != FK_OK ||
         (err = fk_venues_demo(venue_db, &key, venues, &venues_made)) != FK_OK))
        fprintf(stderr, "fangkong demo: the demo venues failed: %s\n", fk_err_name(err));
    int64_t checkpoints_made = 0;
    if (err == FK_OK && checkpoints >= 0 &&
        ((err = fk_store_conn(store, &venue_db)) != FK_OK ||
         (err = fk_checkpoints_demo(venue_db, checkpoints, &checkpoints_made)) != FK_OK))
        fprintf(stderr, "fangkong demo: the demo checkpoints failed: %s\n", fk_err_name(err));
    memset(&key, 0, sizeof(key));
    fk_store_close(store);
    if (err == FK_ERR_CONFLICT) {
        printf("演示区已存在 / the demo district (141102 离石区) already exists in %s; "
               "nothing was changed.\n",
               db_name);
        return 0;
    }
    if (err != FK_OK) {
        fprintf(stderr, "fangkong demo: building the demo district failed: %s\n", fk_err_name(err));
        return 1;
    }
    print_summary(db_name, &stats, password_shown);
    if (venues_made > 0)
        printf("场所 / venues: %lld (with place codes)\n", (long long)venues_made);
    if (checkpoints_made > 0)
        printf("卡口 / checkpoints: %lld (levels 1–4)\n", (long long)checkpoints_made);
    return 0;
}
