/*
 * The AVX-512 path of the MCC comparison, for 1:N searches. It computes exactly what the
 * portable path in mcc.c computes (tests/finger/test_speed.c checks every score bit for
 * bit); it is faster because:
 * - the 90-degree direction gate runs 16 columns at a time and yields two column lists,
 *   cylinders with a full disc and the others, so each pair gets the cheapest count that
 *   is still exact: bits are only ever set in valid cells, so when one side's disc is
 *   complete the common mask is the other side's validity, and when both are, it is the
 *   disc and only the distance needs counting (3 population counts instead of 10);
 * - similarities, sort keys and the list of positive pairs are produced 16 at a time
 *   (vector square root and division are IEEE-exact, so equal to the scalar ones), into
 *   separate arrays of similarities, keys and indices;
 * - the prefix of the best pairs is gathered with compress stores.
 * The pairs stay in the reference's (row, column) order, so the stable counting sort and
 * the greedy selection see the same sequence.
 */
#include <math.h>
#include <string.h>

#include "finger_int.h"
#include "mcc_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(EYNI_NO_AVX512)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512vpopcntdq")))
#define ROWN   MCC_PAD(EYNI_FINGER_MAX_MINUTIAE)

int mcc_fast_available(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
}

/* Counts of one row: distance and set bits per column, as floats. A pair that is not
 * comparable gets d = 1, na = nb = 0, which makes its similarity -inf (never emitted). */
typedef struct frow {
    float d[ROWN], na[ROWN], nb[ROWN];
    int full[ROWN], part[ROWN]; /* columns inside the direction gate, by kind */
    __mmask16 gate[ROWN / 16];
} frow;

/* The row's cylinder of a, in registers. */
typedef struct arow {
    __m512i a0, a1, a2, va;
    int ones, nvalid;
} arow;

static inline void put(frow *r, int j, int ok, int d, int na, int nb)
{
    r->d[j] = ok ? (float)d : 1.0f;
    r->na[j] = ok ? (float)na : 0.0f;
    r->nb[j] = ok ? (float)nb : 0.0f;
}

AVX512 static inline __m512i pc3(__m512i x, __m512i y, __m512i z)
{
    return _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(x), _mm512_popcnt_epi64(y)),
                            _mm512_popcnt_epi64(z));
}

/* Both discs complete: the common cells are the disc (always enough), only d is counted. */
AVX512 static inline void count_ff(const arow *a, const mcc_cyl *b, frow *r, int j)
{
    __m512i d = pc3(_mm512_xor_si512(a->a0, _mm512_loadu_si512(b->bits)),
                    _mm512_xor_si512(a->a1, _mm512_loadu_si512(b->bits + 8)),
                    _mm512_xor_si512(a->a2, _mm512_loadu_si512(b->bits + 16)));
    int dd = (int)_mm512_reduce_add_epi64(d);
    put(r, j, a->ones + b->ones > 0, dd, a->ones, b->ones);
}

/* a complete, b not: the common mask is b's validity, and all of b's bits lie in it. */
AVX512 static inline void count_fp(const arow *a, const mcc_cyl *b, frow *r, int j, int me)
{
    __m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)b->valid));
    __m512i x0 = _mm512_and_si512(a->a0, v), x1 = _mm512_and_si512(a->a1, v),
            x2 = _mm512_and_si512(a->a2, v);
    __m512i d = pc3(_mm512_xor_si512(x0, _mm512_loadu_si512(b->bits)),
                    _mm512_xor_si512(x1, _mm512_loadu_si512(b->bits + 8)),
                    _mm512_xor_si512(x2, _mm512_loadu_si512(b->bits + 16)));
    __m512i t = _mm512_add_epi64(d, _mm512_slli_epi64(pc3(x0, x1, x2), 16));
    uint64_t s = (uint64_t)_mm512_reduce_add_epi64(t);
    int na = (int)(s >> 16 & 0xffff);
    put(r, j, b->nvalid >= me && na + b->ones > 0, (int)(s & 0xffff), na, b->ones);
}

/* b complete, a not: the mirror image. */
AVX512 static inline void count_pf(const arow *a, const mcc_cyl *b, frow *r, int j, int me)
{
    __m512i y0 = _mm512_and_si512(_mm512_loadu_si512(b->bits), a->va),
            y1 = _mm512_and_si512(_mm512_loadu_si512(b->bits + 8), a->va),
            y2 = _mm512_and_si512(_mm512_loadu_si512(b->bits + 16), a->va);
    __m512i d =
        pc3(_mm512_xor_si512(a->a0, y0), _mm512_xor_si512(a->a1, y1), _mm512_xor_si512(a->a2, y2));
    __m512i t = _mm512_add_epi64(d, _mm512_slli_epi64(pc3(y0, y1, y2), 16));
    uint64_t s = (uint64_t)_mm512_reduce_add_epi64(t);
    int nb = (int)(s >> 16 & 0xffff);
    put(r, j, a->nvalid >= me && a->ones + nb > 0, (int)(s & 0xffff), a->ones, nb);
}

