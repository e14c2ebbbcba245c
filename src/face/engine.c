/* Face engine: loads the pinned faceplugin models once. */
#include <stdlib.h>
#include <string.h>

#include "face_int.h"

/* SHA-256 pins, the same as scripts/artifacts.lock: a swapped model is refused at load. */
typedef struct model_pin {
    const char *file;
    const char *sha256;
} model_pin;

static const model_pin PIN_DETECT = {
    "fr_detect.onnx", "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854"};
static const model_pin PIN_LANDMARK = {
    "fr_landmark.onnx", "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"};
static const model_pin PIN_FEATURE = {
    "fr_feature.onnx", "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"};
static const model_pin PIN_LIVENESS = {
    "fr_liveness.onnx", "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d"};

static int open_model(eyni_onnx_env *env, const char *dir, const model_pin *pin,
                      const eyni_onnx_opts *o, eyni_onnx_session **out, eyni_error *err)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, pin->file);
    if (n < 0 || (size_t)n >= sizeof path)
        return eyni_error_set(err, EYNI_ELIMIT, "face: model path too long");
    return eyni_onnx_session_open(env, path, pin->sha256, o, out, err);
}

int eyni_face_engine_new(eyni_onnx_env *env, const eyni_face_opts *opts, eyni_face_engine **out,
                         eyni_error *err)
{
    int rc;
    char dir[4096];
    if (!env || !out)
        return eyni_error_set(err, EYNI_EINVAL, "face: engine_new needs an ONNX env");
    if (opts && opts->model_dir)
        snprintf(dir, sizeof dir, "%s", opts->model_dir);
    else if ((rc = eyni_onnx_model_dir(dir, sizeof dir, err)))
        return rc;
    eyni_face_engine *fe = calloc(1, sizeof *fe);
    if (!fe)
        return eyni_error_set(err, EYNI_ENOMEM, "face: out of memory");
    eyni_onnx_opts o = {opts ? opts->intra_threads : 1, opts ? opts->inter_threads : 1, 0};
    fe->mirror = opts ? opts->mirror : 0;
    fe->min_score = opts && opts->min_score > 0 ? opts->min_score : 0.7f;
    if ((rc = open_model(env, dir, &PIN_DETECT, &o, &fe->detect, err)) ||
        (rc = open_model(env, dir, &PIN_LANDMARK, &o, &fe->landmark, err)) ||
        (rc = open_model(env, dir, &PIN_FEATURE, &o, &fe->feature, err)) ||
        (rc = open_model(env, dir, &PIN_LIVENESS, &o, &fe->liveness, err)))
        goto fail;
    *out = fe;
    return 0;
fail:
    eyni_face_engine_free(fe);
    return rc;
}

void eyni_face_engine_free(eyni_face_engine *fe)
{
    if (!fe)
        return;
    eyni_onnx_session_free(fe->detect);
    eyni_onnx_session_free(fe->landmark);
    eyni_onnx_session_free(fe->feature);
    eyni_onnx_session_free(fe->liveness);
    free(fe);
}

int face_run1(eyni_onnx_session *s, const char *in_name, float *in, const int64_t *shape,
              size_t rank, const char *out_name, float *out, size_t out_count, eyni_error *err)
{
    eyni_onnx_tensor ti = {.name = in_name, .type = EYNI_ONNX_FLOAT, .data = in, .rank = rank};
    size_t count = 1;
    for (size_t i = 0; i < rank; i++) {
        ti.shape[i] = shape[i];
        count *= (size_t)shape[i];
    }
    ti.count = count;
    eyni_onnx_tensor to = {
        .name = out_name, .type = EYNI_ONNX_FLOAT, .data = out, .count = out_count};
    int rc = eyni_onnx_run(s, &ti, 1, &to, 1, err);
    if (rc)
        return rc;
    if (to.count != out_count)
        return eyni_error_set(err, EYNI_EMODEL, "face: model %s gave %zu values, expected %zu",
                              out_name, to.count, out_count);
    return 0;
}
