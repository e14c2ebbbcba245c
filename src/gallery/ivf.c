/* Our own inverted-file index: k-means lists over the int8 gallery, exact scoring. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gallery_int.h"

#define IVF_SAMPLE_PER_LIST 32 /* k-means trains on at most this many rows per list */

struct eyni_gallery_ivf {
    int nlist;
    size_t stride, n;
    int8_t *cent;    /* nlist * stride, unit centroids quantised like rows */
    float *cscale;   /* nlist */
    uint32_t *start; /* nlist + 1: list l holds rows[start[l] .. start[l + 1]) */
    uint32_t *rows;  /* n gallery rows, grouped by list */
    uint64_t generation;
};

static int default_nlist(size_t n)
{
    double want = 4 * sqrt((double)n);
    int p = 16;
    while (p < 4096 && p * 2 <= want)
        p *= 2;
    return p;
}

/* Index of the centroid nearest to one int8 row (highest cosine). */
static uint32_t nearest(const eyni_gallery_ivf *ix, gallery_dot_fn dot, const int8_t *row,
                        int32_t *buf)
{
    dot(row, ix->cent, ix->stride, (size_t)ix->nlist, buf);
    uint32_t best = 0;
    float bs = -INFINITY;
    for (int c = 0; c < ix->nlist; c++) {
        float s = (float)buf[c] * ix->cscale[c];
        if (s > bs) {
            bs = s;
            best = (uint32_t)c;
        }
    }
    return best;
}

typedef struct assign_job {
    const eyni_gallery_ivf *ix;
    const eyni_gallery *g;
    const size_t *sel; /* rows to assign (NULL: all rows lo..hi) */
    size_t lo, hi;
    uint32_t *out;
    gallery_dot_fn dot;
    int32_t *buf;
} assign_job;

static void *assign_range(void *arg)
{
    assign_job *j = arg;
    for (size_t i = j->lo; i < j->hi; i++) {
        size_t r = j->sel ? j->sel[i] : i;
        j->out[i] = nearest(j->ix, j->dot, j->g->rows + r * j->g->stride, j->buf);
    }
    return NULL;
}

/* Assigns rows (sel[0..m) or all m rows) to lists over `threads` threads. */
static int assign(const eyni_gallery_ivf *ix, const eyni_gallery *g, const size_t *sel, size_t m,
                  int threads, uint32_t *out, eyni_error *err)
{
    assign_job jobs[EYNI_GALLERY_MAX_THREADS];
    pthread_t tid[EYNI_GALLERY_MAX_THREADS];
    int started[EYNI_GALLERY_MAX_THREADS] = {0}, rc = 0;
    int32_t *bufs = malloc((size_t)threads * (size_t)ix->nlist * sizeof *bufs);
    if (!bufs)
        return eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory");
    for (int t = 0; t < threads; t++) {
        jobs[t] = (assign_job){ix,
                               g,
                               sel,
                               m * t / threads,
                               m * (t + 1) / threads,
                               out,
                               gallery_kernel(EYNI_GALLERY_AUTO),
                               bufs + (size_t)t * ix->nlist};
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, assign_range, &jobs[t]) == 0;
        if (t > 0 && !started[t])
            assign_range(&jobs[t]);
    }
    assign_range(&jobs[0]);
    for (int t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    free(bufs);
    return rc;
}

static void set_centroid(eyni_gallery_ivf *ix, int c, const double *sum, int dim)
{
    float v[EYNI_GALLERY_MAX_DIM];
    double ss = 0;
    for (int i = 0; i < dim; i++)
        ss += sum[i] * sum[i];
    if (ss <= 0)
        return; /* an empty list keeps its old centroid */
    for (int i = 0; i < dim; i++)
        v[i] = (float)(sum[i] / sqrt(ss));
    gallery_quantize(v, dim, ix->cent + (size_t)c * ix->stride, &ix->cscale[c]);
}

