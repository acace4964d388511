/* The store side of the engine: loading facts, persons and risk areas, and
 * writing codes that changed (health_codes), with a log line per change of
 * colour (health_code_changes) and an audit entry. One person
 * (fk_health_refresh) or many in sorted scans (fk_health_refresh_many: the
 * full recompute and risk-area propagation). */
#include "healthcode/healthcode_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/log.h"

#define DAY 86400
#define BATCH 5000

static enum fk_err bind_v(struct fk_stmt *st, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    enum fk_err err = FK_OK;
    for (int i = 0; types[i] != '\0' && err == FK_OK; i++) {
        if (types[i] == 't') {
            err = fk_stmt_bind_text(st, i + 1, va_arg(ap, const char *));
        } else if (types[i] == 'i') {
            err = fk_stmt_bind_int64(st, i + 1, va_arg(ap, int64_t));
        } else { /* 'z': 0 binds NULL */
            int64_t v = va_arg(ap, int64_t);
            err = v == 0 ? fk_stmt_bind_null(st, i + 1) : fk_stmt_bind_int64(st, i + 1, v);
        }
    }
    va_end(ap);
    return err;
}

/* Steps a write statement to its end and resets it for the next use. */
static enum fk_err run_reset(struct fk_stmt *st)
{
    enum fk_err err;
    while ((err = fk_stmt_step(st)) == FK_OK)
        ;
    fk_stmt_reset(st);
    return err == FK_ERR_DONE ? FK_OK : err;
}

struct area_rows {
    struct fk_harea *areas;
    size_t n, cap;
};

/* One area in force into the growing array (a row of an unknown level is
 * read and dropped). */
static enum fk_err area_row(struct fk_stmt *st, void *ctx)
{
    struct area_rows *c = ctx;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct fk_harea *grown = realloc(c->areas, ncap * sizeof(*grown));
        if (grown == NULL)
            return FK_ERR_NOMEM;
        c->areas = grown;
        c->cap = ncap;
    }
    struct fk_harea *a = &c->areas[c->n];
    memset(a, 0, sizeof(*a));
    a->id = fk_stmt_int64(st, 0);
    a->level = fk_risk_level_from_name(fk_stmt_text(st, 1));
    a->outside = (int)fk_stmt_int64(st, 2);
    snprintf(a->region, sizeof(a->region), "%s", fk_stmt_text(st, 3));
    snprintf(a->prefix, sizeof(a->prefix), "%s", fk_stmt_text(st, 4));
    snprintf(a->county, sizeof(a->county), "%s", fk_stmt_text(st, 5));
    snprintf(a->name, sizeof(a->name), "%s", fk_stmt_text(st, 6));
    a->from = fk_stmt_int64(st, 7);
    a->until = fk_stmt_is_null(st, 8) ? 0 : fk_stmt_int64(st, 8);
    if (a->level > 0)
        c->n++;
    return FK_OK;
}

enum fk_err fk_hareas_load(struct fk_conn *db, int64_t now, struct fk_harea **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct fk_where w;
    fk_where_init(&w);
    fk_where_add(&w, "lifted_at IS NULL", "");
    fk_where_add(&w, "(until_at IS NULL OR until_at > ?)", "i", now);
    char sql[160 + FK_WHERE_SQL_MAX];
    snprintf(sql, sizeof(sql),
             "SELECT id, level, outside, region, prefix, county, name, from_at, until_at FROM "
             "risk_areas%s ORDER BY id",
             w.sql);
    struct area_rows c = {NULL, 0, 0};
    enum fk_err err = fk_where_each(db, sql, &w, NULL, 0, area_row, &c, NULL, NULL);
    if (err != FK_OK) {
        free(c.areas);
        return err;
    }
    *out = c.areas;
    *n = c.n;
    return FK_OK;
}

json_t *fk_health_reasons_json(const struct fk_heval *ev)
{
    json_t *arr = json_array();
    for (int i = 0; arr != NULL && i < ev->n_reasons; i++) {
        const struct fk_hreason *r = &ev->reasons[i];
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I}", "rule", r->rule->id, "color",
                              fk_health_color_name(r->color), "label", r->rule->label, "cause",
                              r->cause, "since", (json_int_t)r->since);
        if (o != NULL)
            json_object_set_new(o, "until", r->until ? json_integer(r->until) : json_null());
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* Facts of many persons, sorted by person, their strings owned here. */
struct fact_list {
    struct fk_hfact *facts;
    int64_t *person;
    size_t n, cap;
};

