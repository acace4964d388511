/* Signed codes: the QR payload of every pass fangkong issues (vehicle pass,
 * community card, personal code), signed with the district's Ed25519 key.
 *
 * A code is a prefix that says what it is ("FKV:", "FKC:", "FKP:", "FKS:") followed by
 * base45 (RFC 9285) of a compact binary payload and its detached signature
 * (docs/internals/codes.md). Only characters of the QR alphanumeric set occur.
 *
 * Call fk_codes_init() once at start-up, before threads start. Verification
 * keeps the public keys, the revocation list and recently verified codes in
 * memory (thread-safe); fk_code_verify() is what scanners call thousands of
 * times a second. */
#ifndef FK_CODES_CODES_H
#define FK_CODES_CODES_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

enum fk_code_type {
    FK_CODE_VEHICLE_PASS = 1, /* "FKV:" 一码通 vehicle pass */
    FK_CODE_CARD = 2,         /* "FKC:" four-colour community card */
    FK_CODE_PERSONAL = 3,     /* "FKP:" personal code */
    FK_CODE_VENUE = 4,        /* "FKS:" venue place code (场所码) */
};

/* What fk_code_verify() found. Append-only. */
enum fk_code_status {
    FK_CODE_VALID = 0,
    FK_CODE_MALFORMED = 1,     /* wrong prefix, length, alphabet or payload layout */
    FK_CODE_BAD_SIGNATURE = 2, /* well-formed but the signature does not verify */
    FK_CODE_UNKNOWN_KEY = 3,   /* signed by a key this district does not (or no longer) trust */
    FK_CODE_EXPIRED = 4,       /* genuine, past expires_at */
    FK_CODE_REVOKED = 5,       /* genuine, its object was revoked after it was issued */
    FK_CODE_UNAVAILABLE = 6,   /* the store could not be read (keys not loaded): try again */
};

/* Longest text fk_code_verify() looks at; longer input is malformed. */
#define FK_CODE_MAX_INPUT 512
/* Room fk_code_issue() needs for the longest code and its NUL. */
#define FK_CODE_MAX_LEN 144
/* Longest validity a code may have (expires_at - issued_at). A retired key
 * keeps verifying for this long after its retirement, then no more. */
#define FK_CODE_MAX_VALIDITY (31 * 86400)

/* A verified code. */
struct fk_code_info {
    enum fk_code_type type;
    int64_t object_id; /* the pass, card or person it stands for (>= 1) */
    uint32_t key_id;   /* the signing key */
    int64_t issued_at; /* UTC epoch seconds */
    int64_t expires_at;
};

/* A signing key as published (GET /api/v1/keys). */
struct fk_code_key {
    uint32_t key_id;
    unsigned char public_key[32];
    int active; /* 1 active, 0 retired */
    int64_t created_at;
    int64_t retired_at; /* 0 while active */
};

/* Records the PII key that seals the signing secrets (copied) and clears the
 * caches. Call at start-up before threads start; tests call it again to start
 * afresh on another store. */
void fk_codes_init(const struct fk_pii_key *pii);

/* Creates the first signing key if the store has no active one. `*created`
 * (may be NULL) says whether one was made. */
enum fk_err fk_code_keys_ensure(struct fk_conn *db, int *created) FK_MUST_CHECK;
/* Makes a new active key and retires the current one, which keeps verifying
 * for FK_CODE_MAX_VALIDITY. `*key_id` (may be NULL) receives the new key id. */
enum fk_err fk_code_keys_rotate(struct fk_conn *db, uint32_t *key_id) FK_MUST_CHECK;
/* The keys that verify codes now (active and retired within their window),
 * newest first, at most `max`; `*n` receives the count. */
enum fk_err fk_code_keys_list(struct fk_conn *db, struct fk_code_key *out, size_t max,
                              size_t *n) FK_MUST_CHECK;

/* Issues a code for `object_id` (>= 1) of `type`, valid from now until
 * `expires_at` (after now, at most FK_CODE_MAX_VALIDITY ahead), signed with
 * the active key. Writes the NUL-terminated code to `out` (FK_CODE_MAX_LEN
 * bytes suffice). FK_ERR_INVALID for bad arguments, FK_ERR_NOT_FOUND when
 * there is no active key, FK_ERR_CRYPTO when its secret does not open. */
enum fk_err fk_code_issue(struct fk_conn *db, enum fk_code_type type, int64_t object_id,
                          int64_t expires_at, char *out, size_t out_size) FK_MUST_CHECK;

/* Verifies `code` (NUL-terminated; read up to FK_CODE_MAX_INPUT + 1 bytes).
 * `out` is filled when the code is genuine (valid, expired or revoked) and
 * zeroed otherwise. Thread-safe; reads the store only to refresh its caches
 * (`db` may be NULL: then only what is already loaded is used). */
enum fk_code_status fk_code_verify(struct fk_conn *db, const char *code, struct fk_code_info *out);

/* Revokes every code of (type, object_id) issued up to now. `reason` is
 * 1..200 bytes of text; `actor` is the user id or 0 (command line). Takes
 * effect at once on this server, within FK_CODE_REFRESH_SECONDS on others. */
enum fk_err fk_code_revoke(struct fk_conn *db, enum fk_code_type type, int64_t object_id,
                           const char *reason, int64_t actor) FK_MUST_CHECK;
/* How often a server re-reads revocations and keys another server may have written. */
#define FK_CODE_REFRESH_SECONDS 2
/* Makes the next fk_code_verify() re-read keys and revocations as if
 * FK_CODE_REFRESH_SECONDS had passed (for tests; the interval runs on the
 * monotonic clock, which FANGKONG_NOW does not move). */
void fk_code_refresh_due(void);

/* Renders a code as an SVG QR code (alphanumeric mode, ECC level M, 4-module
 * quiet zone) appended to `out`. The code is not verified here. */
enum fk_err fk_code_qr_svg(const char *code, struct fk_buf *out) FK_MUST_CHECK;
/* The same as a PNG (`scale` pixels per module, 1..32) appended to `out`. */
enum fk_err fk_code_qr_png(const char *code, int scale, struct fk_buf *out) FK_MUST_CHECK;

/* Names: "vehicle_pass", "card", "personal", "venue"; "valid", "malformed", ... */
const char *fk_code_type_name(enum fk_code_type type);
/* The type for a name, or 0. */
enum fk_code_type fk_code_type_from_name(const char *name);
const char *fk_code_status_name(enum fk_code_status status);

/* Counters since fk_codes_init(): codes verified and cache hits among them. */
struct fk_code_stats {
    uint64_t verifies;
    uint64_t cache_hits;
    uint64_t signature_checks;
};
void fk_code_stats(struct fk_code_stats *out);

#endif
