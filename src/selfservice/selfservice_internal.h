/* Resident self-service, shared between its own files: the one-time code
 * rules (pure, unit-tested), the SMS sender, the daily health report rules
 * and the handlers each file exports to the route table. */
#ifndef FK_SELFSERVICE_INTERNAL_H
#define FK_SELFSERVICE_INTERNAL_H

#include <stdint.h>
#include "core/config.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "selfservice/selfservice.h"
#include "store/store.h"

/* --- one-time codes (登录验证码) --- */

#define FK_OTP_DIGITS 6
#define FK_OTP_TTL 300            /* a code is valid 5 minutes */
#define FK_OTP_MAX_ATTEMPTS 5     /* wrong guesses before the code is dead */
#define FK_OTP_RESEND 60          /* one code per phone per minute */
#define FK_OTP_PHONE_DAY 10       /* codes per phone per day */
#define FK_OTP_IP_HOUR 20         /* codes per client address per hour */
#define FK_LINK_ATTEMPTS_DAY 10   /* link attempts per account per day */
#define FK_FAMILY_ATTEMPTS_DAY 30 /* family additions tried per account per day */
#define FK_FAMILY_MAX 10          /* family members per account */

/* Writes a fresh code of FK_OTP_DIGITS decimal digits (libsodium
 * randombytes_uniform, so every code is equally likely) and its NUL. */
void fk_otp_new_code(char out[FK_OTP_DIGITS + 1]);

/* The keyed hash stored instead of a code: keyed BLAKE2b (blind index,
 * context "otp") over the phone's blind index, the send time and the code,
 * so a hash is good for one phone and one send only. */
void fk_otp_hash(const struct fk_pii_key *key, const char *phone_blind, int64_t sent_at,
                 const char *code, char out[FK_BLIND_LEN]);

/* A stored code as read back. */
struct fk_otp_state {
    char code_hash[FK_BLIND_LEN];
    int64_t sent_at;
    int64_t expires_at;
    int64_t attempts; /* wrong guesses so far */
};

enum fk_otp_verdict {
    FK_OTP_OK = 0,
    FK_OTP_INVALID = 1,  /* wrong code (counts as an attempt) */
    FK_OTP_EXPIRED = 2,  /* past expires_at */
    FK_OTP_TOO_MANY = 3, /* FK_OTP_MAX_ATTEMPTS wrong guesses already */
};

/* Judges a guess whose hash is `given_hash` against `state` at `now`:
 * too many attempts first (a dead code stays dead), then expiry, then the
 * hash (compared in constant time). Pure. */
enum fk_otp_verdict fk_otp_judge(const struct fk_otp_state *state, const char *given_hash,
                                 int64_t now);

/* Seconds until another code may be sent to a phone whose last one went out
 * at `sent_at` (0 = now). Pure. */
int64_t fk_otp_resend_wait(int64_t sent_at, int64_t now);

/* Start of the fixed window of `window` seconds containing `now`, with
 * `*retry` the seconds left in it. Days are Asia/Shanghai days. Pure. */
int64_t fk_selfservice_window(int64_t now, int64_t window, int64_t *retry);

/* Sends `text` to `phone` through the configured sender: --sms-command
 * (PATH PHONE TEXT, no shell, FK_SMS_TIMEOUT seconds, exit status 0),
 * --sms-webhook (POST {"phone","text"}, 2xx within FK_SMS_TIMEOUT) or, with
 * neither, the server log with the phone masked (demo mode). FK_ERR_IO when
 * the sender failed or ran out of time (logged). */
#define FK_SMS_TIMEOUT 5
enum fk_err fk_sms_send(const struct fk_config *cfg, const char *phone,
                        const char *text) FK_MUST_CHECK;
/* Once at start-up, before threads start (libcurl's global state). */
enum fk_err fk_sms_init(void) FK_MUST_CHECK;

