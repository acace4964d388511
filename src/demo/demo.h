/* The synthetic demo district (DESIGN.md §6): a region tree shaped like Lishi
 * district (离石区), households and residents with valid but invented ID and
 * phone numbers, and one login per role. Same seed, same data: the region tree
 * is fixed, and every person comes from a PRNG seeded only by the seed (sealed
 * columns differ between builds because each seal draws a random nonce; the
 * values they open to do not). */
#ifndef FK_DEMO_DEMO_H
#define FK_DEMO_DEMO_H

#include <stdint.h>
#include "core/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define FK_DEMO_PEOPLE_MAX 5000000
#define FK_DEMO_DISTRICT_CODE "141102000000"
#define FK_DEMO_PASSWORD "Demo@2022"

enum fk_demo_progress {
    FK_DEMO_PROGRESS_NONE = 0,
    FK_DEMO_PROGRESS_BAR = 1,   /* a redrawn bar on stderr (a terminal) */
    FK_DEMO_PROGRESS_LINES = 2, /* a few plain lines on stderr (a log) */
};

struct fk_demo_options {
    int64_t people;       /* persons to create, 1..FK_DEMO_PEOPLE_MAX */
    uint64_t seed;        /* the PRNG seed; same seed → same people */
    const char *password; /* password of every demo login (copied into hashes) */
    enum fk_demo_progress progress;
    int allow_weak_password; /* skip fk_password_check (the shared Demo@2022 fails it) */
};

struct fk_demo_stats {
    int64_t regions; /* every level: district, townships, communities, compounds, buildings */
    int64_t townships;
    int64_t communities;
    int64_t compounds;
    int64_t buildings;
    int64_t households;
    int64_t persons;
    int64_t users;
    double seconds; /* wall-clock time of the whole build */
};

/* One demo login: the username is the role name. Static strings. */
struct fk_demo_login {
    const char *username;
    const char *role_zh;      /* the role in Chinese, e.g. "区指挥部管理员" */
    const char *display_name; /* e.g. "区指挥部管理员 张伟" */
    const char *region;       /* stored region code */
    const char *region_name;  /* e.g. "离石区" or "滨河街道龙凤社区" */
};

/* The demo logins, in role order; `*count` receives their number. The array
 * is static and never freed. */
const struct fk_demo_login *fk_demo_logins(size_t *count);

/* Builds the demo district into `store` (already migrated), sealing ID and
 * phone numbers with `key`. Uses the calling thread's connection and commits
 * every ~20,000 persons. `stats` (may be NULL) receives the counts.
 * FK_ERR_CONFLICT if the district (FK_DEMO_DISTRICT_CODE) already exists —
 * nothing is changed then. FK_ERR_INVALID for options out of range. On any
 * other failure the rows written so far are deleted again (best effort) so a
 * retry starts clean. Password hashing follows fk_password_set_fast(). */
enum fk_err fk_demo_build(struct fk_store *store, const struct fk_pii_key *key,
                          const struct fk_demo_options *opt,
                          struct fk_demo_stats *stats) FK_MUST_CHECK;

#endif
