/*
 * The video pipeline end to end on generated crowd videos (real LFW faces): alerts for the
 * wanted persons and none for others, a live MPEG-TS stream on loopback that stops and
 * comes back, garbage and a resolution change mid-stream.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eyni/video.h"
#include "testutil.h"

extern char **environ;

typedef struct fixture {
    eyni_onnx_env *env;
    eyni_face_engine *fe;
    char *dir; /* generated 720p video, 12 s */
    char *ts;  /* the same as MPEG-TS */
} fixture;

typedef struct alerts {
    pthread_mutex_t mu;
    json_t *list;
} alerts;

static void on_alert(void *ctx, const eyni_video_alert *a)
{
    alerts *al = ctx;
    pthread_mutex_lock(&al->mu);
    json_array_append_new(al->list,
                          json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:I}", "person",
                                    (json_int_t)a->person_id, "track", (json_int_t)a->track_id,
                                    "first", a->shot_time, "at", a->alert_time, "score", a->score,
                                    "norm", a->norm, "jpeg", (json_int_t)a->jpeg_len));
    pthread_mutex_unlock(&al->mu);
}

/* gen_crowd_video with six wanted persons; more: further options or "". */
static void generate_with(const char *dir, int seconds, int seed, const char *format, int w, int h,
                          const char *more)
{
    char *gen = eyni_test_program("gen_crowd_video");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' --lfw '%s/lfw-a-gray-dev/images' --out '%s' --seconds %d --seed %d "
             "--format %s --width %d --height %d --wanted 6 %s",
             gen, eyni_test_data(), dir, seconds, seed, format, w, h, more);
    free(gen);
    assert_int_equal(system(cmd), 0);
}

