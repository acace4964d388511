/* Tests for src/crypto: passwords, tokens, PII sealing, key files, masking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

static int setup(void **state)
{
    (void)state;
    if (fk_crypto_init() != FK_OK)
        return -1;
    fk_password_set_fast(1);
    return 0;
}

static void test_password(void **state)
{
    (void)state;
    char hash[FK_PASSWORD_HASH_LEN];
    char again[FK_PASSWORD_HASH_LEN];
    assert_int_equal(fk_password_hash("correct horse 电池", hash), FK_OK);
    assert_non_null(memchr(hash, '\0', sizeof hash));
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_int_equal(fk_password_verify(hash, "correct horse 电池"), FK_OK);
    assert_int_equal(fk_password_verify(hash, "correct horse"), FK_ERR_AUTH);
    assert_int_equal(fk_password_verify(hash, ""), FK_ERR_AUTH);
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(fk_password_hash("correct horse 电池", again), FK_OK);
    assert_string_not_equal(hash, again);
    assert_int_equal(fk_password_verify(again, "correct horse 电池"), FK_OK);

    assert_int_equal(fk_password_hash("", hash), FK_OK);
    assert_int_equal(fk_password_verify(hash, ""), FK_OK);
    assert_int_equal(fk_password_verify(hash, "x"), FK_ERR_AUTH);
}

static void test_password_bad_hash(void **state)
{
    (void)state;
    char unterminated[FK_PASSWORD_HASH_LEN];
    memset(unterminated, 'a', sizeof unterminated);
    assert_int_equal(fk_password_verify("", "x"), FK_ERR_AUTH);
    assert_int_equal(fk_password_verify("not a hash", "x"), FK_ERR_AUTH);
    assert_int_equal(fk_password_verify("$argon2id$v=19$m=8,t=1,p=1$", "x"), FK_ERR_AUTH);
    assert_int_equal(fk_password_verify(unterminated, "x"), FK_ERR_AUTH);
    assert_int_equal(fk_password_verify(NULL, "x"), FK_ERR_AUTH);
}

static int url_safe(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static void test_tokens(void **state)
{
    (void)state;
    enum { COUNT = 64 };
    char tokens[COUNT][FK_TOKEN_LEN];
    for (int i = 0; i < COUNT; i++) {
        fk_token_new(tokens[i]);
        assert_int_equal(strlen(tokens[i]), 43);
        assert_true(url_safe(tokens[i]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(tokens[i], tokens[j]);
    }
}

static void test_token_hash(void **state)
{
    (void)state;
    char token[FK_TOKEN_LEN], other[FK_TOKEN_LEN];
    char h1[FK_TOKEN_HASH_LEN], h2[FK_TOKEN_HASH_LEN], h3[FK_TOKEN_HASH_LEN];
    fk_token_new(token);
    fk_token_new(other);
    fk_token_hash(token, h1);
    fk_token_hash(token, h2);
    fk_token_hash(other, h3);
    assert_int_equal(strlen(h1), 64);
    assert_int_equal(strspn(h1, "0123456789abcdef"), 64);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3);
    assert_string_not_equal(h1, token);

    /* BLAKE2b-256 of the empty string. */
    fk_token_hash("", h1);
    assert_string_equal(h1, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

static void test_token_equal(void **state)
{
    (void)state;
    char token[FK_TOKEN_LEN], copy[FK_TOKEN_LEN];
    fk_token_new(token);
    memcpy(copy, token, sizeof copy);
    assert_true(fk_token_equal(token, copy));
    assert_true(fk_token_equal("", ""));
    copy[42] = copy[42] == 'A' ? 'B' : 'A';
    assert_false(fk_token_equal(token, copy));
    assert_false(fk_token_equal("abc", "abcd"));
    assert_false(fk_token_equal("abcd", "abc"));
    assert_false(fk_token_equal("", "a"));
    assert_false(fk_token_equal(NULL, "a"));
    assert_false(fk_token_equal("a", NULL));
}

static void random_key(struct fk_pii_key *key)
{
    /* Deterministic but distinct keys are enough here. */
    static unsigned char seed = 1;
    memset(key->seal, seed, sizeof key->seal);
    memset(key->blind, seed + 100, sizeof key->blind);
    seed++;
}

static void test_seal_round_trip(void **state)
{
    (void)state;
    struct fk_pii_key key;
    random_key(&key);
    const char *values[] = {"11010519491231002X", "13812345678", "", "张三 山西省太原市"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *sealed = NULL, *opened = NULL, *sealed_again = NULL;
        assert_int_equal(fk_pii_seal(&key, "id_number", values[i], &sealed), FK_OK);
        assert_true(url_safe(sealed));
        if (values[i][0] != '\0')
            assert_null(strstr(sealed, values[i]));
        assert_int_equal(fk_pii_open(&key, "id_number", sealed, &opened), FK_OK);
        assert_string_equal(opened, values[i]);
        /* Random nonce: sealing twice gives different texts. */
        assert_int_equal(fk_pii_seal(&key, "id_number", values[i], &sealed_again), FK_OK);
        assert_string_not_equal(sealed, sealed_again);
        free(sealed);
        free(sealed_again);
        free(opened);
    }
}

static void test_open_rejects(void **state)
{
    (void)state;
    struct fk_pii_key key, other;
    random_key(&key);
    random_key(&other);
    char *sealed = NULL, *opened = NULL;
    assert_int_equal(fk_pii_seal(&key, "id_number", "141102199003071236", &sealed), FK_OK);

    /* A sealed ID cannot be passed off as a phone. */
    assert_int_equal(fk_pii_open(&key, "phone", sealed, &opened), FK_ERR_CRYPTO);
    assert_null(opened);
    assert_int_equal(fk_pii_open(&other, "id_number", sealed, &opened), FK_ERR_CRYPTO);
    assert_null(opened);

    /* Any changed character in nonce, ciphertext or tag is caught. */
    size_t len = strlen(sealed);
    size_t positions[] = {0, 10, 32, len / 2, len - 5};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        char *tampered = strdup(sealed);
        assert_non_null(tampered);
        tampered[positions[i]] = tampered[positions[i]] == 'A' ? 'B' : 'A';
        assert_int_equal(fk_pii_open(&key, "id_number", tampered, &opened), FK_ERR_CRYPTO);
        assert_null(opened);
        free(tampered);
    }
    /* Truncated, extended, not base64url, too short to hold a nonce and tag. */
    char *cut = strdup(sealed);
    assert_non_null(cut);
    cut[len - 4] = '\0';
    assert_int_equal(fk_pii_open(&key, "id_number", cut, &opened), FK_ERR_CRYPTO);
    free(cut);
    char longer[512];
    snprintf(longer, sizeof longer, "%sAAAA", sealed);
    assert_int_equal(fk_pii_open(&key, "id_number", longer, &opened), FK_ERR_CRYPTO);
    assert_int_equal(fk_pii_open(&key, "id_number", "", &opened), FK_ERR_CRYPTO);
    assert_int_equal(fk_pii_open(&key, "id_number", "AAAA", &opened), FK_ERR_CRYPTO);
    assert_int_equal(fk_pii_open(&key, "id_number", "not+base64/==", &opened), FK_ERR_CRYPTO);
    assert_null(opened);

    assert_int_equal(fk_pii_open(&key, "id_number", sealed, &opened), FK_OK);
    assert_string_equal(opened, "141102199003071236");
    free(opened);
    free(sealed);
}

