/* Connections per client address (see peers.h). */
#include "http/peers.h"

#include <stdlib.h>
#include <string.h>

struct peer_slot {
    unsigned char key[FK_PEER_KEY_LEN];
    uint32_t count; /* 0: the slot is free */
};

struct fk_peers {
    size_t size; /* a power of two */
    struct peer_slot slots[];
};

enum fk_err fk_peers_new(size_t most, struct fk_peers **out)
{
    *out = NULL;
    size_t size = 64;
    while (size < 2 * most && size < ((size_t)1 << 40))
        size *= 2;
    struct fk_peers *peers = calloc(1, sizeof(*peers) + size * sizeof(struct peer_slot));
    if (peers == NULL)
        return FK_ERR_NOMEM;
    peers->size = size;
    *out = peers;
    return FK_OK;
}

void fk_peers_free(struct fk_peers *peers)
{
    free(peers);
}

static size_t home_of(const struct fk_peers *peers, const unsigned char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < FK_PEER_KEY_LEN; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    return (size_t)h & (peers->size - 1);
}

/* The slot of `key`, or the free slot where it would go; NULL if full. */
static struct peer_slot *find(const struct fk_peers *peers, const unsigned char *key)
{
    size_t mask = peers->size - 1;
    size_t i = home_of(peers, key);
    for (size_t n = 0; n < peers->size; n++, i = (i + 1) & mask) {
        const struct peer_slot *slot = &peers->slots[i];
        if (slot->count == 0 || memcmp(slot->key, key, FK_PEER_KEY_LEN) == 0)
            return (struct peer_slot *)slot;
    }
    return NULL;
}

/* Frees a slot whose count fell to 0. Later entries of the same probe run
 * move back into the hole unless their home lies cyclically in (hole, i],
 * so that every lookup still finds them without tombstones. */
static void remove_slot(struct fk_peers *peers, struct peer_slot *slot)
{
    size_t mask = peers->size - 1;
    size_t hole = (size_t)(slot - peers->slots);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & mask;
        struct peer_slot *next = &peers->slots[i];
        if (next->count == 0)
            break;
        size_t home = home_of(peers, next->key);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            peers->slots[hole] = *next;
            hole = i;
        }
    }
    peers->slots[hole].count = 0;
}

int fk_peers_take(struct fk_peers *peers, const unsigned char key[FK_PEER_KEY_LEN], uint32_t limit)
{
    struct peer_slot *slot = find(peers, key);
    if (slot == NULL)
        return 2;
    if (slot->count >= limit)
        return 0;
    if (slot->count == 0)
        memcpy(slot->key, key, FK_PEER_KEY_LEN);
    slot->count++;
    return 1;
}

void fk_peers_give(struct fk_peers *peers, const unsigned char key[FK_PEER_KEY_LEN])
{
    struct peer_slot *slot = find(peers, key);
    if (slot != NULL && slot->count > 0 && --slot->count == 0)
        remove_slot(peers, slot);
}

uint32_t fk_peers_count(const struct fk_peers *peers, const unsigned char key[FK_PEER_KEY_LEN])
{
    const struct peer_slot *slot = find(peers, key);
    return slot != NULL ? slot->count : 0;
}
