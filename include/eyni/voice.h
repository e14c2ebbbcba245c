/*
 * eyni/voice.h - speaker recognition: audio in, voice activity, MFCC features, a GMM
 * universal background model with MAP-adapted speaker references, verification (1:1) and
 * identification (1:N).
 *
 * Flow: eyni_voice_audio_read() decodes and checks a WAV/FLAC file; eyni_voice_train()
 * builds a model (front-end settings, UBM, calibrated thresholds) from a labelled set of
 * recordings; eyni_voice_enrol() turns one or more recordings of a person into a speaker
 * reference (a versioned binary blob that a register can store); eyni_voice_probe_new()
 * extracts a probe once, which eyni_voice_score() compares with any number of references.
 *
 * Every object is immutable after creation and may be shared between threads.
 */
#ifndef EYNI_VOICE_H
#define EYNI_VOICE_H

#include <stddef.h>
#include <stdint.h>

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_VOICE_RATE           8000               /* working sample rate, Hz */
#define EYNI_VOICE_MAX_FILE       (64 * 1024 * 1024) /* bytes of one audio file */
#define EYNI_VOICE_MAX_SECONDS    600.0              /* longest recording accepted */
#define EYNI_VOICE_MIN_SECONDS    0.12               /* shortest recording accepted */
#define EYNI_VOICE_MIN_SPEECH     0.08               /* seconds of speech needed */
#define EYNI_VOICE_MAX_MODEL      (256 * 1024 * 1024)
#define EYNI_VOICE_MAX_REF        (16 * 1024 * 1024)
#define EYNI_VOICE_MAX_COMPONENTS 4096
#define EYNI_VOICE_MAX_DIM        256
#define EYNI_VOICE_MAX_ENROL      1000 /* recordings in one enrolment */
#define EYNI_VOICE_MAX_NAP        256  /* nuisance directions removed by the back-end */

/* How a probe is compared with a reference. */
enum {
    EYNI_VOICE_SCORE_LLR = 0, /* average frame log-likelihood ratio, top-C (GMM-UBM) */
    EYNI_VOICE_SCORE_SV = 1,  /* cosine of NAP-projected GMM mean supervectors */
    EYNI_VOICE_SCORE_IVEC = 2 /* cosine of NAP-projected i-vectors */
};
#define EYNI_VOICE_MAX_COHORT 4000 /* background embeddings kept for score normalisation */
#define EYNI_VOICE_MAX_IVEC   1000 /* i-vector dimension */

/* Why a recording was refused; carried next to the eyni_error of the audio reader. */
typedef enum eyni_voice_reason {
    EYNI_VOICE_REASON_NONE = 0,
    EYNI_VOICE_REASON_NOT_AUDIO, /* not a WAV/FLAC stream libsndfile can open (EFORMAT) */
    EYNI_VOICE_REASON_TRUNCATED, /* header promises more samples than present (EFORMAT) */
    EYNI_VOICE_REASON_TOO_SHORT, /* under EYNI_VOICE_MIN_SECONDS, or too little speech */
    EYNI_VOICE_REASON_TOO_LONG,  /* over EYNI_VOICE_MAX_SECONDS (ELIMIT) */
    EYNI_VOICE_REASON_CLIPPED,   /* samples stuck at the converter's limit (EQUALITY) */
    EYNI_VOICE_REASON_SILENCE    /* no speech found (EQUALITY) */
} eyni_voice_reason;

/* Stable lower-case name: "not_audio", "truncated", "too_short", "too_long", "clipped",
 * "silence", or "none". Error messages of the audio reader contain this name. */
const char *eyni_voice_reason_name(eyni_voice_reason r);

/* ---- voice activity ---------------------------------------------------------------- */

/* The built-in detector is energy and spectral flatness (no model). silero-vad (an ONNX
 * model fetched by scripts/fetch-artifacts.sh, pinned by this SHA-256) can replace it. */
#define EYNI_VOICE_SILERO_FILE   "silero_vad.onnx"
#define EYNI_VOICE_SILERO_SHA256 "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"

struct eyni_onnx_env;
typedef struct eyni_voice_vad eyni_voice_vad;

/* Opens silero-vad from path (NULL: EYNI_VOICE_SILERO_FILE in the ONNX model directory).
 * The detector is immutable and may be shared between threads. */
int eyni_voice_vad_open(struct eyni_onnx_env *env, const char *path, eyni_voice_vad **out,
                        eyni_error *err);
void eyni_voice_vad_free(eyni_voice_vad *v);