static void facts_free(struct fact_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->facts[i].region);
        free((char *)l->facts[i].detail);
    }
    free(l->facts);
    free(l->person);
    memset(l, 0, sizeof(*l));
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Reads facts from a statement whose columns are person_id, id, kind, level,
 * region, started_at, ended_at, detail (sorted by person_id). */
static enum fk_err facts_read(struct fk_stmt *st, int row, struct fact_list *l)
{
    enum fk_err err = FK_OK;
    while (err == FK_OK && row) {
        if (l->n == l->cap) {
            size_t ncap = l->cap ? l->cap * 2 : 64;
            struct fk_hfact *f = realloc(l->facts, ncap * sizeof(*f));
            if (f == NULL)
                return FK_ERR_NOMEM;
            l->facts = f;
            int64_t *p = realloc(l->person, ncap * sizeof(*p));
            if (p == NULL)
                return FK_ERR_NOMEM;
            l->person = p;
            l->cap = ncap;
        }
        struct fk_hfact *f = &l->facts[l->n];
        memset(f, 0, sizeof(*f));
        f->kind = (int)fk_health_fact_from_name(fk_stmt_text(st, 2));
        f->id = fk_stmt_int64(st, 1);
        int level = fk_risk_level_from_name(fk_stmt_text(st, 3));
        f->level = level > 0 ? level : 0;
        f->started_at = fk_stmt_int64(st, 5);
        f->ended_at = fk_stmt_is_null(st, 6) ? 0 : fk_stmt_int64(st, 6);
        f->region = dup_or_null(fk_stmt_text(st, 4));
        f->detail = dup_or_null(fk_stmt_text(st, 7));
        if ((fk_stmt_text(st, 4) != NULL && f->region == NULL) ||
            (fk_stmt_text(st, 7) != NULL && f->detail == NULL)) {
            free((char *)f->region);
            free((char *)f->detail);
            return FK_ERR_NOMEM;
        }
        l->person[l->n] = fk_stmt_int64(st, 0);
        if (f->kind != 0)
            l->n++;
        else {
            free((char *)f->region);
            free((char *)f->detail);
        }
        err = fk_stmt_step(st);
        row = err == FK_OK;
    }
    return err == FK_ERR_DONE ? FK_OK : err;
}

#define FACT_COLUMNS                                                                               \
    "f.person_id, f.id, f.kind, f.level, f.region, f.started_at, f.ended_at, f.detail"

/* A stored code as read for comparison. */
struct stored {
    int exists;
    int color;
    int64_t since, until;
    char version[64];
    char *reasons; /* owned */
};

/* Prepared writes of one pass. */
struct writer {
    struct fk_conn *db;
    struct fk_stmt *upsert, *change, *audit;
    const struct fk_hctx *ctx;
    const struct fk_hrules *set;
    int64_t now;
    int64_t changed;
};

static enum fk_err writer_open(struct fk_conn *db, const struct fk_hctx *ctx,
                               const struct fk_hrules *set, int64_t now, struct writer *w)
{
    memset(w, 0, sizeof(*w));
    w->db = db;
    w->ctx = ctx;
    w->set = set;
    w->now = now;
    enum fk_err err = fk_stmt_prepare(
        db,
        "INSERT INTO health_codes (person_id, color, reasons, since, until_at, rules_version, "
        "region, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE "
        "SET color = excluded.color, reasons = excluded.reasons, since = excluded.since, "
        "until_at = excluded.until_at, rules_version = excluded.rules_version, region = "
        "excluded.region, updated_at = excluded.updated_at",
        &w->upsert);
    if (err == FK_OK)
        err = fk_stmt_prepare(db,
                              "INSERT INTO health_code_changes (person_id, at, from_color, "
                              "to_color, rule, cause, rules_version, region) VALUES (?, ?, ?, ?, "
                              "?, ?, ?, ?)",
                              &w->change);
    if (err == FK_OK)
        err = fk_stmt_prepare(db,
                              "INSERT INTO audit_log(at, actor_id, actor, action, target_type, "
                              "target_id, person_id, region, ip, detail) VALUES (?, ?, ?, "
                              "'health_code_change', 'person', ?, ?, ?, ?, ?)",
                              &w->audit);
    return err;
}

