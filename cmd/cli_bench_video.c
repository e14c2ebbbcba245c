/*
 * `eyni bench video DIR`: recall, false alerts per hour, alert latency and speed of the
 * video pipeline on a generated crowd video (bench/gen_crowd_video; made into DIR when DIR
 * has no truth.json). With --soak S it instead runs --streams N live cameras looping the
 * video for S seconds and reports drops and the resident size over time.
 */
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_video.h"

#define LATE_ALERT_S 1.0 /* the target: alerted within a second of appearing */

typedef struct bench_args {
    const char *dir;
    const char *cohort; /* list file; NULL = DIR/cohort.tsv when it exists; "none" = no cohort */
    double fps, seconds, soak;
    float threshold;
    float blurred_copy; /* sigma per eye distance of the wanted photos' blurred copies */
    int json, streams, seed;
    int dismiss_false;    /* play the operator: every false alert is dismissed as a look-alike */
    int nearest;          /* the worst case: each wanted photo's nearest cohort face dismissed */
    const char *memory;   /* a desk's look-alikes kept from run to run (--lookalike-memory) */
    const char *shots;    /* every embedded shot's search written here (--shots) */
    eyni_video_opts pipe; /* --tiles, --early, --max-early (0 = the module's defaults) */
} bench_args;

typedef struct collector {
    pthread_mutex_t mu;
    json_t *alerts;
    int count_only; /* a soak counts its alerts (the pipeline does) and keeps none, so that
                       the resident size it reports is the cameras', not this collector's */
    json_t *passes; /* the truth's, when false alerts are dismissed */
    eyni_video_wanted *wanted; /* where a dismissed alert's face is remembered */
    long long dismissed;
    json_t *memory; /* with --lookalike-memory: every dismissal so far, by wanted label */
    json_t *shots;  /* every embedded shot's search: [time, id, raw, norm, threshold, track] */
} collector;

static int alert_pass(json_t *passes, json_t *al);

/* An operator who dismisses every false alert at once as a look-alike: the alert's face is
 * remembered against the person it was taken for (as the desk does, docs/video.md). */
static void dismiss_if_false(collector *c, const eyni_video_alert *a, json_t *o)
{
    eyni_error err = {0};
    if (!c->passes || !a->probe || alert_pass(c->passes, o) >= 0)
        return;
    if (eyni_video_wanted_add_lookalike(c->wanted, a->person_id, ++c->dismissed, a->probe, &err))
        fprintf(stderr, "eyni bench video: %s\n", err.msg);
    if (!c->memory)
        return;
    json_t *probe = json_array();
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        json_array_append_new(probe, json_real(a->probe[i]));
    json_array_append_new(
        c->memory, json_pack("{s:s,s:o}", "label", a->label ? a->label : "", "probe", probe));
}

/*
 * A desk keeps its look-alikes for as long as their alerts (docs/video.md), so a wanted
 * person still on the list in the next hour is still guarded against the faces dismissed for
 * him. The bench plays that over several runs with one file: the dismissals of earlier runs
 * are given to the entries of this run's list that carry the same label (the generator names
 * an entry by its person and enrols the same first photo whichever list draws him).
 */
static json_t *memory_load(const char *path, eyni_video_wanted *w, long long *carried,
                           eyni_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return json_array();
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je), *list = json_object_get(doc, "lookalikes");
    if (!json_is_array(list)) {
        json_decref(doc);
        eyni_error_set(err, EYNI_EINVAL, "%s: not a look-alike memory (%s)", path, je.text);
        return NULL;
    }
    json_incref(list);
    json_decref(doc);
    size_t i, before = eyni_video_wanted_lookalikes(w);
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *label = json_string_value(json_object_get(item, "label"));
        json_t *probe = json_object_get(item, "probe");
        float emb[EYNI_FACE_DIM];
        if (!label || json_array_size(probe) != EYNI_FACE_DIM) {
            json_decref(list);
            eyni_error_set(err, EYNI_EINVAL, "%s: look-alike %zu is broken", path, i);
            return NULL;
        }
        for (int k = 0; k < EYNI_FACE_DIM; k++)
            emb[k] = (float)json_number_value(json_array_get(probe, (size_t)k));
        eyni_video_entry_info e;
        for (size_t n = 0; eyni_video_wanted_entry(w, n, &e); n++)
            /* the photo and its blurred copy share an id: the second add changes nothing */
            if (!strcmp(e.label, label) &&
                eyni_video_wanted_add_lookalike(w, e.id, -1000000 - (int64_t)i, emb, err))
                fprintf(stderr, "eyni bench video: %s\n", err->msg);
    }
    *carried = (long long)(eyni_video_wanted_lookalikes(w) - before);
    return list;
}

