#include "core/config.h"
#include "core/parse.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

struct option_def {
    const char *name; /* flag without "--", file key */
    const char *env;
    enum opt_type type;
    size_t offset;
    size_t size;      /* for strings */
    int64_t min, max; /* for integers */
    const char *help;
};

#define STR_OPT(n, e, field, h)                                                                    \
    {                                                                                              \
        n, e, OPT_STR, offsetof(struct fk_config, field), sizeof(((struct fk_config *)0)->field),  \
            0, 0, h                                                                                \
    }
#define INT_OPT(n, e, field, lo, hi, h)                                                            \
    {                                                                                              \
        n, e, OPT_INT, offsetof(struct fk_config, field), 0, lo, hi, h                             \
    }
/* A switch (int64_t 0/1): "--name" alone turns it on; "--name=0|1", the
 * variable and the file take 0/1 (the file also true/false). */
#define BOOL_OPT(n, e, field, h)                                                                   \
    {                                                                                              \
        n, e, OPT_BOOL, offsetof(struct fk_config, field), 0, 0, 1, h                              \
    }

static const struct option_def options[] = {
    STR_OPT("db", "FANGKONG_DB", db, "store: a SQLite file path or a postgresql:// URL"),
    STR_OPT("key", "FANGKONG_KEY_FILE", key_file,
            "PII key file (default: DB.key beside a SQLite file, else ./data/fangkong.key)"),
    STR_OPT("listen", "FANGKONG_LISTEN", listen, "address:port to listen on"),
    STR_OPT("web", "FANGKONG_WEB", web, "directory of the built web UI"),
    STR_OPT("log-level", "FANGKONG_LOG_LEVEL", log_level, "debug, info, warn or error"),
    STR_OPT("trusted-proxies", "FANGKONG_TRUSTED_PROXIES", trusted_proxies,
            "comma-separated addresses of reverse proxies whose X-Forwarded-For is believed "
            "(client IPs for rate limits, audit, /metrics); empty: none"),
    INT_OPT("threads", "FANGKONG_THREADS", threads, 1, 256, "HTTP worker threads"),
    INT_OPT("max-body", "FANGKONG_MAX_BODY", max_body, 1024, 1024LL * 1024 * 1024,
            "largest request body in bytes (413 beyond)"),
    INT_OPT("max-upload", "FANGKONG_MAX_UPLOAD", max_upload, 1024, 4LL * 1024 * 1024 * 1024,
            "largest file upload (imports) in bytes (413 beyond)"),
    INT_OPT("conn-timeout", "FANGKONG_CONN_TIMEOUT", conn_timeout, 1, 3600,
            "seconds an idle connection is kept"),
    INT_OPT("conn-limit", "FANGKONG_CONN_LIMIT", conn_limit, 16, 1000000,
            "most simultaneous connections"),
    INT_OPT("per-ip-conn-limit", "FANGKONG_PER_IP_CONN_LIMIT", per_ip_conn_limit, 0, 1000000,
            "most simultaneous connections from one client address (0: no limit); the "
            "--trusted-proxies addresses are exempt"),
    INT_OPT("header-timeout", "FANGKONG_HEADER_TIMEOUT", header_timeout, 1, 3600,
            "seconds a client has to send a request line and headers, from the connection's "
            "opening or the previous reply (408 and closed beyond)"),
    INT_OPT("body-min-rate", "FANGKONG_BODY_MIN_RATE", body_min_rate, 0, 1024LL * 1024 * 1024,
            "bytes per second a request body must average once --header-timeout seconds have "
            "passed (408 and closed below; 0: no minimum)"),
    INT_OPT("session-ttl", "FANGKONG_SESSION_TTL", session_ttl, 60, 30LL * 86400,
            "seconds a browser session lives without use"),
    INT_OPT("lockout-attempts", "FANGKONG_LOCKOUT_ATTEMPTS", lockout_attempts, 1, 1000,
            "failed logins of one username from one client address before that pair is locked"),
    INT_OPT("lockout-window", "FANGKONG_LOCKOUT_WINDOW", lockout_window, 1, 86400,
            "seconds of quiet (after the last attempt or lock) after which failures are forgotten"),
    INT_OPT("lockout-delay", "FANGKONG_LOCKOUT_DELAY", lockout_delay, 1, 86400,
            "seconds of the first lock of a (username, address); each further failure doubles it"),
    INT_OPT("lockout-duration", "FANGKONG_LOCKOUT_DURATION", lockout_duration, 1, 86400 * 7,
            "longest lock of a (username, address) in seconds"),
    BOOL_OPT("secure-cookies", "FANGKONG_SECURE_COOKIES", secure_cookies,
             "always mark the session cookie Secure (else only for HTTPS seen by a trusted proxy, "
             "X-Forwarded-Proto: https)"),
    INT_OPT("green-exit-hours", "FANGKONG_GREEN_EXIT_HOURS", green_exit_hours, 1, 24 * 30,
            "a green card (四色通行证) goes out at most once per this many hours"),
    INT_OPT("vehicle-pass-hours", "FANGKONG_VEHICLE_PASS_HOURS", vehicle_pass_hours, 1, 24 * 31,
            "validity of a one-code vehicle pass (一码通) in hours"),
    INT_OPT("fever-tenths", "FANGKONG_FEVER_TENTHS", fever_tenths, 350, 420,
            "fever threshold at checkpoints in tenths of a degree Celsius (373 = 37.3 °C)"),
    INT_OPT("checkin-retention-days", "FANGKONG_CHECKIN_RETENTION_DAYS", checkin_retention_days, 1,
            3650, "venue check-ins (场所扫码记录) older than this many days are purged hourly"),
    STR_OPT("rules-dir", "FANGKONG_RULES_DIR", rules_dir,
            "directory of extra health-code rule sets (*.json) that add to or replace the "
            "embedded ones by name; a bad file refuses to start"),
    STR_OPT("sms-command", "FANGKONG_SMS_COMMAND", sms_command,
            "program that sends a resident's sign-in code: run as PATH PHONE TEXT, no shell, "
            "5 s limit, exit status 0 = sent"),
    STR_OPT("sms-webhook", "FANGKONG_SMS_WEBHOOK", sms_webhook,
            "URL that sends a resident's sign-in code: HTTP POST {\"phone\",\"text\"}, 5 s "
            "limit, 2xx = sent (neither set: demo mode, the code goes to the server log)"),
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

void fk_config_defaults(struct fk_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->db, sizeof(cfg->db), "data/fangkong.db");
    snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8080");
    snprintf(cfg->web, sizeof(cfg->web), "web/dist");
    snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
    cfg->threads = 4;
    cfg->max_body = 1024 * 1024;
    cfg->max_upload = 64 * 1024 * 1024;
    cfg->conn_timeout = 30;
    cfg->conn_limit = 4096;
    cfg->per_ip_conn_limit = 256;
    cfg->header_timeout = 20;
    cfg->body_min_rate = 1024;
    cfg->session_ttl = 12 * 3600;
    cfg->lockout_attempts = 5;
    cfg->lockout_window = 15 * 60;
    cfg->lockout_duration = 15 * 60;
    cfg->lockout_delay = 60;
    cfg->green_exit_hours = 48;
    cfg->vehicle_pass_hours = 72;
    cfg->fever_tenths = 373;
    cfg->checkin_retention_days = 28;
}