static void generate(const char *dir, int seconds, int seed, const char *format, int w, int h)
{
    generate_with(dir, seconds, seed, format, w, h, "");
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    eyni_error err = {0};
    eyni_face_opts o = {.intra_threads = 1, .inter_threads = 1};
    if (eyni_onnx_env_new("test-video", &f->env, &err) ||
        eyni_face_engine_new(f->env, &o, &f->fe, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    f->dir = eyni_test_tmpdir("video-crowd");
    generate(f->dir, 12, 3, "mp4", 1280, 720);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    eyni_face_engine_free(f->fe);
    eyni_onnx_env_free(f->env);
    free(f->dir);
    free(f);
    return 0;
}

static eyni_video_wanted *load_wanted(fixture *f, const char *dir)
{
    eyni_video_wanted *w = NULL;
    eyni_error err = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/wanted.tsv", dir);
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    if (eyni_video_wanted_load_list(w, f->fe, path, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(eyni_video_wanted_size(w), 12); /* six photos, each also blurred */
    return w;
}

static eyni_video_camera *start(fixture *f, eyni_video_wanted *w, const char *url, int live,
                                alerts *al)
{
    eyni_video_camera_config cfg = {.sample_fps = 5,
                                    .live = live,
                                    .timeout_ms = 1500,
                                    .backoff_min_ms = 100,
                                    .backoff_max_ms = 400};
    snprintf(cfg.name, sizeof cfg.name, "test");
    snprintf(cfg.url, sizeof cfg.url, "%s", url);
    eyni_video_camera *c = NULL;
    eyni_error err = {0};
    if (eyni_video_camera_start(&cfg, f->fe, w, on_alert, al, NULL, &c, &err))
        fail_msg("%s", err.msg);
    return c;
}

/* Is an alert for person on a shot taken at `first` explained by a pass in the truth? */
static int explained(json_t *truth, json_int_t person, double first)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(truth, "passes"), i, p)
    {
        double st = json_number_value(json_object_get(p, "start"));
        double en = json_number_value(json_object_get(p, "end"));
        if (json_integer_value(json_object_get(p, "wanted_id")) == person && first >= st - 0.5 &&
            first <= en + 0.5)
            return 1;
    }
    return 0;
}

static json_t *load_truth(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/truth.json", dir);
    json_t *t = json_load_file(path, 0, NULL);
    assert_non_null(t);
    return t;
}

/* Runs the fixture's video against w and checks the alerts against the truth. */
static void check_file_alerts(fixture *f, eyni_video_wanted *w, float norm_threshold)
{
    alerts al = {.list = json_array()};
    pthread_mutex_init(&al.mu, NULL);
    char url[4096];
    snprintf(url, sizeof url, "%s/crowd.mp4", f->dir);
    eyni_video_camera *c = start(f, w, url, 0, &al);
    eyni_video_camera_wait(c);
    eyni_video_camera_stats st;
    eyni_video_camera_stats_get(c, &st);
    eyni_video_camera_stop(c);
    /* a file is read at the analyser's pace: nothing dropped, every sample analysed */
    assert_int_equal(st.decoded, 300);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.pipeline.frames, 60);
    assert_true(st.pipeline.tracks < st.pipeline.faces / 3); /* tracks, not detections */
    json_t *truth = load_truth(f->dir);
    /* every alert names a wanted person who was passing then */
    size_t i;
    json_t *a;
    json_array_foreach(al.list, i, a)
    {
        json_int_t person = json_integer_value(json_object_get(a, "person"));
        double first = json_real_value(json_object_get(a, "first"));
        if (!explained(truth, person, first))
            fail_msg("false alert: person %lld at %.1f s", (long long)person, first);
        assert_true(json_integer_value(json_object_get(a, "jpeg")) > 0);
        /* with a cohort the alert was raised on the normalised score */
        double norm = json_real_value(json_object_get(a, "norm"));
        if (norm_threshold > 0)
            assert_true(norm >= norm_threshold);
        else
            assert_true(norm == -1);
    }
    /* and the clean passes of wanted persons (not blurred, not covered) are alerted */
    int clean = 0, found = 0;
    json_t *p;
    json_array_foreach(json_object_get(truth, "passes"), i, p)
    {
        json_int_t id = json_integer_value(json_object_get(p, "wanted_id"));
        double st0 = json_number_value(json_object_get(p, "start"));
        double en = json_number_value(json_object_get(p, "end"));
        if (id <= 0 || en - st0 < 2 || json_is_true(json_object_get(p, "blurred")) ||
            json_is_true(json_object_get(p, "occluded")))
            continue;
        clean++;
        size_t k;
        json_t *x;
        int hit = 0;
        json_array_foreach(al.list, k, x)
        {
            double first = json_real_value(json_object_get(x, "first"));
            hit |= json_integer_value(json_object_get(x, "person")) == id && first >= st0 - 0.5 &&
                   first <= en + 0.5;
        }
        found += hit;
    }
    fprintf(stderr, "clean wanted passes %d, alerted %d, alerts %zu\n", clean, found,
            json_array_size(al.list));
    assert_true(clean >= 1);
    assert_true(found * 4 >= clean * 3); /* at least three in four */
    json_decref(truth);
    json_decref(al.list);
    pthread_mutex_destroy(&al.mu);
}

/* The truth says for how long each face was in view, not hidden behind later faces: never
 * longer than it was on screen, an appearance only with a run of two seconds, and in a
 * crowd some faces hidden for part of their pass. */
static void test_truth_visibility(void **state)
{
    fixture *f = *state;
    json_t *truth = load_truth(f->dir);
    size_t i;
    json_t *p;
    int hidden = 0;
    json_array_foreach(json_object_get(truth, "passes"), i, p)
    {
        double st0 = json_number_value(json_object_get(p, "start"));
        double en = json_number_value(json_object_get(p, "end"));
        double vis = json_number_value(json_object_get(p, "visible_s"));
        double appear = json_number_value(json_object_get(p, "appear"));
        assert_true(vis >= 0 && vis <= en - st0 + 0.05);
        if (vis < 2.0 - 1e-6)
            assert_true(appear == -1);
        else
            assert_true(appear >= st0 - 1e-6 && appear <= en - 2.0 + 0.05);
        hidden += vis < en - st0 - 0.1;
    }
    assert_true(hidden > 0);
    json_decref(truth);
}

/* Number of lines of the wanted list naming photo; all of them with photo NULL. */
static int wanted_lines(const char *dir, const char *photo)
{
    char path[4096], line[4096];
    snprintf(path, sizeof path, "%s/wanted.tsv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        const char *tab = strrchr(line, '\t');
        n += !photo || (tab && !strcmp(tab + 1, photo));
    }
    fclose(f);
    return n;
}

/* --enrol-photos 2: the same scene (same passes, places, blur, cover) with each wanted person's
 * first two photos on the list, and no enrolled photo ever shown. */
static void test_enrol_photos(void **state)
{
    fixture *f = *state;
    char *dir = eyni_test_tmpdir("video-enrol2");
    generate_with(dir, 12, 3, "mp4", 1280, 720, "--enrol-photos 2");
    json_t *one = load_truth(f->dir), *two = load_truth(dir);
    json_t *p1 = json_object_get(one, "passes"), *p2 = json_object_get(two, "passes");
    assert_int_equal(json_array_size(p1), json_array_size(p2));
    assert_int_equal(wanted_lines(f->dir, NULL), 6);
    assert_int_equal(wanted_lines(dir, NULL), 12);
    int wanted = 0;
    for (size_t i = 0; i < json_array_size(p2); i++) {
        json_t *a = json_array_get(p1, i), *b = json_array_get(p2, i);
        static const char *same[] = {"label", "wanted_id", "start", "end", "blurred", "occluded"};
        for (size_t k = 0; k < sizeof same / sizeof same[0]; k++)
            assert_true(json_equal(json_object_get(a, same[k]), json_object_get(b, same[k])));
        const char *img = json_string_value(json_object_get(b, "image"));
        assert_int_equal(wanted_lines(dir, img), 0);
        wanted += json_integer_value(json_object_get(b, "wanted_id")) > 0;
    }
    assert_true(wanted > 0);
    json_decref(one);
    json_decref(two);
    free(dir);
}

static void test_file_alerts(void **state)
{
    fixture *f = *state;
    eyni_video_wanted *w = load_wanted(f, f->dir);
    check_file_alerts(f, w, 0);
    eyni_video_wanted_free(w);
}

/* No cohort person is in the video or the wanted list (the generator keeps them apart). */
static void check_disjoint(const char *dir, const char *cohort)
{
    json_t *truth = load_truth(dir);
    unsigned char *buf = NULL;
    size_t len = 0, n = 0;
    eyni_video_list_item *items = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_file_read(cohort, EYNI_VIDEO_MAX_LIST_BYTES, &buf, &len, &err), 0);
    assert_int_equal(eyni_video_list_parse((const char *)buf, len, &items, &n, &err), 0);
    assert_true(n > 300);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(truth, "passes"), i, p)
    {
        const char *label = json_string_value(json_object_get(p, "label"));
        for (size_t k = 0; k < n; k++)
            if (strcmp(items[k].label, label) == 0)
                fail_msg("cohort person %s is in the video", label);
    }
    free(items);
    free(buf);
    json_decref(truth);
}

