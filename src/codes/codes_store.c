/* Signing keys and revocations in the store: key creation and rotation,
 * issuing (which opens the active secret for one signature and wipes it), and
 * revocation. The secret never sits in the store in clear: it is sealed with
 * the PII key under the context "signing_key". */
#include "codes/codes_store.h"
#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/caller.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_CONTEXT "signing_key"

struct key_rows {
    struct fk_code_key *out;
    size_t max, *n;
};

/* One signing key row into the next slot (rows beyond `max` are skipped). */
static enum fk_err key_row(struct fk_stmt *st, void *ctx)
{
    struct key_rows *c = ctx;
    if (*c->n >= c->max)
        return FK_OK;
    struct fk_code_key *k = &c->out[*c->n];
    memset(k, 0, sizeof(*k));
    const char *b64 = fk_stmt_text(st, 1);
    size_t pk_len = 0;
    if (b64 == NULL ||
        sodium_base642bin(k->public_key, sizeof(k->public_key), b64, strlen(b64), NULL, &pk_len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        pk_len != 32) {
        fk_log_msg(FK_LOG_ERROR, "codes_bad_public_key", "a signing key row is damaged");
        return FK_OK;
    }
    k->key_id = (uint32_t)fk_stmt_int64(st, 0);
    const char *state = fk_stmt_text(st, 2);
    k->active = state != NULL && strcmp(state, "active") == 0;
    k->created_at = fk_stmt_int64(st, 3);
    k->retired_at = fk_stmt_int64(st, 4);
    (*c->n)++;
    return FK_OK;
}

enum fk_err fk_codes_store_keys(struct fk_conn *db, struct fk_code_key *out, size_t max, size_t *n)
{
    *n = 0;
    /* Only keys still trusted: the cap then bounds rotations per 31 days, not ever. */
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "(state = 'active' OR retired_at > ?)", "i", fk_now() - FK_CODE_MAX_VALIDITY);
    char sql[128 + FK_WHERE_SQL_MAX];
    snprintf(sql, sizeof(sql),
             "SELECT key_id, public_key, state, created_at, retired_at FROM signing_keys%s "
             "ORDER BY id DESC",
             w.sql);
    struct key_rows c = {out, max, n};
    return fk_where_each(db, sql, &w, NULL, 0, key_row, &c, NULL, NULL);
}

struct revocation_rows {
    fk_codes_revocation_fn take;
    void *ctx;
};

/* Calls `take` with a row (id, code_type, object_id, revoked_at). */
static enum fk_err revocation_row(struct fk_stmt *st, void *ctx)
{
    struct revocation_rows *c = ctx;
    c->take(c->ctx, fk_stmt_int64(st, 0), (int)fk_stmt_int64(st, 1), fk_stmt_int64(st, 2),
            fk_stmt_int64(st, 3));
    return FK_OK;
}

/* The revocations matching `clause` (one '?' bound to `value`) in `order`, at
 * most `limit`, through `take`. */
static enum fk_err revocations_walk(struct fk_conn *db, const char *clause, const char *order,
                                    int64_t value, int64_t limit, fk_codes_revocation_fn take,
                                    void *ctx)
{
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, clause, "i", value);
    char sql[128 + FK_WHERE_SQL_MAX];
    snprintf(sql, sizeof(sql),
             "SELECT id, code_type, object_id, revoked_at FROM revocations%s ORDER BY %s LIMIT ?",
             w.sql, order);
    struct revocation_rows c = {take, ctx};
    return fk_where_each(db, sql, &w, &limit, 1, revocation_row, &c, NULL, NULL);
}

enum fk_err fk_codes_store_revocations(struct fk_conn *db, int64_t after_row,
                                       fk_codes_revocation_fn take, void *ctx)
{
    return revocations_walk(db, "id > ?", "id", after_row, INT64_MAX, take, ctx);
}

enum fk_err fk_codes_store_revoked_since(struct fk_conn *db, int64_t since, int64_t limit,
                                         fk_codes_revocation_fn take, void *ctx)
{
    return revocations_walk(db, "revoked_at >= ?", "revoked_at, id", since, limit, take, ctx);
}

/* Inserts a fresh key pair as the active key (active_slot 1); the caller
 * holds a transaction and has retired the previous one. */
static enum fk_err insert_key(struct fk_conn *db, uint32_t *key_id)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char sk_hex[crypto_sign_SECRETKEYBYTES * 2 + 1];
    char pk_b64[64];
    char *sealed = NULL;
    enum fk_err err = FK_ERR_CONFLICT;
    /* A 4-byte key id may collide with an older key's: draw again. */
    for (int attempt = 0; attempt < 4 && err == FK_ERR_CONFLICT; attempt++) {
        crypto_sign_keypair(pk, sk);
        sodium_bin2hex(sk_hex, sizeof(sk_hex), sk, sizeof(sk));
        sodium_bin2base64(pk_b64, sizeof(pk_b64), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
        free(sealed);
        sealed = NULL;
        err = fk_pii_seal(fk_codes_pii(), SEAL_CONTEXT, sk_hex, &sealed);
        if (err != FK_OK)
            break;
        uint32_t id = fk_code_key_id(pk);
        struct fk_stmt *st = NULL;
        int row = 0;
        err = fk_db_query(db, &st, &row, "SELECT 1 FROM signing_keys WHERE key_id = ?", "i",
                          (int64_t)id);
        fk_stmt_free(st);
        if (err == FK_OK && row)
            err = FK_ERR_CONFLICT;
        if (err == FK_OK)
            err = fk_db_run(db, NULL,
                            "INSERT INTO signing_keys(key_id, public_key, sealed_secret, state, "
                            "active_slot, created_at) VALUES (?, ?, ?, 'active', 1, ?)",
                            "itti", (int64_t)id, pk_b64, sealed, fk_now());
        if (err == FK_OK && key_id != NULL)
            *key_id = id;
        if (err == FK_ERR_CONFLICT && row == 0)
            break; /* the unique active slot: another server made a key meanwhile */
    }
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(sk_hex, sizeof(sk_hex));
    free(sealed);
    return err;
}