static enum fk_err set_option(struct fk_config *cfg, const struct option_def *opt,
                              const char *value, const char *source, char *why, size_t why_size)
{
    char *field = (char *)cfg + opt->offset;
    if (opt->type == OPT_STR) {
        if (strlen(value) >= opt->size) {
            snprintf(why, why_size, "%s: value of %s is too long", source, opt->name);
            return FK_ERR_INVALID;
        }
        memcpy(field, value, strlen(value) + 1);
        return FK_OK;
    }
    int64_t number;
    if (opt->type == OPT_BOOL && (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)) {
        number = value[0] == 't';
        memcpy(field, &number, sizeof(number));
        return FK_OK;
    }
    if (fk_parse_int64(value, opt->min, opt->max, &number) != FK_OK) {
        if (opt->type == OPT_BOOL)
            snprintf(why, why_size, "%s: %s is a switch: 0, 1, true or false", source, opt->name);
        else
            snprintf(why, why_size, "%s: %s must be an integer from %lld to %lld", source,
                     opt->name, (long long)opt->min, (long long)opt->max);
        return FK_ERR_INVALID;
    }
    memcpy(field, &number, sizeof(number));
    return FK_OK;
}

static const struct option_def *find_option(const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

static enum fk_err load_file(struct fk_config *cfg, const char *path, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(why, why_size, "config file %s: %s (line %d)", path, jerr.text, jerr.line);
        return FK_ERR_INVALID;
    }
    enum fk_err err = FK_OK;
    if (!json_is_object(root)) {
        snprintf(why, why_size, "config file %s: must be a JSON object", path);
        err = FK_ERR_INVALID;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (err != FK_OK)
            break;
        const struct option_def *opt = find_option(key);
        if (opt == NULL) {
            snprintf(why, why_size, "config file %s: unknown option \"%s\"", path, key);
            err = FK_ERR_INVALID;
            break;
        }
        char text[1024];
        if (json_is_string(value))
            snprintf(text, sizeof(text), "%s", json_string_value(value));
        else if (json_is_integer(value))
            snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(value));
        else if (json_is_boolean(value) && opt->type == OPT_BOOL)
            snprintf(text, sizeof(text), "%s", json_is_true(value) ? "true" : "false");
        else {
            snprintf(why, why_size, "config file %s: \"%s\" must be a string or integer", path,
                     key);
            err = FK_ERR_INVALID;
            break;
        }
        err = set_option(cfg, opt, text, path, why, why_size);
    }
    json_decref(root);
    return err;
}

