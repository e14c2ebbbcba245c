/*
 * A camera: a reader thread (source -> bounded queue) and an analyser thread (queue ->
 * pipeline). A live stream cannot wait for the analyser, so a full queue drops its oldest
 * frame and keeps the newest; a file is read at the analyser's pace. A source that fails or
 * ends (live) is reopened after a delay that doubles up to a cap.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "video_int.h"

typedef struct queued {
    eyni_image *img;
    double t;
} queued;

struct eyni_video_camera {
    eyni_video_camera_config cfg;
    const eyni_face_engine *fe;
    const eyni_video_wanted *wanted;
    eyni_video_alert_fn fn;
    void *ctx;
    eyni_log *log;
    eyni_video_pipeline *pipe;
    pthread_t reader, analyser;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    queued q[EYNI_VIDEO_MAX_QUEUE];
    int qhead, qlen;
    int stop, reader_done, analyser_done;
    eyni_video_source *src; /* open source, for interrupting it on stop */
    double down_since;      /* eyni_time_ms() when the current outage began; 0 when up */
    double down_ms;         /* ended outages */
    eyni_video_camera_stats st;
};

/* ---- queue ---------------------------------------------------------------------------- */

/* Called with mu held. Returns 0 when stopped before the frame could be queued. */
static int enqueue(eyni_video_camera *c, eyni_image *img, double t)
{
    while (!c->cfg.live && c->qlen == c->cfg.queue && !c->stop)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->stop)
        return 0;
    if (c->qlen == c->cfg.queue) { /* live: the oldest frame gives way */
        eyni_image_free(c->q[c->qhead].img);
        c->qhead = (c->qhead + 1) % EYNI_VIDEO_MAX_QUEUE;
        c->qlen--;
        c->st.dropped++;
    }
    c->q[(c->qhead + c->qlen) % EYNI_VIDEO_MAX_QUEUE] = (queued){img, t};
    c->qlen++;
    c->st.sampled++;
    c->st.queued = c->qlen;
    pthread_cond_broadcast(&c->cv);
    return 1;
}

/* Waits for a frame; 0 when the reader has finished and the queue is empty. */
static int dequeue(eyni_video_camera *c, queued *out)
{
    pthread_mutex_lock(&c->mu);
    while (c->qlen == 0 && !c->reader_done && !c->stop)
        pthread_cond_wait(&c->cv, &c->mu);
    int got = c->qlen > 0 && !c->stop;
    if (got) {
        *out = c->q[c->qhead];
        c->qhead = (c->qhead + 1) % EYNI_VIDEO_MAX_QUEUE;
        c->qlen--;
        c->st.queued = c->qlen;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return got;
}

/* ---- reader --------------------------------------------------------------------------- */

/* Sleeps ms unless stopped first; returns 1 when stopped. */
static int pause_ms(eyni_video_camera *c, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&c->mu);
    while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0)
        ;
    int stopped = c->stop;
    pthread_mutex_unlock(&c->mu);
    return stopped;
}

static void note_error(eyni_video_camera *c, const eyni_error *e)
{
    pthread_mutex_lock(&c->mu);
    snprintf(c->st.last_error, sizeof c->st.last_error, "%s", e->msg);
    pthread_mutex_unlock(&c->mu);
}

/* Adds the source's counters to the camera's totals (base = totals before this source). */
static void sync_counts(eyni_video_camera *c, const eyni_video_source *s, const uint64_t base[3])
{
    uint64_t dec, errs, rs;
    eyni_video_source_counts(s, &dec, &errs, &rs);
    pthread_mutex_lock(&c->mu);
    c->st.decoded = base[0] + dec;
    c->st.decode_errors = base[1] + errs;
    c->st.resizes = base[2] + rs;
    pthread_mutex_unlock(&c->mu);
}