static void writer_close(struct writer *w)
{
    fk_stmt_free(w->upsert);
    fk_stmt_free(w->change);
    fk_stmt_free(w->audit);
    memset(w, 0, sizeof(*w));
}

/* What an evaluation stores: compact, so that a full recompute can keep the
 * changed ones in memory until its scans end. Strings owned. */
struct verdict {
    enum fk_health_color color;
    int64_t since, next_change;
    char *reasons;    /* JSON text */
    const char *rule; /* the deciding rule's id (static: the loaded sets) */
    char *cause;      /* its cause */
};

static void verdict_free(struct verdict *v)
{
    free(v->reasons);
    free(v->cause);
    v->reasons = v->cause = NULL;
}

/* Builds the verdict of `ev`; *same says whether it equals the stored code
 * (then nothing is kept). */
static enum fk_err verdict_make(const struct fk_heval *ev, const struct stored *old,
                                const char *version, struct verdict *v, int *same)
{
    memset(v, 0, sizeof(*v));
    *same = 0;
    v->color = ev->color;
    v->since = ev->since;
    v->next_change = ev->next_change;
    if (!old->exists && ev->color == FK_HEALTH_GREEN && ev->next_change == 0) {
        *same = 1;
        return FK_OK;
    }
    json_t *reasons = fk_health_reasons_json(ev);
    v->reasons = reasons ? json_dumps(reasons, JSON_COMPACT) : NULL;
    json_decref(reasons);
    if (v->reasons == NULL)
        return FK_ERR_NOMEM;
    if (old->exists && old->color == (int)ev->color && old->until == ev->next_change &&
        strcmp(old->version, version) == 0 && old->reasons != NULL &&
        strcmp(old->reasons, v->reasons) == 0) {
        *same = 1;
        verdict_free(v);
        return FK_OK;
    }
    v->rule = ev->n_reasons ? ev->reasons[0].rule->id : "none";
    v->cause = strdup(ev->n_reasons ? ev->reasons[0].cause : "原因均已解除");
    if (v->cause == NULL) {
        verdict_free(v);
        return FK_ERR_NOMEM;
    }
    return FK_OK;
}

/* Stores a verdict that differs from the stored code `old` (only its
 * exists/color/since are read): the code, and on a change of colour a log
 * line and an audit entry. */
static enum fk_err apply(struct writer *w, int64_t person_id, const char *region,
                         const struct verdict *v, const struct stored *old)
{
    int64_t until = v->next_change;
    int color_changed = !old->exists ? v->color != FK_HEALTH_GREEN : old->color != (int)v->color;
    int64_t since = old->exists ? old->since : w->now;
    if (color_changed)
        since = v->since > 0 && v->since <= w->now ? v->since : w->now;
    enum fk_err err = bind_v(w->upsert, "ittiztti", person_id, fk_health_color_name(v->color),
                             v->reasons, since, until, w->set->version, region, w->now);
    if (err == FK_OK)
        err = run_reset(w->upsert);
    if (err != FK_OK || !color_changed)
        return err;
    const char *from = old->exists ? fk_health_color_name((enum fk_health_color)old->color) : NULL;
    const char *to = fk_health_color_name(v->color);
    err = bind_v(w->change, "iitttttt", person_id, w->now, from, to, v->rule, v->cause,
                 w->set->version, region);
    if (err == FK_OK)
        err = run_reset(w->change);
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)person_id);
    json_t *detail = json_pack("{s:s?,s:s,s:s,s:s,s:s}", "from", from, "to", to, "rule", v->rule,
                               "cause", v->cause, "rules_version", w->set->version);
    char *dtext = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (err == FK_OK && dtext == NULL)
        err = FK_ERR_NOMEM;
    if (err == FK_OK)
        err = bind_v(w->audit, "izttittt", w->now, w->ctx ? w->ctx->actor_id : 0,
                     w->ctx && w->ctx->actor ? w->ctx->actor : "system", id_text, person_id, region,
                     w->ctx ? w->ctx->ip : NULL, dtext);
    free(dtext);
    if (err == FK_OK)
        err = run_reset(w->audit);
    if (err == FK_OK)
        w->changed++;
    return err;
}

