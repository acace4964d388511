/* Signed codes: base45, the payload, tampering at every position, truncation,
 * over-long input, wrong prefix, expiry, unknown keys, revocation, rotation,
 * the verified-code cache and the QR images. The store-backed tests run on
 * SQLite always and on PostgreSQL when FK_TEST_PG_URL names a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "codes/codes_internal.h"
#include "core/clock.h"
#include "store/store.h"

#define T0 1646179200 /* 2022-03-02T08:00:00+08:00 */
#define DAY 86400

static char sqlite_path[256];

/* --- base45 --- */

static void check_b45(const char *bytes, const char *text)
{
    char out[64];
    assert_int_equal(
        fk_base45_encode((const unsigned char *)bytes, strlen(bytes), out, sizeof(out)), FK_OK);
    assert_string_equal(out, text);
    unsigned char back[64];
    size_t n = 0;
    assert_int_equal(fk_base45_decode(text, strlen(text), back, sizeof(back), &n), FK_OK);
    assert_int_equal(n, strlen(bytes));
    assert_memory_equal(back, bytes, n);
}

static void test_base45_rfc_examples(void **state)
{
    (void)state;
    /* RFC 9285 §4.3 and §4.4. */
    check_b45("AB", "BB8");
    check_b45("Hello!!", "%69 VD92EX0");
    check_b45("base-45", "UJCLQE7W581");
    check_b45("ietf!", "QED8WEX0");
    check_b45("", "");
}

static void test_base45_all_values(void **state)
{
    (void)state;
    unsigned char in[2], back[2];
    char text[8];
    size_t n;
    for (unsigned v = 0; v < 256; v++) {
        in[0] = (unsigned char)v;
        assert_int_equal(fk_base45_encode(in, 1, text, sizeof(text)), FK_OK);
        assert_int_equal(strlen(text), 2);
        assert_int_equal(fk_base45_decode(text, 2, back, sizeof(back), &n), FK_OK);
        assert_int_equal(n, 1);
        assert_int_equal(back[0], v);
    }
    for (unsigned v = 0; v < 65536; v++) {
        in[0] = (unsigned char)(v >> 8);
        in[1] = (unsigned char)v;
        assert_int_equal(fk_base45_encode(in, 2, text, sizeof(text)), FK_OK);
        assert_int_equal(strlen(text), 3);
        assert_int_equal(fk_base45_decode(text, 3, back, sizeof(back), &n), FK_OK);
        assert_int_equal(n, 2);
        assert_memory_equal(back, in, 2);
    }
    /* Random lengths round-trip. */
    unsigned char buf[200], dec[200];
    char enc[400];
    for (size_t len = 0; len < sizeof(buf); len++) {
        randombytes_buf(buf, len);
        assert_int_equal(fk_base45_encode(buf, len, enc, sizeof(enc)), FK_OK);
        assert_int_equal(strlen(enc), FK_BASE45_LEN(len));
        assert_int_equal(fk_base45_decode(enc, strlen(enc), dec, sizeof(dec), &n), FK_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, buf, len);
    }
}

