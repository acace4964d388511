#include "http/router.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 512
#define MAX_PARAM_LEN 256

static const struct fk_route *routes[MAX_ROUTES];
static size_t n_routes;

enum fk_err fk_http_add_routes(const struct fk_route *table, size_t n)
{
    if (n_routes + n > MAX_ROUTES)
        return FK_ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++)
        routes[n_routes++] = &table[i];
    return FK_OK;
}

const struct fk_route *fk_http_route_at(size_t i)
{
    return i < n_routes ? routes[i] : NULL;
}

static void free_values(char **values, int n)
{
    for (int i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

int fk_router_match(const char *pattern, const char *path, const char **names, char **values,
                    int *n_params)
{
    int n = 0;
    const char *p = pattern, *s = path;
    /* names[i] points into the static pattern just after '{'; the name ends
     * at the matching '}' (fk_req_param compares up to it). */
    while (*p != '\0' && *s != '\0') {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close == NULL || n >= FK_MAX_PARAMS)
                goto no;
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || len > MAX_PARAM_LEN)
                goto no;
            values[n] = malloc(len + 1);
            if (values[n] == NULL)
                goto no;
            memcpy(values[n], s, len);
            values[n][len] = '\0';
            names[n] = p + 1;
            n++;
            p = close + 1;
            s += len;
        } else if (*p == *s) {
            p++;
            s++;
        } else {
            goto no;
        }
    }
    if (*p != '\0' || *s != '\0')
        goto no;
    *n_params = n;
    return 1;
no:
    free_values(values, n);
    return 0;
}

const struct fk_route *fk_router_find(const char *method, const char *path, const char **names,
                                      char **values, int *n_params, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < n_routes; i++) {
        int n = 0;
        if (!fk_router_match(routes[i]->pattern, path, names, values, &n))
            continue;
        if (strcmp(routes[i]->method, method) == 0) {
            *n_params = n;
            return routes[i];
        }
        *path_known = 1;
        free_values(values, n);
    }
    return NULL;
}

void fk_router_allow(const char *path, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n_routes; i++) {
        const char *names[FK_MAX_PARAMS];
        char *values[FK_MAX_PARAMS];
        int n = 0;
        if (!fk_router_match(routes[i]->pattern, path, names, values, &n))
            continue;
        free_values(values, n);
        int w = snprintf(out + used, out_size - used, "%s%s", used ? ", " : "", routes[i]->method);
        if (w < 0 || (size_t)w >= out_size - used)
            break;
        used += (size_t)w;
    }
}
