/* Duty shifts (值班: who is on which checkpoint when). A shift lasts at most
 * 24 hours; no user has two overlapping shifts anywhere (409 naming the
 * conflicting shift). The user on duty must be an enabled staff user whose
 * jurisdiction covers the checkpoint's region (district-level users cover
 * all). Overlap is looked up before the insert (PostgreSQL aborts a
 * transaction on a failed INSERT); two managers assigning the same user at
 * the same instant could both pass, which the roster shows plainly. */
#include "checkpoints/checkpoints_internal.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

/* Roles that work shifts at checkpoints; residents, enterprises and school
 * administrators do not. */
#define ON_DUTY_ROLES                                                                              \
    (FK_ROLE_DISTRICT_ADMIN | FK_ROLE_TOWNSHIP_OFFICER | FK_ROLE_COMMUNITY_WORKER |                \
     FK_ROLE_CHECKPOINT_STAFF | FK_ROLE_SAMPLER | FK_ROLE_TRACER | FK_ROLE_QUARANTINE_STAFF |      \
     FK_ROLE_INSPECTOR)

void fk_cp_shift_create(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    static const char *const fields[] = {"user_id", "starts_at", "ends_at", "post", "note", NULL};
    if (fk_cp_only_fields_or_reply(req, fields) != 0)
        return;
    int present;
    int64_t user_id, starts, ends;
    const char *post, *note;
    if (fk_json_int_or_reply(req, "user_id", 1, 1, INT64_MAX, &present, &user_id) != 0 ||
        fk_cp_time_or_reply(req, "starts_at", &starts) != 0 ||
        fk_cp_time_or_reply(req, "ends_at", &ends) != 0)
        return;
    if (ends <= starts) {
        fk_cp_invalid(req, "ends_at", "结束时间应晚于开始时间");
        return;
    }
    if (ends - starts > FK_CHECKPOINT_SHIFT_MAX) {
        fk_cp_invalid(req, "ends_at", "一个班次不超过 24 小时");
        return;
    }
    if (fk_json_str_or_reply(req, "post", 0, 16, &post) != 0 ||
        fk_cp_text_or_reply(req, "note", 0, FK_CHECKPOINT_NOTE_MAX, &note) != 0)
        return;
    if (post == NULL)
        post = "inspector";
    if (!fk_checkpoint_post_known(post)) {
        fk_cp_invalid(req, "post",
                      "岗位应为 leader（带班负责人）、inspector（查验员）、sampler（采样员）、"
                      "police（民警）、medic（医务人员）、volunteer（志愿者）之一");
        return;
    }
    if (!cp.open) {
        fk_reply_error(req, 409, "checkpoint_closed", "卡口已撤除，不能排班", "id");
        return;
    }
    /* The user: enabled, a staff role, covering the checkpoint. */
    struct fk_stmt *st;
    int row;
    enum fk_err err =
        fk_db_query(db, &st, &row, "SELECT role, region_prefix, disabled FROM users WHERE id = ?",
                    "i", user_id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int fits = row && !fk_stmt_int64(st, 2) &&
               (fk_role_from_name(fk_stmt_text(st, 0)) & ON_DUTY_ROLES) != 0 &&
               strncmp(cp.region, fk_stmt_text(st, 1), strlen(fk_stmt_text(st, 1))) == 0;
    fk_stmt_free(st);
    if (!fits) {
        fk_cp_invalid(req, "user_id",
                      "该用户不存在、已停用、不是工作人员，或其管辖范围不包含该卡口");
        return;
    }
    /* The overlap check and the insert in one transaction under the user's
     * lock: two parallel requests for one person cannot both find no
     * overlap and both insert. */
    int64_t id = 0, now = fk_now(), conflict = 0;
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_lock(db, FK_LOCK_SHIFT_USER, user_id);
    if (err == FK_OK) {
        err = fk_db_query(db, &st, &row,
                          "SELECT id FROM checkpoint_shifts WHERE user_id = ? AND starts_at < ? "
                          "AND ends_at > ? ORDER BY starts_at LIMIT 1",
                          "iii", user_id, ends, starts);
        conflict = err == FK_OK && row ? fk_stmt_int64(st, 0) : 0;
        if (err == FK_OK)
            fk_stmt_free(st);
    }
    if (conflict) {
        fk_db_rollback(db);
        fk_reply_json(req, 409,
                      json_pack("{s:{s:s,s:s,s:s,s:I}}", "error", "code", "shift_overlap",
                                "message", "该人员在此时间段已有值班安排", "field", "starts_at",
                                "conflicting_shift_id", (json_int_t)conflict));
        return;
    }
    if (err == FK_OK)
        err = fk_db_run(db, &id,
                        "INSERT INTO checkpoint_shifts(checkpoint_id, user_id, starts_at, ends_at, "
                        "post, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                        "RETURNING id",
                        "iiiittii", cp.id, user_id, starts, ends, post, note, req->actor.user_id,
                        now);
    fk_cp_audit(
        req, &err, "shift_create", "checkpoint_shift", id,
        json_pack("{s:I,s:I}", "checkpoint_id", (json_int_t)cp.id, "user_id", (json_int_t)user_id));
    if (err == FK_OK)
        err = fk_db_commit(db);
    json_t *body = NULL;
    if (err == FK_OK)
        err = fk_cp_load(req, db, FK_CP_SHIFT, id, &body);
    else
        fk_db_rollback(db);
    if (err != FK_OK)
        fk_reply_fail(req, err, NULL);
    else
        fk_reply_json(req, 201, body);
}

static void reply_list(struct fk_req *req, struct fk_cp_filter *f)
{
    int64_t page, per_page, total;
    if (fk_page_or_reply(req, &page, &per_page) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    json_t *items = NULL;
    enum fk_err err = fk_cp_list(req, db, FK_CP_SHIFT, f, page, per_page, &items, &total);
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, fk_list_json(items, total, page, per_page));
}

void fk_cp_shift_list(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    struct fk_cp_filter f;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0 ||
        fk_cp_filter_or_reply(req, FK_CP_SHIFT, &f) != 0)
        return;
    f.checkpoint_id = cp.id;
    reply_list(req, &f);
}

