/* Checkpoints (卡口, DESIGN.md §2 "checkpoints have levels 1–4 (province/city
 * boundary, district boundary, township, community)"): the registry, the duty
 * roster (值班: who is on which checkpoint when) and the incidents recorded at
 * a checkpoint (闯卡, refused checks, assault on staff). A checkpoint's region
 * decides who sees it, its shifts and its incidents (by code prefix).
 *
 * The passage and gate modules call fk_checkpoint_get and
 * fk_checkpoint_staff_on_duty; everything else here is internal. */
#ifndef FK_CHECKPOINTS_CHECKPOINTS_H
#define FK_CHECKPOINTS_CHECKPOINTS_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

struct fk_conn;

#define FK_CHECKPOINT_NAME_MAX 64           /* bytes of UTF-8 */
#define FK_CHECKPOINT_LOCATION_MAX 200      /* bytes of UTF-8 */
#define FK_CHECKPOINT_NOTE_MAX 500          /* bytes of UTF-8: notes, descriptions, outcomes */
#define FK_CHECKPOINT_SHIFT_MAX (24 * 3600) /* longest duty shift, seconds */

/* A checkpoint as other modules see it. */
struct fk_checkpoint {
    int64_t id;
    char name[FK_CHECKPOINT_NAME_MAX + 1];
    int level;     /* 1..4 */
    char type[20]; /* "highway_exit", ... */
    char region[19];
    int open; /* state "open" */
};

/* Loads checkpoint `id` (no jurisdiction check: the caller decides).
 * FK_ERR_NOT_FOUND if there is none; `out` is untouched on failure. */
enum fk_err fk_checkpoint_get(struct fk_conn *db, int64_t id,
                              struct fk_checkpoint *out) FK_MUST_CHECK;

/* Whether user `user_id` has a shift at checkpoint `checkpoint_id` covering
 * the instant `at` (epoch seconds; starts_at <= at < ends_at): *yes 1 or 0. */
enum fk_err fk_checkpoint_staff_on_duty(struct fk_conn *db, int64_t checkpoint_id, int64_t user_id,
                                        int64_t at, int *yes) FK_MUST_CHECK;

/* The enumerations: whether `name` is one, and its Chinese label (the name
 * itself if unknown). */
int fk_checkpoint_type_known(const char *name);
const char *fk_checkpoint_type_label(const char *name);
const char *fk_checkpoint_level_label(int level);
int fk_checkpoint_post_known(const char *name);
const char *fk_checkpoint_post_label(const char *name);
int fk_checkpoint_incident_kind_known(const char *name);
const char *fk_checkpoint_incident_kind_label(const char *name);
/* Community-level types (社区卡口, 小区门岗): what community workers may create. */
int fk_checkpoint_type_is_gate(const char *name);

/* The demo district's checkpoints of all levels (checkpoints_demo_store.c): a
 * province/city boundary highway exit and airport, district boundary road,
 * railway and bus posts, a road post per township and `gates_per_community`
 * (0..3) community gates per community. *created counts them. */
enum fk_err fk_checkpoints_demo(struct fk_conn *db, int64_t gates_per_community,
                                int64_t *created) FK_MUST_CHECK;

/* Registers the checkpoint, shift and incident routes. */
enum fk_err fk_checkpoints_routes(void) FK_MUST_CHECK;

#endif
