/* The resident accounts' tables (resident_otps, resident_accounts,
 * resident_family) and the reads of the registry the self-service pages
 * need: one-time codes, sign-in, the account as GET /me shows it, linking
 * and family members. Each change with its audit entry runs in a
 * transaction of its own here; the handlers (selfservice_api.c) only parse,
 * authorise, call and reply. */
#include "selfservice/selfservice_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "accounts/accounts.h"
#include "audit/audit.h"
#include "core/clock.h"
#include "id/id.h"
#include "residents/residents.h"
#include "http/caller.h"

/* `base` (borrowed) as `action` about `person_id`. */
static enum fk_err audit_as(struct fk_conn *db, const struct fk_audit_entry *base,
                            const char *action, const char *target_type, int64_t person_id,
                            json_t *detail)
{
    struct fk_audit_entry e = *base;
    e.action = action;
    e.target_type = target_type;
    e.target_id = NULL;
    e.person_id = person_id;
    e.detail = detail;
    return fk_audit_write(db, &e);
}

/* --- one-time codes --- */

enum fk_err fk_otp_issue(struct fk_conn *db, const struct fk_pii_key *key, const char *blind,
                         int64_t now, struct fk_otp_issue *out)
{
    memset(out, 0, sizeof(*out));
    char hash[FK_BLIND_LEN];
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_lock_text(db, FK_LOCK_OTP_PHONE, blind);
    if (err == FK_OK) {
        struct fk_stmt *st = NULL;
        int row = 0;
        err = fk_db_query(db, &st, &row, "SELECT sent_at FROM resident_otps WHERE phone_blind = ?",
                          "t", blind);
        out->wait = fk_otp_resend_wait(err == FK_OK && row ? fk_stmt_int64(st, 0) : 0, now);
        fk_stmt_free(st);
    }
    int64_t hits = 0;
    if (err == FK_OK && out->wait == 0)
        err = fk_selfservice_rate_hit(db, key, "phone", blind, 86400, now, &hits, &out->retry);
    out->sending = err == FK_OK && out->wait == 0 && hits <= FK_OTP_PHONE_DAY;
    if (out->sending) {
        fk_otp_new_code(out->code);
        fk_otp_hash(key, blind, now, out->code, hash);
        err = fk_db_run(db, NULL,
                        "INSERT INTO resident_otps(phone_blind, code_hash, sent_at, expires_at, "
                        "attempts) VALUES (?, ?, ?, ?, 0) ON CONFLICT (phone_blind) DO UPDATE SET "
                        "code_hash = excluded.code_hash, sent_at = excluded.sent_at, "
                        "expires_at = excluded.expires_at, attempts = 0",
                        "ttii", blind, hash, now, now + FK_OTP_TTL);
    }
    /* A refused request still counts against the day (it is committed). */
    err = fk_caller_finish(db, err);
    if (err != FK_OK && out->sending)
        sodium_memzero(out->code, sizeof(out->code));
    return err;
}

enum fk_err fk_otp_forget(struct fk_conn *db, const char *blind, int64_t sent_at)
{
    return fk_db_run(db, NULL, "DELETE FROM resident_otps WHERE phone_blind = ? AND sent_at = ?",
                     "ti", blind, sent_at);
}

enum fk_err fk_otp_state_get(struct fk_conn *db, const char *blind, struct fk_otp_state *state,
                             int *found)
{
    struct fk_stmt *st = NULL;
    memset(state, 0, sizeof(*state));
    enum fk_err err = fk_db_query(db, &st, found,
                                  "SELECT code_hash, sent_at, expires_at, attempts FROM "
                                  "resident_otps WHERE phone_blind = ?",
                                  "t", blind);
    if (err == FK_OK && *found) {
        snprintf(state->code_hash, sizeof(state->code_hash), "%s", fk_stmt_text(st, 0));
        state->sent_at = fk_stmt_int64(st, 1);
        state->expires_at = fk_stmt_int64(st, 2);
        state->attempts = fk_stmt_int64(st, 3);
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_otp_claim_try(struct fk_conn *db, const char *blind, int64_t sent_at, int64_t *tried)
{
    *tried = 0;
    return fk_db_run(db, tried,
                     "UPDATE resident_otps SET attempts = attempts + 1 WHERE phone_blind = ? AND "
                     "sent_at = ? AND attempts < ? RETURNING attempts",
                     "tii", blind, sent_at, (int64_t)FK_OTP_MAX_ATTEMPTS);
}

/* --- sign-in --- */

/* The district root: where an account that is not linked yet belongs. */
static enum fk_err district_root(struct fk_conn *db, char code[19], char prefix[19])
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row,
                    "SELECT code, prefix FROM regions WHERE level = 1 ORDER BY code LIMIT 1", "");
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        snprintf(code, 19, "%s", fk_stmt_text(st, 0));
        snprintf(prefix, 19, "%s", fk_stmt_text(st, 1));
    }
    fk_stmt_free(st);
    return err;
}

