/* Builds the demo district into a store: the region tree, one login per role,
 * then households and persons in transactions of ~20,000 persons. */
#include "demo/demo.h"
#include "accounts/accounts.h"
#include "core/clock.h"
#include "demo/demo_internal.h"
#include "regions/regions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Persons per transaction: big enough that commits cost nothing, small enough
 * that the SQLite WAL stays a few tens of MB. */
#define BATCH_PERSONS 20000
/* The region tree does not depend on the seed, so codes are stable. */
#define TREE_SEED 0x4c69736869ULL /* "Lishi" */

static const struct fk_demo_login logins[] = {
    {"district_admin", "区指挥部管理员", "区指挥部管理员 张伟", "141102000000", "离石区"},
    {"township_officer", "街道干部", "滨河街道干部 李娜", "141102001000", "滨河街道"},
    {"community_worker", "社区网格员", "滨河社区网格员 王磊", "141102001001", "滨河街道滨河社区"},
    {"checkpoint_staff", "卡口值守人员", "卡口值守 刘洋", "141102000000", "离石区"},
    {"sampler", "采样人员", "采样员 陈静", "141102000000", "离石区"},
    {"lab", "检测机构", "检测实验室 杨帆", "141102000000", "离石区"},
    {"tracer", "流调人员", "流调员 赵敏", "141102000000", "离石区"},
    {"quarantine_staff", "隔离点工作人员", "隔离点工作人员 黄勇", "141102000000", "离石区"},
    {"inspector", "督导组成员", "督导组 周婷", "141102000000", "离石区"},
    {"school_admin", "学校管理员", "学校管理员 吴刚", "141102002000", "凤山街道"},
    {"enterprise", "企业联络员", "企业联络员 高峰", "141102006000", "田家会街道"},
    {"resident", "居民", "居民 郭丽", "141102001001001", "滨河街道滨河社区阳光小区"},
};

const struct fk_demo_login *fk_demo_logins(size_t *count)
{
    *count = sizeof(logins) / sizeof(logins[0]);
    return logins;
}

/* A compound in memory: where households go and how their addresses read. */
struct compound {
    char code[FK_REGION_CODE_LEN];
    char address[160]; /* "滨河街道龙凤社区阳光小区" */
    int urban;         /* buildings with units and floors, or village house numbers */
    int buildings, units, floors;
    int64_t weight; /* share of the population */
    int64_t households;
};

struct tree {
    struct compound *compounds;
    size_t n_compounds;
    int64_t total_weight;
};

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- progress on stderr --- */

struct progress {
    enum fk_demo_progress mode;
    int64_t total;
    double last_draw;
    int next_line_percent;
};

static void progress_show(struct progress *p, int64_t done, int final)
{
    int percent = p->total > 0 ? (int)(done * 100 / p->total) : 100;
    if (p->mode == FK_DEMO_PROGRESS_BAR) {
        double now = monotonic_seconds();
        if (!final && now - p->last_draw < 0.1)
            return;
        p->last_draw = now;
        char bar[31];
        int filled = (int)(done * 30 / (p->total > 0 ? p->total : 1));
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %lld/%lld persons", bar, percent, (long long)done,
                (long long)p->total);
        if (final)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (p->mode == FK_DEMO_PROGRESS_LINES) {
        if (percent < p->next_line_percent && !final)
            return;
        if (final && p->next_line_percent > 100)
            return;
        fprintf(stderr, "demo: %3d%% %lld/%lld persons\n", percent, (long long)done,
                (long long)p->total);
        p->next_line_percent = percent - percent % 25 + 25;
    }
}

/* --- the region tree --- */

/* Writes `base` (at most 15 digits) followed by `number` as 3 digits. */
static void code_append(char out[FK_REGION_CODE_LEN], const char *base, int number)
{
    size_t len = strnlen(base, FK_REGION_CODE_LEN - 4);
    memcpy(out, base, len);
    out[len] = (char)('0' + number / 100 % 10);
    out[len + 1] = (char)('0' + number / 10 % 10);
    out[len + 2] = (char)('0' + number % 10);
    out[len + 3] = '\0';
}

static enum fk_err add_region(struct fk_conn *db, const char *code, const char *parent,
                              const char *name, int level, struct fk_demo_stats *stats)
{
    enum fk_err err = fk_region_add(db, code, parent, name, level);
    if (err != FK_OK) {
        fprintf(stderr, "demo: adding region %s %s failed: %s\n", code, name, fk_db_errmsg(db));
        return err;
    }
    stats->regions++;
    return FK_OK;
}

