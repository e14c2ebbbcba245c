/*
 * Total-variability (i-vector) extractor. Working in the UBM's whitened space, a
 * recording's centred first-order statistics F~_k = (F_k - N_k mu_k) / sigma_k are
 * explained by a low-dimensional latent w with prior N(0, I):
 *   precision  L = I + sum_k N_k T_k^T T_k
 *   i-vector   w = L^-1 T^T F~
 * T (supervector x R) is learned by EM (Dehak et al. 2011; Kenny's eigenvoice training):
 *   C = sum_u F~_u E[w_u]^T,  A_k = sum_u N_k(u) E[w_u w_u^T],  T_k = C_k A_k^-1.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "voice_int.h"

/* In-place Cholesky factor (lower) of the r x r SPD matrix a; -1 if not positive. */
static int cholesky(double *a, int r)
{
    for (int j = 0; j < r; j++) {
        double s = a[j * r + j];
        for (int k = 0; k < j; k++)
            s -= a[j * r + k] * a[j * r + k];
        if (!(s > 0))
            return -1;
        double l = sqrt(s);
        a[j * r + j] = l;
        for (int i = j + 1; i < r; i++) {
            double t = a[i * r + j];
            for (int k = 0; k < j; k++)
                t -= a[i * r + k] * a[j * r + k];
            a[i * r + j] = t / l;
        }
    }
    return 0;
}

/* Solves (L L^T) x = b in place for the Cholesky factor l. */
static void chol_solve(const double *l, int r, double *b)
{
    for (int i = 0; i < r; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= l[i * r + k] * b[k];
        b[i] = s / l[i * r + i];
    }
    for (int i = r - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < r; k++)
            s -= l[k * r + i] * b[k];
        b[i] = s / l[i * r + i];
    }
}

/* Whitened centred statistics of (n, f) into ft (K*D). */
static void centre(const eyni_voice_model *m, const double *n, const double *f, double *ft)
{
    const gmm *g = &m->ubm;
    for (int k = 0; k < g->k; k++)
        for (int j = 0; j < g->d; j++) {
            size_t i = (size_t)k * g->d + (size_t)j;
            ft[i] = (f[i] - n[k] * g->mu[i]) / sqrt(g->var[i]);
        }
}

/* T_k^T T_k for every component into p (K x R x R). */
static void component_grams(const eyni_voice_model *m, double *p)
{
    int r = m->ivec_dim, d = m->ubm.d;
    memset(p, 0,
           (size_t)m->ubm.k * (size_t)r * (size_t)r * sizeof *p); /* dsyrk fills one triangle */
    for (int k = 0; k < m->ubm.k; k++)
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, r, d, 1.0,
                    m->tv + (size_t)k * d * (size_t)r, r, 0.0, p + (size_t)k * r * (size_t)r, r);
}

/* Posterior of w: mean into w, Cholesky factor of the precision into l (r x r). */
static int posterior(const eyni_voice_model *m, const double *grams, const double *n,
                     const double *ft, double *w, double *l)
{
    int r = m->ivec_dim;
    size_t rr = (size_t)r * (size_t)r, s = (size_t)m->ubm.k * (size_t)m->ubm.d;
    memset(l, 0, rr * sizeof *l);
    for (int i = 0; i < r; i++)
        l[i * r + i] = 1;
    for (int k = 0; k < m->ubm.k; k++)
        if (n[k] > 0)
            cblas_daxpy((int)rr, n[k], grams + (size_t)k * rr, 1, l, 1);
    for (int i = 0; i < r; i++) /* mirror the lower triangle dsyrk filled */
        for (int j = i + 1; j < r; j++)
            l[i * r + j] = l[j * r + i];
    if (cholesky(l, r))
        return -1;
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)s, r, 1.0, m->tv, r, ft, 1, 0.0, w, 1);
    chol_solve(l, r, w);
    return 0;
}

