/* The connection registry: per-address limits, slow-sender deadlines, and
 * libmicrohttpd's messages as aggregated JSON log lines. See conns.h and
 * docs/internals/http.md. */
#include "http/conns.h"
#include "http/internal.h"
#include "http/peers.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (Linux 4.1) */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL
#define KEY_LEN FK_PEER_KEY_LEN

struct conn {
    struct conn *prev, *next;
    struct fk_conns *conns;
    struct MHD_Connection *mhd;
    int fd;
    pthread_t owner; /* the MHD worker that serves it; connections never move */
    unsigned char key[KEY_LEN];
    int counted; /* fk_peers_take said 1 for it: give it back at the end */
    enum fk_conn_phase phase;
    int64_t since_ns;   /* when the phase began */
    int64_t received;   /* body bytes in FK_CONN_BODY */
    uint64_t head_base; /* bytes the socket had received when FK_CONN_HEAD began */
    int dropped;        /* answered by us and shut down */
};

struct fk_conns {
    const struct fk_config *cfg;
    pthread_mutex_t lock; /* the list, the peer table, the log window */
    struct conn *head;
    struct fk_peers *peers; /* at most --conn-limit addresses at once */
    pthread_t watchdog;
    pthread_cond_t wake;
    int stopping;
    /* libmicrohttpd's messages: the first of each second is written, the
     * others are counted and summed up in one line when the second is over. */
    int64_t log_window_ns;
    int64_t log_folded;
    char log_last[256];
    /* Connections refused by the per-address limit since the last pass. */
    int64_t refused;
    char refused_ip[INET6_ADDRSTRLEN];
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* ---------- replies written on the socket itself ---------- */

/* Writes a complete JSON error reply on `fd` and shuts the socket down, so
 * that libmicrohttpd's own reply (if any) cannot follow it: its next send
 * fails and it closes the connection. Only for connections that have no
 * reply queued (FK_CONN_HEAD or FK_CONN_BODY), so nothing interleaves. */
static void answer_and_close(int fd, const char *reason, enum fk_ecode e, const char *field)
{
    char body[384], reply[896];
    unsigned status = fk_error_row(e)->status;
    int body_len = fk_error_body(e, field, body, sizeof(body));
    int len = snprintf(reply, sizeof(reply),
                       "HTTP/1.1 %u %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                       "Content-Length: %d\r\nConnection: close\r\nCache-Control: no-store\r\n"
                       "X-Content-Type-Options: nosniff\r\n\r\n%s",
                       status, reason, body_len, body);
    /* A fresh or idle socket has room for this much: no partial writes. */
    if (body_len > 0 && (size_t)body_len < sizeof(body) && len > 0 && (size_t)len < sizeof(reply))
        (void)send(fd, reply, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_RDWR);
}

/* Bytes the kernel has received on the socket so far; UINT64_MAX if it
 * cannot tell (then a late head is taken as begun). */
static uint64_t bytes_received(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received))
        return UINT64_MAX;
    return info.tcpi_bytes_received;
}

/* ---------- per-address limit ---------- */

static int address_key(const struct sockaddr *addr, socklen_t addrlen, unsigned char *key,
                       char *text, size_t text_size)
{
    memset(key, 0, KEY_LEN);
    text[0] = '\0';
    if (addr->sa_family == AF_INET && addrlen >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct in_addr *a = &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
        key[10] = 0xff;
        key[11] = 0xff;
        memcpy(key + 12, a, 4);
        inet_ntop(AF_INET, a, text, (socklen_t)text_size);
        return 1;
    }
    if (addr->sa_family == AF_INET6 && addrlen >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
        memcpy(key, a, KEY_LEN);
        inet_ntop(AF_INET6, a, text, (socklen_t)text_size);
        return 1;
    }
    return 0;
}

static int exempt(const struct fk_conns *conns, const char *ip)
{
    return conns->cfg->per_ip_conn_limit == 0 || fk_trusted_listed(conns->cfg->trusted_proxies, ip);
}

enum MHD_Result fk_conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct fk_conns *conns = cls;
    unsigned char key[KEY_LEN];
    char ip[INET6_ADDRSTRLEN];
    if (!address_key(addr, addrlen, key, ip, sizeof(ip)) || exempt(conns, ip))
        return MHD_YES;
    /* Counted here, under the lock, so that parallel accepts in several
     * workers cannot all pass; fk_conns_notify gives the slot back. */
    pthread_mutex_lock(&conns->lock);
    int taken = fk_peers_take(conns->peers, key, (uint32_t)conns->cfg->per_ip_conn_limit);
    if (taken == 0) {
        conns->refused++;
        snprintf(conns->refused_ip, sizeof(conns->refused_ip), "%s", ip);
    }
    pthread_mutex_unlock(&conns->lock);
    return taken != 0 ? MHD_YES : MHD_NO;
}

/* ---------- the registry ---------- */