void fk_cp_roster(struct fk_req *req)
{
    struct fk_cp_filter f;
    if (fk_cp_filter_or_reply(req, FK_CP_SHIFT, &f) != 0)
        return;
    reply_list(req, &f);
}

void fk_cp_shift_delete(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    int64_t shift_id;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0 ||
        fk_cp_id_or_reply(req, "shift_id", "shift_not_found", "排班不存在", &shift_id) != 0)
        return;
    struct fk_stmt *st;
    int row;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT user_id FROM checkpoint_shifts WHERE id = ? AND checkpoint_id = ?",
        "ii", shift_id, cp.id);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    int64_t user_id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    if (!row) {
        fk_reply_error(req, 404, "shift_not_found", "排班不存在", "shift_id");
        return;
    }
    err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "DELETE FROM checkpoint_shifts WHERE id = ?", "i", shift_id);
    fk_cp_audit(
        req, &err, "shift_delete", "checkpoint_shift", shift_id,
        json_pack("{s:I,s:I}", "checkpoint_id", (json_int_t)cp.id, "user_id", (json_int_t)user_id));
    if (err == FK_OK)
        err = fk_db_commit(db);
    if (err != FK_OK) {
        fk_db_rollback(db);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_empty(req, 204);
}

static void roster_row(json_t *r, int64_t seq, void *ctx)
{
    char n[24], starts[17], ends[17];
    snprintf(n, sizeof(n), "%lld", (long long)seq);
    fk_cp_ledger_time(fk_cp_text_of(r, "starts_at"), starts);
    fk_cp_ledger_time(fk_cp_text_of(r, "ends_at"), ends);
    json_t *cp = json_object_get(r, "checkpoint"), *user = json_object_get(r, "user");
    const char *cells[] = {n,
                           fk_cp_text_of(cp, "name"),
                           fk_cp_text_of(cp, "region"),
                           fk_cp_text_of(user, "display_name"),
                           fk_cp_text_of(user, "username"),
                           fk_cp_text_of(r, "post_label"),
                           starts,
                           ends,
                           fk_cp_text_of(r, "note")};
    fk_ledger_row(ctx, cells, (int)(sizeof(cells) / sizeof(cells[0])));
}

void fk_cp_roster_export(struct fk_req *req)
{
    int xlsx;
    struct fk_cp_filter f;
    if (fk_ledger_format_or_reply(req, &xlsx) != 0 ||
        fk_cp_filter_or_reply(req, FK_CP_SHIFT, &f) != 0)
        return;
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    static const char *const headers[] = {"序号", "卡口",     "区划代码", "值班人员", "账号",
                                          "岗位", "开始时间", "结束时间", "备注"};
    static const double widths[] = {8, 24, 16, 12, 14, 12, 18, 18, 30};
    struct fk_ledger lg;
    if (fk_ledger_open(&lg, xlsx, "值班表", headers, widths, 9) != 0) {
        fk_reply_fail(req, FK_ERR_IO, NULL);
        return;
    }
    int64_t count = 0;
    enum fk_err err = fk_cp_each(req, db, FK_CP_SHIFT, &f, roster_row, &lg, &count);
    fk_cp_audit(req, &err, "shift_export", "checkpoint_shift", 0,
                json_pack("{s:s,s:s,s:I}", "region", f.scope, "format", xlsx ? "xlsx" : "csv",
                          "rows", (json_int_t)count));
    fk_ledger_finish(req, &lg, err, "shifts");
}

/* The users who may be put on duty at checkpoint {id}: enabled staff whose
 * jurisdiction covers it, nearest first (at most 200). */
void fk_cp_shift_staff(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    struct fk_stmt *st = NULL;
    int has = 0;
    enum fk_err err = fk_db_query(
        db, &st, &has,
        "SELECT u.id, u.username, u.display_name, u.role, u.region FROM users u WHERE "
        "u.disabled = 0 AND u.role IN ('district_admin', 'township_officer', 'community_worker', "
        "'checkpoint_staff', 'sampler', 'tracer', 'quarantine_staff', 'inspector') AND substr(?, "
        "1, length(u.region_prefix)) = u.region_prefix ORDER BY length(u.region_prefix) DESC, "
        "u.display_name, u.id LIMIT 200",
        "t", cp.region);
    json_t *items = json_array();
    while (err == FK_OK && has && items != NULL) {
        json_array_append_new(
            items, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)fk_stmt_int64(st, 0),
                             "username", fk_stmt_text(st, 1), "display_name", fk_stmt_text(st, 2),
                             "role", fk_stmt_text(st, 3), "region", fk_stmt_text(st, 4)));
        err = fk_stmt_step(st);
        has = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    if (st != NULL)
        fk_stmt_free(st);
    if (err != FK_OK || items == NULL) {
        json_decref(items);
        fk_reply_fail(req, err != FK_OK ? err : FK_ERR_NOMEM, NULL);
        return;
    }
    fk_reply_json(req, 200, json_pack("{s:o}", "items", items));
}