static void test_file_alerts_cohort(void **state)
{
    fixture *f = *state;
    char path[4096];
    snprintf(path, sizeof path, "%s/cohort.tsv", f->dir);
    check_disjoint(f->dir, path);
    eyni_video_wanted *w = load_wanted(f, f->dir);
    eyni_error err = {0};
    size_t skipped = 9;
    if (eyni_video_wanted_load_cohort(w, f->fe, path, &skipped, &err))
        fail_msg("%s", err.msg);
    assert_true(skipped < 10);
    eyni_video_cohort_info ci;
    eyni_video_wanted_cohort_info(w, &ci);
    assert_true(ci.faces > 2 * 300 && ci.pairs > 4 * 40000); /* each photo and its blurred copy */
    assert_true(ci.tail_rate > 0 && ci.tail_rate < 0.01 && ci.tail_scale > 0);
    /* the pipeline's operating point for the defaults: 1 false alert an hour */
    eyni_video_pipeline *p = NULL;
    assert_int_equal(eyni_video_pipeline_new(f->fe, w, NULL, "t", NULL, NULL, &p, &err), 0);
    float t = eyni_video_pipeline_norm_threshold(p);
    eyni_video_pipeline_free(p);
    /* six wanted photos, each also enrolled blurred: twelve entries compared per shot */
    size_t n = eyni_video_wanted_size(w);
    assert_int_equal(n, 12);
    double fmr = EYNI_VIDEO_ALERTS_PER_HOUR_DEFAULT /
                 (EYNI_VIDEO_TRACKS_PER_HOUR_DEFAULT * EYNI_VIDEO_SHOTS_PER_TRACK_DEFAULT * n);
    assert_true(fabsf(t - eyni_video_wanted_norm_threshold(w, fmr)) < 1e-4f);
    assert_true(t > ci.tail_start);
    /* every entry's look-alikes were measured */
    eyni_video_entry_info e;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(eyni_video_wanted_entry(w, i, &e), 1);
        assert_true(e.cohort_mean > 0 && e.cohort_mean < 0.5 && e.cohort_spread > 0.01f);
    }
    assert_int_equal(eyni_video_wanted_entry(w, n, &e), 0);
    check_file_alerts(f, w, t);
    eyni_video_wanted_free(w);
}

