/* Module-private declarations of the video module. */
#ifndef EYNI_VIDEO_INT_H
#define EYNI_VIDEO_INT_H

#include "eyni/video.h"

/* IoU of two boxes given as x1, y1, x2, y2. */
float video_iou(const float a[4], const float b[4]);

/* Faces of a frame with a detector score of at least min_score, at most cap: the whole frame,
 * then (tiles >= 2) a tiles x tiles grid of overlapping tiles for the small faces. */
int video_detect(const eyni_face_engine *fe, const eyni_image *frame, int tiles, float min_score,
                 eyni_face_det *out, size_t cap, size_t *n, eyni_error *err);

/* The sigma per eye distance of the blurred copies the gallery makes (0: none). */
float video_wanted_blurred_copy(const eyni_video_wanted *w);

/* ---- cohort normalisation (cohort.c) ---- */

/* Mean and spread of the highest cohort scores of one face. */
typedef struct video_norm {
    float mu, sd;
} video_norm;

typedef struct video_cohort {
    float *emb; /* n unit embeddings */
    int *ident; /* identity index of each (photos of one person share it) */
    size_t n;
    double pairs;     /* impostor pairs of the self-calibration */
    double tail_x;    /* lowest of the fitted tail's normalised scores */
    double tail_beta; /* the tail's scale: mean excess over tail_x */
    double tail_rate; /* share of the pairs at or above tail_x */
} video_cohort;

void video_cohort_stats(const video_cohort *c, const float *emb, video_norm *out);
float video_norm_score(float s, const video_norm *entry, const video_norm *probe);
/* Normalises every cohort photo against the rest and fits the impostor tail. */
int video_cohort_calibrate(video_cohort *c, eyni_error *err);
/* Normalised score whose estimated false-match rate per comparison is fmr, and back. */
float video_cohort_threshold(const video_cohort *c, double fmr);
double video_cohort_fmr(const video_cohort *c, float norm);
void video_cohort_free(video_cohort *c);

/* ---- look-alikes (lookalike.c): faces dismissed as not being a wanted person ---- */

typedef struct video_lookalike {
    int64_t person; /* the wanted person it is not */
    int64_t key;    /* the dismissal (alert id): one added twice is kept once */
    float emb[EYNI_FACE_DIM];
} video_lookalike;

typedef struct video_lookalikes {
    video_lookalike *v; /* oldest first */
    size_t n, cap;
} video_lookalikes;

/* Adds one (the person's oldest goes beyond EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON); 1 when the
 * key was already there. */
int video_lookalikes_add(video_lookalikes *l, int64_t person, int64_t key, const float *emb,
                         eyni_error *err);
void video_lookalikes_drop(video_lookalikes *l, int64_t person);
/* The probe's best cosine with the person's look-alikes, -1 when there are none. */
float video_lookalikes_best(const video_lookalikes *l, int64_t person, const float *probe,
                            int64_t *key);
void video_lookalikes_clear(video_lookalikes *l);
/* Keeps the look-alikes whose key is in keys (n of them, sorted ascending); how many went. */
size_t video_lookalikes_keep(video_lookalikes *l, const int64_t *keys, size_t n);

#endif