/* Finds or creates the account of `blind` (inside the caller's transaction). */
static enum fk_err account_for_phone(struct fk_conn *db, const struct fk_pii_key *key,
                                     const char *phone, const char *blind, int64_t now,
                                     struct fk_actor *actor, int *disabled, int *created)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *created = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT u.id, u.username, u.display_name, u.region, "
                                  "u.region_prefix, u.disabled FROM resident_accounts a JOIN "
                                  "users u ON u.id = a.user_id WHERE a.phone_blind = ?",
                                  "t", blind);
    if (err == FK_OK && row) {
        actor->user_id = fk_stmt_int64(st, 0);
        snprintf(actor->username, sizeof(actor->username), "%s", fk_stmt_text(st, 1));
        snprintf(actor->display_name, sizeof(actor->display_name), "%s", fk_stmt_text(st, 2));
        snprintf(actor->region, sizeof(actor->region), "%s", fk_stmt_text(st, 3));
        snprintf(actor->prefix, sizeof(actor->prefix), "%s", fk_stmt_text(st, 4));
        *disabled = (int)fk_stmt_int64(st, 5);
    }
    fk_stmt_free(st);
    if (err != FK_OK || row)
        return err;
    /* A new account: a user with no usable password ("!" is no argon2id
     * hash), named after the phone's blind index, in the district root. */
    char *sealed = NULL;
    if ((err = district_root(db, actor->region, actor->prefix)) != FK_OK ||
        (err = fk_pii_seal(key, "phone", phone, &sealed)) != FK_OK)
        return err;
    snprintf(actor->username, sizeof(actor->username), "r.%s", blind);
    fk_mask_phone(phone, actor->display_name, sizeof(actor->display_name));
    err = fk_user_create_resident(db, actor->username, actor->display_name, actor->region,
                                  actor->prefix, now, &actor->user_id);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "INSERT INTO resident_accounts(phone_blind, phone_sealed, user_id, "
                        "created_at) VALUES (?, ?, ?, ?)",
                        "ttii", blind, sealed, actor->user_id, now);
    free(sealed);
    *disabled = 0;
    *created = err == FK_OK;
    return err;
}

