/* Home quarantine writes and the lookups before them: the person a new
 * quarantine is for, the staff user a team member names, create (with its
 * team, the event the cards follow and the health fact), update and end,
 * letters, the member picker. Each write is one transaction with its audit
 * entry; no HTTP here (quarantine_api.c parses and replies). */
#include "core/events.h"
#include "crypto/crypto.h"
#include "healthcode/healthcode.h"
#include "quarantine/homeq_internal.h"
#include "store/where_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fk_err fk_homeq_active_of(struct fk_conn *db, int64_t person_id, int64_t *id)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    *id = 0;
    enum fk_err err = fk_db_query(
        db, &st, &row, "SELECT id FROM home_quarantines WHERE active_person = ?", "i", person_id);
    if (err != FK_OK)
        return err;
    *id = row ? fk_stmt_int64(st, 0) : 0;
    fk_stmt_free(st);
    return FK_OK;
}

/* Replaces the member of m->role in the team of quarantine `id`. */
static enum fk_err team_write(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                              const struct fk_homeq_member *m, int64_t now)
{
    char *sealed = NULL;
    enum fk_err err = FK_OK;
    if (m->phone[0] != '\0')
        err = fk_pii_seal(key, "phone", m->phone, &sealed);
    if (err == FK_OK)
        err = fk_db_run(db, NULL,
                        "DELETE FROM home_quarantine_team WHERE quarantine_id = ? AND "
                        "role = ?",
                        "it", id, fk_homeq_role_name(m->role));
    if (err == FK_OK)
        err =
            fk_db_run(db, NULL,
                      "INSERT INTO home_quarantine_team(quarantine_id, role, user_id, name, "
                      "phone_sealed, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                      "itztti", id, fk_homeq_role_name(m->role), m->user_id, m->name, sealed, now);
    free(sealed);
    return err;
}

static enum fk_err team_write_all(struct fk_conn *db, const struct fk_pii_key *key, int64_t id,
                                  const struct fk_homeq_member *team, size_t n, int64_t now)
{
    enum fk_err err = FK_OK;
    for (size_t i = 0; err == FK_OK && i < n; i++)
        err = team_write(db, key, id, &team[i], now);
    return err;
}

enum fk_err fk_homeq_create(struct fk_conn *db, const struct fk_pii_key *key,
                            const struct fk_homeq_new *in, const struct fk_homeq_member *team,
                            size_t n_team, const struct fk_caller *who, json_t *detail, int64_t *id)
{
    *id = 0;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, id,
                        "INSERT INTO home_quarantines(person_id, active_person, region, address, "
                        "reason, starts_at, planned_end, state, note, created_by, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING "
                        "id",
                        "iitttiitiii", in->person_id, in->person_id, in->region, in->address,
                        in->reason, in->starts_at, in->planned_end, in->note, who->user_id, in->now,
                        in->now);
    if (err == FK_OK)
        err = team_write_all(db, key, *id, team, n_team, in->now);
    /* Entering quarantine turns the person's card yellow (cards subscribe). */
    if (err == FK_OK) {
        struct fk_event started = {.kind = FK_EVENT_HOMEQ_STARTED,
                                   .at = in->now,
                                   .person_id = in->person_id,
                                   .subject_id = *id,
                                   .actor_id = who->user_id,
                                   .region = in->region};
        err = fk_event_publish(db, &started);
    }
    /* ... and the health code red while it lasts (the rules decide). */
    if (err == FK_OK) {
        struct fk_health_fact fact = {.person_id = in->person_id,
                                      .kind = FK_FACT_HOME_QUARANTINE,
                                      .started_at = in->starts_at,
                                      .source = "homeq",
                                      .source_id = *id,
                                      .detail = "居家隔离"};
        err = fk_health_fact_record(db, &fact);
    }
    if (err == FK_OK)
        err = fk_health_refresh(db, in->person_id);
    err = fk_caller_audit(db, err, who, "home_quarantine_create", "home_quarantine", *id,
                          in->person_id, detail);
    return fk_caller_finish(db, err);
}

enum fk_err fk_homeq_current(struct fk_conn *db, const char *scope, int64_t id,
                             struct fk_homeq_current *out)
{
    struct fk_where w;
    fk_where_record(&w, "id = ?", id, "region", scope);
    struct fk_stmt *st;
    int row;
    memset(out, 0, sizeof(*out));
    enum fk_err err = fk_db_query_where(
        db, &st, &row,
        "SELECT region, person_id, starts_at, planned_end, state, commitment_issued_at, "
        "commitment_signed_at, notification_issued_at, notification_signed_at FROM "
        "home_quarantines",
        &w, NULL);
    if (err != FK_OK)
        return err;
    if (!row)
        err = FK_ERR_NOT_FOUND;
    if (err == FK_OK) {
        snprintf(out->region, sizeof(out->region), "%s", fk_stmt_text(st, 0));
        out->person_id = fk_stmt_int64(st, 1);
        out->starts_at = fk_stmt_int64(st, 2);
        out->planned_end = fk_stmt_int64(st, 3);
        out->ended = strcmp(fk_stmt_text(st, 4), "ended") == 0;
        for (int i = 0; i < 4; i++)
            out->letters[i / 2][i % 2] = fk_stmt_is_null(st, 5 + i) ? 0 : fk_stmt_int64(st, 5 + i);
    }
    fk_stmt_free(st);
    return err;
}

