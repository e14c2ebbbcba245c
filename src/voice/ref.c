/*
 * Speaker references: the zeroth and first order Baum-Welch statistics of the enrolment
 * speech under the UBM. Keeping statistics rather than adapted means lets a reference grow
 * with later recordings; the MAP-adapted means follow from them:
 *   mean_k = (F_k + r * mu_k) / (N_k + r)      (r = relevance factor)
 *
 * Blob: "EYNIVREF" u32 version, u8 model_id[32], u32 K, D, recordings, f64 seconds,
 *       f32 N[K], f32 F[K*D], u8 sha256[32].
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

#define REF_MAGIC   "EYNIVREF"
#define REF_VERSION 1

static eyni_voice_ref *ref_alloc(int k, int d)
{
    eyni_voice_ref *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t kd = (size_t)k * (size_t)d;
    r->k = k;
    r->d = d;
    r->n = calloc((size_t)k, sizeof *r->n);
    r->f = calloc(kd, sizeof *r->f);
    r->mean = calloc(kd, sizeof *r->mean);
    r->ab = calloc(2 * kd, sizeof *r->ab);
    r->cst = calloc((size_t)k, sizeof *r->cst);
    r->y = calloc(kd > EYNI_VOICE_MAX_IVEC ? kd : EYNI_VOICE_MAX_IVEC, sizeof *r->y);
    if (!r->n || !r->f || !r->mean || !r->ab || !r->cst || !r->y) {
        eyni_voice_ref_free(r);
        return NULL;
    }
    return r;
}

void eyni_voice_ref_free(eyni_voice_ref *r)
{
    if (!r)
        return;
    free(r->n);
    free(r->f);
    free(r->mean);
    free(r->ab);
    free(r->cst);
    free(r->y);
    free(r);
}

int ref_derive(const eyni_voice_model *m, eyni_voice_ref *r, eyni_error *err)
{
    const gmm *g = &m->ubm;
    int d = g->d;
    if (r->k != g->k || r->d != d)
        return eyni_error_set(err, EYNI_EINVAL, "voice reference does not fit the model");
    for (int k = 0; k < g->k; k++) {
        double c = log(g->w[k] > 1e-300 ? g->w[k] : 1e-300) - 0.5 * d * log(2 * M_PI);
        double *ab = r->ab + (size_t)k * 2 * (size_t)d;
        for (int j = 0; j < d; j++) {
            size_t i = (size_t)k * d + (size_t)j;
            double v = g->var[i];
            double mu = (r->f[i] + m->relevance * g->mu[i]) / (r->n[k] + m->relevance);
            r->mean[i] = mu;
            ab[j] = -0.5 / v;
            ab[d + j] = mu / v;
            c -= 0.5 * (log(v) + mu * mu / v);
        }
        r->cst[k] = c;
    }
    r->zm = 0;
    r->zs = 1;
    if (m->scoring == EYNI_VOICE_SCORE_LLR)
        return 0;
    int rc = embed(m, r->n, r->f, r->y, err);
    if (rc == 0 && m->cohort_n > 0)
        cohort_stats(m, r->y, &r->zm, &r->zs);
    return rc;
}

static int add_audio(const eyni_voice_model *m, eyni_voice_ref *r,
                     const eyni_voice_audio *const *audio, size_t n, eyni_error *err)
{
    if (n == 0 || n > EYNI_VOICE_MAX_ENROL)
        return eyni_error_set(err, EYNI_EINVAL, "enrolment needs 1..%d recordings, got %zu",
                              EYNI_VOICE_MAX_ENROL, n);
    if (r->recordings + n > EYNI_VOICE_MAX_ENROL)
        return eyni_error_set(err, EYNI_ELIMIT, "a voice reference holds at most %d recordings",
                              EYNI_VOICE_MAX_ENROL);
    for (size_t i = 0; i < n; i++) {
        double *x = NULL;
        size_t t = 0;
        int rc = features_extract(&m->fe, audio[i], &x, &t, err);
        if (rc == 0)
            rc = gmm_stats(&m->ubm, x, t, r->n, r->f, err);
        free(x);
        if (rc)
            return rc;
        r->recordings++;
        r->seconds += eyni_voice_audio_speech_seconds(audio[i]);
    }
    return ref_derive(m, r, err);
}

int eyni_voice_enrol(const eyni_voice_model *m, const eyni_voice_audio *const *audio, size_t n,
                     eyni_voice_ref **out, eyni_error *err)
{
    eyni_voice_ref *r = ref_alloc(m->ubm.k, m->ubm.d);
    if (!r)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory enrolling");
    memcpy(r->model_id, m->id, 32);
    int rc = add_audio(m, r, audio, n, err);
    if (rc) {
        eyni_voice_ref_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int eyni_voice_ref_merge(const eyni_voice_model *m, eyni_voice_ref *dst, const eyni_voice_ref *src,
                         eyni_error *err)
{
    if (memcmp(dst->model_id, m->id, 32) || memcmp(src->model_id, m->id, 32))
        return eyni_error_set(err, EYNI_ECONFLICT, "voice reference belongs to another model");
    if (dst->k != src->k || dst->d != src->d)
        return eyni_error_set(err, EYNI_EINVAL, "voice references of different shapes");
    if ((size_t)dst->recordings + src->recordings > EYNI_VOICE_MAX_ENROL)
        return eyni_error_set(err, EYNI_ELIMIT, "a voice reference holds at most %d recordings",
                              EYNI_VOICE_MAX_ENROL);
    eyni_voice_ref *c = ref_alloc(dst->k, dst->d);
    if (!c)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory merging voice references");
    size_t kd = (size_t)dst->k * (size_t)dst->d;
    for (int k = 0; k < dst->k; k++)
        c->n[k] = dst->n[k] + src->n[k];
    for (size_t i = 0; i < kd; i++)
        c->f[i] = dst->f[i] + src->f[i];
    memcpy(c->model_id, dst->model_id, 32);
    c->recordings = dst->recordings + src->recordings;
    c->seconds = dst->seconds + src->seconds;
    int rc = ref_derive(m, c, err);
    if (rc == 0) {
        eyni_voice_ref tmp = *dst;
        *dst = *c;
        *c = tmp;
    }
    eyni_voice_ref_free(c);
    return rc;
}

int ref_from_features(const eyni_voice_model *m, const double *const *x, const size_t *t,
                      const size_t *idx, size_t n, eyni_voice_ref **out, eyni_error *err)
{
    eyni_voice_ref *r = ref_alloc(m->ubm.k, m->ubm.d);
    if (!r)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory enrolling");
    memcpy(r->model_id, m->id, 32);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = gmm_stats(&m->ubm, x[idx[i]], t[idx[i]], r->n, r->f, err);
        r->recordings++;
        r->seconds += (double)t[idx[i]] * VHOP / EYNI_VOICE_RATE;
    }
    if (rc == 0)
        rc = ref_derive(m, r, err);
    if (rc) {
        eyni_voice_ref_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int eyni_voice_ref_update(const eyni_voice_model *m, eyni_voice_ref *r,
                          const eyni_voice_audio *const *audio, size_t n, eyni_error *err)
{
    if (memcmp(r->model_id, m->id, 32))
        return eyni_error_set(err, EYNI_ECONFLICT, "voice reference belongs to another model");
    /* Work on a copy so that a failure leaves the reference as it was. */
    eyni_voice_ref *c = ref_alloc(r->k, r->d);
    if (!c)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory updating a voice reference");
    size_t kd = (size_t)r->k * (size_t)r->d;
    memcpy(c->n, r->n, (size_t)r->k * sizeof *c->n);
    memcpy(c->f, r->f, kd * sizeof *c->f);
    memcpy(c->model_id, r->model_id, 32);
    c->recordings = r->recordings;
    c->seconds = r->seconds;
    int rc = add_audio(m, c, audio, n, err);
    if (rc == 0) {
        eyni_voice_ref tmp = *r;
        *r = *c;
        *c = tmp;
    }
    eyni_voice_ref_free(c);
    return rc;
}