enum fk_err fk_resident_sign_in(struct fk_conn *db, const struct fk_pii_key *key,
                                const struct fk_sign_in *in, struct fk_actor *actor,
                                char token[FK_TOKEN_LEN], char csrf[FK_TOKEN_LEN], int *created)
{
    int disabled = 0;
    int64_t consumed = 0;
    *created = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, &consumed,
                    "DELETE FROM resident_otps WHERE phone_blind = ? AND code_hash = ? "
                    "RETURNING sent_at",
                    "tt", in->blind, in->hash);
    if (err == FK_OK && consumed == 0)
        err = FK_ERR_AUTH;
    if (err == FK_OK)
        err = account_for_phone(db, key, in->phone, in->blind, in->now, actor, &disabled, created);
    if (err == FK_OK && disabled)
        err = FK_ERR_FORBIDDEN;
    if (err == FK_OK)
        err = fk_session_create(db, actor->user_id, in->now, in->session_ttl, token, csrf,
                                &actor->session_id);
    if (err == FK_OK) {
        json_t *detail = json_pack("{s:b}", "new_account", *created);
        struct fk_audit_entry e = {.actor_id = actor->user_id,
                                   .actor = actor->username,
                                   .action = "resident_login",
                                   .target_type = "user",
                                   .region = actor->region,
                                   .ip = in->ip,
                                   .detail = detail};
        err = fk_audit_write(db, &e);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

/* --- the account as GET /me shows it --- */

enum fk_err fk_selfservice_person_brief(struct fk_conn *db, const struct fk_pii_key *key,
                                        int64_t id, json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row,
                    "SELECT p.id, p.name, p.id_sealed, p.region, COALESCE(r.name, ''), "
                    "COALESCE(p.household_id, 0) FROM person_directory p LEFT JOIN regions r ON "
                    "r.code = p.region "
                    "WHERE p.id = ?",
                    "i", id);
    if (err == FK_OK && !row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        char masked[32];
        fk_pii_open_masked(key, "id_number", fk_stmt_text(st, 2), 0, masked, sizeof(masked));
        int64_t household = fk_stmt_int64(st, 5);
        *out = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)fk_stmt_int64(st, 0),
                         "name", fk_stmt_text(st, 1), "id_number", masked, "region",
                         fk_stmt_text(st, 3), "region_name", fk_stmt_text(st, 4), "household_id",
                         household ? json_integer(household) : json_null());
        if (*out == NULL)
            err = FK_ERR_NOMEM;
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_selfservice_me(struct fk_conn *db, const struct fk_pii_key *key, int64_t user_id,
                              json_t **out)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT phone_sealed, COALESCE(person_id, 0), "
                                  "COALESCE(linked_at, 0), created_at FROM resident_accounts "
                                  "WHERE user_id = ?",
                                  "i", user_id);
    if (err == FK_OK && !row)
        err = FK_ERR_FORBIDDEN;
    if (err != FK_OK) {
        fk_stmt_free(st);
        return err;
    }
    char phone[16];
    fk_pii_open_masked(key, "phone", fk_stmt_text(st, 0), 0, phone, sizeof(phone));
    int64_t person_id = fk_stmt_int64(st, 1), linked_at = fk_stmt_int64(st, 2);
    json_t *account = json_pack("{s:I,s:s,s:b,s:o,s:o}", "id", (json_int_t)user_id, "phone", phone,
                                "linked", person_id != 0, "linked_at", fk_time_or_null(linked_at),
                                "created_at", fk_time_or_null(fk_stmt_int64(st, 3)));
    fk_stmt_free(st);
    json_t *person = NULL, *family = json_array();
    if (person_id != 0)
        err = fk_selfservice_person_brief(db, key, person_id, &person);
    if (err == FK_OK)
        err = fk_db_query(db, &st, &row,
                          "SELECT person_id, relation FROM resident_family WHERE user_id = ? "
                          "ORDER BY created_at, person_id",
                          "i", user_id);
    else
        st = NULL;
    while (err == FK_OK && row) {
        json_t *member = NULL;
        const char *relation = fk_stmt_text(st, 1);
        enum fk_err e = fk_selfservice_person_brief(db, key, fk_stmt_int64(st, 0), &member);
        if (e != FK_OK) {
            err = e;
            break;
        }
        json_object_set_new(member, "relation", json_string(relation));
        const char *label = fk_relation_label(relation);
        json_object_set_new(member, "relation_label", json_string(label ? label : relation));
        json_array_append_new(family, member);
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    if (err != FK_OK) {
        json_decref(account);
        json_decref(person);
        json_decref(family);
        return err;
    }
    *out = json_pack("{s:o,s:o,s:o,s:i}", "account", account, "person",
                     person ? person : json_null(), "family", family, "family_max", FK_FAMILY_MAX);
    return *out ? FK_OK : FK_ERR_NOMEM;
}

/* --- linking and family --- */