static enum fk_err stored_read(struct fk_stmt *st, struct stored *s)
{
    s->exists = 1;
    int c = fk_health_color_from_name(fk_stmt_text(st, 1));
    s->color = c < 0 ? FK_HEALTH_GREEN : c;
    s->since = fk_stmt_int64(st, 2);
    s->until = fk_stmt_is_null(st, 3) ? 0 : fk_stmt_int64(st, 3);
    snprintf(s->version, sizeof(s->version), "%s", fk_stmt_text(st, 4) ? fk_stmt_text(st, 4) : "");
    s->reasons = dup_or_null(fk_stmt_text(st, 5));
    return s->reasons != NULL || fk_stmt_text(st, 5) == NULL ? FK_OK : FK_ERR_NOMEM;
}

enum fk_err fk_health_refresh(struct fk_conn *db, int64_t person_id)
{
    if (db == NULL || person_id < 1)
        return FK_ERR_INVALID;
    return fk_health_refresh_many(db, NULL, NULL, 0, &person_id, 1, 0, NULL, NULL, NULL);
}

/* One person by id: region, facts, stored code; evaluates and applies. */
static enum fk_err refresh_one(struct writer *w, const struct fk_harea *areas, size_t n_areas,
                               int64_t person_id)
{
    struct fk_stmt *st = NULL;
    int row = 0;
    char region[24] = "";
    enum fk_err err = fk_db_query(
        w->db, &st, &row, "SELECT region FROM person_directory WHERE id = ?", "i", person_id);
    if (err != FK_OK)
        return err;
    if (row)
        snprintf(region, sizeof(region), "%s", fk_stmt_text(st, 0));
    fk_stmt_free(st);
    if (!row)
        return FK_ERR_NOT_FOUND;
    struct fact_list facts = {0};
    err = fk_db_query(w->db, &st, &row,
                      "SELECT " FACT_COLUMNS " FROM health_facts f WHERE f.person_id = ? "
                      "ORDER BY f.id",
                      "i", person_id);
    if (err == FK_OK) {
        err = facts_read(st, row, &facts);
        fk_stmt_free(st);
    }
    struct stored old = {0};
    if (err == FK_OK)
        err = fk_db_query(w->db, &st, &row,
                          "SELECT person_id, color, since, until_at, rules_version, reasons FROM "
                          "health_codes WHERE person_id = ?",
                          "i", person_id);
    if (err == FK_OK) {
        if (row)
            err = stored_read(st, &old);
        fk_stmt_free(st);
    }
    if (err == FK_OK) {
        struct fk_heval ev;
        struct verdict v;
        int same = 0;
        fk_health_evaluate(w->set, region, facts.facts, facts.n, areas, n_areas, w->now, &ev);
        err = verdict_make(&ev, &old, w->set->version, &v, &same);
        if (err == FK_OK && !same)
            err = apply(w, person_id, region, &v, &old);
        verdict_free(&v);
    }
    free(old.reasons);
    facts_free(&facts);
    return err;
}

/* A pending write of the sorted pass: evaluated during the scans, applied
 * after them (SQLite must not write a table that an open statement reads). */
struct pending {
    int64_t person_id;
    char region[19];
    struct verdict v;
    struct stored old; /* reasons freed once compared */
};

