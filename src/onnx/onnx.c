/* ONNX Runtime C API behind eyni_error: environment, pinned sessions, runs. */
#include <stdlib.h>
#include <string.h>

#include <onnxruntime_c_api.h>

#include "eyni/onnx.h"

struct eyni_onnx_env {
    const OrtApi *api;
    OrtEnv *env;
    OrtMemoryInfo *cpu;
};

struct eyni_onnx_session {
    eyni_onnx_env *env;
    OrtSession *session;
    char model[128]; /* file name, for messages */
    size_t n_in, n_out;
    char *in_names[EYNI_ONNX_MAX_IO];
    char *out_names[EYNI_ONNX_MAX_IO];
};

/* Turns a runtime status into EYNI_EMODEL with context; releases the status. */
static int status_error(const OrtApi *api, OrtStatus *st, eyni_error *err, const char *what,
                        const char *model)
{
    int code = api->GetErrorCode(st) == ORT_NO_SUCHFILE ? EYNI_ENOTFOUND : EYNI_EMODEL;
    eyni_error_set(err, code, "%s: %s: %s", model, what, api->GetErrorMessage(st));
    api->ReleaseStatus(st);
    return code;
}

#define ORT_CHECK(api, call, what, model)                                                          \
    do {                                                                                           \
        OrtStatus *st_ = (call);                                                                   \
        if (st_) {                                                                                 \
            rc = status_error((api), st_, err, (what), (model));                                   \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

int eyni_onnx_env_new(const char *log_id, eyni_onnx_env **out, eyni_error *err)
{
    int rc;
    const OrtApiBase *base = OrtGetApiBase();
    const OrtApi *api = base ? base->GetApi(ORT_API_VERSION) : NULL;
    if (!api)
        return eyni_error_set(err, EYNI_EMODEL,
                              "ONNX Runtime library does not offer C API version %d (have %s)",
                              ORT_API_VERSION, base ? base->GetVersionString() : "none");
    eyni_onnx_env *e = calloc(1, sizeof *e);
    if (!e)
        return eyni_error_set(err, EYNI_ENOMEM, "onnx: out of memory");
    e->api = api;
    ORT_CHECK(api, api->CreateEnv(ORT_LOGGING_LEVEL_WARNING, log_id ? log_id : "eyni", &e->env),
              "creating environment", "onnxruntime");
    ORT_CHECK(api, api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &e->cpu),
              "creating CPU memory info", "onnxruntime");
    *out = e;
    return 0;
fail:
    eyni_onnx_env_free(e);
    return rc;
}

void eyni_onnx_env_free(eyni_onnx_env *env)
{
    if (!env)
        return;
    if (env->cpu)
        env->api->ReleaseMemoryInfo(env->cpu);
    if (env->env)
        env->api->ReleaseEnv(env->env);
    free(env);
}

static int check_pin(const char *path, const unsigned char *buf, size_t len, const char *hex,
                     eyni_error *err)
{
    if (!hex || strlen(hex) != 64)
        return eyni_error_set(err, EYNI_EINVAL, "%s: no SHA-256 pin given for the model", path);
    unsigned char d[32];
    char got[65];
    eyni_sha256(buf, len, d);
    eyni_hex_encode(d, sizeof d, got);
    for (size_t i = 0; i < 64; i++) {
        char c = hex[i] >= 'A' && hex[i] <= 'F' ? (char)(hex[i] - 'A' + 'a') : hex[i];
        if (c != got[i])
            return eyni_error_set(err, EYNI_ECRYPTO, "%s: SHA-256 %s does not match the pinned %s",
                                  path, got, hex);
    }
    return 0;
}

static int make_options(const OrtApi *api, const eyni_onnx_opts *o, OrtSessionOptions **out,
                        eyni_error *err, const char *model)
{
    int rc;
    OrtSessionOptions *so = NULL;
    int intra = o && o->intra_threads > 0 ? o->intra_threads : 1;
    int inter = o && o->inter_threads > 0 ? o->inter_threads : 1;
    ORT_CHECK(api, api->CreateSessionOptions(&so), "creating session options", model);
    ORT_CHECK(api, api->SetIntraOpNumThreads(so, intra), "setting intra-op threads", model);
    ORT_CHECK(api, api->SetInterOpNumThreads(so, inter), "setting inter-op threads", model);
    ORT_CHECK(api, api->SetSessionGraphOptimizationLevel(so, ORT_ENABLE_ALL),
              "setting graph optimisation", model);
    ORT_CHECK(
        api,
        api->AddSessionConfigEntry(so, "session.intra_op.allow_spinning", o && o->spin ? "1" : "0"),
        "setting spinning", model);
    ORT_CHECK(
        api,
        api->AddSessionConfigEntry(so, "session.inter_op.allow_spinning", o && o->spin ? "1" : "0"),
        "setting spinning", model);
    /* Denormal floats made fr_feature.onnx seven times slower on x86; flushing them to
     * zero changes no score measurably (docs/face.md). */
    ORT_CHECK(api, api->AddSessionConfigEntry(so, "session.set_denormal_as_zero", "1"),
              "setting denormals to zero", model);
    *out = so;
    return 0;
fail:
    if (so)
        api->ReleaseSessionOptions(so);
    return rc;
}

static int read_names(eyni_onnx_session *s, eyni_error *err)
{
    int rc;
    const OrtApi *api = s->env->api;
    OrtAllocator *alloc = NULL;
    ORT_CHECK(api, api->GetAllocatorWithDefaultOptions(&alloc), "getting allocator", s->model);
    ORT_CHECK(api, api->SessionGetInputCount(s->session, &s->n_in), "counting inputs", s->model);
    ORT_CHECK(api, api->SessionGetOutputCount(s->session, &s->n_out), "counting outputs", s->model);
    if (s->n_in > EYNI_ONNX_MAX_IO || s->n_out > EYNI_ONNX_MAX_IO)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: %zu inputs / %zu outputs, limit %d", s->model,
                              s->n_in, s->n_out, EYNI_ONNX_MAX_IO);
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass ? s->n_out : s->n_in;
        for (size_t i = 0; i < n; i++) {
            char *name = NULL;
            ORT_CHECK(api,
                      pass ? api->SessionGetOutputName(s->session, i, alloc, &name)
                           : api->SessionGetInputName(s->session, i, alloc, &name),
                      "reading names", s->model);
            char *copy = strdup(name);
            OrtStatus *fst = api->AllocatorFree(alloc, name);
            if (fst)
                api->ReleaseStatus(fst);
            if (!copy)
                return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", s->model);
            (pass ? s->out_names : s->in_names)[i] = copy;
        }
    }
    return 0;
