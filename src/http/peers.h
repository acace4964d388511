/* Connections per client address: a fixed-size hash table of counts
 * (open addressing, linear probing, backward-shift deletion). Not locked:
 * the caller holds its own lock. Internal to src/http. */
#ifndef FK_HTTP_PEERS_H
#define FK_HTTP_PEERS_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define FK_PEER_KEY_LEN 16 /* an IPv6 address; IPv4 as ::ffff:a.b.c.d */

struct fk_peers;

/* A table for at least `most` addresses at once (room for twice as many).
 * Free with fk_peers_free. */
enum fk_err fk_peers_new(size_t most, struct fk_peers **out) FK_MUST_CHECK;
void fk_peers_free(struct fk_peers *peers);

/* Counts one more connection of `key` unless it has `limit` already:
 * 1 if taken, 0 if refused. A full table (more addresses than promised)
 * admits without counting and returns 2, so that fk_peers_give is not
 * called for it. */
int fk_peers_take(struct fk_peers *peers, const unsigned char key[FK_PEER_KEY_LEN], uint32_t limit);
/* Gives back one connection of `key` (taken with fk_peers_take == 1). */
void fk_peers_give(struct fk_peers *peers, const unsigned char key[FK_PEER_KEY_LEN]);
/* The connections `key` holds now. */
uint32_t fk_peers_count(const struct fk_peers *peers, const unsigned char key[FK_PEER_KEY_LEN]);

#endif
