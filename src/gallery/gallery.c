/* Gallery storage: int8 rows, scales, ids and the id -> row index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gallery_int.h"

#define EMPTY_ROW UINT32_MAX

static size_t hash_id(int64_t id, size_t mask)
{
    uint64_t x = (uint64_t)id;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return (size_t)(x & mask);
}

int eyni_gallery_new(int dim, eyni_gallery **out, eyni_error *err)
{
    if (dim < 1 || dim > EYNI_GALLERY_MAX_DIM)
        return eyni_error_set(err, EYNI_EINVAL, "gallery: dimension %d outside 1..%d", dim,
                              EYNI_GALLERY_MAX_DIM);
    eyni_gallery *g = calloc(1, sizeof *g);
    if (!g)
        return eyni_error_set(err, EYNI_ENOMEM, "gallery: out of memory");
    g->dim = dim;
    g->stride = ((size_t)dim + GALLERY_ALIGN - 1) / GALLERY_ALIGN * GALLERY_ALIGN;
    *out = g;
    return 0;
}

void eyni_gallery_free(eyni_gallery *g)
{
    if (!g)
        return;
    free(g->rows);
    free(g->scales);
    free(g->ids);
    free(g->slot_id);
    free(g->slot_row);
    free(g);
}

static size_t find_slot(const eyni_gallery *g, int64_t id)
{
    size_t mask = g->slots - 1;
    for (size_t i = hash_id(id, mask);; i = (i + 1) & mask)
        if (g->slot_row[i] == EMPTY_ROW || g->slot_id[i] == id)
            return i;
}

static int rehash(eyni_gallery *g, size_t slots, eyni_error *err)
{
    int64_t *sid = malloc(slots * sizeof *sid);
    uint32_t *srow = malloc(slots * sizeof *srow);
    if (!sid || !srow) {
        free(sid);
        free(srow);
        return eyni_error_set(err, EYNI_ENOMEM, "gallery: out of memory for the id index");
    }
    for (size_t i = 0; i < slots; i++)
        srow[i] = EMPTY_ROW;
    free(g->slot_id);
    free(g->slot_row);
    g->slot_id = sid;
    g->slot_row = srow;
    g->slots = slots;
    for (size_t r = 0; r < g->n; r++) {
        size_t s = find_slot(g, g->ids[r]);
        g->slot_id[s] = g->ids[r];
        g->slot_row[s] = (uint32_t)r;
    }
    return 0;
}

int eyni_gallery_reserve(eyni_gallery *g, size_t n, eyni_error *err)
{
    if (n > EYNI_GALLERY_MAX_SIZE)
        return eyni_error_set(err, EYNI_ELIMIT, "gallery: %zu persons, limit %u", n,
                              EYNI_GALLERY_MAX_SIZE);
    if (n > g->cap) {
        int8_t *rows = aligned_alloc(GALLERY_ALIGN, n * g->stride);
        float *sc = realloc(g->scales, n * sizeof *sc);
        if (sc)
            g->scales = sc;
        int64_t *ids = realloc(g->ids, n * sizeof *ids);
        if (ids)
            g->ids = ids;
        if (!rows || !sc || !ids) {
            free(rows);
            return eyni_error_set(err, EYNI_ENOMEM, "gallery: out of memory for %zu persons", n);
        }
        if (g->n)
            memcpy(rows, g->rows, g->n * g->stride);
        free(g->rows);
        g->rows = rows;
        g->cap = n;
    }
    size_t slots = g->slots ? g->slots : 16;
    while (slots < 2 * n)
        slots *= 2;
    return slots != g->slots ? rehash(g, slots, err) : 0;
}

void gallery_quantize(const float *v, int dim, int8_t *q, float *scale)
{
    float mx = 0;
    for (int i = 0; i < dim; i++)
        mx = fmaxf(mx, fabsf(v[i]));
    float s = mx > 0 ? mx / 127.0f : 1.0f;
    for (int i = 0; i < dim; i++) {
        long x = lroundf(v[i] / s);
        q[i] = (int8_t)(x > 127 ? 127 : x < -127 ? -127 : x);
    }
    *scale = s;
}

static int check_vec(const eyni_gallery *g, const float *v, eyni_error *err)
{
    double ss = 0;
    for (int i = 0; i < g->dim; i++) {
        if (!isfinite(v[i]))
            return eyni_error_set(err, EYNI_EINVAL, "gallery: vector has a non-finite value");
        ss += (double)v[i] * v[i];
    }
    if (ss < 1e-12)
        return eyni_error_set(err, EYNI_EINVAL, "gallery: zero vector");
    return 0;
}

static void put_row(eyni_gallery *g, size_t r, const int8_t *q, float scale)
{
    int8_t *row = g->rows + r * g->stride;
    memcpy(row, q, (size_t)g->dim);
    memset(row + g->dim, 0, g->stride - (size_t)g->dim);
    g->scales[r] = scale;
}

int eyni_gallery_add_int8(eyni_gallery *g, int64_t id, const int8_t *q, float scale,
                          eyni_error *err)
{
    if (!isfinite(scale) || !(scale > 0))
        return eyni_error_set(err, EYNI_EINVAL, "gallery: scale must be positive");
    for (int i = 0; i < g->dim; i++)
        if (q[i] == -128)
            return eyni_error_set(err, EYNI_EINVAL, "gallery: int8 values must be in -127..127");
    if (g->n == g->cap || g->slots < 2 * (g->n + 1)) {
        size_t want = g->n + 1 > g->cap ? (g->cap ? g->cap * 2 : 1024) : g->cap;
        int rc = eyni_gallery_reserve(g, want, err);
        if (rc)
            return rc;
    }
    size_t s = find_slot(g, id);
    if (g->slot_row[s] != EMPTY_ROW)
        return eyni_error_set(err, EYNI_EEXIST, "gallery: id %lld already enrolled", (long long)id);
    put_row(g, g->n, q, scale);
    g->ids[g->n] = id;
    g->slot_id[s] = id;
    g->slot_row[s] = (uint32_t)g->n;
    g->n++;
    g->generation++;
    return 0;
}

int eyni_gallery_add(eyni_gallery *g, int64_t id, const float *vec, eyni_error *err)
{
    int8_t q[EYNI_GALLERY_MAX_DIM];
    float s;
    int rc = check_vec(g, vec, err);
    if (rc)
        return rc;
    gallery_quantize(vec, g->dim, q, &s);
    return eyni_gallery_add_int8(g, id, q, s, err);
}

int eyni_gallery_update(eyni_gallery *g, int64_t id, const float *vec, eyni_error *err)
{
    int8_t q[EYNI_GALLERY_MAX_DIM];
    float s;
    int rc = check_vec(g, vec, err);
    if (rc)
        return rc;
    size_t slot = g->slots ? find_slot(g, id) : 0;
    if (!g->slots || g->slot_row[slot] == EMPTY_ROW)
        return eyni_error_set(err, EYNI_ENOTFOUND, "gallery: id %lld not enrolled", (long long)id);
    gallery_quantize(vec, g->dim, q, &s);
    put_row(g, g->slot_row[slot], q, s);
    g->generation++;
    return 0;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void slot_delete(eyni_gallery *g, size_t hole)
{
    size_t mask = g->slots - 1;
    for (size_t j = (hole + 1) & mask; g->slot_row[j] != EMPTY_ROW; j = (j + 1) & mask) {
        size_t home = hash_id(g->slot_id[j], mask);
        /* move j into the hole when its home is not in (hole, j] cyclically */
        int in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_range) {
            g->slot_id[hole] = g->slot_id[j];
            g->slot_row[hole] = g->slot_row[j];
            hole = j;
        }
    }
    g->slot_row[hole] = EMPTY_ROW;
}

