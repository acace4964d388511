/* Signed codes: the payload layout, signing, and the fast verify path with
 * its three in-memory caches (public keys, revocations, verified codes).
 *
 * Payload (all integers big-endian except the id):
 *   version(1) type(1) id(uvarint, 1..9) key_id(4) issued_at(4) expires_at(4) signature(64)
 * The signature is Ed25519 over every byte before it; the text is the type's
 * prefix followed by base45 of the payload. */
#include "codes/codes_internal.h"
#include "codes/codes_store.h"
#include "core/clock.h"
#include "core/log.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- start-up state --- */

static struct fk_pii_key pii;

const struct fk_pii_key *fk_codes_pii(void)
{
    return &pii;
}

/* --- names and prefixes --- */

const char *fk_code_prefix(enum fk_code_type type)
{
    switch (type) {
    case FK_CODE_VEHICLE_PASS: return "FKV:";
    case FK_CODE_CARD: return "FKC:";
    case FK_CODE_PERSONAL: return "FKP:";
    case FK_CODE_VENUE: return "FKS:";
    }
    return NULL;
}

const char *fk_code_type_name(enum fk_code_type type)
{
    switch (type) {
    case FK_CODE_VEHICLE_PASS: return "vehicle_pass";
    case FK_CODE_CARD: return "card";
    case FK_CODE_PERSONAL: return "personal";
    case FK_CODE_VENUE: return "venue";
    }
    return "unknown";
}

enum fk_code_type fk_code_type_from_name(const char *name)
{
    for (int t = FK_CODE_VEHICLE_PASS; t <= FK_CODE_VENUE; t++)
        if (name != NULL && strcmp(name, fk_code_type_name((enum fk_code_type)t)) == 0)
            return (enum fk_code_type)t;
    return (enum fk_code_type)0;
}

const char *fk_code_status_name(enum fk_code_status status)
{
    static const char *const names[] = {"valid",   "malformed", "bad_signature", "unknown_key",
                                        "expired", "revoked",   "unavailable"};
    if ((unsigned)status < sizeof(names) / sizeof(names[0]))
        return names[status];
    return "unknown";
}

uint32_t fk_code_key_id(const unsigned char pk[32])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), pk, 32, NULL, 0);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* --- payload --- */

static size_t put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t build_body(const struct fk_code_info *info, unsigned char *body)
{
    size_t n = 0;
    body[n++] = FK_CODE_VERSION;
    body[n++] = (unsigned char)info->type;
    uint64_t id = (uint64_t)info->object_id;
    do {
        unsigned char b = id & 0x7f;
        id >>= 7;
        body[n++] = id ? (unsigned char)(b | 0x80) : b;
    } while (id);
    n += put_u32(body + n, info->key_id);
    n += put_u32(body + n, (uint32_t)info->issued_at);
    n += put_u32(body + n, (uint32_t)info->expires_at);
    return n;
}

enum fk_err fk_code_sign(const struct fk_code_info *info, const unsigned char secret[64], char *out,
                         size_t out_size)
{
    const char *prefix = fk_code_prefix(info->type);
    if (prefix == NULL || info->object_id < 1 || info->issued_at < 0 ||
        info->issued_at > UINT32_MAX || info->expires_at < 0 || info->expires_at > UINT32_MAX)
        return FK_ERR_INVALID;
    unsigned char payload[FK_CODE_PAYLOAD_MAX];
    size_t n = build_body(info, payload);
    crypto_sign_detached(payload + n, NULL, payload, n, secret);
    n += FK_CODE_SIG_LEN;
    if (out_size < FK_CODE_PREFIX_LEN + FK_BASE45_LEN(n) + 1)
        return FK_ERR_TOO_LARGE;
    memcpy(out, prefix, FK_CODE_PREFIX_LEN);
    return fk_base45_encode(payload, n, out + FK_CODE_PREFIX_LEN, out_size - FK_CODE_PREFIX_LEN);
}

