/* Subcommands. Each returns the process exit status. */
#ifndef FK_CLI_CLI_H
#define FK_CLI_CLI_H

int fk_cmd_serve(int argc, char **argv);
int fk_cmd_init(int argc, char **argv);
int fk_cmd_user(int argc, char **argv);
int fk_cmd_token(int argc, char **argv);
int fk_cmd_id(int argc, char **argv);
int fk_cmd_demo(int argc, char **argv);

/* Shared helpers for subcommands. */
struct fk_store;
struct fk_pii_key;
/* Finds "--name VALUE" or "--name=VALUE" in argv; NULL if absent. */
const char *fk_cli_opt(int argc, char **argv, const char *name);
/* Whether the switch "--name" (no value) is in argv. */
int fk_cli_flag(int argc, char **argv, const char *name);
/* Opens and migrates the store named by --db (or FANGKONG_DB) and loads or
 * creates the PII key; prints the reason and returns non-zero on failure. */
int fk_cli_open(int argc, char **argv, struct fk_store **store, struct fk_pii_key *key);
/* Registers every module's event subscribers (src/cli/modules.c); 0 when
 * fine. Idempotent; called by fk_cli_open. */
int fk_modules_subscribe(void);

#endif