/* --- daily health report (每日健康申报) --- */

#define FK_REPORT_NOTE_MAX 200
#define FK_SYMPTOMS_MAX 16
/* The fixed symptom list: identifier → Chinese label; NULL when unknown. */
const char *fk_symptom_label(const char *symptom);
/* Identifier at index i (0..), NULL past the end. */
const char *fk_symptom_at(size_t i);
/* Whether `date` ("YYYY-MM-DD") is today or yesterday in Asia/Shanghai at
 * `now`. Pure. */
int fk_report_date_ok(const char *date, int64_t now);
/* A temperature in °C (35.0–42.0) as tenths, rounded; -1 when out of range. */
int64_t fk_report_temperature_tenths(double celsius);

/* --- shared by the handler files --- */

/* Counts a hit of (kind, plain) in the fixed window; `*hits` the count so far. */
enum fk_err fk_selfservice_rate_hit(struct fk_conn *db, const struct fk_pii_key *key,
                                    const char *kind, const char *plain, int64_t window,
                                    int64_t now, int64_t *hits, int64_t *retry) FK_MUST_CHECK;
/* Replies 429 too_many_requests with Retry-After `retry` seconds. */
void fk_selfservice_reply_429(struct fk_req *req, const char *message, int64_t retry,
                              const char *field);
/* The resident account of the caller: its linked person (0 when not linked). */
enum fk_err fk_selfservice_linked(struct fk_conn *db, int64_t user_id,
                                  int64_t *person_id) FK_MUST_CHECK;
/* The caller's resident account: its linked person into *linked (0 when not
 * linked). 0 when fine; -1 after replying 403 when the caller has no resident
 * account, or 409 not_linked when `need_link` and it is not linked. */
int fk_selfservice_linked_or_reply(struct fk_req *req, struct fk_conn *db, int need_link,
                                   int64_t *linked);
/* The request's connection into *db (borrowed from the request) and the
 * person the caller acts for: ?person_id= (or the body's "person_id" when
 * `from_body`); absent means the linked person. 0 when fine; -1 after
 * replying 409 not_linked, 422 or 403 forbidden (or a failure). */
int fk_selfservice_person_or_reply(struct fk_req *req, int from_body, struct fk_conn **db,
                                   int64_t *person_id);

/* --- the store (selfservice_store.c): each change with its audit entry in
 * a transaction of its own. An `audit` entry is borrowed: the actor, IP and
 * region of the request; the functions set the action and target. --- */
struct fk_audit_entry;
struct fk_person_valid;

/* What POST /resident/otp decided: `wait` > 0 a code was sent less than a
 * minute ago; `sending` 0 the daily count is used up (retry: when it
 * resets); else `code` holds the new code (wiped on failure). */
struct fk_otp_issue {
    int64_t wait, retry;
    int sending;
    char code[FK_OTP_DIGITS + 1];
};
/* The resend wait, the daily count and the new code under the phone's lock. */
enum fk_err fk_otp_issue(struct fk_conn *db, const struct fk_pii_key *key, const char *blind,
                         int64_t now, struct fk_otp_issue *out) FK_MUST_CHECK;
/* Forgets the code sent at `sent_at` (its SMS failed). */
enum fk_err fk_otp_forget(struct fk_conn *db, const char *blind, int64_t sent_at) FK_MUST_CHECK;
/* The phone's current code (*found 0: none). */
enum fk_err fk_otp_state_get(struct fk_conn *db, const char *blind, struct fk_otp_state *state,
                             int *found) FK_MUST_CHECK;
/* Claims one try of the code sent at `sent_at`: *tried the tries so far, 0
 * when they were used up. */
enum fk_err fk_otp_claim_try(struct fk_conn *db, const char *blind, int64_t sent_at,
                             int64_t *tried) FK_MUST_CHECK;

