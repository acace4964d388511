/* fangkong: subcommand dispatch only. */
#include "cli/cli.h"
#include "codes/codes_api.h"
#include "imports/imports.h"
#include "venues/venues.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"serve", fk_cmd_serve, "serve the API and web UI (fangkong serve --help)"},
    {"init", fk_cmd_init, "create or migrate the store and the PII key: --db DB [--key FILE]"},
    {"user", fk_cmd_user,
     "user add --db DB --username U --role ROLE --region CODE (password on stdin)"},
    {"token", fk_cmd_token, "token create --db DB --username U [--name N]"},
    {"import", fk_cmd_import, "import persons --db DB [--key FILE] [--region CODE] FILE"},
    {"demo", fk_cmd_demo, "demo --db DB --people N --seed S: build the synthetic demo district"},
    {"id", fk_cmd_id, "id check NUMBER: validate a resident ID number"},
    {"purge", fk_cmd_purge, "purge --checkins --db DB [--retention-days N]: delete old check-ins"},
    {"keys", fk_cmd_keys, "keys init|rotate|list|issue|revoke --db DB: signing keys and codes"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: fangkong COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 64;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fangkong: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 64;
}
