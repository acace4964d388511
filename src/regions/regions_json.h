/* Regions for handlers: the checks every module's handlers share. Handler-
 * side (it replies); the region rules and reads are regions.h. */
#ifndef FK_REGIONS_REGIONS_JSON_H
#define FK_REGIONS_REGIONS_JSON_H

#include "http/http.h"
#include "regions/regions.h"

/* Reads the region `text` names (any accepted spelling, borrowed) into
 * *out when it exists and lies in the caller's jurisdiction: 0. Otherwise
 * replies 422 "region" (FK_E_REGION_FORMAT when malformed,
 * FK_E_REGION_UNKNOWN_FIELD when unknown or outside) or the store's
 * failure, and returns -1. */
int fk_region_in_reach_or_reply(struct fk_req *req, struct fk_conn *db, const char *text,
                                struct fk_region *out);

#endif
