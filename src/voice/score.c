/*
 * Probes and scoring. A probe keeps its features, the C best UBM components of each frame
 * and the UBM frame likelihood over them; scoring a reference then costs only C Gaussians
 * per frame (the top-C approximation: MAP-adapted components stay aligned with their UBM
 * parents, so the UBM's best components are the reference's too).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "voice_int.h"

#define PROBE_BLOCK 1024
#define MAX_TOP_C   64

static void top_c(const double *row, int k, int c, int *idx)
{
    for (int j = 0; j < c; j++)
        idx[j] = -1;
    for (int j = 0; j < k; j++) {
        int p = c - 1;
        if (idx[p] >= 0 && row[j] <= row[idx[p]])
            continue;
        while (p > 0 && (idx[p - 1] < 0 || row[j] > row[idx[p - 1]])) {
            idx[p] = idx[p - 1];
            p--;
        }
        idx[p] = j;
    }
}

static double logsumexp(const double *v, int n)
{
    double mx = v[0];
    for (int i = 1; i < n; i++)
        mx = fmax(mx, v[i]);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += exp(v[i] - mx);
    return mx + log(s);
}

static int probe_fill(const eyni_voice_model *m, eyni_voice_probe *p, eyni_error *err)
{
    const gmm *g = &m->ubm;
    size_t blk = p->t < PROBE_BLOCK ? p->t : PROBE_BLOCK;
    double *work = malloc(blk * 2 * (size_t)g->d * sizeof *work);
    double *ll = malloc(blk * (size_t)g->k * sizeof *ll);
    if (!work || !ll) {
        free(work);
        free(ll);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory scoring a probe");
    }
    for (size_t b = 0; b < p->t; b += blk) {
        size_t n = p->t - b < blk ? p->t - b : blk;
        gmm_loglik(g, p->x + b * (size_t)p->d, n, work, ll);
        for (size_t i = 0; i < n; i++) {
            const double *row = ll + i * (size_t)g->k;
            int *idx = p->top + (b + i) * (size_t)p->c;
            double v[MAX_TOP_C] = {0}; /* gcc -O3 cannot see that c >= 1 */
            top_c(row, g->k, p->c, idx);
            for (int j = 0; j < p->c; j++)
                v[j] = row[idx[j]];
            p->ubm[b + i] = logsumexp(v, p->c);
        }
    }
    free(work);
    free(ll);
    return 0;
}

static int probe_supervector(const eyni_voice_model *m, eyni_voice_probe *p, eyni_error *err)
{
    size_t kd = (size_t)m->ubm.k * (size_t)m->ubm.d;
    double *n = calloc((size_t)m->ubm.k, sizeof *n), *f = calloc(kd, sizeof *f);
    p->y = malloc(emb_dim(m) * sizeof *p->y);
    int rc = 0;
    if (!n || !f || !p->y)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory for a probe");
    if (rc == 0)
        rc = gmm_stats(&m->ubm, p->x, p->t, n, f, err);
    if (rc == 0)
        rc = embed(m, n, f, p->y, err);
    p->tm = 0;
    p->ts = 1;
    if (rc == 0 && m->cohort_n > 0)
        cohort_stats(m, p->y, &p->tm, &p->ts);
    free(n);
    free(f);
    return rc;
}

/* Completes a probe whose features are in place; frees it on failure. */
static int probe_finish(const eyni_voice_model *m, eyni_voice_probe *p, eyni_voice_probe **out,
                        eyni_error *err)
{
    int rc;
    p->top = malloc((p->t ? p->t : 1) * (size_t)p->c * sizeof *p->top);
    p->ubm = malloc((p->t ? p->t : 1) * sizeof *p->ubm);
    if (!p->top || !p->ubm) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory for a probe");
        goto fail;
    }
    if ((rc = probe_fill(m, p, err)) != 0)
        goto fail;
    if (m->scoring != EYNI_VOICE_SCORE_LLR && (rc = probe_supervector(m, p, err)) != 0)
        goto fail;
    *out = p;
    return 0;
fail:
    eyni_voice_probe_free(p);
    return rc;
}

static eyni_voice_probe *probe_alloc(const eyni_voice_model *m)
{
    eyni_voice_probe *p = calloc(1, sizeof *p);
    if (p) {
        memcpy(p->model_id, m->id, 32);
        p->d = m->ubm.d;
        p->c = m->top_c < MAX_TOP_C ? m->top_c : MAX_TOP_C;
    }
    return p;
}

int eyni_voice_probe_new(const eyni_voice_model *m, const eyni_voice_audio *a,
                         eyni_voice_probe **out, eyni_error *err)
{
    eyni_voice_probe *p = probe_alloc(m);
    if (!p)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for a probe");
    int rc = features_extract(&m->fe, a, &p->x, &p->t, err);
    if (rc) {
        eyni_voice_probe_free(p);
        return rc;
    }
    return probe_finish(m, p, out, err);
}