static void test_blind_index(void **state)
{
    (void)state;
    struct fk_pii_key key, other;
    random_key(&key);
    random_key(&other);
    char a[FK_BLIND_LEN], b[FK_BLIND_LEN], c[FK_BLIND_LEN];
    fk_pii_blind(&key, "id_number", "141102199003071236", a);
    fk_pii_blind(&key, "id_number", "141102199003071236", b);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_equal(a, b);

    fk_pii_blind(&other, "id_number", "141102199003071236", c);
    assert_string_not_equal(a, c);
    fk_pii_blind(&key, "phone", "141102199003071236", c);
    assert_string_not_equal(a, c);
    fk_pii_blind(&key, "id_number", "141102199003071237", c);
    assert_string_not_equal(a, c);
    /* The separator keeps context and value apart: ("ab","c") != ("a","bc"). */
    fk_pii_blind(&key, "ab", "c", b);
    fk_pii_blind(&key, "a", "bc", c);
    assert_string_not_equal(b, c);

    /* Only the blind half of the key matters. */
    memcpy(other.blind, key.blind, sizeof key.blind);
    fk_pii_blind(&other, "id_number", "141102199003071236", c);
    assert_string_equal(a, c);
}

struct tmp {
    char dir[64];
    char path[128];
};

static void tmp_make(struct tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/fk_crypto_test.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/pii.key", t->dir);
}