enum fk_err fk_registry_match(struct fk_conn *db, const struct fk_pii_key *key,
                              const char *id_number, const char *name,
                              struct fk_registry_match *out)
{
    memset(out, 0, sizeof(*out));
    int64_t found = 0;
    enum fk_err err = fk_person_find_by_id_number(db, key, id_number, &found);
    if (err != FK_OK || found == 0)
        return err;
    struct fk_stmt *st = NULL;
    int row = 0;
    err = fk_db_query(
        db, &st, &row,
        "SELECT p.id, p.name, p.region, COALESCE(p.household_id, 0) FROM person_directory p "
        "WHERE p.id = (SELECT COALESCE(merged_into, id) FROM person_directory WHERE id = ?) "
        "AND p.merged_into IS NULL",
        "i", found);
    if (err == FK_OK && row) {
        out->person_id = fk_stmt_int64(st, 0);
        out->name_matches = strcmp(fk_stmt_text(st, 1), name) == 0;
        snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 2));
        out->household = fk_stmt_int64(st, 3);
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_selfservice_link(struct fk_conn *db, int64_t user_id, int64_t person,
                                int already_linked, const char *region, const char *prefix,
                                int64_t now, const struct fk_audit_entry *audit)
{
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    if (!already_linked)
        err = fk_db_run(
            db, NULL, "UPDATE resident_accounts SET person_id = ?, linked_at = ? WHERE user_id = ?",
            "iii", person, now, user_id);
    /* The account belongs where its person lives from now on. */
    if (err == FK_OK)
        err = fk_user_set_region(db, user_id, region, prefix, now);
    if (err == FK_OK)
        err = audit_as(db, audit, "resident_link", "person", person, NULL);
    return fk_caller_finish(db, err);
}

enum fk_err fk_family_full(struct fk_conn *db, int64_t user_id, int *full)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT COUNT(*) FROM resident_family WHERE user_id = ?", "i", user_id);
    *full = err == FK_OK && row && fk_stmt_int64(st, 0) >= FK_FAMILY_MAX;
    if (err == FK_OK)
        fk_stmt_free(st);
    return err;
}

enum fk_err fk_selfservice_home(struct fk_conn *db, int64_t person_id, char region[19],
                                int64_t *household)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err =
        fk_db_query(db, &st, &row,
                    "SELECT region, COALESCE(household_id, 0) FROM person_directory WHERE id = ?",
                    "i", person_id);
    if (err == FK_OK && row) {
        snprintf(region, 19, "%s", fk_stmt_text(st, 0));
        *household = fk_stmt_int64(st, 1);
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_family_add(struct fk_conn *db, const struct fk_pii_key *key,
                          const struct fk_family_add *in, const struct fk_audit_entry *audit,
                          int64_t *person, int *full)
{
    int64_t existing = 0;
    *full = 0;
    /* The count and the insert under the account's lock: parallel additions
     * cannot all see room for one more. */
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_lock(db, FK_LOCK_FAMILY_USER, in->user_id);
    if (err == FK_OK)
        err = fk_family_full(db, in->user_id, full);
    if (err == FK_OK && *full) {
        fk_db_rollback(db);
        return FK_OK;
    }
    if (err == FK_OK && in->valid != NULL) {
        err = fk_person_insert(db, key, in->valid, in->now, person, &existing);
        if (err == FK_OK)
            err = audit_as(db, audit, "person_create", "person", *person, NULL);
    }
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "INSERT INTO resident_family(user_id, person_id, relation, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        "iiti", in->user_id, *person, in->relation, in->now);
    if (err == FK_OK) {
        json_t *detail =
            json_pack("{s:s,s:b}", "relation", in->relation, "registered", in->valid != NULL);
        err = audit_as(db, audit, "resident_family_add", "person", *person, detail);
        json_decref(detail);
    }
    return fk_caller_finish(db, err);
}

enum fk_err fk_family_remove(struct fk_conn *db, int64_t user_id, int64_t person,
                             const struct fk_audit_entry *audit)
{
    int64_t gone = 0;
    enum fk_err err = fk_db_begin(db);
    if (err != FK_OK)
        return err;
    err = fk_db_run(db, &gone,
                    "DELETE FROM resident_family WHERE user_id = ? AND person_id = ? "
                    "RETURNING person_id",
                    "ii", user_id, person);
    if (err == FK_OK && gone == 0)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK)
        err = audit_as(db, audit, "resident_family_remove", "person", person, NULL);
    return fk_caller_finish(db, err);
}
