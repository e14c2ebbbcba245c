/*
 * `eyni watch run`: faces in video files or streams against a wanted list, offline (no
 * server, no register): for benches, for checking footage, and for the tests. Alerts are
 * printed one JSON object per line as they happen, then a summary per camera.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_video.h"

#define RUN_MAX_CAMERAS 32

typedef struct run_args {
    const char *videos[RUN_MAX_CAMERAS];
    int nvideos;
    const char *wanted, *snapshots, *cohort;
    double fps, duration;
    float threshold;
    int live, queue, json;
} run_args;

typedef struct printer {
    pthread_mutex_t mu;
    const char *snapshots;
    json_t *alerts; /* kept for callers that want them all (the bench) */
} printer;

json_t *cli_video_alert_json(const eyni_video_alert *a)
{
    return json_pack("{s:s,s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:[f,f,f,f],s:f,s:s,s:I}",
                     "camera", a->camera, "track", (json_int_t)a->track_id, "person_id",
                     (json_int_t)a->person_id, "label", a->label ? a->label : "", "score", a->score,
                     "norm", a->norm, "threshold", a->threshold, "fmr_estimate", a->fmr,
                     "first_seen", a->first_seen, "shot_time", a->shot_time, "alert_time",
                     a->alert_time, "box", a->box[0], a->box[1], a->box[2], a->box[3], "quality",
                     a->quality, "time", a->wall_time, "snapshot_bytes", (json_int_t)a->jpeg_len);
}

static void on_alert(void *ctx, const eyni_video_alert *a)
{
    printer *p = ctx;
    json_t *o = cli_video_alert_json(a);
    pthread_mutex_lock(&p->mu);
    if (p->snapshots && a->jpeg_len) {
        char path[4096];
        eyni_error e = {0};
        snprintf(path, sizeof path, "%s/%s-%lld.jpg", p->snapshots, a->camera,
                 (long long)a->track_id);
        if (eyni_file_write_atomic(path, a->jpeg, a->jpeg_len, 0600, &e) == 0)
            json_object_set_new(o, "snapshot", json_string(path));
    }
    char *line = json_dumps(o, JSON_COMPACT);
    if (line) {
        printf("%s\n", line);
        fflush(stdout);
    }
    free(line);
    if (p->alerts)
        json_array_append(p->alerts, o);
    pthread_mutex_unlock(&p->mu);
    json_decref(o);
}

json_t *cli_video_stats_json(const char *name, const eyni_video_camera_stats *s)
{
    const eyni_video_stats *p = &s->pipeline;
    double fps = p->analyse_ms > 0 ? p->frames * 1000.0 / p->analyse_ms : 0;
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:s}", "camera",
                     name, "decoded", (json_int_t)s->decoded, "sampled", (json_int_t)s->sampled,
                     "dropped", (json_int_t)s->dropped, "analysed", (json_int_t)p->frames, "faces",
                     (json_int_t)p->faces, "tracks", (json_int_t)p->tracks, "embeddings",
                     (json_int_t)p->embeddings, "alerts", (json_int_t)p->alerts, "decode_errors",
                     (json_int_t)s->decode_errors, "resolution_changes", (json_int_t)s->resizes,
                     "connects", (json_int_t)s->connects, "outages", (json_int_t)s->outages,
                     "analysed_fps", fps, "last_error", s->last_error);
}

int cli_video_engine_open(cli_video_engine *v, const char *wanted, float blurred_copy,
                          eyni_error *err)
{
    memset(v, 0, sizeof *v);
    eyni_face_opts fo = {.intra_threads = 1, .inter_threads = 1};
    int rc = eyni_onnx_env_new("eyni-watch", &v->env, err);
    if (rc == 0)
        rc = eyni_face_engine_new(v->env, &fo, &v->fe, err);
    if (rc == 0)
        rc = eyni_video_wanted_new(&v->wanted, err);
    if (rc == 0 && blurred_copy != 0)
        eyni_video_wanted_set_blurred_copy(v->wanted, blurred_copy);
    if (rc == 0 && wanted)
        rc = eyni_video_wanted_load_list(v->wanted, v->fe, wanted, err);
    return rc;
}

void cli_video_engine_close(cli_video_engine *v)
{
    eyni_video_wanted_free(v->wanted);
    eyni_face_engine_free(v->fe);
    eyni_onnx_env_free(v->env);
}

