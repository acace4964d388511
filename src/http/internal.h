/* Internal to src/http. */
#ifndef FK_HTTP_INTERNAL_H
#define FK_HTTP_INTERNAL_H

#include "http/http.h"

/* Serves a file of the web UI for a GET outside /api/; 1 if it replied. */
int fk_static_serve(struct fk_req *req);

/* Authenticates by bearer token or session cookie; 1 if fine, else 0 after
 * replying 401. Fills req->actor. */
int fk_auth_authenticate(struct fk_req *req);
/* Checks the X-CSRF-Token header of a session-authenticated request; 1 if
 * fine, else 0 after replying 403. */
int fk_auth_check_csrf(struct fk_req *req);

/* Whether `ip` (canonical text form) is one of the comma-separated
 * addresses of `list` (--trusted-proxies); entries that are not literal
 * addresses are skipped. */
int fk_trusted_listed(const char *list, const char *ip);

struct fk_metrics;
enum fk_err fk_metrics_new(struct fk_metrics **out) FK_MUST_CHECK;
void fk_metrics_free(struct fk_metrics *metrics);
void fk_metrics_record(struct fk_metrics *metrics, const char *method, const char *route,
                       unsigned status, double seconds);
/* Renders the Prometheus text exposition; caller frees. */
char *fk_metrics_render(struct fk_metrics *metrics);

#endif
