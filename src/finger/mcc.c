/*
 * Minutia Cylinder-Code matcher (Cappelli, Ferrara, Maltoni, IEEE TPAMI 32(12), 2010):
 * bit-based cylinders (MCC16b) compared by a normalised Hamming distance, consolidated by
 * Local Similarity Sort with Relaxation (LSS-R). Parameters are the paper's, for 500 ppi.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"
#include "mcc_int.h"

#define R_CYL       70.0       /* cylinder radius */
#define SIGMA_S     (28.0 / 3) /* spatial contribution sigma */
#define SIGMA_D     (2 * M_PI / 9)
#define MU_PSI      0.01 /* binarisation threshold of the contribution */
#define OMEGA       50.0 /* convex hull enlargement */
#define MIN_VC      0.75 /* valid cells needed for a valid cylinder (of those in the disc) */
#define MIN_M       2    /* contributing minutiae needed */
#define MIN_ME      0.60 /* matchable cells needed (of those in the disc) */
#define DELTA_THETA (M_PI / 2)
#define MIN_NP      4
#define MAX_NP      12
#define MU_P        20.0
#define TAU_P       0.4
#define N_REL       5
#define W_R         0.5
#define MU_1        5.0
#define TAU_1       (-8.0 / 5)
#define MU_2        (M_PI / 12)
#define TAU_2       (-30.0)
#define MU_3        (M_PI / 12)
#define TAU_3       (-30.0)
#define MAX_NR      MCC_MAX_NR
#define SORT_BINS   MCC_SORT_BINS

static double sigmoid(double v, double mu, double tau)
{
    return 1.0 / (1.0 + exp(-tau * (v - mu)));
}

/* Minutiae at 500 ppi, isotropic, with ISO angles corrected for anisotropic scaling. */
static int normalise_minutiae(const eyni_finger_template *t, float *x, float *y, float *th)
{
    double sx = t->res_x > 0 ? (double)FX_PPCM_500 / t->res_x : 1.0;
    double sy = t->res_y > 0 ? (double)FX_PPCM_500 / t->res_y : 1.0;
    int n = t->n_minutiae < 0 ? 0 : t->n_minutiae;
    if (n > EYNI_FINGER_MAX_MINUTIAE)
        n = EYNI_FINGER_MAX_MINUTIAE;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        x[k] = (float)(m->x * sx);
        y[k] = (float)(m->y * sy);
        th[k] = (float)ang_norm(atan2(sin(m->angle) * sy, cos(m->angle) * sx));
        k++;
    }
    return k;
}

/* Convex hull (monotone chain) of the minutiae, counter-clockwise in y-down coordinates. */
static int hull(const float *x, const float *y, int n, int *idx, int *h)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort by (x, y): n is small */
        for (int j = i; j > 0; j--) {
            int a = idx[j - 1], b = idx[j];
            if (x[a] < x[b] || (x[a] == x[b] && y[a] <= y[b]))
                break;
            idx[j - 1] = b;
            idx[j] = a;
        }
    int k = 0;
    for (int pass = 0; pass < 2; pass++) {
        int start = k;
        for (int ii = 0; ii < n; ii++) {
            int i = pass == 0 ? idx[ii] : idx[n - 1 - ii];
            while (k >= start + 2) {
                int a = h[k - 2], b = h[k - 1];
                double cr = (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a]);
                if (cr > 0)
                    break;
                k--;
            }
            h[k++] = i;
        }
        k--; /* last point repeats the first of the other chain */
    }
    return k < 0 ? 0 : k;
}

static double seg_dist(double px_, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((px_ - ax) * dx + (py - ay) * dy) / l2 : 0;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return hypot(px_ - (ax + u * dx), py - (ay + u * dy));
}