static int parse_run(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    a->fps = 5;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--json"))
            a->json = 1;
        else if (!strcmp(k, "--live"))
            a->live = 1;
        else if (!v)
            return -1;
        else if (!strcmp(k, "--video") && a->nvideos < RUN_MAX_CAMERAS)
            a->videos[a->nvideos++] = v, i++;
        else if (!strcmp(k, "--wanted"))
            a->wanted = v, i++;
        else if (!strcmp(k, "--snapshots"))
            a->snapshots = v, i++;
        else if (!strcmp(k, "--cohort"))
            a->cohort = v, i++;
        else if (!strcmp(k, "--fps"))
            a->fps = atof(v), i++;
        else if (!strcmp(k, "--threshold"))
            a->threshold = (float)atof(v), i++;
        else if (!strcmp(k, "--queue"))
            a->queue = atoi(v), i++;
        else if (!strcmp(k, "--duration"))
            a->duration = atof(v), i++;
        else
            return -1;
    }
    return a->nvideos > 0 && a->wanted && a->fps > 0 && a->fps <= 60 && a->threshold >= 0 &&
                   a->threshold < 1 && a->duration >= 0
               ? 0
               : -1;
}

/* Waits for file cameras to finish, or for --duration seconds of a live run. */
static void wait_all(eyni_video_camera **cams, int n, const run_args *a)
{
    if (a->duration > 0) {
        double end = eyni_time_ms() + a->duration * 1000;
        while (eyni_time_ms() < end)
            usleep(100000);
        return;
    }
    for (int i = 0; i < n; i++)
        eyni_video_camera_wait(cams[i]);
}

static int watch_run(int argc, char **argv)
{
    static const char *usage =
        "eyni watch run --video FILE|URL [--video ...] --wanted LIST.tsv [--fps 5] "
        "[--threshold T] [--cohort LIST] [--live] [--queue N] [--duration S] [--snapshots DIR] "
        "[--json]";
    run_args a;
    if (parse_run(argc, argv, &a))
        return cli_usage(usage);
    eyni_error err = {0};
    cli_video_engine v;
    size_t skipped = 0;
    if (cli_video_engine_open(&v, a.wanted, 0, &err) ||
        (a.cohort && eyni_video_wanted_load_cohort(v.wanted, v.fe, a.cohort, &skipped, &err))) {
        cli_video_engine_close(&v);
        return cli_fail(&err);
    }
    printer pr = {.snapshots = a.snapshots};
    pthread_mutex_init(&pr.mu, NULL);
    eyni_log *log = eyni_log_new(EYNI_LOG_WARN, a.json, stderr);
    eyni_video_camera *cams[RUN_MAX_CAMERAS] = {0};
    int n = 0, rc = 0;
    for (; n < a.nvideos && rc == 0; n++) {
        eyni_video_camera_config cfg = {.sample_fps = a.fps, .queue = a.queue, .live = a.live};
        snprintf(cfg.name, sizeof cfg.name, "cam%d", n + 1);
        snprintf(cfg.url, sizeof cfg.url, "%s", a.videos[n]);
        cfg.pipeline.threshold = a.threshold;
        rc = eyni_video_camera_start(&cfg, v.fe, v.wanted, on_alert, &pr, log, &cams[n], &err);
        if (rc)
            break;
    }
    if (rc == 0)
        wait_all(cams, n, &a);
    json_t *cams_json = json_array();
    int failed = 0;
    for (int i = 0; i < n; i++) {
        eyni_video_camera_stats st;
        eyni_video_camera_stats_get(cams[i], &st);
        eyni_video_camera_stop(cams[i]);
        failed |= st.last_error[0] && st.connects == 0;
        json_array_append_new(cams_json, cli_video_stats_json(a.videos[i], &st));
    }
    json_t *o = json_pack("{s:o,s:I,s:f}", "cameras", cams_json, "wanted",
                          (json_int_t)eyni_video_wanted_size(v.wanted), "threshold",
                          a.threshold > 0 ? a.threshold : EYNI_VIDEO_THRESHOLD_DEFAULT);
    cli_video_engine_close(&v);
    eyni_log_free(log);
    pthread_mutex_destroy(&pr.mu);
    if (rc) {
        json_decref(o);
        return cli_fail(&err);
    }
    int ex = cli_emit(o, 1);
    return ex ? ex : failed ? CLI_FAILURE : CLI_OK;
}

int cli_watch(int argc, char **argv)
{
    static const char *usage =
        "eyni watch (run|add-camera|list|camera|remove-camera|events|decide|revoke-lookalike|"
        "add-wanted|wanted|remove-wanted|purge) ...";
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "run"))
        return watch_run(argc - 1, argv + 1);
    return cli_watch_desk(argc, argv);
}
