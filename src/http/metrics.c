/* Request counters and latency histograms by route, method and status, in the
 * Prometheus text format. One mutex: a handful of nanoseconds per request. */
#include "http/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 1024
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct series {
    const char *route; /* static pattern strings, or the literals in server.c */
    char method[8];
    unsigned status;
    unsigned long long count;
    unsigned long long buckets[N_BOUNDS];
    double sum;
};

struct fk_metrics {
    pthread_mutex_t lock;
    size_t n;
    unsigned long long dropped;
    struct series series[MAX_SERIES];
};

enum fk_err fk_metrics_new(struct fk_metrics **out)
{
    struct fk_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return FK_ERR_NOMEM;
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return FK_OK;
}

void fk_metrics_free(struct fk_metrics *metrics)
{
    if (metrics == NULL)
        return;
    pthread_mutex_destroy(&metrics->lock);
    free(metrics);
}

void fk_metrics_record(struct fk_metrics *m, const char *method, const char *route, unsigned status,
                       double seconds)
{
    if (m == NULL)
        return;
    char meth[8];
    snprintf(meth, sizeof(meth), "%s", method);
    pthread_mutex_lock(&m->lock);
    struct series *s = NULL;
    for (size_t i = 0; i < m->n; i++) {
        if (m->series[i].status == status && m->series[i].route == route &&
            strcmp(m->series[i].method, meth) == 0) {
            s = &m->series[i];
            break;
        }
    }
    if (s == NULL && m->n < MAX_SERIES) {
        s = &m->series[m->n++];
        s->route = route;
        memcpy(s->method, meth, sizeof(meth));
        s->status = status;
    }
    if (s != NULL) {
        s->count++;
        s->sum += seconds;
        for (size_t b = 0; b < N_BOUNDS; b++)
            if (seconds <= bounds[b])
                s->buckets[b]++;
    } else {
        m->dropped++;
    }
    pthread_mutex_unlock(&m->lock);
}

char *fk_metrics_render(struct fk_metrics *m)
{
    size_t size = 4096 + (size_t)MAX_SERIES * 2600;
    char *out = malloc(size);
    if (out == NULL)
        return NULL;
    size_t o = 0;
#define EMIT(...)                                                                                  \
    do {                                                                                           \
        int w_ = snprintf(out + o, size - o, __VA_ARGS__);                                         \
        if (w_ > 0)                                                                                \
            o += (size_t)w_ < size - o ? (size_t)w_ : size - o - 1;                                \
    } while (0)
    pthread_mutex_lock(&m->lock);
    EMIT("# HELP fangkong_http_requests_total HTTP requests by route, method and status.\n"
         "# TYPE fangkong_http_requests_total counter\n");
    for (size_t i = 0; i < m->n; i++) {
        struct series *s = &m->series[i];
        EMIT("fangkong_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} %llu\n",
             s->route, s->method, s->status, s->count);
    }
    EMIT("# HELP fangkong_http_request_duration_seconds Time to answer a request.\n"
         "# TYPE fangkong_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->n; i++) {
        struct series *s = &m->series[i];
        for (size_t b = 0; b < N_BOUNDS; b++)
            EMIT("fangkong_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
                 "status=\"%u\",le=\"%g\"} %llu\n",
                 s->route, s->method, s->status, bounds[b], s->buckets[b]);
        EMIT("fangkong_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\","
             "status=\"%u\",le=\"+Inf\"} %llu\n",
             s->route, s->method, s->status, s->count);
        EMIT("fangkong_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\","
             "status=\"%u\"} %.6f\n",
             s->route, s->method, s->status, s->sum);
        EMIT("fangkong_http_request_duration_seconds_count{route=\"%s\",method=\"%s\","
             "status=\"%u\"} %llu\n",
             s->route, s->method, s->status, s->count);
    }
    EMIT("# HELP fangkong_metrics_series_dropped_total Observations beyond the series cap.\n"
         "# TYPE fangkong_metrics_series_dropped_total counter\n"
         "fangkong_metrics_series_dropped_total %llu\n",
         m->dropped);
    pthread_mutex_unlock(&m->lock);
#undef EMIT
    return out;
}
