#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/peers.h"

/* IPv4 addresses spread over all four bytes, so that their homes collide. */
static void key_of(unsigned n, unsigned char key[FK_PEER_KEY_LEN])
{
    uint32_t a = (n + 1) * 2654435761u;
    memset(key, 0, FK_PEER_KEY_LEN);
    key[10] = key[11] = 0xff;
    for (int i = 0; i < 4; i++)
        key[12 + i] = (unsigned char)(a >> (8 * i));
}

static void test_limit_per_address(void **state)
{
    (void)state;
    struct fk_peers *peers;
    assert_int_equal(fk_peers_new(16, &peers), FK_OK);
    unsigned char a[FK_PEER_KEY_LEN], b[FK_PEER_KEY_LEN];
    key_of(1, a);
    key_of(2, b);
    for (int i = 0; i < 3; i++)
        assert_int_equal(fk_peers_take(peers, a, 3), 1);
    assert_int_equal(fk_peers_take(peers, a, 3), 0); /* the fourth from a */
    assert_int_equal(fk_peers_take(peers, b, 3), 1); /* b is not a */
    assert_int_equal(fk_peers_count(peers, a), 3);
    fk_peers_give(peers, a);
    assert_int_equal(fk_peers_take(peers, a, 3), 1); /* a slot came back */
    for (int i = 0; i < 3; i++)
        fk_peers_give(peers, a);
    assert_int_equal(fk_peers_count(peers, a), 0);
    assert_int_equal(fk_peers_count(peers, b), 1);
    fk_peers_free(peers);
}

/* Many addresses in a small table: collisions and deletions in every order
 * keep each count right (backward-shift deletion, no tombstones). */
static void test_counts_survive_collisions_and_removals(void **state)
{
    (void)state;
    enum { N = 64 };
    struct fk_peers *peers;
    assert_int_equal(fk_peers_new(N, &peers), FK_OK); /* 128 slots for 64 addresses */
    unsigned char key[FK_PEER_KEY_LEN];
    uint32_t expect[N] = {0};
    for (unsigned round = 0; round < 200; round++) {
        for (unsigned n = 0; n < N; n++) {
            key_of(n, key);
            unsigned want = (n * 7 + round * 3) % 5; /* 0..4 connections now */
            while (expect[n] < want) {
                assert_int_equal(fk_peers_take(peers, key, 10), 1);
                expect[n]++;
            }
            while (expect[n] > want) {
                fk_peers_give(peers, key);
                expect[n]--;
            }
        }
        for (unsigned n = 0; n < N; n++) {
            key_of(n, key);
            assert_int_equal(fk_peers_count(peers, key), expect[n]);
        }
    }
    fk_peers_free(peers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_per_address),
        cmocka_unit_test(test_counts_survive_collisions_and_removals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
