/* Health codes as JSON, for handlers (healthcode_api.c, threecodes,
 * selfservice): the current code as the API shows it. Handler-side; the
 * engine itself (healthcode.h) speaks structs. Implemented in
 * healthcode_view_store.c. */
#ifndef FK_HEALTHCODE_HEALTHCODE_JSON_H
#define FK_HEALTHCODE_HEALTHCODE_JSON_H

#include <jansson.h>
#include "healthcode/healthcode.h"

/* The person's current code as GET /api/v1/persons/{id}/health-code answers
 * it ({"color","label","reasons":[{"rule","color","label","cause","since",
 * "until"}],"since","rules_version",…}), re-evaluated first when stale (a
 * reason expired or another rule set is in force: that write is its own
 * transaction, so the caller must not be in one). *out receives a new
 * reference the caller frees with json_decref (NULL on failure). No
 * jurisdiction check and no audit entry here: the caller does both. */
enum fk_err fk_health_code_current(struct fk_conn *db, int64_t person_id,
                                   json_t **out) FK_MUST_CHECK;

#endif