/* ---- audio ------------------------------------------------------------------------- */

typedef struct eyni_voice_audio eyni_voice_audio;

/*
 * Decodes WAV or FLAC bytes (libsndfile, any common rate), mixes to mono, resamples to
 * EYNI_VOICE_RATE, checks for truncation, clipping, too short and silence-only input, and
 * normalises the speech loudness. name labels error messages. On failure *why (may be
 * NULL) tells the reason and *out is untouched.
 */
int eyni_voice_audio_decode(const void *buf, size_t len, const char *name, eyni_voice_audio **out,
                            eyni_voice_reason *why, eyni_error *err);
int eyni_voice_audio_read(const char *path, eyni_voice_audio **out, eyni_voice_reason *why,
                          eyni_error *err);
/* The same with silero-vad deciding which frames are speech (vad NULL: the built-in
 * detector). A model must be used with the detector it was trained with. */
int eyni_voice_audio_decode_vad(const void *buf, size_t len, const char *name,
                                const eyni_voice_vad *vad, eyni_voice_audio **out,
                                eyni_voice_reason *why, eyni_error *err);
int eyni_voice_audio_read_vad(const char *path, const eyni_voice_vad *vad, eyni_voice_audio **out,
                              eyni_voice_reason *why, eyni_error *err);
void eyni_voice_audio_free(eyni_voice_audio *a);
/* Duration of the recording and of its detected speech, in seconds. */
double eyni_voice_audio_seconds(const eyni_voice_audio *a);
double eyni_voice_audio_speech_seconds(const eyni_voice_audio *a);
/* The normalised samples at EYNI_VOICE_RATE (valid while a lives). */
const float *eyni_voice_audio_samples(const eyni_voice_audio *a, size_t *n);

/* ---- model ------------------------------------------------------------------------- */

typedef struct eyni_voice_model eyni_voice_model;

typedef struct eyni_voice_train_opts {
    int components;    /* Gaussians in the UBM (power of two; default 16) */
    int iterations;    /* EM iterations after each split (default 6) */
    int final_iters;   /* EM iterations at the final size (default 12) */
    double relevance;  /* MAP relevance factor (default 16) */
    int top_c;         /* Gaussians scored per frame (default 5; at most components) */
    double target_fmr; /* default operating point for verify (default 0.01) */
    uint64_t seed;     /* frame subsampling and calibration split (default 1) */
    size_t max_frames; /* cap on UBM training frames, subsampled by seed (default 400000) */
    int n_ceps;        /* cepstra per frame including c0 (default 20) */
    int deltas;        /* 0 statics, 1 + deltas, 2 + double deltas (default 2) */
    int cmvn;          /* 0 none, 1 mean, 2 mean and variance per recording (default 0) */
    int scoring;       /* EYNI_VOICE_SCORE_* (default SV) */
    int nap_rank;      /* nuisance directions projected out (default 20) */
    int ivec_dim;      /* i-vector dimension for EYNI_VOICE_SCORE_IVEC (default 100) */
    int cohort;        /* background recordings kept for s-norm (default 500; 0 = raw) */
    int ivec_iters;    /* EM iterations of the i-vector extractor (default 10) */
    eyni_log *log;     /* progress (may be NULL) */
} eyni_voice_train_opts;

void eyni_voice_train_opts_default(eyni_voice_train_opts *o);

/*
 * Trains a model on n recordings with speaker labels (any integers; at least two speakers
 * are needed to calibrate thresholds). Half of each speaker's recordings (chosen by the
 * seed) enrol calibration references and the other half score against them; the impostor
 * scores set the thresholds stored in the model. Deterministic for a given input and seed.
 */
int eyni_voice_train(const eyni_voice_audio *const *audio, const int *speaker, size_t n,
                     const eyni_voice_train_opts *opts, eyni_voice_model **out, eyni_error *err);
void eyni_voice_model_free(eyni_voice_model *m);

/* Versioned binary model file. save returns malloc'ed bytes. */
int eyni_voice_model_save(const eyni_voice_model *m, unsigned char **buf, size_t *len,
                          eyni_error *err);
int eyni_voice_model_load(const void *buf, size_t len, const char *name, eyni_voice_model **out,
                          eyni_error *err);
int eyni_voice_model_read(const char *path, eyni_voice_model **out, eyni_error *err);
int eyni_voice_model_write(const eyni_voice_model *m, const char *path, eyni_error *err);

