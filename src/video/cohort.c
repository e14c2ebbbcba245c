/*
 * Cohort score normalisation of the wanted gallery (adaptive symmetric normalisation).
 *
 * A raw cosine means different things for different faces: an enrolment photo that
 * resembles many people (a look-alike magnet) draws high impostor scores, and so does a
 * blurred, generic probe. A cohort of faces of people who are not wanted measures both: each
 * wanted entry is scored against the cohort once, when it is added, and each probe when it
 * is searched. The mean and spread of the TOP_K highest cohort scores (the tail that causes
 * false alerts) turn a raw score s into
 *   norm = ((s - mu_entry) / sd_entry + (s - mu_probe) / sd_probe) / 2,
 * "how many spreads above the usual look-alikes", for the entry and the probe alike.
 *
 * The operating point comes from the cohort itself: every cohort photo is normalised against
 * the rest of the cohort (its own identity left out) and every pair of different identities
 * gives one impostor normalised score. The highest TAIL_M of those fit an exponential tail
 * (peaks over a threshold: excesses over the TAIL_M-th score are about exponential with the
 * mean excess as scale), which gives the normalised threshold for a false-match rate below
 * what the pairs can show directly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "video_int.h"

#define TOP_K  100 /* cohort scores that describe the tail of an entry or a probe */
#define TAIL_M 200 /* highest impostor pairs the exponential tail is fitted to */
#define SD_MIN 0.01f

static float dot(const float *a, const float *b)
{
    float s = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        s += a[i] * b[i];
    return s;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* Mean and spread of the TOP_K best cohort scores of emb, leaving identity skip out (-1:
 * none). scratch holds c->n floats. */
static void tail_stats(const video_cohort *c, const float *emb, int skip, float *scratch,
                       video_norm *out)
{
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->ident[i] != skip)
            scratch[m++] = dot(emb, c->emb + i * EYNI_FACE_DIM);
    qsort(scratch, m, sizeof *scratch, cmp_desc);
    size_t k = m < TOP_K ? m : TOP_K;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < k; i++)
        s += scratch[i], s2 += (double)scratch[i] * scratch[i];
    double mu = k ? s / k : 0, var = k ? s2 / k - mu * mu : 0;
    out->mu = (float)mu;
    out->sd = fmaxf(SD_MIN, (float)sqrt(var > 0 ? var : 0));
}

void video_cohort_stats(const video_cohort *c, const float *emb, video_norm *out)
{
    float *scratch = malloc((c->n ? c->n : 1) * sizeof *scratch);
    if (!scratch) { /* no room to normalise: the score counts as ordinary */
        out->mu = 0, out->sd = 1;
        return;
    }
    tail_stats(c, emb, -1, scratch, out);
    free(scratch);
}

float video_norm_score(float s, const video_norm *e, const video_norm *p)
{
    return 0.5f * ((s - e->mu) / e->sd + (s - p->mu) / p->sd);
}

/* Every pair of different identities normalised, the highest TAIL_M kept; the tail's scale
 * is their mean excess over the lowest of them. */
static int fit_tail(video_cohort *c, const video_norm *st, eyni_error *err)
{
    size_t cap = TAIL_M, have = 0;
    float *top = malloc(cap * sizeof *top);
    if (!top)
        return eyni_error_set(err, EYNI_ENOMEM, "cohort: out of memory");
    double pairs = 0;
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = i + 1; j < c->n; j++) {
            if (c->ident[i] == c->ident[j])
                continue;
            pairs++;
            float v = video_norm_score(dot(c->emb + i * EYNI_FACE_DIM, c->emb + j * EYNI_FACE_DIM),
                                       &st[i], &st[j]);
            if (have < cap) {
                top[have++] = v;
                if (have == cap)
                    qsort(top, have, sizeof *top, cmp_desc);
            } else if (v > top[cap - 1]) { /* insert keeping the list sorted */
                size_t k = cap - 1;
                while (k > 0 && top[k - 1] < v)
                    top[k] = top[k - 1], k--;
                top[k] = v;
            }
        }
    if (have < cap)
        qsort(top, have, sizeof *top, cmp_desc);
    int rc = 0;
    if (have < 20) {
        rc = eyni_error_set(err, EYNI_EINVAL,
                            "cohort: %zu pairs of different persons are too few to calibrate "
                            "(at least 20 are needed)",
                            have);
    } else {
        double ex = 0;
        for (size_t i = 0; i + 1 < have; i++)
            ex += top[i] - top[have - 1];
        c->tail_x = top[have - 1];
        c->tail_beta = fmax(1e-3, ex / (double)(have - 1));
        c->tail_rate = (double)have / pairs;
        c->pairs = pairs;
    }
    free(top);
    return rc;
}

int video_cohort_calibrate(video_cohort *c, eyni_error *err)
{
    video_norm *st = malloc((c->n ? c->n : 1) * sizeof *st);
    float *scratch = malloc((c->n ? c->n : 1) * sizeof *scratch);
    int rc = 0;
    if (!st || !scratch)
        rc = eyni_error_set(err, EYNI_ENOMEM, "cohort: out of memory");
    for (size_t i = 0; rc == 0 && i < c->n; i++)
        tail_stats(c, c->emb + i * EYNI_FACE_DIM, c->ident[i], scratch, &st[i]);
    if (rc == 0)
        rc = fit_tail(c, st, err);
    free(st);
    free(scratch);
    return rc;
}

/* Rates at or above the fitted tail's own (more frequent than the TAIL_M-th pair) are not what
 * an alert threshold is for: they get the tail's start. */
float video_cohort_threshold(const video_cohort *c, double fmr)
{
    if (fmr >= c->tail_rate)
        return (float)c->tail_x;
    return (float)(c->tail_x + c->tail_beta * log(c->tail_rate / fmr));
}

double video_cohort_fmr(const video_cohort *c, float norm)
{
    if (norm <= c->tail_x)
        return c->tail_rate; /* at least that: below the fitted tail */
    return c->tail_rate * exp(-(norm - c->tail_x) / c->tail_beta);
}

void video_cohort_free(video_cohort *c)
{
    if (!c)
        return;
    free(c->emb);
    free(c->ident);
    free(c);
}