/* A wanted photo with eyes closed (LFW Justin_Guarini_0001, singing) is warned about; a
 * clear one is not. */
static void test_enrol_check(void **state)
{
    fixture *f = *state;
    static const char *photos[] = {"Justin_Guarini/Justin_Guarini_0001.jpg",
                                   "John_Manley/John_Manley_0001.jpg"};
    unsigned warn[2];
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/lfw-a-gray-dev/images/%s", eyni_test_data(), photos[i]);
        eyni_image *img = NULL;
        eyni_face_quality q;
        eyni_error err = {0};
        assert_int_equal(eyni_image_load(path, 3, &img, &err), 0);
        assert_int_equal(eyni_video_enrol_check(f->fe, img, &q, &warn[i], &err), 0);
        eyni_image_free(img);
    }
    assert_true(warn[0] & EYNI_FACE_EYES_CLOSED);
    assert_int_equal(warn[1], 0);
}

static int free_udp_port(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* Sends `seconds` of the video at its own pace as MPEG-TS over UDP to 127.0.0.1:port. */
static pid_t send_stream(const char *video, int port, int seconds)
{
    char dst[128], dur[16];
    snprintf(dst, sizeof dst, "udp://127.0.0.1:%d?pkt_size=1316", port);
    snprintf(dur, sizeof dur, "%d", seconds);
    char *args[] = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
                    "-i",     (char *)video,  "-t",        dur,     "-c",
                    "copy",   "-f",           "mpegts",    dst,     NULL};
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, "ffmpeg", NULL, NULL, args, environ), 0);
    return pid;
}

static void wait_for(eyni_video_camera *c, int (*cond)(const eyni_video_camera_stats *), int ms)
{
    for (int i = 0; i < ms / 100; i++) {
        eyni_video_camera_stats st;
        eyni_video_camera_stats_get(c, &st);
        if (cond(&st))
            return;
        usleep(100000);
    }
}

static int had_outage(const eyni_video_camera_stats *s)
{
    return s->outages > 0;
}

static int reconnected(const eyni_video_camera_stats *s)
{
    return s->connects >= 2 && s->pipeline.frames > 0;
}

static void test_live_udp(void **state)
{
    fixture *f = *state;
    eyni_video_wanted *w = load_wanted(f, f->dir);
    alerts al = {.list = json_array()};
    pthread_mutex_init(&al.mu, NULL);
    int port = free_udp_port();
    char url[256], video[4096];
    snprintf(url, sizeof url, "udp://127.0.0.1:%d?fifo_size=100000&overrun_nonfatal=1", port);
    snprintf(video, sizeof video, "%s/crowd.mp4", f->dir);
    eyni_video_camera *c = start(f, w, url, 1, &al);
    int status;
    pid_t p1 = send_stream(video, port, 6);
    assert_int_equal(waitpid(p1, &status, 0), p1);
    /* the stream stopped: reported as an outage, then retried */
    wait_for(c, had_outage, 30000);
    eyni_video_camera_stats st;
    eyni_video_camera_stats_get(c, &st);
    assert_true(st.connects >= 1);
    assert_true(st.outages >= 1);
    assert_true(st.last_error[0] != 0);
    uint64_t before = st.pipeline.frames;
    assert_true(before > 0);
    /* it comes back and is picked up again */
    pid_t p2 = send_stream(video, port, 10);
    wait_for(c, reconnected, 30000);
    assert_int_equal(waitpid(p2, &status, 0), p2);
    eyni_video_camera_stats_get(c, &st);
    eyni_video_camera_stop(c);
    fprintf(stderr, "udp: connects %llu outages %llu analysed %llu dropped %llu alerts %zu\n",
            (unsigned long long)st.connects, (unsigned long long)st.outages,
            (unsigned long long)st.pipeline.frames, (unsigned long long)st.dropped,
            json_array_size(al.list));
    assert_true(st.connects >= 2);
    assert_true(st.pipeline.frames > before);
    assert_true(st.outage_s > 0); /* the time without a stream is counted */
    json_decref(al.list);
    pthread_mutex_destroy(&al.mu);
    eyni_video_wanted_free(w);
}