fail:
    return rc;
}

int eyni_onnx_session_open(eyni_onnx_env *env, const char *path, const char *sha256_hex,
                           const eyni_onnx_opts *opts, eyni_onnx_session **out, eyni_error *err)
{
    int rc;
    unsigned char *buf = NULL;
    size_t len = 0;
    OrtSessionOptions *so = NULL;
    eyni_onnx_session *s = NULL;
    if (!env || !path || !out)
        return eyni_error_set(err, EYNI_EINVAL, "onnx: session_open needs env, path and out");
    /* Read once, hash and hand the same bytes to the runtime: no window for a swap. */
    rc = eyni_file_read(path, EYNI_ONNX_MAX_MODEL_BYTES, &buf, &len, err);
    if (rc)
        goto fail;
    rc = check_pin(path, buf, len, sha256_hex, err);
    if (rc)
        goto fail;
    s = calloc(1, sizeof *s);
    if (!s) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    s->env = env;
    const char *slash = strrchr(path, '/');
    snprintf(s->model, sizeof s->model, "%s", slash ? slash + 1 : path);
    rc = make_options(env->api, opts, &so, err, s->model);
    if (rc)
        goto fail;
    ORT_CHECK(env->api, env->api->CreateSessionFromArray(env->env, buf, len, so, &s->session),
              "loading model", s->model);
    rc = read_names(s, err);
    if (rc)
        goto fail;
    env->api->ReleaseSessionOptions(so);
    free(buf);
    *out = s;
    return 0;
fail:
    if (so)
        env->api->ReleaseSessionOptions(so);
    eyni_onnx_session_free(s);
    free(buf);
    return rc;
}

void eyni_onnx_session_free(eyni_onnx_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < EYNI_ONNX_MAX_IO; i++) {
        free(s->in_names[i]);
        free(s->out_names[i]);
    }
    if (s->session)
        s->env->api->ReleaseSession(s->session);
    free(s);
}

size_t eyni_onnx_session_input_count(const eyni_onnx_session *s)
{
    return s->n_in;
}
size_t eyni_onnx_session_output_count(const eyni_onnx_session *s)
{
    return s->n_out;
}

const char *eyni_onnx_session_input_name(const eyni_onnx_session *s, size_t i)
{
    return i < s->n_in ? s->in_names[i] : NULL;
}

const char *eyni_onnx_session_output_name(const eyni_onnx_session *s, size_t i)
{
    return i < s->n_out ? s->out_names[i] : NULL;
}

static size_t elem_size(eyni_onnx_type t)
{
    return t == EYNI_ONNX_INT64 ? 8 : 4;
}

static int check_tensor(const eyni_onnx_session *s, const eyni_onnx_tensor *t, eyni_error *err)
{
    if (!t->name || !t->data || (t->type != EYNI_ONNX_FLOAT && t->type != EYNI_ONNX_INT64))
        return eyni_error_set(err, EYNI_EINVAL, "%s: tensor needs a name, data and a type",
                              s->model);
    if (t->rank > EYNI_ONNX_MAX_RANK)
        return eyni_error_set(err, EYNI_EINVAL, "%s: %s has rank %zu, limit %d", s->model, t->name,
                              t->rank, EYNI_ONNX_MAX_RANK);
    return 0;
}

