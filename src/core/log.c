#include "core/log.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>

static enum fk_log_level min_level = FK_LOG_INFO;

void fk_log_set_level(enum fk_log_level level)
{
    min_level = level;
}

static const char *level_name(enum fk_log_level level)
{
    switch (level) {
    case FK_LOG_DEBUG: return "debug";
    case FK_LOG_INFO: return "info";
    case FK_LOG_WARN: return "warn";
    case FK_LOG_ERROR: return "error";
    }
    return "info";
}

void fk_log(enum fk_log_level level, const char *event, json_t *fields)
{
    if (level < min_level) {
        json_decref(fields);
        return;
    }
    json_t *line = json_object();
    if (line == NULL) {
        json_decref(fields);
        return;
    }
    char ts[FK_RFC3339_LEN];
    fk_time_format(fk_now(), ts);
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level_name(level)));
    json_object_set_new(line, "event", json_string(event));
    if (json_is_object(fields))
        json_object_update(line, fields);
    json_decref(fields);
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(line);
    if (text != NULL) {
        /* One fputs per line so that threads do not interleave within it. */
        flockfile(stderr);
        fputs(text, stderr);
        fputc('\n', stderr);
        funlockfile(stderr);
        free(text);
    }
}

void fk_log_msg(enum fk_log_level level, const char *event, const char *msg)
{
    fk_log(level, event, json_pack("{s:s}", "msg", msg ? msg : ""));
}
