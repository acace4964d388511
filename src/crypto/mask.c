/* Masking of personal numbers for responses and logs. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

/* Copies `text` into `out` (truncated to out_size - 1 bytes, always terminated),
 * keeping the first `head` and last `tail` characters and starring the rest;
 * values shorter than `min_len` are starred entirely. */
static void mask(const char *text, size_t head, size_t tail, size_t min_len, char *out,
                 size_t out_size)
{
    if (out == NULL || out_size == 0)
        return;
    size_t full = text ? strlen(text) : 0;
    size_t len = full < out_size - 1 ? full : out_size - 1;
    for (size_t i = 0; i < len; i++) {
        int keep = full >= min_len && (i < head || i >= full - tail);
        out[i] = keep ? text[i] : '*';
    }
    out[len] = '\0';
}

void fk_mask_id(const char *id_number, char *out, size_t out_size)
{
    mask(id_number, 4, 4, 9, out, out_size);
}

void fk_mask_phone(const char *phone, char *out, size_t out_size)
{
    mask(phone, 3, 4, 8, out, out_size);
}

/* Length of the UTF-8 character starting with byte `c` (1 for stray bytes). */
static size_t char_len(unsigned char c)
{
    if (c >= 0xf0)
        return 4;
    if (c >= 0xe0)
        return 3;
    if (c >= 0xc0)
        return 2;
    return 1;
}

void fk_mask_name(const char *name, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    if (name == NULL || name[0] == '\0')
        return;
    size_t first = char_len((unsigned char)name[0]);
    size_t n = strlen(name);
    if (first > n)
        first = n;
    if (first + 1 > size)
        return;
    memcpy(out, name, first);
    size_t o = first;
    for (size_t i = first; i < n; i += char_len((unsigned char)name[i])) {
        if (o + 2 > size)
            break;
        out[o++] = '*';
    }
    out[o] = '\0';
}

int fk_pii_open_masked(const struct fk_pii_key *key, const char *context, const char *sealed,
                       int full, char *out, size_t out_size)
{
    out[0] = '\0';
    if (sealed == NULL || sealed[0] == '\0')
        return 1;
    char *plain = NULL;
    if (fk_pii_open(key, context, sealed, &plain) != FK_OK)
        return -1;
    if (full)
        snprintf(out, out_size, "%s", plain);
    else if (strcmp(context, "phone") == 0)
        fk_mask_phone(plain, out, out_size);
    else
        fk_mask_id(plain, out, out_size);
    sodium_memzero(plain, strlen(plain));
    free(plain);
    return 0;
}
