/* Writes of users that the resident self-service accounts need
 * (accounts.h, "lookups added for the codes modules"). */
#include "accounts/accounts.h"
#include "store/store.h"

enum fk_err fk_user_create_resident(struct fk_conn *db, const char *username,
                                    const char *display_name, const char *region,
                                    const char *prefix, int64_t now, int64_t *id)
{
    return fk_db_run(db, id,
                     "INSERT INTO users(username, display_name, password_hash, role, region, "
                     "region_prefix, created_at, updated_at) VALUES (?, ?, '!', 'resident', ?, ?, "
                     "?, ?) RETURNING id",
                     "ttttii", username, display_name, region, prefix, now, now);
}

enum fk_err fk_user_set_region(struct fk_conn *db, int64_t id, const char *region,
                               const char *prefix, int64_t now)
{
    return fk_db_run(db, NULL,
                     "UPDATE users SET region = ?, region_prefix = ?, updated_at = ? WHERE id = ?",
                     "ttii", region, prefix, now, id);
}
