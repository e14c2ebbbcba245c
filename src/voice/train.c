/*
 * Training: features of every recording, a UBM by EM on the pooled speech frames
 * (subsampled to a cap by the seed), then threshold calibration on the same speakers:
 * references enrolled on part of each speaker's recordings, the rest scored against all
 * of them, and the impostor scores' quantiles stored in the model.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

#define CALIB_ENROL  20 /* recordings per calibration reference, as in a real enrolment */
#define CALIB_PROBES 60 /* probes per speaker scored in calibration */

void eyni_voice_train_opts_default(eyni_voice_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->components = 16;
    o->iterations = 6;
    o->final_iters = 12;
    o->relevance = 16;
    o->top_c = 5;
    o->target_fmr = 0.01;
    o->seed = 1;
    o->max_frames = 400000;
    frontend fe;
    frontend_default(&fe);
    o->n_ceps = fe.n_ceps;
    o->deltas = fe.deltas;
    o->cmvn =
        CMVN_NONE; /* measured best on FSDD (docs/voice.md); CMVN_MEANVAR for mixed channels */
    o->scoring = EYNI_VOICE_SCORE_SV;
    o->nap_rank = 20;
    o->ivec_dim = 100;
    o->ivec_iters = 10;
    o->cohort = 500;
}

typedef struct featset {
    size_t n;
    double **x;
    size_t *t;
} featset;

static void featset_free(featset *fs)
{
    for (size_t i = 0; fs->x && i < fs->n; i++)
        free(fs->x[i]);
    free(fs->x);
    free(fs->t);
}

static int featset_build(const frontend *fe, const eyni_voice_audio *const *audio, size_t n,
                         featset *fs, eyni_error *err)
{
    fs->n = n;
    fs->x = calloc(n, sizeof *fs->x);
    fs->t = calloc(n, sizeof *fs->t);
    if (!fs->x || !fs->t)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory for training features");
    for (size_t i = 0; i < n; i++) {
        int rc = features_extract(fe, audio[i], &fs->x[i], &fs->t[i], err);
        if (rc)
            return eyni_error_prefix(err, "training recording %zu: ", i);
    }
    return 0;
}

/* Pools the frames, keeping a seeded random subset when there are more than cap. */
static int pool_frames(const featset *fs, int d, size_t cap, vrng *rng, double **out, size_t *t_out,
                       eyni_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < fs->n; i++)
        total += fs->t[i];
    size_t keep = total < cap ? total : cap;
    double *x = malloc((keep ? keep : 1) * (size_t)d * sizeof *x);
    if (!x)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory pooling %zu frames", keep);
    /* Selection sampling (Knuth's algorithm S): each frame kept with the right odds. */
    size_t seen = 0, taken = 0;
    for (size_t i = 0; i < fs->n && taken < keep; i++)
        for (size_t j = 0; j < fs->t[i] && taken < keep; j++, seen++)
            if (vrng_below(rng, total - seen) < keep - taken)
                memcpy(x + (taken++) * (size_t)d, fs->x[i] + j * (size_t)d, (size_t)d * sizeof *x);
    *out = x;
    *t_out = taken;
    return 0;
}

static void shuffle(size_t *v, size_t n, vrng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = vrng_below(rng, i);
        size_t tmp = v[i - 1];
        v[i - 1] = v[j];
        v[j] = tmp;
    }
}

typedef struct calib_plan {
    size_t ns;  /* speakers */
    int *label; /* speaker label of each */
    size_t **enrol, *n_enrol;
    size_t **probe, *n_probe;
} calib_plan;

static void plan_free(calib_plan *p)
{
    for (size_t s = 0; s < p->ns; s++) {
        if (p->enrol)
            free(p->enrol[s]);
        if (p->probe)
            free(p->probe[s]);
    }
    free(p->label);
    free(p->enrol);
    free(p->n_enrol);
    free(p->probe);
    free(p->n_probe);
}

