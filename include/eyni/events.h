/*
 * eyni/events.h - a hub that pushes server events (video alerts) to subscribers as
 * Server-Sent Events. Publishers (camera threads) call eyni_events_publish; the HTTP server
 * streams each event to every subscriber as "id: N / event: NAME / data: JSON". The last
 * EYNI_EVENTS_KEEP events are kept, so a subscriber that reconnects with Last-Event-ID
 * misses nothing recent. Thread-safe.
 */
#ifndef EYNI_EVENTS_H
#define EYNI_EVENTS_H

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_EVENTS_KEEP            256
#define EYNI_EVENTS_MAX_SUBSCRIBERS 64
#define EYNI_EVENTS_KEEPALIVE_MS    15000

typedef struct eyni_events eyni_events;

int eyni_events_new(eyni_events **out, eyni_error *err);
/* Ends every stream, then frees the hub (after the server has stopped). */
void eyni_events_free(eyni_events *ev);
/* Ends every open stream (before stopping the server). */
void eyni_events_close(eyni_events *ev);
/* Who may receive an event that not every subscriber may see: subscribers of the owner
 * agency, of an agency in visible (",A,B," as watchlists keep it; ",*," is every agency), and
 * operators. It is the rule of every watchlist read (register_int.h REG_WATCH_VISIBLE_SQL),
 * for the alerts raised by a watchlist entry's face and the decisions on them. */
typedef struct eyni_events_audience {
    const char *owner;
    const char *visible;
} eyni_events_audience;

/* Who subscribes: the agency of the caller's key, and whether the caller is an operator. */
typedef struct eyni_events_subscriber {
    const char *agency; /* "" or NULL: none (the webhook) */
    int is_operator;
} eyni_events_subscriber;

/* 1 when a subscriber is in the audience (NULL audience: everyone is; a subscriber of no
 * agency only when every agency is). */
int eyni_events_audience_has(const eyni_events_audience *aud, const eyni_events_subscriber *who);

/* Queues one event: name is a short token ("alert"), data a JSON object (not stolen);
 * the event id is id when > 0 (e.g. the stored alert's id), else the hub's own count.
 * audience NULL: every subscriber receives it; else only those in the audience. */
int eyni_events_publish(eyni_events *ev, const char *name, long long id, const json_t *data,
                        const eyni_events_audience *audience, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