enum fk_code_status fk_code_parse(const char *code, size_t len, struct fk_code_info *info,
                                  unsigned char *body, size_t *body_len,
                                  unsigned char sig[FK_CODE_SIG_LEN])
{
    memset(info, 0, sizeof(*info));
    if (len < FK_CODE_PREFIX_LEN)
        return FK_CODE_MALFORMED;
    enum fk_code_type type = (enum fk_code_type)0;
    for (int t = FK_CODE_VEHICLE_PASS; t <= FK_CODE_VENUE; t++)
        if (memcmp(code, fk_code_prefix((enum fk_code_type)t), FK_CODE_PREFIX_LEN) == 0)
            type = (enum fk_code_type)t;
    if (type == 0)
        return FK_CODE_MALFORMED;
    unsigned char payload[FK_CODE_PAYLOAD_MAX];
    size_t n;
    if (fk_base45_decode(code + FK_CODE_PREFIX_LEN, len - FK_CODE_PREFIX_LEN, payload,
                         sizeof(payload), &n) != FK_OK)
        return FK_CODE_MALFORMED;
    if (n < 3 + 12 + FK_CODE_SIG_LEN || payload[0] != FK_CODE_VERSION || payload[1] != type)
        return FK_CODE_MALFORMED;
    /* The id: canonical unsigned LEB128 of 1..INT64_MAX (at most 9 bytes). */
    uint64_t id = 0;
    size_t p = 2;
    for (int shift = 0;; shift += 7) {
        if (p >= n || shift > 56)
            return FK_CODE_MALFORMED;
        unsigned char b = payload[p++];
        id |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return FK_CODE_MALFORMED; /* not the shortest form */
            break;
        }
    }
    if (id < 1 || id > INT64_MAX || n != p + 12 + FK_CODE_SIG_LEN)
        return FK_CODE_MALFORMED;
    info->type = type;
    info->object_id = (int64_t)id;
    info->key_id = get_u32(payload + p);
    info->issued_at = get_u32(payload + p + 4);
    info->expires_at = get_u32(payload + p + 8);
    if (info->expires_at <= info->issued_at) {
        memset(info, 0, sizeof(*info));
        return FK_CODE_MALFORMED;
    }
    *body_len = p + 12;
    memcpy(body, payload, *body_len);
    memcpy(sig, payload + *body_len, FK_CODE_SIG_LEN);
    return FK_CODE_VALID;
}

/* --- caches --- */

static _Atomic uint64_t n_verifies, n_hits, n_sigchecks;

/* Public keys: a small array replaced as a whole under a read-write lock. */
#define KEYS_MAX 64
static pthread_rwlock_t keys_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct fk_code_key keys[KEYS_MAX];
static size_t n_keys;
static int keys_loaded;

/* Revocations: open addressing on (type, id) → latest revoked_at, grown by
 * doubling; read-mostly, so a read-write lock. */
struct revocation {
    int64_t object_id; /* 0: empty slot */
    int type;
    int64_t revoked_at;
};
static pthread_rwlock_t revs_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct revocation *revs;
static size_t revs_cap, revs_used;
static int64_t revs_last_row;

/* Refreshing: at most one thread re-reads the store at a time. */
static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int64_t refreshed_at_ms; /* monotonic ms of the last refresh, 0 = never */
static _Atomic int keys_stale;
static int64_t forced_at_ms; /* under refresh_lock */

/* Verified codes: 16 shards of 256 sets × 4 ways, each shard under its own
 * mutex; the least recently used way of a set is replaced. Only genuine codes
 * (signature checked) are kept; expiry, revocation and key trust are judged
 * again on every hit. */
#define SHARDS 16
#define SETS 256
#define WAYS 4
struct cached_code {
    uint16_t len; /* 0: empty */
    char text[FK_CODE_MAX_LEN];
    struct fk_code_info info;
    uint64_t used;
};
struct shard {
    pthread_mutex_t lock;
    uint64_t clock;
    struct cached_code slots[SETS][WAYS];
};
static struct shard *shards;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];

