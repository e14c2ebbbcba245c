/* Exact 1:N scan: int8 dot products (AVX2 or portable), threads, top K. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>

#include "gallery_int.h"

#define SCAN_BLOCK 1024 /* rows scored per kernel call: the scores stay in L1 */

void gallery_dot_portable(const int8_t *probe, const int8_t *rows, size_t stride, size_t n,
                          int32_t *out)
{
    for (size_t r = 0; r < n; r++) {
        const int8_t *row = rows + r * stride;
        int32_t acc = 0;
        for (size_t j = 0; j < stride; j++)
            acc += (int32_t)probe[j] * row[j];
        out[r] = acc;
    }
}

/* maddubs multiplies unsigned by signed bytes: |probe| times row with the probe's sign
 * moved onto the row. Values are in -127..127, so each 16-bit pair sum (at most
 * 2 * 127 * 127) cannot saturate. */
__attribute__((target("avx2"))) void gallery_dot_avx2(const int8_t *probe, const int8_t *rows,
                                                      size_t stride, size_t n, int32_t *out)
{
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i pa[EYNI_GALLERY_MAX_DIM / 32], ps[EYNI_GALLERY_MAX_DIM / 32];
    size_t blocks = stride / 32;
    for (size_t b = 0; b < blocks; b++) {
        ps[b] = _mm256_load_si256((const __m256i *)(probe + 32 * b));
        pa[b] = _mm256_abs_epi8(ps[b]);
    }
    for (size_t r = 0; r < n; r++) {
        const int8_t *row = rows + r * stride;
        __m256i acc = _mm256_setzero_si256();
        for (size_t b = 0; b < blocks; b++) {
            __m256i v = _mm256_load_si256((const __m256i *)(row + 32 * b));
            __m256i p16 = _mm256_maddubs_epi16(pa[b], _mm256_sign_epi8(v, ps[b]));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p16, ones));
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
        out[r] = _mm_cvtsi128_si32(s);
    }
}

int gallery_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

eyni_gallery_kernel eyni_gallery_kernel_resolve(eyni_gallery_kernel want)
{
    if (want == EYNI_GALLERY_PORTABLE)
        return EYNI_GALLERY_PORTABLE;
    return gallery_has_avx2() ? EYNI_GALLERY_AVX2 : EYNI_GALLERY_PORTABLE;
}

/* ---- top K: a min-heap on (score, -id) so the worst kept hit is at the root ---------- */

typedef gallery_topk topk;

/* a is worse than b: lower score, or equal score and larger id */
static int worse(const eyni_gallery_hit *a, const eyni_gallery_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->id > b->id);
}

static void sift_down(topk *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && worse(&t->h[l], &t->h[m]))
            m = l;
        if (r < t->n && worse(&t->h[r], &t->h[m]))
            m = r;
        if (m == i)
            return;
        eyni_gallery_hit tmp = t->h[i];
        t->h[i] = t->h[m];
        t->h[m] = tmp;
        i = m;
    }
}

