/* A memory arena: many small allocations freed together (learned from h2o's
 * per-request pool). The HTTP layer keeps one per request (fk_req_alloc in
 * http/http.h) and frees it when libmicrohttpd reports the request complete.
 *
 * Blocks are malloc'd as needed (none until the first allocation), so an
 * unused arena costs nothing; `cap` bounds the bytes one arena may hold. Not
 * thread-safe: an arena belongs to one request or one caller. */
#ifndef FK_CORE_ARENA_H
#define FK_CORE_ARENA_H

#include <stddef.h>

struct fk_arena_block;

struct fk_arena {
    struct fk_arena_block *head; /* the block allocations come from; older ones follow */
    size_t used;                 /* bytes handed out and lost to alignment, all blocks */
    size_t cap;                  /* the most bytes the arena may hand out */
};

/* An empty arena that hands out at most `cap` bytes (0: no cap). */
void fk_arena_init(struct fk_arena *arena, size_t cap);

/* `size` zeroed bytes aligned for any type, owned by the arena (never free()
 * them: fk_arena_free does). NULL when out of memory or past the cap. */
void *fk_arena_alloc(struct fk_arena *arena, size_t size);

/* A copy of `text` (borrowed) in the arena, or NULL (out of memory, past the
 * cap, or `text` NULL). */
char *fk_arena_strdup(struct fk_arena *arena, const char *text);

/* A NUL-terminated copy of the first `len` bytes of `bytes` (borrowed). */
char *fk_arena_strndup(struct fk_arena *arena, const char *bytes, size_t len);

/* Frees everything the arena handed out; it is empty (and reusable) after. */
void fk_arena_free(struct fk_arena *arena);

#endif
