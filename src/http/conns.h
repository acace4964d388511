/* Connections as libmicrohttpd hands them over: a limit per client address,
 * deadlines for slow senders and libmicrohttpd's own messages in the JSON log.
 * Internal to src/http (server.c wires the callbacks into MHD_start_daemon). */
#ifndef FK_HTTP_CONNS_H
#define FK_HTTP_CONNS_H

#include "core/config.h"
#include "core/err.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

struct fk_conns;

/* What a connection is waiting for; the deadlines depend on it. */
enum fk_conn_phase {
    FK_CONN_HEAD, /* the request line and headers (--header-timeout) */
    FK_CONN_BODY, /* the request body (--body-min-rate after --header-timeout) */
    FK_CONN_BUSY, /* the handler runs or the reply is sent (MHD's idle timeout) */
};

/* Starts the registry and its watchdog thread (one pass a second). `cfg`
 * is borrowed and must outlive the registry. */
enum fk_err fk_conns_new(const struct fk_config *cfg, struct fk_conns **out) FK_MUST_CHECK;
/* Stops the watchdog and frees the registry; call after MHD_stop_daemon. */
void fk_conns_free(struct fk_conns *conns);

/* MHD_OPTION_ACCEPT_POLICY_CALLBACK: refuses a connection beyond
 * --per-ip-conn-limit from one address (the trusted proxies are exempt). */
enum MHD_Result fk_conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* MHD_OPTION_NOTIFY_CONNECTION: registers and unregisters connections. */
void fk_conns_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                     enum MHD_ConnectionNotificationCode code);
/* MHD_OPTION_EXTERNAL_LOGGER: one JSON line (event "mhd") at most once a
 * second, with the count of the messages folded into it. */
void fk_conns_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Moves the connection to `phase` (restarting its clock) and adds `bytes` to
 * the body received so far. Returns 0 when the watchdog has already answered
 * 408 and closed it (the caller then returns MHD_NO), else 1. */
int fk_conns_progress(struct MHD_Connection *connection, enum fk_conn_phase phase, size_t bytes);

#endif
