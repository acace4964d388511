/* Checkpoint enumerations and their Chinese labels: the pure rules. The two
 * lookups other modules use live with the SQL in checkpoints_store.c. */
#include "checkpoints/checkpoints.h"

#include <stdio.h>
#include <string.h>

struct label {
    const char *name, *label;
};

static const struct label types[] = {
    {"highway_exit", "高速出口"},  {"road", "国省道卡口"}, {"railway_station", "火车站"},
    {"bus_station", "汽车站"},     {"airport", "机场"},    {"community_gate", "社区卡口"},
    {"compound_gate", "小区门岗"},
};
static const struct label posts[] = {
    {"leader", "带班负责人"}, {"inspector", "查验员"}, {"sampler", "采样员"},
    {"police", "民警"},       {"medic", "医务人员"},   {"volunteer", "志愿者"},
};
static const struct label kinds[] = {
    {"ran_checkpoint", "闯卡"},
    {"refused_check", "拒不配合检查"},
    {"assault", "殴打工作人员"},
    {"other", "其他"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct label *find(const struct label *list, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            return &list[i];
    return NULL;
}

int fk_checkpoint_type_known(const char *name)
{
    return find(types, N(types), name) != NULL;
}

const char *fk_checkpoint_type_label(const char *name)
{
    const struct label *l = find(types, N(types), name);
    return l ? l->label : name;
}

int fk_checkpoint_type_is_gate(const char *name)
{
    return name != NULL &&
           (strcmp(name, "community_gate") == 0 || strcmp(name, "compound_gate") == 0);
}

const char *fk_checkpoint_level_label(int level)
{
    static const char *const labels[] = {"", "一级（省市界）", "二级（区县界）", "三级（乡镇）",
                                         "四级（社区）"};
    return level >= 1 && level <= 4 ? labels[level] : "";
}

int fk_checkpoint_post_known(const char *name)
{
    return find(posts, N(posts), name) != NULL;
}

const char *fk_checkpoint_post_label(const char *name)
{
    const struct label *l = find(posts, N(posts), name);
    return l ? l->label : name;
}

int fk_checkpoint_incident_kind_known(const char *name)
{
    return find(kinds, N(kinds), name) != NULL;
}

const char *fk_checkpoint_incident_kind_label(const char *name)
{
    const struct label *l = find(kinds, N(kinds), name);
    return l ? l->label : name;
}
