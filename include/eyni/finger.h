/*
 * eyni/finger.h - fingerprint engine: feature extraction, quality, ISO/IEC 19794-2:2005 and
 * ANSI INCITS 378-2004 minutiae records, a Minutia Cylinder-Code matcher (1:1) and an
 * in-memory 1:N gallery.
 *
 * Coordinates: every template produced by eyni_finger_extract is at 500 ppi (the image is
 * resampled first), origin top-left, y down. Angles are radians in [0, 2*pi), measured
 * counter-clockwise from the x axis as ISO 19794-2 defines them (so the direction vector in
 * image coordinates is (cos a, -sin a)).
 *
 * Score scale: eyni_finger_compare returns a similarity in [0, 1]; it is symmetric
 * (compare(a, b) == compare(b, a)). The thresholds below were read from the impostor
 * distribution of `eyni bench finger` on FVC2002 DB1-3 B (docs/finger.md).
 *
 * All engines are reentrant: no global state; a gallery may be searched from several
 * threads at once (add/remove take a write lock).
 */
#ifndef EYNI_FINGER_H
#define EYNI_FINGER_H

#include <stdint.h>

#include "eyni/base.h"
#include "eyni/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_FINGER_MAX_MINUTIAE 255   /* the ISO/ANSI count field is one byte */
#define EYNI_FINGER_MAX_SINGULAR 8     /* cores + deltas kept per template */
#define EYNI_FINGER_MAX_RECORD   65536 /* bytes accepted for one ISO/ANSI record */
#define EYNI_FINGER_MAX_EXTENDED 4096  /* extended data bytes kept per finger view */
#define EYNI_FINGER_MAX_VIEWS    16    /* finger views accepted in one record */
#define EYNI_FINGER_MIN_PPI      250.0 /* images below this resolution are refused */
#define EYNI_FINGER_MAX_PPI      2000.0
#define EYNI_FINGER_DEFAULT_PPI  500.0

/* Calibrated thresholds on the [0,1] score: pooled impostor distribution of our own templates
 * on FVC2002 DB1-3 B (8,640 pairs; 1e-4 is the highest impostor score seen, so it is only an
 * estimate). See docs/finger.md. */
#define EYNI_FINGER_THRESHOLD_FMR_1E2 0.031
#define EYNI_FINGER_THRESHOLD_FMR_1E3 0.047
#define EYNI_FINGER_THRESHOLD_FMR_1E4 0.067

typedef enum eyni_finger_minutia_type {
    EYNI_FINGER_OTHER = 0,
    EYNI_FINGER_ENDING = 1,
    EYNI_FINGER_BIFURCATION = 2
} eyni_finger_minutia_type;

typedef struct eyni_finger_minutia {
    int x, y;     /* pixels at the template resolution */
    double angle; /* radians, ISO convention (see top of file) */
    int type;     /* eyni_finger_minutia_type */
    int quality;  /* reliability 0..100 (0 = not reported, as in the SecuGen records) */
} eyni_finger_minutia;

typedef struct eyni_finger_singular {
    int x, y;
    int type; /* 1 core, 2 delta */
} eyni_finger_singular;

/* A single-view minutiae template. Plain data: callers may read every field. */
typedef struct eyni_finger_template {
    int width, height;      /* image size in pixels */
    int res_x, res_y;       /* resolution in pixels per centimetre (197 = 500 ppi) */
    int position;           /* ISO finger position code 0..10 */
    int view;               /* view number 0..15 */
    int impression;         /* impression type 0..15 */
    int quality;            /* 0..100 */
    int capture_device;     /* 12-bit capture device type id */
    int certification;      /* 4-bit capture equipment certification flags */
    uint32_t cbeff_product; /* ANSI only: CBEFF product identifier (owner << 16 | type) */
    int n_minutiae;
    eyni_finger_minutia minutiae[EYNI_FINGER_MAX_MINUTIAE];
    int n_singular;
    eyni_finger_singular singular[EYNI_FINGER_MAX_SINGULAR];
    size_t extended_len; /* extended data block kept verbatim for round trips */
    unsigned char extended[EYNI_FINGER_MAX_EXTENDED];
} eyni_finger_template;

typedef struct eyni_finger_opts {
    double ppi;   /* used when the image states no resolution; 0 = EYNI_FINGER_DEFAULT_PPI */
    int position; /* ISO finger position code to record (0 = unknown) */
} eyni_finger_opts;

/* Measured quality features of one impression; score is 0..100. */
typedef struct eyni_finger_quality {
    int score;
    double foreground;  /* foreground fraction of the image */
    double coherence;   /* mean orientation certainty over the foreground */
    double clarity;     /* mean ridge/valley separation of the enhanced image, 0..1 */
    double freq_valid;  /* fraction of foreground blocks with a measurable ridge period */
    int minutiae;       /* minutiae kept */
    double reliability; /* mean minutia reliability 0..1 */
} eyni_finger_quality;

/*
 * Extracts a template from an 8-bit image (grey or RGB). The resolution comes from img->ppi,
 * else opts->ppi, else 500. On failure *out is untouched; EYNI_EQUALITY when no usable
 * fingerprint area is found. quality may be NULL. The template is malloc'd: free it with
 * eyni_finger_template_free.
 */
