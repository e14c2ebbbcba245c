/*
 * Diagonal-covariance Gaussian mixtures: log-likelihoods of many frames at once as one
 * matrix product (OpenBLAS), EM training grown by binary splitting, sufficient statistics
 * for MAP adaptation.
 *
 * For diagonal Gaussians, log N(x|k) = cst_k + sum_d (-0.5/var_kd) x_d^2 + (mu_kd/var_kd) x_d,
 * so the frames' rows [x^2 | x] times the components' rows [-0.5/var | mu/var] give all
 * likelihoods in one dgemm.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "voice_int.h"

#define BLOCK         2048 /* frames per E-step block */
#define VAR_FLOOR     0.01 /* variance floor as a fraction of the global variance */
#define SPLIT_EPS     0.2  /* split means by this many standard deviations */
#define MIN_OCCUPANCY 1e-3 /* components with less are left unchanged in an M-step */

int gmm_alloc(gmm *g, int k, int d, eyni_error *err)
{
    memset(g, 0, sizeof *g);
    g->k = k;
    g->d = d;
    size_t kd = (size_t)k * (size_t)d;
    g->w = calloc((size_t)k, sizeof *g->w);
    g->mu = calloc(kd, sizeof *g->mu);
    g->var = calloc(kd, sizeof *g->var);
    g->ab = calloc(2 * kd, sizeof *g->ab);
    g->cst = calloc((size_t)k, sizeof *g->cst);
    if (!g->w || !g->mu || !g->var || !g->ab || !g->cst) {
        gmm_free(g);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for a %d x %d GMM", k, d);
    }
    return 0;
}

void gmm_free(gmm *g)
{
    free(g->w);
    free(g->mu);
    free(g->var);
    free(g->ab);
    free(g->cst);
    memset(g, 0, sizeof *g);
}

void gmm_prepare(gmm *g)
{
    int d = g->d;
    for (int k = 0; k < g->k; k++) {
        double c = log(g->w[k] > 1e-300 ? g->w[k] : 1e-300) - 0.5 * d * log(2 * M_PI);
        double *ab = g->ab + (size_t)k * 2 * (size_t)d;
        for (int j = 0; j < d; j++) {
            double v = g->var[(size_t)k * d + j], m = g->mu[(size_t)k * d + j];
            ab[j] = -0.5 / v;
            ab[d + j] = m / v;
            c -= 0.5 * (log(v) + m * m / v);
        }
        g->cst[k] = c;
    }
}

void gmm_loglik(const gmm *g, const double *x, size_t t, double *work, double *ll)
{
    int d = g->d;
    for (size_t i = 0; i < t; i++)
        for (int j = 0; j < d; j++) {
            double v = x[i * (size_t)d + (size_t)j];
            work[i * 2 * (size_t)d + (size_t)j] = v * v;
            work[i * 2 * (size_t)d + (size_t)(d + j)] = v;
        }
    for (size_t i = 0; i < t; i++)
        memcpy(ll + i * (size_t)g->k, g->cst, (size_t)g->k * sizeof *ll);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)t, g->k, 2 * d, 1.0, work, 2 * d,
                g->ab, 2 * d, 1.0, ll, g->k);
}

/* Turns each row of ll into posteriors; returns the sum of the rows' log-likelihoods. */
static double posteriors(double *ll, size_t t, int k)
{
    double total = 0;
    for (size_t i = 0; i < t; i++) {
        double *r = ll + i * (size_t)k, mx = r[0];
        for (int j = 1; j < k; j++)
            mx = fmax(mx, r[j]);
        double s = 0;
        for (int j = 0; j < k; j++) {
            r[j] = exp(r[j] - mx);
            s += r[j];
        }
        for (int j = 0; j < k; j++)
            r[j] /= s;
        total += mx + log(s);
    }
    return total;
}

/* Accumulates n, f (and s when not NULL) over x; returns the total log-likelihood. */
static int accumulate(const gmm *g, const double *x, size_t t, double *n, double *f, double *s,
                      double *total, eyni_error *err)
{
    int d = g->d, k = g->k;
    size_t blk = t < BLOCK ? (t ? t : 1) : BLOCK;
    double *work = malloc(blk * 2 * (size_t)d * sizeof *work);
    double *ll = malloc(blk * (size_t)k * sizeof *ll);
    double *sq = s ? malloc(blk * (size_t)d * sizeof *sq) : NULL;
    if (!work || !ll || (s && !sq)) {
        free(work);
        free(ll);
        free(sq);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory in GMM statistics");
    }
    double tot = 0;
    for (size_t b = 0; b < t; b += blk) {
        size_t m = t - b < blk ? t - b : blk;
        const double *xb = x + b * (size_t)d;
        gmm_loglik(g, xb, m, work, ll);
        tot += posteriors(ll, m, k);
        for (size_t i = 0; i < m; i++)
            for (int j = 0; j < k; j++)
                n[j] += ll[i * (size_t)k + (size_t)j];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, (int)m, 1.0, ll, k, xb, d, 1.0,
                    f, d);
        if (s) {
            for (size_t i = 0; i < m * (size_t)d; i++)
                sq[i] = xb[i] * xb[i];
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, (int)m, 1.0, ll, k, sq, d,
                        1.0, s, d);
        }
    }
    free(work);
    free(ll);
    free(sq);
    if (total)
        *total = tot;
    return 0;
}

