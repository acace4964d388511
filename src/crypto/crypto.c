/* Start-up, passwords (argon2id) and tokens. PII sealing is in pii.c, masking
 * in mask.c. */
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"

#define TOKEN_BYTES 32
#define TOKEN_HASH_BYTES 32

_Static_assert(FK_PASSWORD_HASH_LEN == crypto_pwhash_STRBYTES, "password hash buffer size");
_Static_assert(FK_TOKEN_LEN ==
                   sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "token buffer size");
_Static_assert(FK_TOKEN_HASH_LEN == TOKEN_HASH_BYTES * 2 + 1, "token hash buffer size");

/* Start-up configuration: set before threads start, read by every worker. */
static atomic_int password_fast;

enum fk_err fk_crypto_init(void)
{
    return sodium_init() < 0 ? FK_ERR_CRYPTO : FK_OK;
}

void fk_password_set_fast(int fast)
{
    atomic_store(&password_fast, fast != 0);
}

enum fk_err fk_password_hash(const char *password, char out[FK_PASSWORD_HASH_LEN])
{
    int fast = atomic_load(&password_fast);
    unsigned long long ops = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str(out, password, strlen(password), ops, mem) != 0) {
        /* libsodium only fails here when the memory limit cannot be allocated. */
        memset(out, 0, FK_PASSWORD_HASH_LEN);
        return FK_ERR_NOMEM;
    }
    return FK_OK;
}

enum fk_err fk_password_verify(const char *hash, const char *password)
{
    /* The stored hash comes from the database; refuse one that is not a
     * terminated string of the expected size rather than let libsodium scan it. */
    if (hash == NULL || password == NULL ||
        strnlen(hash, FK_PASSWORD_HASH_LEN) == FK_PASSWORD_HASH_LEN)
        return FK_ERR_AUTH;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? FK_OK : FK_ERR_AUTH;
}

void fk_token_new(char out[FK_TOKEN_LEN])
{
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, FK_TOKEN_LEN, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static void token_digest(const char *token, unsigned char digest[TOKEN_HASH_BYTES])
{
    crypto_generichash(digest, TOKEN_HASH_BYTES, (const unsigned char *)token, strlen(token), NULL,
                       0);
}

void fk_token_hash(const char *token, char out[FK_TOKEN_HASH_LEN])
{
    unsigned char digest[TOKEN_HASH_BYTES];
    token_digest(token, digest);
    sodium_bin2hex(out, FK_TOKEN_HASH_LEN, digest, sizeof digest);
}

/* Both sides are hashed first so the comparison time depends on neither the
 * contents nor the lengths of the secrets, only on their hashing time. */
int fk_token_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    unsigned char da[TOKEN_HASH_BYTES], db[TOKEN_HASH_BYTES];
    token_digest(a, da);
    token_digest(b, db);
    return sodium_memcmp(da, db, TOKEN_HASH_BYTES) == 0;
}