/* Score threshold for a false-match rate, interpolated from the calibration impostor
 * scores (clamped to the calibrated range). */
double eyni_voice_model_threshold(const eyni_voice_model *m, double fmr);
/* False-match rate of a score: the share of calibration impostor scores at or above it,
 * interpolated between the stored quantiles down to FMR 1e-3. Above the 1e-3 quantile the
 * table has no resolution; log10 of the rate then continues with the slope it has between
 * the 1e-2 and 1e-3 quantiles (an extrapolation: callers should floor it). Never above 1,
 * never 0 unless the model has no calibration. */
double eyni_voice_model_score_fmr(const eyni_voice_model *m, double score);
/* Calibration facts: default FMR, UBM size, feature dimension, calibration trials. */
typedef struct eyni_voice_model_info {
    int components, dim, top_c, scoring, nap_rank, ivec_dim, cohort;
    double relevance, target_fmr;
    size_t calib_genuine, calib_impostor;
    double calib_eer;
    unsigned char id[32]; /* SHA-256 of the model bytes: references name their model */
} eyni_voice_model_info;
void eyni_voice_model_get_info(const eyni_voice_model *m, eyni_voice_model_info *info);

/* ---- speaker references ------------------------------------------------------------ */

typedef struct eyni_voice_ref eyni_voice_ref;

/* Enrols a speaker from n recordings (MAP adaptation of the UBM means). */
int eyni_voice_enrol(const eyni_voice_model *m, const eyni_voice_audio *const *audio, size_t n,
                     eyni_voice_ref **out, eyni_error *err);
void eyni_voice_ref_free(eyni_voice_ref *r);
/* Adds more recordings to an existing reference (statistics accumulate). */
int eyni_voice_ref_update(const eyni_voice_model *m, eyni_voice_ref *r,
                          const eyni_voice_audio *const *audio, size_t n, eyni_error *err);
/* Pools the statistics of src into dst (both of model m): the reference then stands for
 * the recordings of both. On failure dst is unchanged. */
int eyni_voice_ref_merge(const eyni_voice_model *m, eyni_voice_ref *dst, const eyni_voice_ref *src,
                         eyni_error *err);
/* Versioned binary reference blob bound to its model's id. */
int eyni_voice_ref_save(const eyni_voice_ref *r, unsigned char **buf, size_t *len, eyni_error *err);
int eyni_voice_ref_load(const eyni_voice_model *m, const void *buf, size_t len, const char *name,
                        eyni_voice_ref **out, eyni_error *err);
/* Recordings and seconds of speech behind a reference. */
void eyni_voice_ref_get_counts(const eyni_voice_ref *r, size_t *recordings, double *seconds);

/* ---- probes and scores ------------------------------------------------------------- */

typedef struct eyni_voice_probe eyni_voice_probe;

int eyni_voice_probe_new(const eyni_voice_model *m, const eyni_voice_audio *a,
                         eyni_voice_probe **out, eyni_error *err);
/* One probe from the speech of n recordings of the same speaker taken together (several
 * short utterances say more about a voice than the best of them alone). */
int eyni_voice_probe_pool(const eyni_voice_model *m, const eyni_voice_audio *const *audio, size_t n,
                          eyni_voice_probe **out, eyni_error *err);
void eyni_voice_probe_free(eyni_voice_probe *p);

/* Similarity of a probe to a reference by the model's scoring (EYNI_VOICE_SCORE_*): the
 * average per-frame log-likelihood ratio against the UBM (top-C approximation), or the
 * cosine of NAP-projected supervectors. Larger means more alike. */
int eyni_voice_score(const eyni_voice_model *m, const eyni_voice_ref *r, const eyni_voice_probe *p,
                     double *score, eyni_error *err);

/* 1:1 decision at the false-match rate fmr (<= 0 takes the model's default). */
int eyni_voice_verify(const eyni_voice_model *m, const eyni_voice_ref *r, const eyni_voice_probe *p,
                      double fmr, int *match, double *score, eyni_error *err);

typedef struct eyni_voice_candidate {
    size_t index; /* position in the refs array */
    double score;
    int match; /* score at or above the threshold */
} eyni_voice_candidate;

/* 1:N: scores the probe against n references and writes the best max_out candidates in
 * descending score order into out; *n_out tells how many were written. */
int eyni_voice_identify(const eyni_voice_model *m, const eyni_voice_ref *const *refs, size_t n,
                        const eyni_voice_probe *p, double fmr, eyni_voice_candidate *out,
                        size_t max_out, size_t *n_out, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
