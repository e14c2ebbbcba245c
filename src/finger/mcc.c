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
#define MAX_NR      64 /* pairs relaxed; more never changes the top np */
#define SORT_BINS   1024

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
    double best = 1e18;
    for (int i = 0; i < nh; i++) {
        int a = h[i], b = h[(i + 1) % nh];
        double cr = (x[b] - x[a]) * (py - y[a]) - (y[b] - y[a]) * (px_ - x[a]);
        if (cr < 0)
            inside = 0;
        double d = seg_dist(px_, py, x[a], y[a], x[b], y[b]);
        best = d < best ? d : best;
    }
    return inside || best <= OMEGA;
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
    for (int t = 0; t < n; t++)
        if (t != m && hypot(x[t] - x[m], y[t] - y[m]) <= R_CYL + 3 * SIGMA_S)
            nb[nn++] = t;
    *ncontrib = nn;
    memset(bits, 0, sizeof(uint64_t) * MCC_WORDS);
    memset(valid, 0, sizeof(uint64_t) * MCC_VWORDS);
    *nvalid = 0;
    for (int i = 0; i < MCC_NS; i++)
        for (int j = 0; j < MCC_NS; j++) {
            double u = (i - (MCC_NS - 1) / 2.0) * ds, v = (j - (MCC_NS - 1) / 2.0) * ds;
            if (hypot(u, v) > R_CYL)
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
                double dth = ang_diff(th[m], th[t]);
                for (int k = 0; k < MCC_ND; k++) {
                    double phik = -M_PI + (k + 0.5) * dd;
                    sum[k] += cs * dir_contrib(ang_diff(phik, dth));
                }
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
        m->nc++;
    }
    free(idx);
    /* Keep only the valid cylinders: the gallery holds millions of these. */
    mcc_cyl *shrunk = realloc(m->cyl, sizeof(mcc_cyl) * (size_t)(m->nc ? m->nc : 1));
    if (shrunk)
        m->cyl = shrunk;
    *out = m;
    return 0;
}

void eyni_finger_mcc_free(eyni_finger_mcc *m)
{
    if (m)
        free(m->cyl);
    free(m);
}