enum fk_err fk_health_refresh_many(struct fk_conn *db, const struct fk_hctx *ctx,
                                   const char *prefix, int all, const int64_t *extra,
                                   size_t n_extra, int own_tx,
                                   void (*progress)(void *arg, int64_t done, int64_t total),
                                   void *arg, int64_t *changed)
{
    if (changed != NULL)
        *changed = 0;
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err != FK_OK)
        return err;
    struct fk_harea *areas = NULL;
    size_t n_areas = 0;
    if ((err = fk_hareas_load(db, now, &areas, &n_areas)) != FK_OK)
        return err;
    struct writer w;
    struct fact_list facts = {0};
    struct pending *pend = NULL;
    size_t n_pend = 0, cap_pend = 0;
    struct fk_stmt *persons = NULL, *codes = NULL, *fst = NULL;
    int in_tx = 0;
    if ((err = writer_open(db, ctx, set, now, &w)) != FK_OK)
        goto done;
    int scan = all || (prefix != NULL && prefix[0] != '\0');
    if (scan) {
        const char *p = all ? "" : prefix;
        char in_region[96], sql[512];
        fk_store_in_region("p.region", in_region, sizeof(in_region));
        int64_t total = 0;
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM person_directory p WHERE p.merged_into IS NULL AND %s",
                 in_region);
        struct fk_stmt *cst = NULL;
        if ((err = fk_stmt_prepare(db, sql, &cst)) == FK_OK &&
            (err = fk_stmt_bind_region(cst, 1, p)) == FK_OK && (err = fk_stmt_step(cst)) == FK_OK)
            total = fk_stmt_int64(cst, 0);
        fk_stmt_free(cst);
        if (err != FK_OK)
            goto done;
        /* Facts that can still matter: open, or ended within the longest
         * look-back of the set. */
        snprintf(sql, sizeof(sql),
                 "SELECT " FACT_COLUMNS " FROM health_facts f JOIN person_directory p ON p.id = "
                 "f.person_id WHERE (f.ended_at IS NULL OR f.ended_at > ?) AND %s ORDER BY "
                 "f.person_id, f.id",
                 in_region);
        if ((err = fk_stmt_prepare(db, sql, &fst)) != FK_OK ||
            (err = fk_stmt_bind_int64(fst, 1, now - (int64_t)(set->longest_days + 1) * DAY)) !=
                FK_OK ||
            (err = fk_stmt_bind_region(fst, 2, p)) != FK_OK)
            goto done;
        err = fk_stmt_step(fst);
        if (err == FK_OK || err == FK_ERR_DONE)
            err = facts_read(fst, err == FK_OK, &facts);
        fk_stmt_free(fst);
        fst = NULL;
        if (err != FK_OK)
            goto done;
        snprintf(sql, sizeof(sql),
                 "SELECT p.id, p.region FROM person_directory p WHERE p.merged_into IS NULL AND %s "
                 "ORDER BY p.id",
                 in_region);
        if ((err = fk_stmt_prepare(db, sql, &persons)) != FK_OK ||
            (err = fk_stmt_bind_region(persons, 1, p)) != FK_OK)
            goto done;
        fk_store_in_region("c.region", in_region, sizeof(in_region));
        snprintf(sql, sizeof(sql),
                 "SELECT c.person_id, c.color, c.since, c.until_at, c.rules_version, c.reasons "
                 "FROM health_codes c WHERE %s ORDER BY c.person_id",
                 in_region);
        if ((err = fk_stmt_prepare(db, sql, &codes)) != FK_OK ||
            (err = fk_stmt_bind_region(codes, 1, p)) != FK_OK)
            goto done;
        enum fk_err perr = fk_stmt_step(persons), cerr = fk_stmt_step(codes);
        size_t fi = 0;
        int64_t done_n = 0;
        while (perr == FK_OK) {
            int64_t id = fk_stmt_int64(persons, 0);
            const char *region = fk_stmt_text(persons, 1);
            while (cerr == FK_OK && fk_stmt_int64(codes, 0) < id)
                cerr = fk_stmt_step(codes);
            struct stored old = {0};
            if (cerr == FK_OK && fk_stmt_int64(codes, 0) == id &&
                (err = stored_read(codes, &old)) != FK_OK)
                goto done;
            while (fi < facts.n && facts.person[fi] < id)
                fi++;
            size_t fj = fi;
            while (fj < facts.n && facts.person[fj] == id)
                fj++;
            struct fk_heval ev;
            struct verdict v;
            int same = 0;
            fk_health_evaluate(set, region, facts.facts + fi, fj - fi, areas, n_areas, now, &ev);
            fi = fj;
            err = verdict_make(&ev, &old, set->version, &v, &same);
            free(old.reasons);
            old.reasons = NULL;
            if (err != FK_OK)
                goto done;
            if (!same) {
                if (n_pend == cap_pend) {
                    size_t ncap = cap_pend ? cap_pend * 2 : 256;
                    struct pending *grown = realloc(pend, ncap * sizeof(*grown));
                    if (grown == NULL) {
                        verdict_free(&v);
                        err = FK_ERR_NOMEM;
                        goto done;
                    }
                    pend = grown;
                    cap_pend = ncap;
                }
                struct pending *pp = &pend[n_pend++];
                pp->person_id = id;
                snprintf(pp->region, sizeof(pp->region), "%s", region);
                pp->v = v;
                pp->old = old;
            }
            done_n++;
            if (progress != NULL && done_n % 50000 == 0)
                progress(arg, done_n, total);
            perr = fk_stmt_step(persons);
        }
        if (perr != FK_ERR_DONE || (cerr != FK_OK && cerr != FK_ERR_DONE)) {
            err = perr != FK_ERR_DONE ? perr : cerr;
            goto done;
        }
        fk_stmt_free(persons);
        fk_stmt_free(codes);
        persons = codes = NULL;
        for (size_t i = 0; i < n_pend && err == FK_OK; i++) {
            if (own_tx && i % BATCH == 0) {
                if (in_tx && (err = fk_db_commit(db)) != FK_OK)
                    break;
                in_tx = 0;
                if ((err = fk_db_begin(db)) != FK_OK)
                    break;
                in_tx = 1;
            }
            err = apply(&w, pend[i].person_id, pend[i].region, &pend[i].v, &pend[i].old);
        }
        if (progress != NULL)
            progress(arg, total, total);
    }
    for (size_t i = 0; i < n_extra && err == FK_OK; i++) {
        if (own_tx && !in_tx) {
            if ((err = fk_db_begin(db)) != FK_OK)
                break;
            in_tx = 1;
        }
        err = refresh_one(&w, areas, n_areas, extra[i]);
        /* A merged or deleted person has no code to refresh. */
        if (err == FK_ERR_NOT_FOUND && n_extra > 1)
            err = FK_OK;
    }
    if (err == FK_OK && in_tx) {
        err = fk_db_commit(db);
        in_tx = 0;
    }
