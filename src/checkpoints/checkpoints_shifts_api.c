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
        fk_reply_invalid(req, "ends_at", "结束时间应晚于开始时间");
        return;
    }
    if (ends - starts > FK_CHECKPOINT_SHIFT_MAX) {
        fk_reply_invalid(req, "ends_at", "一个班次不超过 24 小时");
        return;
    }
    if (fk_json_str_or_reply(req, "post", 0, 16, &post) != 0 ||
        fk_cp_text_or_reply(req, "note", 0, FK_CHECKPOINT_NOTE_MAX, &note) != 0)
        return;
    if (post == NULL)
        post = "inspector";
    if (!fk_checkpoint_post_known(post)) {
        fk_reply_invalid(req, "post",
                         "岗位应为 leader（带班负责人）、inspector（查验员）、sampler（采样员）、"
                         "police（民警）、medic（医务人员）、volunteer（志愿者）之一");
        return;
    }
    if (!cp.open) {
        fk_reply_err(req, FK_E_CHECKPOINT_CLOSED, "id");
        return;
    }
    /* The user: enabled, a staff role, covering the checkpoint. */
    int fits = 0;
    enum fk_err err = fk_cp_user_fits(db, user_id, cp.region, &fits);
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    if (!fits) {
        fk_reply_invalid(req, "user_id",
                         "该用户不存在、已停用、不是工作人员，或其管辖范围不包含该卡口");
        return;
    }
    struct fk_caller who;
    fk_caller_of(req, &who);
    struct fk_cp_shift_input in = {cp.id, user_id, starts, ends, post, note};
    int64_t id = 0, conflict = 0;
    err = fk_cp_shift_insert(db, &who, &in, fk_now(), &id, &conflict);
    if (err == FK_OK && conflict) {
        fk_reply_err_ex(req, FK_E_SHIFT_OVERLAP, "starts_at", NULL,
                        json_pack("{s:I}", "conflicting_shift_id", (json_int_t)conflict), NULL);
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_cp_reply_record(req, db, FK_CP_SHIFT, id, 201, FK_E_NOT_FOUND);
}

void fk_cp_shift_list(struct fk_req *req)
{
    fk_cp_reply_list(req, FK_CP_SHIFT, 1);
}

void fk_cp_roster(struct fk_req *req)
{
    fk_cp_reply_list(req, FK_CP_SHIFT, 0);
}

void fk_cp_shift_delete(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    int64_t shift_id;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0 ||
        fk_path_id_or_reply(req, "shift_id", FK_E_SHIFT_NOT_FOUND, "shift_id", &shift_id) != 0)
        return;
    struct fk_caller who;
    fk_caller_of(req, &who);
    enum fk_err err = fk_cp_shift_remove(db, &who, cp.id, shift_id);
    if (err == FK_ERR_NOT_FOUND) {
        fk_reply_err(req, FK_E_SHIFT_NOT_FOUND, "shift_id");
        return;
    }
    if (err != FK_OK) {
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
    static const char *const headers[] = {"序号", "卡口",     "区划代码", "值班人员", "账号",
                                          "岗位", "开始时间", "结束时间", "备注"};
    static const double widths[] = {8, 24, 16, 12, 14, 12, 18, 18, 30};
    static const struct fk_cp_ledger ledger = {
        "值班表", headers, widths, 9, roster_row, "shift_export", "checkpoint_shift", "shifts"};
    fk_cp_export(req, FK_CP_SHIFT, &ledger);
}

/* The users who may be put on duty at checkpoint {id}: enabled staff whose
 * jurisdiction covers it, nearest first (at most 200). */
void fk_cp_shift_staff(struct fk_req *req)
{
    struct fk_conn *db = fk_req_db(req);
    struct fk_checkpoint cp;
    if (db == NULL || fk_cp_checkpoint_or_reply(req, db, &cp) != 0)
        return;
    json_t *items = NULL;
    enum fk_err err = fk_cp_staff(db, cp.region, &items);
    if (err != FK_OK) {
        json_decref(items);
        fk_reply_fail(req, err, NULL);
        return;
    }
    fk_reply_json(req, 200, json_pack("{s:o}", "items", items));
}
