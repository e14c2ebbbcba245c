/* Module-private declarations of the voice engine. */
#ifndef EYNI_VOICE_INT_H
#define EYNI_VOICE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "eyni/voice.h"

/* Framing is fixed at the working rate: 25 ms windows every 10 ms, 256-point FFT. */
#define VFRAME 200
#define VHOP   80
#define VNFFT  256
#define VBINS  (VNFFT / 2 + 1)

struct eyni_voice_audio {
    float *x; /* samples at EYNI_VOICE_RATE, speech normalised to -20 dBFS */
    size_t n;
    unsigned char *speech; /* per frame (VFRAME/VHOP framing): 1 when voice is active */
    size_t n_frames;
    size_t n_speech;
    double seconds; /* duration of the original recording */
};

/* ---- spectrum: FFTW plan with buffers, one per caller ------------------------------ */

typedef struct vspec {
    void *plan; /* fftwf_plan */
    float *in;  /* VNFFT real samples */
    void *out;  /* VBINS fftwf_complex */
    float window[VFRAME];
} vspec;

int vspec_open(vspec *s, eyni_error *err);
void vspec_close(vspec *s);
/* Power spectrum of x[0..VFRAME) (Hamming-windowed, zero-padded) into pow[VBINS]. */
void vspec_power(vspec *s, const float *x, float *pow);

/* ---- resampling -------------------------------------------------------------------- */

/* Windowed-sinc (Kaiser) resampling of x[n] from rate_in to rate_out; *out malloc'ed. */
int resample(const float *x, size_t n, int rate_in, int rate_out, float **out, size_t *n_out,
             eyni_error *err);

/* ---- voice activity ---------------------------------------------------------------- */

/* Per-frame speech flags (malloc'ed, *n_frames long) of x at the working rate. */
int vad_detect(const float *x, size_t n, unsigned char **flags, size_t *n_frames, size_t *n_speech,
               eyni_error *err);

/* Bridges gaps of up to 5 frames in speech, then drops speech runs under 3 frames. */
void vad_smooth(unsigned char *f, size_t n);
/* Per-frame speech flags from silero-vad (same framing and contract as vad_detect). */
int vad_silero(const eyni_voice_vad *v, const float *x, size_t n, unsigned char **flags,
               size_t *n_frames, size_t *n_speech, eyni_error *err);

/* ---- features ---------------------------------------------------------------------- */

enum { CMVN_NONE = 0, CMVN_MEAN = 1, CMVN_MEANVAR = 2 };

typedef struct frontend {
    int n_mels;    /* triangular mel filters */
    int n_ceps;    /* cepstra kept, c0 first */
    int deltas;    /* 0: statics, 1: + deltas, 2: + double deltas */
    int cmvn;      /* CMVN_* over the speech frames of one recording */
    float preemph; /* pre-emphasis coefficient */
    float fmin, fmax;
} frontend;

void frontend_default(frontend *f);
int frontend_dim(const frontend *f);
int frontend_check(const frontend *f, eyni_error *err);
/* Features of the speech frames of a: *feat (T x dim, row-major doubles) malloc'ed. */
int features_extract(const frontend *f, const eyni_voice_audio *a, double **feat, size_t *t,
                     eyni_error *err);

/* ---- GMM --------------------------------------------------------------------------- */

typedef struct gmm {
    int k, d;
    double *w, *mu, *var; /* k, k*d, k*d */
    /* Derived for scoring: per component [-0.5/var | mu/var] (k x 2d) and constants. */
    double *ab, *cst;
} gmm;

int gmm_alloc(gmm *g, int k, int d, eyni_error *err);
void gmm_free(gmm *g);
/* Recomputes ab/cst after w/mu/var changed. */
void gmm_prepare(gmm *g);
/* Per-frame, per-component log(w_k N(x_t | k)) for t frames into ll (t x k). work holds
 * t x 2d doubles. */
void gmm_loglik(const gmm *g, const double *x, size_t t, double *work, double *ll);
/* Zeroth and first order statistics (n[k], f[k*d]) of t frames, added to the sums. */
int gmm_stats(const gmm *g, const double *x, size_t t, double *n, double *f, eyni_error *err);

typedef struct gmm_train_opts {
    int components, iterations, final_iters;
    eyni_log *log;
} gmm_train_opts;

/* EM with binary splitting from one Gaussian up to opts->components. */
int gmm_train(const double *x, size_t t, int d, const gmm_train_opts *o, gmm *out, eyni_error *err);

/* ---- model, references, probes ----------------------------------------------------- */

#define VCALIB_QUANTILES 1001 /* impostor score quantiles kept for thresholds */

