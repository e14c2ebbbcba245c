/* Module-private declarations of the gallery. */
#ifndef EYNI_GALLERY_INT_H
#define EYNI_GALLERY_INT_H

#include "eyni/gallery.h"

#define GALLERY_ALIGN 32

struct eyni_gallery {
    int dim;
    size_t stride; /* bytes per row, dim rounded up to GALLERY_ALIGN */
    size_t n, cap; /* rows used / allocated */
    int8_t *rows;  /* cap * stride, 32-byte aligned */
    float *scales; /* cap */
    int64_t *ids;  /* cap */
    /* id -> row: open addressing, linear probing, backward-shift deletion */
    int64_t *slot_id;
    uint32_t *slot_row;  /* UINT32_MAX = empty */
    size_t slots;        /* power of two */
    uint64_t generation; /* bumped by every change, so an IVF index knows it is stale */
};

/* int8 dot products of one probe with rows [0, n): out[i] = sum q[j] * row_i[j]. */
typedef void (*gallery_dot_fn)(const int8_t *probe, const int8_t *rows, size_t stride, size_t n,
                               int32_t *out);
void gallery_dot_portable(const int8_t *probe, const int8_t *rows, size_t stride, size_t n,
                          int32_t *out);
void gallery_dot_avx2(const int8_t *probe, const int8_t *rows, size_t stride, size_t n,
                      int32_t *out);
int gallery_has_avx2(void);

/* Quantises a float vector to int8 with a per-vector scale (dim values, stride padded). */
void gallery_quantize(const float *v, int dim, int8_t *q, float *scale);

/* Top-K collection shared by the exact scan and the IVF. */
typedef struct gallery_topk {
    eyni_gallery_hit *h;
    size_t n, k;
} gallery_topk;
void gallery_topk_push(gallery_topk *t, eyni_gallery_hit x);
/* Sorts hits best first (score, then smaller id). */
void gallery_hits_sort(eyni_gallery_hit *hits, size_t n);
gallery_dot_fn gallery_kernel(eyni_gallery_kernel want);

#endif