/* Neither complete: mask both sides with the common validity (the general count). */
AVX512 static inline void count_pp(const arow *a, const mcc_cyl *b, frow *r, int j, int me)
{
    __m512i v = _mm512_and_si512(
        a->va, _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)b->valid)));
    __m512i x0 = _mm512_and_si512(a->a0, v), x1 = _mm512_and_si512(a->a1, v),
            x2 = _mm512_and_si512(a->a2, v);
    __m512i y0 = _mm512_and_si512(_mm512_loadu_si512(b->bits), v),
            y1 = _mm512_and_si512(_mm512_loadu_si512(b->bits + 8), v),
            y2 = _mm512_and_si512(_mm512_loadu_si512(b->bits + 16), v);
    __m512i d = pc3(_mm512_xor_si512(x0, y0), _mm512_xor_si512(x1, y1), _mm512_xor_si512(x2, y2));
    /* every field sums to at most 1536 (v twice: 512), so 16 bits hold it */
    __m512i t = _mm512_add_epi64(_mm512_add_epi64(d, _mm512_slli_epi64(pc3(x0, x1, x2), 16)),
                                 _mm512_add_epi64(_mm512_slli_epi64(pc3(y0, y1, y2), 32),
                                                  _mm512_slli_epi64(_mm512_popcnt_epi64(v), 48)));
    uint64_t s = (uint64_t)_mm512_reduce_add_epi64(t);
    int common = (int)(s >> 48) / 2, na = (int)(s >> 16 & 0xffff), nb = (int)(s >> 32 & 0xffff);
    put(r, j, common >= me && na + nb > 0, (int)(s & 0xffff), na, nb);
}

/* The direction gate of row a-direction tha against all columns (the reference's
 * branch-free wrap, 16 at a time), split into complete and partial columns. */
AVX512 static void gate_row(const eyni_finger_mcc *b, float tha, frow *r, int *nf, int *np)
{
    const float pi = (float)M_PI;
    const __m512 vpi = _mm512_set1_ps(pi), vnpi = _mm512_set1_ps(-pi),
                 v2pi = _mm512_set1_ps(2 * pi), lim = _mm512_set1_ps((float)(M_PI / 2)),
                 vtha = _mm512_set1_ps(tha);
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int f = 0, p = 0;
    for (int j = 0; j < b->nc; j += 16) {
        __m512 d = _mm512_sub_ps(vtha, _mm512_loadu_ps(b->cth + j));
        d = _mm512_mask_sub_ps(d, _mm512_cmp_ps_mask(d, vpi, _CMP_GT_OQ), d, v2pi);
        d = _mm512_mask_add_ps(d, _mm512_cmp_ps_mask(d, vnpi, _CMP_LE_OQ), d, v2pi);
        __mmask16 live = b->nc - j >= 16 ? 0xffff : (__mmask16)((1u << (b->nc - j)) - 1);
        __mmask16 g = _mm512_mask_cmp_ps_mask(live, _mm512_abs_ps(d), lim, _CMP_LE_OQ);
        __mmask16 full = b->fullm[j >> 4];
        __m512i col = _mm512_add_epi32(iota, _mm512_set1_epi32(j));
        _mm512_mask_compressstoreu_epi32(r->full + f, g & full, col);
        _mm512_mask_compressstoreu_epi32(r->part + p, g & ~full, col);
        f += __builtin_popcount(g & full);
        p += __builtin_popcount(g & ~full);
        r->gate[j >> 4] = g;
    }
    *nf = f, *np = p;
}

/* Similarities of the gated columns of row i, positive ones appended (s, key, i<<8|j). */
AVX512 static int emit_row(const frow *r, int i, int nc, float *S, int *K, int *AB, int n)
{
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 one = _mm512_set1_ps(1.0f), scale = _mm512_set1_ps((float)(MCC_SORT_BINS - 1));
    for (int j = 0; j < nc; j += 16) {
        __mmask16 g = r->gate[j >> 4];
        if (!g)
            continue;
        __m512 t =
            _mm512_div_ps(_mm512_sqrt_ps(_mm512_maskz_loadu_ps(g, r->d + j)),
                          _mm512_add_ps(_mm512_sqrt_ps(_mm512_maskz_loadu_ps(g, r->na + j)),
                                        _mm512_sqrt_ps(_mm512_maskz_loadu_ps(g, r->nb + j))));
        __m512 s = _mm512_sub_ps(one, t);
        __mmask16 m = _mm512_mask_cmp_ps_mask(g, s, _mm512_setzero_ps(), _CMP_GT_OQ);
        __m512i key = _mm512_sub_epi32(_mm512_set1_epi32(MCC_SORT_BINS),
                                       _mm512_cvttps_epi32(_mm512_mul_ps(s, scale)));
        __m512i ab = _mm512_add_epi32(iota, _mm512_set1_epi32((i << 8) + j));
        _mm512_mask_compressstoreu_ps(S + n, m, s);
        _mm512_mask_compressstoreu_epi32(K + n, m, key);
        _mm512_mask_compressstoreu_epi32(AB + n, m, ab);
        n += __builtin_popcount(m);
    }
    return n;
}

