/* Rule sets (JSON files under rules/): strict parsing, the embedded and --rules-dir
 * sets, and which set is in force. The file format is described in
 * docs/internals/healthcode.md. */
#include "healthcode/healthcode_internal.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"

static const char *const level_names[] = {"lifted", "low", "medium", "high"};
static const char *const level_labels[] = {"已解除", "低风险区", "中风险区", "高风险区"};

const char *fk_risk_level_name(int level)
{
    return level >= 0 && level <= FK_RISK_HIGH ? level_names[level] : NULL;
}

const char *fk_risk_level_label(int level)
{
    return level >= 0 && level <= FK_RISK_HIGH ? level_labels[level] : "";
}

int fk_risk_level_from_name(const char *name)
{
    for (int l = 0; name != NULL && l <= FK_RISK_HIGH; l++)
        if (strcmp(name, level_names[l]) == 0)
            return l;
    return -1;
}

/* Fails with "FILE: FIELD: message". */
static enum fk_err bad(char *why, size_t size, const char *file, const char *field, const char *fmt,
                       ...) __attribute__((format(printf, 5, 6)));
static enum fk_err bad(char *why, size_t size, const char *file, const char *field, const char *fmt,
                       ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(why, size, "%s: %s: %s", file, field, msg);
    return FK_ERR_INVALID;
}

/* Rejects members of `obj` not in the NULL-terminated `allowed`. */
static enum fk_err only_keys(json_t *obj, const char *const *allowed, const char *file,
                             const char *where, char *why, size_t size)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char field[96];
            snprintf(field, sizeof(field), "%s%s%.40s", where, where[0] ? "." : "", key);
            return bad(why, size, file, field, "unknown member");
        }
    }
    return FK_OK;
}

static enum fk_err str_member(json_t *obj, const char *name, const char *where, int required,
                              char *out, size_t out_size, const char *file, char *why, size_t size)
{
    char field[96];
    snprintf(field, sizeof(field), "%s%s%s", where, where[0] ? "." : "", name);
    json_t *v = json_object_get(obj, name);
    if (v == NULL) {
        if (required)
            return bad(why, size, file, field, "missing");
        out[0] = '\0';
        return FK_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) != strlen(json_string_value(v)))
        return bad(why, size, file, field, "must be a non-empty string");
    if (json_string_length(v) >= out_size)
        return bad(why, size, file, field, "longer than %zu bytes", out_size - 1);
    for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return bad(why, size, file, field, "contains a control character");
    snprintf(out, out_size, "%s", json_string_value(v));
    return FK_OK;
}

static enum fk_err int_member(json_t *obj, const char *name, const char *where, int required,
                              int min, int max, int *out, const char *file, char *why, size_t size)
{
    char field[96];
    snprintf(field, sizeof(field), "%s%s%s", where, where[0] ? "." : "", name);
    json_t *v = json_object_get(obj, name);
    if (v == NULL) {
        if (required)
            return bad(why, size, file, field, "missing");
        return FK_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return bad(why, size, file, field, "must be an integer from %d to %d", min, max);
    *out = (int)json_integer_value(v);
    return FK_OK;
}

/* "levels": a non-empty array of level names, each once and in `allowed`. */
static enum fk_err levels_member(json_t *obj, const char *where, unsigned allowed, int lifted_ok,
                                 unsigned *out, const char *file, char *why, size_t size)
{
    char field[96];
    snprintf(field, sizeof(field), "%s%slevels", where, where[0] ? "." : "");
    json_t *v = json_object_get(obj, "levels");
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 3)
        return bad(why, size, file, field, "must be an array of 1-3 of high, medium, low");
    *out = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        int l = fk_risk_level_from_name(json_string_value(json_array_get(v, i)));
        char item[136];
        snprintf(item, sizeof(item), "%s[%zu]", field, i);
        if (l < (lifted_ok ? 0 : 1) || (allowed != 0 && !(allowed & (1u << l))))
            return bad(why, size, file, item, "must be one of the set's risk_levels");
        if (*out & (1u << l))
            return bad(why, size, file, item, "repeated");
        *out |= 1u << l;
    }
    return FK_OK;
}

