/*
 * Server-Sent Events. Each subscriber is one HTTP response read by libmicrohttpd through a
 * content callback. When nothing is waiting the callback suspends its connection (so no
 * server thread is held and nothing spins); a publish or the keep-alive ticker resumes it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_int.h"

typedef struct stored_event {
    uint64_t seq;
    char *text;            /* the whole SSE record */
    int restricted;        /* only for its audience */
    char *owner, *visible; /* the audience when restricted */
} stored_event;

struct srv_stream {
    eyni_events *hub;
    struct MHD_Connection *conn;
    uint64_t next; /* sequence of the next event to send */
    int suspended;
    char *pending; /* record being written */
    size_t plen, off;
    double last_ms; /* last write, for keep-alives */
    char agency[40];
    int is_operator;
    srv_stream *prev, *nxt;
};

struct eyni_events {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    stored_event ring[EYNI_EVENTS_KEEP];
    uint64_t seq; /* events published so far */
    srv_stream *subs;
    int nsubs;
    int closing, stop;
    pthread_t ticker;
};

static void resume_all(eyni_events *ev)
{
    for (srv_stream *s = ev->subs; s; s = s->nxt)
        if (s->suspended) {
            s->suspended = 0;
            MHD_resume_connection(s->conn);
        }
}

/* Wakes suspended streams now and then so they can send keep-alives or notice a close. */
static void *ticker_main(void *arg)
{
    eyni_events *ev = arg;
    pthread_mutex_lock(&ev->mu);
    while (!ev->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
        resume_all(ev);
    }
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

int eyni_events_new(eyni_events **out, eyni_error *err)
{
    eyni_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return eyni_error_set(err, EYNI_ENOMEM, "events: out of memory");
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    if (pthread_create(&ev->ticker, NULL, ticker_main, ev)) {
        free(ev);
        return eyni_error_set(err, EYNI_EINTERNAL, "events: cannot start a thread");
    }
    *out = ev;
    return 0;
}

void eyni_events_close(eyni_events *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->closing = 1;
    resume_all(ev);
    pthread_mutex_unlock(&ev->mu);
}

void eyni_events_free(eyni_events *ev)
{
    if (!ev)
        return;
    eyni_events_close(ev);
    pthread_mutex_lock(&ev->mu);
    ev->stop = 1;
    pthread_cond_broadcast(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    pthread_join(ev->ticker, NULL);
    for (int i = 0; i < EYNI_EVENTS_KEEP; i++) {
        free(ev->ring[i].text);
        free(ev->ring[i].owner);
        free(ev->ring[i].visible);
    }
    pthread_mutex_destroy(&ev->mu);
    pthread_cond_destroy(&ev->cv);
    free(ev);
}

int eyni_events_audience_has(const eyni_events_audience *aud, const eyni_events_subscriber *who)
{
    if (!aud || who->is_operator || (aud->visible && strstr(aud->visible, ",*,")))
        return 1;
    if (!who->agency || !who->agency[0])
        return 0;
    if (aud->owner && strcmp(aud->owner, who->agency) == 0)
        return 1;
    if (!aud->visible)
        return 0;
    char key[64];
    int n = snprintf(key, sizeof key, ",%s,", who->agency);
    return n > 0 && (size_t)n < sizeof key && strstr(aud->visible, key) != NULL;
}

/* The slot takes the event's audience (copies; NULL: everyone). */
static int keep_audience(stored_event *slot, const eyni_events_audience *aud)
{
    free(slot->owner);
    free(slot->visible);
    slot->owner = slot->visible = NULL;
    slot->restricted = aud != NULL;
    if (!aud)
        return 0;
    slot->owner = strdup(aud->owner ? aud->owner : "");
    slot->visible = strdup(aud->visible ? aud->visible : "");
    return slot->owner && slot->visible ? 0 : -1;
}

int eyni_events_publish(eyni_events *ev, const char *name, long long id, const json_t *data,
                        const eyni_events_audience *audience, eyni_error *err)
{
    char *json = json_dumps(data, JSON_COMPACT);
    if (!json)
        return eyni_error_set(err, EYNI_ENOMEM, "events: cannot encode the event");
    pthread_mutex_lock(&ev->mu);
    uint64_t seq = ev->seq++;
    size_t cap = strlen(json) + strlen(name) + 64;
    char *text = malloc(cap);
    if (text)
        snprintf(text, cap, "id: %lld\nevent: %s\ndata: %s\n\n", id > 0 ? id : (long long)seq + 1,
                 name, json);
    stored_event *slot = &ev->ring[seq % EYNI_EVENTS_KEEP];
    free(slot->text);
    slot->seq = seq;
    slot->text = text;
    if (keep_audience(slot, audience)) { /* no room to say who may see it: nobody does */
        free(slot->text);
        slot->text = text = NULL;
    }
    resume_all(ev);
    pthread_mutex_unlock(&ev->mu);
    free(json);
    return text ? 0 : eyni_error_set(err, EYNI_ENOMEM, "events: out of memory");
}

/* ---- streams (used by the server) ------------------------------------------------------ */

int srv_stream_open(eyni_events *ev, struct MHD_Connection *conn, const eyni_events_subscriber *who,
                    srv_stream **out, eyni_error *err)
{
    srv_stream *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "events: out of memory");
    s->hub = ev;
    s->conn = conn;
    snprintf(s->agency, sizeof s->agency, "%s", who->agency ? who->agency : "");
    s->is_operator = who->is_operator;
    s->last_ms = eyni_time_ms();
    pthread_mutex_lock(&ev->mu);
    int full = ev->nsubs >= EYNI_EVENTS_MAX_SUBSCRIBERS;
    if (!full) {
        s->next = ev->seq; /* from now on */
        s->nxt = ev->subs;
        if (ev->subs)
            ev->subs->prev = s;
        ev->subs = s;
        ev->nsubs++;
    }
    pthread_mutex_unlock(&ev->mu);
    if (full) {
        free(s);
        return eyni_error_set(err, EYNI_ELIMIT, "more than %d event subscribers",
                              EYNI_EVENTS_MAX_SUBSCRIBERS);
    }
    /* the greeting makes proxies and clients see the stream is open */
    s->pending = strdup(": eyni events\n\n");
    s->plen = s->pending ? strlen(s->pending) : 0;
    *out = s;
    return 0;
}

static int for_stream(const stored_event *e, const srv_stream *s)
{
    eyni_events_audience aud = {e->owner, e->visible};
    eyni_events_subscriber who = {s->agency, s->is_operator};
    return e->text && eyni_events_audience_has(e->restricted ? &aud : NULL, &who);
}

/* Picks the next record for s (called with the hub locked); 0 when there is none. Events
 * outside the subscriber's audience are passed over. */
static int next_record(eyni_events *ev, srv_stream *s)
{
    uint64_t oldest = ev->seq > EYNI_EVENTS_KEEP ? ev->seq - EYNI_EVENTS_KEEP : 0;
    if (s->next < oldest)
        s->next = oldest; /* a subscriber too slow for the ring loses the oldest */
    while (s->next < ev->seq) {
        stored_event *e = &ev->ring[s->next % EYNI_EVENTS_KEEP];
        s->next++;
        if (for_stream(e, s)) {
            s->pending = strdup(e->text);
            s->plen = s->pending ? strlen(s->pending) : 0;
            s->off = 0;
            return s->pending != NULL;
        }
    }
    if (eyni_time_ms() - s->last_ms >= EYNI_EVENTS_KEEPALIVE_MS) {
        s->pending = strdup(": keep-alive\n\n");
        s->plen = s->pending ? strlen(s->pending) : 0;
        s->off = 0;
        return s->pending != NULL;
    }
    return 0;
}

ssize_t srv_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    srv_stream *s = cls;
    eyni_events *ev = s->hub;
    pthread_mutex_lock(&ev->mu);
    if (!s->pending && !ev->closing && !next_record(ev, s)) {
        /* nothing to say: leave the event loop until a publish or a tick resumes us */
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        pthread_mutex_unlock(&ev->mu);
        return 0;
    }
    if (!s->pending) {
        pthread_mutex_unlock(&ev->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = s->plen - s->off < max ? s->plen - s->off : max;
    memcpy(buf, s->pending + s->off, n);
    s->off += n;
    if (s->off == s->plen) {
        free(s->pending);
        s->pending = NULL;
        s->plen = s->off = 0;
    }
    s->last_ms = eyni_time_ms();
    pthread_mutex_unlock(&ev->mu);
    return (ssize_t)n;
}

void srv_stream_free(void *cls)
{
    srv_stream *s = cls;
    eyni_events *ev = s->hub;
    pthread_mutex_lock(&ev->mu);
    if (s->prev)
        s->prev->nxt = s->nxt;
    else
        ev->subs = s->nxt;
    if (s->nxt)
        s->nxt->prev = s->prev;
    ev->nsubs--;
    pthread_mutex_unlock(&ev->mu);
    free(s->pending);
    free(s);
}