int eyni_voice_ref_save(const eyni_voice_ref *r, unsigned char **buf, size_t *len, eyni_error *err)
{
    wbuf b = {0};
    size_t kd = (size_t)r->k * (size_t)r->d;
    wb_bytes(&b, REF_MAGIC, 8);
    wb_u32(&b, REF_VERSION);
    wb_bytes(&b, r->model_id, 32);
    wb_u32(&b, (uint32_t)r->k);
    wb_u32(&b, (uint32_t)r->d);
    wb_u32(&b, r->recordings);
    wb_f64(&b, r->seconds);
    for (int k = 0; k < r->k; k++)
        wb_f32(&b, (float)r->n[k]);
    for (size_t i = 0; i < kd; i++)
        wb_f32(&b, (float)r->f[i]);
    if (!b.oom) {
        unsigned char dig[32];
        eyni_sha256(b.p, b.len, dig);
        wb_bytes(&b, dig, 32);
    }
    if (b.oom) {
        free(b.p);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory writing a voice reference");
    }
    *buf = b.p;
    *len = b.len;
    return 0;
}

static int bad(eyni_error *err, const char *name, const char *why)
{
    return eyni_error_set(err, EYNI_EFORMAT, "%s: not a usable voice reference: %s", name, why);
}

static int read_body(rbuf *rb, eyni_voice_ref *r, const char *name, eyni_error *err)
{
    size_t kd = (size_t)r->k * (size_t)r->d;
    for (int k = 0; k < r->k; k++) {
        r->n[k] = rb_f32(rb);
        if (!(r->n[k] >= 0 && r->n[k] < 1e9))
            return bad(err, name, "occupancy out of range");
    }
    for (size_t i = 0; i < kd; i++) {
        r->f[i] = rb_f32(rb);
        if (!isfinite(r->f[i]))
            return bad(err, name, "statistics not finite");
    }
    return 0;
}

