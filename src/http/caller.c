/* The caller of a request for store code (caller.h). */
#include "http/caller.h"
#include "audit/audit.h"
#include "http/http.h"
#include "store/store.h"

#include <stdio.h>

void fk_caller_of(struct fk_req *req, struct fk_caller *out)
{
    out->user_id = req->actor.user_id;
    out->username = req->actor.username;
    out->role = req->actor.role;
    out->region = req->actor.region;
    out->prefix = req->actor.prefix;
    out->ip = req->ip;
    out->key = &req->app->pii_key;
}

enum fk_err fk_caller_audit(struct fk_conn *db, enum fk_err err, const struct fk_caller *who,
                            const char *action, const char *target_type, int64_t target_id,
                            int64_t person_id, json_t *detail)
{
    if (err == FK_OK) {
        char id_text[24];
        snprintf(id_text, sizeof(id_text), "%lld", (long long)target_id);
        struct fk_audit_entry e = {
            .actor_id = who->user_id,
            .actor = who->username,
            .action = action,
            .target_type = target_type,
            .target_id = target_id ? id_text : NULL,
            .person_id = person_id,
            .region = who->region,
            .ip = who->ip,
            .detail = detail,
        };
        err = fk_audit_write(db, &e);
    }
    json_decref(detail);
    return err;
}

void fk_req_audit(struct fk_req *req, enum fk_err *err, const char *action, const char *target_type,
                  int64_t target_id, int64_t person_id, json_t *detail)
{
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)target_id);
    if (*err == FK_OK)
        *err =
            fk_audit_req(req, action, target_type, target_id ? id_text : NULL, person_id, detail);
    json_decref(detail);
}

enum fk_err fk_caller_finish(struct fk_conn *db, enum fk_err err)
{
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK)
        fk_db_rollback(db);
    return err;
}
