/* Following the gallery change log written by other nodes: a thread waits for the
 * database's notification (PostgreSQL NOTIFY on eyni_gallery, sent at the commit of every
 * change) and applies the new changes at once; on a timeout it catches up anyway, so a
 * lost notification or a dropped connection delays a change by at most one poll period. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "identity_int.h"

struct eyni_identity_follower {
    eyni_identity *id;
    eyni_store_listener *listener;
    int poll_ms;
    atomic_int stop;
    atomic_llong wakes;  /* notifications received */
    atomic_llong errors; /* failed syncs or listens */
    pthread_t thread;
};

static void *follow(void *arg)
{
    eyni_identity_follower *f = arg;
    /* Short waits keep stopping prompt; a catch-up runs every poll_ms in any case. */
    int slice = f->poll_ms < 250 ? f->poll_ms : 250, waited = 0;
    while (!atomic_load(&f->stop)) {
        eyni_error err;
        int rc = eyni_store_listener_wait(f->listener, slice, &err);
        waited += slice;
        if (rc == 0 && waited < f->poll_ms)
            continue;
        if (rc == 1)
            atomic_fetch_add(&f->wakes, 1);
        waited = 0;
        if (rc < 0 || eyni_identity_sync(f->id, &err)) {
            atomic_fetch_add(&f->errors, 1);
            eyni_log_write(f->id->opts.log, EYNI_LOG_WARN, "gallery", "follow: %s", err.msg);
        }
    }
    return NULL;
}

int eyni_identity_follow(eyni_identity *id, int poll_ms, eyni_identity_follower **out,
                         eyni_error *err)
{
    if (poll_ms < 10 || poll_ms > 600000)
        return eyni_error_set(err, EYNI_EINVAL,
                              "identity: follow poll period %d ms not in "
                              "10..600000",
                              poll_ms);
    eyni_identity_follower *f = calloc(1, sizeof *f);
    if (!f)
        return eyni_error_set(err, EYNI_ENOMEM, "identity: out of memory");
    f->id = id;
    f->poll_ms = poll_ms;
    int rc = eyni_store_listen(eyni_register_store(id->reg), "eyni_gallery", &f->listener, err);
    /* Changes committed before LISTEN took effect are picked up here. */
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    if (rc == 0 && pthread_create(&f->thread, NULL, follow, f) != 0)
        rc = eyni_error_set(err, EYNI_ENOMEM, "identity: cannot start the follower thread");
    if (rc) {
        eyni_store_listener_close(f->listener);
        free(f);
        return rc;
    }
    *out = f;
    return 0;
}

json_t *eyni_identity_follow_stats(eyni_identity_follower *f)
{
    return json_pack("{s:i, s:I, s:I}", "poll_ms", f->poll_ms, "wakes",
                     (json_int_t)atomic_load(&f->wakes), "errors",
                     (json_int_t)atomic_load(&f->errors));
}

void eyni_identity_follow_stop(eyni_identity_follower *f)
{
    if (!f)
        return;
    atomic_store(&f->stop, 1);
    pthread_join(f->thread, NULL);
    eyni_store_listener_close(f->listener);
    free(f);
}
