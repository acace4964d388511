/* Internals of the signed-code module shared by its files and unit tests. */
#ifndef FK_CODES_CODES_INTERNAL_H
#define FK_CODES_CODES_INTERNAL_H

#include "codes/codes.h"

/* --- base45 (RFC 9285) --- */
/* Encoded length of `len` bytes. */
#define FK_BASE45_LEN(len) ((len) / 2 * 3 + (len) % 2 * 2)
/* Writes base45 of `len` bytes plus a NUL to `out`; FK_ERR_TOO_LARGE if
 * out_size is smaller than FK_BASE45_LEN(len) + 1. */
enum fk_err fk_base45_encode(const unsigned char *in, size_t len, char *out,
                             size_t out_size) FK_MUST_CHECK;
/* Decodes `len` characters into `out`; `*out_len` receives the byte count.
 * FK_ERR_INVALID for a character outside the alphabet, a length of 1 mod 3,
 * or a group above its range (RFC 9285 §4.2 requires rejecting these);
 * FK_ERR_TOO_LARGE when out_size is too small. */
enum fk_err fk_base45_decode(const char *in, size_t len, unsigned char *out, size_t out_size,
                             size_t *out_len) FK_MUST_CHECK;

/* --- payload --- */
#define FK_CODE_VERSION 1
#define FK_CODE_SIG_LEN 64
/* version, type, uvarint id (1..10), key id (4), issued (4), expires (4). */
#define FK_CODE_BODY_MAX (1 + 1 + 10 + 4 + 4 + 4)
#define FK_CODE_PAYLOAD_MAX (FK_CODE_BODY_MAX + FK_CODE_SIG_LEN)
#define FK_CODE_PREFIX_LEN 4

/* The prefix of a type ("FKV:"), or NULL. */
const char *fk_code_prefix(enum fk_code_type type);
/* Key id of a public key: the first 4 bytes of BLAKE2b-256(pk), big-endian. */
uint32_t fk_code_key_id(const unsigned char pk[32]);
/* Builds the code text for `info`, signed with `secret` (64-byte libsodium
 * Ed25519 secret key). No store involved: the unit tests forge codes with it. */
enum fk_err fk_code_sign(const struct fk_code_info *info, const unsigned char secret[64], char *out,
                         size_t out_size) FK_MUST_CHECK;
/* Parses prefix, base45 and layout of `code` (length `len`) into `info`, the
 * signed bytes and the signature. FK_CODE_MALFORMED or FK_CODE_VALID. */
enum fk_code_status fk_code_parse(const char *code, size_t len, struct fk_code_info *info,
                                  unsigned char *body, size_t *body_len,
                                  unsigned char sig[FK_CODE_SIG_LEN]);

/* --- keys in the store (codes_keys.c) --- */
/* The PII key recorded by fk_codes_init(). */
const struct fk_pii_key *fk_codes_pii(void);
/* Opens the active key's secret into `secret` (wipe it after use). */
enum fk_err fk_code_active_secret(struct fk_conn *db, uint32_t *key_id,
                                  unsigned char secret[64]) FK_MUST_CHECK;

#endif