/* Inside the hull, or within OMEGA of its boundary. */
static int in_hull(const float *x, const float *y, const int *h, int nh, double px_, double py)
{
    if (nh < 3) {
        for (int i = 0; i < nh; i++)
            if (hypot(px_ - x[h[i]], py - y[h[i]]) <= OMEGA)
                return 1;
        return nh == 2 && seg_dist(px_, py, x[h[0]], y[h[0]], x[h[1]], y[h[1]]) <= OMEGA;
    }
    int inside = 1;
    for (int i = 0; i < nh && inside; i++) {
        int a = h[i], b = h[(i + 1) % nh];
        inside = (x[b] - x[a]) * (py - y[a]) - (y[b] - y[a]) * (px_ - x[a]) >= 0;
    }
    if (inside)
        return 1;
    for (int i = 0; i < nh; i++) {
        int a = h[i], b = h[(i + 1) % nh];
        if (seg_dist(px_, py, x[a], y[a], x[b], y[b]) <= OMEGA)
            return 1;
    }
    return 0;
}

/* Integral of the direction Gaussian over one angular cell centred at alpha. */
static double dir_contrib(double alpha)
{
    double hw = M_PI / MCC_ND, s = SIGMA_D * sqrt(2.0);
    return 0.5 * (erf((alpha + hw) / s) - erf((alpha - hw) / s));
}

static void build_cylinder(const float *x, const float *y, const float *th, int n, int m,
                           const int *h, int nh, uint64_t *bits, uint64_t *valid, int *nvalid,
                           int *ncontrib)
{
    const double ds = 2 * R_CYL / MCC_NS, dd = 2 * M_PI / MCC_ND;
    const double norm = 1.0 / (SIGMA_S * sqrt(2 * M_PI));
    double c = cos(th[m]), s = sin(th[m]);
    int nb[EYNI_FINGER_MAX_MINUTIAE], nn = 0;
    const double reach = R_CYL + 3 * SIGMA_S;
    for (int t = 0; t < n; t++) {
        double dx = x[t] - x[m], dy = y[t] - y[m];
        if (t != m && dx * dx + dy * dy <= reach * reach)
            nb[nn++] = t;
    }
    *ncontrib = nn;
    /* The direction term depends on the neighbour only, not on the cell: compute it once. */
    double cd[EYNI_FINGER_MAX_MINUTIAE][MCC_ND];
    for (int q = 0; q < nn; q++) {
        double dth = ang_diff(th[m], th[nb[q]]);
        for (int k = 0; k < MCC_ND; k++)
            cd[q][k] = dir_contrib(ang_diff(-M_PI + (k + 0.5) * dd, dth));
    }
    memset(bits, 0, sizeof(uint64_t) * MCC_WORDS);
    memset(valid, 0, sizeof(uint64_t) * MCC_VWORDS);
    *nvalid = 0;
    for (int i = 0; i < MCC_NS; i++)
        for (int j = 0; j < MCC_NS; j++) {
            double u = (i - (MCC_NS - 1) / 2.0) * ds, v = (j - (MCC_NS - 1) / 2.0) * ds;
            if (u * u + v * v > R_CYL * R_CYL)
                continue;
            /* Rotate the cell grid with the minutia (ISO angle, y down). */
            double px_ = x[m] + c * u + s * v, py = y[m] - s * u + c * v;
            if (!in_hull(x, y, h, nh, px_, py))
                continue;
            int cell = i * MCC_NS + j;
            valid[cell >> 6] |= 1ULL << (cell & 63);
            (*nvalid)++;
            double sum[MCC_ND] = {0};
            for (int q = 0; q < nn; q++) {
                int t = nb[q];
                double d2 = (x[t] - px_) * (x[t] - px_) + (y[t] - py) * (y[t] - py);
                if (d2 > 9 * SIGMA_S * SIGMA_S)
                    continue;
                double cs = norm * exp(-d2 / (2 * SIGMA_S * SIGMA_S));
                for (int k = 0; k < MCC_ND; k++)
                    sum[k] += cs * cd[q][k];
            }
            for (int k = 0; k < MCC_ND; k++)
                if (sum[k] >= MU_PSI) {
                    int bit = k * MCC_NS * MCC_NS + cell;
                    bits[bit >> 6] |= 1ULL << (bit & 63);
                }
        }
}