static void tmp_remove(struct tmp *t)
{
    unlink(t->path);
    assert_int_equal(rmdir(t->dir), 0);
}

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_key_file(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    struct fk_pii_key created, again, loaded;
    memset(&created, 0, sizeof created);
    assert_int_equal(fk_pii_key_load(t.path, &loaded), FK_ERR_IO);
    assert_int_equal(fk_pii_key_load_or_create(t.path, &created), FK_OK);

    struct stat st;
    assert_int_equal(stat(t.path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 129);

    char text[200];
    int fd = open(t.path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, text, sizeof text), 129);
    close(fd);
    assert_int_equal(strspn(text, "0123456789abcdef"), 128);
    assert_int_equal(text[128], '\n');

    /* An existing key is loaded, never replaced. */
    assert_int_equal(fk_pii_key_load_or_create(t.path, &again), FK_OK);
    assert_memory_equal(&created, &again, sizeof created);
    assert_int_equal(fk_pii_key_load(t.path, &loaded), FK_OK);
    assert_memory_equal(&created, &loaded, sizeof created);
    assert_memory_not_equal(created.seal, created.blind, sizeof created.seal);

    /* What one process sealed, the next one opens. */
    char *sealed = NULL, *opened = NULL;
    assert_int_equal(fk_pii_seal(&created, "phone", "13812345678", &sealed), FK_OK);
    assert_int_equal(fk_pii_open(&loaded, "phone", sealed, &opened), FK_OK);
    assert_string_equal(opened, "13812345678");
    free(sealed);
    free(opened);
    tmp_remove(&t);

    /* Two sites get different keys. */
    tmp_make(&t);
    assert_int_equal(fk_pii_key_load_or_create(t.path, &again), FK_OK);
    assert_memory_not_equal(&created, &again, sizeof created);
    tmp_remove(&t);
}

static void expect_malformed(const char *content, size_t len)
{
    struct tmp t;
    struct fk_pii_key key;
    tmp_make(&t);
    write_file(t.path, content, len);
    assert_int_equal(fk_pii_key_load(t.path, &key), FK_ERR_INVALID);
    assert_int_equal(fk_pii_key_load_or_create(t.path, &key), FK_ERR_INVALID);
    tmp_remove(&t);
}

static void test_key_file_malformed(void **state)
{
    (void)state;
    char good[130];
    for (int i = 0; i < 128; i++)
        good[i] = "0123456789abcdef"[i % 16];
    good[128] = '\n';
    good[129] = '\0';

    char text[300];
    expect_malformed("", 0);
    expect_malformed("abc\n", 4);
    expect_malformed(good, 128); /* no newline */
    memcpy(text, good, 129);
    text[129] = '\n';
    expect_malformed(text, 130); /* trailing content */
    memcpy(text, good, 129);
    memcpy(text + 129, good, 129);
    expect_malformed(text, 258); /* two keys */
    memcpy(text, good, 129);
    text[5] = 'g';
    expect_malformed(text, 129);
    text[5] = ' ';
    expect_malformed(text, 129);
    memcpy(text, good, 129);
    text[128] = '\r';
    expect_malformed(text, 129);
    memcpy(text + 1, good, 128);
    text[0] = ' ';
    text[129] = '\n';
    expect_malformed(text, 130); /* leading space */

    /* The well-formed one loads. */
    struct tmp t;
    struct fk_pii_key key;
    tmp_make(&t);
    write_file(t.path, good, 129);
    assert_int_equal(fk_pii_key_load(t.path, &key), FK_OK);
    assert_int_equal(key.seal[0], 0x01);
    assert_int_equal(key.seal[1], 0x23);
    assert_int_equal(key.blind[31], 0xef);
    tmp_remove(&t);

    /* A directory is not a key file. */
    tmp_make(&t);
    assert_int_equal(fk_pii_key_load(t.dir, &key), FK_ERR_IO);
    tmp_remove(&t);
}