static void test_garbage(void **state)
{
    fixture *f = *state;
    char *dir = eyni_test_tmpdir("video-garbage");
    char path[4096];
    eyni_error err = {0};
    /* random bytes */
    snprintf(path, sizeof path, "%s/noise.mp4", dir);
    unsigned char noise[65536];
    assert_int_equal(eyni_random_bytes(noise, sizeof noise, &err), 0);
    assert_int_equal(eyni_file_write_atomic(path, noise, sizeof noise, 0600, &err), 0);
    eyni_video_source *s = NULL;
    int rc = eyni_video_source_open(path, NULL, &s, &err);
    assert_true(rc == EYNI_EFORMAT || rc == EYNI_EIO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "noise.mp4"));
    /* a camera on it reports the error and stops, no crash */
    eyni_video_wanted *w = NULL;
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    alerts al = {.list = json_array()};
    pthread_mutex_init(&al.mu, NULL);
    eyni_video_camera *c = start(f, w, path, 0, &al);
    eyni_video_camera_wait(c);
    eyni_video_camera_stats st;
    eyni_video_camera_stats_get(c, &st);
    eyni_video_camera_stop(c);
    assert_int_equal(st.connects, 0);
    assert_true(st.last_error[0] != 0);
    /* a missing file and an unreachable address are EIO */
    assert_int_equal(eyni_video_source_open("/nonexistent/x.mp4", NULL, &s, &err), EYNI_EIO);
    /* the real video cut in half and with its middle overwritten: frames, then an end */
    unsigned char *buf = NULL;
    size_t len = 0;
    char src[4096];
    snprintf(src, sizeof src, "%s/crowd.mp4", f->dir);
    assert_int_equal(eyni_file_read(src, 64 << 20, &buf, &len, &err), 0);
    memcpy(buf + len / 3, noise, len / 3 < sizeof noise ? len / 3 : sizeof noise);
    snprintf(path, sizeof path, "%s/damaged.mp4", dir);
    assert_int_equal(eyni_file_write_atomic(path, buf, len / 2, 0600, &err), 0);
    free(buf);
    rc = eyni_video_source_open(path, NULL, &s, &err);
    if (rc == 0) {
        int frames = 0;
        for (;;) {
            eyni_image *img = NULL;
            double t;
            rc = eyni_video_source_read(s, &img, &t, &err);
            if (rc)
                break;
            frames++;
            eyni_image_free(img);
        }
        assert_true(rc == 1 || rc == EYNI_EFORMAT || rc == EYNI_EIO);
        eyni_video_source_free(s);
    }
    json_decref(al.list);
    pthread_mutex_destroy(&al.mu);
    eyni_video_wanted_free(w);
    free(dir);
}

static void test_resolution_change(void **state)
{
    fixture *f = *state;
    char *a = eyni_test_tmpdir("video-res-a"), *b = eyni_test_tmpdir("video-res-b");
    generate(a, 4, 5, "ts", 1280, 720);
    generate(b, 4, 6, "ts", 960, 540);
    char cmd[16384], joined[4200];
    snprintf(joined, sizeof joined, "%s/joined.ts", a);
    snprintf(cmd, sizeof cmd, "cat '%s/crowd.ts' '%s/crowd.ts' > '%s'", a, b, joined);
    assert_int_equal(system(cmd), 0);
    eyni_video_wanted *w = load_wanted(f, a);
    alerts al = {.list = json_array()};
    pthread_mutex_init(&al.mu, NULL);
    eyni_video_camera *c = start(f, w, joined, 0, &al);
    eyni_video_camera_wait(c);
    eyni_video_camera_stats st;
    eyni_video_camera_stats_get(c, &st);
    eyni_video_camera_stop(c);
    fprintf(stderr, "joined: decoded %llu resizes %llu analysed %llu error '%s'\n",
            (unsigned long long)st.decoded, (unsigned long long)st.resizes,
            (unsigned long long)st.pipeline.frames, st.last_error);
    assert_int_equal(st.resizes, 1);
    assert_int_equal(st.decoded, 200);
    assert_true(st.pipeline.frames >= 38);
    json_decref(al.list);
    pthread_mutex_destroy(&al.mu);
    eyni_video_wanted_free(w);
    free(a);
    free(b);
}