static void test_base45_invalid(void **state)
{
    (void)state;
    unsigned char out[16];
    size_t n;
    assert_int_equal(fk_base45_decode("GGW", 3, out, sizeof(out), &n), FK_ERR_INVALID); /* 65536 */
    assert_int_equal(fk_base45_decode("FGW", 3, out, sizeof(out), &n), FK_OK);          /* 65535 */
    assert_int_equal(fk_base45_decode("V5", 2, out, sizeof(out), &n), FK_ERR_INVALID);  /* 256 */
    assert_int_equal(fk_base45_decode("U5", 2, out, sizeof(out), &n), FK_OK);           /* 255 */
    assert_int_equal(fk_base45_decode("A", 1, out, sizeof(out), &n), FK_ERR_INVALID);
    assert_int_equal(fk_base45_decode("BB8A", 4, out, sizeof(out), &n), FK_ERR_INVALID);
    assert_int_equal(fk_base45_decode("bb8", 3, out, sizeof(out), &n), FK_ERR_INVALID);
    assert_int_equal(fk_base45_decode("BB=", 3, out, sizeof(out), &n), FK_ERR_INVALID);
    assert_int_equal(fk_base45_decode("B\0"
                                      "8",
                                      3, out, sizeof(out), &n),
                     FK_ERR_INVALID);
    assert_int_equal(fk_base45_decode("BB8BB8", 6, out, 3, &n), FK_ERR_TOO_LARGE);
    /* Every byte outside the alphabet is refused in every position. */
    for (int c = 0; c < 256; c++) {
        if (strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", c) && c != 0)
            continue;
        char text[3] = {'B', 'B', '8'};
        for (int pos = 0; pos < 3; pos++) {
            char t[3];
            memcpy(t, text, 3);
            t[pos] = (char)c;
            assert_int_equal(fk_base45_decode(t, 3, out, sizeof(out), &n), FK_ERR_INVALID);
        }
    }
    char small[4];
    unsigned char two[2] = {1, 2};
    assert_int_equal(fk_base45_encode(two, 2, small, 3), FK_ERR_TOO_LARGE);
}

/* --- store-backed --- */

static struct fk_store *open_store(const char *url)
{
    struct fk_store *store = NULL;
    assert_int_equal(fk_store_open(url, &store), FK_OK);
    assert_int_equal(fk_store_migrate(store), FK_OK);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_db_exec(db, "DELETE FROM revocations; DELETE FROM signing_keys"), FK_OK);
    struct fk_pii_key pii;
    memset(pii.seal, 7, sizeof(pii.seal));
    memset(pii.blind, 9, sizeof(pii.blind));
    fk_codes_init(&pii);
    fk_clock_set(T0);
    int created = 0;
    assert_int_equal(fk_code_keys_ensure(db, &created), FK_OK);
    assert_int_equal(created, 1);
    assert_int_equal(fk_code_keys_ensure(db, &created), FK_OK);
    assert_int_equal(created, 0);
    return store;
}

static void issue(struct fk_conn *db, enum fk_code_type type, int64_t id, int64_t expires,
                  char code[FK_CODE_MAX_LEN])
{
    assert_int_equal(fk_code_issue(db, type, id, expires, code, FK_CODE_MAX_LEN), FK_OK);
}

static enum fk_code_status verify(struct fk_conn *db, const char *code)
{
    struct fk_code_info info;
    return fk_code_verify(db, code, &info);
}

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static void check_tampering(struct fk_conn *db, const char *code)
{
    size_t len = strlen(code);
    char t[FK_CODE_MAX_LEN + 8];
    /* Every character position replaced by every other alphabet character
     * (and a lower-case letter): never valid. */
    for (size_t i = 0; i < len; i++) {
        for (const char *a = alphabet; *a; a++) {
            if (*a == code[i])
                continue;
            memcpy(t, code, len + 1);
            t[i] = *a;
            enum fk_code_status s = verify(db, t);
            assert_true(s == FK_CODE_MALFORMED || s == FK_CODE_BAD_SIGNATURE ||
                        s == FK_CODE_UNKNOWN_KEY);
        }
        memcpy(t, code, len + 1);
        t[i] = 'a';
        assert_int_equal(verify(db, t), FK_CODE_MALFORMED);
    }
    /* Every payload byte with each bit flipped, re-encoded: never valid. */
    unsigned char payload[FK_CODE_PAYLOAD_MAX];
    size_t n;
    assert_int_equal(fk_base45_decode(code + 4, len - 4, payload, sizeof(payload), &n), FK_OK);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            payload[i] ^= (unsigned char)(1u << bit);
            memcpy(t, code, 4);
            assert_int_equal(fk_base45_encode(payload, n, t + 4, sizeof(t) - 4), FK_OK);
            enum fk_code_status s = verify(db, t);
            assert_true(s == FK_CODE_MALFORMED || s == FK_CODE_BAD_SIGNATURE ||
                        s == FK_CODE_UNKNOWN_KEY);
            payload[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* Truncated at every length, and one byte short or long in the payload. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(t, code, cut);
        t[cut] = '\0';
        enum fk_code_status s = verify(db, t);
        assert_true(s == FK_CODE_MALFORMED || s == FK_CODE_BAD_SIGNATURE);
    }
    memcpy(t, code, 4);
    assert_int_equal(fk_base45_encode(payload, n - 1, t + 4, sizeof(t) - 4), FK_OK);
    assert_int_equal(verify(db, t), FK_CODE_MALFORMED);
    payload[n] = 0;
    assert_int_equal(fk_base45_encode(payload, n + 1, t + 4, sizeof(t) - 4), FK_OK);
    assert_int_equal(verify(db, t), FK_CODE_MALFORMED);
    /* The original is still fine. */
    assert_int_equal(verify(db, code), FK_CODE_VALID);
}