/* Adds compound `number` (1..) of a community, and its buildings if urban. */
static enum fk_err add_compound(struct fk_conn *db, struct tree *tree, struct fk_demo_rng *rng,
                                const char *community_code, int number, const char *address_prefix,
                                const char *name, int urban, struct fk_demo_stats *stats)
{
    struct compound *c = &tree->compounds[tree->n_compounds];
    memset(c, 0, sizeof(*c));
    code_append(c->code, community_code, number);
    snprintf(c->address, sizeof(c->address), "%s%s", address_prefix, name);
    c->urban = urban;
    enum fk_err err = add_region(db, c->code, community_code, name, 4, stats);
    if (err != FK_OK)
        return err;
    if (urban) {
        static const int floor_choices[] = {6, 6, 6, 7, 7, 11, 12, 18, 24};
        c->buildings = fk_demo_rng_range(rng, 3, 14);
        c->units = fk_demo_rng_range(rng, 2, 4);
        c->floors = floor_choices[fk_demo_rng_below(rng, sizeof(floor_choices) / sizeof(int))];
        /* Population follows housing: two flats per floor and unit. */
        c->weight = (int64_t)c->buildings * c->units * c->floors * 2;
        for (int b = 1; b <= c->buildings; b++) {
            char code[FK_REGION_CODE_LEN], bname[32];
            code_append(code, c->code, b);
            snprintf(bname, sizeof(bname), "%d号楼", b);
            if ((err = add_region(db, code, c->code, bname, 5, stats)) != FK_OK)
                return err;
            stats->buildings++;
        }
    } else {
        /* A village group of ~250–400 households. */
        c->weight = fk_demo_rng_range(rng, 250, 400);
    }
    tree->total_weight += c->weight;
    tree->n_compounds++;
    stats->compounds++;
    return FK_OK;
}

static enum fk_err build_tree(struct fk_conn *db, struct tree *tree, struct fk_demo_stats *stats)
{
    struct fk_demo_rng rng;
    fk_demo_rng_seed(&rng, TREE_SEED);
    /* At most 10 communities × 7 compounds per township. */
    tree->compounds =
        calloc(FK_DEMO_TOWNSHIPS * FK_DEMO_MAX_COMMUNITIES * 7, sizeof(struct compound));
    if (tree->compounds == NULL)
        return FK_ERR_NOMEM;
    enum fk_err err = add_region(db, FK_DEMO_DISTRICT_CODE, NULL, "离石区", 1, stats);
    size_t urban_index = 0;
    for (int t = 0; t < FK_DEMO_TOWNSHIPS && err == FK_OK; t++) {
        const struct fk_demo_township *town = &fk_demo_townships[t];
        char town_digits[FK_REGION_CODE_LEN], town_code[FK_REGION_CODE_LEN];
        code_append(town_digits, "141102", t + 1);
        code_append(town_code, town_digits, 0);
        if ((err = add_region(db, town_code, FK_DEMO_DISTRICT_CODE, town->name, 2, stats)) != FK_OK)
            break;
        stats->townships++;
        for (int k = 0; k < town->n_communities + town->n_villages && err == FK_OK; k++) {
            int village = k >= town->n_communities;
            int number = village ? 201 + (k - town->n_communities) : 1 + k;
            char code[FK_REGION_CODE_LEN], prefix[160];
            code_append(code, town_digits, number);
            if ((err = add_region(db, code, town_code, town->names[k], 3, stats)) != FK_OK)
                break;
            stats->communities++;
            snprintf(prefix, sizeof(prefix), "%s%s", town->name, town->names[k]);
            if (!village) {
                int n = fk_demo_rng_range(&rng, 4, 7);
                for (int i = 0; i < n && err == FK_OK; i++, urban_index++) {
                    /* stem k mod 40 with suffix (k/40 + k) mod 9: all distinct for k < 360. */
                    char name[64];
                    snprintf(name, sizeof(name), "%s%s",
                             fk_demo_compound_stems[urban_index % fk_demo_compound_stem_count],
                             fk_demo_compound_suffixes[(urban_index / fk_demo_compound_stem_count +
                                                        urban_index) %
                                                       fk_demo_compound_suffix_count]);
                    err = add_compound(db, tree, &rng, code, i + 1, prefix, name, 1, stats);
                }
            } else {
                int n = fk_demo_rng_range(&rng, 3, 4);
                int scattered = fk_demo_rng_percent(&rng, 50);
                for (int i = 0; i < n && err == FK_OK; i++) {
                    const char *name =
                        (scattered && i == n - 1) ? "散户区" : fk_demo_village_groups[i];
                    err = add_compound(db, tree, &rng, code, i + 1, prefix, name, 0, stats);
                }
            }
        }
    }
    return err;
}

