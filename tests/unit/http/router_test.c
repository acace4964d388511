#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/router.h"

static void handler(struct fk_req *req)
{
    (void)req;
}

static const struct fk_route routes[] = {
    {"GET", "/api/v1/regions/{code}", handler, 0, 0, "t", "s", NULL},
    {"GET", "/api/v1/users", handler, 0, 0, "t", "s", NULL},
    {"POST", "/api/v1/users", handler, 0, 0, "t", "s", NULL},
    {"PATCH", "/api/v1/users/{id}", handler, 0, 0, "t", "s", NULL},
    {"GET", "/api/v1/a/{x}/b/{y}", handler, 0, 0, "t", "s", NULL},
};

static void free_values(char **values, int n)
{
    for (int i = 0; i < n; i++)
        free(values[i]);
}

static void test_match(void **state)
{
    (void)state;
    const char *names[FK_MAX_PARAMS];
    char *values[FK_MAX_PARAMS];
    int n = 0;
    assert_true(
        fk_router_match("/api/v1/regions/{code}", "/api/v1/regions/141102", names, values, &n));
    assert_int_equal(n, 1);
    assert_string_equal(values[0], "141102");
    assert_int_equal(strncmp(names[0], "code}", 5), 0);
    free_values(values, n);

    assert_true(fk_router_match("/api/v1/a/{x}/b/{y}", "/api/v1/a/1/b/2", names, values, &n));
    assert_int_equal(n, 2);
    assert_string_equal(values[0], "1");
    assert_string_equal(values[1], "2");
    free_values(values, n);

    /* Empty segments, extra segments and prefixes do not match. */
    assert_false(fk_router_match("/api/v1/regions/{code}", "/api/v1/regions/", names, values, &n));
    assert_false(
        fk_router_match("/api/v1/regions/{code}", "/api/v1/regions/1/2", names, values, &n));
    assert_false(fk_router_match("/api/v1/users", "/api/v1/users/", names, values, &n));
    assert_false(fk_router_match("/api/v1/users", "/api/v1/user", names, values, &n));
    /* A parameter longer than 256 bytes is refused. */
    char longpath[400] = "/api/v1/regions/";
    memset(longpath + strlen(longpath), '1', 300);
    longpath[sizeof(longpath) - 1] = '\0';
    assert_false(fk_router_match("/api/v1/regions/{code}", longpath, names, values, &n));
}

static void test_find(void **state)
{
    (void)state;
    assert_int_equal(fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0])), FK_OK);
    const char *names[FK_MAX_PARAMS];
    char *values[FK_MAX_PARAMS];
    int n = 0, known = 0;
    const struct fk_route *r = fk_router_find("POST", "/api/v1/users", names, values, &n, &known);
    assert_ptr_equal(r, &routes[2]);
    r = fk_router_find("PATCH", "/api/v1/users/7", names, values, &n, &known);
    assert_ptr_equal(r, &routes[3]);
    assert_string_equal(values[0], "7");
    free_values(values, n);
    /* Known path, other method: 405. */
    r = fk_router_find("DELETE", "/api/v1/users", names, values, &n, &known);
    assert_null(r);
    assert_true(known);
    /* Unknown path: 404. */
    r = fk_router_find("GET", "/api/v1/nothing", names, values, &n, &known);
    assert_null(r);
    assert_false(known);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
