/* The pluggable SMS sender for resident sign-in codes: a local command, an
 * HTTP webhook (libcurl: the chosen libraries have no HTTP client), or, with
 * neither configured, the server log (demo mode). Every way is bounded by
 * FK_SMS_TIMEOUT seconds so that a stuck gateway cannot hold an HTTP worker. */
#include "selfservice/selfservice_internal.h"

#include <curl/curl.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/log.h"

extern char **environ;

enum fk_err fk_sms_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? FK_OK : FK_ERR_IO;
}

static void masked(const char *phone, char out[16])
{
    fk_mask_phone(phone, out, 16);
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs `command PHONE TEXT` without a shell, stdin from /dev/null, output to
 * the server's stderr; waits at most FK_SMS_TIMEOUT seconds, then kills it. */
static enum fk_err send_command(const char *command, const char *phone, const char *text)
{
    char phone_masked[16];
    masked(phone, phone_masked);
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0)
        return FK_ERR_NOMEM;
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    char *argv[] = {(char *)command, (char *)phone, (char *)text, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, command, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        fk_log(FK_LOG_ERROR, "sms_command_failed",
               json_pack("{s:s,s:s,s:s}", "phone", phone_masked, "command", command, "error",
                         strerror(rc)));
        return FK_ERR_IO;
    }
    int64_t deadline = monotonic_ms() + FK_SMS_TIMEOUT * 1000;
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR) {
            fk_log_msg(FK_LOG_ERROR, "sms_command_failed", "waitpid");
            return FK_ERR_IO;
        }
        if (monotonic_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            fk_log(FK_LOG_ERROR, "sms_command_timeout",
                   json_pack("{s:s,s:s,s:i}", "phone", phone_masked, "command", command, "seconds",
                             FK_SMS_TIMEOUT));
            return FK_ERR_IO;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fk_log(FK_LOG_ERROR, "sms_command_failed",
               json_pack("{s:s,s:s,s:i}", "phone", phone_masked, "command", command, "status",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1));
        return FK_ERR_IO;
    }
    fk_log(FK_LOG_INFO, "sms_sent",
           json_pack("{s:s,s:s}", "phone", phone_masked, "via", "command"));
    return FK_OK;
}

static size_t discard(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}

/* POSTs {"phone","text"} to `url`; 2xx within FK_SMS_TIMEOUT seconds is sent. */
static enum fk_err send_webhook(const char *url, const char *phone, const char *text)
{
    char phone_masked[16];
    masked(phone, phone_masked);
    json_t *body = json_pack("{s:s,s:s}", "phone", phone, "text", text);
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    CURL *curl = payload ? curl_easy_init() : NULL;
    if (curl == NULL) {
        free(payload);
        return FK_ERR_NOMEM;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)FK_SMS_TIMEOUT);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)FK_SMS_TIMEOUT);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(payload);
    if (rc != CURLE_OK || status < 200 || status > 299) {
        fk_log(FK_LOG_ERROR, "sms_webhook_failed",
               json_pack("{s:s,s:s,s:I}", "phone", phone_masked, "error",
                         rc != CURLE_OK ? curl_easy_strerror(rc) : "http_status", "status",
                         (json_int_t)status));
        return FK_ERR_IO;
    }
    fk_log(FK_LOG_INFO, "sms_sent",
           json_pack("{s:s,s:s}", "phone", phone_masked, "via", "webhook"));
    return FK_OK;
}

enum fk_err fk_sms_send(const struct fk_config *cfg, const char *phone, const char *text)
{
    if (cfg->sms_command[0] != '\0')
        return send_command(cfg->sms_command, phone, text);
    if (cfg->sms_webhook[0] != '\0')
        return send_webhook(cfg->sms_webhook, phone, text);
    char phone_masked[16];
    masked(phone, phone_masked);
    /* Demo mode: nobody is texted; whoever reads the server log signs in.
     * The first run of 6 digits is repeated as "code" (the log escapes the
     * Chinese text). */
    char code[8] = "";
    for (const char *p = text; *p != '\0' && code[0] == '\0'; p++) {
        size_t n = strspn(p, "0123456789");
        if (n == 6)
            memcpy(code, p, 6);
        if (n > 0)
            p += n - 1;
    }
    fk_log(FK_LOG_WARN, "sms_demo",
           json_pack("{s:s,s:s,s:s}", "phone", phone_masked, "code", code, "text", text));
    return FK_OK;
}
