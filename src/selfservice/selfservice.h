/* Resident self-service (issue 5 item 2): residents sign in with their phone
 * number and a one-time code, link themselves to their registry record, and
 * act for the family members they registered (同行人员). Other modules ask
 * here whether a resident account may act for a person. */
#ifndef FK_SELFSERVICE_SELFSERVICE_H
#define FK_SELFSERVICE_SELFSERVICE_H

#include <stdint.h>
#include "core/err.h"
#include "store/store.h"

/* Whether the resident account `user_id` may act for `person_id` (the
 * person it is linked to, or a family member it registered): `*ok` 1 or 0. */
enum fk_err fk_selfservice_may_act_for(struct fk_conn *db, int64_t user_id, int64_t person_id,
                                       int *ok) FK_MUST_CHECK;

/* Registers the resident sign-in and self-service routes. */
enum fk_err fk_selfservice_routes(void) FK_MUST_CHECK;

#endif