int eyni_gallery_remove(eyni_gallery *g, int64_t id, eyni_error *err)
{
    size_t slot = g->slots ? find_slot(g, id) : 0;
    if (!g->slots || g->slot_row[slot] == EMPTY_ROW)
        return eyni_error_set(err, EYNI_ENOTFOUND, "gallery: id %lld not enrolled", (long long)id);
    size_t r = g->slot_row[slot], last = g->n - 1;
    slot_delete(g, slot);
    if (r != last) {
        /* the last row fills the gap so the scan stays one dense block */
        memcpy(g->rows + r * g->stride, g->rows + last * g->stride, g->stride);
        g->scales[r] = g->scales[last];
        g->ids[r] = g->ids[last];
        g->slot_row[find_slot(g, g->ids[r])] = (uint32_t)r;
    }
    g->n--;
    g->generation++;
    return 0;
}

int eyni_gallery_contains(const eyni_gallery *g, int64_t id)
{
    return g->slots && g->slot_row[find_slot(g, id)] != EMPTY_ROW;
}

size_t eyni_gallery_size(const eyni_gallery *g)
{
    return g->n;
}
int eyni_gallery_dim(const eyni_gallery *g)
{
    return g->dim;
}

size_t eyni_gallery_bytes_per_person(const eyni_gallery *g)
{
    /* row + scale + id, plus the id index at its load factor of at most one half */
    return g->stride + sizeof(float) + sizeof(int64_t) + 2 * (sizeof(int64_t) + sizeof(uint32_t));
}