static void check_prefix_and_length(struct fk_conn *db, const char *code)
{
    char t[700];
    size_t len = strlen(code);
    const char *wrong[] = {"FKX:", "fkc:", "FKV:", "FKP:", "FKC;", "XFKC"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        memcpy(t, code, len + 1);
        memcpy(t, wrong[i], 4);
        assert_int_equal(verify(db, t), FK_CODE_MALFORMED);
    }
    assert_int_equal(verify(db, ""), FK_CODE_MALFORMED);
    assert_int_equal(verify(db, NULL), FK_CODE_MALFORMED);
    /* Over-long: the code followed by more alphabet, up to 600 characters. */
    memcpy(t, code, len + 1);
    for (size_t l = len; l < 600; l++) {
        t[l] = '0';
        t[l + 1] = '\0';
        assert_int_equal(verify(db, t), FK_CODE_MALFORMED);
    }
    memset(t, 'A', 699);
    t[699] = '\0';
    assert_int_equal(verify(db, t), FK_CODE_MALFORMED);
}

struct thread_job {
    struct fk_store *store;
    char (*codes)[FK_CODE_MAX_LEN];
    int n;
    int failures;
};

static void *verify_many(void *arg)
{
    struct thread_job *job = arg;
    struct fk_conn *db;
    if (fk_store_conn(job->store, &db) != FK_OK) {
        job->failures = -1;
        return NULL;
    }
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < job->n; i++)
            if (verify(db, job->codes[i]) != FK_CODE_VALID)
                job->failures++;
    fk_store_thread_done();
    return NULL;
}