done:
    if (in_tx)
        fk_db_rollback(db);
    if (changed != NULL)
        *changed = w.changed;
    fk_stmt_free(persons);
    fk_stmt_free(codes);
    fk_stmt_free(fst);
    for (size_t i = 0; i < n_pend; i++)
        verdict_free(&pend[i].v);
    free(pend);
    facts_free(&facts);
    writer_close(&w);
    free(areas);
    return err;
}

enum fk_err fk_health_sweep(struct fk_conn *db, int64_t *done)
{
    *done = 0;
    int64_t now = fk_now();
    const struct fk_hrules *set = NULL;
    enum fk_err err = fk_hrules_active(db, now, &set);
    if (err != FK_OK)
        return err;
    /* A different set in force: everyone, in batches (merged persons are
     * never rescanned, so they do not count). */
    struct fk_stmt *st = NULL;
    int row = 0;
    err = fk_db_query(
        db, &st, &row,
        "SELECT 1 FROM health_codes c JOIN person_directory p ON p.id = c.person_id AND "
        "p.merged_into IS NULL WHERE c.rules_version <> ? LIMIT 1",
        "t", set->version);
    fk_stmt_free(st);
    if (err != FK_OK)
        return err;
    if (row) {
        struct fk_hctx ctx = {0, "rules", NULL};
        return fk_health_refresh_many(db, &ctx, NULL, 1, NULL, 0, 1, NULL, NULL, done);
    }
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    err = fk_db_query(db, &st, &row,
                      "SELECT person_id FROM health_codes WHERE until_at IS NOT NULL AND "
                      "until_at <= ? ORDER BY person_id LIMIT 100000",
                      "i", now);
    while (err == FK_OK && row) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            int64_t *grown = realloc(ids, ncap * sizeof(*grown));
            if (grown == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            ids = grown;
            cap = ncap;
        }
        ids[n++] = fk_stmt_int64(st, 0);
        err = fk_stmt_step(st);
        row = err == FK_OK;
        if (err == FK_ERR_DONE)
            err = FK_OK;
    }
    fk_stmt_free(st);
    if (err == FK_OK && n > 0) {
        struct fk_hctx ctx = {0, "rules", NULL};
        err = fk_health_refresh_many(db, &ctx, NULL, 0, ids, n, 1, NULL, NULL, done);
        *done = (int64_t)n;
    }
    free(ids);
    return err;
}
