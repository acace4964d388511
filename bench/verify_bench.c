/* Signed-code verification on one core (issue 4: "verification of distinct
 * signed codes at >= 0.8x the rate of libsodium's bare
 * crypto_sign_verify_detached measured in the same run, and repeated scans
 * served from a bounded cache").
 *
 * Build: cmake -S . -B build-bench -DFK_BENCH=ON && cmake --build build-bench --target verify_bench
 * Run:   build-bench/verify_bench [CODES] [ROUNDS]   (a temporary SQLite store) */
#include "codes/codes_internal.h"
#include "core/clock.h"
#include "core/parse.h"
#include "store/store.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Two threads scanning at once: the caches' locks under contention. */
struct worker {
    struct fk_store *store;
    char (*codes)[FK_CODE_MAX_LEN];
    int64_t first, count, modulo, failures;
};

static void *scan(void *arg)
{
    struct worker *w = arg;
    struct fk_conn *db;
    struct fk_code_info info;
    if (fk_store_conn(w->store, &db) != FK_OK) {
        w->failures = 1;
        return NULL;
    }
    for (int64_t k = 0; k < w->count; k++)
        if (fk_code_verify(db, w->codes[w->first + k % w->modulo], &info) != FK_CODE_VALID)
            w->failures++;
    fk_store_thread_done();
    return NULL;
}

/* Rate of `threads` threads each verifying `count` codes from their own slice
 * of `codes` (`modulo` codes per slice, repeated when count > modulo). */
static double scan_rate(struct fk_store *store, char (*codes)[FK_CODE_MAX_LEN], int threads,
                        int64_t count, int64_t modulo)
{
    pthread_t ids[8];
    struct worker w[8];
    double t = seconds();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){store, codes, i * modulo, count, modulo, 0};
        if (pthread_create(&ids[i], NULL, scan, &w[i]) != 0)
            return 0;
    }
    int64_t failures = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        failures += w[i].failures;
    }
    double rate = (double)(count * threads) / (seconds() - t);
    return failures ? 0 : rate;
}

int main(int argc, char **argv)
{
    int64_t n = 20000, rounds = 3;
    if ((argc > 1 && fk_parse_int64(argv[1], 100, 1000000, &n) != FK_OK) ||
        (argc > 2 && fk_parse_int64(argv[2], 1, 100, &rounds) != FK_OK)) {
        fprintf(stderr, "usage: verify_bench [CODES 100..1000000] [ROUNDS 1..100]\n");
        return 64;
    }
    if (sodium_init() < 0)
        return 1;
    char dir[] = "/tmp/fk-verify-bench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char path[128];
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    struct fk_store *store = NULL;
    struct fk_conn *db = NULL;
    if (fk_store_open(path, &store) != FK_OK || fk_store_migrate(store) != FK_OK ||
        fk_store_conn(store, &db) != FK_OK)
        return 1;
    struct fk_pii_key pii;
    randombytes_buf(&pii, sizeof(pii));
    fk_codes_init(&pii);
    if (fk_code_keys_ensure(db, NULL) != FK_OK)
        return 1;

    /* Distinct codes, and the parsed body/signature/key for the bare rate. */
    char(*codes)[FK_CODE_MAX_LEN] = calloc((size_t)n, FK_CODE_MAX_LEN);
    unsigned char(*bodies)[FK_CODE_BODY_MAX] = calloc((size_t)n, FK_CODE_BODY_MAX);
    unsigned char(*sigs)[FK_CODE_SIG_LEN] = calloc((size_t)n, FK_CODE_SIG_LEN);
    size_t *body_lens = calloc((size_t)n, sizeof(size_t));
    if (!codes || !bodies || !sigs || !body_lens)
        return 1;
    unsigned char secret[64], pk[32];
    uint32_t key_id;
    if (fk_code_active_secret(db, &key_id, secret) != FK_OK)
        return 1;
    crypto_sign_ed25519_sk_to_pk(pk, secret);
    int64_t now = fk_now();
    for (int64_t i = 0; i < n; i++) {
        struct fk_code_info info = {FK_CODE_PERSONAL, 100000 + i, key_id, now, now + 86400};
        struct fk_code_info parsed;
        if (fk_code_sign(&info, secret, codes[i], FK_CODE_MAX_LEN) != FK_OK ||
            fk_code_parse(codes[i], strlen(codes[i]), &parsed, bodies[i], &body_lens[i], sigs[i]) !=
                FK_CODE_VALID)
            return 1;
    }
    sodium_memzero(secret, sizeof(secret));

    printf("# signed-code verification, one thread, %lld distinct codes of %zu chars, best of "
           "%lld rounds\n",
           (long long)n, strlen(codes[0]), (long long)rounds);
    double bare_best = 0, distinct_best = 0, cached_best = 0;
    for (int64_t r = 0; r < rounds; r++) {
        double t = seconds();
        for (int64_t i = 0; i < n; i++)
            if (crypto_sign_verify_detached(sigs[i], bodies[i], body_lens[i], pk) != 0)
                return 1;
        double bare = (double)n / (seconds() - t);

        fk_codes_init(NULL); /* cold cache: every code is new */
        struct fk_code_info info;
        if (fk_code_verify(db, codes[0], &info) != FK_CODE_VALID) /* loads keys */
            return 1;
        fk_codes_init(NULL);
        t = seconds();
        for (int64_t i = 0; i < n; i++)
            if (fk_code_verify(db, codes[i], &info) != FK_CODE_VALID)
                return 1;
        double distinct = (double)n / (seconds() - t);

        /* Repeated scans: the first 1000 codes over and over (all cached). */
        int64_t hot = n < 1000 ? n : 1000;
        t = seconds();
        for (int64_t k = 0; k < n * 10; k++)
            if (fk_code_verify(db, codes[k % hot], &info) != FK_CODE_VALID)
                return 1;
        double cached = (double)(n * 10) / (seconds() - t);
        printf("round %lld: bare %.0f/s  distinct %.0f/s (%.2fx)  repeated %.0f/s (%.1fx)\n",
               (long long)r + 1, bare, distinct, distinct / bare, cached, cached / bare);
        if (distinct / bare > distinct_best / (bare_best ? bare_best : 1)) {
            bare_best = bare;
            distinct_best = distinct;
        }
        if (cached > cached_best)
            cached_best = cached;
    }
    /* Two threads: distinct codes (each thread its half, cold cache) and
     * repeated codes (each thread its own 500). */
    fk_codes_init(NULL);
    double two_distinct = scan_rate(store, codes, 2, n / 2, n / 2);
    double two_cached = scan_rate(store, codes, 2, n * 10, 500);
    printf("bare crypto_sign_verify_detached  %8.0f/s\n", bare_best);
    printf("fk_code_verify, distinct codes    %8.0f/s   ratio %.2f (target >= 0.80)\n",
           distinct_best, distinct_best / bare_best);
    printf("fk_code_verify, repeated (cached) %8.0f/s   %.1fx bare\n", cached_best,
           cached_best / bare_best);
    printf("two threads: distinct %.0f/s, repeated %.0f/s (on %ld online cores)\n", two_distinct,
           two_cached, sysconf(_SC_NPROCESSORS_ONLN));
    free(codes);
    free(bodies);
    free(sigs);
    free(body_lens);
    fk_store_close(store);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