/* The similarity matrix's positive pairs in (row, column) order. */
AVX512 static int all_pairs(const eyni_finger_mcc *a, const eyni_finger_mcc *b, float *S, int *K,
                            int *AB, frow *r)
{
    int n = 0, me = a->min_me < b->min_me ? a->min_me : b->min_me;
    for (int i = 0; i < a->nc; i++) {
        const mcc_cyl *ca = &a->cyl[i];
        arow ar = {_mm512_loadu_si512(ca->bits),
                   _mm512_loadu_si512(ca->bits + 8),
                   _mm512_loadu_si512(ca->bits + 16),
                   _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)ca->valid)),
                   ca->ones,
                   ca->nvalid};
        int nf, np;
        gate_row(b, a->cth[i], r, &nf, &np);
        if (ca->full) {
            for (int q = 0; q < nf; q++)
                count_ff(&ar, &b->cyl[r->full[q]], r, r->full[q]);
            for (int q = 0; q < np; q++)
                count_fp(&ar, &b->cyl[r->part[q]], r, r->part[q], me);
        } else {
            for (int q = 0; q < nf; q++)
                count_pf(&ar, &b->cyl[r->full[q]], r, r->full[q], me);
            for (int q = 0; q < np; q++)
                count_pp(&ar, &b->cyl[r->part[q]], r, r->part[q], me);
        }
        n = emit_row(r, i, b->nc, S, K, AB, n);
    }
    return n;
}

/* Stable counting sort of n pairs with keys lo..hi-1 into out. */
static void sort_soa(const float *S, const int *K, const int *AB, int n, int lo, int hi, pair *out)
{
    int count[MCC_SORT_BINS + 2];
    memset(count + lo, 0, sizeof(int) * (size_t)(hi - lo + 1));
    for (int i = 0; i < n; i++)
        count[K[i] + 1]++;
    for (int i = lo + 1; i < hi; i++)
        count[i] += count[i - 1];
    for (int i = 0; i < n; i++)
        out[count[K[i]]++] = (pair){S[i], K[i], AB[i] >> 8, AB[i] & 255};
}

/* The reference's select_pairs on the split arrays: the same prefix, the same order. */
AVX512 static int select_fast(const float *S, const int *K, const int *AB, int n, int nr_max,
                              void *work, pair *sel)
{
    int hist[MCC_SORT_BINS / MCC_COARSE + 2] = {0}, lo, lim;
    for (int i = 0; i < n; i++)
        hist[K[i] / MCC_COARSE]++;
    mcc_prefix_cut(hist, 4 * nr_max, &lo, &lim);
    int npad = MCC_PAD(n);
    float *gs = work;
    int *gk = (int *)(gs + npad), *gab = gk + npad;
    pair *sorted = (pair *)(gab + npad);
    int m = 0;
    const __m512i vlim = _mm512_set1_epi32(lim);
    for (int i = 0; i < n; i += 16) {
        __mmask16 live = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512i k = _mm512_maskz_loadu_epi32(live, K + i);
        __mmask16 take = _mm512_mask_cmplt_epi32_mask(live, k, vlim);
        _mm512_mask_compressstoreu_ps(gs + m, take, _mm512_maskz_loadu_ps(live, S + i));
        _mm512_mask_compressstoreu_epi32(gk + m, take, k);
        _mm512_mask_compressstoreu_epi32(gab + m, take, _mm512_maskz_loadu_epi32(live, AB + i));
        m += __builtin_popcount(take);
    }
    sort_soa(gs, gk, gab, m, lo, lim, sorted);
    int nr = mcc_greedy(sorted, m, nr_max, sel);
    if (nr < nr_max && m < n) {
        sort_soa(S, K, AB, n, lo, MCC_SORT_BINS + 1, sorted);
        nr = mcc_greedy(sorted, n, nr_max, sel);
    }
    return nr;
}

/* Wraps angle differences of two values in [0, 2 pi) (or of two wrapped ones) into
 * (-pi, pi]: one step each way, as the reference's loops take for such inputs. */