/* --- logins --- */

static enum fk_err add_logins(struct fk_conn *db, const struct fk_demo_options *opt,
                              struct fk_demo_stats *stats)
{
    unsigned flags = opt->allow_weak_password ? FK_USER_ALLOW_WEAK : 0;
    for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
        struct fk_field_error why = {0};
        enum fk_err err = fk_user_add(db, logins[i].username, opt->password, logins[i].username,
                                      logins[i].region, logins[i].display_name, flags, NULL, &why);
        if (err == FK_ERR_CONFLICT && why.field != NULL && strcmp(why.field, "username") == 0) {
            /* Someone created this login before the demo: keep theirs. */
            fprintf(stderr, "demo: user %s exists already; kept as it is\n", logins[i].username);
            continue;
        }
        if (err != FK_OK) {
            fprintf(stderr, "demo: adding user %s failed: %s (%s)\n", logins[i].username,
                    why.message ? why.message : fk_err_name(err), why.field ? why.field : "");
            return err;
        }
        stats->users++;
    }
    return FK_OK;
}

/* --- households and persons --- */

struct writer {
    struct fk_conn *db;
    const struct fk_pii_key *key;
    struct fk_stmt *household, *person, *head;
    int64_t now;
};

static void household_address(const struct compound *c, int64_t index, char *out, size_t size)
{
    if (!c->urban) {
        snprintf(out, size, "%s%lld号", c->address, (long long)index + 1);
        return;
    }
    /* Spread households over the flats with a stride coprime to the number of
     * flats, so buildings fill evenly; past capacity, flats are shared. */
    int64_t per_floor = 2, per_unit = per_floor * c->floors, per_building = per_unit * c->units;
    int64_t capacity = per_building * c->buildings;
    int64_t stride = 7919; /* prime; capacity is far below 7919² */
    while (capacity % stride == 0)
        stride += 2;
    int64_t slot = (index * stride) % capacity;
    int64_t building = slot / per_building + 1;
    int64_t unit = slot % per_building / per_unit + 1;
    int64_t floor = slot % per_unit / per_floor + 1;
    int64_t flat = slot % per_floor + 1;
    snprintf(out, size, "%s%lld号楼%lld单元%lld%02lld", c->address, (long long)building,
             (long long)unit, (long long)floor, (long long)flat);
}

static enum fk_err step_once(struct fk_stmt *st, int64_t *id)
{
    enum fk_err err = fk_stmt_step(st);
    if (err == FK_OK && id != NULL)
        *id = fk_stmt_int64(st, 0);
    if (err == FK_ERR_DONE && id == NULL)
        err = FK_OK;
    fk_stmt_reset(st);
    return err;
}

static enum fk_err write_person(struct writer *w, const struct fk_demo_person *p,
                                int64_t household_id, const struct compound *c, const char *address,
                                int64_t *person_id)
{
    char id_blind[FK_BLIND_LEN], phone_blind[FK_BLIND_LEN];
    char *id_sealed = NULL, *phone_sealed = NULL;
    enum fk_err err = fk_pii_seal(w->key, "id_number", p->id_number, &id_sealed);
    if (err == FK_OK && p->phone[0] != '\0')
        err = fk_pii_seal(w->key, "phone", p->phone, &phone_sealed);
    if (err != FK_OK)
        goto done;
    fk_pii_blind(w->key, "id_number", p->id_number, id_blind);
    if (phone_sealed != NULL)
        fk_pii_blind(w->key, "phone", p->phone, phone_blind);
    struct fk_stmt *st = w->person;
    if ((err = fk_stmt_bind_text(st, 1, id_sealed)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 2, id_blind)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 3, p->name)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 4, p->sex)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 5, p->birth_date)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 6, phone_sealed)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 7, phone_sealed ? phone_blind : NULL)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 8, household_id)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 9, c->code)) != FK_OK ||
        (err = fk_stmt_bind_text(st, 10, address)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 11, w->now)) != FK_OK ||
        (err = fk_stmt_bind_int64(st, 12, w->now)) != FK_OK) {
        fk_stmt_reset(st);
        goto done;
    }
    err = step_once(st, person_id);