enum fk_err fk_code_keys_ensure(struct fk_conn *db, int *created)
{
    if (created != NULL)
        *created = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    struct fk_stmt *st = NULL;
    int row = 0;
    err = fk_db_query(db, &st, &row, "SELECT 1 FROM signing_keys WHERE active_slot = 1", "");
    fk_stmt_free(st);
    if (err == FK_OK && !row)
        err = insert_key(db, NULL);
    if ((err = fk_caller_finish(db, err)) != FK_OK) {
        /* Another server created the first key at the same moment: it exists. */
        return err == FK_ERR_CONFLICT ? FK_OK : err;
    }
    if (!row && created != NULL)
        *created = 1;
    if (!row)
        fk_codes_keys_changed();
    return FK_OK;
}

enum fk_err fk_code_keys_rotate(struct fk_conn *db, uint32_t *key_id)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, NULL,
                    "UPDATE signing_keys SET state = 'retired', active_slot = NULL, "
                    "retired_at = ? WHERE active_slot = 1",
                    "i", fk_now());
    if (err == FK_OK)
        err = insert_key(db, key_id);
    if ((err = fk_caller_finish(db, err)) != FK_OK)
        return err;
    fk_codes_keys_changed();
    return FK_OK;
}

enum fk_err fk_code_keys_list(struct fk_conn *db, struct fk_code_key *out, size_t max, size_t *n)
{
    struct fk_code_key all[64];
    size_t total = 0;
    *n = 0;
    enum fk_err err = fk_codes_store_keys(db, all, 64, &total);
    if (err != FK_OK)
        return err;
    int64_t now = fk_now();
    for (size_t i = 0; i < total && *n < max; i++)
        if (all[i].active || now < all[i].retired_at + FK_CODE_MAX_VALIDITY)
            out[(*n)++] = all[i];
    return FK_OK;
}

enum fk_err fk_code_active_secret(struct fk_conn *db, uint32_t *key_id, unsigned char secret[64])
{
    struct fk_stmt *st = NULL;
    int row = 0;
    char *plain = NULL;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT key_id, sealed_secret FROM signing_keys WHERE active_slot = 1", "");
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        *key_id = (uint32_t)fk_stmt_int64(st, 0);
        err = fk_pii_open(fk_codes_pii(), SEAL_CONTEXT, fk_stmt_text(st, 1), &plain);
    }
    fk_stmt_free(st);
    if (err != FK_OK)
        return err == FK_ERR_NOT_FOUND ? err : FK_ERR_CRYPTO;
    size_t plain_len = strlen(plain), bin_len = 0;
    if (plain_len != 128 ||
        sodium_hex2bin(secret, 64, plain, plain_len, NULL, &bin_len, NULL) != 0 || bin_len != 64)
        err = FK_ERR_CRYPTO;
    sodium_memzero(plain, plain_len);
    free(plain);
    if (err != FK_OK)
        sodium_memzero(secret, 64);
    return err;
}

enum fk_err fk_code_issue(struct fk_conn *db, enum fk_code_type type, int64_t object_id,
                          int64_t expires_at, char *out, size_t out_size)
{
    int64_t now = fk_now();
    if (fk_code_prefix(type) == NULL || object_id < 1 || expires_at <= now ||
        expires_at - now > FK_CODE_MAX_VALIDITY || now < 0 || expires_at > UINT32_MAX)
        return FK_ERR_INVALID;
    if (out_size < FK_CODE_MAX_LEN)
        return FK_ERR_TOO_LARGE;
    unsigned char secret[64];
    struct fk_code_info info = {type, object_id, 0, now, expires_at};
    enum fk_err err = fk_code_active_secret(db, &info.key_id, secret);
    if (err == FK_OK)
        err = fk_code_sign(&info, secret, out, out_size);
    sodium_memzero(secret, sizeof(secret));
    return err;
}

enum fk_err fk_code_revoke(struct fk_conn *db, enum fk_code_type type, int64_t object_id,
                           const char *reason, int64_t actor)
{
    size_t reason_len = reason ? strlen(reason) : 0;
    if (fk_code_prefix(type) == NULL || object_id < 1 || reason_len == 0 || reason_len > 200)
        return FK_ERR_INVALID;
    int64_t now = fk_now();
    enum fk_err err = fk_db_run(db, NULL,
                                "INSERT INTO revocations(code_type, object_id, revoked_at, reason, "
                                "actor) VALUES (?, ?, ?, ?, ?)",
                                "iiitz", (int64_t)type, object_id, now, reason, actor);
    if (err == FK_OK)
        fk_codes_note_revocation((int)type, object_id, now);
    return err;
}

enum fk_err fk_code_revoke_audited(struct fk_conn *db, enum fk_code_type type, int64_t object_id,
                                   const char *reason, const struct fk_audit_entry *audit)
{
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_code_revoke(db, type, object_id, reason, audit->actor_id);
    if (err == FK_OK)
        err = fk_audit_write(db, audit);
    return fk_caller_finish(db, err);
}