static int plan_build(const int *speaker, size_t n, vrng *rng, calib_plan *p, eyni_error *err)
{
    memset(p, 0, sizeof *p);
    p->label = malloc(n * sizeof *p->label);
    size_t *mine = malloc(n * sizeof *mine);
    if (!p->label || !mine)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        size_t s = 0;
        while (s < p->ns && p->label[s] != speaker[i])
            s++;
        if (s == p->ns)
            p->label[p->ns++] = speaker[i];
    }
    p->enrol = calloc(p->ns, sizeof *p->enrol);
    p->probe = calloc(p->ns, sizeof *p->probe);
    p->n_enrol = calloc(p->ns, sizeof *p->n_enrol);
    p->n_probe = calloc(p->ns, sizeof *p->n_probe);
    if (!p->enrol || !p->probe || !p->n_enrol || !p->n_probe)
        goto oom;
    for (size_t s = 0; s < p->ns; s++) {
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if (speaker[i] == p->label[s])
                mine[cnt++] = i;
        shuffle(mine, cnt, rng);
        size_t ne = cnt / 2 < CALIB_ENROL ? cnt / 2 : CALIB_ENROL;
        size_t np = cnt - ne < CALIB_PROBES ? cnt - ne : CALIB_PROBES;
        p->enrol[s] = malloc((ne ? ne : 1) * sizeof(size_t));
        p->probe[s] = malloc((np ? np : 1) * sizeof(size_t));
        if (!p->enrol[s] || !p->probe[s])
            goto oom;
        memcpy(p->enrol[s], mine, ne * sizeof(size_t));
        memcpy(p->probe[s], mine + ne, np * sizeof(size_t));
        p->n_enrol[s] = ne;
        p->n_probe[s] = np;
    }
    free(mine);
    return 0;
oom:
    free(mine);
    return eyni_error_set(err, EYNI_ENOMEM, "out of memory planning calibration");
}

static int calibrate(eyni_voice_model *m, const featset *fs, const int *speaker, vrng *rng,
                     eyni_error *err)
{
    calib_plan p;
    eyni_voice_ref **refs = NULL;
    double *gen = NULL, *imp = NULL;
    size_t ng = 0, ni = 0;
    int rc = plan_build(speaker, fs->n, rng, &p, err);
    if (rc)
        return rc;
    size_t usable = 0, probes = 0;
    for (size_t s = 0; s < p.ns; s++) {
        usable += p.n_enrol[s] > 0 && p.n_probe[s] > 0;
        probes += p.n_probe[s];
    }
    if (usable < 2) {
        rc = eyni_error_set(err, EYNI_EINVAL,
                            "calibration needs two speakers with two recordings each");
        goto done;
    }
    refs = calloc(p.ns, sizeof *refs);
    gen = malloc(probes * sizeof *gen);
    imp = malloc(probes * p.ns * sizeof *imp);
    if (!refs || !gen || !imp) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory in calibration");
        goto done;
    }
    for (size_t s = 0; s < p.ns; s++)
        if (p.n_enrol[s] && (rc = ref_from_features(m, (const double *const *)fs->x, fs->t,
                                                    p.enrol[s], p.n_enrol[s], &refs[s], err)))
            goto done;
    for (size_t s = 0; s < p.ns; s++)
        for (size_t j = 0; j < p.n_probe[s]; j++) {
            size_t u = p.probe[s][j];
            eyni_voice_probe *pr;
            if ((rc = probe_from_features(m, fs->x[u], fs->t[u], &pr, err)) != 0)
                goto done;
            for (size_t r = 0; r < p.ns && rc == 0; r++) {
                double sc;
                if (!refs[r] || (rc = eyni_voice_score(m, refs[r], pr, &sc, err)) != 0)
                    continue;
                if (r == s)
                    gen[ng++] = sc;
                else
                    imp[ni++] = sc;
            }
            eyni_voice_probe_free(pr);
            if (rc)
                goto done;
        }
    calib_set(m, imp, ni, gen, ng);
done:
    for (size_t s = 0; refs && s < p.ns; s++)
        eyni_voice_ref_free(refs[s]);
    free(refs);
    free(gen);
    free(imp);
    plan_free(&p);
    return rc;
}

/* Per-recording statistics, then the i-vector extractor (if used) and the NAP back-end. */
static int train_backends(eyni_voice_model *m, const featset *fs, const int *speaker,
                          const eyni_voice_train_opts *o, eyni_error *err)
{
    size_t K = (size_t)m->ubm.k, kd = K * (size_t)m->ubm.d;
    double *nk = calloc(fs->n * K, sizeof *nk), *fk = calloc(fs->n * kd, sizeof *fk);
    int rc = 0;
    if (!nk || !fk)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory for training statistics");
    for (size_t i = 0; rc == 0 && i < fs->n; i++)
        rc = gmm_stats(&m->ubm, fs->x[i], fs->t[i], nk + i * K, fk + i * kd, err);
    if (rc == 0 && o->scoring == EYNI_VOICE_SCORE_IVEC)
        rc = ivec_train(m, nk, fk, fs->n, o->ivec_dim, o->ivec_iters, o->seed, o->log, err);
    if (rc == 0)
        rc = backend_train(m, nk, fk, fs->n, speaker, o->nap_rank, o->seed, err);
    if (rc == 0 && o->cohort > 0 && o->scoring != EYNI_VOICE_SCORE_LLR)
        rc = cohort_select(m, nk, fk, fs->n, o->cohort, o->seed, err);
    free(nk);
    free(fk);
    return rc;
}