/* Spherical k-means on a sample: centroids are the normalised means of their members. */
static int train(eyni_gallery_ivf *ix, const eyni_gallery *g, int iterations, int threads,
                 eyni_error *err)
{
    size_t m = (size_t)ix->nlist * IVF_SAMPLE_PER_LIST;
    m = m < g->n ? m : g->n;
    size_t *sel = malloc(m * sizeof *sel);
    uint32_t *lab = malloc(m * sizeof *lab);
    double *sums = calloc((size_t)ix->nlist * (size_t)g->dim, sizeof *sums);
    int rc = 0;
    if (!sel || !lab || !sums) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory for k-means");
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        sel[i] = i * g->n / m; /* evenly spread, deterministic */
    for (int c = 0; c < ix->nlist; c++) {
        memcpy(ix->cent + (size_t)c * ix->stride,
               g->rows + sel[(size_t)c * m / ix->nlist] * g->stride, g->stride);
        ix->cscale[c] = g->scales[sel[(size_t)c * m / ix->nlist]];
    }
    for (int it = 0; it < iterations && rc == 0; it++) {
        if ((rc = assign(ix, g, sel, m, threads, lab, err)))
            break;
        memset(sums, 0, (size_t)ix->nlist * (size_t)g->dim * sizeof *sums);
        for (size_t i = 0; i < m; i++) {
            const int8_t *row = g->rows + sel[i] * g->stride;
            double *s = sums + (size_t)lab[i] * g->dim, sc = g->scales[sel[i]];
            for (int d = 0; d < g->dim; d++)
                s[d] += row[d] * sc;
        }
        for (int c = 0; c < ix->nlist; c++)
            set_centroid(ix, c, sums + (size_t)c * g->dim, g->dim);
    }
done:
    free(sel);
    free(lab);
    free(sums);
    return rc;
}

/* Files every row under its nearest centroid (counting sort into one array). */
static int file_rows(eyni_gallery_ivf *ix, const eyni_gallery *g, int threads, eyni_error *err)
{
    uint32_t *lab = malloc(g->n * sizeof *lab);
    if (!lab)
        return eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory");
    int rc = assign(ix, g, NULL, g->n, threads, lab, err);
    if (rc == 0) {
        memset(ix->start, 0, ((size_t)ix->nlist + 1) * sizeof *ix->start);
        for (size_t r = 0; r < g->n; r++)
            ix->start[lab[r] + 1]++;
        for (int c = 0; c < ix->nlist; c++)
            ix->start[c + 1] += ix->start[c];
        uint32_t *fill = malloc((size_t)ix->nlist * sizeof *fill);
        if (!fill) {
            free(lab);
            return eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory");
        }
        memcpy(fill, ix->start, (size_t)ix->nlist * sizeof *fill);
        for (size_t r = 0; r < g->n; r++)
            ix->rows[fill[lab[r]]++] = (uint32_t)r;
        free(fill);
    }
    free(lab);
    return rc;
}

