/* Structured JSON log lines on stderr: {"ts","level","event",...fields}. */
#ifndef FK_CORE_LOG_H
#define FK_CORE_LOG_H

#include <jansson.h>

enum fk_log_level { FK_LOG_DEBUG, FK_LOG_INFO, FK_LOG_WARN, FK_LOG_ERROR };

/* Sets the lowest level written (default FK_LOG_INFO). Start-up only. */
void fk_log_set_level(enum fk_log_level level);

/* Writes one line. `fields` may be NULL; it is consumed (decref'd) either way. */
void fk_log(enum fk_log_level level, const char *event, json_t *fields);

/* Convenience: one line with a "msg" string field; `event` and `msg` are
 * borrowed. */
void fk_log_msg(enum fk_log_level level, const char *event, const char *msg);

#endif
