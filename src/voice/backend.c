/*
 * GMM-supervector back-end with nuisance attribute projection (NAP).
 *
 * A recording's MAP-adapted means, stacked and normalised as in the KL-divergence kernel
 *   s_kd = sqrt(w_k) (m_kd - mu_kd) / sigma_kd,
 * form its supervector. Most of what separates two supervectors of one speaker here is
 * not the voice but the words and the session, and that variability is shared by all
 * speakers: NAP estimates its leading directions from the within-speaker scatter of the
 * training recordings and projects them out, y = (I - U U^T)(s - mean). Scores are cosine
 * similarities of projected vectors.
 *
 * The top eigenvectors of the within-speaker scatter X^T X (X: centred supervectors, one
 * row per recording) come from orthogonal subspace iteration, X^T (X Q), without forming
 * the S x S matrix.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "voice_int.h"

#define NAP_ITERS 40

void sv_from_stats(const eyni_voice_model *m, const double *n, const double *f, double *sv)
{
    const gmm *g = &m->ubm;
    int d = g->d;
    for (int k = 0; k < g->k; k++) {
        double sw = sqrt(g->w[k]);
        for (int j = 0; j < d; j++) {
            size_t i = (size_t)k * d + (size_t)j;
            double mean = (f[i] + m->relevance * g->mu[i]) / (n[k] + m->relevance);
            sv[i] = sw * (mean - g->mu[i]) / sqrt(g->var[i]);
        }
    }
}

size_t emb_dim(const eyni_voice_model *m)
{
    return m->scoring == EYNI_VOICE_SCORE_IVEC ? (size_t)m->ivec_dim
                                               : (size_t)m->ubm.k * (size_t)m->ubm.d;
}

/* Raw (unprojected) embedding of statistics into e[emb_dim]. */
static int raw_embedding(const eyni_voice_model *m, const double *n, const double *f, double *e,
                         eyni_error *err)
{
    if (m->scoring == EYNI_VOICE_SCORE_IVEC)
        return ivec_extract(m, n, f, e, err);
    sv_from_stats(m, n, f, e);
    return 0;
}

int embed(const eyni_voice_model *m, const double *n, const double *f, double *y, eyni_error *err)
{
    double *e = malloc(emb_dim(m) * sizeof *e);
    if (!e)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for an embedding");
    int rc = raw_embedding(m, n, f, e, err);
    if (rc == 0)
        sv_project(m, e, y);
    free(e);
    return rc;
}

void sv_project(const eyni_voice_model *m, const double *sv, double *y)
{
    size_t s = emb_dim(m);
    int r = m->nap_rank;
    for (size_t i = 0; i < s; i++)
        y[i] = sv[i] - m->sv_mean[i];
    if (r > 0) {
        double c[EYNI_VOICE_MAX_NAP];
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)s, r, 1.0, m->nap, r, y, 1, 0.0, c, 1);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)s, r, -1.0, m->nap, r, c, 1, 1.0, y, 1);
    }
    double nn = cblas_dnrm2((int)s, y, 1);
    if (nn > 0)
        cblas_dscal((int)s, 1.0 / nn, y, 1);
}

/* Gram-Schmidt (twice, for stability) on the r columns of q (s x r, row-major). */
static void orthonormalise(double *q, size_t s, int r)
{
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < r; j++) {
            for (int i = 0; i < j; i++) {
                double dot = 0;
                for (size_t t = 0; t < s; t++)
                    dot += q[t * r + i] * q[t * r + j];
                for (size_t t = 0; t < s; t++)
                    q[t * r + j] -= dot * q[t * r + i];
            }
            double nn = 0;
            for (size_t t = 0; t < s; t++)
                nn += q[t * r + j] * q[t * r + j];
            nn = sqrt(nn);
            for (size_t t = 0; t < s; t++)
                q[t * r + j] = nn > 0 ? q[t * r + j] / nn : 0;
        }
}