int ivec_extract(const eyni_voice_model *m, const double *n, const double *f, double *w,
                 eyni_error *err)
{
    int r = m->ivec_dim;
    size_t s = (size_t)m->ubm.k * (size_t)m->ubm.d, rr = (size_t)r * (size_t)r;
    double *ft = malloc(s * sizeof *ft), *grams = malloc((size_t)m->ubm.k * rr * sizeof *grams);
    double *l = malloc(rr * sizeof *l);
    int rc = 0;
    if (!ft || !grams || !l) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory extracting an i-vector");
    } else {
        centre(m, n, f, ft);
        component_grams(m, grams);
        if (posterior(m, grams, n, ft, w, l))
            rc = eyni_error_set(err, EYNI_EMODEL, "i-vector precision not positive definite");
    }
    free(ft);
    free(grams);
    free(l);
    return rc;
}

/* One EM iteration over n recordings' statistics (nk: n x K, fk: n x K*D). */
static int em_iteration(eyni_voice_model *m, const double *nk, const double *fk, size_t n,
                        double *work, eyni_error *err)
{
    int r = m->ivec_dim, K = m->ubm.k, d = m->ubm.d;
    size_t s = (size_t)K * (size_t)d, rr = (size_t)r * (size_t)r;
    double *grams = work, *c = grams + (size_t)K * rr, *a = c + s * (size_t)r;
    double *ft = a + (size_t)K * rr, *w = ft + s, *l = w + r, *ew = l + rr;
    component_grams(m, grams);
    memset(c, 0, s * (size_t)r * sizeof *c);
    memset(a, 0, (size_t)K * rr * sizeof *a);
    for (size_t u = 0; u < n; u++) {
        const double *un = nk + u * (size_t)K;
        centre(m, un, fk + u * s, ft);
        if (posterior(m, grams, un, ft, w, l))
            return eyni_error_set(err, EYNI_EMODEL, "i-vector precision not positive definite");
        /* E[w w^T] = L^-1 + w w^T: invert through the factor column by column. */
        for (int j = 0; j < r; j++) {
            double *col = ew + (size_t)j * r;
            memset(col, 0, (size_t)r * sizeof *col);
            col[j] = 1;
            chol_solve(l, r, col);
        }
        cblas_dger(CblasRowMajor, r, r, 1.0, w, 1, w, 1, ew, r);
        cblas_dger(CblasRowMajor, (int)s, r, 1.0, ft, 1, w, 1, c, r);
        for (int k = 0; k < K; k++)
            if (un[k] > 0)
                cblas_daxpy((int)rr, un[k], ew, 1, a + (size_t)k * rr, 1);
    }
    for (int k = 0; k < K; k++) {
        double *ak = a + (size_t)k * rr;
        if (cholesky(ak, r))
            continue; /* a component nobody used keeps its old loadings */
        for (int j = 0; j < d; j++) {
            double *row = m->tv + ((size_t)k * d + (size_t)j) * (size_t)r;
            memcpy(row, c + ((size_t)k * d + (size_t)j) * (size_t)r, (size_t)r * sizeof *row);
            chol_solve(ak, r, row); /* A_k symmetric: row^T = A_k^-1 c^T */
        }
    }
    return 0;
}

int ivec_train(eyni_voice_model *m, const double *nk, const double *fk, size_t n, int dim,
               int iters, uint64_t seed, eyni_log *log, eyni_error *err)
{
    int K = m->ubm.k;
    size_t s = (size_t)K * (size_t)m->ubm.d, rr = (size_t)dim * (size_t)dim;
    m->ivec_dim = dim;
    m->tv = malloc(s * (size_t)dim * sizeof *m->tv);
    double *work =
        malloc(((size_t)K * rr * 2 + s * (size_t)dim + s + (size_t)dim + rr * 2) * sizeof *work);
    if (!m->tv || !work) {
        free(work);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory training the i-vector extractor");
    }
    vrng rng = {seed ^ 0x69766563ULL};
    for (size_t i = 0; i < s * (size_t)dim; i++)
        m->tv[i] = 0.1 * ((double)(vrng_next(&rng) >> 11) / 9007199254740992.0 - 0.5);
    int rc = 0;
    for (int it = 0; it < iters && rc == 0; it++) {
        rc = em_iteration(m, nk, fk, n, work, err);
        eyni_log_write(log, EYNI_LOG_INFO, "voice.ivector", "EM iteration %d of %d", it + 1, iters);
    }
    for (size_t i = 0; i < s * (size_t)dim; i++)
        m->tv[i] = (float)m->tv[i];
    free(work);
    return rc;
}
