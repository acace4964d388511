/* In-process events: a fixed table of subscribers per kind (events.h). */
#include "core/events.h"
#include "core/log.h"

#include <jansson.h>
#include <stddef.h>

struct subscriber {
    fk_event_fn fn;
    void *ctx;
    const char *name;
};

static struct subscriber table[FK_EVENT_KIND_COUNT][FK_EVENT_MAX_SUBSCRIBERS];
static int counts[FK_EVENT_KIND_COUNT];

static int kind_valid(enum fk_event_kind kind)
{
    return kind > 0 && kind < FK_EVENT_KIND_COUNT;
}

enum fk_err fk_event_subscribe(enum fk_event_kind kind, fk_event_fn fn, void *ctx, const char *name)
{
    if (!kind_valid(kind) || fn == NULL)
        return FK_ERR_INVALID;
    for (int i = 0; i < counts[kind]; i++)
        if (table[kind][i].fn == fn)
            return FK_OK;
    if (counts[kind] == FK_EVENT_MAX_SUBSCRIBERS)
        return FK_ERR_TOO_LARGE;
    table[kind][counts[kind]++] = (struct subscriber){fn, ctx, name};
    return FK_OK;
}

enum fk_err fk_event_publish(struct fk_conn *db, const struct fk_event *event)
{
    if (event == NULL || !kind_valid(event->kind))
        return FK_ERR_INVALID;
    for (int i = 0; i < counts[event->kind]; i++) {
        const struct subscriber *s = &table[event->kind][i];
        enum fk_err err = s->fn(db, event, s->ctx);
        if (err != FK_OK) {
            fk_log(FK_LOG_WARN, "event_subscriber_failed",
                   json_pack("{s:i,s:s,s:s}", "kind", (int)event->kind, "subscriber",
                             s->name ? s->name : "?", "error", fk_err_name(err)));
            return err;
        }
    }
    return FK_OK;
}

void fk_event_reset(void)
{
    for (int k = 0; k < FK_EVENT_KIND_COUNT; k++)
        counts[k] = 0;
}