struct eyni_voice_model {
    frontend fe;
    gmm ubm;
    int top_c;
    double relevance;
    double target_fmr;
    /* Impostor score at upper-tail probability i/(VCALIB_QUANTILES-1)... see calib.c. */
    double quant[VCALIB_QUANTILES];
    uint64_t calib_genuine, calib_impostor;
    double calib_eer;
    int scoring; /* EYNI_VOICE_SCORE_* */
    int nap_rank;
    int ivec_dim;    /* 0 unless scoring is EYNI_VOICE_SCORE_IVEC */
    double *tv;      /* total-variability matrix (K*D x ivec_dim, row-major) */
    double *sv_mean; /* mean training embedding (emb_dim) */
    double *nap;
    int cohort_n; /* s-norm cohort: projected background embeddings */
    double *cohort;
    /* cohort_n x emb_dim */ /* nuisance directions (emb_dim x nap_rank, row-major) */
    unsigned char id[32];
};

struct eyni_voice_ref {
    int k, d;
    double *n, *f; /* sufficient statistics */
    double *mean;  /* MAP-adapted means (derived) */
    double *ab, *cst;
    double *y; /* projected embedding (all scorings but LLR) */
    uint32_t recordings;
    double seconds;
    double zm, zs; /* s-norm: score statistics against the cohort */
    unsigned char model_id[32];
};

struct eyni_voice_probe {
    size_t t;
    int d, c;
    double *x;   /* t x d features */
    int *top;    /* t x c best UBM components */
    double *ubm; /* t: UBM frame log-likelihood over the top components */
    double *y;   /* projected embedding (all scorings but LLR) */
    unsigned char model_id[32];
    double tm, ts; /* s-norm: score statistics against the cohort */
};

/* ---- supervector back-end ----------------------------------------------------------- */

void sv_from_stats(const eyni_voice_model *m, const double *n, const double *f, double *sv);
/* Length of the embedding the back-end works on: the supervector or the i-vector. */
size_t emb_dim(const eyni_voice_model *m);
/* Projected, length-normalised embedding y[emb_dim] of statistics (n[K], f[K*D]). */
int embed(const eyni_voice_model *m, const double *n, const double *f, double *y, eyni_error *err);
/* Centres, projects out the nuisance directions and length-normalises e into y. */
void sv_project(const eyni_voice_model *m, const double *e, double *y);
/* Mean embedding and NAP directions from n recordings' statistics (nk: n x K,
 * fk: n x K*D). */
/* Mean and spread of y's cosines with the cohort. */
void cohort_stats(const eyni_voice_model *m, const double *y, double *mean, double *sd);
/* Keeps count of the n recordings (seeded choice) as the s-norm cohort. */
int cohort_select(eyni_voice_model *m, const double *nk, const double *fk, size_t n, int count,
                  uint64_t seed, eyni_error *err);
int backend_train(eyni_voice_model *m, const double *nk, const double *fk, size_t n,
                  const int *speaker, int rank, uint64_t seed, eyni_error *err);

/* ---- i-vectors ---------------------------------------------------------------------- */

int ivec_extract(const eyni_voice_model *m, const double *n, const double *f, double *w,
                 eyni_error *err);
int ivec_train(eyni_voice_model *m, const double *nk, const double *fk, size_t n, int dim,
               int iters, uint64_t seed, eyni_log *log, eyni_error *err);

/* A probe from ready features (copied). */
int probe_from_features(const eyni_voice_model *m, const double *x, size_t t,
                        eyni_voice_probe **out, eyni_error *err);
/* A reference from the ready features x[idx[0..n)] (frame counts t[]). */
int ref_from_features(const eyni_voice_model *m, const double *const *x, const size_t *t,
                      const size_t *idx, size_t n, eyni_voice_ref **out, eyni_error *err);
/* Sets the model's derived id (SHA-256 of its serialised bytes). */
int model_compute_id(eyni_voice_model *m, eyni_error *err);
/* Re-derives adapted means of a reference from its statistics. */
int ref_derive(const eyni_voice_model *m, eyni_voice_ref *r, eyni_error *err);
/* Calibration of thresholds from impostor scores (sorted ascending in place). */
void calib_set(eyni_voice_model *m, double *impostor, size_t ni, const double *genuine, size_t ng);
/* EER of two score sets (higher = genuine); sorts copies. */
double calib_eer(const double *genuine, size_t ng, const double *impostor, size_t ni);

/* ---- little-endian byte buffers for the file formats -------------------------------- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

void wb_bytes(wbuf *b, const void *p, size_t n);
void wb_u32(wbuf *b, uint32_t v);
void wb_u64(wbuf *b, uint64_t v);
void wb_f64(wbuf *b, double v);
void wb_f32(wbuf *b, float v);

typedef struct rbuf {
    const unsigned char *p;
    size_t len, pos;
    int bad;
} rbuf;

const unsigned char *rb_bytes(rbuf *b, size_t n);
uint32_t rb_u32(rbuf *b);
uint64_t rb_u64(rbuf *b);
double rb_f64(rbuf *b);
float rb_f32(rbuf *b);

/* Small deterministic generator (splitmix64) for shuffles and subsampling. */
typedef struct vrng {
    uint64_t s;
} vrng;
uint64_t vrng_next(vrng *r);
/* Uniform integer in [0, n). */
size_t vrng_below(vrng *r, size_t n);

#endif