int eyni_finger_extract(const eyni_image *img, const eyni_finger_opts *opts,
                        eyni_finger_template **out, eyni_finger_quality *quality, eyni_error *err);
void eyni_finger_template_free(eyni_finger_template *t);

/* Record formats. */
typedef enum eyni_finger_format {
    EYNI_FINGER_ISO = 1, /* ISO/IEC 19794-2:2005 finger minutiae record */
    EYNI_FINGER_ANSI = 2 /* ANSI INCITS 378-2004 */
} eyni_finger_format;

/* Writes one record; *buf is malloc'd and owned by the caller. */
int eyni_finger_template_write(const eyni_finger_template *t, eyni_finger_format fmt,
                               unsigned char **buf, size_t *len, eyni_error *err);
/*
 * Reads a record (format told by its header: ISO and ANSI share "FMR\0 20\0" and differ in
 * the header layout, which the length fields disambiguate). Keeps the first finger view.
 * name is used in error messages (may be NULL).
 */
int eyni_finger_template_read(const unsigned char *buf, size_t len, const char *name,
                              eyni_finger_template **out, eyni_finger_format *fmt, eyni_error *err);

/* Symmetric similarity in [0,1]; templates of any resolution (rescaled to 500 ppi). */
double eyni_finger_compare(const eyni_finger_template *a, const eyni_finger_template *b);

/*
 * Precomputed matcher form of a template (binary Minutia Cylinder-Codes). Comparing two
 * prepared templates gives the same score as eyni_finger_compare, without rebuilding the
 * cylinders.
 */
typedef struct eyni_finger_mcc eyni_finger_mcc;
int eyni_finger_mcc_new(const eyni_finger_template *t, eyni_finger_mcc **out, eyni_error *err);
void eyni_finger_mcc_free(eyni_finger_mcc *m);
double eyni_finger_mcc_compare(const eyni_finger_mcc *a, const eyni_finger_mcc *b);

/*
 * Synthetic template for load tests and benchmarks (src/finger/synth.c): a finger of
 * nobody, with the minutia count, spread, resolution and position of `like` (a real
 * template), minutiae at least 1.5 ridge periods apart and oriented along a zero-pole
 * ridge-flow field. The same seed and model give the same template.
 */
int eyni_finger_synthesize(uint64_t seed, const eyni_finger_template *like,
                           eyni_finger_template **out, eyni_error *err);

/* 1:N gallery keyed by int64 id. Searches may run concurrently with each other. */
typedef struct eyni_finger_gallery eyni_finger_gallery;
typedef struct eyni_finger_hit {
    int64_t id;
    double score;
} eyni_finger_hit;

int eyni_finger_gallery_new(eyni_finger_gallery **out, eyni_error *err);
void eyni_finger_gallery_free(eyni_finger_gallery *g);
/* EYNI_EEXIST when id is present. */
int eyni_finger_gallery_add(eyni_finger_gallery *g, int64_t id, const eyni_finger_template *t,
                            eyni_error *err);
/* EYNI_ENOTFOUND when id is absent. */
int eyni_finger_gallery_remove(eyni_finger_gallery *g, int64_t id, eyni_error *err);
size_t eyni_finger_gallery_size(eyni_finger_gallery *g);
/*
 * Best k entries by score (descending) into hits[0..k-1]; *n_hits gets how many were
 * filled. threads <= 1 searches on the calling thread.
 */
int eyni_finger_gallery_search(eyni_finger_gallery *g, const eyni_finger_template *probe, int k,
                               int threads, eyni_finger_hit *hits, int *n_hits, eyni_error *err);

/*
 * Searches with a first stage (docs/finger.md, "First-stage filter"): every entry is first
 * compared with a reduced probe (its cylinders nearest the centre of its minutiae), and
 * only the best `keep` fraction of the gallery (at least k entries) gets the full
 * comparison, whose scores are those of eyni_finger_gallery_search. keep = 0 (or 1) is
 * the exact exhaustive search. A mate that the first stage ranks below the kept fraction
 * is missed: the fraction must be chosen from measurements (`eyni bench finger-1n`).
 */
typedef struct eyni_finger_search_opts {
    int threads; /* <= 1: the calling thread */
    double keep; /* 0..1; 0 = no first stage */
} eyni_finger_search_opts;
typedef struct eyni_finger_search_stats {
    size_t gallery;  /* entries searched */
    size_t compared; /* of them given the full comparison */
} eyni_finger_search_stats;
/* opts and stats may be NULL (exact search on one thread). EYNI_EINVAL for k outside
 * 1..1000 or keep outside 0..1. */
int eyni_finger_gallery_query(eyni_finger_gallery *g, const eyni_finger_template *probe, int k,
                              const eyni_finger_search_opts *opts, eyni_finger_hit *hits,
                              int *n_hits, eyni_finger_search_stats *stats, eyni_error *err);
/* The first-stage score of every entry (for measuring the filter): out gets (id, score) of
 * all *n entries; EYNI_EINVAL when cap is below the gallery size. */
int eyni_finger_gallery_prescore(eyni_finger_gallery *g, const eyni_finger_template *probe,
                                 int threads, eyni_finger_hit *out, size_t cap, size_t *n,
                                 eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