int eyni_voice_ref_load(const eyni_voice_model *m, const void *buf, size_t len, const char *name,
                        eyni_voice_ref **out, eyni_error *err)
{
    if (len > EYNI_VOICE_MAX_REF)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: voice reference too large", name);
    if (!buf || len < 8 + 4 + 32 + 12 + 8 + 32)
        return bad(err, name, "too short");
    unsigned char dig[32];
    eyni_sha256(buf, len - 32, dig);
    if (memcmp(dig, (const unsigned char *)buf + len - 32, 32))
        return bad(err, name, "checksum mismatch (corrupt or altered)");
    rbuf rb = {buf, len - 32, 0, 0};
    const unsigned char *magic = rb_bytes(&rb, 8);
    if (!magic || memcmp(magic, REF_MAGIC, 8))
        return bad(err, name, "wrong magic");
    uint32_t ver = rb_u32(&rb);
    if (ver != REF_VERSION)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: voice reference version %u, need %d", name,
                              ver, REF_VERSION);
    const unsigned char *id = rb_bytes(&rb, 32);
    uint32_t k = rb_u32(&rb), d = rb_u32(&rb), recs = rb_u32(&rb);
    double secs = rb_f64(&rb);
    if (rb.bad)
        return bad(err, name, "truncated header");
    if (memcmp(id, m->id, 32))
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "%s: voice reference was enrolled with another model", name);
    if ((int)k != m->ubm.k || (int)d != m->ubm.d || recs < 1 || recs > EYNI_VOICE_MAX_ENROL ||
        !(secs >= 0 && secs < 1e7))
        return bad(err, name, "inconsistent header");
    if (rb.len - rb.pos != (size_t)k * 4 + (size_t)k * d * 4)
        return bad(err, name, "size does not match the header");
    eyni_voice_ref *r = ref_alloc((int)k, (int)d);
    if (!r)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory loading %s", name);
    memcpy(r->model_id, id, 32);
    r->recordings = recs;
    r->seconds = secs;
    int rc = read_body(&rb, r, name, err);
    if (rc == 0)
        rc = ref_derive(m, r, err);
    if (rc) {
        eyni_voice_ref_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void eyni_voice_ref_get_counts(const eyni_voice_ref *r, size_t *recordings, double *seconds)
{
    if (recordings)
        *recordings = r->recordings;
    if (seconds)
        *seconds = r->seconds;
}