static uint64_t fnv(uint64_t hsh, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        hsh = (hsh ^ b[i]) * 1099511628211ULL;
    return hsh;
}

int eyni_finger_mcc_new(const eyni_finger_template *t, eyni_finger_mcc **out, eyni_error *err)
{
    eyni_finger_mcc *m = calloc(1, sizeof *m);
    int *idx = malloc(sizeof(int) * EYNI_FINGER_MAX_MINUTIAE * 3);
    if (!m || !idx) {
        free(m);
        free(idx);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory building cylinders");
    }
    m->cyl = malloc(sizeof(mcc_cyl) * EYNI_FINGER_MAX_MINUTIAE);
    if (!m->cyl) {
        free(m);
        free(idx);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory building cylinders");
    }
    m->n = normalise_minutiae(t, m->x, m->y, m->th);
    int *h = idx + EYNI_FINGER_MAX_MINUTIAE;
    int nh = hull(m->x, m->y, m->n, idx, h);
    mcc_hull_lines(m, h, nh);
    mcc_grid(m);
    int disc = 0;
    for (int i = 0; i < MCC_NS; i++)
        for (int j = 0; j < MCC_NS; j++)
            disc +=
                hypot((i - (MCC_NS - 1) / 2.0), (j - (MCC_NS - 1) / 2.0)) * 2 * R_CYL / MCC_NS <=
                R_CYL;
    m->min_me = (int)ceil(MIN_ME * disc);
    m->hash = 1469598103934665603ULL;
    for (int i = 0; i < m->n; i++) {
        mcc_cyl *c = &m->cyl[m->nc];
        int nvalid, ncontrib;
        build_cylinder(m->x, m->y, m->th, m->n, i, h, nh, c->bits, c->valid, &nvalid, &ncontrib);
        int key[3] = {(int)lrintf(m->x[i] * 8), (int)lrintf(m->y[i] * 8),
                      (int)lrintf(m->th[i] * 1e4f)};
        m->hash = fnv(m->hash, key, sizeof key);
        if (nvalid < MIN_VC * disc || ncontrib < MIN_M)
            continue;
        c->minutia = i;
        c->full = nvalid == disc;
        c->nvalid = nvalid;
        c->ones = 0;
        for (int w = 0; w < MCC_WORDS; w++)
            c->ones += __builtin_popcountll(c->bits[w]);
        m->nc++;
    }
    free(idx);
    /* Keep only the valid cylinders: the gallery holds millions of these. */
    mcc_cyl *shrunk = realloc(m->cyl, sizeof(mcc_cyl) * (size_t)(m->nc ? m->nc : 1));
    if (shrunk)
        m->cyl = shrunk;
    m->cth = calloc((size_t)MCC_PAD(m->nc ? m->nc : 1), sizeof(float));
    if (!m->cth) {
        eyni_finger_mcc_free(m);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory building cylinders");
    }
    for (int j = 0; j < m->nc; j++) {
        m->cth[j] = m->th[m->cyl[j].minutia];
        m->fullm[j >> 4] |= (uint16_t)(m->cyl[j].full << (j & 15));
    }
    *out = m;
    return 0;
}

void eyni_finger_mcc_free(eyni_finger_mcc *m)
{
    if (m) {
        free(m->cyl);
        free(m->cth);
    }
    free(m);
}

/* The counts behind the local similarity of two cylinders, over the cells valid in both:
 * Hamming distance d and the set bits of each side. 0 when the pair is not comparable
 * (too few common cells, or no bit set on either side). */
