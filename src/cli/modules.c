/* Start-up wiring of the modules' event subscriptions (core/events.h).
 *
 * The order of the lines below is the order subscribers of one kind run in
 * (docs/internals/modules.md, "Events"). Every command that opens a store
 * (fk_cli_open) calls this once, before any thread starts. */
#include "cards/cards.h"
#include "cli/cli.h"
#include "core/events.h"
#include "healthcode/healthcode.h"
#include "venues/venues.h"

#include <stdio.h>

int fk_modules_subscribe(void)
{
    static int done;
    if (done)
        return 0;
    enum fk_err err = FK_OK;
    /* Each module that reacts to another's events adds its line here, e.g.
     *     if (err == FK_OK) err = fk_cards_subscribe(); */
    if (err == FK_OK)
        err = fk_cards_subscribe();
    if (err == FK_OK)
        err = fk_healthcode_subscribe();
    if (err == FK_OK)
        err = fk_venues_subscribe();
    if (err != FK_OK) {
        fprintf(stderr, "fangkong: subscribing the modules' events failed\n");
        return 1;
    }
    done = 1;
    return 0;
}
