#include "core/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 4096

struct fk_arena_block {
    struct fk_arena_block *next;
    size_t size; /* bytes of data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void fk_arena_init(struct fk_arena *arena, size_t cap)
{
    arena->head = NULL;
    arena->used = 0;
    arena->cap = cap;
}

void *fk_arena_alloc(struct fk_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - align)
        return NULL;
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (arena->cap != 0 && (rounded > arena->cap || arena->used > arena->cap - rounded))
        return NULL;
    struct fk_arena_block *block = arena->head;
    if (block == NULL || block->size - block->used < rounded) {
        /* A large allocation gets a block of its own behind the current one,
         * so that the space left in the current block is not wasted. */
        size_t data_size = rounded > BLOCK_SIZE / 4 ? rounded : BLOCK_SIZE;
        struct fk_arena_block *fresh = malloc(sizeof(*fresh) + data_size);
        if (fresh == NULL)
            return NULL;
        fresh->size = data_size;
        fresh->used = 0;
        if (data_size != BLOCK_SIZE && block != NULL) {
            fresh->next = block->next;
            block->next = fresh;
        } else {
            fresh->next = block;
            arena->head = fresh;
        }
        block = fresh;
    }
    void *out = block->data + block->used;
    block->used += rounded;
    arena->used += rounded;
    memset(out, 0, size);
    return out;
}

char *fk_arena_strndup(struct fk_arena *arena, const char *bytes, size_t len)
{
    if (bytes == NULL || len == SIZE_MAX)
        return NULL;
    char *out = fk_arena_alloc(arena, len + 1);
    if (out != NULL)
        memcpy(out, bytes, len); /* the terminator is already 0 */
    return out;
}

char *fk_arena_strdup(struct fk_arena *arena, const char *text)
{
    return text == NULL ? NULL : fk_arena_strndup(arena, text, strlen(text));
}

void fk_arena_free(struct fk_arena *arena)
{
    struct fk_arena_block *block = arena->head;
    while (block != NULL) {
        struct fk_arena_block *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
    arena->used = 0;
}
