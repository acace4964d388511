/* Audit entries of a request: who, from where (audit.h). No SQL here
 * (audit_store.c writes and reads audit_log). */
#include "audit/audit.h"

struct fk_audit_entry fk_audit_entry_of(struct fk_req *req, const char *action,
                                        const char *target_type, int64_t person_id, json_t *detail)
{
    return (struct fk_audit_entry){
        .actor_id = req->actor.user_id,
        .actor = req->actor.username,
        .action = action,
        .target_type = target_type,
        .person_id = person_id,
        .region = req->actor.region,
        .ip = req->ip,
        .detail = detail,
    };
}

enum fk_err fk_audit_req(struct fk_req *req, const char *action, const char *target_type,
                         const char *target_id, int64_t person_id, json_t *detail)
{
    struct fk_conn *db;
    enum fk_err err = fk_store_conn(req->app->store, &db);
    if (err != FK_OK)
        return err;
    struct fk_audit_entry e = fk_audit_entry_of(req, action, target_type, person_id, detail);
    e.target_id = target_id;
    return fk_audit_write(db, &e);
}