/* Subtracts each speaker's mean supervector from its rows. */
static int centre_by_speaker(double *x, size_t n, size_t s, const int *speaker, eyni_error *err)
{
    double *mean = malloc(s * sizeof *mean);
    unsigned char *done = calloc(n, 1);
    if (!mean || !done) {
        free(mean);
        free(done);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory in the NAP back-end");
    }
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t cnt = 0;
        memset(mean, 0, s * sizeof *mean);
        for (size_t j = i; j < n; j++)
            if (speaker[j] == speaker[i]) {
                cblas_daxpy((int)s, 1.0, x + j * s, 1, mean, 1);
                cnt++;
            }
        for (size_t j = i; j < n; j++)
            if (speaker[j] == speaker[i]) {
                cblas_daxpy((int)s, -1.0 / (double)cnt, mean, 1, x + j * s, 1);
                done[j] = 1;
            }
    }
    free(mean);
    free(done);
    return 0;
}

void cohort_stats(const eyni_voice_model *m, const double *y, double *mean, double *sd)
{
    size_t e = emb_dim(m);
    double s = 0, s2 = 0;
    for (int i = 0; i < m->cohort_n; i++) {
        double v = cblas_ddot((int)e, m->cohort + (size_t)i * e, 1, y, 1);
        s += v;
        s2 += v * v;
    }
    double n = m->cohort_n > 0 ? m->cohort_n : 1;
    *mean = s / n;
    *sd = sqrt(fmax(s2 / n - *mean * *mean, 1e-12));
}

int cohort_select(eyni_voice_model *m, const double *nk, const double *fk, size_t n, int count,
                  uint64_t seed, eyni_error *err)
{
    size_t e = emb_dim(m), kd = (size_t)m->ubm.k * (size_t)m->ubm.d;
    size_t c = (size_t)count < n ? (size_t)count : n;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    m->cohort = malloc((c ? c : 1) * e * sizeof *m->cohort);
    m->cohort_n = 0;
    if (!idx || !m->cohort) {
        free(idx);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for the score cohort");
    }
    vrng rng = {seed ^ 0x636f686fULL};
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 0; i < c; i++) { /* partial Fisher-Yates: the first c are the choice */
        size_t j = i + vrng_below(&rng, n - i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    int rc = 0;
    for (size_t i = 0; i < c && rc == 0; i++) {
        double *row = m->cohort + i * e;
        rc = embed(m, nk + idx[i] * (size_t)m->ubm.k, fk + idx[i] * kd, row, err);
        for (size_t j = 0; j < e; j++)
            row[j] = (float)row[j];
    }
    if (rc == 0)
        m->cohort_n = (int)c;
    free(idx);
    return rc;
}

int backend_train(eyni_voice_model *m, const double *nk, const double *fk, size_t n,
                  const int *speaker, int rank, uint64_t seed, eyni_error *err)
{
    size_t s = emb_dim(m), kd = (size_t)m->ubm.k * (size_t)m->ubm.d;
    int rc = 0;
    double *sv = malloc(n * s * sizeof *sv);
    double *z = malloc(n * (size_t)(rank ? rank : 1) * sizeof *z);
    m->sv_mean = calloc(s, sizeof *m->sv_mean);
    m->nap = rank ? malloc(s * (size_t)rank * sizeof *m->nap) : NULL;
    m->nap_rank = rank;
    if (!sv || !z || !m->sv_mean || (rank && !m->nap)) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory in the NAP back-end");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        rc = raw_embedding(m, nk + i * (size_t)m->ubm.k, fk + i * kd, sv + i * s, err);
        if (rc)
            goto done;
        cblas_daxpy((int)s, 1.0 / (double)n, sv + i * s, 1, m->sv_mean, 1);
    }
    for (size_t i = 0; i < s; i++)
        m->sv_mean[i] = (float)m->sv_mean[i];
    if (rank == 0)
        goto done;
    if ((rc = centre_by_speaker(sv, n, s, speaker, err)) != 0)
        goto done;
    vrng rng = {seed ^ 0x6e6170ULL};
    for (size_t i = 0; i < s * (size_t)rank; i++)
        m->nap[i] = (double)(vrng_next(&rng) >> 11) / 9007199254740992.0 - 0.5;
    orthonormalise(m->nap, s, rank);
    for (int it = 0; it < NAP_ITERS; it++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, rank, (int)s, 1.0, sv,
                    (int)s, m->nap, rank, 0.0, z, rank);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)s, rank, (int)n, 1.0, sv, (int)s,
                    z, rank, 0.0, m->nap, rank);
        orthonormalise(m->nap, s, rank);
    }
    for (size_t i = 0; i < s * (size_t)rank; i++)
        m->nap[i] = (float)m->nap[i];
done:
    free(sv);
    free(z);
    return rc;
}