static inline float local_sim(const mcc_cyl *a, const mcc_cyl *b, int min_me)
{
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
    if (na + nb == 0)
        return 0;
    return 1.0f - sqrtf((float)d) / (sqrtf((float)na) + sqrtf((float)nb));
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

/* Pairs in descending similarity: a counting sort on a fine quantisation, stable in the
 * (a, b) order the pairs were produced in (much cheaper than a comparison sort). */
static void sort_pairs(const pair *in, int n, pair *out)
{
    int count[SORT_BINS + 1] = {0};
    for (int i = 0; i < n; i++)
        count[SORT_BINS - (int)(in[i].s * (SORT_BINS - 1))]++;
    for (int i = 1; i <= SORT_BINS; i++)
        count[i] += count[i - 1];
    for (int i = n - 1; i >= 0; i--)
        out[--count[SORT_BINS - (int)(in[i].s * (SORT_BINS - 1))]] = in[i];
}

/* Compatibility of two minutia pairs (Cappelli et al., eq. 11): distances, relative
 * directions and radial angles must agree; dR is averaged over both ends for symmetry. */
static float compat(const eyni_finger_mcc *a, const eyni_finger_mcc *b, int at, int ak, int bt,
                    int bk)
{
    float ax = a->x[ak] - a->x[at], ay = a->y[ak] - a->y[at];
    float bx = b->x[bk] - b->x[bt], by = b->y[bk] - b->y[bt];
    float da = sqrtf(ax * ax + ay * ay), db = sqrtf(bx * bx + by * by);
    float z1 = sigmoidf_(fabsf(da - db), (float)MU_1, (float)TAU_1);
    if (z1 < 1e-4f)
        return 0;
    float ta = wrapf(a->th[at] - a->th[ak]), tb = wrapf(b->th[bt] - b->th[bk]);
    float z2 = sigmoidf_(fabsf(wrapf(ta - tb)), (float)MU_2, (float)TAU_2);
    if (z2 < 1e-4f)
        return 0;
    float sa = atan2f(-ay, ax), sb = atan2f(-by, bx);
    float r1 = wrapf(wrapf(a->th[at] - sa) - wrapf(b->th[bt] - sb));
    float r2 = wrapf(wrapf(a->th[ak] - sa) - wrapf(b->th[bk] - sb)); /* +pi cancels */
    float z3 = 0.5f * (sigmoidf_(fabsf(r1), (float)MU_3, (float)TAU_3) +
                       sigmoidf_(fabsf(r2), (float)MU_3, (float)TAU_3));
    return z1 * z2 * z3;
}

/* LSS-R over the similarity matrix of two cylinder sets (a has the canonical order).
 * pairs holds np_all entries and room for as many again. */
static double lssr(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *pairs, int np_all)
{
    int na = a->nc, nb = b->nc;
    pair *sorted = pairs + np_all;
    sort_pairs(pairs, np_all, sorted);
    int nr_max = na < nb ? na : nb;
    int np = MIN_NP + (int)lrint(sigmoid(nr_max, MU_P, TAU_P) * (MAX_NP - MIN_NP));
    if (nr_max > MAX_NR)
        nr_max = MAX_NR;
    /* Greedy one-to-one selection of the best pairs. */
    unsigned char useda[EYNI_FINGER_MAX_MINUTIAE] = {0}, usedb[EYNI_FINGER_MAX_MINUTIAE] = {0};
    pair sel[MAX_NR];
    int nr = 0;
    for (int i = 0; i < np_all && nr < nr_max; i++) {
        if (useda[sorted[i].a] || usedb[sorted[i].b])
            continue;
        useda[sorted[i].a] = usedb[sorted[i].b] = 1;
        sel[nr++] = sorted[i];
    }
    if (nr < 2)
        return nr == 1 ? sel[0].s / np : 0;
    float rho[MAX_NR * MAX_NR];
    for (int t = 0; t < nr; t++) {
        rho[t * nr + t] = 0;
        int at = a->cyl[sel[t].a].minutia, bt = b->cyl[sel[t].b].minutia;
        for (int k = t + 1; k < nr; k++) {
            int ak = a->cyl[sel[k].a].minutia, bk = b->cyl[sel[k].b].minutia;
            rho[t * nr + k] = rho[k * nr + t] = compat(a, b, at, ak, bt, bk);
        }
    }
    float lam[EYNI_FINGER_MAX_MINUTIAE], nxt[EYNI_FINGER_MAX_MINUTIAE];
    for (int t = 0; t < nr; t++)
        lam[t] = sel[t].s;
    for (int it = 0; it < N_REL; it++) {
        for (int t = 0; t < nr; t++) {
            float s = 0;
            for (int k = 0; k < nr; k++)
                s += rho[t * nr + k] * lam[k];
            nxt[t] = (float)(W_R * lam[t] + (1 - W_R) * s / (nr - 1));
        }
        memcpy(lam, nxt, sizeof(float) * (size_t)nr);
    }
    /* Keep the np pairs whose similarity survived relaxation best (efficiency). */
    pair eff[EYNI_FINGER_MAX_MINUTIAE];
    for (int t = 0; t < nr; t++) {
        eff[t].s = lam[t] / sel[t].s;
        eff[t].a = t;
        eff[t].b = 0;
    }
    qsort(eff, (size_t)nr, sizeof(pair), cmp_pair);
    int take = np < nr ? np : nr;
    double sum = 0;
    for (int i = 0; i < take; i++)
        sum += lam[eff[i].a];
    return sum / np;
}

double mcc_score(const eyni_finger_mcc *a, const eyni_finger_mcc *b, pair *buf)
{
    if (a->hash > b->hash || (a->hash == b->hash && a->nc > b->nc)) {
        const eyni_finger_mcc *t = a;
        a = b;
        b = t;
    }
    int n = 0;
    for (int i = 0; i < a->nc; i++) {
        const mcc_cyl *ca = &a->cyl[i];
        float tha = a->th[ca->minutia];
        for (int j = 0; j < b->nc; j++) {
            const mcc_cyl *cb = &b->cyl[j];
            if (fabsf(wrapf(tha - b->th[cb->minutia])) > (float)DELTA_THETA)
                continue;
            float s = local_sim(ca, cb, a->min_me < b->min_me ? a->min_me : b->min_me);
            if (s <= 0)
                continue;
            buf[n].s = s;
            buf[n].a = i;
            buf[n].b = j;
            n++;
        }
    }
    if (n == 0)
        return 0;
    double s = lssr(a, b, buf, n);
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

double eyni_finger_mcc_compare(const eyni_finger_mcc *a, const eyni_finger_mcc *b)
{
    pair *buf = malloc(sizeof(pair) * 2 * (size_t)(a->nc * b->nc + 1));
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
