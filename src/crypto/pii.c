/* The site PII key, sealing (XChaCha20-Poly1305) and blind indexes (keyed
 * BLAKE2b). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/crypto.h"

#define KEY_BYTES 64
#define KEY_HEX (KEY_BYTES * 2)
#define KEY_FILE_LEN (KEY_HEX + 1) /* hex and a newline, nothing else */
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define BLIND_BYTES 16
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

_Static_assert(sizeof(struct fk_pii_key) == KEY_BYTES, "key layout");
_Static_assert(FK_BLIND_LEN == BLIND_BYTES * 2 + 1, "blind index buffer size");

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static enum fk_err write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FK_ERR_IO;
        buf += n;
        len -= (size_t)n;
    }
    return FK_OK;
}

/* Reads the whole key file into `buf`; returns the number of bytes read, or
 * -1 on an I/O error. Reads at most `cap` bytes (a longer file reads as `cap`). */
static ssize_t read_capped(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

enum fk_err fk_pii_key_load(const char *path, struct fk_pii_key *out)
{
    enum fk_err err = FK_ERR_IO;
    char text[KEY_FILE_LEN + 1]; /* one spare byte detects trailing content */
    unsigned char raw[KEY_BYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FK_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto fail;
    ssize_t got = read_capped(fd, text, sizeof text);
    if (got < 0)
        goto fail;
    err = FK_ERR_INVALID;
    if (got != KEY_FILE_LEN || text[KEY_HEX] != '\n')
        goto fail;
    for (size_t i = 0; i < KEY_HEX; i++) {
        if (!is_hex(text[i]))
            goto fail;
    }
    size_t decoded = 0;
    if (sodium_hex2bin(raw, sizeof raw, text, KEY_HEX, NULL, &decoded, NULL) != 0 ||
        decoded != KEY_BYTES)
        goto fail;
    memcpy(out->seal, raw, sizeof out->seal);
    memcpy(out->blind, raw + sizeof out->seal, sizeof out->blind);
    err = FK_OK;

fail:
    sodium_memzero(text, sizeof text);
    sodium_memzero(raw, sizeof raw);
    close(fd);
    return err;
}

enum fk_err fk_pii_key_load_or_create(const char *path, struct fk_pii_key *out)
{
    /* O_EXCL: never overwrite a key (that would orphan every sealed value). */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? fk_pii_key_load(path, out) : FK_ERR_IO;

    enum fk_err err = FK_ERR_IO;
    unsigned char raw[KEY_BYTES];
    char text[KEY_HEX + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(text, sizeof text, raw, sizeof raw);
    text[KEY_HEX] = '\n';
    if (write_all(fd, text, KEY_FILE_LEN) != FK_OK || fsync(fd) != 0)
        goto fail;
    memcpy(out->seal, raw, sizeof out->seal);
    memcpy(out->blind, raw + sizeof out->seal, sizeof out->blind);
    err = FK_OK;

fail:
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(text, sizeof text);
    if (close(fd) != 0 && err == FK_OK)
        err = FK_ERR_IO;
    if (err != FK_OK)
        unlink(path); /* a half-written key must not be loaded next time */
    return err;
}

enum fk_err fk_pii_seal(const struct fk_pii_key *key, const char *context, const char *plain,
                        char **out)
{
    size_t plain_len = strlen(plain);
    if (plain_len > SIZE_MAX / 2 - NONCE_BYTES - TAG_BYTES)
        return FK_ERR_TOO_LARGE;
    size_t raw_len = NONCE_BYTES + plain_len + TAG_BYTES;
    size_t text_len = sodium_base64_ENCODED_LEN(raw_len, B64);
    unsigned char *raw = malloc(raw_len);
    char *text = malloc(text_len);
    if (raw == NULL || text == NULL) {
        free(raw);
        free(text);
        return FK_ERR_NOMEM;
    }
    randombytes_buf(raw, NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        raw + NONCE_BYTES, NULL, (const unsigned char *)plain, plain_len,
        (const unsigned char *)context, strlen(context), NULL, raw, key->seal);
    sodium_bin2base64(text, text_len, raw, raw_len, B64);
    free(raw);
    *out = text;
    return FK_OK;
}

enum fk_err fk_pii_open(const struct fk_pii_key *key, const char *context, const char *sealed,
                        char **out)
{
    enum fk_err err = FK_ERR_CRYPTO;
    size_t sealed_len = strlen(sealed);
    size_t raw_cap = sealed_len / 4 * 3 + 3;
    unsigned char *raw = malloc(raw_cap);
    char *plain = NULL;
    size_t raw_len = 0;
    if (raw == NULL)
        return FK_ERR_NOMEM;
    if (sodium_base642bin(raw, raw_cap, sealed, sealed_len, NULL, &raw_len, NULL, B64) != 0 ||
        raw_len < NONCE_BYTES + TAG_BYTES)
        goto fail;
    size_t plain_len = raw_len - NONCE_BYTES - TAG_BYTES;
    plain = malloc(plain_len + 1);
    if (plain == NULL) {
        err = FK_ERR_NOMEM;
        goto fail;
    }
    unsigned long long opened = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            (unsigned char *)plain, &opened, NULL, raw + NONCE_BYTES, raw_len - NONCE_BYTES,
            (const unsigned char *)context, strlen(context), raw, key->seal) != 0)
        goto fail;
    plain[opened] = '\0';
    free(raw);
    *out = plain;
    return FK_OK;

fail:
    free(raw);
    free(plain);
    return err;
}

void fk_pii_blind(const struct fk_pii_key *key, const char *context, const char *plain,
                  char out[FK_BLIND_LEN])
{
    static const unsigned char separator = 0;
    unsigned char digest[BLIND_BYTES];
    crypto_generichash_state state;
    crypto_generichash_init(&state, key->blind, sizeof key->blind, sizeof digest);
    crypto_generichash_update(&state, (const unsigned char *)context, strlen(context));
    crypto_generichash_update(&state, &separator, 1);
    crypto_generichash_update(&state, (const unsigned char *)plain, strlen(plain));
    crypto_generichash_final(&state, digest, sizeof digest);
    sodium_bin2hex(out, FK_BLIND_LEN, digest, sizeof digest);
}