void fk_conns_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
    struct fk_conns *conns = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *c = calloc(1, sizeof(*c));
        if (c == NULL) {
            /* Out of memory: the connection runs without deadlines, and
             * its slot of the per-address limit is never given back. */
            return;
        }
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        char ip[INET6_ADDRSTRLEN];
        /* The same test as fk_conns_accept made: whether it took a slot. */
        int counted = addr != NULL && addr->client_addr != NULL &&
                      address_key(addr->client_addr, (socklen_t)sizeof(struct sockaddr_in6), c->key,
                                  ip, sizeof(ip)) &&
                      !exempt(conns, ip);
        c->conns = conns;
        c->mhd = connection;
        c->fd = fd != NULL ? fd->connect_fd : -1;
        c->owner = pthread_self();
        c->counted = counted;
        c->phase = FK_CONN_HEAD;
        c->since_ns = mono_ns();
        pthread_mutex_lock(&conns->lock);
        c->next = conns->head;
        if (conns->head != NULL)
            conns->head->prev = c;
        conns->head = c;
        pthread_mutex_unlock(&conns->lock);
        *socket_context = c;
        return;
    }
    struct conn *c = *socket_context;
    if (c == NULL)
        return;
    /* Called before libmicrohttpd closes the socket: once the entry is gone
     * under the lock, the watchdog can no longer touch its descriptor. */
    pthread_mutex_lock(&conns->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        conns->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->counted)
        fk_peers_give(conns->peers, c->key);
    pthread_mutex_unlock(&conns->lock);
    free(c);
    *socket_context = NULL;
}

int fk_conns_progress(struct MHD_Connection *connection, enum fk_conn_phase phase, size_t bytes)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = info != NULL ? info->socket_context : NULL;
    if (c == NULL)
        return 1;
    pthread_mutex_lock(&c->conns->lock);
    int alive = !c->dropped;
    if (c->phase != phase) {
        c->phase = phase;
        c->since_ns = mono_ns();
        c->received = 0;
        if (phase == FK_CONN_HEAD && c->fd >= 0)
            c->head_base = bytes_received(c->fd); /* kept alive: what came so far is answered */
    }
    c->received += (int64_t)bytes;
    pthread_mutex_unlock(&c->conns->lock);
    return alive;
}

/* Whether libmicrohttpd 0.9.75 refuses this Content-Length value (it takes
 * only 1–20 digits that fit in 64 bits). */
static int length_refused(const char *value, int *too_large)
{
    size_t n = strlen(value);
    *too_large = 0;
    if (n == 0 || strspn(value, "0123456789") != n)
        return 1;
    while (n > 1 && value[0] == '0') {
        value++;
        n--;
    }
    if (n > 20 || (n == 20 && strcmp(value, "18446744073709551615") > 0)) {
        *too_large = 1;
        return 1;
    }
    return 0;
}

/* libmicrohttpd 0.9.75 answers a Content-Length it cannot parse with its
 * status line and headers twice, then an HTML page (see the README). It
 * says so in its log first, from the worker thread that serves the
 * connection, before it writes anything: answer those of this thread's
 * connections still waiting for their headers whose Content-Length it will
 * refuse ourselves, with the JSON error, and close them. */
static void refuse_bad_lengths(struct fk_conns *conns)
{
    pthread_t self = pthread_self();
    pthread_mutex_lock(&conns->lock);
    for (struct conn *c = conns->head; c != NULL; c = c->next) {
        if (c->dropped || c->phase != FK_CONN_HEAD || !pthread_equal(c->owner, self) || c->fd < 0)
            continue;
        const char *length = MHD_lookup_connection_value(c->mhd, MHD_HEADER_KIND, "Content-Length");
        int too_large;
        /* Beside Transfer-Encoding libmicrohttpd ignores the length: so do we. */
        if (length == NULL || !length_refused(length, &too_large) ||
            MHD_lookup_connection_value(c->mhd, MHD_HEADER_KIND, "Transfer-Encoding") != NULL)
            continue;
        if (too_large)
            answer_and_close(c->fd, "Content Too Large", FK_E_BODY_TOO_LARGE, "body");
        else
            answer_and_close(c->fd, "Bad Request", FK_E_BAD_CONTENT_LENGTH, "Content-Length");
        c->dropped = 1;
    }
    pthread_mutex_unlock(&conns->lock);
}

/* ---------- libmicrohttpd's messages ---------- */

/* Writes the line that sums up the messages folded since the last line. */
static void log_flush_locked(struct fk_conns *conns, int64_t now)
{
    if (conns->log_folded == 0)
        return;
    fk_log(
        FK_LOG_WARN, "mhd",
        json_pack("{s:s,s:I}", "msg", conns->log_last, "repeated", (json_int_t)conns->log_folded));
    conns->log_folded = 0;
    conns->log_window_ns = now;
}