static void scenario(const char *url)
{
    struct fk_store *store = open_store(url);
    struct fk_conn *db;
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    char code[FK_CODE_MAX_LEN], other[FK_CODE_MAX_LEN];

    /* Issue: bad arguments. */
    assert_int_equal(fk_code_issue(db, FK_CODE_CARD, 1, T0, code, sizeof(code)), FK_ERR_INVALID);
    assert_int_equal(fk_code_issue(db, FK_CODE_CARD, 1, T0 + 32 * DAY, code, sizeof(code)),
                     FK_ERR_INVALID);
    assert_int_equal(fk_code_issue(db, FK_CODE_CARD, 0, T0 + DAY, code, sizeof(code)),
                     FK_ERR_INVALID);
    assert_int_equal(fk_code_issue(db, (enum fk_code_type)9, 1, T0 + DAY, code, sizeof(code)),
                     FK_ERR_INVALID);
    assert_int_equal(fk_code_issue(db, FK_CODE_CARD, 1, T0 + DAY, code, 40), FK_ERR_TOO_LARGE);
    /* Without a store at hand before any load: unavailable, not a crash. */
    struct fk_code_info none;
    assert_int_equal(fk_code_verify(NULL, "FKC:BB8", &none), FK_CODE_UNAVAILABLE);

    /* A valid code of each type; the largest id still fits FK_CODE_MAX_LEN. */
    struct fk_code_info info;
    issue(db, FK_CODE_CARD, 42, T0 + 7 * DAY, code);
    assert_memory_equal(code, "FKC:", 4);
    assert_int_equal(fk_code_verify(db, code, &info), FK_CODE_VALID);
    assert_int_equal(info.type, FK_CODE_CARD);
    assert_int_equal(info.object_id, 42);
    assert_int_equal(info.issued_at, T0);
    assert_int_equal(info.expires_at, T0 + 7 * DAY);
    issue(db, FK_CODE_VEHICLE_PASS, INT64_MAX, T0 + 31 * DAY, other);
    assert_memory_equal(other, "FKV:", 4);
    assert_true(strlen(other) < FK_CODE_MAX_LEN);
    assert_int_equal(fk_code_verify(db, other, &info), FK_CODE_VALID);
    assert_int_equal(info.object_id, INT64_MAX);
    issue(db, FK_CODE_PERSONAL, 300, T0 + DAY, other);
    assert_memory_equal(other, "FKP:", 4);
    assert_int_equal(verify(db, other), FK_CODE_VALID);
    for (const char *p = code; *p; p++)
        assert_non_null(strchr(alphabet, *p));

    check_tampering(db, code);
    check_prefix_and_length(db, code);

    /* The cache: a second scan skips the signature check. */
    struct fk_code_stats before, after;
    issue(db, FK_CODE_CARD, 77, T0 + DAY, other);
    assert_int_equal(verify(db, other), FK_CODE_VALID);
    fk_code_stats(&before);
    assert_int_equal(verify(db, other), FK_CODE_VALID);
    fk_code_stats(&after);
    assert_int_equal(after.cache_hits, before.cache_hits + 1);
    assert_int_equal(after.signature_checks, before.signature_checks);

    /* Revocation wins over the cache; a code issued after it is valid again. */
    assert_int_equal(fk_code_revoke(db, FK_CODE_CARD, 77, "丢失", 0), FK_OK);
    assert_int_equal(fk_code_verify(db, other, &info), FK_CODE_REVOKED);
    assert_int_equal(info.object_id, 77);
    assert_int_equal(fk_code_revoke(db, FK_CODE_CARD, 77, "", 0), FK_ERR_INVALID);
    fk_clock_set(T0 + 10);
    char reissued[FK_CODE_MAX_LEN];
    issue(db, FK_CODE_CARD, 77, T0 + DAY, reissued);
    assert_int_equal(verify(db, reissued), FK_CODE_VALID);
    /* Same id, another type: not revoked. */
    issue(db, FK_CODE_PERSONAL, 77, T0 + DAY, other);
    assert_int_equal(verify(db, other), FK_CODE_VALID);

    /* Expired: the clock moves past expires_at (the cached result too). */
    issue(db, FK_CODE_PERSONAL, 5, T0 + 100, other);
    assert_int_equal(verify(db, other), FK_CODE_VALID);
    fk_clock_set(T0 + 100);
    assert_int_equal(verify(db, other), FK_CODE_EXPIRED);
    fk_clock_set(T0 + 20);

    /* Unknown key: signed by a key this district never had. */
    unsigned char pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    struct fk_code_info forged = {FK_CODE_CARD, 42, fk_code_key_id(pk), T0, T0 + DAY};
    assert_int_equal(fk_code_sign(&forged, sk, other, sizeof(other)), FK_OK);
    assert_int_equal(verify(db, other), FK_CODE_UNKNOWN_KEY);
    /* The district's key id, a foreign signature: bad signature. */
    assert_int_equal(fk_code_verify(db, code, &info), FK_CODE_VALID);
    forged.key_id = info.key_id;
    assert_int_equal(fk_code_sign(&forged, sk, other, sizeof(other)), FK_OK);
    assert_int_equal(verify(db, other), FK_CODE_BAD_SIGNATURE);

    /* Rotation: the old key keeps verifying; new codes use the new key. */
    uint32_t new_id = 0;
    assert_int_equal(fk_code_keys_rotate(db, &new_id), FK_OK);
    assert_int_not_equal(new_id, info.key_id);
    assert_int_equal(verify(db, code), FK_CODE_VALID);
    issue(db, FK_CODE_CARD, 43, T0 + 2 * DAY, other);
    struct fk_code_info info2;
    assert_int_equal(fk_code_verify(db, other, &info2), FK_CODE_VALID);
    assert_int_equal(info2.key_id, new_id);
    struct fk_code_key keys[8];
    size_t n = 0;
    assert_int_equal(fk_code_keys_list(db, keys, 8, &n), FK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(keys[0].key_id, new_id);
    assert_true(keys[0].active);
    assert_false(keys[1].active);
    /* After the longest validity the retired key no longer verifies. */
    fk_clock_set(T0 + 20 + FK_CODE_MAX_VALIDITY);
    assert_int_equal(fk_code_keys_list(db, keys, 8, &n), FK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(verify(db, code), FK_CODE_UNKNOWN_KEY);
    fk_clock_set(T0 + 30);

    /* Another server revokes (a row written straight to the store): seen
     * at the next refresh (every FK_CODE_REFRESH_SECONDS; made due here
     * instead of sleeping). */
    issue(db, FK_CODE_CARD, 88, T0 + DAY, other);
    assert_int_equal(verify(db, other), FK_CODE_VALID);
    assert_int_equal(fk_db_run(db, NULL,
                               "INSERT INTO revocations(code_type, object_id, revoked_at, reason) "
                               "VALUES (2, 88, ?, 'elsewhere')",
                               "i", (int64_t)(T0 + 40)),
                     FK_OK);
    fk_code_refresh_due();
    assert_int_equal(verify(db, other), FK_CODE_REVOKED);

    /* Several threads verifying the same and distinct codes at once. */
    static char codes[64][FK_CODE_MAX_LEN];
    for (int i = 0; i < 64; i++)
        issue(db, FK_CODE_PERSONAL, 1000 + i, T0 + DAY, codes[i]);
    pthread_t threads[4];
    struct thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct thread_job){store, codes, 64, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, verify_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    fk_store_close(store);
}

static void test_sqlite(void **state)
{
    (void)state;
    scenario(sqlite_path);
}

static void test_postgres(void **state)
{
    (void)state;
    const char *url = getenv("FK_TEST_PG_URL");
    if (url == NULL || url[0] == '\0')
        skip();
    scenario(url);
}

static void test_qr(void **state)
{
    (void)state;
    const char *code = "FKC:X50-G5/VH4928P03.M/Y1000WZKXAELXPG4B489OBJ%A9OQGCVMCO6O$V6N0642C4QJ "
                       "3X.DMU32G8:Q608C7+G+*G9WII3P/BH-A2PZOCA48Z2EQU3PKC0";
    struct fk_buf svg, png;
    fk_buf_init(&svg, 1 << 20);
    fk_buf_init(&png, 1 << 20);
    assert_int_equal(fk_code_qr_svg(code, &svg), FK_OK);
    assert_non_null(strstr(svg.data, "<svg"));
    assert_non_null(strstr(svg.data, "</svg>"));
    assert_int_equal(fk_code_qr_png(code, 4, &png), FK_OK);
    assert_true(png.len > 8);
    assert_memory_equal(png.data, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(fk_code_qr_png(code, 0, &png), FK_ERR_INVALID);
    assert_int_equal(fk_code_qr_svg("", &svg), FK_ERR_INVALID);
    /* A tiny cap: the buffer reports it instead of overflowing. */
    struct fk_buf tiny;
    fk_buf_init(&tiny, 100);
    assert_int_equal(fk_code_qr_svg(code, &tiny), FK_ERR_TOO_LARGE);
    fk_buf_init(&tiny, 100);
    assert_int_not_equal(fk_code_qr_png(code, 8, &tiny), FK_OK);
    fk_buf_free(&tiny);
    fk_buf_free(&svg);
    fk_buf_free(&png);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    char dir[] = "/tmp/fk-codes-test-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(sqlite_path, sizeof(sqlite_path), "%s/codes.db", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base45_rfc_examples),
        cmocka_unit_test(test_base45_all_values),
        cmocka_unit_test(test_base45_invalid),
        cmocka_unit_test(test_qr),
        cmocka_unit_test(test_sqlite),
        cmocka_unit_test(test_postgres),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return failed;
}