/* A frame of grey with one LFW photo of `side` px at (x, y). */
static eyni_image *frame_with(const char *photo_rel, int side, int x, int y)
{
    eyni_error err = {0};
    char *path = eyni_test_path(photo_rel);
    eyni_image *photo = NULL, *tile = NULL, *frame = eyni_image_new(1280, 720, 3, &err);
    assert_non_null(frame);
    assert_int_equal(eyni_image_load(path, 3, &photo, &err), 0);
    assert_int_equal(eyni_image_resize(photo, side, side, &tile, &err), 0);
    memset(frame->data, 128, (size_t)1280 * 720 * 3);
    for (int r = 0; r < side; r++)
        memcpy(frame->data + ((size_t)(y + r) * 1280 + x) * 3, tile->data + (size_t)r * side * 3,
               (size_t)side * 3);
    eyni_image_free(photo);
    eyni_image_free(tile);
    free(path);
    return frame;
}

/* A wanted person who steps in front of another face at the same place: the overlap joins
 * the newcomer to the old track, whose best shot (a larger, sharper face) outranks every
 * shot of the newcomer. The change of look must restart the track's shots, so the newcomer
 * is compared and alerted within a second. */
static void test_newcomer_in_front(void **state)
{
    fixture *f = *state;
    eyni_error err = {0};
    eyni_video_wanted *w = NULL;
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    char *enrol = eyni_test_path("lfw-a-gray-dev/images/Bashar_Assad/Bashar_Assad_0001.jpg");
    eyni_image *img = NULL;
    assert_int_equal(eyni_image_load(enrol, 3, &img, &err), 0);
    if (eyni_video_wanted_add_image(w, f->fe, 6, "Bashar_Assad", img, &err))
        fail_msg("%s", err.msg);
    eyni_image *before =
        frame_with("lfw-a-gray-dev/images/Jodie_Foster/Jodie_Foster_0002.jpg", 340, 500, 200);
    eyni_image *after =
        frame_with("lfw-a-gray-dev/images/Bashar_Assad/Bashar_Assad_0002.jpg", 250, 530, 240);
    alerts al = {.list = json_array()};
    pthread_mutex_init(&al.mu, NULL);
    eyni_video_pipeline *p = NULL;
    assert_int_equal(eyni_video_pipeline_new(f->fe, w, NULL, "front", on_alert, &al, &p, &err), 0);
    for (int i = 0; i < 20; i++) /* 5 frames a second: 1.6 s of one face, 2.4 s of the other */
        if (eyni_video_pipeline_frame(p, i < 8 ? before : after, i * 0.2, &err))
            fail_msg("%s", err.msg);
    eyni_video_stats st;
    eyni_video_pipeline_stats(p, &st);
    assert_int_equal(eyni_video_pipeline_flush(p, &err), 0);
    assert_int_equal(json_array_size(al.list), 1);
    json_t *a = json_array_get(al.list, 0);
    assert_int_equal(json_integer_value(json_object_get(a, "person")), 6);
    /* on the first face's track: the overlap did join them (the photo's background face
     * makes a second track of its own) */
    assert_int_equal(json_integer_value(json_object_get(a, "track")), 1);
    assert_true(json_real_value(json_object_get(a, "at")) <= 1.6 + 1.0);
    assert_true(st.segments >= 1);
    eyni_video_pipeline_free(p);
    json_decref(al.list);
    pthread_mutex_destroy(&al.mu);
    eyni_image_free(before);
    eyni_image_free(after);
    eyni_image_free(img);
    eyni_video_wanted_free(w);
    free(enrol);
}

typedef struct taught {
    int alerts;
    int64_t person[4];
    float probe[EYNI_FACE_DIM]; /* of the first alert */
    int held;
    eyni_video_held last_held;
} taught;

static void on_held(void *ctx, const eyni_video_held *h)
{
    taught *t = ctx;
    t->held++;
    t->last_held = *h;
}

static void on_alert_probe(void *ctx, const eyni_video_alert *a)
{
    taught *t = ctx;
    if (t->alerts == 0)
        memcpy(t->probe, a->probe, sizeof t->probe);
    if (t->alerts < 4)
        t->person[t->alerts] = a->person_id;
    t->alerts++;
}

/* Frames from first to first + n (0.2 s apart) showing one photo (NULL: an empty frame). */
static void pass(eyni_video_pipeline *p, const char *photo_rel, int side, int x, int first, int n)
{
    eyni_error err = {0};
    eyni_image *frame =
        photo_rel ? frame_with(photo_rel, side, x, 200) : eyni_image_new(1280, 720, 3, &err);
    assert_non_null(frame);
    if (!photo_rel)
        memset(frame->data, 128, (size_t)1280 * 720 * 3);
    for (int i = first; i < first + n; i++)
        if (eyni_video_pipeline_frame(p, frame, i * 0.2, &err))
            fail_msg("%s", err.msg);
    eyni_image_free(frame);
}

