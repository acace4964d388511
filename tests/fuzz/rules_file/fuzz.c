/* libFuzzer target for health-code rule-set files (the JSON files in rules/, and
 * --rules-dir files a site writes): strict parsing and validation, then the
 * evaluator on every kind of fact with the parsed set. A file that parses
 * must give a named set whose rules the evaluator can apply to any facts
 * without crashing, and a colour within range with its reasons. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "healthcode/healthcode_internal.h"

#define NOW_2022 INT64_C(1659312000) /* 2022-08-01 08:00 +08:00 */
#define DAY 86400

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FK_HRULES_FILE_MAX)
        return 0;
    static struct fk_hrules set; /* large: not on the stack */
    char why[512] = "";
    memset(&set, 0, sizeof(set));
    enum fk_err err =
        fk_hrules_parse((const char *)data, size, "fuzz.json", &set, why, sizeof(why));
    if (err != FK_OK) {
        check(err == FK_ERR_INVALID && why[0] != '\0' && strlen(why) < sizeof(why));
        return 0;
    }
    check(set.name[0] != '\0' && set.n_rules >= 0 && set.n_rules <= FK_HRULES_MAX_RULES);
    check(set.n_steps >= 0 && set.n_steps <= FK_HRULES_MAX_STEPS);
    /* Every fact kind, open and ended, against one local area and one outside county. */
    struct fk_hfact facts[2 * 12];
    size_t n = 0;
    for (int kind = 1; kind <= 12; kind++) {
        facts[n++] = (struct fk_hfact){.id = kind,
                                       .kind = kind,
                                       .level = kind % 4,
                                       .region = "141102001001",
                                       .started_at = NOW_2022 - 3 * DAY,
                                       .ended_at = 0,
                                       .detail = "fuzz"};
        facts[n++] = (struct fk_hfact){.id = 100 + kind,
                                       .kind = kind,
                                       .level = (kind + 1) % 4,
                                       .region = "420102",
                                       .started_at = NOW_2022 - 9 * DAY,
                                       .ended_at = NOW_2022 - DAY,
                                       .detail = "fuzz"};
    }
    struct fk_harea areas[2] = {
        {.id = 1,
         .level = 3,
         .outside = 0,
         .region = "141102001001",
         .prefix = "141102001001",
         .county = "141102",
         .name = "local",
         .from = NOW_2022 - 5 * DAY,
         .until = 0},
        {.id = 2,
         .level = 2,
         .outside = 1,
         .region = "420102",
         .prefix = "",
         .county = "420102",
         .name = "outside",
         .from = NOW_2022 - 20 * DAY,
         .until = NOW_2022 + 10 * DAY},
    };
    static struct fk_heval ev;
    for (int64_t t = NOW_2022 - 10 * DAY; t <= NOW_2022 + 30 * DAY; t += 5 * DAY) {
        fk_health_evaluate(&set, "141102001001001", facts, n, areas, 2, t, &ev);
        check(ev.color >= FK_HEALTH_GREEN && ev.color <= FK_HEALTH_RED);
        check(ev.n_reasons >= 0 && ev.n_reasons <= FK_HEVAL_MAX_REASONS);
        check(ev.n_reasons <= ev.n_total);
        check((ev.color == FK_HEALTH_GREEN) ==
              (ev.n_reasons == 0 || ev.reasons[0].color == FK_HEALTH_GREEN));
    }
    return 0;
}
