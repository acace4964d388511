/* Residents as JSON, for handlers: the one place a person or household
 * becomes the API's JSON. Handler-side (it knows roles and masking); the
 * registry itself (residents.h) speaks structs. */
#ifndef FK_RESIDENTS_RESIDENTS_JSON_H
#define FK_RESIDENTS_RESIDENTS_JSON_H

#include <jansson.h>
#include "residents/residents.h"

/* A person as the API shows it: ID number and phone opened and masked
 * unless `role` sees them in full (fk_role_sees_full_*), age as of now.
 * Without "merged_into" (a detail read adds it). Returns a new reference
 * (NULL when out of memory); borrows `p` and `key`. */
json_t *fk_person_to_json(const struct fk_person *p, const struct fk_pii_key *key, unsigned role);

/* A household as the API shows it (without members). Returns a new
 * reference; borrows `h`. */
json_t *fk_household_to_json(const struct fk_household *h);

#endif
