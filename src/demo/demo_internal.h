/* Shared between the files of src/demo/ only: the PRNG, the fixed tables and
 * the person generator. Nothing here touches the store. */
#ifndef FK_DEMO_INTERNAL_H
#define FK_DEMO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

/* --- PRNG: xoshiro256** seeded through splitmix64 (never rand()) --- */
struct fk_demo_rng {
    uint64_t s[4];
};
void fk_demo_rng_seed(struct fk_demo_rng *rng, uint64_t seed);
uint64_t fk_demo_rng_next(struct fk_demo_rng *rng);
/* Uniform in [0, n); n > 0. */
uint32_t fk_demo_rng_below(struct fk_demo_rng *rng, uint32_t n);
/* Uniform in [lo, hi] (inclusive); lo <= hi. */
int fk_demo_rng_range(struct fk_demo_rng *rng, int lo, int hi);
/* 1 with probability percent/100. */
int fk_demo_rng_percent(struct fk_demo_rng *rng, int percent);

/* --- fixed tables (demo_data.c) --- */
#define FK_DEMO_TOWNSHIPS 11
#define FK_DEMO_MAX_COMMUNITIES 10

struct fk_demo_township {
    const char *name;
    /* Communities (社区) first, then villages (村). Communities are numbered
     * 001.., villages 201.. as in the statistical codes (居委会 / 村委会). */
    int n_communities;
    int n_villages;
    const char *names[FK_DEMO_MAX_COMMUNITIES];
};
extern const struct fk_demo_township fk_demo_townships[FK_DEMO_TOWNSHIPS];

/* Urban compound names are stem + suffix; villages are split into groups. */
extern const char *const fk_demo_compound_stems[];
extern const size_t fk_demo_compound_stem_count;
extern const char *const fk_demo_compound_suffixes[];
extern const size_t fk_demo_compound_suffix_count;
extern const char *const fk_demo_village_groups[]; /* 一组 .. 六组 */

/* --- the person generator (demo_people.c) --- */

/* The scenario year: ages are counted to it, births fall in 1935..2021. */
#define FK_DEMO_YEAR 2022
#define FK_DEMO_HOUSEHOLD_MAX 6

struct fk_demo_person {
    char id_number[19]; /* valid GB 11643 number, unique within one build */
    char name[32];      /* surname + one or two given characters, UTF-8 */
    int sex;            /* 1 male, 2 female — agrees with the ID's 17th digit */
    char birth_date[11];
    char phone[12]; /* "" when the person has no mobile (young children) */
};

struct fk_demo_people;

/* A generator for up to `people` persons seeded by `seed`. Owns the
 * uniqueness sets for ID and phone numbers; free with fk_demo_people_free(). */
enum fk_err fk_demo_people_new(uint64_t seed, int64_t people,
                               struct fk_demo_people **out) FK_MUST_CHECK;
void fk_demo_people_free(struct fk_demo_people *gen);
/* Draws one household of at most `max_size` (1..6) persons into `out`, the
 * head first; returns the number of persons (≥ 1). */
int fk_demo_household(struct fk_demo_people *gen, int max_size,
                      struct fk_demo_person out[FK_DEMO_HOUSEHOLD_MAX]);

#endif