done:
    free(id_sealed);
    free(phone_sealed);
    return err;
}

static enum fk_err write_household(struct writer *w, struct compound *c,
                                   const struct fk_demo_person *members, int n)
{
    char address[224];
    household_address(c, c->households++, address, sizeof(address));
    int64_t household_id = 0, head_id = 0;
    enum fk_err err;
    if ((err = fk_stmt_bind_text(w->household, 1, c->code)) != FK_OK ||
        (err = fk_stmt_bind_text(w->household, 2, address)) != FK_OK ||
        (err = fk_stmt_bind_int64(w->household, 3, w->now)) != FK_OK ||
        (err = fk_stmt_bind_int64(w->household, 4, w->now)) != FK_OK) {
        fk_stmt_reset(w->household);
        return err;
    }
    if ((err = step_once(w->household, &household_id)) != FK_OK)
        return err;
    for (int i = 0; i < n; i++) {
        int64_t id = 0;
        if ((err = write_person(w, &members[i], household_id, c, address, &id)) != FK_OK)
            return err;
        if (i == 0)
            head_id = id;
    }
    if ((err = fk_stmt_bind_int64(w->head, 1, head_id)) != FK_OK ||
        (err = fk_stmt_bind_int64(w->head, 2, household_id)) != FK_OK) {
        fk_stmt_reset(w->head);
        return err;
    }
    return step_once(w->head, NULL);
}

static enum fk_err prepare_writer(struct writer *w)
{
    enum fk_err err = fk_stmt_prepare(w->db,
                                      "INSERT INTO households(region, address, created_at, "
                                      "updated_at) VALUES (?, ?, ?, ?) RETURNING id",
                                      &w->household);
    if (err == FK_OK)
        err = fk_stmt_prepare(w->db,
                              "INSERT INTO persons(id_sealed, id_blind, name, sex, birth_date, "
                              "phone_sealed, phone_blind, household_id, region, address, "
                              "categories, created_at, updated_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?) RETURNING id",
                              &w->person);
    if (err == FK_OK)
        err = fk_stmt_prepare(w->db, "UPDATE households SET head_person_id = ? WHERE id = ?",
                              &w->head);
    return err;
}

static void free_writer(struct writer *w)
{
    fk_stmt_free(w->household);
    fk_stmt_free(w->person);
    fk_stmt_free(w->head);
    w->household = w->person = w->head = NULL;
}

/* Fills the compounds in code order; compound i ends when the running total
 * reaches people × (weight of compounds 0..i) / total weight, so the shares
 * hold for any N and the last compound ends exactly at N. */
static enum fk_err build_people(struct writer *w, struct tree *tree,
                                const struct fk_demo_options *opt, struct fk_demo_stats *stats)
{
    struct fk_demo_people *gen = NULL;
    enum fk_err err = fk_demo_people_new(opt->seed, opt->people, &gen);
    if (err != FK_OK)
        return err;
    struct progress progress = {opt->progress, opt->people, 0.0, 0};
    int64_t done = 0, since_commit = 0, cumulative = 0;
    int in_tx = 0;
    progress_show(&progress, 0, 0);
    for (size_t i = 0; i < tree->n_compounds && err == FK_OK; i++) {
        struct compound *c = &tree->compounds[i];
        cumulative += c->weight;
        /* people ≤ 5e6 and total weight < 1e6: the product fits easily. */
        int64_t end = opt->people * cumulative / tree->total_weight;
        while (done < end && err == FK_OK) {
            if (!in_tx) {
                if ((err = fk_db_begin(w->db)) != FK_OK)
                    break;
                in_tx = 1;
            }
            struct fk_demo_person members[FK_DEMO_HOUSEHOLD_MAX];
            int64_t room = end - done;
            int n = fk_demo_household(
                gen, room < FK_DEMO_HOUSEHOLD_MAX ? (int)room : FK_DEMO_HOUSEHOLD_MAX, members);
            if ((err = write_household(w, c, members, n)) != FK_OK)
                break;
            stats->households++;
            stats->persons += n;
            done += n;
            since_commit += n;
            if (since_commit >= BATCH_PERSONS) {
                if ((err = fk_db_commit(w->db)) != FK_OK)
                    break;
                in_tx = 0;
                since_commit = 0;
            }
            progress_show(&progress, done, 0);
        }
    }
    if (err == FK_OK && in_tx) {
        err = fk_db_commit(w->db);
        in_tx = 0;
    }
    if (err != FK_OK) {
        if (progress.mode == FK_DEMO_PROGRESS_BAR)
            fputc('\n', stderr);
        fprintf(stderr, "demo: writing persons failed: %s (%s)\n", fk_err_name(err),
                fk_db_errmsg(w->db));
        if (in_tx)
            fk_db_rollback(w->db);
    } else {
        progress_show(&progress, done, 1);
    }
    fk_demo_people_free(gen);
    return err;
}