static inline int counts(const mcc_cyl *a, const mcc_cyl *b, int min_me, float *fd, float *fa,
                         float *fb)
{
    if (a->full && b->full) {
        /* Both discs fully valid: the common mask is the disc, outside which no bit is set,
         * so only the distance needs counting (same value as the general path). */
        int d = 0;
        for (int w = 0; w < MCC_WORDS; w++)
            d += __builtin_popcountll(a->bits[w] ^ b->bits[w]);
        *fd = (float)d, *fa = (float)a->ones, *fb = (float)b->ones;
        return a->ones + b->ones > 0;
    }
    int common = 0;
    uint64_t v[MCC_VWORDS];
    for (int w = 0; w < MCC_VWORDS; w++) {
        v[w] = a->valid[w] & b->valid[w];
        common += __builtin_popcountll(v[w]);
    }
    if (common < min_me)
        return 0;
    int d = 0, na = 0, nb = 0;
    for (int k = 0; k < MCC_ND; k++)
        for (int w = 0; w < MCC_VWORDS; w++) {
            uint64_t x = a->bits[k * MCC_VWORDS + w] & v[w];
            uint64_t y = b->bits[k * MCC_VWORDS + w] & v[w];
            d += __builtin_popcountll(x ^ y);
            na += __builtin_popcountll(x);
            nb += __builtin_popcountll(y);
        }
    *fd = (float)d, *fa = (float)na, *fb = (float)nb;
    return na + nb > 0;
}

/* 1 - sqrt(d) / (sqrt(na) + sqrt(nb)): the same expression in every path (IEEE square root
 * and division are exact in scalar and vector form), so all paths score bit-identically. */
static inline float sim_from(float d, float na, float nb)
{
    return 1.0f - sqrtf(d) / (sqrtf(na) + sqrtf(nb));
}

static int cmp_pair(const void *p, const void *q)
{
    const pair *x = p, *y = q;
    if (x->s != y->s)
        return x->s < y->s ? 1 : -1;
    if (x->a != y->a)
        return x->a - y->a;
    return x->b - y->b;
}

static float sigmoidf_(float v, float mu, float tau)
{
    return 1.0f / (1.0f + expf(-tau * (v - mu)));
}

static float wrapf(float d)
{
    const float pi = (float)M_PI;
    while (d > pi)
        d -= 2 * pi;
    while (d <= -pi)
        d += 2 * pi;
    return d;
}

static inline int sort_key(float s)
{
    return mcc_sort_key(s);
}

/* Pairs in descending similarity: a counting sort on a fine quantisation (keys lo..hi-1),
 * stable in the (a, b) order the pairs were produced in (much cheaper than a comparison
 * sort). */
static void sort_pairs(const pair *in, int n, int lo, int hi, pair *out)
{
    int count[SORT_BINS + 2];
    memset(count + lo, 0, sizeof(int) * (size_t)(hi - lo + 1));
    for (int i = 0; i < n; i++)
        count[in[i].key + 1]++;
    for (int i = lo + 1; i < hi; i++)
        count[i] += count[i - 1];
    for (int i = 0; i < n; i++)
        out[count[in[i].key]++] = in[i];
}

/* Greedy one-to-one selection of the best pairs from a sorted prefix. */
int mcc_greedy(const pair *sorted, int n, int nr_max, pair *sel)
{
    uint64_t useda[4] = {0}, usedb[4] = {0}; /* bit sets of the used cylinders */
    int nr = 0;
    for (int i = 0; i < n && nr < nr_max; i++) {
        int x = sorted[i].a, y = sorted[i].b;
        if ((useda[x >> 6] >> (x & 63) | usedb[y >> 6] >> (y & 63)) & 1)
            continue;
        useda[x >> 6] |= 1ULL << (x & 63);
        usedb[y >> 6] |= 1ULL << (y & 63);
        sel[nr++] = sorted[i];
    }
    return nr;
}