/* A real look-alike pair of the generated hours: Larry_Hahn passing is taken for the wanted
 * Gian_Marco. Once the operator dismisses that face as a look-alike, Larry's next pass (another
 * place, another size) is held back, and Gian_Marco himself (another photo) is still alerted. */
static void test_lookalike_pass(void **state)
{
    fixture *f = *state;
    eyni_error err = {0};
    eyni_video_wanted *w = NULL;
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    char *enrol = eyni_test_path("lfw-a-gray-dev/images/Gian_Marco/Gian_Marco_0001.jpg");
    eyni_image *img = NULL;
    assert_int_equal(eyni_image_load(enrol, 3, &img, &err), 0);
    if (eyni_video_wanted_add_image(w, f->fe, 9, "Gian_Marco", img, &err))
        fail_msg("%s", err.msg);
    taught t = {0};
    /* raw, no cohort: the pair scores about 0.49 */
    eyni_video_opts o = {.threshold = 0.45f, .held_fn = on_held, .held_ctx = &t};
    eyni_video_pipeline *p = NULL;
    assert_int_equal(eyni_video_pipeline_new(f->fe, w, &o, "pair", on_alert_probe, &t, &p, &err),
                     0);
    pass(p, "lfw-a-gray-dev/images/Larry_Hahn/Larry_Hahn_0001.jpg", 250, 500, 0, 10);
    pass(p, NULL, 0, 0, 10, 8); /* the track ends */
    assert_int_equal(t.alerts, 1);
    assert_int_equal(t.person[0], 9);
    assert_int_equal(eyni_video_wanted_add_lookalike(w, 9, 1, t.probe, &err), 0);
    pass(p, "lfw-a-gray-dev/images/Larry_Hahn/Larry_Hahn_0001.jpg", 290, 250, 18, 10);
    pass(p, NULL, 0, 0, 28, 8);
    eyni_video_stats st;
    eyni_video_pipeline_stats(p, &st);
    assert_int_equal(t.alerts, 1);
    assert_true(st.held_lookalike >= 1);
    /* each held match is reported once per track, naming the look-alike that held it */
    assert_int_equal(t.held, (int)st.held_lookalike);
    assert_true(t.last_held.person_id == 9 && t.last_held.lookalike_key == 1);
    assert_true(t.last_held.lookalike_score >= t.last_held.score);
    assert_string_equal(t.last_held.camera, "pair");
    pass(p, "lfw-a-gray-dev/images/Gian_Marco/Gian_Marco_0002.jpg", 250, 700, 36, 10);
    assert_int_equal(eyni_video_pipeline_flush(p, &err), 0);
    assert_int_equal(t.alerts, 2);
    assert_int_equal(t.person[1], 9);
    eyni_video_pipeline_free(p);
    eyni_image_free(img);
    eyni_video_wanted_free(w);
    free(enrol);
}

/* The embedding of the main face of an LFW photo, blurred first when sigma > 0. */
static void embed_lfw(fixture *f, const char *rel, float sigma, float emb[EYNI_FACE_DIM])
{
    eyni_error err = {0};
    char *path = eyni_test_path(rel);
    eyni_image *img = NULL, *b = NULL;
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    assert_int_equal(eyni_image_load(path, 3, &img, &err), 0);
    if (sigma > 0)
        assert_int_equal(eyni_image_blur(img, sigma, &b, &err), 0);
    const eyni_image *use = b ? b : img;
    assert_int_equal(eyni_face_detect(f->fe, use, d, EYNI_FACE_MAX_FACES, &n, &err), 0);
    assert_true(n > 0);
    assert_int_equal(eyni_face_embed(f->fe, use, &d[eyni_face_primary(use, d, n)], emb, &err), 0);
    eyni_image_free(img);
    eyni_image_free(b);
    free(path);
}

/* Each wanted photo is enrolled twice, as it is and blurred: a blurred face in the crowd is
 * far closer to the blurred copy (LFW Demi_Moore_0004, blurred as the generator blurs, against
 * her _0001: a wanted pass the sharp entry alone missed in video). */