enum fk_err fk_config_load(struct fk_config *cfg, int argc, char **argv, char *why, size_t why_size)
{
    enum fk_err err;
    /* 1. the file */
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        if (path != NULL && (err = load_file(cfg, path, why, why_size)) != FK_OK)
            return err;
    }
    /* 2. the environment */
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *value = getenv(options[i].env);
        if (value != NULL && value[0] != '\0' &&
            (err = set_option(cfg, &options[i], value, options[i].env, why, why_size)) != FK_OK)
            return err;
    }
    /* 3. the flags */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(why, why_size, "unexpected argument \"%s\"", arg);
            return FK_ERR_INVALID;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t name_len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (name_len >= sizeof(name)) {
            snprintf(why, why_size, "unknown option \"%.80s\"", arg);
            return FK_ERR_INVALID;
        }
        memcpy(name, arg + 2, name_len);
        name[name_len] = '\0';
        const char *value = eq ? eq + 1 : NULL;
        const struct option_def *opt = find_option(name);
        if (value == NULL && opt != NULL && opt->type == OPT_BOOL)
            value = "1"; /* a switch given alone */
        if (value == NULL) {
            if (i + 1 >= argc) {
                snprintf(why, why_size, "option --%s needs a value", name);
                return FK_ERR_INVALID;
            }
            value = argv[++i];
        }
        if (strcmp(name, "config") == 0)
            continue;
        if (opt == NULL) {
            snprintf(why, why_size, "unknown option --%s (see --help)", name);
            return FK_ERR_INVALID;
        }
        if ((err = set_option(cfg, opt, value, "flag", why, why_size)) != FK_OK)
            return err;
    }
    return FK_OK;
}

void fk_config_print_help(FILE *out)
{
    struct fk_config defaults;
    fk_config_defaults(&defaults);
    fprintf(out, "usage: fangkong serve [--config FILE.json] [options]\n\n"
                 "Each option can also be set by its environment variable or as a key of the\n"
                 "JSON config file; flags override the environment, which overrides the file.\n\n");
    fprintf(out, "  %-24s %-28s %s\n", "--config FILE", "", "JSON file of options");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *opt = &options[i];
        char flag[64], def[64];
        snprintf(flag, sizeof(flag), "--%s%s", opt->name,
                 opt->type == OPT_INT   ? " N"
                 : opt->type == OPT_STR ? " VALUE"
                                        : "");
        const char *field = (const char *)&defaults + opt->offset;
        if (opt->type != OPT_STR) {
            int64_t v;
            memcpy(&v, field, sizeof(v));
            snprintf(def, sizeof(def), "%lld", (long long)v);
        } else {
            snprintf(def, sizeof(def), "%s", field[0] ? field : "(none)");
        }
        fprintf(out, "  %-24s %-28s %s [default: %s]\n", flag, opt->env, opt->help, def);
    }
    fprintf(out, "\n  FANGKONG_NOW=RFC3339   start the clock at that instant (tests, replays)\n");
    fprintf(out, "  FANGKONG_CLOCK=frozen  with FANGKONG_NOW: time stands still there (tests;\n"
                 "                         POST /api/v1/test/clock moves it, from this machine)\n");
}

void fk_config_key_path(const char *db, const char *key_file, char *out, size_t out_size)
{
    if (key_file != NULL && key_file[0] != '\0')
        snprintf(out, out_size, "%s", key_file);
    else if (strncmp(db, "postgres", 8) == 0)
        snprintf(out, out_size, "data/fangkong.key");
    else
        snprintf(out, out_size, "%s.key", db);
}
