/* Server configuration: defaults < config file (JSON) < environment < flags.
 * Every option has a flag (--name), an environment variable (FANGKONG_NAME)
 * and a key in the file ("name"); `fangkong serve --help` lists them all. */
#ifndef FK_CORE_CONFIG_H
#define FK_CORE_CONFIG_H

#include <stdint.h>
#include <stdio.h>
#include "core/err.h"

struct fk_config {
    char db[1024];
    char key_file[1024];
    char listen[128];
    char web[1024];
    char log_level[16];
    char trusted_proxies[512];
    int64_t threads;
    int64_t max_body;
    int64_t max_upload;
    int64_t conn_timeout;
    int64_t conn_limit;
    int64_t per_ip_conn_limit; /* 0: none; the trusted proxies are exempt */
    int64_t header_timeout;    /* seconds for a request line and headers */
    int64_t body_min_rate;     /* bytes a second a body must average; 0: none */
    int64_t session_ttl;
    int64_t lockout_attempts;
    int64_t lockout_window;
    int64_t lockout_duration;
    int64_t lockout_delay;
    int64_t secure_cookies; /* boolean: always add Secure to the session cookie */
    int64_t green_exit_hours;
    int64_t vehicle_pass_hours;
    int64_t fever_tenths;
    int64_t checkin_retention_days;
    char rules_dir[1024];
    char sms_command[1024]; /* resident sign-in codes: run PATH PHONE TEXT */
    char sms_webhook[1024]; /* or POST {"phone","text"} to this URL; neither: demo log */
};

/* Fills defaults into `cfg` (the caller's; the config holds no pointers, so
 * there is nothing to free). */
void fk_config_defaults(struct fk_config *cfg);

/* Applies the file named by --config (if any), then FANGKONG_* variables, then
 * flags from argv (borrowed; values are copied into `cfg`). Unknown flags, bad
 * values and unreadable files fail with a message in `why` (the caller's
 * buffer of why_size bytes). argv[0] is skipped. */
enum fk_err fk_config_load(struct fk_config *cfg, int argc, char **argv, char *why,
                           size_t why_size) FK_MUST_CHECK;

/* Prints every option with its flag, variable, default and description to
 * `out` (borrowed). */
void fk_config_print_help(FILE *out);

/* The PII key file to use: the configured one, else DB.key beside a SQLite
 * file, else ./data/fangkong.key; written to the caller's `out` (out_size
 * bytes). `db` and `key_file` are borrowed. */
void fk_config_key_path(const char *db, const char *key_file, char *out, size_t out_size);

#endif
