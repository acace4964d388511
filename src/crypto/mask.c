/* Masking of personal numbers for responses and logs. */
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