/* Reads one connection until it ends; returns 1 at a clean end, else the error code. */
static int read_stream(eyni_video_camera *c, eyni_video_source *s, eyni_error *e)
{
    uint64_t base[3] = {c->st.decoded, c->st.decode_errors, c->st.resizes}, resizes = base[2];
    double wall0 = eyni_time_ms();
    for (;;) {
        eyni_image *img = NULL;
        double t = 0;
        int rc = eyni_video_source_read(s, &img, &t, e);
        sync_counts(c, s, base);
        if (c->st.resizes != resizes) {
            eyni_log_write(c->log, EYNI_LOG_WARN, "video_resize",
                           "camera %s: resolution changed mid-stream; followed", c->cfg.name);
            resizes = c->st.resizes;
        }
        if (rc)
            return rc;
        double due = wall0 + t * 1000 - eyni_time_ms();
        if (c->cfg.pace && due > 1 && pause_ms(c, (int)due)) {
            eyni_image_free(img);
            return 1;
        }
        pthread_mutex_lock(&c->mu);
        int queued_ok = enqueue(c, img, t);
        pthread_mutex_unlock(&c->mu);
        if (!queued_ok) {
            eyni_image_free(img);
            return 1;
        }
    }
}

static int stopped(eyni_video_camera *c)
{
    pthread_mutex_lock(&c->mu);
    int s = c->stop;
    pthread_mutex_unlock(&c->mu);
    return s;
}

static void set_source(eyni_video_camera *c, eyni_video_source *s)
{
    pthread_mutex_lock(&c->mu);
    c->src = s;
    c->st.connected = s != NULL;
    if (s && c->stop)
        eyni_video_source_interrupt(s);
    pthread_mutex_unlock(&c->mu);
}

