#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"

static const char *client(const char *peer, const char *xff, const char *trusted)
{
    static char out[64];
    fk_forwarded_client(peer, xff, trusted, out, sizeof(out));
    return out;
}

static void test_untrusted_peer_is_the_client(void **state)
{
    (void)state;
    /* Anyone can send X-Forwarded-For; only a listed proxy is believed. */
    assert_string_equal(client("198.51.100.7", "203.0.113.9", ""), "198.51.100.7");
    assert_string_equal(client("198.51.100.7", "203.0.113.9", "10.0.0.1"), "198.51.100.7");
    assert_string_equal(client("10.0.0.1", NULL, "10.0.0.1"), "10.0.0.1");
}

static void test_walks_past_trusted_proxies(void **state)
{
    (void)state;
    assert_string_equal(client("10.0.0.1", "203.0.113.9", "10.0.0.1"), "203.0.113.9");
    /* A spoofed left part is ignored: the first address our proxies did not add wins. */
    assert_string_equal(client("10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2", "10.0.0.1,10.0.0.2"),
                        "203.0.113.9");
    assert_string_equal(client("::1", " 2001:db8::1 ", "127.0.0.1, ::1"), "2001:db8::1");
    /* All hops trusted: the leftmost one. */
    assert_string_equal(client("10.0.0.1", "10.0.0.2", "10.0.0.1,10.0.0.2"), "10.0.0.2");
}

static void test_malformed_entries_stop_the_walk(void **state)
{
    (void)state;
    assert_string_equal(client("10.0.0.1", "evil", "10.0.0.1"), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "203.0.113.9, x; drop", "10.0.0.1"), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "203.0.113.9,,", "10.0.0.1"), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "", "10.0.0.1"), "10.0.0.1");
    char longer[300];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_string_equal(client("10.0.0.1", longer, "10.0.0.1"), "10.0.0.1");
}

static void test_forwarded_proto_only_from_trusted_proxies(void **state)
{
    (void)state;
    assert_true(fk_forwarded_https("10.0.0.1", "https", "10.0.0.1"));
    assert_true(fk_forwarded_https("10.0.0.1", " HTTPS , http", "10.0.0.1"));
    /* Anyone else's header is ignored. */
    assert_false(fk_forwarded_https("198.51.100.7", "https", "10.0.0.1"));
    assert_false(fk_forwarded_https("198.51.100.7", "https", ""));
    assert_false(fk_forwarded_https("10.0.0.1", "https", NULL));
    assert_false(fk_forwarded_https("10.0.0.1", NULL, "10.0.0.1"));
    assert_false(fk_forwarded_https("10.0.0.1", "http", "10.0.0.1"));
    assert_false(fk_forwarded_https("10.0.0.1", "httpsx", "10.0.0.1"));
    assert_false(fk_forwarded_https("10.0.0.1", "", "10.0.0.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untrusted_peer_is_the_client),
        cmocka_unit_test(test_walks_past_trusted_proxies),
        cmocka_unit_test(test_malformed_entries_stop_the_walk),
        cmocka_unit_test(test_forwarded_proto_only_from_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