static int check_opts(const eyni_voice_train_opts *o, size_t n, eyni_error *err)
{
    int k = o->components;
    if (k < 1 || k > EYNI_VOICE_MAX_COMPONENTS || (k & (k - 1)))
        return eyni_error_set(err, EYNI_EINVAL, "components must be a power of two <= %d",
                              EYNI_VOICE_MAX_COMPONENTS);
    if (o->iterations < 1 || o->iterations > 100 || o->final_iters < 1 || o->final_iters > 1000 ||
        o->top_c < 1 || o->top_c > 64 || !(o->relevance > 0) ||
        !(o->target_fmr > 0 && o->target_fmr < 1) || o->max_frames < 1000 ||
        o->scoring < EYNI_VOICE_SCORE_LLR || o->scoring > EYNI_VOICE_SCORE_IVEC ||
        o->nap_rank < 0 || o->nap_rank > EYNI_VOICE_MAX_NAP || o->cohort < 0 ||
        o->cohort > EYNI_VOICE_MAX_COHORT ||
        (o->scoring == EYNI_VOICE_SCORE_IVEC &&
         (o->ivec_dim < 1 || o->ivec_dim > EYNI_VOICE_MAX_IVEC || o->nap_rank >= o->ivec_dim ||
          o->ivec_iters < 1 || o->ivec_iters > 100)))
        return eyni_error_set(err, EYNI_EINVAL, "invalid voice training options");
    if (n < 4)
        return eyni_error_set(err, EYNI_EINVAL, "voice training needs at least 4 recordings");
    return 0;
}

/* Rounds the UBM to the precision of the file, so a trained model and its reloaded copy
 * score identically. */
static void round_to_file(gmm *g)
{
    size_t kd = (size_t)g->k * (size_t)g->d;
    double ws = 0;
    for (int k = 0; k < g->k; k++)
        ws += g->w[k] = (float)g->w[k];
    for (int k = 0; k < g->k; k++)
        g->w[k] = (float)(g->w[k] / ws);
    for (size_t i = 0; i < kd; i++) {
        g->mu[i] = (float)g->mu[i];
        g->var[i] = (float)g->var[i];
    }
    gmm_prepare(g);
}

int eyni_voice_train(const eyni_voice_audio *const *audio, const int *speaker, size_t n,
                     const eyni_voice_train_opts *opts, eyni_voice_model **out, eyni_error *err)
{
    eyni_voice_train_opts def;
    if (!opts) {
        eyni_voice_train_opts_default(&def);
        opts = &def;
    }
    int rc = check_opts(opts, n, err);
    if (rc)
        return rc;
    featset fs = {0};
    double *pool = NULL;
    size_t t = 0;
    vrng rng = {opts->seed};
    eyni_voice_model *m = calloc(1, sizeof *m);
    if (!m)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory training");
    frontend_default(&m->fe);
    m->fe.n_ceps = opts->n_ceps;
    m->fe.deltas = opts->deltas;
    m->fe.cmvn = opts->cmvn;
    if ((rc = frontend_check(&m->fe, err)) != 0) {
        eyni_voice_model_free(m);
        return eyni_error_set(err, EYNI_EINVAL, "invalid voice front-end options");
    }
    m->top_c = opts->top_c < opts->components ? opts->top_c : opts->components;
    m->relevance = opts->relevance;
    m->scoring = opts->scoring;
    m->target_fmr = opts->target_fmr;
    int d = frontend_dim(&m->fe);
    if ((rc = featset_build(&m->fe, audio, n, &fs, err)) != 0)
        goto fail;
    if ((rc = pool_frames(&fs, d, opts->max_frames, &rng, &pool, &t, err)) != 0)
        goto fail;
    eyni_log_write(opts->log, EYNI_LOG_INFO, "voice.train", "%zu recordings, %zu frames", n, t);
    gmm_train_opts go = {opts->components, opts->iterations, opts->final_iters, opts->log};
    if ((rc = gmm_train(pool, t, d, &go, &m->ubm, err)) != 0)
        goto fail;
    free(pool);
    pool = NULL;
    round_to_file(&m->ubm);
    if ((rc = train_backends(m, &fs, speaker, opts, err)) != 0)
        goto fail;
    if ((rc = model_compute_id(m, err)) != 0) /* calibration references need an id */
        goto fail;
    if ((rc = calibrate(m, &fs, speaker, &rng, err)) != 0)
        goto fail;
    if ((rc = model_compute_id(m, err)) != 0)
        goto fail;
    featset_free(&fs);
    *out = m;
    return 0;
fail:
    free(pool);
    featset_free(&fs);
    eyni_voice_model_free(m);
    return rc;
}