/* The greedy selection over all pairs, sorting only the best few first: a coarse histogram
 * finds the key below which about 4 x nr_max pairs lie; only those are gathered (in their
 * order) and sorted, and only if the greedy selection runs out inside that prefix is the
 * whole list sorted. The sorted prefix is a prefix of the full order, so the selection is
 * the same either way. work holds 2 n pairs. */
void mcc_prefix_cut(const int *hist, int want, int *lo, int *lim)
{
    int have = 0;
    *lo = -1;
    *lim = SORT_BINS + 1;
    for (int c = 0; c <= SORT_BINS / MCC_COARSE; c++) {
        if (hist[c] && *lo < 0)
            *lo = c * MCC_COARSE;
        have += hist[c];
        if (have >= want) {
            *lim = (c + 1) * MCC_COARSE;
            break;
        }
    }
    if (*lim > SORT_BINS + 1)
        *lim = SORT_BINS + 1;
}

static int select_pairs(const pair *pairs, int n, int nr_max, pair *work, pair *sel)
{
    int hist[SORT_BINS / MCC_COARSE + 2] = {0}, lo, lim;
    for (int i = 0; i < n; i++)
        hist[pairs[i].key / MCC_COARSE]++;
    mcc_prefix_cut(hist, 4 * nr_max, &lo, &lim);
    pair *gathered = work, *sorted = work + n;
    int m = 0;
    for (int i = 0; i < n; i++) {
        gathered[m] = pairs[i];
        m += pairs[i].key < lim;
    }
    sort_pairs(gathered, m, lo, lim, sorted);
    int nr = mcc_greedy(sorted, m, nr_max, sel);
    if (nr < nr_max && m < n) {
        sort_pairs(pairs, n, lo, SORT_BINS + 1, sorted);
        nr = mcc_greedy(sorted, n, nr_max, sel);
    }
    return nr;
}

/* Compatibility of two minutia pairs (Cappelli et al., eq. 11): distances, relative
 * directions and radial angles must agree; dR is averaged over both ends for symmetry. */
float mcc_compat(const eyni_finger_mcc *a, const eyni_finger_mcc *b, int at, int ak, int bt, int bk)
{
    float ax = a->x[ak] - a->x[at], ay = a->y[ak] - a->y[at];
    float bx = b->x[bk] - b->x[bt], by = b->y[bk] - b->y[bt];
    float da = sqrtf(ax * ax + ay * ay), db = sqrtf(bx * bx + by * by);
    /* Beyond these differences the sigmoids are below the 1e-4 cut-off (z1 < 1.4e-5 at
     * 12 px, z2 < 4e-5 at 0.6 rad): most impostor pairs leave here without an expf. */
    if (fabsf(da - db) > 12.0f)
        return 0;
    float z1 = sigmoidf_(fabsf(da - db), (float)MU_1, (float)TAU_1);
    if (z1 < 1e-4f)
        return 0;
    float ta = wrapf(a->th[at] - a->th[ak]), tb = wrapf(b->th[bt] - b->th[bk]);
    float dt = fabsf(wrapf(ta - tb));
    if (dt > 0.6f)
        return 0;
    float z2 = sigmoidf_(dt, (float)MU_2, (float)TAU_2);
    if (z2 < 1e-4f)
        return 0;
    /* Radial angles: each direction against its segment, a's minus b's, i.e. the
     * direction difference minus the angle between the two segments (one atan2f for both
     * ends: (ax, -ay) and (bx, -by) in y-up coordinates, their angle b to a). */
    float seg = atan2f(ax * by - ay * bx, ax * bx + ay * by);
    float r1 = wrapf(wrapf(a->th[at] - b->th[bt]) - seg);
    float r2 = wrapf(wrapf(a->th[ak] - b->th[bk]) - seg); /* +pi at both ends cancels */
    float z3 = 0.5f * (sigmoidf_(fabsf(r1), (float)MU_3, (float)TAU_3) +
                       sigmoidf_(fabsf(r2), (float)MU_3, (float)TAU_3));
    return z1 * z2 * z3;
}

