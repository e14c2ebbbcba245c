/* Engine-independent part of notifications and cross-process sections. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

struct eyni_store_listener {
    eyni_store *store;
    char channel[64];
    void *conn; /* engine's listening connection; NULL when none is open */
};

static int valid_channel(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n >= 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || c[i] == '_' || (i && c[i] >= '0' && c[i] <= '9')))
            return 0;
    return 1;
}

int eyni_store_listen(eyni_store *s, const char *channel, eyni_store_listener **out,
                      eyni_error *err)
{
    if (!valid_channel(channel))
        return eyni_error_set(err, EYNI_EINVAL, "store: bad channel name '%.64s'", channel);
    eyni_store_listener *l = calloc(1, sizeof *l);
    if (!l)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    l->store = s;
    snprintf(l->channel, sizeof l->channel, "%s", channel);
    if (s->engine->listen) {
        int rc = s->engine->listen(s, channel, &l->conn, err);
        if (rc) {
            free(l);
            return rc;
        }
    }
    *out = l;
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int eyni_store_listener_wait(eyni_store_listener *l, int timeout_ms, eyni_error *err)
{
    const store_engine *e = l->store->engine;
    if (!e->wait) {
        sleep_ms(timeout_ms);
        return 0;
    }
    if (!l->conn) { /* lost earlier: listen again before waiting */
        int rc = e->listen(l->store, l->channel, &l->conn, err);
        if (rc) {
            sleep_ms(timeout_ms);
            return rc;
        }
        return 1; /* notifications may have been missed while away: treat as woken */
    }
    int rc = e->wait(l->store, l->conn, l->channel, timeout_ms, err);
    if (rc < 0) {
        e->unlisten(l->conn);
        l->conn = NULL;
    }
    return rc;
}

void eyni_store_listener_close(eyni_store_listener *l)
{
    if (!l)
        return;
    if (l->conn)
        l->store->engine->unlisten(l->conn);
    free(l);
}

int eyni_store_section_enter(eyni_store *s, int64_t key, eyni_db **held, eyni_error *err)
{
    *held = NULL;
    if (!s->engine->section)
        return 0;
    int rc = eyni_store_acquire(s, held, err);
    if (rc == 0 && (rc = s->engine->section(*held, key, 1, err)) != 0) {
        eyni_store_release(s, *held);
        *held = NULL;
    }
    return rc;
}

void eyni_store_section_leave(eyni_store *s, eyni_db *held)
{
    if (!held)
        return;
    if (s->engine->section) {
        eyni_error ignore;
        s->engine->section(held, 0, 0, &ignore);
    }
    eyni_store_release(s, held);
}