static void test_blurred_copy(void **state)
{
    fixture *f = *state;
    eyni_error err = {0};
    char *enrol = eyni_test_path("lfw-a-gray-dev/images/Demi_Moore/Demi_Moore_0001.jpg");
    eyni_image *img = NULL;
    assert_int_equal(eyni_image_load(enrol, 3, &img, &err), 0);
    eyni_video_wanted *with = NULL, *without = NULL;
    assert_int_equal(eyni_video_wanted_new(&with, &err), 0);
    assert_int_equal(eyni_video_wanted_new(&without, &err), 0);
    eyni_video_wanted_set_blurred_copy(without, -1);
    assert_int_equal(eyni_video_wanted_add_image(with, f->fe, 3, "Demi_Moore", img, &err), 0);
    assert_int_equal(eyni_video_wanted_add_image(without, f->fe, 3, "Demi_Moore", img, &err), 0);
    assert_int_equal(eyni_video_wanted_size(with), 2);
    assert_int_equal(eyni_video_wanted_size(without), 1);
    float probe[EYNI_FACE_DIM];
    embed_lfw(f, "lfw-a-gray-dev/images/Demi_Moore/Demi_Moore_0004.jpg", 2.6f, probe);
    eyni_video_match a, b;
    assert_int_equal(eyni_video_wanted_match(with, probe, &a, &err), 0);
    assert_int_equal(eyni_video_wanted_match(without, probe, &b, &err), 0);
    assert_int_equal(a.id, 3);
    assert_true(a.score >= b.score + 0.05f);
    assert_true(a.score >= EYNI_VIDEO_MIN_RAW_DEFAULT);
    eyni_video_wanted_free(with);
    eyni_video_wanted_free(without);
    eyni_image_free(img);
    free(enrol);
}

/* Faces of `side` px (photo side; the face is about 45 % of it) at a few places of a 720p
 * frame, seen by the pipeline with `tiles`; returns the detections of one frame. */
static uint64_t faces_seen(fixture *f, int side, int tiles)
{
    eyni_error err = {0};
    char *path = eyni_test_path("lfw-a-gray-dev/images/Jodie_Foster/Jodie_Foster_0002.jpg");
    eyni_image *photo = NULL, *small = NULL, *frame = eyni_image_new(1280, 720, 3, &err);
    assert_non_null(frame);
    assert_int_equal(eyni_image_load(path, 3, &photo, &err), 0);
    assert_int_equal(eyni_image_resize(photo, side, side, &small, &err), 0);
    memset(frame->data, 128, (size_t)1280 * 720 * 3);
    static const int at[3][2] = {{100, 80}, {600, 330}, {1050, 560}}; /* corner, middle, edge */
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < side; y++)
            memcpy(frame->data + ((size_t)(at[k][1] + y) * 1280 + at[k][0]) * 3,
                   small->data + (size_t)y * side * 3, (size_t)side * 3);
    eyni_video_wanted *w = NULL;
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    eyni_video_opts o = {.tiles = tiles};
    eyni_video_pipeline *p = NULL;
    assert_int_equal(eyni_video_pipeline_new(f->fe, w, &o, "tiles", NULL, NULL, &p, &err), 0);
    assert_int_equal(eyni_video_pipeline_frame(p, frame, 0, &err), 0);
    eyni_video_stats st;
    eyni_video_pipeline_stats(p, &st);
    eyni_video_pipeline_free(p);
    eyni_video_wanted_free(w);
    eyni_image_free(frame);
    eyni_image_free(photo);
    eyni_image_free(small);
    free(path);
    return st.faces;
}

/* The detector sees the whole frame at 320x240: faces of about 45 px are lost there and
 * found on the tiles; large faces are found once (not once per tile). */
static void test_small_faces(void **state)
{
    fixture *f = *state;
    assert_int_equal(faces_seen(f, 100, 1), 0);
    assert_int_equal(faces_seen(f, 100, 2), 3);
    assert_int_equal(faces_seen(f, 150, 2), 3);
}

int main(void)
{
    // clang-format off
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_faces),
        cmocka_unit_test(test_newcomer_in_front),
        cmocka_unit_test(test_lookalike_pass),
        cmocka_unit_test(test_blurred_copy),
        cmocka_unit_test(test_truth_visibility),
        cmocka_unit_test(test_enrol_photos),
        cmocka_unit_test(test_file_alerts),
        cmocka_unit_test(test_file_alerts_cohort),
        cmocka_unit_test(test_enrol_check),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_resolution_change),
        cmocka_unit_test(test_live_udp),
    };
    // clang-format on
    return cmocka_run_group_tests(tests, setup, teardown);
}