/* Copies one produced value into the caller's output buffer. */
static int copy_output(eyni_onnx_session *s, OrtValue *v, eyni_onnx_tensor *o, eyni_error *err)
{
    int rc = 0;
    const OrtApi *api = s->env->api;
    OrtTensorTypeAndShapeInfo *info = NULL;
    ONNXTensorElementDataType et;
    size_t rank = 0, count = 0;
    void *data = NULL;
    ORT_CHECK(api, api->GetTensorTypeAndShape(v, &info), "reading output shape", s->model);
    ORT_CHECK(api, api->GetTensorElementType(info, &et), "reading output type", s->model);
    ORT_CHECK(api, api->GetDimensionsCount(info, &rank), "reading output rank", s->model);
    if ((int)et != (int)o->type || rank > EYNI_ONNX_MAX_RANK) {
        rc = eyni_error_set(err, EYNI_EMODEL, "%s: output %s has type %d rank %zu, expected %d",
                            s->model, o->name, (int)et, rank, (int)o->type);
        goto fail;
    }
    ORT_CHECK(api, api->GetDimensions(info, o->shape, rank), "reading output dims", s->model);
    ORT_CHECK(api, api->GetTensorShapeElementCount(info, &count), "counting output", s->model);
    if (count > o->count) {
        rc = eyni_error_set(err, EYNI_ELIMIT, "%s: output %s has %zu elements, buffer holds %zu",
                            s->model, o->name, count, o->count);
        goto fail;
    }
    ORT_CHECK(api, api->GetTensorMutableData(v, &data), "reading output", s->model);
    memcpy(o->data, data, count * elem_size(o->type));
    o->rank = rank;
    o->count = count;
fail:
    if (info)
        api->ReleaseTensorTypeAndShapeInfo(info);
    return rc;
}

int eyni_onnx_run(eyni_onnx_session *s, const eyni_onnx_tensor *in, size_t n_in,
                  eyni_onnx_tensor *out, size_t n_out, eyni_error *err)
{
    int rc = 0;
    const OrtApi *api = s->env->api;
    OrtValue *iv[EYNI_ONNX_MAX_IO] = {0}, *ov[EYNI_ONNX_MAX_IO] = {0};
    const char *in_names[EYNI_ONNX_MAX_IO], *out_names[EYNI_ONNX_MAX_IO];
    if (n_in > EYNI_ONNX_MAX_IO || n_out > EYNI_ONNX_MAX_IO || n_out == 0)
        return eyni_error_set(err, EYNI_EINVAL, "%s: %zu inputs / %zu outputs requested", s->model,
                              n_in, n_out);
    for (size_t i = 0; i < n_in; i++) {
        if ((rc = check_tensor(s, &in[i], err)))
            goto fail;
        in_names[i] = in[i].name;
        ORT_CHECK(api,
                  api->CreateTensorWithDataAsOrtValue(
                      s->env->cpu, in[i].data, in[i].count * elem_size(in[i].type), in[i].shape,
                      in[i].rank, (ONNXTensorElementDataType)in[i].type, &iv[i]),
                  "wrapping input", s->model);
    }
    for (size_t i = 0; i < n_out; i++) {
        if ((rc = check_tensor(s, &out[i], err)))
            goto fail;
        out_names[i] = out[i].name;
    }
    ORT_CHECK(api,
              api->Run(s->session, NULL, in_names, (const OrtValue *const *)iv, n_in, out_names,
                       n_out, ov),
              "running", s->model);
    for (size_t i = 0; i < n_out; i++)
        if ((rc = copy_output(s, ov[i], &out[i], err)))
            goto fail;
fail:
    for (size_t i = 0; i < EYNI_ONNX_MAX_IO; i++) {
        if (iv[i])
            api->ReleaseValue(iv[i]);
        if (ov[i])
            api->ReleaseValue(ov[i]);
    }
    return rc;
}

int eyni_onnx_model_dir(char *buf, size_t cap, eyni_error *err)
{
    const char *d = getenv("EYNI_MODEL_DIR");
    int n;
    if (d && *d)
        n = snprintf(buf, cap, "%s", d);
    else if ((d = getenv("EYNI_CACHE")) && *d)
        n = snprintf(buf, cap, "%s/models", d);
    else if ((d = getenv("HOME")) && *d)
        n = snprintf(buf, cap, "%s/.cache/eyni/models", d);
    else
        return eyni_error_set(err, EYNI_ENOTFOUND,
                              "no model directory: set EYNI_MODEL_DIR, EYNI_CACHE or HOME");
    if (n < 0 || (size_t)n >= cap)
        return eyni_error_set(err, EYNI_ELIMIT, "model directory path longer than %zu", cap);
    return 0;
}