void gallery_topk_push(topk *t, eyni_gallery_hit x)
{
    if (t->n < t->k) {
        size_t i = t->n++;
        t->h[i] = x;
        while (i > 0 && worse(&t->h[i], &t->h[(i - 1) / 2])) {
            eyni_gallery_hit tmp = t->h[i];
            t->h[i] = t->h[(i - 1) / 2];
            t->h[(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
    } else if (worse(&t->h[0], &x)) {
        t->h[0] = x;
        sift_down(t, 0);
    }
}

typedef struct scan_job {
    const eyni_gallery *g;
    const int8_t *probe;
    float pscale;
    size_t lo, hi;
    gallery_dot_fn dot;
    topk top;
} scan_job;

static void *scan_range(void *arg)
{
    scan_job *j = arg;
    int32_t dots[SCAN_BLOCK];
    const eyni_gallery *g = j->g;
    for (size_t r0 = j->lo; r0 < j->hi; r0 += SCAN_BLOCK) {
        size_t m = j->hi - r0 < SCAN_BLOCK ? j->hi - r0 : SCAN_BLOCK;
        j->dot(j->probe, g->rows + r0 * g->stride, g->stride, m, dots);
        for (size_t i = 0; i < m; i++) {
            float s = (float)dots[i] * j->pscale * g->scales[r0 + i];
            if (j->top.n < j->top.k || s >= j->top.h[0].score)
                gallery_topk_push(&j->top, (eyni_gallery_hit){g->ids[r0 + i], s});
        }
    }
    return NULL;
}

static int by_rank(const void *a, const void *b)
{
    const eyni_gallery_hit *x = a, *y = b;
    return worse(x, y) - worse(y, x);
}

void gallery_hits_sort(eyni_gallery_hit *hits, size_t n)
{
    qsort(hits, n, sizeof *hits, by_rank);
}

gallery_dot_fn gallery_kernel(eyni_gallery_kernel want)
{
    return eyni_gallery_kernel_resolve(want) == EYNI_GALLERY_AVX2 ? gallery_dot_avx2
                                                                  : gallery_dot_portable;
}

int eyni_gallery_search(const eyni_gallery *g, const float *probe, size_t k,
                        const eyni_gallery_search_opts *opts, eyni_gallery_hit *hits, size_t *n,
                        eyni_error *err)
{
    int threads = opts && opts->threads > 0 ? opts->threads : 1;
    eyni_gallery_kernel kern = eyni_gallery_kernel_resolve(opts ? opts->kernel : EYNI_GALLERY_AUTO);
    if (k < 1 || k > EYNI_GALLERY_MAX_K || threads > EYNI_GALLERY_MAX_THREADS)
        return eyni_error_set(err, EYNI_EINVAL, "gallery: k in 1..%d, threads in 1..%d",
                              EYNI_GALLERY_MAX_K, EYNI_GALLERY_MAX_THREADS);
    for (int i = 0; i < g->dim; i++)
        if (!isfinite(probe[i]))
            return eyni_error_set(err, EYNI_EINVAL, "gallery: probe has a non-finite value");
    if ((size_t)threads > g->n / SCAN_BLOCK + 1)
        threads = (int)(g->n / SCAN_BLOCK + 1);
    int rc = 0;
    _Alignas(32) int8_t q[EYNI_GALLERY_MAX_DIM] = {0};
    float ps;
    gallery_quantize(probe, g->dim, q, &ps);
    scan_job jobs[EYNI_GALLERY_MAX_THREADS];
    pthread_t tid[EYNI_GALLERY_MAX_THREADS];
    int started[EYNI_GALLERY_MAX_THREADS] = {0};
    eyni_gallery_hit *heap = malloc((size_t)threads * k * sizeof *heap);
    if (!heap)
        return eyni_error_set(err, EYNI_ENOMEM, "gallery: out of memory");
    for (int t = 0; t < threads; t++) {
        jobs[t] = (scan_job){g,
                             q,
                             ps,
                             g->n * t / threads,
                             g->n * (t + 1) / threads,
                             kern == EYNI_GALLERY_AVX2 ? gallery_dot_avx2 : gallery_dot_portable,
                             {heap + (size_t)t * k, 0, k}};
        if (t > 0) {
            started[t] = pthread_create(&tid[t], NULL, scan_range, &jobs[t]) == 0;
            if (!started[t])
                scan_range(&jobs[t]); /* no thread: do the share here */
        }
    }
    scan_range(&jobs[0]);
    for (int t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    topk all = {hits, 0, k};
    for (int t = 0; t < threads; t++)
        for (size_t i = 0; i < jobs[t].top.n; i++)
            gallery_topk_push(&all, jobs[t].top.h[i]);
    qsort(hits, all.n, sizeof *hits, by_rank);
    *n = all.n;
    free(heap);
    return rc;
}