static void test_key_file_unwritable(void **state)
{
    (void)state;
    struct fk_pii_key key;
    assert_int_equal(fk_pii_key_load_or_create("/nonexistent-dir/fk/pii.key", &key), FK_ERR_IO);
}

static void test_mask_name(void **state)
{
    (void)state;
    char out[64];
    fk_mask_name("张三", out, sizeof(out));
    assert_string_equal(out, "张*");
    fk_mask_name("欧阳娜娜", out, sizeof(out));
    assert_string_equal(out, "欧***");
    fk_mask_name("李", out, sizeof(out));
    assert_string_equal(out, "李");
    fk_mask_name("", out, sizeof(out));
    assert_string_equal(out, "");
    fk_mask_name("Tom", out, sizeof(out));
    assert_string_equal(out, "T**");
    fk_mask_name("张三丰", out, 5); /* room for the first character and one star */
    assert_string_equal(out, "张*");
}

static void test_mask_id(void **state)
{
    (void)state;
    char out[32];
    fk_mask_id("14110219900307123X", out, sizeof out);
    assert_string_equal(out, "1411**********123X");
    fk_mask_id("141102199003071234", out, sizeof out);
    assert_string_equal(out, "1411**********1234");
    fk_mask_id("123456789", out, sizeof out);
    assert_string_equal(out, "1234*6789");
    fk_mask_id("12345678", out, sizeof out);
    assert_string_equal(out, "********");
    fk_mask_id("", out, sizeof out);
    assert_string_equal(out, "");
    fk_mask_id("H12345678901", out, sizeof out); /* any length: a passport number */
    assert_string_equal(out, "H123****8901");

    /* Always terminated within out_size, even when too small. */
    char small[8];
    memset(small, 'z', sizeof small);
    fk_mask_id("14110219900307123X", small, sizeof small);
    assert_string_equal(small, "1411***");
    memset(small, 'z', sizeof small);
    fk_mask_id("14110219900307123X", small, 1);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'z');
    fk_mask_id("14110219900307123X", small, 0);
    assert_int_equal(small[1], 'z');
}

static void test_mask_phone(void **state)
{
    (void)state;
    char out[32];
    fk_mask_phone("13812345678", out, sizeof out);
    assert_string_equal(out, "138****5678");
    fk_mask_phone("12345678", out, sizeof out);
    assert_string_equal(out, "123*5678");
    fk_mask_phone("1234567", out, sizeof out);
    assert_string_equal(out, "*******");
    fk_mask_phone("1", out, sizeof out);
    assert_string_equal(out, "*");
    fk_mask_phone("", out, sizeof out);
    assert_string_equal(out, "");
    char small[6];
    fk_mask_phone("13812345678", small, sizeof small);
    assert_string_equal(small, "138**");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password),
        cmocka_unit_test(test_password_bad_hash),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test(test_token_equal),
        cmocka_unit_test(test_seal_round_trip),
        cmocka_unit_test(test_open_rejects),
        cmocka_unit_test(test_blind_index),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_key_file_malformed),
        cmocka_unit_test(test_key_file_unwritable),
        cmocka_unit_test(test_mask_id),
        cmocka_unit_test(test_mask_name),
        cmocka_unit_test(test_mask_phone),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
