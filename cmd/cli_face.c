/* `eyni face detect|compare|quality` and `eyni bench face DIR`. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/face.h"

#define BENCH_MAX_IMAGES 20000
#define BENCH_MAX_PAIRS  20000
#define BENCH_MAX_NAME   256

typedef struct face_ctx {
    eyni_onnx_env *env;
    eyni_face_engine *fe;
} face_ctx;

typedef struct face_args {
    int json;
    int threads;
    int mirror;
    const char *data;
    const char *pos[2];
    int npos;
} face_args;

static int parse_args(int argc, char **argv, int first, face_args *a)
{
    memset(a, 0, sizeof *a);
    a->threads = 1;
    a->mirror = -1;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            a->json = 1;
        else if (strcmp(argv[i], "--mirror") == 0)
            a->mirror = 1;
        else if (strcmp(argv[i], "--no-mirror") == 0)
            a->mirror = 0;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            a->threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            a->data = argv[++i];
        else if (argv[i][0] == '-' || a->npos == 2)
            return -1;
        else
            a->pos[a->npos++] = argv[i];
    }
    if (a->threads < 1 || a->threads > 64)
        return -1;
    return 0;
}

static int ctx_open(face_ctx *c, const face_args *a, eyni_error *err)
{
    memset(c, 0, sizeof *c);
    eyni_face_opts o = {.intra_threads = a->threads, .inter_threads = 1, .mirror = a->mirror > 0};
    int rc = eyni_onnx_env_new("eyni-face", &c->env, err);
    if (rc == 0)
        rc = eyni_face_engine_new(c->env, &o, &c->fe, err);
    return rc;
}

static void ctx_close(face_ctx *c)
{
    eyni_face_engine_free(c->fe);
    eyni_onnx_env_free(c->env);
}

static json_t *point_json(eyni_face_point p)
{
    return json_pack("[f,f]", p.x, p.y);
}

static json_t *det_json(const eyni_face_det *d)
{
    json_t *five = json_array();
    for (int i = 0; i < 5; i++)
        json_array_append_new(five, point_json(d->five[i]));
    return json_pack("{s:[f,f,f,f],s:f,s:o}", "box", d->x1, d->y1, d->x2, d->y2, "score", d->score,
                     "landmarks5", five);
}

/* ---- eyni face detect IMG ------------------------------------------------------------ */

static int face_detect_cmd(const face_ctx *c, const face_args *a, eyni_error *err)
{
    eyni_image *img = NULL;
    eyni_face_det dets[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    int rc = eyni_image_load(a->pos[0], 0, &img, err);
    if (rc == 0)
        rc = eyni_face_detect(c->fe, img, dets, EYNI_FACE_MAX_FACES, &n, err);
    json_t *faces = json_array();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        float live = 0;
        rc = eyni_face_liveness(c->fe, img, &dets[i], &live, err);
        json_t *f = det_json(&dets[i]);
        json_object_set_new(f, "liveness", json_real(live));
        json_array_append_new(faces, f);
    }
    if (rc) {
        json_decref(faces);
        eyni_image_free(img);
        return cli_fail(err);
    }
    json_t *o = json_pack("{s:s,s:i,s:i,s:I,s:o}", "image", a->pos[0], "width", img->width,
                          "height", img->height, "count", (json_int_t)n, "faces", faces);
    eyni_image_free(img);
    int ex = cli_emit(o, a->json);
    return ex ? ex : n ? CLI_OK : CLI_NEGATIVE;
}

/* ---- eyni face compare A B ----------------------------------------------------------- */