void fk_conns_log(void *cls, const char *fmt, va_list ap)
{
    struct fk_conns *conns = cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* One line of printable ASCII (JSON needs valid UTF-8; these are English). */
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
            msg[i] = '?';
    if (strncmp(msg, "Too large value of 'Content-Length' header", 42) == 0 ||
        strncmp(msg, "Failed to parse `Content-Length' header", 39) == 0)
        refuse_bad_lengths(conns);
    /* At most one line a second of messages as they come, and one summing up
     * the rest (written by the next message or by the watchdog). */
    int64_t now = mono_ns();
    pthread_mutex_lock(&conns->lock);
    int write_now = now - conns->log_window_ns >= NS_PER_SEC;
    if (write_now) {
        log_flush_locked(conns, now);
        fk_log(FK_LOG_WARN, "mhd", json_pack("{s:s}", "msg", msg));
        conns->log_window_ns = now;
    } else {
        conns->log_folded++;
        snprintf(conns->log_last, sizeof(conns->log_last), "%s", msg);
    }
    pthread_mutex_unlock(&conns->lock);
}

/* ---------- the watchdog ---------- */

static void watch_once(struct fk_conns *conns, int64_t now)
{
    const int64_t head_limit = conns->cfg->header_timeout * NS_PER_SEC;
    const int64_t rate = conns->cfg->body_min_rate;
    int64_t dropped = 0;
    for (struct conn *c = conns->head; c != NULL; c = c->next) {
        if (c->dropped || c->fd < 0 || c->phase == FK_CONN_BUSY)
            continue;
        int64_t waited = now - c->since_ns;
        int late = c->phase == FK_CONN_HEAD
                       ? waited > head_limit
                       : rate > 0 && waited > head_limit &&
                             c->received < (waited - head_limit) / NS_PER_SEC * rate;
        if (!late)
            continue;
        c->dropped = 1;
        if (c->phase == FK_CONN_HEAD && bytes_received(c->fd) == c->head_base) {
            /* Nothing of a request came (an idle kept-alive or preconnected
             * socket): close it quietly, as an idle timeout does. */
            shutdown(c->fd, SHUT_RDWR);
            continue;
        }
        answer_and_close(c->fd, "Request Timeout", FK_E_REQUEST_TIMEOUT,
                         c->phase == FK_CONN_HEAD ? "headers" : "body");
        dropped++;
    }
    if (now - conns->log_window_ns >= NS_PER_SEC)
        log_flush_locked(conns, now); /* the messages of the last second */
    if (conns->refused > 0) {
        fk_log(FK_LOG_WARN, "per_ip_conn_limit",
               json_pack("{s:I,s:s,s:I}", "refused", (json_int_t)conns->refused, "ip",
                         conns->refused_ip, "limit", (json_int_t)conns->cfg->per_ip_conn_limit));
        conns->refused = 0;
    }
    if (dropped > 0) {
        /* Written under the lock: fk_log takes only stderr's lock. */
        fk_log(FK_LOG_INFO, "slow_senders_dropped",
               json_pack("{s:I}", "count", (json_int_t)dropped));
    }
}

static void *watchdog_main(void *arg)
{
    struct fk_conns *conns = arg;
    pthread_mutex_lock(&conns->lock);
    while (!conns->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&conns->wake, &conns->lock, &until);
        if (!conns->stopping)
            watch_once(conns, mono_ns());
    }
    log_flush_locked(conns, mono_ns());
    pthread_mutex_unlock(&conns->lock);
    return NULL;
}

enum fk_err fk_conns_new(const struct fk_config *cfg, struct fk_conns **out)
{
    *out = NULL;
    struct fk_conns *conns = calloc(1, sizeof(*conns));
    if (conns == NULL)
        return FK_ERR_NOMEM;
    conns->cfg = cfg;
    int have_lock = 0, have_cond = 0;
    pthread_condattr_t attr;
    enum fk_err err = fk_peers_new((size_t)cfg->conn_limit, &conns->peers);
    if (err != FK_OK)
        goto fail;
    err = FK_ERR_NOMEM;
    have_lock = pthread_mutex_init(&conns->lock, NULL) == 0;
    if (have_lock && pthread_condattr_init(&attr) == 0) {
        have_cond = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
                    pthread_cond_init(&conns->wake, &attr) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (!have_cond)
        goto fail;
    conns->log_window_ns = mono_ns() - NS_PER_SEC;
    if (pthread_create(&conns->watchdog, NULL, watchdog_main, conns) != 0) {
        err = FK_ERR_IO;
        goto fail;
    }
    *out = conns;
    return FK_OK;
fail:
    if (have_cond)
        pthread_cond_destroy(&conns->wake);
    if (have_lock)
        pthread_mutex_destroy(&conns->lock);
    fk_peers_free(conns->peers);
    free(conns);
    return err;
}

void fk_conns_free(struct fk_conns *conns)
{
    if (conns == NULL)
        return;
    pthread_mutex_lock(&conns->lock);
    conns->stopping = 1;
    pthread_cond_signal(&conns->wake);
    pthread_mutex_unlock(&conns->lock);
    pthread_join(conns->watchdog, NULL);
    /* MHD_stop_daemon closed every connection: the list is empty. */
    pthread_cond_destroy(&conns->wake);
    pthread_mutex_destroy(&conns->lock);
    fk_peers_free(conns->peers);
    free(conns);
}
