/* The pure rules of the four-colour cards. */
#include "cards/cards.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

static const struct {
    enum fk_card_color color;
    const char *name, *label;
} colors[] = {
    {FK_CARD_RED, "red", "红卡"},
    {FK_CARD_YELLOW, "yellow", "黄卡"},
    {FK_CARD_BLUE, "blue", "蓝卡"},
    {FK_CARD_GREEN, "green", "绿卡"},
};
#define N_COLORS (sizeof(colors) / sizeof(colors[0]))

enum fk_card_color fk_card_color_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_COLORS; i++)
        if (strcmp(colors[i].name, name) == 0)
            return colors[i].color;
    return 0;
}

const char *fk_card_color_name(enum fk_card_color color)
{
    for (size_t i = 0; i < N_COLORS; i++)
        if (colors[i].color == color)
            return colors[i].name;
    return "unknown";
}

const char *fk_card_color_label(enum fk_card_color color)
{
    for (size_t i = 0; i < N_COLORS; i++)
        if (colors[i].color == color)
            return colors[i].label;
    return "未知";
}

static void verdict(struct fk_gate_verdict *v, int allowed, const char *code, const char *reason)
{
    v->allowed = allowed;
    v->code = code;
    snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

void fk_card_gate_rule(enum fk_card_color color, int out, int64_t scanned_at, int64_t prev_exit_at,
                       int64_t next_exit_at, int64_t green_window, struct fk_gate_verdict *v)
{
    if (color < FK_CARD_RED || color > FK_CARD_GREEN) {
        verdict(v, 0, "unknown_card", "无效通行证，不得通行");
        return;
    }
    if (!out) {
        verdict(v, 1, "ok", "准予进入");
        return;
    }
    switch (color) {
    case FK_CARD_RED: verdict(v, 0, "red_card", "红卡（重点人员）不得外出"); return;
    case FK_CARD_YELLOW: verdict(v, 0, "yellow_card", "黄卡（隔离人员）不得外出"); return;
    case FK_CARD_BLUE: verdict(v, 1, "ok", "蓝卡（上班人员）准予外出"); return;
    case FK_CARD_GREEN: {
        int after_prev = prev_exit_at > 0 && scanned_at - prev_exit_at < green_window;
        int before_next = next_exit_at > 0 && next_exit_at - scanned_at < green_window;
        if (after_prev || before_next) {
            /* The window runs from the latest exit it collides with. */
            int64_t last = before_next ? next_exit_at : prev_exit_at;
            char next[FK_RFC3339_LEN];
            fk_time_format(last + green_window, next);
            next[16] = '\0'; /* YYYY-MM-DDTHH:MM */
            next[10] = ' ';
            v->allowed = 0;
            v->code = "green_used";
            snprintf(v->reason, sizeof(v->reason),
                     "绿卡 %lld 小时内只能外出一次，下次可外出时间 %s",
                     (long long)(green_window / 3600), next);
            return;
        }
        verdict(v, 1, "ok", "绿卡（采购人员）准予外出");
        return;
    }
    }
    verdict(v, 0, "unknown_card", "无效通行证，不得通行");
}