/* Embedding of the largest face in a file; ENOTFOUND when there is none. */
static int embed_file(const face_ctx *c, const char *path, float *emb, eyni_face_det *det,
                      eyni_error *err)
{
    eyni_image *img = NULL;
    eyni_face_det dets[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    int rc = eyni_image_load(path, 0, &img, err);
    if (rc == 0)
        rc = eyni_face_detect(c->fe, img, dets, EYNI_FACE_MAX_FACES, &n, err);
    if (rc == 0 && n == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "%s: no face found", path);
    if (rc == 0) {
        *det = dets[eyni_face_primary(img, dets, n)];
        rc = eyni_face_embed(c->fe, img, det, emb, err);
    }
    eyni_image_free(img);
    return rc;
}

static int face_compare_cmd(const face_ctx *c, const face_args *a, eyni_error *err)
{
    float ea[EYNI_FACE_DIM], eb[EYNI_FACE_DIM];
    eyni_face_det da, db;
    if (embed_file(c, a->pos[0], ea, &da, err) || embed_file(c, a->pos[1], eb, &db, err))
        return cli_fail(err);
    float s = eyni_face_compare(ea, eb);
    int match = s >= EYNI_FACE_THRESHOLD_FMR_1E4;
    json_t *o =
        json_pack("{s:f,s:f,s:b,s:{s:f,s:f,s:f},s:o,s:o}", "score", s, "fmr_estimate",
                  eyni_face_score_fmr(s), "match", match, "thresholds", "fmr_1e-3",
                  EYNI_FACE_THRESHOLD_FMR_1E3, "fmr_1e-4", EYNI_FACE_THRESHOLD_FMR_1E4, "fmr_1e-5",
                  EYNI_FACE_THRESHOLD_FMR_1E5, "face_a", det_json(&da), "face_b", det_json(&db));
    int ex = cli_emit(o, a->json);
    return ex ? ex : match ? CLI_OK : CLI_NEGATIVE;
}

/* ---- eyni face quality IMG ----------------------------------------------------------- */

static int face_quality_cmd(const face_ctx *c, const face_args *a, eyni_error *err)
{
    eyni_image *img = NULL;
    eyni_face_quality q;
    int rc = eyni_image_load(a->pos[0], 0, &img, err);
    if (rc == 0)
        rc = eyni_face_quality_check(c->fe, img, &q, err);
    eyni_image_free(img);
    if (rc)
        return cli_fail(err);
    json_t *reasons = json_array(), *advice = json_array();
    for (int b = 0; b < EYNI_FACE_REASON_COUNT; b++)
        if (q.reasons & (1u << b)) {
            json_array_append_new(reasons, json_string(eyni_face_reason_name(1u << b)));
            json_array_append_new(advice, json_string(eyni_face_reason_advice(1u << b)));
        }
    json_t *o = json_pack("{s:b,s:f,s:i,s:o,s:o,s:{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}}", "ok",
                          q.ok, "score", q.score, "faces", q.faces, "reasons", reasons, "advice",
                          advice, "measures", "eye_distance", q.eye_distance, "roll", q.roll, "yaw",
                          q.yaw, "pitch", q.pitch, "sharpness", q.sharpness, "brightness",
                          q.brightness, "contrast", q.contrast, "centre_dx", q.centre_dx,
                          "centre_dy", q.centre_dy, "face_height", q.face_height);
    if (o && q.faces > 0)
        json_object_set_new(o, "face", det_json(&q.face));
    int ex = cli_emit(o, a->json);
    return ex ? ex : q.ok ? CLI_OK : CLI_NEGATIVE;
}

int cli_face(int argc, char **argv)
{
    static const char *usage = "eyni face (detect IMG | compare A B | quality IMG) [--json] "
                               "[--threads N] [--mirror] [--data DIR]";
    face_args a;
    eyni_error err = {0};
    face_ctx c;
    if (argc < 2 || parse_args(argc, argv, 2, &a))
        return cli_usage(usage);
    const char *verb = argv[1];
    int need = strcmp(verb, "compare") == 0 ? 2 : 1;
    if ((strcmp(verb, "detect") && strcmp(verb, "compare") && strcmp(verb, "quality")) ||
        a.npos != need)
        return cli_usage(usage);
    if (ctx_open(&c, &a, &err)) {
        ctx_close(&c);
        return cli_fail(&err);
    }
    int ex = strcmp(verb, "detect") == 0    ? face_detect_cmd(&c, &a, &err)
             : strcmp(verb, "compare") == 0 ? face_compare_cmd(&c, &a, &err)
                                            : face_quality_cmd(&c, &a, &err);
    ctx_close(&c);
    return ex;
}
