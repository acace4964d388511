/* fangkong serve: configuration, store, routes, signals, graceful stop. */
#include "accounts/accounts.h"
#include "audit/audit.h"
#include "cards/cards.h"
#include "passes/passes.h"
#include "checkpoints/checkpoints.h"
#include "cli/cli.h"
#include "codes/codes.h"
#include "codes/codes_api.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "healthcode/healthcode.h"
#include "http/http.h"
#include "http/system.h"
#include "regions/regions.h"
#include "residents/residents.h"
#include "imports/imports.h"
#include "jobs/jobs.h"
#include "screening/screening.h"
#include "returnees/returnees.h"
#include "threecodes/threecodes.h"
#include "selfservice/selfservice.h"
#include "quarantine/quarantine.h"
#include "venues/venues.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static enum fk_err add_all_routes(void)
{
    enum fk_err err;
    if ((err = fk_http_system_routes()) != FK_OK || (err = fk_accounts_routes()) != FK_OK ||
        (err = fk_regions_routes()) != FK_OK || (err = fk_audit_routes()) != FK_OK ||
        (err = fk_residents_routes()) != FK_OK || (err = fk_jobs_routes()) != FK_OK ||
        (err = fk_imports_routes()) != FK_OK || (err = fk_screening_routes()) != FK_OK ||
        (err = fk_returnees_routes()) != FK_OK || (err = fk_quarantine_routes()) != FK_OK ||
        (err = fk_checkpoints_routes()) != FK_OK)
        return err;
    if ((err = fk_codes_routes()) != FK_OK)
        return err;
    if ((err = fk_cards_routes()) != FK_OK)
        return err;
    if ((err = fk_passes_routes()) != FK_OK)
        return err;
    /* issue 5: each module adds its own line here */
    if ((err = fk_venues_routes()) != FK_OK)
        return err;
    if ((err = fk_healthcode_routes()) != FK_OK)
        return err;
    if ((err = fk_selfservice_routes()) != FK_OK)
        return err;
    if ((err = fk_threecodes_routes()) != FK_OK)
        return err;
    return FK_OK;
}

static enum fk_log_level level_from_name(const char *name)
{
    if (strcmp(name, "debug") == 0)
        return FK_LOG_DEBUG;
    if (strcmp(name, "warn") == 0)
        return FK_LOG_WARN;
    if (strcmp(name, "error") == 0)
        return FK_LOG_ERROR;
    return FK_LOG_INFO;
}

int fk_cmd_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fk_config_print_help(stdout);
            return 0;
        }
    }
    static struct fk_app app;
    char why[512] = "";
    fk_config_defaults(&app.cfg);
    if (fk_config_load(&app.cfg, argc, argv, why, sizeof(why)) != FK_OK) {
        fprintf(stderr, "fangkong serve: %s\n", why);
        return 64;
    }
    fk_log_set_level(level_from_name(app.cfg.log_level));
    if (fk_crypto_init() != FK_OK) {
        fk_log_msg(FK_LOG_ERROR, "crypto_init_failed", "libsodium");
        return 1;
    }
    if (fk_clock_init() != FK_OK) {
        fprintf(stderr,
                "fangkong serve: FANGKONG_NOW must be RFC 3339 (FANGKONG_CLOCK=frozen needs it)\n");
        return 64;
    }
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *cli_argv[] = {"serve", "--db", app.cfg.db, "--key", app.cfg.key_file};
    int cli_argc = app.cfg.key_file[0] ? 5 : 3;
    int rc = fk_cli_open(cli_argc, cli_argv, &app.store, &app.pii_key);
    if (rc != 0)
        return rc;
    if (fk_store_background_start(app.store) != FK_OK) {
        fk_log_msg(FK_LOG_ERROR, "store_background_failed", "cannot start the WAL checkpointer");
        fk_store_close(app.store);
        return 1;
    }
    struct fk_conn *db = NULL;
    int64_t recovered = 0;
    /* Signed codes: a district needs one signing key; make it on first start. */
    fk_codes_init(&app.pii_key);
    int key_created = 0;
    if (fk_store_conn(app.store, &db) != FK_OK || fk_code_keys_ensure(db, &key_created) != FK_OK)
        fk_log_msg(FK_LOG_WARN, "signing_key_failed", "no signing key: codes cannot be issued");
    else if (key_created)
        fk_log_msg(FK_LOG_INFO, "signing_key_created", "first signing key created");
    if (fk_store_conn(app.store, &db) != FK_OK ||
        fk_jobs_recover(db, FK_JOBS_STALE_SECONDS, &recovered) != FK_OK)
        fk_log_msg(FK_LOG_WARN, "jobs_recover_failed", "stale jobs left as they were");
    else if (recovered > 0)
        fk_log(FK_LOG_INFO, "jobs_recovered", json_pack("{s:I}", "failed", (json_int_t)recovered));
    /* issue 5: health-code rule sets (embedded, --rules-dir) and the sweep */
    if (fk_healthcode_start(&app, why, sizeof(why)) != FK_OK) {
        fprintf(stderr, "fangkong serve: %s\n", why);
        fk_store_close(app.store);
        return 64;
    }
    if (add_all_routes() != FK_OK) {
        fk_log_msg(FK_LOG_ERROR, "routes_failed", "too many routes");
        fk_store_close(app.store);
        return 1;
    }
    if (fk_http_start(&app) != FK_OK) {
        fk_store_close(app.store);
        return 1;
    }
    /* Check-in retention: purge at start, then hourly (a job thread). */
    if (fk_venues_start(&app) != FK_OK)
        fk_log_msg(FK_LOG_WARN, "checkins_purge_not_scheduled", "purge with fangkong purge");
    char now[FK_RFC3339_LEN];
    fk_time_format(fk_now(), now);
    fk_log(FK_LOG_INFO, "listening",
           json_pack("{s:s,s:s,s:I,s:s,s:s}", "listen", app.cfg.listen, "store",
                     fk_store_kind(app.store) == FK_STORE_PG ? "postgresql" : "sqlite", "threads",
                     (json_int_t)app.cfg.threads, "web", app.cfg.web, "now", now));
    int sig = 0;
    sigwait(&stop_signals, &sig);
    fk_log(FK_LOG_INFO, "stopping", json_pack("{s:i}", "signal", sig));
    fk_http_stop(&app);
    /* Let background jobs (imports) finish or stop before the store closes. */
    if (fk_jobs_drain(30000) != 0)
        fk_log_msg(FK_LOG_WARN, "jobs_still_running", "store closed under running jobs");
    fk_store_close(app.store);
    fk_log_msg(FK_LOG_INFO, "stopped", "bye");
    return 0;
}