int mcc_np(int na, int nb)
{
    int n = na < nb ? na : nb;
    return MIN_NP + (int)lrint(sigmoid(n, MU_P, TAU_P) * (MAX_NP - MIN_NP));
}

/* Efficiencies (relaxed / initial similarity), best first; ties by pair index. A total
 * order, so this insertion sort gives what any sort would (nr <= MAX_NR). */
static void sort_eff(pair *eff, int nr)
{
    for (int i = 1; i < nr; i++)
        for (int j = i; j > 0 && cmp_pair(&eff[j - 1], &eff[j]) > 0; j--) {
            pair t = eff[j - 1];
            eff[j - 1] = eff[j];
            eff[j] = t;
        }
}

void mcc_rho(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const pair *sel, int nr,
             float *rho)
{
    memset(rho, 0, sizeof(float) * MAX_NR * (size_t)nr);
    for (int t = 0; t < nr; t++) {
        int at = a->cyl[sel[t].a].minutia, bt = b->cyl[sel[t].b].minutia;
        for (int k = t + 1; k < nr; k++) {
            int ak = a->cyl[sel[k].a].minutia, bk = b->cyl[sel[k].b].minutia;
            rho[t * MAX_NR + k] = rho[k * MAX_NR + t] = mcc_compat(a, b, at, ak, bt, bk);
        }
    }
}

double mcc_relax(const pair *sel, int nr, int np, const float *rho, int *top, int *ntop)
{
    *ntop = nr < 1 ? 0 : 1;
    top[0] = 0;
    if (nr < 2)
        return nr == 1 ? sel[0].s / np : 0;
    float lam[MAX_NR], nxt[MAX_NR];
    for (int t = 0; t < nr; t++)
        lam[t] = sel[t].s;
    for (int it = 0; it < N_REL; it++) {
        /* All rows at once, k outermost: each row's sum keeps its k order (the same float
         * result), but the rows no longer wait on one another. rho is symmetric. */
        float acc[MAX_NR] = {0};
        for (int k = 0; k < nr; k++) {
            float l = lam[k];
            const float *rk = rho + k * MAX_NR;
            for (int t = 0; t < MAX_NR; t++)
                acc[t] += rk[t] * l;
        }
        for (int t = 0; t < nr; t++)
            nxt[t] = (float)(W_R * lam[t] + (1 - W_R) * acc[t] / (nr - 1));
        memcpy(lam, nxt, sizeof(float) * (size_t)nr);
    }
    /* Keep the np pairs whose similarity survived relaxation best (efficiency). */
    pair eff[MAX_NR];
    for (int t = 0; t < nr; t++) {
        eff[t].s = lam[t] / sel[t].s;
        eff[t].a = t;
        eff[t].b = 0;
    }
    sort_eff(eff, nr);
    *ntop = nr < MCC_ANCHORS ? nr : MCC_ANCHORS;
    for (int i = 0; i < *ntop; i++)
        top[i] = eff[i].a;
    int take = np < nr ? np : nr;
    double sum = 0;
    for (int i = 0; i < take; i++)
        sum += lam[eff[i].a];
    return sum / np;
}

/* LSS-R and the global score over the similarity matrix of two cylinder sets (a has the
 * canonical order).
 * pairs holds np_all entries and room for twice as many again. */
static double lssr(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *pairs, int np_all)
{
    int nr_max = a->nc < b->nc ? a->nc : b->nc;
    if (nr_max > MAX_NR)
        nr_max = MAX_NR;
    pair sel[MAX_NR];
    float rho[MAX_NR * MAX_NR];
    int nr = select_pairs(pairs, np_all, nr_max, pairs + np_all, sel);
    mcc_rho(a, b, sel, nr, rho);
    return mcc_finish(a, b, sel, nr, rho);
}

#define ROW_CAP (EYNI_FINGER_MAX_MINUTIAE + 16) /* one row of counts, padded for vectors */

