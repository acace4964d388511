/* libsodium wrappers: passwords, tokens, PII sealing and masking. */
#ifndef FK_CRYPTO_CRYPTO_H
#define FK_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

/* Call once at start-up (sodium_init). */
enum fk_err fk_crypto_init(void) FK_MUST_CHECK;

/* --- passwords (argon2id) --- */
#define FK_PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES */
/* Hashes `password` into `out` (NUL-terminated). Interactive limits by default;
 * fk_password_set_fast(1) selects the minimum limits for tests and demo builds. */
enum fk_err fk_password_hash(const char *password, char out[FK_PASSWORD_HASH_LEN]) FK_MUST_CHECK;
/* FK_OK if it matches, FK_ERR_AUTH if not. */
enum fk_err fk_password_verify(const char *hash, const char *password) FK_MUST_CHECK;
void fk_password_set_fast(int fast);

/* --- tokens (sessions, CSRF, bearer) --- */
#define FK_TOKEN_LEN 44 /* 32 random bytes, base64url without padding = 43 chars + NUL */
void fk_token_new(char out[FK_TOKEN_LEN]);
#define FK_TOKEN_HASH_LEN 65 /* hex of a 32-byte generic hash + NUL */
/* What the store keeps instead of the token: BLAKE2b-256 hex. */
void fk_token_hash(const char *token, char out[FK_TOKEN_HASH_LEN]);
/* Constant-time string comparison; 1 if equal. */
int fk_token_equal(const char *a, const char *b);

/* --- PII sealing --- */
/* The site key: 32 bytes for AEAD (XChaCha20-Poly1305) and 32 bytes for the
 * blind index (keyed BLAKE2b), kept in a file (mode 0600), never in the store. */
struct fk_pii_key {
    unsigned char seal[32];
    unsigned char blind[32];
};
/* Creates the key file with fresh random keys if it does not exist (mode 0600)
 * and loads it. FK_ERR_IO if it cannot be read/written, FK_ERR_INVALID if the
 * file is malformed. */
enum fk_err fk_pii_key_load_or_create(const char *path, struct fk_pii_key *out) FK_MUST_CHECK;
/* Loads an existing key file. */
enum fk_err fk_pii_key_load(const char *path, struct fk_pii_key *out) FK_MUST_CHECK;

/* Seals `plain` (len bytes) to a base64url text (nonce || ciphertext) that the
 * caller frees with free(). `context` (e.g. "id_number") is bound as
 * associated data so a sealed phone cannot be passed off as an ID. */
enum fk_err fk_pii_seal(const struct fk_pii_key *key, const char *context, const char *plain,
                        char **out) FK_MUST_CHECK;
/* Opens a sealed text; `*out` (NUL-terminated) is freed by the caller.
 * FK_ERR_CRYPTO if forged or sealed under another key/context. */
enum fk_err fk_pii_open(const struct fk_pii_key *key, const char *context, const char *sealed,
                        char **out) FK_MUST_CHECK;
#define FK_BLIND_LEN 33 /* hex of 16 bytes + NUL */
/* Keyed blind index of a normalized value for exact-match lookup. */
void fk_pii_blind(const struct fk_pii_key *key, const char *context, const char *plain,
                  char out[FK_BLIND_LEN]);

/* --- masking for responses --- */
/* "141102199003071234" -> "1411**********1234" (first 4, last 4). Any length:
 * values shorter than 9 are fully masked. `out` holds at least strlen+1. */
void fk_mask_id(const char *id_number, char *out, size_t out_size);
/* "13812345678" -> "138****5678". */
void fk_mask_phone(const char *phone, char *out, size_t out_size);
/* A name as staff outside the person's jurisdiction see it: the first
 * UTF-8 character kept, each further one "*" ("张三丰" -> "张**"); "" when
 * `size` cannot hold the first character. */
void fk_mask_name(const char *name, char *out, size_t size);
/* Opens a sealed ID number or phone (`context` "id_number" or "phone") into
 * out, in full or masked. 0 when written; 1 when `sealed` is NULL or empty;
 * -1 when it does not open (out is then ""). The plain text is wiped. */
int fk_pii_open_masked(const struct fk_pii_key *key, const char *context, const char *sealed,
                       int full, char *out, size_t out_size);

#endif