void fk_code_refresh_due(void)
{
    atomic_store(&refreshed_at_ms, 0);
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fk_codes_init(const struct fk_pii_key *key)
{
    if (key != NULL)
        pii = *key;
    pthread_rwlock_wrlock(&keys_lock);
    n_keys = 0;
    keys_loaded = 0;
    pthread_rwlock_unlock(&keys_lock);
    pthread_rwlock_wrlock(&revs_lock);
    free(revs);
    revs = NULL;
    revs_cap = revs_used = 0;
    revs_last_row = 0;
    pthread_rwlock_unlock(&revs_lock);
    if (shards == NULL) {
        shards = calloc(SHARDS, sizeof(*shards));
        if (shards != NULL)
            for (int i = 0; i < SHARDS; i++)
                pthread_mutex_init(&shards[i].lock, NULL);
    } else {
        for (int i = 0; i < SHARDS; i++) {
            pthread_mutex_lock(&shards[i].lock);
            memset(shards[i].slots, 0, sizeof(shards[i].slots));
            pthread_mutex_unlock(&shards[i].lock);
        }
    }
    randombytes_buf(hash_key, sizeof(hash_key));
    atomic_store(&refreshed_at_ms, 0);
    atomic_store(&keys_stale, 1);
    forced_at_ms = 0;
    atomic_store(&n_verifies, 0);
    atomic_store(&n_hits, 0);
    atomic_store(&n_sigchecks, 0);
}

void fk_code_stats(struct fk_code_stats *out)
{
    out->verifies = atomic_load(&n_verifies);
    out->cache_hits = atomic_load(&n_hits);
    out->signature_checks = atomic_load(&n_sigchecks);
}

static size_t rev_slot(int type, int64_t object_id, size_t cap)
{
    uint64_t h = (uint64_t)object_id * 0x9E3779B97F4A7C15ull ^ (uint64_t)type;
    return (size_t)(h >> 17) & (cap - 1);
}

/* Records a revocation in memory; called with revs_lock held for writing. */
static int rev_put(int type, int64_t object_id, int64_t revoked_at)
{
    if ((revs_used + 1) * 2 > revs_cap) {
        size_t cap = revs_cap ? revs_cap * 2 : 1024;
        struct revocation *grown = calloc(cap, sizeof(*grown));
        if (grown == NULL)
            return -1;
        for (size_t i = 0; i < revs_cap; i++) {
            if (revs[i].object_id == 0)
                continue;
            size_t s = rev_slot(revs[i].type, revs[i].object_id, cap);
            while (grown[s].object_id != 0)
                s = (s + 1) & (cap - 1);
            grown[s] = revs[i];
        }
        free(revs);
        revs = grown;
        revs_cap = cap;
    }
    size_t s = rev_slot(type, object_id, revs_cap);
    while (revs[s].object_id != 0 && !(revs[s].object_id == object_id && revs[s].type == type))
        s = (s + 1) & (revs_cap - 1);
    if (revs[s].object_id == 0) {
        revs[s].object_id = object_id;
        revs[s].type = type;
        revs_used++;
    }
    if (revoked_at > revs[s].revoked_at)
        revs[s].revoked_at = revoked_at;
    return 0;
}

static int is_revoked(const struct fk_code_info *info)
{
    int revoked = 0;
    pthread_rwlock_rdlock(&revs_lock);
    if (revs_cap > 0) {
        size_t s = rev_slot(info->type, info->object_id, revs_cap);
        while (revs[s].object_id != 0) {
            if (revs[s].object_id == info->object_id && revs[s].type == (int)info->type) {
                revoked = info->issued_at <= revs[s].revoked_at;
                break;
            }
            s = (s + 1) & (revs_cap - 1);
        }
    }
    pthread_rwlock_unlock(&revs_lock);
    return revoked;
}

void fk_codes_note_revocation(int type, int64_t object_id, int64_t revoked_at)
{
    /* The row itself is read again by the next refresh; putting it twice is harmless. */
    pthread_rwlock_wrlock(&revs_lock);
    if (rev_put(type, object_id, revoked_at) != 0)
        fk_log_msg(FK_LOG_WARN, "codes_revocation_memory", "revocation kept in the store only");
    pthread_rwlock_unlock(&revs_lock);
}

void fk_codes_keys_changed(void)
{
    atomic_store(&keys_stale, 1);
}

/* Revocations read from the store, applied after the read so that verifiers
 * are not held up by the query. */
struct rev_batch {
    struct revocation *items;
    size_t n, cap;
    int64_t last_row;
    int failed;
};

static void take_revocation(void *ctx, int64_t row_id, int type, int64_t object_id,
                            int64_t revoked_at)
{
    struct rev_batch *b = ctx;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        struct revocation *grown = realloc(b->items, cap * sizeof(*grown));
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->items = grown;
        b->cap = cap;
    }
    if (b->failed)
        return;
    b->items[b->n++] = (struct revocation){object_id, type, revoked_at};
    if (row_id > b->last_row)
        b->last_row = row_id;
}