/* Whether any region under 141102 exists. Persons and users reference
 * regions, so when none exists nothing under the district can exist either,
 * and the cleanup after a failure deletes only what this build wrote. */
static enum fk_err district_taken(struct fk_conn *db, int *taken)
{
    struct fk_stmt *st;
    enum fk_err err =
        fk_stmt_prepare(db, "SELECT COUNT(*) FROM regions WHERE code >= ? AND code < ?", &st);
    if (err != FK_OK)
        return err;
    err = fk_stmt_bind_region(st, 1, "141102");
    if (err == FK_OK && (err = fk_stmt_step(st)) == FK_OK)
        *taken = fk_stmt_int64(st, 0) > 0;
    fk_stmt_free(st);
    return err;
}

/* Best effort: removes what a failed build left in committed batches. */
static void cleanup(struct fk_conn *db)
{
    static const char *const deletes[] = {
        "DELETE FROM persons WHERE region >= ? AND region < ?",
        "DELETE FROM households WHERE region >= ? AND region < ?",
        "DELETE FROM users WHERE region >= ? AND region < ?",
        "DELETE FROM regions WHERE code >= ? AND code < ?",
    };
    for (size_t i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
        struct fk_stmt *st;
        if (fk_stmt_prepare(db, deletes[i], &st) != FK_OK)
            continue;
        enum fk_err err = fk_stmt_bind_region(st, 1, "141102");
        if (err == FK_OK)
            err = fk_stmt_step(st);
        if (err != FK_OK && err != FK_ERR_DONE)
            fprintf(stderr, "demo: cleanup step failed: %s\n", fk_db_errmsg(db));
        fk_stmt_free(st);
    }
}

enum fk_err fk_demo_build(struct fk_store *store, const struct fk_pii_key *key,
                          const struct fk_demo_options *opt, struct fk_demo_stats *stats)
{
    struct fk_demo_stats local;
    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (opt == NULL || opt->people < 0 || opt->people > FK_DEMO_PEOPLE_MAX || opt->password == NULL)
        return FK_ERR_INVALID;
    double started = monotonic_seconds();
    struct fk_conn *db;
    enum fk_err err = fk_store_conn(store, &db);
    if (err != FK_OK)
        return err;
    int taken = 0;
    if ((err = district_taken(db, &taken)) != FK_OK)
        return err;
    if (taken)
        return FK_ERR_CONFLICT;

    int sqlite = fk_store_kind(store) == FK_STORE_SQLITE;
    /* Random blind indexes and names land all over their indexes; a cache
     * that holds them avoids re-reading pages (~128 MB at 5 million people). */
    if (sqlite && fk_db_exec(db, "PRAGMA cache_size = -131072") != FK_OK)
        fprintf(stderr, "demo: could not enlarge the SQLite cache; continuing\n");

    struct tree tree = {0};
    struct writer w = {db, key, NULL, NULL, NULL, fk_now()};
    int wrote = 0;
    if ((err = fk_db_begin(db)) != FK_OK)
        goto done;
    wrote = 1;
    if ((err = build_tree(db, &tree, stats)) != FK_OK ||
        (err = add_logins(db, opt, stats)) != FK_OK) {
        fk_db_rollback(db);
        wrote = 0; /* nothing was committed */
        goto done;
    }
    if ((err = fk_db_commit(db)) != FK_OK) {
        fk_db_rollback(db);
        wrote = 0;
        goto done;
    }
    if ((err = prepare_writer(&w)) != FK_OK)
        goto done;
    err = build_people(&w, &tree, opt, stats);

done:
    free_writer(&w);
    free(tree.compounds);
    if (err != FK_OK && wrote) {
        fprintf(stderr, "demo: removing the partly built district\n");
        cleanup(db);
    }
    if (sqlite && fk_db_exec(db, "PRAGMA cache_size = -2000") != FK_OK)
        fprintf(stderr, "demo: could not restore the SQLite cache size\n");
    if (err != FK_OK)
        memset(stats, 0, sizeof(*stats)); /* nothing of it is left */
    stats->seconds = monotonic_seconds() - started;
    return err;
}