typedef struct row {
    float d[ROW_CAP], na[ROW_CAP], nb[ROW_CAP], s[ROW_CAP];
    unsigned char ok[ROW_CAP];
} row;

/* Appends the comparable pairs of row i (columns idx[0..m)) with positive similarity. */
static inline int emit_row(const row *r, int i, const int *idx, int m, pair *buf, int n)
{
    for (int q = 0; q < m; q++)
        if (r->ok[q] && r->s[q] > 0) {
            buf[n].s = r->s[q];
            buf[n].key = sort_key(r->s[q]);
            buf[n].a = i;
            buf[n].b = idx[q];
            n++;
        }
    return n;
}

/* Cylinders of b within DELTA_THETA in direction of cylinder i of a (the same test as
 * fabsf(wrapf(d)) <= DELTA_THETA, without branches), as a list of indices. */
static inline int row_dirs(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const float *thb,
                           int i, int *idx)
{
    const float pi = (float)M_PI;
    float tha = a->th[a->cyl[i].minutia];
    int m = 0;
    for (int j = 0; j < b->nc; j++) {
        float d = tha - thb[j];
        d = d > pi ? d - 2 * pi : d;
        d = d <= -pi ? d + 2 * pi : d;
        idx[m] = j;
        m += fabsf(d) <= (float)DELTA_THETA;
    }
    return m;
}

/* The similarity matrix as a list of the pairs with positive similarity, a in rows. */
static int pairs_scalar(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *buf, row *r)
{
    int n = 0, me = a->min_me < b->min_me ? a->min_me : b->min_me;
    float thb[EYNI_FINGER_MAX_MINUTIAE];
    int idx[ROW_CAP];
    for (int j = 0; j < b->nc; j++)
        thb[j] = b->th[b->cyl[j].minutia];
    for (int i = 0; i < a->nc; i++) {
        int m = row_dirs(a, b, thb, i, idx);
        for (int q = 0; q < m; q++) {
            r->ok[q] = counts(&a->cyl[i], &b->cyl[idx[q]], me, &r->d[q], &r->na[q], &r->nb[q]);
            r->s[q] = r->ok[q] ? sim_from(r->d[q], r->na[q], r->nb[q]) : 0;
        }
        n = emit_row(r, i, idx, m, buf, n);
    }
    return n;
}

void mcc_canonical(const eyni_finger_mcc **a, const eyni_finger_mcc **b)
{
    if ((*a)->hash > (*b)->hash || ((*a)->hash == (*b)->hash && (*a)->nc > (*b)->nc)) {
        const eyni_finger_mcc *t = *a;
        *a = *b;
        *b = t;
    }
}

double mcc_score_reference(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *buf)
{
    mcc_canonical(&a, &b);
    row r;
    int n = pairs_scalar(a, b, buf, &r);
    if (n == 0)
        return 0;
    return lssr(a, b, buf, n);
}

double mcc_score(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *buf)
{
    return mcc_fast_available() ? mcc_score_fast(a, b, buf) : mcc_score_reference(a, b, buf);
}

double eyni_finger_mcc_compare(const eyni_finger_mcc *a, const eyni_finger_mcc *b)
{
    pair *buf = malloc(sizeof(pair) * MCC_SCRATCH(a->nc, b->nc));
    if (!buf)
        return 0;
    double s = mcc_score(a, b, buf);
    free(buf);
    return s;
}

double eyni_finger_compare(const eyni_finger_template *a, const eyni_finger_template *b)
{
    eyni_finger_mcc *ma = NULL, *mb = NULL;
    double s = 0;
    eyni_error err;
    if (eyni_finger_mcc_new(a, &ma, &err) == 0 && eyni_finger_mcc_new(b, &mb, &err) == 0)
        s = eyni_finger_mcc_compare(ma, mb);
    eyni_finger_mcc_free(ma);
    eyni_finger_mcc_free(mb);
    return s;
}