/* Re-reads keys and the revocations added since the last read. 0 if the keys
 * are loaded (now or before). */
static int refresh(struct fk_conn *db, int force_keys)
{
    if (db == NULL) { /* no store at hand: verify with what is loaded */
        pthread_rwlock_rdlock(&keys_lock);
        int loaded = keys_loaded;
        pthread_rwlock_unlock(&keys_lock);
        return loaded ? 0 : -1;
    }
    /* A periodic refresh another thread is already doing: go on with what
     * is loaded rather than wait for its queries. */
    if (!force_keys && atomic_load(&refreshed_at_ms) != 0 && !atomic_load(&keys_stale)) {
        if (pthread_mutex_trylock(&refresh_lock) != 0)
            return 0;
    } else {
        pthread_mutex_lock(&refresh_lock);
    }
    int64_t now_ms = monotonic_ms();
    int64_t last = atomic_load(&refreshed_at_ms);
    int due = last == 0 || now_ms - last >= FK_CODE_REFRESH_SECONDS * 1000;
    /* An unknown key id re-reads the keys (another server may have rotated),
     * at most once a second so that forged key ids cannot flood the store. */
    if (force_keys && forced_at_ms != 0 && now_ms - forced_at_ms < 1000)
        force_keys = 0;
    if (force_keys)
        forced_at_ms = now_ms;
    if (due || force_keys || atomic_load(&keys_stale)) {
        struct fk_code_key fresh[KEYS_MAX];
        size_t n = 0;
        if (fk_codes_store_keys(db, fresh, KEYS_MAX, &n) == FK_OK) {
            pthread_rwlock_wrlock(&keys_lock);
            memcpy(keys, fresh, n * sizeof(fresh[0]));
            n_keys = n;
            keys_loaded = 1;
            pthread_rwlock_unlock(&keys_lock);
            atomic_store(&keys_stale, 0);
        } else {
            fk_log_msg(FK_LOG_WARN, "codes_keys_read_failed", "keeping the keys read before");
        }
        pthread_rwlock_rdlock(&revs_lock);
        struct rev_batch batch = {.last_row = revs_last_row};
        pthread_rwlock_unlock(&revs_lock);
        enum fk_err err = fk_codes_store_revocations(db, batch.last_row, take_revocation, &batch);
        if (err == FK_OK && !batch.failed) {
            pthread_rwlock_wrlock(&revs_lock);
            int ok = 1;
            for (size_t i = 0; i < batch.n && ok; i++)
                ok = rev_put(batch.items[i].type, batch.items[i].object_id,
                             batch.items[i].revoked_at) == 0;
            if (ok)
                revs_last_row = batch.last_row;
            pthread_rwlock_unlock(&revs_lock);
        }
        free(batch.items);
        atomic_store(&refreshed_at_ms, now_ms);
    }
    pthread_rwlock_rdlock(&keys_lock);
    int loaded = keys_loaded;
    pthread_rwlock_unlock(&keys_lock);
    pthread_mutex_unlock(&refresh_lock);
    return loaded ? 0 : -1;
}

/* Copies the public key with `key_id` if this district trusts it now. 1 if
 * found and trusted, 0 if not. */
