/*
 * The voice model file: front-end settings, the UBM, MAP and scoring settings and the
 * calibrated impostor score quantiles, little-endian, closed by a SHA-256 of everything
 * before it. The digest doubles as the model's id, which speaker references carry.
 *
 *   "EYNIVMDL" u32 version
 *   u32 rate, frame, hop, nfft (fixed framing, checked)
 *   u32 n_mels, n_ceps, deltas, cmvn; f32 preemph, fmin, fmax
 *   u32 K, D, top_c; f64 relevance, target_fmr
 *   u64 calib_genuine, calib_impostor; f64 calib_eer; u32 scoring, nap_rank, ivec_dim,
 *   cohort_n;
 *   u32 nq; f64 quantiles[nq]
 *   f32 weights[K], means[K*D], variances[K*D], tv[K*D*ivec_dim],
 *   f32 emb_mean[E], nap[E*nap_rank], cohort[cohort_n*E]   (E = ivec_dim for i-vector scoring, else
 * K*D) u8 sha256[32]
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

#define MODEL_MAGIC   "EYNIVMDL"
#define MODEL_VERSION 1

static void serialise(const eyni_voice_model *m, wbuf *b)
{
    const gmm *g = &m->ubm;
    size_t kd = (size_t)g->k * (size_t)g->d;
    wb_bytes(b, MODEL_MAGIC, 8);
    wb_u32(b, MODEL_VERSION);
    wb_u32(b, EYNI_VOICE_RATE);
    wb_u32(b, VFRAME);
    wb_u32(b, VHOP);
    wb_u32(b, VNFFT);
    wb_u32(b, (uint32_t)m->fe.n_mels);
    wb_u32(b, (uint32_t)m->fe.n_ceps);
    wb_u32(b, (uint32_t)m->fe.deltas);
    wb_u32(b, (uint32_t)m->fe.cmvn);
    wb_f32(b, m->fe.preemph);
    wb_f32(b, m->fe.fmin);
    wb_f32(b, m->fe.fmax);
    wb_u32(b, (uint32_t)g->k);
    wb_u32(b, (uint32_t)g->d);
    wb_u32(b, (uint32_t)m->top_c);
    wb_f64(b, m->relevance);
    wb_f64(b, m->target_fmr);
    wb_u64(b, m->calib_genuine);
    wb_u64(b, m->calib_impostor);
    wb_f64(b, m->calib_eer);
    wb_u32(b, (uint32_t)m->scoring);
    wb_u32(b, (uint32_t)m->nap_rank);
    wb_u32(b, (uint32_t)m->ivec_dim);
    wb_u32(b, (uint32_t)m->cohort_n);
    wb_u32(b, VCALIB_QUANTILES);
    for (int i = 0; i < VCALIB_QUANTILES; i++)
        wb_f64(b, m->quant[i]);
    for (int k = 0; k < g->k; k++)
        wb_f32(b, (float)g->w[k]);
    for (size_t i = 0; i < kd; i++)
        wb_f32(b, (float)g->mu[i]);
    for (size_t i = 0; i < kd; i++)
        wb_f32(b, (float)g->var[i]);
    for (size_t i = 0; i < kd * (size_t)m->ivec_dim; i++)
        wb_f32(b, (float)m->tv[i]);
    size_t e = emb_dim(m);
    for (size_t i = 0; i < e; i++)
        wb_f32(b, (float)m->sv_mean[i]);
    for (size_t i = 0; i < e * (size_t)m->nap_rank; i++)
        wb_f32(b, (float)m->nap[i]);
    for (size_t i = 0; i < e * (size_t)m->cohort_n; i++)
        wb_f32(b, (float)m->cohort[i]);
    unsigned char dig[32];
    if (!b->oom) {
        eyni_sha256(b->p, b->len, dig);
        wb_bytes(b, dig, 32);
    }
}

int eyni_voice_model_save(const eyni_voice_model *m, unsigned char **buf, size_t *len,
                          eyni_error *err)
{
    wbuf b = {0};
    serialise(m, &b);
    if (b.oom) {
        free(b.p);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory writing the voice model");
    }
    *buf = b.p;
    *len = b.len;
    return 0;
}

int model_compute_id(eyni_voice_model *m, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_voice_model_save(m, &buf, &len, err);
    if (rc)
        return rc;
    memcpy(m->id, buf + len - 32, 32);
    free(buf);
    return 0;
}

static int bad(eyni_error *err, const char *name, const char *why)
{
    return eyni_error_set(err, EYNI_EFORMAT, "%s: not a usable voice model: %s", name, why);
}

static int read_header(rbuf *r, eyni_voice_model *m, const char *name, eyni_error *err)
{
    const unsigned char *magic = rb_bytes(r, 8);
    if (!magic || memcmp(magic, MODEL_MAGIC, 8))
        return bad(err, name, "wrong magic");
    uint32_t ver = rb_u32(r);
    if (ver != MODEL_VERSION)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: voice model version %u, need %d", name, ver,
                              MODEL_VERSION);
    if (rb_u32(r) != EYNI_VOICE_RATE || rb_u32(r) != VFRAME || rb_u32(r) != VHOP ||
        rb_u32(r) != VNFFT)
        return bad(err, name, "framing differs from this build");
    m->fe.n_mels = (int)rb_u32(r);
    m->fe.n_ceps = (int)rb_u32(r);
    m->fe.deltas = (int)rb_u32(r);
    m->fe.cmvn = (int)rb_u32(r);
    m->fe.preemph = rb_f32(r);
    m->fe.fmin = rb_f32(r);
    m->fe.fmax = rb_f32(r);
    uint32_t k = rb_u32(r), d = rb_u32(r), c = rb_u32(r);
    m->relevance = rb_f64(r);
    m->target_fmr = rb_f64(r);
    m->calib_genuine = rb_u64(r);
    m->calib_impostor = rb_u64(r);
    m->calib_eer = rb_f64(r);
    uint32_t scoring = rb_u32(r), rank = rb_u32(r), ivec = rb_u32(r), cohort = rb_u32(r);
    uint32_t nq = rb_u32(r);
    if (r->bad)
        return bad(err, name, "truncated header");
    if (frontend_check(&m->fe, err))
        return bad(err, name, "invalid front-end settings");
    if (k < 1 || k > EYNI_VOICE_MAX_COMPONENTS || (int)d != frontend_dim(&m->fe) || c < 1 ||
        c > k || nq != VCALIB_QUANTILES)
        return bad(err, name, "inconsistent sizes");
    if (!(m->relevance > 0 && m->relevance < 1e6) || !(m->target_fmr > 0 && m->target_fmr < 1) ||
        !isfinite(m->calib_eer))
        return bad(err, name, "invalid scoring settings");
    if (scoring > EYNI_VOICE_SCORE_IVEC || rank > EYNI_VOICE_MAX_NAP ||
        ivec > EYNI_VOICE_MAX_IVEC || (scoring == EYNI_VOICE_SCORE_IVEC) != (ivec > 0) ||
        cohort > EYNI_VOICE_MAX_COHORT || (cohort > 0 && scoring == EYNI_VOICE_SCORE_LLR))
        return bad(err, name, "invalid back-end settings");
    m->ubm.k = (int)k;
    m->ubm.d = (int)d;
    m->scoring = (int)scoring;
    m->ivec_dim = (int)ivec;
    m->cohort_n = (int)cohort;
    if (rank > emb_dim(m))
        return bad(err, name, "invalid back-end settings");
    m->nap_rank = (int)rank;
    m->top_c = (int)c;
    for (int i = 0; i < VCALIB_QUANTILES; i++) {
        m->quant[i] = rb_f64(r);
        if (!isfinite(m->quant[i]) || (i && m->quant[i] < m->quant[i - 1]))
            return bad(err, name, "calibration quantiles not ascending");
    }
    return 0;
}

static int read_backend(rbuf *r, eyni_voice_model *m, const char *name, eyni_error *err)
{
    size_t kd = (size_t)m->ubm.k * (size_t)m->ubm.d, nt = kd * (size_t)m->ivec_dim;
    size_t e = emb_dim(m), nr = e * (size_t)m->nap_rank, nc = e * (size_t)m->cohort_n;
    m->tv = malloc((nt ? nt : 1) * sizeof *m->tv);
    m->cohort = malloc((nc ? nc : 1) * sizeof *m->cohort);
    m->sv_mean = malloc(e * sizeof *m->sv_mean);
    m->nap = malloc((nr ? nr : 1) * sizeof *m->nap);
    if (!m->tv || !m->sv_mean || !m->nap || !m->cohort)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory loading %s", name);
    for (size_t i = 0; i < nt; i++) {
        m->tv[i] = rb_f32(r);
        if (!isfinite(m->tv[i]) || fabs(m->tv[i]) > 1e6)
            return bad(err, name, "i-vector extractor out of range");
    }
    for (size_t i = 0; i < e; i++) {
        m->sv_mean[i] = rb_f32(r);
        if (!isfinite(m->sv_mean[i]) || fabs(m->sv_mean[i]) > 1e6)
            return bad(err, name, "back-end mean out of range");
    }
    for (size_t i = 0; i < nr; i++) {
        m->nap[i] = rb_f32(r);
        if (!(fabs(m->nap[i]) <= 1.01))
            return bad(err, name, "back-end projection out of range");
    }
    for (size_t i = 0; i < nc; i++) {
        m->cohort[i] = rb_f32(r);
        if (!(fabs(m->cohort[i]) <= 1.01))
            return bad(err, name, "score cohort out of range");
    }
    return 0;
}

static int read_gmm(rbuf *r, const eyni_voice_model *m, gmm *g, const char *name, eyni_error *err)
{
    size_t kd = (size_t)g->k * (size_t)g->d, e = emb_dim(m);
    if (r->len - r->pos != (size_t)g->k * 4 + kd * 8 + kd * (size_t)m->ivec_dim * 4 + e * 4 +
                               e * (size_t)m->nap_rank * 4 + e * (size_t)m->cohort_n * 4 + 32)
        return bad(err, name, "size does not match the header");
    double ws = 0;
    for (int k = 0; k < g->k; k++) {
        g->w[k] = rb_f32(r);
        if (!(g->w[k] >= 0 && g->w[k] <= 1))
            return bad(err, name, "weight out of range");
        ws += g->w[k];
    }
    if (fabs(ws - 1) > 1e-3)
        return bad(err, name, "weights do not sum to one");
    for (size_t i = 0; i < kd; i++) {
        g->mu[i] = rb_f32(r);
        if (!isfinite(g->mu[i]) || fabs(g->mu[i]) > 1e6)
            return bad(err, name, "mean out of range");
    }
    for (size_t i = 0; i < kd; i++) {
        g->var[i] = rb_f32(r);
        if (!(g->var[i] > 1e-12 && g->var[i] < 1e12))
            return bad(err, name, "variance out of range");
    }
    gmm_prepare(g);
    return 0;
}

int eyni_voice_model_load(const void *buf, size_t len, const char *name, eyni_voice_model **out,
                          eyni_error *err)
{
    if (len > EYNI_VOICE_MAX_MODEL)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: voice model larger than %d bytes", name,
                              EYNI_VOICE_MAX_MODEL);
    if (len < 8 + 32 || !buf)
        return bad(err, name, "too short");
    unsigned char dig[32];
    eyni_sha256(buf, len - 32, dig);
    if (memcmp(dig, (const unsigned char *)buf + len - 32, 32))
        return bad(err, name, "checksum mismatch (corrupt or altered)");
    eyni_voice_model *m = calloc(1, sizeof *m);
    if (!m)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory loading %s", name);
    rbuf r = {buf, len, 0, 0};
    int rc = read_header(&r, m, name, err);
    if (rc)
        goto fail;
    int k = m->ubm.k, d = m->ubm.d;
    if ((rc = gmm_alloc(&m->ubm, k, d, err)) != 0)
        goto fail;
    if ((rc = read_gmm(&r, m, &m->ubm, name, err)) != 0)
        goto fail;
    if ((rc = read_backend(&r, m, name, err)) != 0)
        goto fail;
    memcpy(m->id, dig, 32);
    *out = m;
    return 0;
fail:
    eyni_voice_model_free(m);
    return rc;
}

int eyni_voice_model_read(const char *path, eyni_voice_model **out, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_file_read(path, EYNI_VOICE_MAX_MODEL, &buf, &len, err);
    if (rc)
        return rc;
    rc = eyni_voice_model_load(buf, len, path, out, err);
    free(buf);
    return rc;
}

int eyni_voice_model_write(const eyni_voice_model *m, const char *path, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_voice_model_save(m, &buf, &len, err);
    if (rc)
        return rc;
    rc = eyni_file_write_atomic(path, buf, len, 0644, err);
    free(buf);
    return rc;
}

void eyni_voice_model_free(eyni_voice_model *m)
{
    if (!m)
        return;
    gmm_free(&m->ubm);
    free(m->tv);
    free(m->cohort);
    free(m->sv_mean);
    free(m->nap);
    free(m);
}

double eyni_voice_model_threshold(const eyni_voice_model *m, double fmr)
{
    if (!(fmr > 0))
        fmr = m->target_fmr;
    if (fmr > 1)
        fmr = 1;
    double pos = (1.0 - fmr) * (VCALIB_QUANTILES - 1);
    int i = (int)floor(pos);
    if (i >= VCALIB_QUANTILES - 1)
        return m->quant[VCALIB_QUANTILES - 1];
    double fr = pos - i;
    return m->quant[i] + fr * (m->quant[i + 1] - m->quant[i]);
}

void eyni_voice_model_get_info(const eyni_voice_model *m, eyni_voice_model_info *info)
{
    info->components = m->ubm.k;
    info->dim = m->ubm.d;
    info->top_c = m->top_c;
    info->scoring = m->scoring;
    info->nap_rank = m->nap_rank;
    info->ivec_dim = m->ivec_dim;
    info->cohort = m->cohort_n;
    info->relevance = m->relevance;
    info->target_fmr = m->target_fmr;
    info->calib_genuine = (size_t)m->calib_genuine;
    info->calib_impostor = (size_t)m->calib_impostor;
    info->calib_eer = m->calib_eer;
    memcpy(info->id, m->id, 32);
}