int eyni_gallery_ivf_build(const eyni_gallery *g, const eyni_gallery_ivf_opts *opts,
                           eyni_gallery_ivf **out, eyni_error *err)
{
    int nlist = opts && opts->nlist > 0 ? opts->nlist : default_nlist(g->n);
    int iterations = opts && opts->iterations > 0 ? opts->iterations : 8;
    int threads = opts && opts->threads > 0 ? opts->threads : 1;
    if (nlist > EYNI_GALLERY_IVF_MAX_LISTS || threads > EYNI_GALLERY_MAX_THREADS)
        return eyni_error_set(err, EYNI_EINVAL, "gallery ivf: at most %d lists and %d threads",
                              EYNI_GALLERY_IVF_MAX_LISTS, EYNI_GALLERY_MAX_THREADS);
    if (g->n < (size_t)nlist)
        return eyni_error_set(err, EYNI_EINVAL,
                              "gallery ivf: %zu persons cannot fill %d lists; search exactly", g->n,
                              nlist);
    eyni_gallery_ivf *ix = calloc(1, sizeof *ix);
    int rc = 0;
    if (!ix)
        return eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory");
    ix->nlist = nlist;
    ix->stride = g->stride;
    ix->n = g->n;
    ix->generation = g->generation;
    ix->cent = aligned_alloc(GALLERY_ALIGN, (size_t)nlist * g->stride);
    ix->cscale = malloc((size_t)nlist * sizeof *ix->cscale);
    ix->start = malloc(((size_t)nlist + 1) * sizeof *ix->start);
    ix->rows = malloc(g->n * sizeof *ix->rows);
    if (!ix->cent || !ix->cscale || !ix->start || !ix->rows)
        rc = eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory");
    if (rc == 0)
        rc = train(ix, g, iterations, threads, err);
    if (rc == 0)
        rc = file_rows(ix, g, threads, err);
    if (rc) {
        eyni_gallery_ivf_free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

void eyni_gallery_ivf_free(eyni_gallery_ivf *ix)
{
    if (!ix)
        return;
    free(ix->cent);
    free(ix->cscale);
    free(ix->start);
    free(ix->rows);
    free(ix);
}

int eyni_gallery_ivf_nlist(const eyni_gallery_ivf *ix)
{
    return ix->nlist;
}

typedef struct probe_job {
    const eyni_gallery_ivf *ix;
    const eyni_gallery *g;
    const int8_t *q;
    float ps;
    const eyni_gallery_hit *lists; /* chosen lists (id = list index) */
    size_t lo, hi;
    gallery_dot_fn dot;
    gallery_topk top;
} probe_job;

static void *probe_lists(void *arg)
{
    probe_job *j = arg;
    const eyni_gallery *g = j->g;
    for (size_t l = j->lo; l < j->hi; l++) {
        uint32_t c = (uint32_t)j->lists[l].id;
        for (uint32_t i = j->ix->start[c]; i < j->ix->start[c + 1]; i++) {
            uint32_t r = j->ix->rows[i];
            int32_t d;
            j->dot(j->q, g->rows + (size_t)r * g->stride, g->stride, 1, &d);
            float s = (float)d * j->ps * g->scales[r];
            if (j->top.n < j->top.k || s >= j->top.h[0].score)
                gallery_topk_push(&j->top, (eyni_gallery_hit){g->ids[r], s});
        }
    }
    return NULL;
}

/* The nprobe lists whose centroids are nearest the probe. */
static void choose_lists(const eyni_gallery_ivf *ix, const int8_t *q, int nprobe,
                         gallery_dot_fn dot, int32_t *buf, eyni_gallery_hit *lists, size_t *nl)
{
    gallery_topk t = {lists, 0, (size_t)nprobe};
    dot(q, ix->cent, ix->stride, (size_t)ix->nlist, buf);
    for (int c = 0; c < ix->nlist; c++)
        gallery_topk_push(&t, (eyni_gallery_hit){c, (float)buf[c] * ix->cscale[c]});
    *nl = t.n;
}

int eyni_gallery_ivf_search(const eyni_gallery_ivf *ix, const eyni_gallery *g, const float *probe,
                            size_t k, int nprobe, const eyni_gallery_search_opts *opts,
                            eyni_gallery_hit *hits, size_t *n, eyni_error *err)
{
    int threads = opts && opts->threads > 0 ? opts->threads : 1;
    if (ix->generation != g->generation || ix->n != g->n || ix->stride != g->stride)
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "gallery ivf: the gallery changed since the index was built");
    if (k < 1 || k > EYNI_GALLERY_MAX_K || nprobe < 1 || threads > EYNI_GALLERY_MAX_THREADS)
        return eyni_error_set(err, EYNI_EINVAL, "gallery ivf: k in 1..%d, nprobe >= 1",
                              EYNI_GALLERY_MAX_K);
    for (int i = 0; i < g->dim; i++)
        if (!isfinite(probe[i]))
            return eyni_error_set(err, EYNI_EINVAL, "gallery ivf: probe has a non-finite value");
    nprobe = nprobe < ix->nlist ? nprobe : ix->nlist;
    threads = threads < nprobe ? threads : nprobe;
    gallery_dot_fn dot = gallery_kernel(opts ? opts->kernel : EYNI_GALLERY_AUTO);
    _Alignas(32) int8_t q[EYNI_GALLERY_MAX_DIM] = {0};
    float ps;
    gallery_quantize(probe, g->dim, q, &ps);
    int32_t *buf = malloc((size_t)ix->nlist * sizeof *buf);
    eyni_gallery_hit *lists = malloc((size_t)nprobe * sizeof *lists);
    eyni_gallery_hit *heap = malloc((size_t)threads * k * sizeof *heap);
    if (!buf || !lists || !heap) {
        free(buf);
        free(lists);
        free(heap);
        return eyni_error_set(err, EYNI_ENOMEM, "gallery ivf: out of memory");
    }
    size_t nl = 0;
    choose_lists(ix, q, nprobe, dot, buf, lists, &nl);
    probe_job jobs[EYNI_GALLERY_MAX_THREADS];
    pthread_t tid[EYNI_GALLERY_MAX_THREADS];
    int started[EYNI_GALLERY_MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) {
        jobs[t] = (probe_job){ix,
                              g,
                              q,
                              ps,
                              lists,
                              nl * t / threads,
                              nl * (t + 1) / threads,
                              dot,
                              {heap + (size_t)t * k, 0, k}};
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, probe_lists, &jobs[t]) == 0;
        if (t > 0 && !started[t])
            probe_lists(&jobs[t]);
    }
    probe_lists(&jobs[0]);
    for (int t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    gallery_topk all = {hits, 0, k};
    for (int t = 0; t < threads; t++)
        for (size_t i = 0; i < jobs[t].top.n; i++)
            gallery_topk_push(&all, jobs[t].top.h[i]);
    gallery_hits_sort(hits, all.n);
    *n = all.n;
    free(buf);
    free(lists);
    free(heap);
    return 0;
}
