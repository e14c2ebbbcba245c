/*
 * eyni/gallery.h - 1:N search over int8 embeddings.
 *
 * A gallery holds one int8 vector (dim bytes, padded to 32) plus a float scale and a
 * 64-bit id per enrolled person: dim + 4 + 8 bytes of vector store and about 16 bytes of id
 * index, i.e. 548 bytes per person for 512-D face embeddings (eyni_gallery_bytes_per_person
 * gives the exact figure). Search is an exact scan: the int8 dot product runs with AVX2
 * when the CPU has it (chosen at run time) and a portable loop otherwise, split over
 * threads, keeping the top K.
 *
 * Thread safety: searches may run concurrently with each other; add/update/remove need
 * exclusive access (the caller holds a write lock; the identity service does).
 */
#ifndef EYNI_GALLERY_H
#define EYNI_GALLERY_H

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_GALLERY_MAX_DIM     4096
#define EYNI_GALLERY_MAX_SIZE    (64u * 1000 * 1000) /* persons */
#define EYNI_GALLERY_MAX_K       1000
#define EYNI_GALLERY_MAX_THREADS 64

typedef struct eyni_gallery eyni_gallery;

typedef struct eyni_gallery_hit {
    int64_t id;
    float score; /* cosine of the stored vectors, as dequantised */
} eyni_gallery_hit;

typedef enum eyni_gallery_kernel {
    EYNI_GALLERY_AUTO = 0,     /* AVX2 when the CPU has it */
    EYNI_GALLERY_PORTABLE = 1, /* plain C */
    EYNI_GALLERY_AVX2 = 2
} eyni_gallery_kernel;

int eyni_gallery_new(int dim, eyni_gallery **out, eyni_error *err);
void eyni_gallery_free(eyni_gallery *g);
/* Reserves room for n persons (optional; avoids regrowth while bulk loading). */
int eyni_gallery_reserve(eyni_gallery *g, size_t n, eyni_error *err);

/* Adds a unit float vector under id; EEXIST when the id is present. */
int eyni_gallery_add(eyni_gallery *g, int64_t id, const float *vec, eyni_error *err);
/* Adds an already quantised vector (q[i] * scale is the value); EEXIST when present. */
int eyni_gallery_add_int8(eyni_gallery *g, int64_t id, const int8_t *q, float scale,
                          eyni_error *err);
/* Replaces the vector of id; ENOTFOUND when absent. */
int eyni_gallery_update(eyni_gallery *g, int64_t id, const float *vec, eyni_error *err);
/* Removes id; ENOTFOUND when absent. */
int eyni_gallery_remove(eyni_gallery *g, int64_t id, eyni_error *err);
int eyni_gallery_contains(const eyni_gallery *g, int64_t id);

size_t eyni_gallery_size(const eyni_gallery *g);
int eyni_gallery_dim(const eyni_gallery *g);
size_t eyni_gallery_bytes_per_person(const eyni_gallery *g);

/* The kernel a search with `want` would use (AUTO resolves to AVX2 or PORTABLE). */
eyni_gallery_kernel eyni_gallery_kernel_resolve(eyni_gallery_kernel want);

typedef struct eyni_gallery_search_opts {
    int threads;                /* 0 = 1 */
    eyni_gallery_kernel kernel; /* AUTO by default */
} eyni_gallery_search_opts;

/*
 * The k best persons for a unit float probe, best first (*n <= k set; ties broken by the
 * smaller id). opts may be NULL.
 */
int eyni_gallery_search(const eyni_gallery *g, const float *probe, size_t k,
                        const eyni_gallery_search_opts *opts, eyni_gallery_hit *hits, size_t *n,
                        eyni_error *err);

/* ---- inverted-file index (IVF) --------------------------------------------------------
 *
 * Debian's libfaiss-dev ships the FAISS C API headers but no C library (libfaiss_c), so
 * the IVF is our own: spherical k-means centroids over a sample of the gallery, every
 * person filed under the nearest centroid, and a search that scans only the nprobe lists
 * nearest the probe. The candidates are scored exactly on their full int8 vectors, so the
 * index only prunes; it never changes a score. An index describes the gallery as it was
 * when built: after any add/update/remove a search on it is ECONFLICT until rebuilt.
 */
typedef struct eyni_gallery_ivf eyni_gallery_ivf;

typedef struct eyni_gallery_ivf_opts {
    int nlist;      /* lists; 0 = about 4 * sqrt(size), a power of two in 16..4096 */
    int iterations; /* k-means rounds; 0 = 8 */
    int threads;    /* 0 = 1 */
} eyni_gallery_ivf_opts;

#define EYNI_GALLERY_IVF_MAX_LISTS 65536

int eyni_gallery_ivf_build(const eyni_gallery *g, const eyni_gallery_ivf_opts *opts,
                           eyni_gallery_ivf **out, eyni_error *err);
void eyni_gallery_ivf_free(eyni_gallery_ivf *ix);
int eyni_gallery_ivf_nlist(const eyni_gallery_ivf *ix);
/* Like eyni_gallery_search over the nprobe nearest lists only. */
int eyni_gallery_ivf_search(const eyni_gallery_ivf *ix, const eyni_gallery *g, const float *probe,
                            size_t k, int nprobe, const eyni_gallery_search_opts *opts,
                            eyni_gallery_hit *hits, size_t *n, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
