/* Route matching, separate from the server so that it can be unit-tested. */
#ifndef FK_HTTP_ROUTER_H
#define FK_HTTP_ROUTER_H

#include <stddef.h>
#include "http/http.h"

/* Matches `path` against `pattern` ("/a/{x}/b"). On a match returns 1 and fills
 * names/values (values are malloc'd copies the caller frees; at most
 * FK_MAX_PARAMS, each at most 256 bytes, never empty, never containing '/').
 * Returns 0 on no match (nothing allocated). */
int fk_router_match(const char *pattern, const char *path, const char **names, char **values,
                    int *n_params);

/* Finds the route for method+path. Returns the route, or NULL with
 * *path_known set when another method would match (405). */
const struct fk_route *fk_router_find(const char *method, const char *path, const char **names,
                                      char **values, int *n_params, int *path_known);

/* Writes the methods that `path` answers to, e.g. "GET, POST", into `out`. */
void fk_router_allow(const char *path, char *out, size_t out_size);

#endif