AVX512 static inline __m512 wrap16(__m512 d)
{
    const float pi = (float)M_PI;
    d = _mm512_mask_sub_ps(d, _mm512_cmp_ps_mask(d, _mm512_set1_ps(pi), _CMP_GT_OQ), d,
                           _mm512_set1_ps(2 * pi));
    return _mm512_mask_add_ps(d, _mm512_cmp_ps_mask(d, _mm512_set1_ps(-pi), _CMP_LE_OQ), d,
                              _mm512_set1_ps(2 * pi));
}

/* mcc_rho with the compatibility's first two exits (distance and relative-direction
 * differences) taken 16 pairs at a time; only the pairs that pass both run the scalar
 * mcc_compat, which returns 0 for the others anyway. */
AVX512 static void rho_fast(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const pair *sel,
                            int nr, float *rho)
{
    float ax[MCC_MAX_NR], ay[MCC_MAX_NR], at[MCC_MAX_NR], bx[MCC_MAX_NR], by[MCC_MAX_NR],
        bt[MCC_MAX_NR];
    int am[MCC_MAX_NR], bm[MCC_MAX_NR];
    for (int t = 0; t < nr; t++) {
        am[t] = a->cyl[sel[t].a].minutia, bm[t] = b->cyl[sel[t].b].minutia;
        ax[t] = a->x[am[t]], ay[t] = a->y[am[t]], at[t] = a->th[am[t]];
        bx[t] = b->x[bm[t]], by[t] = b->y[bm[t]], bt[t] = b->th[bm[t]];
    }
    memset(rho, 0, sizeof(float) * MCC_MAX_NR * (size_t)nr);
    const __m512 d12 = _mm512_set1_ps(12.0f), d06 = _mm512_set1_ps(0.6f);
    for (int t = 0; t + 1 < nr; t++)
        for (int k = t + 1; k < nr; k += 16) {
            __mmask16 live = nr - k >= 16 ? 0xffff : (__mmask16)((1u << (nr - k)) - 1);
            __m512 dax = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, ax + k), _mm512_set1_ps(ax[t]));
            __m512 day = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, ay + k), _mm512_set1_ps(ay[t]));
            __m512 dbx = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, bx + k), _mm512_set1_ps(bx[t]));
            __m512 dby = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, by + k), _mm512_set1_ps(by[t]));
            __m512 da =
                _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dax, dax), _mm512_mul_ps(day, day)));
            __m512 db =
                _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dbx, dbx), _mm512_mul_ps(dby, dby)));
            __mmask16 g = _mm512_mask_cmp_ps_mask(live, _mm512_abs_ps(_mm512_sub_ps(da, db)), d12,
                                                  _CMP_LE_OQ);
            __m512 ta =
                wrap16(_mm512_sub_ps(_mm512_set1_ps(at[t]), _mm512_maskz_loadu_ps(live, at + k)));
            __m512 tb =
                wrap16(_mm512_sub_ps(_mm512_set1_ps(bt[t]), _mm512_maskz_loadu_ps(live, bt + k)));
            g = _mm512_mask_cmp_ps_mask(g, _mm512_abs_ps(wrap16(_mm512_sub_ps(ta, tb))), d06,
                                        _CMP_LE_OQ);
            for (unsigned m = g; m; m &= m - 1) {
                int kk = k + __builtin_ctz(m);
                rho[t * MCC_MAX_NR + kk] = rho[kk * MCC_MAX_NR + t] =
                    mcc_compat(a, b, am[t], am[kk], bm[t], bm[kk]);
            }
        }
}

/* buf: MCC_SCRATCH pairs = 48 bytes per cell; used as three arrays of 4-byte fields for
 * the pairs, three more for the gathered prefix and one array of pairs for the sort. */
double mcc_score_fast(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *buf)
{
    mcc_canonical(&a, &b);
    frow r;
    size_t cells = (size_t)MCC_PAD(a->nc) * (size_t)MCC_PAD(b->nc) + 16;
    float *S = (float *)buf;
    int *K = (int *)(S + cells), *AB = K + cells;
    int n = all_pairs(a, b, S, K, AB, &r);
    if (n == 0)
        return 0;
    int nr_max = a->nc < b->nc ? a->nc : b->nc;
    if (nr_max > MCC_MAX_NR)
        nr_max = MCC_MAX_NR;
    pair sel[MCC_MAX_NR];
    int nr = select_fast(S, K, AB, n, nr_max, AB + cells, sel);
    float rho[MCC_MAX_NR * MCC_MAX_NR];
    rho_fast(a, b, sel, nr, rho);
    return mcc_finish(a, b, sel, nr, rho);
}

#else

int mcc_fast_available(void)
{
    return 0;
}

double mcc_score_fast(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *buf)
{
    return mcc_score_reference(a, b, buf);
}

#endif