/* Concatenates the speech features of n recordings into p->x. */
static int pool_features(const eyni_voice_model *m, const eyni_voice_audio *const *audio, size_t n,
                         eyni_voice_probe *p, eyni_error *err)
{
    size_t d = (size_t)m->ubm.d;
    for (size_t i = 0; i < n; i++) {
        double *x = NULL;
        size_t t = 0;
        int rc = features_extract(&m->fe, audio[i], &x, &t, err);
        double *grown = rc ? NULL : realloc(p->x, ((p->t + t) ? p->t + t : 1) * d * sizeof *grown);
        if (rc == 0 && !grown)
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory for a probe");
        if (rc == 0) {
            memcpy(grown + p->t * d, x, t * d * sizeof *x);
            p->x = grown;
            p->t += t;
        }
        free(x);
        if (rc)
            return rc;
    }
    return 0;
}

int eyni_voice_probe_pool(const eyni_voice_model *m, const eyni_voice_audio *const *audio, size_t n,
                          eyni_voice_probe **out, eyni_error *err)
{
    if (n == 0 || n > EYNI_VOICE_MAX_ENROL)
        return eyni_error_set(err, EYNI_EINVAL, "a probe pools 1..%d recordings, got %zu",
                              EYNI_VOICE_MAX_ENROL, n);
    eyni_voice_probe *p = probe_alloc(m);
    if (!p)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for a probe");
    int rc = pool_features(m, audio, n, p, err);
    if (rc) {
        eyni_voice_probe_free(p);
        return rc;
    }
    return probe_finish(m, p, out, err);
}

int probe_from_features(const eyni_voice_model *m, const double *x, size_t t,
                        eyni_voice_probe **out, eyni_error *err)
{
    eyni_voice_probe *p = probe_alloc(m);
    if (!p || !(p->x = malloc((t ? t : 1) * (size_t)m->ubm.d * sizeof *p->x))) {
        eyni_voice_probe_free(p);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for a probe");
    }
    memcpy(p->x, x, t * (size_t)m->ubm.d * sizeof *p->x);
    p->t = t;
    return probe_finish(m, p, out, err);
}

void eyni_voice_probe_free(eyni_voice_probe *p)
{
    if (!p)
        return;
    free(p->x);
    free(p->top);
    free(p->ubm);
    free(p->y);
    free(p);
}

int eyni_voice_score(const eyni_voice_model *m, const eyni_voice_ref *r, const eyni_voice_probe *p,
                     double *score, eyni_error *err)
{
    if (memcmp(r->model_id, m->id, 32) || r->k != m->ubm.k || r->d != p->d)
        return eyni_error_set(err, EYNI_ECONFLICT, "voice reference belongs to another model");
    if (memcmp(p->model_id, m->id, 32))
        return eyni_error_set(err, EYNI_ECONFLICT, "voice probe was made with another model");
    if (m->scoring != EYNI_VOICE_SCORE_LLR) {
        double raw = cblas_ddot((int)emb_dim(m), r->y, 1, p->y, 1);
        /* s-norm: the mean of the score standardised by the reference's and by the
         * probe's cohort statistics, so that thresholds mean the same for everyone. */
        *score = m->cohort_n > 0 ? 0.5 * ((raw - r->zm) / r->zs + (raw - p->tm) / p->ts) : raw;
        return 0;
    }
    int d = p->d;
    double sum = 0;
    for (size_t t = 0; t < p->t; t++) {
        const double *x = p->x + t * (size_t)d;
        const int *idx = p->top + t * (size_t)p->c;
        double v[MAX_TOP_C] = {0}; /* gcc -O3 cannot see that c >= 1 */
        for (int j = 0; j < p->c; j++) {
            const double *ab = r->ab + (size_t)idx[j] * 2 * (size_t)d;
            double s = r->cst[idx[j]];
            for (int i = 0; i < d; i++)
                s += x[i] * (ab[i] * x[i] + ab[d + i]);
            v[j] = s;
        }
        sum += logsumexp(v, p->c) - p->ubm[t];
    }
    *score = p->t ? sum / (double)p->t : 0;
    return 0;
}

int eyni_voice_verify(const eyni_voice_model *m, const eyni_voice_ref *r, const eyni_voice_probe *p,
                      double fmr, int *match, double *score, eyni_error *err)
{
    double s;
    int rc = eyni_voice_score(m, r, p, &s, err);
    if (rc)
        return rc;
    *match = s >= eyni_voice_model_threshold(m, fmr);
    if (score)
        *score = s;
    return 0;
}

static int cmp_cand(const void *a, const void *b)
{
    const eyni_voice_candidate *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

int eyni_voice_identify(const eyni_voice_model *m, const eyni_voice_ref *const *refs, size_t n,
                        const eyni_voice_probe *p, double fmr, eyni_voice_candidate *out,
                        size_t max_out, size_t *n_out, eyni_error *err)
{
    eyni_voice_candidate *all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory identifying");
    double thr = eyni_voice_model_threshold(m, fmr);
    for (size_t i = 0; i < n; i++) {
        int rc = eyni_voice_score(m, refs[i], p, &all[i].score, err);
        if (rc) {
            free(all);
            return eyni_error_prefix(err, "reference %zu: ", i);
        }
        all[i].index = i;
        all[i].match = all[i].score >= thr;
    }
    qsort(all, n, sizeof *all, cmp_cand);
    size_t k = n < max_out ? n : max_out;
    memcpy(out, all, k * sizeof *out);
    *n_out = k;
    free(all);
    return 0;
}