/* A right code (all borrowed). */
struct fk_sign_in {
    const char *phone, *blind, *hash, *ip;
    int64_t now, session_ttl;
};
/* Uses up the code, finds or creates the account (into *actor, whose role
 * the caller set) and opens a session, audited resident_login. FK_ERR_AUTH:
 * the code was used meanwhile; FK_ERR_FORBIDDEN: the account is disabled;
 * FK_ERR_NOT_FOUND: no district is configured. */
enum fk_err fk_resident_sign_in(struct fk_conn *db, const struct fk_pii_key *key,
                                const struct fk_sign_in *in, struct fk_actor *actor,
                                char token[FK_TOKEN_LEN], char csrf[FK_TOKEN_LEN],
                                int *created) FK_MUST_CHECK;

/* {"id","name","id_number" (masked),"region","region_name","household_id"}
 * of a person: *out a new reference. */
enum fk_err fk_selfservice_person_brief(struct fk_conn *db, const struct fk_pii_key *key,
                                        int64_t id, json_t **out) FK_MUST_CHECK;
/* The account `user_id`, its linked person and family as GET /me answers
 * (*out a new reference); FK_ERR_FORBIDDEN when it is no resident account. */
enum fk_err fk_selfservice_me(struct fk_conn *db, const struct fk_pii_key *key, int64_t user_id,
                              json_t **out) FK_MUST_CHECK;

/* The live registry person with an ID number (following a merge). */
struct fk_registry_match {
    int64_t person_id; /* 0 when none */
    int name_matches;  /* the name given is exactly theirs */
    char region[19];
    int64_t household;
};
enum fk_err fk_registry_match(struct fk_conn *db, const struct fk_pii_key *key,
                              const char *id_number, const char *name,
                              struct fk_registry_match *out) FK_MUST_CHECK;
/* Links account `user_id` to `person` (unless `already_linked`) and moves
 * it to the person's region, audited resident_link. */
enum fk_err fk_selfservice_link(struct fk_conn *db, int64_t user_id, int64_t person,
                                int already_linked, const char *region, const char *prefix,
                                int64_t now, const struct fk_audit_entry *audit) FK_MUST_CHECK;
/* *full = 1 when account `user_id` has FK_FAMILY_MAX family members. */
enum fk_err fk_family_full(struct fk_conn *db, int64_t user_id, int *full) FK_MUST_CHECK;
/* The region and household of `person_id` (left as they are when none). */
enum fk_err fk_selfservice_home(struct fk_conn *db, int64_t person_id, char region[19],
                                int64_t *household) FK_MUST_CHECK;
/* A family member to add: `valid` (borrowed) registers a new person first. */
struct fk_family_add {
    int64_t user_id;
    const char *relation;
    const struct fk_person_valid *valid; /* NULL: *person is in the registry */
    int64_t now;
};
/* Under the account's lock: *full = 1 (and nothing done) when the family is
 * full; else registers (person_create) and adds (resident_family_add) the
 * member, *person its id. FK_ERR_CONFLICT: added meanwhile. */
enum fk_err fk_family_add(struct fk_conn *db, const struct fk_pii_key *key,
                          const struct fk_family_add *in, const struct fk_audit_entry *audit,
                          int64_t *person, int *full) FK_MUST_CHECK;
/* Removes `person` from the family of `user_id` (FK_ERR_NOT_FOUND: not in
 * it), audited resident_family_remove. */
enum fk_err fk_family_remove(struct fk_conn *db, int64_t user_id, int64_t person,
                             const struct fk_audit_entry *audit) FK_MUST_CHECK;

/* The Chinese label of a family relation ("spouse", ...); NULL when unknown. */
const char *fk_relation_label(const char *relation);

void fk_selfservice_post_report(struct fk_req *req);
void fk_selfservice_list_my_reports(struct fk_req *req);
void fk_selfservice_list_reports(struct fk_req *req);
void fk_selfservice_export_reports(struct fk_req *req);

#endif