static int trusted_key(uint32_t key_id, int64_t now, unsigned char pk[32])
{
    int found = 0;
    pthread_rwlock_rdlock(&keys_lock);
    for (size_t i = 0; i < n_keys; i++) {
        if (keys[i].key_id != key_id)
            continue;
        if (keys[i].active || now < keys[i].retired_at + FK_CODE_MAX_VALIDITY) {
            if (pk != NULL)
                memcpy(pk, keys[i].public_key, 32);
            found = 1;
        }
        break;
    }
    pthread_rwlock_unlock(&keys_lock);
    return found;
}

static int cache_get(struct shard *sh, size_t set, const char *code, size_t len,
                     struct fk_code_info *info)
{
    int hit = 0;
    pthread_mutex_lock(&sh->lock);
    for (int w = 0; w < WAYS; w++) {
        struct cached_code *c = &sh->slots[set][w];
        if (c->len == len && memcmp(c->text, code, len) == 0) {
            *info = c->info;
            c->used = ++sh->clock;
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return hit;
}

static void cache_put(struct shard *sh, size_t set, const char *code, size_t len,
                      const struct fk_code_info *info)
{
    pthread_mutex_lock(&sh->lock);
    struct cached_code *victim = &sh->slots[set][0];
    for (int w = 1; w < WAYS; w++)
        if (sh->slots[set][w].used < victim->used)
            victim = &sh->slots[set][w];
    memcpy(victim->text, code, len);
    victim->len = (uint16_t)len;
    victim->info = *info;
    victim->used = ++sh->clock;
    pthread_mutex_unlock(&sh->lock);
}

enum fk_code_status fk_code_verify(struct fk_conn *db, const char *code, struct fk_code_info *out)
{
    struct fk_code_info info;
    memset(out, 0, sizeof(*out));
    atomic_fetch_add_explicit(&n_verifies, 1, memory_order_relaxed);
    size_t len = code ? strnlen(code, FK_CODE_MAX_INPUT + 1) : 0;
    if (len == 0 || len > FK_CODE_MAX_INPUT || len >= FK_CODE_MAX_LEN)
        return FK_CODE_MALFORMED;

    int64_t now_ms = monotonic_ms();
    int64_t last = atomic_load_explicit(&refreshed_at_ms, memory_order_relaxed);
    if (last == 0 || now_ms - last >= FK_CODE_REFRESH_SECONDS * 1000 ||
        atomic_load_explicit(&keys_stale, memory_order_relaxed)) {
        if (refresh(db, 0) != 0)
            return FK_CODE_UNAVAILABLE;
    }

    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)code, len, hash_key);
    struct shard *sh = shards ? &shards[h % SHARDS] : NULL;
    size_t set = (size_t)(h / SHARDS) % SETS;
    int64_t now = fk_now();

    if (sh != NULL && cache_get(sh, set, code, len, &info)) {
        atomic_fetch_add_explicit(&n_hits, 1, memory_order_relaxed);
        if (!trusted_key(info.key_id, now, NULL))
            return FK_CODE_UNKNOWN_KEY;
    } else {
        unsigned char body[FK_CODE_BODY_MAX], sig[FK_CODE_SIG_LEN], pk[32];
        size_t body_len;
        if (fk_code_parse(code, len, &info, body, &body_len, sig) != FK_CODE_VALID)
            return FK_CODE_MALFORMED;
        if (!trusted_key(info.key_id, now, pk)) {
            if (refresh(db, 1) != 0 || !trusted_key(info.key_id, now, pk))
                return FK_CODE_UNKNOWN_KEY;
        }
        atomic_fetch_add_explicit(&n_sigchecks, 1, memory_order_relaxed);
        if (crypto_sign_verify_detached(sig, body, body_len, pk) != 0)
            return FK_CODE_BAD_SIGNATURE;
        if (sh != NULL)
            cache_put(sh, set, code, len, &info);
    }
    *out = info;
    if (is_revoked(&info))
        return FK_CODE_REVOKED;
    if (now >= info.expires_at)
        return FK_CODE_EXPIRED;
    return FK_CODE_VALID;
}