static enum fk_err parse_rule(json_t *r, size_t i, struct fk_hrules *set, const char *file,
                              char *why, size_t size)
{
    static const char *const keys[] = {"id",          "kind",     "color",  "label",
                                       "levels",      "from_day", "to_day", "within_days",
                                       "expire_days", "match",    NULL};
    char where[32], field[64], text[32];
    snprintf(where, sizeof(where), "rules[%zu]", i);
    if (!json_is_object(r))
        return bad(why, size, file, where, "must be an object");
    struct fk_hrule *rule = &set->rules[set->n_rules];
    memset(rule, 0, sizeof(*rule));
    enum fk_err err = only_keys(r, keys, file, where, why, size);
    if (err == FK_OK)
        err = str_member(r, "id", where, 1, rule->id, sizeof(rule->id), file, why, size);
    if (err != FK_OK)
        return err;
    snprintf(field, sizeof(field), "%s.id", where);
    for (const char *p = rule->id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return bad(why, size, file, field, "only a-z, 0-9 and _");
    for (int j = 0; j < set->n_rules; j++)
        if (strcmp(set->rules[j].id, rule->id) == 0)
            return bad(why, size, file, field, "repeats rules[%d].id", j);
    if ((err = str_member(r, "kind", where, 1, text, sizeof(text), file, why, size)) != FK_OK)
        return err;
    snprintf(field, sizeof(field), "%s.kind", where);
    if (strcmp(text, "risk_resident") == 0)
        rule->kind = FK_RULE_RISK_RESIDENT;
    else if ((rule->kind = (int)fk_health_fact_from_name(text)) == 0)
        return bad(why, size, file, field,
                   "unknown kind (case, close_contact, secondary_contact, central_quarantine, "
                   "home_quarantine, risk_stay, risk_arrival, arrival, tests_owed, "
                   "overdue_test, fever, pool_recall, risk_resident)");
    if ((err = str_member(r, "color", where, 1, text, sizeof(text), file, why, size)) != FK_OK)
        return err;
    int c = fk_health_color_from_name(text);
    snprintf(field, sizeof(field), "%s.color", where);
    if (c != FK_HEALTH_RED && c != FK_HEALTH_YELLOW)
        return bad(why, size, file, field, "must be red or yellow");
    rule->color = (enum fk_health_color)c;
    if ((err = str_member(r, "label", where, 1, rule->label, sizeof(rule->label), file, why,
                          size)) != FK_OK)
        return err;
    int risk = rule->kind == FK_RULE_RISK_RESIDENT || rule->kind == FK_FACT_RISK_STAY ||
               rule->kind == FK_FACT_RISK_ARRIVAL || rule->kind == FK_FACT_ARRIVAL;
    if (risk) {
        if ((err = levels_member(r, where, set->levels, 0, &rule->levels, file, why, size)) !=
            FK_OK)
            return err;
    } else if (json_object_get(r, "levels") != NULL) {
        snprintf(field, sizeof(field), "%s.levels", where);
        return bad(why, size, file, field, "only for risk kinds");
    }
    if ((err = int_member(r, "from_day", where, 0, 0, 365, &rule->from_day, file, why, size)) !=
            FK_OK ||
        (err = int_member(r, "to_day", where, 0, 1, 365, &rule->to_day, file, why, size)) !=
            FK_OK ||
        (err = int_member(r, "within_days", where, 0, 1, 365, &rule->within_days, file, why,
                          size)) != FK_OK ||
        (err = int_member(r, "expire_days", where, 0, 0, 365, &rule->expire_days, file, why,
                          size)) != FK_OK)
        return err;
    if (rule->to_day != 0 && rule->to_day <= rule->from_day) {
        snprintf(field, sizeof(field), "%s.to_day", where);
        return bad(why, size, file, field, "must be greater than from_day");
    }
    if (rule->kind == FK_RULE_RISK_RESIDENT &&
        (rule->from_day || rule->to_day || rule->within_days || rule->expire_days)) {
        snprintf(field, sizeof(field), "%s.kind", where);
        return bad(why, size, file, field,
                   "risk_resident holds while the area is in force: no day conditions");
    }
    if ((err = str_member(r, "match", where, rule->kind == FK_FACT_ARRIVAL, text, sizeof(text),
                          file, why, size)) != FK_OK)
        return err;
    snprintf(field, sizeof(field), "%s.match", where);
    if (text[0] != '\0' && rule->kind != FK_FACT_ARRIVAL)
        return bad(why, size, file, field, "only for kind arrival");
    if (strcmp(text, "area") == 0)
        rule->match = FK_MATCH_AREA;
    else if (strcmp(text, "county") == 0)
        rule->match = FK_MATCH_COUNTY;
    else if (text[0] != '\0')
        return bad(why, size, file, field, "must be area or county");
    if (rule->kind == FK_FACT_ARRIVAL && rule->within_days == 0) {
        snprintf(field, sizeof(field), "%s.within_days", where);
        return bad(why, size, file, field, "required for kind arrival");
    }
    int look = rule->expire_days;
    if (rule->within_days > look)
        look = rule->within_days;
    if (rule->to_day > look)
        look = rule->to_day;
    if (look > set->longest_days)
        set->longest_days = look;
    set->n_rules++;
    return FK_OK;
}

enum fk_err fk_hrules_parse(const char *text, size_t len, const char *file, struct fk_hrules *out,
                            char *why, size_t why_size)
{
    static const char *const keys[] = {
        "name",        "version", "effective_date",  "title", "window_days",
        "risk_levels", "rules",   "risk_area_steps", "note",  NULL};
    memset(out, 0, sizeof(*out));
    if (len > FK_HRULES_FILE_MAX)
        return bad(why, why_size, file, "(file)", "larger than %d bytes", FK_HRULES_FILE_MAX);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return bad(why, why_size, file, "(json)", "line %d: %s", jerr.line, jerr.text);
    enum fk_err err = FK_OK;
    if (!json_is_object(root)) {
        err = bad(why, why_size, file, "(file)", "must be a JSON object");
        goto fail;
    }
    if ((err = only_keys(root, keys, file, "", why, why_size)) != FK_OK ||
        (err = str_member(root, "name", "", 1, out->name, sizeof(out->name), file, why,
                          why_size)) != FK_OK ||
        (err = str_member(root, "version", "", 1, out->version, sizeof(out->version), file, why,
                          why_size)) != FK_OK ||
        (err = str_member(root, "effective_date", "", 1, out->effective_date,
                          sizeof(out->effective_date), file, why, why_size)) != FK_OK ||
        (err = str_member(root, "title", "", 1, out->title, sizeof(out->title), file, why,
                          why_size)) != FK_OK)
        goto fail;
    for (const char *p = out->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
            err = bad(why, why_size, file, "name", "only a-z, 0-9, - and _");
            goto fail;
        }
    if (strlen(out->effective_date) != 10 ||
        fk_time_parse(out->effective_date, &out->effective_at) != FK_OK) {
        err = bad(why, why_size, file, "effective_date", "must be a date YYYY-MM-DD");
        goto fail;
    }
    out->window_days = 7;
    if ((err = int_member(root, "window_days", "", 0, 1, 60, &out->window_days, file, why,
                          why_size)) != FK_OK)
        goto fail;
    json_t *lv = json_object_get(root, "risk_levels");
    if (lv == NULL) {
        err = bad(why, why_size, file, "risk_levels", "missing");
        goto fail;
    }
    {
        json_t *wrap = json_pack("{s:O}", "levels", lv);
        err =
            wrap ? levels_member(wrap, "", 0, 0, &out->levels, file, why, why_size) : FK_ERR_NOMEM;
        json_decref(wrap);
        if (err != FK_OK) {
            /* name the member as the file spells it */
            char *p = strstr(why, ": levels");
            if (p != NULL)
                snprintf(why, why_size, "%s: risk_levels: %s", file,
                         "must be an array of 1-3 of high, medium, low, each once");
            goto fail;
        }
    }
    json_t *steps = json_object_get(root, "risk_area_steps");
    if (steps != NULL) {
        if (!json_is_array(steps) || json_array_size(steps) > FK_HRULES_MAX_STEPS) {
            err = bad(why, why_size, file, "risk_area_steps", "must be an array of at most %d",
                      FK_HRULES_MAX_STEPS);
            goto fail;
        }
        static const char *const step_keys[] = {"level", "days_without_case", "then", NULL};
        for (size_t i = 0; i < json_array_size(steps); i++) {
            json_t *s = json_array_get(steps, i);
            char where[48], name[16];
            snprintf(where, sizeof(where), "risk_area_steps[%zu]", i);
            struct fk_hrule_step *step = &out->steps[out->n_steps];
            if (!json_is_object(s)) {
                err = bad(why, why_size, file, where, "must be an object");
                goto fail;
            }
            if ((err = only_keys(s, step_keys, file, where, why, why_size)) != FK_OK ||
                (err = str_member(s, "level", where, 1, name, sizeof(name), file, why, why_size)) !=
                    FK_OK)
                goto fail;
            step->level = fk_risk_level_from_name(name);
            char field[80];
            snprintf(field, sizeof(field), "%s.level", where);
            if (step->level < 1 || !(out->levels & (1u << step->level))) {
                err = bad(why, why_size, file, field, "must be one of the set's risk_levels");
                goto fail;
            }
            if (fk_hrules_step(out, step->level) != NULL) {
                err = bad(why, why_size, file, field, "repeated");
                goto fail;
            }
            if ((err = int_member(s, "days_without_case", where, 1, 0, 60, &step->days_without_case,
                                  file, why, why_size)) != FK_OK ||
                (err = str_member(s, "then", where, 1, name, sizeof(name), file, why, why_size)) !=
                    FK_OK)
                goto fail;
            step->then = fk_risk_level_from_name(name);
            snprintf(field, sizeof(field), "%s.then", where);
            if (step->then < 0 || step->then >= step->level ||
                (step->then > 0 && !(out->levels & (1u << step->then)))) {
                err =
                    bad(why, why_size, file, field, "must be a lower level of the set, or lifted");
                goto fail;
            }
            out->n_steps++;
        }
    }
    json_t *rules = json_object_get(root, "rules");
    if (!json_is_array(rules) || json_array_size(rules) == 0 ||
        json_array_size(rules) > FK_HRULES_MAX_RULES) {
        err = bad(why, why_size, file, "rules", "must be an array of 1-%d rules",
                  FK_HRULES_MAX_RULES);
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(rules); i++)
        if ((err = parse_rule(json_array_get(rules, i), i, out, file, why, why_size)) != FK_OK)
            goto fail;
    snprintf(out->origin, sizeof(out->origin), "embedded");
fail:
    json_decref(root);
    if (err != FK_OK && err != FK_ERR_INVALID)
        snprintf(why, why_size, "%s: out of memory", file);
    return err;
}

const struct fk_hrule_step *fk_hrules_step(const struct fk_hrules *set, int level)
{
    for (int i = 0; i < set->n_steps; i++)
        if (set->steps[i].level == level)
            return &set->steps[i];
    return NULL;
}

/* The loaded sets: start-up configuration, written before threads start
 * (fk_hrules_init) or once under `sets_once`, read-only afterwards. */
static struct fk_hrules sets[FK_HRULES_MAX_SETS];
static size_t n_sets;
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;
static int sets_loaded;

static enum fk_err add_set(const struct fk_hrules *set, char *why, size_t why_size)
{
    for (size_t i = 0; i < n_sets; i++)
        if (strcmp(sets[i].name, set->name) == 0) {
            sets[i] = *set;
            return FK_OK;
        }
    if (n_sets >= FK_HRULES_MAX_SETS) {
        snprintf(why, why_size, "more than %d rule sets", FK_HRULES_MAX_SETS);
        return FK_ERR_TOO_LARGE;
    }
    sets[n_sets++] = *set;
    return FK_OK;
}

static enum fk_err load_embedded(char *why, size_t why_size)
{
    static struct fk_hrules set;
    n_sets = 0;
    for (const struct fk_rules_file *f = fk_rules_files; f->name != NULL; f++) {
        char file[128];
        snprintf(file, sizeof(file), "rules/%s", f->name);
        enum fk_err err = fk_hrules_parse(f->text, strlen(f->text), file, &set, why, why_size);
        if (err == FK_OK)
            err = add_set(&set, why, why_size);
        if (err != FK_OK)
            return err;
    }
    sets_loaded = 1;
    return FK_OK;
}

static void load_once(void)
{
    char why[256];
    if (!sets_loaded && load_embedded(why, sizeof(why)) != FK_OK)
        fprintf(stderr, "fangkong: embedded rules: %s\n", why);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum fk_err fk_hrules_init(const char *dir, char *why, size_t why_size)
{
    enum fk_err err = load_embedded(why, why_size);
    if (err != FK_OK || dir == NULL || dir[0] == '\0')
        return err;
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(why, why_size, "--rules-dir %s: cannot open the directory", dir);
        return FK_ERR_IO;
    }
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && e->d_name[0] != '.') {
            if (n == sizeof(names) / sizeof(names[0])) {
                snprintf(why, why_size, "--rules-dir %s: more than 64 files", dir);
                err = FK_ERR_TOO_LARGE;
                break;
            }
            if ((names[n] = strdup(e->d_name)) == NULL) {
                err = FK_ERR_NOMEM;
                break;
            }
            n++;
        }
    }
    closedir(d);
    if (err == FK_OK)
        qsort(names, n, sizeof(names[0]), by_name);
    static struct fk_hrules set;
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *fp = fopen(path, "rb");
        char *text = malloc(FK_HRULES_FILE_MAX + 1);
        size_t len = 0;
        if (fp == NULL || text == NULL) {
            snprintf(why, why_size, "%s: cannot read", path);
            err = FK_ERR_IO;
        } else {
            len = fread(text, 1, FK_HRULES_FILE_MAX + 1, fp);
            if (ferror(fp)) {
                snprintf(why, why_size, "%s: cannot read", path);
                err = FK_ERR_IO;
            }
        }
        if (err == FK_OK)
            err = fk_hrules_parse(text, len, path, &set, why, why_size);
        if (err == FK_OK) {
            snprintf(set.origin, sizeof(set.origin), "rules-dir");
            err = add_set(&set, why, why_size);
        }
        free(text);
        if (fp != NULL)
            fclose(fp);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return err;
}

