/*
 * The video watch service of eynid. A watcher thread looks at the store every few seconds:
 * registered cameras that are not running yet are started (each a reader and an analyser
 * thread), wanted faces added since the last look join the shared gallery, and alerts past
 * the retention period are deleted. The face engine is loaded only once a camera exists.
 * Each alert is stored (sealed snapshot, audited), then pushed to the event stream and, when
 * video.webhook_url is set, POSTed to the webhook (its own thread and bounded queue). Every
 * look also writes each camera's statistics to the store and stops the cameras removed
 * from it.
 */
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "eyni/video.h"
#include "eyni/video_desk.h"
#include "video_service.h"

#define SERVICE_MAX_CAMERAS 64
#define PURGE_EVERY_S       3600

struct video_service {
    cmd_env *env;
    eyni_events *events;
    eyni_actor actor; /* the service itself: operator role, local agency */
    eyni_onnx_env *onnx;
    eyni_face_engine *fe;
    eyni_video_wanted *wanted;
    long long wanted_last;    /* highest wanted id loaded */
    char removed_since[64];   /* time of the last wanted removal followed ("" at start) */
    char lookalike_since[64]; /* time of the last look-alike dismissal followed */
    char decided_since[64];   /* time of the last command-line decision announced */
    char watchlists[EYNI_DESK_MAX_WATCHLISTS]; /* video.watchlists: codes, "" none */
    long long *watch;                          /* watchlist entries in the gallery, sorted */
    size_t nwatch, capwatch;
    eyni_video_camera *cams[SERVICE_MAX_CAMERAS];
    char names[SERVICE_MAX_CAMERAS][EYNI_VIDEO_MAX_NAME];
    long long ids[SERVICE_MAX_CAMERAS]; /* store ids of the running cameras */
    eyni_video_webhook *webhook;        /* NULL when no video.webhook_url */
    int ncams;
    eyni_video_opts pipe; /* video.threshold, video.min_raw and the operating point */
    float blurred_copy;   /* video.blurred_copy: the cohort's copies, as add-wanted makes them */
    char cohort[1024];    /* video.cohort: list of non-wanted photos to normalise against */
    int retention_days, poll_s;
    time_t last_purge;
    pthread_t thread;
    pthread_mutex_t engine_mu; /* the engine is made once, by the watcher or by a request */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

/* An event about alert alert_id, to the desks that may see that alert (a watchlist's alerts
 * to the agencies that may read the list; *aud gets that audience); event_id as
 * eyni_events_publish takes it. */
static int push_to_audience(video_service *s, const char *name, long long alert_id,
                            long long event_id, const json_t *data, eyni_desk_audience *aud,
                            eyni_error *err)
{
    int rc = eyni_desk_alert_audience(s->env->reg, alert_id, aud, err);
    eyni_events_audience to = {aud->owner, aud->visible};
    return rc ? rc
              : eyni_events_publish(s->events, name, event_id, data, aud->restricted ? &to : NULL,
                                    err);
}

/* The webhook is no agency's desk: it receives what every agency may see, so an alert of a
 * watchlist shown to some agencies only stays on their desks. */
static void post_webhook(video_service *s, const json_t *o, const eyni_desk_audience *aud)
{
    eyni_error err = {0};
    eyni_events_audience to = {aud->owner, aud->visible};
    eyni_events_subscriber nobody = {NULL, 0};
    if (!s->webhook || !eyni_events_audience_has(aud->restricted ? &to : NULL, &nobody))
        return;
    char *body = json_dumps(o, JSON_COMPACT);
    if (body && eyni_video_webhook_post(s->webhook, body, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_webhook", "%s", err.msg);
    free(body);
}

/* A match a look-alike held back: kept, without a picture, against the look-alike's alert. */
static void on_held(void *ctx, const eyni_video_held *h)
{
    video_service *s = ctx;
    eyni_desk_held rec = {.camera = h->camera,
                          .track = h->track_id,
                          .wanted_id = h->person_id,
                          .score = h->score,
                          .lookalike = h->lookalike_key,
                          .lookalike_score = h->lookalike_score,
                          .seen_at = h->wall_time};
    eyni_error err = {0};
    if (eyni_desk_held_record(s->env->reg, &s->actor, &rec, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_lookalike",
                       "camera %s: held match not stored: %s", h->camera, err.msg);
}

static void on_alert(void *ctx, const eyni_video_alert *a)
{
    video_service *s = ctx;
    eyni_desk_alert al = {.camera = a->camera,
                          .track = a->track_id,
                          .wanted_id = a->person_id,
                          .label = a->label,
                          .score = a->score,
                          .fmr = a->fmr,
                          .normalised = a->norm >= 0,
                          .norm = a->norm,
                          .threshold = a->threshold,
                          .stream_time = a->alert_time,
                          .seen_at = a->wall_time,
                          .jpeg = a->jpeg,
                          .jpeg_len = a->jpeg_len,
                          .probe = a->probe};
    long long id = 0;
    eyni_error err = {0};
    if (eyni_desk_alert_record(s->env->reg, &s->actor, &al, &id, &err)) {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_alert",
                       "camera %s: alert not stored: %s", a->camera, err.msg);
        return;
    }
    /* the fields of the listed alert, so a subscriber knows whether to fetch a snapshot */
    json_t *o =
        json_pack("{s:I,s:s,s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:f,s:s,s:b,s:s}", "id", (json_int_t)id,
                  "camera", a->camera, "track", (json_int_t)a->track_id, "wanted_id",
                  (json_int_t)a->person_id, "label", a->label, "score", a->score, "norm", a->norm,
                  "threshold", a->threshold, "fmr_estimate", a->fmr, "stream_time", a->alert_time,
                  "seen_at", a->wall_time, "snapshot", a->jpeg_len > 0, "decision", "open");
    if (o && a->person_id >= EYNI_DESK_WATCH_ID_BASE) /* a watchlist entry's face */
        json_object_set_new(o, "watch_entry",
                            json_integer((json_int_t)(a->person_id - EYNI_DESK_WATCH_ID_BASE)));
    eyni_desk_audience aud;
    if (o && push_to_audience(s, "alert", id, id, o, &aud, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_alert", "not pushed: %s", err.msg);
    else if (o) /* with the audience known */
        post_webhook(s, o, &aud);
    json_decref(o);
    eyni_log_write(s->env->log, EYNI_LOG_WARN, "video_alert",
                   "alert %lld: camera %s, wanted %lld, score %.3f", id, a->camera,
                   (long long)a->person_id, a->score);
}

static int add_wanted(long long id, const char *label, const float emb[EYNI_FACE_DIM],
                      const float *blurred, void *ctx)
{
    video_service *s = ctx;
    eyni_error err = {0};
    if (id <= s->wanted_last)
        return 0;
    s->wanted_last = id;
    if (eyni_video_wanted_add(s->wanted, id, label, emb, &err) ||
        (blurred && eyni_video_wanted_add(s->wanted, id, label, blurred, &err)))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_wanted", "%s", err.msg);
    return 0;
}

/* A face whose warrant ended leaves the running cameras' gallery at the next look. */
static int drop_wanted(long long id, void *ctx)
{
    video_service *s = ctx;
    eyni_error err = {0};
    size_t n = 0;
    if (eyni_video_wanted_remove(s->wanted, id, &n, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_wanted", "%s", err.msg);
    else if (n)
        eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_wanted",
                       "wanted face %lld removed from the gallery (%zu entries)", id, n);
    return 0;
}

/* A face the desk dismissed as not being a wanted person: that person's alerts are held back
 * for faces closer to it than to his photo. */
static int add_lookalike(long long alert_id, long long wanted_id, const float emb[EYNI_FACE_DIM],
                         void *ctx)
{
    video_service *s = ctx;
    eyni_error err = {0};
    if (eyni_video_wanted_add_lookalike(s->wanted, wanted_id, alert_id, emb, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_lookalike", "%s", err.msg);
    return 0;
}

/* Look-alikes the desk revoked (dismissed wrongly: the person himself) leave the gallery, so
 * the cameras alert on that person again. */
static void forget_revoked(video_service *s)
{
    eyni_error err = {0};
    json_t *ids = NULL;
    if (eyni_video_wanted_lookalikes(s->wanted) == 0)
        return;
    if (eyni_desk_lookalike_marked(s->env->reg, &s->actor, &ids, &err)) {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_lookalike", "%s", err.msg);
        return;
    }
    size_t n = json_array_size(ids);
    int64_t *keys = malloc((n ? n : 1) * sizeof *keys);
    for (size_t i = 0; keys && i < n; i++)
        keys[i] = (int64_t)json_integer_value(json_array_get(ids, i));
    size_t gone = keys ? eyni_video_wanted_keep_lookalikes(s->wanted, keys, n) : 0;
    if (gone)
        eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_lookalike",
                       "%zu look-alike faces revoked at the desk: forgotten", gone);
    free(keys);
    json_decref(ids);
}

/* A decision taken with the command line reaches the desks as one taken over the API does
 * (the server announces those itself, at once). */
static int announce_decision(long long alert_id, const char *decision, const char *decided_by,
                             int lookalike, void *ctx)
{
    video_service *s = ctx;
    eyni_error err = {0};
    json_t *d = json_pack("{s:I,s:s,s:s,s:b}", "id", (json_int_t)alert_id, "decision", decision,
                          "decided_by", decided_by, "lookalike", lookalike);
    eyni_desk_audience aud;
    if (d && push_to_audience(s, "decision", alert_id, 0, d, &aud, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_alert", "not pushed: %s", err.msg);
    json_decref(d);
    return 0;
}

/* The alerts of the retention period are gone, and with them the look-alikes they taught:
 * the gallery forgets them all and learns again from those left. */
static void purge(video_service *s)
{
    eyni_error err = {0};
    long long n = 0;
    if (eyni_desk_purge(s->env->reg, &s->actor, s->retention_days, &n, &err)) {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_purge", "%s", err.msg);
        return;
    }
    if (n == 0)
        return;
    eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_purge", "%lld alerts past %d days deleted", n,
                   s->retention_days);
    eyni_video_wanted_clear_lookalikes(s->wanted);
    s->lookalike_since[0] = 0;
}

/* ---- watchlists (video.watchlists) ------------------------------------------------------ */

static int ensure_engine(video_service *s, eyni_error *err);

/* A watchlist entry's face: its template, and from its photo the blurred copy the crowd needs
 * (docs/video.md); without a photo or an engine the template alone. */
static int add_watch_face(long long entry, const char *label, const float emb[EYNI_FACE_DIM],
                          const unsigned char *photo, size_t len, void *ctx)
{
    video_service *s = ctx;
    eyni_error err = {0};
    float sharp[EYNI_FACE_DIM], blurred[EYNI_FACE_DIM];
    int copies = 0;
    eyni_image *img = NULL;
    if (photo && s->fe && eyni_image_decode(photo, len, 3, &img, &err) == 0 &&
        eyni_video_embed_subject(s->fe, img, s->blurred_copy, sharp, blurred, &copies, &err) != 0)
        copies = 0;
    eyni_image_free(img);
    int64_t id = EYNI_DESK_WATCH_ID_BASE + entry;
    if (eyni_video_wanted_add(s->wanted, id, label, emb, &err) ||
        (copies == 2 && eyni_video_wanted_add(s->wanted, id, label, blurred, &err)))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_watchlist", "entry %lld: %s", entry,
                       err.msg);
    return 0;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Entries no longer in force (removed, or their list expired) leave the gallery. */
static void drop_watch_gone(video_service *s, const long long *ids, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nwatch; i++) {
        if (n && bsearch(&s->watch[i], ids, n, sizeof *ids, cmp_ll))
            s->watch[k++] = s->watch[i];
        else
            drop_wanted(EYNI_DESK_WATCH_ID_BASE + s->watch[i], s);
    }
    s->nwatch = k;
}

static int watch_keep(video_service *s, long long entry)
{
    if (s->nwatch == s->capwatch) {
        size_t cap = s->capwatch ? s->capwatch * 2 : 64;
        long long *w = realloc(s->watch, cap * sizeof *w);
        if (!w)
            return -1;
        s->watch = w;
        s->capwatch = cap;
    }
    s->watch[s->nwatch++] = entry;
    return 0;
}

/* The entries in force now: new ones read (faces and photos), gone ones dropped. */
static void sync_watchlists(video_service *s)
{
    eyni_error err = {0};
    json_t *list = NULL;
    if (!s->watchlists[0])
        return;
    if (eyni_desk_watch_in_force(s->env->reg, &s->actor, s->watchlists, &list, &err)) {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_watchlist", "%s", err.msg);
        return;
    }
    size_t n = json_array_size(list);
    long long *ids = malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = (long long)json_integer_value(json_array_get(list, i));
    json_decref(list);
    if (!ids)
        return;
    qsort(ids, n, sizeof *ids, cmp_ll);
    drop_watch_gone(s, ids, n);
    size_t held = s->nwatch; /* sorted; the new ones are appended, then all sorted once */
    for (size_t i = 0; i < n; i++) {
        if (held && bsearch(&ids[i], s->watch, held, sizeof *ids, cmp_ll))
            continue;
        /* the engine embeds the photos' blurred copies; loaded before a store read waits on it */
        if (ensure_engine(s, &err)) /* at once when it is loaded (under its lock) */
            eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_watchlist", "no blurred copies: %s",
                           err.msg);
        if (eyni_desk_watch_entry_faces(s->env->reg, &s->actor, ids[i], add_watch_face, s, &err) ||
            watch_keep(s, ids[i]))
            eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_watchlist", "entry %lld: %s", ids[i],
                           err.msg);
    }
    if (s->nwatch > 1) /* none held yet: no array at all */
        qsort(s->watch, s->nwatch, sizeof *s->watch, cmp_ll);
    free(ids);
}

/* A cohort that cannot be read leaves the raw threshold in force, said loudly in the log. */
static void load_cohort(video_service *s)
{
    eyni_error err = {0};
    size_t skipped = 0;
    if (eyni_video_wanted_load_cohort(s->wanted, s->fe, s->cohort, &skipped, &err)) {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_cohort",
                       "%s; alerts follow the raw threshold", err.msg);
        return;
    }
    eyni_video_cohort_info ci;
    eyni_video_wanted_cohort_info(s->wanted, &ci);
    eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_cohort",
                   "%zu cohort faces loaded (%zu photos without a face skipped)", ci.faces,
                   skipped);
}

static int ensure_engine(video_service *s, eyni_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&s->engine_mu);
    if (!s->fe) {
        eyni_face_opts fo = {.intra_threads = 1, .inter_threads = 1};
        rc = eyni_onnx_env_new("eynid-video", &s->onnx, err);
        if (rc == 0)
            rc = eyni_face_engine_new(s->onnx, &fo, &s->fe, err);
        if (rc == 0 && s->cohort[0])
            load_cohort(s);
    }
    pthread_mutex_unlock(&s->engine_mu);
    return rc;
}

/* The enrolment check's verdict for the operator: score, every reason, and the warnings with
 * their advice (a photo that will match badly in video is said so at add time). */
static json_t *enrol_json(const eyni_face_quality *q, unsigned warn)
{
    json_t *reasons = json_array(), *warnings = json_array();
    for (unsigned bit = 1; bit && bit < (1u << EYNI_FACE_REASON_COUNT); bit <<= 1) {
        if (!(q->reasons & bit))
            continue;
        json_array_append_new(reasons, json_string(eyni_face_reason_name(bit)));
        if (warn & bit)
            json_array_append_new(warnings,
                                  json_pack("{s:s,s:s}", "reason", eyni_face_reason_name(bit),
                                            "advice", eyni_face_reason_advice(bit)));
    }
    return json_pack("{s:f,s:o,s:o}", "score", q->score, "reasons", reasons, "warnings", warnings);
}

int video_wanted_photo(const eyni_face_engine *fe, const eyni_image *img, float rel,
                       float emb[EYNI_FACE_DIM], float blurred[EYNI_FACE_DIM], int *copy,
                       json_t **quality, eyni_error *err)
{
    eyni_face_quality q;
    unsigned warn = 0;
    int copies = 0;
    *quality = NULL;
    int rc = eyni_video_embed_subject(fe, img, rel, emb, blurred, &copies, err);
    if (rc == 1)
        rc = eyni_error_set(err, EYNI_EQUALITY, "photo: no face found");
    *copy = copies == 2;
    if (rc == 0)
        rc = eyni_video_enrol_check(fe, img, &q, &warn, err);
    if (rc == 0 && !(*quality = enrol_json(&q, warn)))
        rc = eyni_error_set(err, EYNI_ENOMEM, "photo: out of memory");
    return rc;
}

/* POST /v1/watch/wanted: the photo embedded with the cameras' engine (loaded now if no camera
 * has needed it yet) and blurred as the cohort's copies are. */
static int embed_wanted(void *ctx, const unsigned char *bytes, size_t len, float *emb,
                        float *blurred, int *copy, json_t **quality, eyni_error *err)
{
    video_service *s = ctx;
    eyni_image *img = NULL;
    int rc = eyni_image_decode(bytes, len, 3, &img, err);
    if (rc == 0)
        rc = ensure_engine(s, err);
    if (rc == 0)
        rc = video_wanted_photo(s->fe, img, s->blurred_copy, emb, blurred, copy, quality, err);
    eyni_image_free(img);
    return rc;
}

eyni_server_wanted_embedder video_service_embedder(video_service *s)
{
    eyni_server_wanted_embedder e = {
        .fn = s ? embed_wanted : NULL, .ctx = s, .watchlists = s ? s->watchlists : NULL};
    return e;
}

static int running(const video_service *s, const char *name)
{
    for (int i = 0; i < s->ncams; i++)
        if (strcmp(s->names[i], name) == 0)
            return 1;
    return 0;
}

/* Whether camera i is still in the store's list under the same id. */
static int still_listed(const video_service *s, int i, json_t *list)
{
    size_t k;
    json_t *c;
    json_array_foreach(list, k, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        if (name && strcmp(name, s->names[i]) == 0 &&
            json_integer_value(json_object_get(c, "id")) == s->ids[i])
            return 1;
    }
    return 0;
}

/* Stops the cameras removed from the store (their alerts stay there). */
static void stop_removed(video_service *s, json_t *list)
{
    for (int i = s->ncams; i-- > 0;) {
        if (still_listed(s, i, list))
            continue;
        eyni_video_camera_stop(s->cams[i]);
        eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_camera", "camera %s removed: stopped",
                       s->names[i]);
        s->ncams--;
        s->cams[i] = s->cams[s->ncams];
        s->ids[i] = s->ids[s->ncams];
        memcpy(s->names[i], s->names[s->ncams], EYNI_VIDEO_MAX_NAME);
    }
}

/* Writes each running camera's counters to the store for the API and `eyni watch camera`. */
static void report_stats(video_service *s)
{
    for (int i = 0; i < s->ncams; i++) {
        eyni_video_camera_stats cs;
        eyni_video_camera_stats_get(s->cams[i], &cs);
        eyni_desk_camera_stats st = {.running = cs.running,
                                     .connected = cs.connected,
                                     .decoded = (long long)cs.decoded,
                                     .analysed = (long long)cs.pipeline.frames,
                                     .dropped = (long long)cs.dropped,
                                     .connects = (long long)cs.connects,
                                     .outages = (long long)cs.outages,
                                     .tracks = (long long)cs.pipeline.tracks,
                                     .alerts = (long long)cs.pipeline.alerts,
                                     .outage_seconds = cs.outage_s,
                                     .last_error = cs.last_error};
        eyni_error err = {0};
        if (eyni_desk_camera_stats_put(s->env->reg, &s->actor, s->ids[i], &st, &err))
            eyni_log_write(s->env->log, EYNI_LOG_WARN, "video_stats", "camera %s: %s", s->names[i],
                           err.msg);
    }
}

static void start_camera(video_service *s, json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    long long id = (long long)json_integer_value(json_object_get(c, "id"));
    if (!name || running(s, name) || s->ncams == SERVICE_MAX_CAMERAS)
        return;
    eyni_error err = {0};
    eyni_video_camera_config cfg = {
        .live = 1, .sample_fps = json_number_value(json_object_get(c, "sample_fps"))};
    snprintf(cfg.name, sizeof cfg.name, "%s", name);
    cfg.pipeline = s->pipe;
    cfg.pipeline.held_fn = on_held;
    cfg.pipeline.held_ctx = s;
    /* the listed address hides its password: the whole one is opened from its seal */
    int rc = eyni_desk_camera_url(s->env->reg, &s->actor, id, cfg.url, sizeof cfg.url, &err);
    /* a recording registered as a camera (tests, rehearsals) plays at its own speed */
    cfg.pace = !strstr(cfg.url, "://") || !strncmp(cfg.url, "file:", 5);
    if (rc || ensure_engine(s, &err) ||
        eyni_video_camera_start(&cfg, s->fe, s->wanted, on_alert, s, s->env->log,
                                &s->cams[s->ncams], &err)) {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_camera", "camera %s: %s", name, err.msg);
        return;
    }
    s->ids[s->ncams] = id;
    snprintf(s->names[s->ncams++], EYNI_VIDEO_MAX_NAME, "%s", name);
    eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_camera", "camera %s started", name);
}

/* One look at the store. */
static void look(video_service *s)
{
    eyni_error err = {0};
    json_t *cams = NULL;
    if (eyni_desk_wanted_each(s->env->reg, &s->actor, s->wanted_last, add_wanted, s, &err) ||
        eyni_desk_wanted_removed(s->env->reg, &s->actor, s->removed_since, sizeof s->removed_since,
                                 drop_wanted, s, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_wanted", "%s", err.msg);
    time_t now = time(NULL);
    if (now - s->last_purge >= PURGE_EVERY_S) {
        s->last_purge = now;
        purge(s);
    }
    sync_watchlists(s);
    if (eyni_desk_lookalikes(s->env->reg, &s->actor, s->lookalike_since, sizeof s->lookalike_since,
                             add_lookalike, s, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_lookalike", "%s", err.msg);
    forget_revoked(s);
    if (eyni_desk_local_decisions(s->env->reg, &s->actor, s->decided_since, sizeof s->decided_since,
                                  announce_decision, s, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_alert", "%s", err.msg);
    if (eyni_desk_camera_list(s->env->reg, &s->actor, &cams, &err) == 0) {
        size_t i;
        json_t *c;
        stop_removed(s, json_object_get(cams, "cameras"));
        json_array_foreach(json_object_get(cams, "cameras"), i, c) start_camera(s, c);
        report_stats(s);
    } else {
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_camera", "%s", err.msg);
    }
    json_decref(cams);
}

static void *watcher(void *arg)
{
    video_service *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        look(s);
        pthread_mutex_lock(&s->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += s->poll_s;
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* A number setting in (lo, hi] ([lo, hi] when lo_in); a missing one leaves *out (0: the
 * module's default). */
static int config_range(const eyni_config *cfg, const char *key, double lo, int lo_in, double hi,
                        double *out, eyni_error *err)
{
    const char *t = eyni_config_get(cfg, key, NULL);
    char *end = NULL;
    if (!t)
        return 0;
    double v = strtod(t, &end);
    if (end == t || *end || !((lo_in ? v >= lo : v > lo) && v <= hi))
        return eyni_error_set(err, EYNI_EINVAL, "%s must be a number from %g%s to %g", key, lo,
                              lo_in ? "" : " (not included)", hi);
    *out = v;
    return 0;
}

static int config_number(const eyni_config *cfg, const char *key, double lo, double hi, double *out,
                         eyni_error *err)
{
    return config_range(cfg, key, lo, 0, hi, out, err);
}

int video_service_blurred_copy(const eyni_config *cfg, float *rel, eyni_error *err)
{
    double v = EYNI_VIDEO_BLURRED_COPY_DEFAULT;
    int rc = config_range(cfg, "video.blurred_copy", 0, 1, 0.5, &v, err);
    *rel = v > 0 ? (float)v : -1;
    return rc;
}

/* The alert settings: the raw threshold (no cohort), and with a cohort the raw floor and the
 * operating point, which a site sets from its own cameras (docs/video.md). */
static int read_operating_point(const eyni_config *cfg, eyni_video_opts *o, eyni_error *err)
{
    double threshold = EYNI_VIDEO_THRESHOLD_DEFAULT, min_raw = 0, norm = 0;
    int rc = config_number(cfg, "video.threshold", 0, 0.999, &threshold, err);
    if (rc == 0)
        rc = config_number(cfg, "video.min_raw", 0, 0.999, &min_raw, err);
    if (rc == 0)
        rc = config_number(cfg, "video.norm_threshold", 0, 100, &norm, err);
    if (rc == 0)
        rc = config_number(cfg, "video.alerts_per_hour", 0, 1000, &o->alerts_per_hour, err);
    if (rc == 0)
        rc = config_number(cfg, "video.tracks_per_hour", 0, 1e7, &o->tracks_per_hour, err);
    if (rc == 0)
        rc = config_number(cfg, "video.shots_per_track", 0, 100, &o->shots_per_track, err);
    o->threshold = (float)threshold;
    o->min_raw = (float)min_raw;
    o->norm_threshold = (float)norm;
    return rc;
}

static int read_config(video_service *s, const eyni_config *cfg, long long *enabled,
                       eyni_error *err)
{
    long long days = EYNI_DESK_RETENTION_DEFAULT, poll = 5;
    int rc = eyni_config_get_int(cfg, "video.enabled", 1, 0, 1, enabled, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "video.retention_days", EYNI_DESK_RETENTION_DEFAULT, 1, 3650,
                                 &days, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "video.poll_seconds", 5, 1, 3600, &poll, err);
    if (rc == 0)
        rc = read_operating_point(cfg, &s->pipe, err);
    if (rc == 0)
        rc = video_service_blurred_copy(cfg, &s->blurred_copy, err);
    const char *cohort = eyni_config_get(cfg, "video.cohort", "");
    if (rc == 0 && strlen(cohort) >= sizeof s->cohort)
        rc = eyni_error_set(err, EYNI_ELIMIT, "video.cohort is too long");
    snprintf(s->cohort, sizeof s->cohort, "%s", rc == 0 ? cohort : "");
    const char *lists = eyni_config_get(cfg, "video.watchlists", "");
    if (rc == 0 && !eyni_desk_watch_codes_valid(lists))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "video.watchlists: a comma-separated list of watchlist codes");
    snprintf(s->watchlists, sizeof s->watchlists, "%s", rc == 0 ? lists : "");
    s->retention_days = (int)days;
    s->poll_s = (int)poll;
    return rc;
}

/* video.webhook_secret_file: the HMAC key shared with the receiver, in a file of its own
 * that only the service's user may read (a key in the configuration would travel with it). */
static int read_webhook_secret(const eyni_config *cfg, eyni_video_webhook_opts *o, eyni_error *err)
{
    const char *path = eyni_config_get(cfg, "video.webhook_secret_file", NULL);
    struct stat sb;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (!path || !path[0])
        return 0;
    if (stat(path, &sb) != 0)
        return eyni_error_set(err, EYNI_EIO, "video.webhook_secret_file %s: cannot be read", path);
    if (sb.st_mode & 077)
        return eyni_error_set(err, EYNI_EPERM,
                              "video.webhook_secret_file %s: readable by others (chmod 600)", path);
    int rc = eyni_file_read(path, 4096, &buf, &len, err);
    while (rc == 0 && len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--; /* a secret written with echo keeps no line end */
    if (rc == 0 && (len < EYNI_VIDEO_WEBHOOK_MIN_SECRET || len > EYNI_VIDEO_WEBHOOK_MAX_SECRET))
        rc = eyni_error_set(err, EYNI_EINVAL, "video.webhook_secret_file %s: %d to %d bytes", path,
                            EYNI_VIDEO_WEBHOOK_MIN_SECRET, EYNI_VIDEO_WEBHOOK_MAX_SECRET);
    if (rc == 0) {
        memcpy(o->secret, buf, len);
        o->secret_len = len;
    }
    if (buf)
        OPENSSL_cleanse(buf, len);
    free(buf);
    return rc;
}

/* video.webhook_url (optional) and its retries, queue, timeout and secret. */
static int start_webhook(video_service *s, const eyni_config *cfg, eyni_error *err)
{
    const char *url = eyni_config_get(cfg, "video.webhook_url", NULL);
    if (!url || !url[0])
        return 0;
    long long retries = 3, queue = 64, timeout = 5000;
    eyni_video_webhook_opts o = {0};
    if (strlen(url) >= sizeof o.url)
        return eyni_error_set(err, EYNI_ELIMIT, "video.webhook_url is too long");
    snprintf(o.url, sizeof o.url, "%s", url);
    int rc = eyni_config_get_int(cfg, "video.webhook_retries", 3, 0, 10, &retries, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "video.webhook_queue", 64, 1, EYNI_VIDEO_WEBHOOK_MAX_QUEUE,
                                 &queue, err);
    if (rc == 0)
        rc = eyni_config_get_int(cfg, "video.webhook_timeout_ms", 5000, 100, 60000, &timeout, err);
    o.retries = (int)retries, o.queue = (int)queue, o.timeout_ms = (int)timeout;
    if (rc == 0)
        rc = read_webhook_secret(cfg, &o, err);
    if (rc == 0)
        rc = eyni_video_webhook_start(&o, s->env->log, &s->webhook, err);
    OPENSSL_cleanse(o.secret, sizeof o.secret);
    return rc;
}

/* Camera addresses stored with a clear password before schema version 18 are sealed once. */
static void seal_old_addresses(video_service *s)
{
    eyni_error err = {0};
    long long n = 0;
    if (eyni_desk_camera_seal_urls(s->env->reg, &s->actor, &n, &err))
        eyni_log_write(s->env->log, EYNI_LOG_ERROR, "video_camera",
                       "camera passwords left unsealed: %s", err.msg);
    else if (n)
        eyni_log_write(s->env->log, EYNI_LOG_INFO, "video_camera",
                       "%lld camera addresses with a password sealed", n);
}

int video_service_start(cmd_env *e, eyni_events *ev, video_service **out, eyni_error *err)
{
    *out = NULL;
    video_service *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "video service: out of memory");
    long long enabled = 1;
    int rc = read_config(s, e->cfg, &enabled, err);
    if (rc) {
        free(s);
        return rc;
    }
    s->env = e;
    s->events = ev;
    eyni_actor_local(&s->actor, "LOCAL", "video watch against the wanted list");
    snprintf(s->actor.id, sizeof s->actor.id, "service:video");
    snprintf(s->actor.origin, sizeof s->actor.origin, "eynid");
    seal_old_addresses(s); /* with the cameras off too: a stored password does not wait */
    if (!enabled) {
        free(s);
        return 0;
    }
    eyni_time_now_iso(s->decided_since); /* decisions from now on: older ones were seen */
    rc = eyni_video_wanted_new(&s->wanted, err);
    if (rc == 0)
        eyni_video_wanted_set_blurred_copy(s->wanted, s->blurred_copy);
    if (rc == 0)
        rc = start_webhook(s, e->cfg, err);
    if (rc) {
        eyni_video_wanted_free(s->wanted);
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->engine_mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, watcher, s)) {
        eyni_video_webhook_stop(s->webhook);
        eyni_video_wanted_free(s->wanted);
        free(s);
        return eyni_error_set(err, EYNI_EINTERNAL, "video service: cannot start a thread");
    }
    *out = s;
    return 0;
}

void video_service_stop(video_service *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->ncams; i++)
        eyni_video_camera_stop(s->cams[i]);
    eyni_video_webhook_stop(s->webhook); /* after the cameras: no alert comes any more */
    eyni_video_wanted_free(s->wanted);
    free(s->watch);
    eyni_face_engine_free(s->fe);
    eyni_onnx_env_free(s->onnx);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->engine_mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
