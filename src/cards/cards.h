/* Four-colour community cards (四色通行证, DESIGN.md §2): issued per person
 * in a compound — red for key persons (三重人员), yellow for persons in
 * isolation, blue for staff who go out to work, green for the one shopper of
 * a household — and the gate rule that decides who may leave. The rules here
 * are pure (no SQL, no HTTP). */
#ifndef FK_CARDS_CARDS_H
#define FK_CARDS_CARDS_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

enum fk_card_color {
    FK_CARD_RED = 1,
    FK_CARD_YELLOW = 2,
    FK_CARD_BLUE = 3,
    FK_CARD_GREEN = 4,
};

/* Default: a green card goes out at most once per 48 hours. */
#define FK_CARD_GREEN_WINDOW_DEFAULT (48 * 3600)

/* "red", "yellow", "blue", "green" → the colour, or 0. */
enum fk_card_color fk_card_color_from_name(const char *name);
/* The API name and the Chinese label ("红卡", …) of a colour. */
const char *fk_card_color_name(enum fk_card_color color);
const char *fk_card_color_label(enum fk_card_color color);

/* The verdict of a gate scan: allowed or not, a stable reason code for
 * machines and a Chinese sentence for the gate keeper. */
struct fk_gate_verdict {
    int allowed;
    const char *code; /* "ok", "red_card", "yellow_card", "green_used", ... (static) */
    char reason[160]; /* Chinese */
};

/* The gate rule for a valid card of `color` scanned at `scanned_at` (epoch
 * seconds) going out (`out` != 0) or coming in. Green cards go out at most
 * once per `green_window` seconds, in both directions of time: `prev_exit_at`
 * is the latest allowed exit of the holder (or of the household's green slot)
 * at or before `scanned_at`, `next_exit_at` the earliest one after it (0:
 * none); an exit closer than `green_window` to either is refused ("green_used";
 * exactly `green_window` apart is allowed). Coming in is always allowed. */
void fk_card_gate_rule(enum fk_card_color color, int out, int64_t scanned_at, int64_t prev_exit_at,
                       int64_t next_exit_at, int64_t green_window, struct fk_gate_verdict *v);

struct fk_conn;

/* A person's card follows their status (DESIGN.md §4: entering quarantine
 * turns a card yellow): subscribes the cards to FK_EVENT_HOMEQ_STARTED (the
 * active card turns yellow, freeing the household's green slot) and to
 * FK_EVENT_HOMEQ_ENDED with outcome "released" (the card gets back the colour
 * it had before; green only while no other card of the household is green,
 * else it stays yellow and staff issue it again). Both run inside the
 * quarantine's transaction. Start-up only (src/cli/modules.c). */
enum fk_err fk_cards_subscribe(void) FK_MUST_CHECK;

/* Registers the card and gate-scan routes (cards_api.c). */
enum fk_err fk_cards_routes(void) FK_MUST_CHECK;

#endif