static int memory_save(const char *path, json_t *list, eyni_error *err)
{
    json_t *doc = json_pack("{s:O}", "lookalikes", list);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
    int rc = eyni_file_write_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

/* The shots as one JSON object (shots: [time, id, raw, norm, threshold, track] each), for
 * threshold studies that need not run the video again. */
static int shots_save(const char *path, json_t *shots, eyni_error *err)
{
    json_t *o = json_pack("{s:O}", "shots", shots);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
    int rc = eyni_file_write_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

static void on_shot(void *ctx, int64_t track, double t, const eyni_video_match *m, float threshold)
{
    collector *c = ctx;
    if (c->count_only || m->id < 0)
        return;
    pthread_mutex_lock(&c->mu);
    json_array_append_new(c->shots,
                          json_pack("[f,I,f,f,f,I]", t, (json_int_t)m->id, m->score,
                                    m->normalised ? m->norm : -1.0, threshold, (json_int_t)track));
    pthread_mutex_unlock(&c->mu);
}

static void collect(void *ctx, const eyni_video_alert *a)
{
    collector *c = ctx;
    if (c->count_only)
        return;
    json_t *o = cli_video_alert_json(a);
    pthread_mutex_lock(&c->mu);
    dismiss_if_false(c, a, o);
    json_array_append_new(c->alerts, o);
    pthread_mutex_unlock(&c->mu);
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static long rss_kb(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Runs gen_crowd_video (built beside this program) into dir. */
static int generate(const bench_args *a, eyni_error *err)
{
    char self[4096], cmd[8192];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return eyni_error_set(err, EYNI_EIO, "cannot find the eyni program's folder");
    self[n] = 0;
    const char *data = getenv("EYNI_TESTDATA");
    snprintf(cmd, sizeof cmd,
             "'%s/gen_crowd_video' --lfw '%s/lfw-a-gray-dev/images' --out '%s' --seconds %g "
             "--seed %d",
             dirname(self), data ? data : "../shared/data", a->dir, a->seconds, a->seed);
    if (system(cmd) != 0)
        return eyni_error_set(err, EYNI_EIO, "generating the video failed: %s", cmd);
    return 0;
}

typedef struct score_sheet {
    /* passes in view >= 2 s (the target's "appears for >= 2 s"), and of them alerted,
     * alerted within a second of appearing, and those neither blurred nor covered */
    int wanted_passes, found, in_time, clean_passes, clean_found;
    /* the stricter count: every wanted pass on screen >= 2 s, hidden or not */
    int on_screen, on_screen_found, on_screen_in_time;
    int duplicate, false_alerts;
    double latency_sum, latency_max;
    double *latency; /* of each counted pass's first alert, from appearing, sorted */
    double *hit_at;  /* of each pass of the truth: its first correct alert's time, -1 none */
} score_sheet;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of the sorted latencies, nearest rank. */
static double latency_q(const score_sheet *s, double q)
{
    if (s->found == 0)
        return 0;
    int k = (int)(q * s->found + 0.999999) - 1;
    return s->latency[k < 0 ? 0 : k >= s->found ? s->found - 1 : k];
}

static double num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* The pass an alert names: the person was passing when its shot was taken; -1 none. */
static int alert_pass(json_t *passes, json_t *al)
{
    json_int_t pid = json_integer_value(json_object_get(al, "person_id"));
    double shot = json_real_value(json_object_get(al, "shot_time"));
    for (size_t k = 0; k < json_array_size(passes); k++) {
        json_t *p = json_array_get(passes, k);
        if (json_integer_value(json_object_get(p, "wanted_id")) == pid &&
            shot >= num(p, "start") - 0.5 && shot <= num(p, "end") + 0.5)
            return (int)k;
    }
    return -1;
}

/* When a pass "appears": the start of its first run of >= 2 s in view (from the truth's
 * visibility); truths written before visibility was recorded count the time on screen. */
static double appears(json_t *p)
{
    json_t *vis = json_object_get(p, "visible_s");
    if (!vis)
        return num(p, "end") - num(p, "start") >= 2.0 ? num(p, "start") : -1;
    return json_number_value(vis) >= 2.0 - 1e-6 ? num(p, "appear") : -1;
}

static void count_pass(json_t *p, double alert_at, score_sheet *s)
{
    double start = num(p, "start");
    if (num(p, "end") - start >= 2.0) {
        s->on_screen++;
        s->on_screen_found += alert_at >= 0;
        s->on_screen_in_time += alert_at >= 0 && alert_at - start <= LATE_ALERT_S;
    }
    double from = appears(p);
    if (from < 0)
        return;
    int clean = !json_is_true(json_object_get(p, "blurred")) &&
                !json_is_true(json_object_get(p, "occluded"));
    s->wanted_passes++;
    s->clean_passes += clean;
    if (alert_at < 0)
        return;
    /* an alert while the face was in view only briefly, before it appeared, is in time */
    double lat = alert_at > from ? alert_at - from : 0;
    s->latency[s->found++] = lat;
    s->in_time += lat <= LATE_ALERT_S;
    s->clean_found += clean;
    s->latency_sum += lat;
    if (lat > s->latency_max)
        s->latency_max = lat;
}

/* Each alert is correct when the person it names was passing when its shot was taken; each
 * wanted pass is then counted with the time of its first correct alert. */
static void score(json_t *truth, json_t *alerts, score_sheet *s)
{
    memset(s, 0, sizeof *s);
    json_t *passes = json_object_get(truth, "passes");
    size_t np = json_array_size(passes);
    double *hit_at = s->hit_at = malloc((np ? np : 1) * sizeof *hit_at);
    s->latency = calloc(np + 1, sizeof *s->latency);
    for (size_t k = 0; k < np; k++)
        hit_at[k] = -1;
    size_t i;
    json_t *al;
    json_array_foreach(alerts, i, al)
    {
        int k = alert_pass(passes, al);
        if (k < 0)
            s->false_alerts++;
        else if (hit_at[k] >= 0)
            s->duplicate++;
        else
            hit_at[k] = json_real_value(json_object_get(al, "alert_time"));
    }
    for (size_t k = 0; k < np; k++) {
        json_t *p = json_array_get(passes, k);
        if (json_integer_value(json_object_get(p, "wanted_id")) > 0)
            count_pass(p, hit_at[k], s);
    }
    qsort(s->latency, (size_t)s->found, sizeof *s->latency, cmp_double);
}

enum { GATE_NEVER_BEST, GATE_RAW_FLOOR, GATE_NORM, GATE_BOTH, GATE_PASSED, GATES };

/* Of one shot that named the person: which gates held it back (docs/video.md "Pipeline" 6). */
static int shot_gate(json_t *shot, float min_raw)
{
    double raw = json_number_value(json_array_get(shot, 2));
    double norm = json_number_value(json_array_get(shot, 3));
    double thr = json_number_value(json_array_get(shot, 4));
    if (norm < 0) /* no cohort: the raw threshold alone */
        return raw >= thr ? GATE_PASSED : GATE_BOTH;
    int floor = raw < min_raw, low = norm < thr;
    return floor && low ? GATE_BOTH : floor ? GATE_RAW_FLOOR : low ? GATE_NORM : GATE_PASSED;
}

/* One missed pass: the shots taken while it passed that named this person best, the best of
 * their scores, and the gate that held the best of them back (never named: the face was
 * taken for someone else, or never detected or embedded). */
static json_t *explain_miss(json_t *p, json_t *shots, float min_raw, int *gate)
{
    json_int_t id = json_integer_value(json_object_get(p, "wanted_id"));
    double from = num(p, "start") - 0.5, to = num(p, "end") + 0.5, raw = -1, norm = -1;
    int named = 0;
    *gate = GATE_NEVER_BEST;
    size_t i;
    json_t *sh;
    json_array_foreach(shots, i, sh)
    {
        double t = json_number_value(json_array_get(sh, 0));
        if (t < from || t > to || json_integer_value(json_array_get(sh, 1)) != id)
            continue;
        int g = shot_gate(sh, min_raw);
        *gate =
            named == 0 || g == GATE_PASSED || (g != GATE_BOTH && *gate == GATE_BOTH) ? g : *gate;
        named++;
        raw = fmax(raw, json_number_value(json_array_get(sh, 2)));
        norm = fmax(norm, json_number_value(json_array_get(sh, 3)));
    }
    return json_pack("{s:I,s:O?,s:O?,s:O?,s:f,s:i,s:f,s:f}", "wanted_id", id, "photo",
                     json_object_get(p, "photo"), "blurred", json_object_get(p, "blurred"),
                     "occluded", json_object_get(p, "occluded"), "visible_s", num(p, "visible_s"),
                     "shots_named", named, "best_raw", raw, "best_norm", norm);
}

/* Why each wanted pass in view >= 2 s was not alerted within a second, and the count of
 * misses by the gate that held them back ("held_or_late": a shot passed both, yet the pass was
 * not alerted in time: held back for a look-alike, or alerted late). */
static json_t *explain_misses(json_t *truth, const score_sheet *s, json_t *shots, float min_raw)
{
    static const char *names[GATES] = {"never_best", "raw_floor", "norm_threshold",
                                       "floor_and_norm", "held_or_late"};
    json_t *passes = json_object_get(truth, "passes"), *list = json_array();
    int count[GATES] = {0};
    for (size_t k = 0; k < json_array_size(passes); k++) {
        json_t *p = json_array_get(passes, k);
        double from = appears(p);
        if (json_integer_value(json_object_get(p, "wanted_id")) <= 0 || from < 0 ||
            (s->hit_at[k] >= 0 && s->hit_at[k] - from <= LATE_ALERT_S))
            continue;
        int gate;
        json_t *m = explain_miss(p, shots, min_raw, &gate);
        json_object_set_new(m, "gate", json_string(names[gate]));
        json_array_append_new(list, m);
        count[gate]++;
    }
    json_t *by = json_object();
    for (int g = 0; g < GATES; g++)
        json_object_set_new(by, names[g], json_integer(count[g]));
    return json_pack("{s:o,s:o}", "by_gate", by, "passes", list);
}

static int run_cameras(const bench_args *a, cli_video_engine *v, const char *video, int live, int n,
                       collector *col, eyni_video_camera_stats *st, json_t *rss, eyni_error *err)
{
    eyni_video_camera *cams[64] = {0};
    int rc = 0, started = 0;
    for (; started < n && rc == 0; started++) {
        eyni_video_camera_config cfg = {
            .sample_fps = a->fps, .live = live, .pace = live, .backoff_min_ms = 10};
        snprintf(cfg.name, sizeof cfg.name, "bench%d", started + 1);
        snprintf(cfg.url, sizeof cfg.url, "%s", video);
        cfg.pipeline = a->pipe;
        cfg.pipeline.threshold = a->threshold;
        cfg.pipeline.shot_fn = col->count_only ? NULL : on_shot;
        cfg.pipeline.shot_ctx = col;
        rc = eyni_video_camera_start(&cfg, v->fe, v->wanted, collect, col, NULL, &cams[started],
                                     err);
        if (rc)
            break;
    }
    if (rc == 0 && a->soak > 0) {
        double t0 = eyni_time_ms(), next = 0;
        while (eyni_time_ms() - t0 < a->soak * 1000) {
            double el = (eyni_time_ms() - t0) / 1000;
            if (el >= next) {
                json_array_append_new(rss, json_pack("[f,I]", el, (json_int_t)rss_kb()));
                next += 60;
            }
            usleep(200000);
        }
        json_array_append_new(
            rss, json_pack("[f,I]", (eyni_time_ms() - t0) / 1000, (json_int_t)rss_kb()));
    } else if (rc == 0) {
        for (int i = 0; i < started; i++)
            eyni_video_camera_wait(cams[i]);
    }
    memset(st, 0, sizeof *st);
    for (int i = 0; i < started; i++) {
        eyni_video_camera_stats s;
        eyni_video_camera_stats_get(cams[i], &s);
        eyni_video_camera_stop(cams[i]);
        st->decoded += s.decoded, st->sampled += s.sampled, st->dropped += s.dropped;
        st->pipeline.frames += s.pipeline.frames, st->pipeline.faces += s.pipeline.faces;
        st->pipeline.tracks += s.pipeline.tracks;
        st->pipeline.embeddings += s.pipeline.embeddings;
        st->pipeline.alerts += s.pipeline.alerts;
        st->pipeline.track_switches += s.pipeline.track_switches;
        st->pipeline.segments += s.pipeline.segments;
        st->pipeline.held_lookalike += s.pipeline.held_lookalike;
        st->pipeline.analyse_ms += s.pipeline.analyse_ms;
        st->outages += s.outages;
        for (int b = 0; b < EYNI_VIDEO_HIST_BINS; b++)
            st->pipeline.score_hist[b] += s.pipeline.score_hist[b];
        for (int b = 0; b < EYNI_VIDEO_NHIST_BINS; b++)
            st->pipeline.norm_hist[b] += s.pipeline.norm_hist[b];
    }
    return rc;
}

/* The score curve of a histogram of tracks' best scores: for each bin's lower edge, the
 * tracks that reached it (on footage without wanted persons, the false alerts that threshold
 * would have given). */
static json_t *tracks_above(const uint64_t *hist, int bins, float lo, float step)
{
    json_t *o = json_object();
    uint64_t sum = 0;
    for (int b = bins - 1; b >= 1; b--) {
        char k[16];
        sum += hist[b];
        snprintf(k, sizeof k, "%.2f", lo + b * step);
        json_object_set_new(o, k, json_integer((json_int_t)sum));
    }
    return o;
}

/* Loads the cohort (the named list, else DIR/cohort.tsv when there is one) and describes it
 * with the normalised threshold the pipeline will use and each entry's look-alike figures. */
static int load_cohort(const bench_args *a, cli_video_engine *v, json_t **out, eyni_error *err)
{
    char path[4096];
    struct stat sb;
    *out = json_null();
    if (a->cohort && !strcmp(a->cohort, "none"))
        return 0;
    snprintf(path, sizeof path, "%s", a->cohort ? a->cohort : "");
    if (!a->cohort)
        snprintf(path, sizeof path, "%s/cohort.tsv", a->dir);
    if (!a->cohort && stat(path, &sb) != 0)
        return 0;
    size_t skipped = 0;
    double t0 = eyni_time_ms();
    int rc = eyni_video_wanted_load_cohort(v->wanted, v->fe, path, &skipped, err);
    if (rc)
        return rc;
    eyni_video_cohort_info ci;
    eyni_video_wanted_cohort_info(v->wanted, &ci);
    eyni_video_pipeline *p = NULL;
    eyni_video_opts o = a->pipe;
    float t = 0;
    if (eyni_video_pipeline_new(v->fe, v->wanted, &o, "probe", NULL, NULL, &p, err) == 0)
        t = eyni_video_pipeline_norm_threshold(p);
    eyni_video_pipeline_free(p);
    json_t *entries = json_array();
    eyni_video_entry_info e;
    for (size_t i = 0; eyni_video_wanted_entry(v->wanted, i, &e); i++)
        json_array_append_new(entries, json_pack("{s:I,s:s,s:f,s:f}", "id", (json_int_t)e.id,
                                                 "label", e.label, "cohort_mean", e.cohort_mean,
                                                 "cohort_spread", e.cohort_spread));
    *out = json_pack("{s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:o}", "list", path, "faces",
                     (json_int_t)ci.faces, "skipped", (json_int_t)skipped, "pairs", ci.pairs,
                     "tail_start", ci.tail_start, "tail_scale", ci.tail_scale, "tail_rate",
                     ci.tail_rate, "norm_threshold", t, "load_ms", eyni_time_ms() - t0, "entries",
                     entries);
    return 0;
}

/* What look-alikes can cost the wanted persons' own passes, at worst: every entry (photo and
 * blurred copy) gets the cohort face most like it as a face the desk dismissed for him. */
static json_t *seed_lookalikes(cli_video_engine *v)
{
    json_t *out = json_array();
    eyni_video_entry_info e;
    eyni_error err = {0};
    float emb[EYNI_FACE_DIM], s = 0;
    for (size_t i = 0; eyni_video_wanted_entry(v->wanted, i, &e); i++) {
        if (!eyni_video_wanted_nearest_cohort(v->wanted, i, emb, &s) ||
            eyni_video_wanted_add_lookalike(v->wanted, e.id, -1 - (int64_t)i, emb, &err))
            continue;
        json_array_append_new(
            out, json_pack("{s:I,s:s,s:f}", "id", (json_int_t)e.id, "label", e.label, "cosine", s));
    }
    return out;
}

/* The enrolment check of every wanted photo (what `eyni watch add-wanted` warns about). */
static json_t *enrolment(const char *list, const eyni_face_engine *fe)
{
    unsigned char *buf = NULL;
    size_t len = 0, n = 0;
    eyni_video_list_item *items = NULL;
    eyni_error e = {0};
    json_t *out = json_array();
    if (eyni_file_read(list, EYNI_VIDEO_MAX_LIST_BYTES, &buf, &len, &e) ||
        eyni_video_list_parse((const char *)buf, len, &items, &n, &e))
        n = 0;
    for (size_t i = 0; i < n; i++) {
        eyni_image *img = NULL;
        eyni_face_quality q;
        unsigned warn = 0;
        if (eyni_image_load(items[i].photo, 3, &img, &e) == 0 &&
            eyni_video_enrol_check(fe, img, &q, &warn, &e) == 0) {
            json_t *w = json_array();
            for (unsigned bit = 1; bit < (1u << EYNI_FACE_REASON_COUNT); bit <<= 1)
                if (warn & bit)
                    json_array_append_new(w, json_string(eyni_face_reason_name(bit)));
            json_array_append_new(out, json_pack("{s:I,s:s,s:f,s:o}", "id", (json_int_t)items[i].id,
                                                 "label", items[i].label, "quality", q.score,
                                                 "warnings", w));
        }
        eyni_image_free(img);
    }
    free(items);
    free(buf);
    return out;
}

static int parse(int argc, char **argv, bench_args *a)
{
    memset(a, 0, sizeof *a);
    a->fps = 5, a->seconds = 120, a->streams = 1, a->seed = 7;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--json"))
            a->json = 1;
        else if (!strcmp(k, "--dismiss-false"))
            a->dismiss_false = 1;
        else if (!strcmp(k, "--lookalike-nearest"))
            a->nearest = 1;
        else if (k[0] != '-' && !a->dir)
            a->dir = k;
        else if (!v)
            return -1;
        else if (!strcmp(k, "--fps"))
            a->fps = atof(v), i++;
        else if (!strcmp(k, "--seconds"))
            a->seconds = atof(v), i++;
        else if (!strcmp(k, "--threshold"))
            a->threshold = (float)atof(v), i++;
        else if (!strcmp(k, "--soak"))
            a->soak = atof(v), i++;
        else if (!strcmp(k, "--streams"))
            a->streams = atoi(v), i++;
        else if (!strcmp(k, "--seed"))
            a->seed = atoi(v), i++;
        else if (!strcmp(k, "--tiles"))
            a->pipe.tiles = atoi(v), i++;
        else if (!strcmp(k, "--tile-every"))
            a->pipe.tile_every = atoi(v), i++;
        else if (!strcmp(k, "--appearance"))
            a->pipe.appearance = atoi(v), i++;
        else if (!strcmp(k, "--blurred-copy"))
            a->blurred_copy = (float)atof(v), i++;
        else if (!strcmp(k, "--early"))
            a->pipe.early_s = atof(v), i++;
        else if (!strcmp(k, "--max-early"))
            a->pipe.max_early = atoi(v), i++;
        else if (!strcmp(k, "--cohort"))
            a->cohort = v, i++;
        else if (!strcmp(k, "--lookalike-memory"))
            a->memory = v, i++;
        else if (!strcmp(k, "--shots"))
            a->shots = v, i++;
        else if (!strcmp(k, "--norm-threshold"))
            a->pipe.norm_threshold = (float)atof(v), i++;
        else if (!strcmp(k, "--alerts-per-hour"))
            a->pipe.alerts_per_hour = atof(v), i++;
        else if (!strcmp(k, "--min-raw"))
            a->pipe.min_raw = (float)atof(v), i++;
        else
            return -1;
    }
    return a->dir && a->fps > 0 && a->fps <= 60 && a->seconds >= 10 && a->streams >= 1 &&
                   a->streams <= 64 && a->soak >= 0
               ? 0
               : -1;
}

int cli_bench_video(int argc, char **argv)
{
    static const char *usage =
        "eyni bench video DIR [--seconds 120] [--seed 7] [--fps 5] "
        "[--threshold T] [--tiles N] [--tile-every N] [--appearance 1|-1] [--blurred-copy R|-1] "
        "[--early S] [--max-early N] [--cohort LIST|none] "
        "[--norm-threshold Z] [--alerts-per-hour R] [--min-raw S] "
        "[--dismiss-false] [--lookalike-nearest] [--lookalike-memory FILE] [--shots FILE] "
        "[--soak SECONDS --streams N] [--json]";
    bench_args a;
    if (parse(argc, argv, &a))
        return cli_usage(usage);
    eyni_error err = {0};
    char truth_path[4096], wanted[4096], video[4096];
    snprintf(truth_path, sizeof truth_path, "%s/truth.json", a.dir);
    snprintf(wanted, sizeof wanted, "%s/wanted.tsv", a.dir);
    struct stat sb;
    if (stat(truth_path, &sb) != 0 && generate(&a, &err))
        return cli_fail(&err);
    json_error_t je;
    json_t *truth = json_load_file(truth_path, 0, &je);
    if (!truth)
        return fprintf(stderr, "eyni bench video: %s: %s\n", truth_path, je.text), CLI_BADINPUT;
    snprintf(video, sizeof video, "%s/%s", a.dir,
             json_string_value(json_object_get(truth, "video"))
                 ? json_string_value(json_object_get(truth, "video"))
                 : "crowd.mp4");
    cli_video_engine v;
    long rss0 = rss_kb();
    if (cli_video_engine_open(&v, wanted, a.blurred_copy, &err)) {
        cli_video_engine_close(&v);
        json_decref(truth);
        return cli_fail(&err);
    }
    json_t *cohort = NULL;
    if (load_cohort(&a, &v, &cohort, &err)) {
        cli_video_engine_close(&v);
        json_decref(truth);
        return cli_fail(&err);
    }
    json_t *enrol = enrolment(wanted, v.fe);
    json_t *seeded = a.nearest ? seed_lookalikes(&v) : NULL;
    long long carried = 0;
    json_t *memory = a.memory ? memory_load(a.memory, v.wanted, &carried, &err) : NULL;
    if (a.memory && !memory) {
        cli_video_engine_close(&v);
        json_decref(truth), json_decref(cohort), json_decref(enrol), json_decref(seeded);
        return cli_fail(&err);
    }
    collector col = {.alerts = json_array(),
                     .count_only = a.soak > 0,
                     .passes = a.dismiss_false ? json_object_get(truth, "passes") : NULL,
                     .wanted = v.wanted,
                     .memory = memory,
                     .shots = json_array()};
    pthread_mutex_init(&col.mu, NULL);
    eyni_video_camera_stats st;
    json_t *rss = json_array();
    double w0 = eyni_time_ms(), c0 = cpu_ms();
    long rss_loaded = rss_kb();
    int rc =
        run_cameras(&a, &v, video, a.soak > 0, a.soak > 0 ? a.streams : 1, &col, &st, rss, &err);
    double wall = eyni_time_ms() - w0, cpu = cpu_ms() - c0;
    cli_video_engine_close(&v);
    pthread_mutex_destroy(&col.mu);
    if (rc == 0 && memory)
        rc = memory_save(a.memory, memory, &err);
    json_decref(memory);
    if (rc == 0 && a.shots)
        rc = shots_save(a.shots, col.shots, &err);
    if (rc) {
        json_decref(truth), json_decref(col.alerts), json_decref(rss), json_decref(cohort);
        json_decref(enrol), json_decref(seeded), json_decref(col.shots);
        return cli_fail(&err);
    }
    double seconds = json_number_value(json_object_get(truth, "seconds"));
    score_sheet s;
    score(truth, col.alerts, &s);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double cpu_per_frame = st.pipeline.frames ? cpu / st.pipeline.frames : 0;
    json_t *o =
        json_pack("{s:s,s:s,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "bench", "video", "video",
                  video, "video_seconds", seconds, "sample_fps", a.fps, "threshold",
                  a.threshold > 0 ? a.threshold : EYNI_VIDEO_THRESHOLD_DEFAULT, "frames_decoded",
                  (json_int_t)st.decoded, "frames_analysed", (json_int_t)st.pipeline.frames,
                  "frames_dropped", (json_int_t)st.dropped, "faces", (json_int_t)st.pipeline.faces,
                  "tracks", (json_int_t)st.pipeline.tracks, "embeddings",
                  (json_int_t)st.pipeline.embeddings, "alerts", (json_int_t)st.pipeline.alerts);
    if (a.soak > 0) {
        json_object_set_new(o, "soak_seconds", json_real(a.soak));
        json_object_set_new(o, "streams", json_integer(a.streams));
        json_object_set_new(o, "rss_kb_over_time", rss);
        json_object_set_new(o, "outages", json_integer((json_int_t)st.outages));
        json_object_set_new(o, "analysed_fps_per_stream",
                            json_real(st.pipeline.frames / (wall / 1000) / a.streams));
    } else {
        json_decref(rss);
        json_t *acc = json_pack(
            "{s:i,s:i,s:f,s:i,s:f,s:f,s:i,s:i,s:f,s:f,s:f}", "wanted_passes", s.wanted_passes,
            "alerted", s.found, "recall", s.wanted_passes ? (double)s.found / s.wanted_passes : 0,
            "alerted_within_1s", s.in_time, "recall_within_1s",
            s.wanted_passes ? (double)s.in_time / s.wanted_passes : 0, "recall_clean",
            s.clean_passes ? (double)s.clean_found / s.clean_passes : 0, "false_alerts",
            s.false_alerts, "duplicate_alerts", s.duplicate, "false_alerts_per_hour",
            seconds > 0 ? s.false_alerts * 3600.0 / seconds : 0, "latency_mean_s",
            s.found ? s.latency_sum / s.found : 0, "latency_max_s", s.latency_max);
        json_object_set_new(
            acc, "misses",
            explain_misses(truth, &s, col.shots,
                           a.pipe.min_raw > 0 ? a.pipe.min_raw : EYNI_VIDEO_MIN_RAW_DEFAULT));
        json_object_set_new(acc, "on_screen",
                            json_pack("{s:i,s:i,s:f,s:i,s:f}", "wanted_passes", s.on_screen,
                                      "alerted", s.on_screen_found, "recall",
                                      s.on_screen ? (double)s.on_screen_found / s.on_screen : 0,
                                      "alerted_within_1s", s.on_screen_in_time, "recall_within_1s",
                                      s.on_screen ? (double)s.on_screen_in_time / s.on_screen : 0));
        json_object_set_new(acc, "latency_median_s", json_real(latency_q(&s, 0.5)));
        json_object_set_new(acc, "latency_p90_s", json_real(latency_q(&s, 0.9)));
        json_object_set_new(o, "accuracy", acc);
        json_object_set_new(
            o, "speed",
            json_pack("{s:f,s:f,s:f,s:f,s:i,s:i}", "analysed_fps_pipeline",
                      st.pipeline.analyse_ms > 0
                          ? st.pipeline.frames * 1000.0 / st.pipeline.analyse_ms
                          : 0,
                      "analysed_fps_wall", wall > 0 ? st.pipeline.frames * 1000.0 / wall : 0,
                      "realtime_factor", wall > 0 ? seconds * 1000.0 / wall : 0,
                      "cpu_ms_per_analysed_frame_with_decoding", cpu_per_frame, "cores", (int)cores,
                      "streams_at_sample_fps_estimate",
                      cpu_per_frame > 0 ? (int)(cores * 1000.0 / (a.fps * cpu_per_frame)) : 0));
    }
    json_object_set_new(o, "rss_kb",
                        json_pack("{s:I,s:I,s:I}", "start", (json_int_t)rss0, "engine_loaded",
                                  (json_int_t)rss_loaded, "end", (json_int_t)rss_kb()));
    json_object_set_new(o, "track_switches", json_integer((json_int_t)st.pipeline.track_switches));
    json_object_set_new(o, "track_segments", json_integer((json_int_t)st.pipeline.segments));
    if (a.dismiss_false || a.nearest || a.memory)
        json_object_set_new(o, "lookalikes",
                            json_pack("{s:I,s:I,s:I}", "dismissed", (json_int_t)col.dismissed,
                                      "carried", (json_int_t)carried, "held_tracks",
                                      (json_int_t)st.pipeline.held_lookalike));
    json_object_set_new(o, "tracks_at_or_above",
                        tracks_above(st.pipeline.score_hist, EYNI_VIDEO_HIST_BINS,
                                     EYNI_VIDEO_HIST_LO, EYNI_VIDEO_HIST_STEP));
    if (!json_is_null(cohort))
        json_object_set_new(o, "tracks_at_or_above_norm",
                            tracks_above(st.pipeline.norm_hist, EYNI_VIDEO_NHIST_BINS,
                                         EYNI_VIDEO_NHIST_LO, EYNI_VIDEO_NHIST_STEP));
    json_object_set_new(o, "cohort", cohort);
    json_object_set_new(o, "enrolment", enrol);
    if (seeded)
        json_object_set_new(o, "lookalikes_seeded", seeded);
    json_object_set_new(o, "alerts_list", col.alerts);
    json_decref(truth);
    free(s.latency);
    free(s.hit_at);
    json_decref(col.shots);
    return cli_emit(o, a.json);
}