enum fk_err fk_homeq_update(struct fk_conn *db, const struct fk_pii_key *key,
                            const struct fk_homeq_change *ch, const struct fk_homeq_member *team,
                            size_t n_team, const struct fk_caller *who, json_t *detail)
{
    int64_t id = ch->id;
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK && ch->has_end)
        err = fk_db_run(db, NULL, "UPDATE home_quarantines SET planned_end = ? WHERE id = ?", "ii",
                        ch->planned_end, id);
    if (err == FK_OK && ch->has_note)
        err = fk_db_run(db, NULL, "UPDATE home_quarantines SET note = ? WHERE id = ?", "ti",
                        ch->note, id);
    if (err == FK_OK && ch->address != NULL)
        err = fk_db_run(db, NULL, "UPDATE home_quarantines SET address = ? WHERE id = ?", "ti",
                        ch->address, id);
    if (err == FK_OK)
        err = team_write_all(db, key, id, team, n_team, ch->now);
    if (err == FK_OK && ch->outcome != NULL)
        err = fk_db_run(db, NULL,
                        "UPDATE home_quarantines SET state = 'ended', active_person = NULL, "
                        "outcome = ?, ended_at = ?, ended_by = ? WHERE id = ? AND state = "
                        "'active'",
                        "tiii", ch->outcome, ch->ended_at, who->user_id, id);
    if (err == FK_OK && ch->outcome != NULL)
        err = fk_health_fact_close(db, "homeq", id, FK_FACT_HOME_QUARANTINE, ch->ended_at);
    /* Released: the card the quarantine turned yellow gets its colour back
     * (cards subscribe). */
    if (err == FK_OK && ch->outcome != NULL) {
        struct fk_homeq_ended how = {.outcome = ch->outcome};
        struct fk_event ended = {.kind = FK_EVENT_HOMEQ_ENDED,
                                 .at = ch->now,
                                 .person_id = ch->person_id,
                                 .subject_id = id,
                                 .actor_id = who->user_id,
                                 .region = ch->region,
                                 .detail = &how};
        err = fk_event_publish(db, &ended);
    }
    if (err == FK_OK && ch->outcome != NULL)
        err = fk_health_refresh(db, ch->person_id);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, "UPDATE home_quarantines SET updated_at = ? WHERE id = ?", "ii",
                        ch->now, id);
    err = fk_caller_audit(db, err, who,
                          ch->outcome ? "home_quarantine_end" : "home_quarantine_update",
                          "home_quarantine", id, ch->person_id, detail);
    return fk_caller_finish(db, err);
}

enum fk_err fk_homeq_letter_record(struct fk_conn *db, int64_t id, int64_t person_id, int letter,
                                   int step, int64_t at, int64_t now, const struct fk_caller *who,
                                   json_t *detail)
{
    /* The column comes from this fixed table, never from the request. */
    static const char *const columns[2][2] = {{"commitment_issued_at", "commitment_signed_at"},
                                              {"notification_issued_at", "notification_signed_at"}};
    char sql[160];
    snprintf(sql, sizeof(sql),
             "UPDATE home_quarantines SET %s = ?, updated_at = ? WHERE id = ? AND %s IS NULL",
             columns[letter][step], columns[letter][step]);
    enum fk_err err = fk_db_begin(db);
    if (err == FK_OK)
        err = fk_db_run(db, NULL, sql, "iii", at, now, id);
    err = fk_caller_audit(db, err, who, "home_quarantine_letter", "home_quarantine", id, person_id,
                          detail);
    return fk_caller_finish(db, err);
}

enum fk_err fk_homeq_member_candidates(struct fk_conn *db, const char *prefix, const char *like,
                                       json_t **out)
{
    struct fk_stmt *st = NULL;
    int has = 0;
    *out = NULL;
    enum fk_err err = fk_db_query(
        db, &st, &has,
        "SELECT u.id, u.username, u.display_name, u.role, u.region, COALESCE(g.name, '') FROM "
        "user_directory u LEFT JOIN regions g ON g.code = u.region WHERE u.disabled = 0 AND u.role "
        "IN "
        "('district_admin', 'township_officer', 'community_worker', 'quarantine_staff') AND "
        "substr(?, 1, length(u.region_prefix)) = u.region_prefix AND (u.display_name LIKE ? "
        "ESCAPE '!' OR u.username LIKE ? ESCAPE '!') ORDER BY length(u.region_prefix) DESC, "
        "u.display_name, u.id LIMIT 200",
        "ttt", prefix, like, like);
    json_t *items = json_array();
    while (err == FK_OK && has && items != NULL) {
        json_array_append_new(
            items, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)fk_stmt_int64(st, 0),
                             "username", fk_stmt_text(st, 1), "display_name", fk_stmt_text(st, 2),
                             "role", fk_stmt_text(st, 3), "region", fk_stmt_text(st, 4),
                             "region_name", fk_stmt_text(st, 5)));
        err = fk_stmt_step(st);
        has = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    if (st != NULL)
        fk_stmt_free(st);
    if (err == FK_OK && items == NULL)
        err = FK_ERR_NOMEM;
    if (err != FK_OK)
        json_decref(items);
    else
        *out = items;
    return err;
}
