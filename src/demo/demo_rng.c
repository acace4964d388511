/* xoshiro256** (Blackman and Vigna), seeded through splitmix64. Chosen over
 * rand() because its output is the same on every platform and libc, which is
 * what "same seed, same data" needs. */
#include "demo/demo_internal.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void fk_demo_rng_seed(struct fk_demo_rng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&state);
}

uint64_t fk_demo_rng_next(struct fk_demo_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t fk_demo_rng_below(struct fk_demo_rng *rng, uint32_t n)
{
    /* Multiply-shift (Lemire) on the top 32 bits; the bias is below 2^-32 for
     * the small ranges used here, which no demo screen can show. */
    uint64_t r = fk_demo_rng_next(rng) >> 32;
    return (uint32_t)((r * n) >> 32);
}

int fk_demo_rng_range(struct fk_demo_rng *rng, int lo, int hi)
{
    return lo + (int)fk_demo_rng_below(rng, (uint32_t)(hi - lo + 1));
}

int fk_demo_rng_percent(struct fk_demo_rng *rng, int percent)
{
    return (int)fk_demo_rng_below(rng, 100) < percent;
}