int gmm_stats(const gmm *g, const double *x, size_t t, double *n, double *f, eyni_error *err)
{
    return accumulate(g, x, t, n, f, NULL, NULL, err);
}

/* One EM iteration; returns the average frame log-likelihood before the update. */
static int em_step(gmm *g, const double *x, size_t t, const double *floor, double *avg,
                   eyni_error *err)
{
    int d = g->d, k = g->k;
    size_t kd = (size_t)k * (size_t)d;
    double *n = calloc((size_t)k, sizeof *n), *f = calloc(kd, sizeof *f);
    double *s = calloc(kd, sizeof *s);
    int rc = 0;
    if (!n || !f || !s) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory in EM");
        goto done;
    }
    double tot;
    if ((rc = accumulate(g, x, t, n, f, s, &tot, err)) != 0)
        goto done;
    *avg = tot / (double)t;
    for (int j = 0; j < k; j++) {
        if (n[j] < MIN_OCCUPANCY)
            continue; /* keep a starved component as it was rather than divide by ~0 */
        g->w[j] = n[j] / (double)t;
        for (int c = 0; c < d; c++) {
            size_t i = (size_t)j * d + (size_t)c;
            double m = f[i] / n[j];
            g->mu[i] = m;
            g->var[i] = fmax(s[i] / n[j] - m * m, floor[c]);
        }
    }
    double ws = 0;
    for (int j = 0; j < k; j++)
        ws += g->w[j];
    for (int j = 0; j < k; j++)
        g->w[j] /= ws;
    gmm_prepare(g);
done:
    free(n);
    free(f);
    free(s);
    return rc;
}

/* Doubles the mixture: each component becomes two, means pushed apart along sigma. */
static int split(gmm *g, eyni_error *err)
{
    gmm h;
    int rc = gmm_alloc(&h, g->k * 2, g->d, err);
    if (rc)
        return rc;
    int d = g->d;
    for (int j = 0; j < g->k; j++)
        for (int s = 0; s < 2; s++) {
            int o = 2 * j + s;
            h.w[o] = g->w[j] / 2;
            for (int c = 0; c < d; c++) {
                size_t i = (size_t)j * d + (size_t)c, io = (size_t)o * d + (size_t)c;
                double sd = sqrt(g->var[i]);
                h.mu[io] = g->mu[i] + (s ? -SPLIT_EPS : SPLIT_EPS) * sd;
                h.var[io] = g->var[i];
            }
        }
    gmm_prepare(&h);
    gmm_free(g);
    *g = h;
    return 0;
}

int gmm_train(const double *x, size_t t, int d, const gmm_train_opts *o, gmm *out, eyni_error *err)
{
    if (t < (size_t)o->components * 2)
        return eyni_error_set(err, EYNI_EINVAL, "%zu training frames are too few for %d Gaussians",
                              t, o->components);
    gmm g;
    double *floor = calloc((size_t)d, sizeof *floor);
    int rc = gmm_alloc(&g, 1, d, err);
    if (rc || !floor) {
        free(floor);
        return rc ? rc : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    }
    g.w[0] = 1;
    for (int c = 0; c < d; c++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < t; i++)
            m += x[i * (size_t)d + (size_t)c];
        m /= (double)t;
        for (size_t i = 0; i < t; i++) {
            double e = x[i * (size_t)d + (size_t)c] - m;
            v += e * e;
        }
        v = fmax(v / (double)t, 1e-6);
        g.mu[c] = m;
        g.var[c] = v;
        floor[c] = VAR_FLOOR * v;
    }
    gmm_prepare(&g);
    double avg = 0;
    while (g.k < o->components) {
        if ((rc = split(&g, err)) != 0)
            goto fail;
        int iters = g.k >= o->components ? o->final_iters : o->iterations;
        for (int it = 0; it < iters; it++)
            if ((rc = em_step(&g, x, t, floor, &avg, err)) != 0)
                goto fail;
        eyni_log_write(o->log, EYNI_LOG_INFO, "voice.ubm", "%d Gaussians: avg loglik %.4f", g.k,
                       avg);
    }
    free(floor);
    *out = g;
    return 0;
fail:
    free(floor);
    gmm_free(&g);
    return rc;
}