size_t fk_hrules_count(void)
{
    pthread_once(&sets_once, load_once);
    return n_sets;
}

const struct fk_hrules *fk_hrules_at(size_t i)
{
    return i < fk_hrules_count() ? &sets[i] : NULL;
}

const struct fk_hrules *fk_hrules_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < fk_hrules_count(); i++)
        if (strcmp(sets[i].name, name) == 0)
            return &sets[i];
    return NULL;
}

enum fk_err fk_hrules_active(struct fk_conn *db, int64_t now, const struct fk_hrules **out)
{
    *out = NULL;
    size_t count = fk_hrules_count();
    if (count == 0)
        return FK_ERR_INTERNAL;
    struct fk_stmt *st = NULL;
    int row = 0;
    enum fk_err err = fk_db_query(db, &st, &row,
                                  "SELECT name FROM health_rule_schedule WHERE effective_from <= "
                                  "? ORDER BY effective_from DESC, id DESC LIMIT 1",
                                  "i", now);
    if (err != FK_OK)
        return err;
    if (row)
        *out = fk_hrules_find(fk_stmt_text(st, 0));
    fk_stmt_free(st);
    if (*out != NULL)
        return FK_OK;
    const struct fk_hrules *best = NULL, *earliest = NULL;
    for (size_t i = 0; i < count; i++) {
        const struct fk_hrules *s = &sets[i];
        if (earliest == NULL || s->effective_at < earliest->effective_at)
            earliest = s;
        if (s->effective_at <= now && (best == NULL || s->effective_at > best->effective_at))
            best = s;
    }
    *out = best != NULL ? best : earliest;
    return FK_OK;
}