static void *reader_main(void *arg)
{
    eyni_video_camera *c = arg;
    eyni_video_source_opts so = {.sample_fps = c->cfg.sample_fps, .timeout_ms = c->cfg.timeout_ms};
    int delay = c->cfg.backoff_min_ms;
    while (!stopped(c)) {
        eyni_error e = {0};
        eyni_video_source *s = NULL;
        int rc = eyni_video_source_open(c->cfg.url, &so, &s, &e);
        if (rc == 0) {
            set_source(c, s);
            pthread_mutex_lock(&c->mu);
            c->st.connects++;
            if (c->down_since > 0)
                c->down_ms += eyni_time_ms() - c->down_since;
            c->down_since = 0;
            pthread_mutex_unlock(&c->mu);
            eyni_log_write(c->log, EYNI_LOG_INFO, "video_connected", "camera %s: connected",
                           c->cfg.name);
            uint64_t before = c->st.decoded;
            rc = read_stream(c, s, &e);
            if (c->st.decoded > before)
                delay = c->cfg.backoff_min_ms; /* it worked for a while: start over */
            set_source(c, NULL);
            eyni_video_source_free(s);
        }
        if (stopped(c))
            break;
        if (rc == 1 && !c->cfg.live)
            break; /* a file read to its end */
        if (rc == 1)
            eyni_error_set(&e, EYNI_EIO, "%s: stream ended", c->cfg.name);
        note_error(c, &e);
        if (!c->cfg.live) {
            eyni_log_write(c->log, EYNI_LOG_ERROR, "video_failed", "camera %s: %s", c->cfg.name,
                           e.msg);
            break;
        }
        pthread_mutex_lock(&c->mu);
        c->st.outages++;
        if (c->down_since == 0)
            c->down_since = eyni_time_ms();
        pthread_mutex_unlock(&c->mu);
        eyni_log_write(c->log, EYNI_LOG_WARN, "video_outage",
                       "camera %s: %s; reconnecting in %d ms", c->cfg.name, e.msg, delay);
        if (pause_ms(c, delay))
            break;
        delay = delay * 2 > c->cfg.backoff_max_ms ? c->cfg.backoff_max_ms : delay * 2;
    }
    pthread_mutex_lock(&c->mu);
    c->reader_done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- analyser ------------------------------------------------------------------------- */

static void *analyser_main(void *arg)
{
    eyni_video_camera *c = arg;
    queued f;
    int w = 0, h = 0;
    while (dequeue(c, &f)) {
        eyni_error e = {0};
        int rc = 0;
        if ((w || h) && (f.img->width != w || f.img->height != h))
            rc = eyni_video_pipeline_flush(c->pipe, &e); /* boxes of the old size mean nothing */
        w = f.img->width, h = f.img->height;
        if (rc == 0)
            rc = eyni_video_pipeline_frame(c->pipe, f.img, f.t, &e);
        eyni_image_free(f.img);
        if (rc) {
            eyni_log_write(c->log, EYNI_LOG_ERROR, "video_analyse", "camera %s: %s", c->cfg.name,
                           e.msg);
            note_error(c, &e);
        }
        pthread_mutex_lock(&c->mu);
        eyni_video_pipeline_stats(c->pipe, &c->st.pipeline);
        pthread_mutex_unlock(&c->mu);
    }
    eyni_error e = {0};
    if (eyni_video_pipeline_flush(c->pipe, &e))
        note_error(c, &e);
    pthread_mutex_lock(&c->mu);
    eyni_video_pipeline_stats(c->pipe, &c->st.pipeline);
    c->analyser_done = 1;
    c->st.running = 0;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- life cycle ----------------------------------------------------------------------- */

static int check_config(eyni_video_camera_config *cfg, eyni_error *err)
{
    if (!memchr(cfg->name, 0, sizeof cfg->name) || !cfg->name[0] ||
        !memchr(cfg->url, 0, sizeof cfg->url) || !cfg->url[0])
        return eyni_error_set(err, EYNI_EINVAL, "camera: a name and an address are needed");
    if (cfg->sample_fps <= 0)
        cfg->sample_fps = 5;
    if (cfg->sample_fps > 60)
        return eyni_error_set(err, EYNI_EINVAL, "camera %s: sample rate above 60 per second",
                              cfg->name);
    if (cfg->queue <= 0)
        cfg->queue = 4;
    if (cfg->queue > EYNI_VIDEO_MAX_QUEUE)
        return eyni_error_set(err, EYNI_ELIMIT, "camera %s: queue above %d frames", cfg->name,
                              EYNI_VIDEO_MAX_QUEUE);
    if (cfg->backoff_min_ms <= 0)
        cfg->backoff_min_ms = 500;
    if (cfg->backoff_max_ms <= 0)
        cfg->backoff_max_ms = 30000;
    if (cfg->backoff_max_ms < cfg->backoff_min_ms)
        cfg->backoff_max_ms = cfg->backoff_min_ms;
    return 0;
}

int eyni_video_camera_start(const eyni_video_camera_config *cfg, const eyni_face_engine *fe,
                            const eyni_video_wanted *wanted, eyni_video_alert_fn fn, void *ctx,
                            eyni_log *log, eyni_video_camera **out, eyni_error *err)
{
    eyni_video_camera *c = calloc(1, sizeof *c);
    if (!c)
        return eyni_error_set(err, EYNI_ENOMEM, "camera: out of memory");
    c->cfg = *cfg;
    int rc = check_config(&c->cfg, err);
    if (rc == 0)
        rc = eyni_video_pipeline_new(fe, wanted, &c->cfg.pipeline, c->cfg.name, fn, ctx, &c->pipe,
                                     err);
    if (rc) {
        free(c);
        return rc;
    }
    c->fe = fe, c->wanted = wanted, c->fn = fn, c->ctx = ctx, c->log = log;
    c->st.running = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->analyser, NULL, analyser_main, c)) {
        eyni_video_pipeline_free(c->pipe);
        free(c);
        return eyni_error_set(err, EYNI_EINTERNAL, "camera %s: cannot start a thread", cfg->name);
    }
    if (pthread_create(&c->reader, NULL, reader_main, c)) {
        pthread_mutex_lock(&c->mu);
        c->stop = c->reader_done = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->analyser, NULL);
        eyni_video_pipeline_free(c->pipe);
        free(c);
        return eyni_error_set(err, EYNI_EINTERNAL, "camera %s: cannot start a thread", cfg->name);
    }
    *out = c;
    return 0;
}

void eyni_video_camera_wait(eyni_video_camera *c)
{
    pthread_mutex_lock(&c->mu);
    while (!c->analyser_done)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

void eyni_video_camera_stop(eyni_video_camera *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    if (c->src)
        eyni_video_source_interrupt(c->src);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->reader, NULL);
    pthread_join(c->analyser, NULL);
    while (c->qlen > 0) {
        eyni_image_free(c->q[c->qhead].img);
        c->qhead = (c->qhead + 1) % EYNI_VIDEO_MAX_QUEUE;
        c->qlen--;
    }
    eyni_video_pipeline_free(c->pipe);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

void eyni_video_camera_stats_get(eyni_video_camera *c, eyni_video_camera_stats *st)
{
    pthread_mutex_lock(&c->mu);
    *st = c->st;
    double down = c->down_ms + (c->down_since > 0 ? eyni_time_ms() - c->down_since : 0);
    st->outage_s = down / 1000;
    pthread_mutex_unlock(&c->mu);
}
