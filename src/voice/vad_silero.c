/*
 * Voice activity by silero-vad (v5, ONNX) through the shared ONNX Runtime wrapper.
 *
 * The model reads 8 kHz audio in windows of 256 samples (32 ms), each preceded by the last
 * 32 samples of the window before (its context; zeros at the start), carries a recurrent
 * state of 2 x 1 x 128 floats from window to window, and gives the probability that the
 * window holds speech. As in the reference implementation, speech starts at a probability
 * of 0.5 and lasts until it falls under 0.35 (hysteresis), and every speech stretch is
 * padded by 30 ms on both sides. The windows' decisions are then read off at the centre of
 * each of our 25 ms / 10 ms analysis frames, and the frames smoothed like the energy
 * detector's.
 */
#include <stdlib.h>
#include <string.h>

#include "eyni/onnx.h"
#include "voice_int.h"

#define SV_WIN     256 /* samples per window at 8 kHz */
#define SV_CONTEXT 32  /* samples of the previous window given with each window */
#define SV_STATE   (2 * 1 * 128)
#define SV_ON      0.50f /* speech starts at this probability ... */
#define SV_OFF     0.35f /* ... and ends under this one */
#define SV_PAD     3     /* frames (30 ms) added before and after each speech stretch */
#define SV_WARM    4     /* windows of silence run first, so the state is settled at t = 0 */

struct eyni_voice_vad {
    eyni_onnx_session *s;
};

int eyni_voice_vad_open(eyni_onnx_env *env, const char *path, eyni_voice_vad **out, eyni_error *err)
{
    char dir[4096], file[4200];
    if (!path) {
        int rc = eyni_onnx_model_dir(dir, sizeof dir, err);
        if (rc)
            return rc;
        snprintf(file, sizeof file, "%s/%s", dir, EYNI_VOICE_SILERO_FILE);
        path = file;
    }
    eyni_voice_vad *v = calloc(1, sizeof *v);
    if (!v)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for silero-vad");
    int rc = eyni_onnx_session_open(env, path, EYNI_VOICE_SILERO_SHA256, NULL, &v->s, err);
    if (rc) {
        free(v);
        return eyni_error_prefix(err, "silero-vad (run scripts/fetch-artifacts.sh): ");
    }
    *out = v;
    return 0;
}

void eyni_voice_vad_free(eyni_voice_vad *v)
{
    if (!v)
        return;
    eyni_onnx_session_free(v->s);
    free(v);
}

/* Speech probability of every window of x (nw windows; the last one zero-padded). */
static int window_probs(const eyni_voice_vad *v, const float *x, size_t n, float *prob, size_t nw,
                        eyni_error *err)
{
    float in[SV_CONTEXT + SV_WIN], state[SV_STATE], next[SV_STATE], p[4];
    int64_t sr = EYNI_VOICE_RATE;
    memset(in, 0, sizeof in);
    memset(state, 0, sizeof state);
    for (size_t k = 0; k < nw + SV_WARM; k++) {
        size_t w = k - SV_WARM; /* wraps for the warm-up windows, which hold zeros */
        memmove(in, in + SV_WIN, SV_CONTEXT * sizeof *in); /* context: previous tail */
        memset(in + SV_CONTEXT, 0, SV_WIN * sizeof *in);
        if (k >= SV_WARM) {
            size_t at = w * SV_WIN, have = n - at < SV_WIN ? n - at : SV_WIN;
            memcpy(in + SV_CONTEXT, x + at, have * sizeof *in);
        }
        eyni_onnx_tensor ti[3] = {
            {"input", EYNI_ONNX_FLOAT, in, SV_CONTEXT + SV_WIN, {1, SV_CONTEXT + SV_WIN}, 2},
            {"state", EYNI_ONNX_FLOAT, state, SV_STATE, {2, 1, 128}, 3},
            {"sr", EYNI_ONNX_INT64, &sr, 1, {0}, 0}};
        eyni_onnx_tensor to[2] = {
            {.name = "output", .type = EYNI_ONNX_FLOAT, .data = p, .count = 4},
            {.name = "stateN", .type = EYNI_ONNX_FLOAT, .data = next, .count = SV_STATE}};
        int rc = eyni_onnx_run(v->s, ti, 3, to, 2, err);
        if (rc)
            return rc;
        if (to[0].count != 1 || to[1].count != SV_STATE)
            return eyni_error_set(err, EYNI_EMODEL, "silero-vad gave %zu/%zu values, not 1/%d",
                                  to[0].count, to[1].count, SV_STATE);
        if (k >= SV_WARM)
            prob[w] = p[0];
        memcpy(state, next, sizeof state);
    }
    return 0;
}

/* Hysteresis over the windows, mapped onto the analysis frames, then padded. */
static size_t frames_from(const float *prob, size_t nw, unsigned char *f, size_t nf)
{
    unsigned char *on = calloc(nw ? nw : 1, 1);
    if (!on)
        return (size_t)-1;
    int speaking = 0;
    for (size_t w = 0; w < nw; w++) {
        speaking = speaking ? prob[w] >= SV_OFF : prob[w] >= SV_ON;
        on[w] = (unsigned char)speaking;
    }
    for (size_t t = 0; t < nf; t++) {
        size_t w = (t * VHOP + VFRAME / 2) / SV_WIN;
        f[t] = w < nw ? on[w] : 0;
    }
    free(on);
    unsigned char *padded = malloc(nf ? nf : 1);
    if (!padded)
        return (size_t)-1;
    memcpy(padded, f, nf);
    for (size_t t = 0; t < nf; t++)
        if (f[t])
            for (size_t k = t >= SV_PAD ? t - SV_PAD : 0; k <= t + SV_PAD && k < nf; k++)
                padded[k] = 1;
    memcpy(f, padded, nf);
    free(padded);
    vad_smooth(f, nf);
    size_t speech = 0;
    for (size_t t = 0; t < nf; t++)
        speech += f[t];
    return speech;
}

int vad_silero(const eyni_voice_vad *v, const float *x, size_t n, unsigned char **flags,
               size_t *n_frames, size_t *n_speech, eyni_error *err)
{
    size_t nf = n >= VFRAME ? 1 + (n - VFRAME) / VHOP : 0;
    size_t nw = (n + SV_WIN - 1) / SV_WIN;
    float *prob = malloc((nw ? nw : 1) * sizeof *prob);
    unsigned char *f = calloc(nf ? nf : 1, 1);
    int rc = prob && f ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory in silero-vad");
    if (rc == 0)
        rc = window_probs(v, x, n, prob, nw, err);
    size_t speech = rc == 0 ? frames_from(prob, nw, f, nf) : 0;
    if (rc == 0 && speech == (size_t)-1)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory in silero-vad");
    free(prob);
    if (rc) {
        free(f);
        return rc;
    }
    *flags = f;
    *n_frames = nf;
    *n_speech = speech;
    return 0;
}
