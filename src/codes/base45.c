/* base45 (RFC 9285): two bytes become three characters of the QR alphanumeric
 * set, a last odd byte two. No Debian package provides it, so it is written
 * here and tested exhaustively (tests/unit/codes/codes_test.c). */
#include "codes/codes_internal.h"

static const char alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* Value of a character, or -1. */
static int value_of(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    switch (c) {
    case ' ': return 36;
    case '$': return 37;
    case '%': return 38;
    case '*': return 39;
    case '+': return 40;
    case '-': return 41;
    case '.': return 42;
    case '/': return 43;
    case ':': return 44;
    default: return -1;
    }
}

enum fk_err fk_base45_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
    if (out_size < FK_BASE45_LEN(len) + 1)
        return FK_ERR_TOO_LARGE;
    size_t o = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        unsigned n = (unsigned)in[i] * 256u + in[i + 1];
        out[o++] = alphabet[n % 45];
        out[o++] = alphabet[n / 45 % 45];
        out[o++] = alphabet[n / 2025];
    }
    if (len % 2) {
        unsigned n = in[len - 1];
        out[o++] = alphabet[n % 45];
        out[o++] = alphabet[n / 45];
    }
    out[o] = '\0';
    return FK_OK;
}

enum fk_err fk_base45_decode(const char *in, size_t len, unsigned char *out, size_t out_size,
                             size_t *out_len)
{
    if (len % 3 == 1)
        return FK_ERR_INVALID;
    size_t need = len / 3 * 2 + (len % 3 ? 1 : 0);
    if (need > out_size)
        return FK_ERR_TOO_LARGE;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        int c = value_of((unsigned char)in[i]);
        int d = value_of((unsigned char)in[i + 1]);
        if (c < 0 || d < 0)
            return FK_ERR_INVALID;
        if (i + 2 < len) {
            int e = value_of((unsigned char)in[i + 2]);
            if (e < 0)
                return FK_ERR_INVALID;
            unsigned n = (unsigned)c + (unsigned)d * 45u + (unsigned)e * 2025u;
            if (n > 0xffff)
                return FK_ERR_INVALID;
            out[o++] = (unsigned char)(n >> 8);
            out[o++] = (unsigned char)(n & 0xff);
        } else {
            unsigned n = (unsigned)c + (unsigned)d * 45u;
            if (n > 0xff)
                return FK_ERR_INVALID;
            out[o++] = (unsigned char)n;
        }
    }
    *out_len = o;
    return FK_OK;
}
