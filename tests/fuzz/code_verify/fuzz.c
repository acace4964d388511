/* libFuzzer target for signed codes: base45 decoding, payload parsing and the
 * whole verify path (caches included) against a SQLite store holding a
 * signing key made from a fixed seed, so that the committed corpus holds
 * genuine codes the fuzzer mutates. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes/codes_internal.h"
#include "core/clock.h"
#include "store/store.h"

#define NOW_2022 INT64_C(1646179200)

static struct fk_store *store;
static struct fk_conn *db;
static unsigned char secret[64];
static char dir[] = "/tmp/fk-fuzz-codes-XXXXXX";

static void remove_dir(void)
{
    fk_store_close(store);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return;
}

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The fixed key: seed bytes 1, 2, ... 32. */
static void setup(void)
{
    check(sodium_init() >= 0);
    check(mkdtemp(dir) != NULL);
    atexit(remove_dir);
    char path[96];
    snprintf(path, sizeof(path), "%s/fuzz.db", dir);
    check(fk_store_open(path, &store) == FK_OK);
    check(fk_store_migrate(store) == FK_OK);
    check(fk_store_conn(store, &db) == FK_OK);
    struct fk_pii_key pii;
    memset(&pii, 3, sizeof(pii));
    fk_codes_init(&pii);
    unsigned char seed[32], pk[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char)(i + 1);
    crypto_sign_seed_keypair(pk, secret, seed);
    char pk_b64[64];
    sodium_bin2base64(pk_b64, sizeof(pk_b64), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
    check(fk_db_run(db, NULL,
                    "INSERT INTO signing_keys(key_id, public_key, sealed_secret, state, "
                    "active_slot, created_at) VALUES (?, ?, 'unused', 'active', 1, ?)",
                    "iti", (int64_t)fk_code_key_id(pk), pk_b64, NOW_2022) == FK_OK);
    fk_clock_set(NOW_2022);
    /* Prints a few genuine codes for the corpus when asked. */
    if (getenv("FK_FUZZ_PRINT_SEEDS")) {
        struct fk_code_info info = {FK_CODE_CARD, 42, fk_code_key_id(pk), NOW_2022,
                                    NOW_2022 + 86400};
        char code[FK_CODE_MAX_LEN];
        for (int t = 1; t <= 3; t++) {
            info.type = (enum fk_code_type)t;
            info.object_id = t == 1 ? 7 : t == 2 ? 300000 : INT64_MAX;
            check(fk_code_sign(&info, secret, code, sizeof(code)) == FK_OK);
            printf("%s\n", code);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (store == NULL)
        setup();
    if (size > FK_CODE_MAX_INPUT + 8)
        size = FK_CODE_MAX_INPUT + 8;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);

    /* base45: what decodes re-encodes to the same text. */
    unsigned char bytes[FK_CODE_MAX_INPUT], again_bytes[FK_CODE_MAX_INPUT];
    size_t n = 0;
    if (len <= FK_CODE_MAX_INPUT &&
        fk_base45_decode(text, len, bytes, sizeof(bytes), &n) == FK_OK) {
        char *back = malloc(FK_BASE45_LEN(n) + 1);
        check(back != NULL);
        check(fk_base45_encode(bytes, n, back, FK_BASE45_LEN(n) + 1) == FK_OK);
        check(strcmp(back, text) == 0);
        size_t n2 = 0;
        check(fk_base45_decode(back, len, again_bytes, sizeof(again_bytes), &n2) == FK_OK);
        check(n2 == n && memcmp(bytes, again_bytes, n) == 0);
        free(back);
    }

    /* The payload: what parses, signed again, parses to the same fields. */
    struct fk_code_info info, again;
    unsigned char body[FK_CODE_BODY_MAX], sig[FK_CODE_SIG_LEN];
    size_t body_len = 0;
    enum fk_code_status parsed = fk_code_parse(text, len, &info, body, &body_len, sig);
    check(parsed == FK_CODE_VALID || parsed == FK_CODE_MALFORMED);
    if (parsed == FK_CODE_VALID) {
        check(info.object_id >= 1 && info.expires_at > info.issued_at);
        check(fk_code_prefix(info.type) != NULL);
        char code[FK_CODE_MAX_LEN];
        check(fk_code_sign(&info, secret, code, sizeof(code)) == FK_OK);
        check(fk_code_parse(code, strlen(code), &again, body, &body_len, sig) == FK_CODE_VALID);
        check(again.type == info.type && again.object_id == info.object_id &&
              again.key_id == info.key_id && again.issued_at == info.issued_at &&
              again.expires_at == info.expires_at);
    }

    /* The whole verify path, twice (the second from the cache): same answer. */
    struct fk_code_info v1, v2;
    enum fk_code_status s1 = fk_code_verify(db, text, &v1);
    enum fk_code_status s2 = fk_code_verify(db, text, &v2);
    check(s1 <= FK_CODE_REVOKED);
    check(s1 == s2);
    if (s1 == FK_CODE_VALID || s1 == FK_CODE_EXPIRED || s1 == FK_CODE_REVOKED) {
        check(parsed == FK_CODE_VALID && len <= FK_CODE_MAX_INPUT);
        check(v1.object_id == info.object_id && v1.type == info.type);
        check(v1.type == v2.type && v1.object_id == v2.object_id && v1.key_id == v2.key_id &&
              v1.issued_at == v2.issued_at && v1.expires_at == v2.expires_at);
    }
    free(text);
    return 0;
}
