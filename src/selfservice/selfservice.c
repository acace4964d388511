/* Placeholder until resident sign-in lands: no account acts for anyone. */
#include "selfservice/selfservice.h"

enum fk_err fk_selfservice_may_act_for(struct fk_conn *db, int64_t user_id, int64_t person_id,
                                       int *ok)
{
    (void)db;
    *ok = 0;
    return user_id < 1 || person_id < 1 ? FK_ERR_INVALID : FK_OK;
}

enum fk_err fk_selfservice_routes(void)
{
    return FK_OK;
}
