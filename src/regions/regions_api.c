/* GET /api/v1/regions/{code}: a region of the caller's jurisdiction with
 * its path, its children and their counts. Parse, call, reply. */
#include "regions/regions_internal.h"
#include "regions/regions_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fk_region_in_reach_or_reply(struct fk_req *req, struct fk_conn *db, const char *text,
                                struct fk_region *out)
{
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(text, code, prefix, &reason) != FK_OK) {
        fk_reply_err(req, FK_E_REGION_FORMAT, "region");
        return -1;
    }
    enum fk_err err = fk_region_get(db, code, out);
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, out->prefix))) {
        fk_reply_err(req, FK_E_REGION_UNKNOWN_FIELD, "region");
        return -1;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return -1;
    }
    return 0;
}

/* The children read so far: their JSON and their prefixes. */
struct child_list {
    json_t *children; /* [{code, name, level, level_name, counts}] */
    json_t *counts;   /* one counts object per child, in the same order */
    char (*prefixes)[FK_REGION_CODE_LEN];
    size_t n, cap;
};

static enum fk_err add_child(const struct fk_region *r, void *ctx)
{
    struct child_list *list = ctx;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        void *grown = realloc(list->prefixes, cap * sizeof(*list->prefixes));
        if (grown == NULL)
            return FK_ERR_NOMEM;
        list->prefixes = grown;
        list->cap = cap;
    }
    snprintf(list->prefixes[list->n++], FK_REGION_CODE_LEN, "%s", r->prefix);
    json_t *counts = json_pack("{s:i,s:i,s:i,s:i}", "children", 0, "compounds", 0, "households", 0,
                               "persons", 0);
    json_array_append_new(list->counts, counts);
    return fk_json_append(list->children,
                          json_pack("{s:s,s:s,s:i,s:s,s:O}", "code", r->code, "name", r->name,
                                    "level", r->level, "level_name", fk_region_level_name(r->level),
                                    "counts", counts));
}

/* Counts `what` under each child into counts[key] and their sum (or, with
 * no children, the count under `prefix`) into totals[key] unless NULL. */
static enum fk_err tally(struct fk_conn *db, struct child_list *list, enum fk_region_tally what,
                         int level, const char *prefix, const char *key, json_t *totals)
{
    size_t n = list->n ? list->n : 1;
    const char **prefixes = malloc(n * sizeof(*prefixes));
    int64_t *counts = calloc(n, sizeof(*counts));
    enum fk_err err = prefixes && counts ? FK_OK : FK_ERR_NOMEM;
    for (size_t i = 0; i < n && err == FK_OK; i++)
        prefixes[i] = list->n ? list->prefixes[i] : prefix;
    if (err == FK_OK)
        err = fk_regions_tally(db, what, level, prefixes, n, counts);
    int64_t total = 0;
    for (size_t i = 0; i < n && err == FK_OK; i++) {
        total += counts[i];
        if (list->n)
            json_object_set_new(json_array_get(list->counts, i), key,
                                json_integer((json_int_t)counts[i]));
    }
    if (err == FK_OK && totals != NULL)
        json_object_set_new(totals, key, json_integer((json_int_t)total));
    free(prefixes);
    free(counts);
    return err;
}

static void get_region(struct fk_req *req)
{
    char code[FK_REGION_CODE_LEN], prefix[FK_REGION_CODE_LEN];
    const char *reason;
    if (fk_region_normalize(fk_req_param(req, "code"), code, prefix, &reason) != FK_OK) {
        fk_reply_err(req, FK_E_REGION_CODE_LENGTH, "code");
        return;
    }
    struct fk_conn *db = fk_req_db(req);
    if (db == NULL)
        return;
    struct fk_region region;
    enum fk_err err = fk_region_get(db, code, &region);
    /* Outside the caller's jurisdiction answers exactly like a missing region. */
    if (err == FK_ERR_NOT_FOUND || (err == FK_OK && !fk_req_covers(req, region.prefix))) {
        fk_reply_err(req, FK_E_REGION_NOT_FOUND, "code");
        return;
    }
    if (err != FK_OK) {
        fk_reply_fail(req, err, NULL);
        return;
    }

    /* Ancestors from the root down, for breadcrumbs. */
    json_t *path = json_array();
    char cursor[FK_REGION_CODE_LEN];
    snprintf(cursor, sizeof(cursor), "%s", region.parent);
    for (int guard = 0; cursor[0] != '\0' && guard < 8; guard++) {
        struct fk_region up;
        if (fk_region_get(db, cursor, &up) != FK_OK)
            break;
        json_array_insert_new(path, 0, json_pack("{s:s,s:s}", "code", up.code, "name", up.name));
        snprintf(cursor, sizeof(cursor), "%s", up.parent);
    }

    struct child_list list = {json_array(), json_array(), NULL, 0, 0};
    json_t *totals = json_object();
    err = fk_regions_children(db, region.code, add_child, &list);
    /* Grandchildren give each child its own "children" count; the total for
     * the region itself is set from the child list below. */
    if (err == FK_OK)
        err = tally(db, &list, FK_TALLY_REGIONS, region.level + 2, region.prefix, "children", NULL);
    if (err == FK_OK)
        err = tally(db, &list, FK_TALLY_REGIONS, 4, region.prefix, "compounds", totals);
    if (err == FK_OK)
        err = tally(db, &list, FK_TALLY_HOUSEHOLDS, 0, region.prefix, "households", totals);
    if (err == FK_OK)
        err = tally(db, &list, FK_TALLY_PERSONS, 0, region.prefix, "persons", totals);
    json_decref(list.counts);
    free(list.prefixes);
    if (err != FK_OK) {
        json_decref(path);
        json_decref(list.children);
        json_decref(totals);
        fk_reply_fail(req, err, NULL);
        return;
    }
    json_object_set_new(totals, "children",
                        json_integer((json_int_t)json_array_size(list.children)));
    fk_reply_json(req, 200,
                  json_pack("{s:s,s:s,s:i,s:s,s:s?,s:o,s:o,s:o}", "code", region.code, "name",
                            region.name, "level", region.level, "level_name",
                            fk_region_level_name(region.level), "parent",
                            region.parent[0] ? region.parent : NULL, "path", path, "counts", totals,
                            "children", list.children));
}

/* Every role but `resident`: residents have no jurisdiction to browse (the
 * counts of households and persons are staff information). */
#define STAFF_ROLES ((FK_ROLE_RESIDENT << 1) - 1 - FK_ROLE_RESIDENT)

static const struct fk_route routes[] = {
    {"GET", "/api/v1/regions/{code}", get_region, 0, STAFF_ROLES, "regions",
     "区划详情：下级区划及小区、户、人数统计（仅限本人辖区）", NULL},
};

enum fk_err fk_regions_routes(void)
{
    return fk_http_add_routes(routes, sizeof(routes) / sizeof(routes[0]));
}
