/*
 * Second, global score of an MCC comparison. LSS-R judges the best local pairs and their
 * mutual compatibility, but not how much of the overlapping area agrees: two partial prints
 * with few minutiae (FVC2002 DB3) or a strongly distorted pair get a low LSS-R even when
 * almost every minutia of the common area has its mate. So the strongest pairs after the
 * relaxation (MCC_ANCHORS of them) each propose a rigid alignment (the pair's two minutiae
 * made to coincide); the one that brings together most of the relaxation's selected pairs
 * wins; all minutiae are paired one-to-one under it within a tolerance that grows with the
 * distance from the anchor (skin distortion accumulates with it), and the mated count m
 * gives g = m^2 / (max(a_in, MIN_IN) max(b_in, MIN_IN)), a_in and b_in being the minutiae of
 * each side that fall in the other's area (its minutiae's convex hull, enlarged by MARGIN):
 * the fraction of the common area's minutiae that agree, on both sides. The score is
 * LSS-R + W_G g. Both paths (mcc.c, mcc_fast.c) call this one code, so they stay
 * bit-identical.
 */
#include <math.h>
#include <string.h>

#include "finger_int.h"
#include "mcc_int.h"

#define TOL_D0    8.0f              /* pairing tolerance at the anchor, pixels */
#define TOL_DR    0.1f              /* ... growing by this per pixel of distance from it */
#define TOL_ANGLE ((float)M_PI / 6) /* directions within 30 degrees */
#define MARGIN    15.0f             /* the other side's area: hull enlarged by this */
#define MIN_IN    7                 /* overlap counts below this are taken as this */
#define W_G       0.03              /* weight of g against the LSS-R score */
/* LSS-R below which g is not computed: such comparisons are impostors the global score
 * would not lift past a threshold (the FMR 1e-2 one is 0.023 without it, and W_G g is
 * rarely above 0.01 for an impostor), and skipping them keeps 1:N searches fast. Measured
 * neutral on the FVC bench against computing g for every comparison. */
#define G_MIN 0.014

/* A rigid map of a's frame onto b's: a's anchor (ax, ay) onto b's (bx, by), rotated by
 * phi in ISO angles (y down), i.e. (dx, dy) -> (c dx + s dy, -s dx + c dy). */
typedef struct rigid {
    float c, s, phi, ax, ay, bx, by;
} rigid;

static void rigid_apply(const rigid *t, float x, float y, float *ox, float *oy)
{
    float dx = x - t->ax, dy = y - t->ay;
    *ox = t->c * dx + t->s * dy + t->bx;
    *oy = -t->s * dx + t->c * dy + t->by;
}

static float wrap_pi(float d)
{
    const float pi = (float)M_PI;
    d = d > pi ? d - 2 * pi : d;
    return d <= -pi ? d + 2 * pi : d;
}

/* The outward normals (nx, ny) and offsets c of the hull's edges: a point p is inside
 * the hull enlarged by MARGIN (with square corners) when nx px + ny py - c <= MARGIN for
 * every edge. h: hull vertices counter-clockwise in y-down coordinates. With more than
 * MCC_HULL edges, the longest are kept: a superset of the area, never a smaller one. */
void mcc_hull_lines(eyni_finger_mcc *m, const int *h, int nh)
{
    m->nh = 0;
    if (nh < 3)
        return; /* no area: every point counts as inside */
    float len[EYNI_FINGER_MAX_MINUTIAE + 1];
    for (int i = 0; i < nh; i++) {
        int a = h[i], b = h[(i + 1) % nh];
        len[i] = hypotf(m->x[b] - m->x[a], m->y[b] - m->y[a]);
    }
    for (int i = 0; i < nh; i++) {
        int rank = 0; /* edges longer than i (ties: lower index first) */
        for (int j = 0; j < nh; j++)
            rank += len[j] > len[i] || (len[j] == len[i] && j < i);
        if (rank >= MCC_HULL || len[i] <= 0)
            continue;
        int a = h[i], b = h[(i + 1) % nh];
        float nx = (m->y[b] - m->y[a]) / len[i], ny = -(m->x[b] - m->x[a]) / len[i];
        m->hnx[m->nh] = nx;
        m->hny[m->nh] = ny;
        m->hc[m->nh] = nx * m->x[a] + ny * m->y[a];
        m->nh++;
    }
}

static int in_area(const eyni_finger_mcc *m, float x, float y)
{
    float out = -INFINITY;
    for (int e = 0; e < m->nh; e++) {
        float d = m->hnx[e] * x + m->hny[e] * y - m->hc[e];
        out = d > out ? d : out;
    }
    return out <= MARGIN;
}

/* Grid column (or row) of a coordinate; beyond the grid on either side: its edge cells
 * (tested before the conversion, so no value overflows it). */
static int grid_cell(float v)
{
    if (!(v >= MCC_GW))
        return 0;
    if (v >= (float)(MCC_G - 1) * MCC_GW)
        return MCC_G - 1;
    return (int)(v * (1.0f / MCC_GW));
}

/* The grid index: minutiae ordered by cell (row-major, ties: index) and the position of
 * each cell's first. */
void mcc_grid(eyni_finger_mcc *m)
{
    int count[MCC_G * MCC_G + 1] = {0}, cell[EYNI_FINGER_MAX_MINUTIAE];
    for (int i = 0; i < m->n; i++) {
        cell[i] = grid_cell(m->y[i]) * MCC_G + grid_cell(m->x[i]);
        count[cell[i] + 1]++;
    }
    for (int c = 0; c < MCC_G * MCC_G; c++)
        count[c + 1] += count[c];
    for (int c = 0; c <= MCC_G * MCC_G; c++)
        m->gfirst[c] = (uint8_t)count[c];
    for (int i = 0; i < m->n; i++)
        m->gs[count[cell[i]]++] = (uint8_t)i;
}

/* Minutiae of a paired one-to-one with b's under t: each of a's in turn takes the nearest
 * free minutia of b (ties: the lower index) within the tolerance and with a direction
 * within TOL_ANGLE. Only b's grid cells within the tolerance (plus a pixel, so rounding
 * cannot hide one) are looked at. */
static int mated(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const rigid *t)
{
    uint64_t used[(EYNI_FINGER_MAX_MINUTIAE + 63) / 64] = {0};
    int m = 0;
    for (int i = 0; i < a->n; i++) {
        float px, py;
        rigid_apply(t, a->x[i], a->y[i], &px, &py);
        float rx = px - t->bx, ry = py - t->by;
        float tol = TOL_D0 + TOL_DR * sqrtf(rx * rx + ry * ry), th = a->th[i] + t->phi;
        float best = tol * tol, w = tol + 1;
        int bj = -1, c0 = grid_cell(px - w), c1 = grid_cell(px + w);
        for (int r = grid_cell(py - w), r1 = grid_cell(py + w); r <= r1; r++)
            for (int k = b->gfirst[r * MCC_G + c0], e = b->gfirst[r * MCC_G + c1 + 1]; k < e; k++) {
                int j = b->gs[k];
                float dx = b->x[j] - px, dy = b->y[j] - py, d2 = dx * dx + dy * dy;
                if (d2 > best || (d2 == best && j > bj && bj >= 0) ||
                    (used[j >> 6] >> (j & 63) & 1))
                    continue;
                if (fabsf(wrap_pi(th - b->th[j])) <= TOL_ANGLE)
                    best = d2, bj = j;
            }
        if (bj >= 0) {
            used[bj >> 6] |= 1ULL << (bj & 63);
            m++;
        }
    }
    return m;
}

static rigid anchor_map(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const pair *p)
{
    int am = a->cyl[p->a].minutia, bm = b->cyl[p->b].minutia;
    float phi = wrap_pi(b->th[bm] - a->th[am]);
    return (rigid){cosf(phi), sinf(phi), phi, a->x[am], a->y[am], b->x[bm], b->y[bm]};
}

/* Selected pairs whose two minutiae t brings together (within the tolerance, directions
 * within TOL_ANGLE): how well an alignment agrees with the relaxation's choice. */
static int consensus(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const rigid *t,
                     const pair *sel, int nr)
{
    int c = 0;
    for (int q = 0; q < nr; q++) {
        int am = a->cyl[sel[q].a].minutia, bm = b->cyl[sel[q].b].minutia;
        float px, py;
        rigid_apply(t, a->x[am], a->y[am], &px, &py);
        float rx = px - t->bx, ry = py - t->by, dx = b->x[bm] - px, dy = b->y[bm] - py;
        float tol = TOL_D0 + TOL_DR * sqrtf(rx * rx + ry * ry);
        c += dx * dx + dy * dy <= tol * tol &&
             fabsf(wrap_pi(a->th[am] + t->phi - b->th[bm])) <= TOL_ANGLE;
    }
    return c;
}

float mcc_global(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const pair *sel, int nr,
                 const int *top, int ntop)
{
    if (ntop < 1)
        return 0;
    /* The alignment most of the selected pairs agree with (ties: the stronger anchor). */
    rigid t = anchor_map(a, b, &sel[top[0]]);
    int bc = consensus(a, b, &t, sel, nr);
    for (int k = 1; k < ntop; k++) {
        rigid u = anchor_map(a, b, &sel[top[k]]);
        int c = consensus(a, b, &u, sel, nr);
        if (c > bc)
            bc = c, t = u;
    }
    int bm = mated(a, b, &t);
    /* Overlap: a's minutiae inside b's area under the map, and b's inside a's under its
     * inverse. */
    rigid inv = {t.c, -t.s, -t.phi, t.bx, t.by, t.ax, t.ay};
    int ain = 0, bin = 0;
    for (int i = 0; i < a->n; i++) {
        float px, py;
        rigid_apply(&t, a->x[i], a->y[i], &px, &py);
        ain += in_area(b, px, py);
    }
    for (int j = 0; j < b->n; j++) {
        float px, py;
        rigid_apply(&inv, b->x[j], b->y[j], &px, &py);
        bin += in_area(a, px, py);
    }
    ain = ain > MIN_IN ? ain : MIN_IN;
    bin = bin > MIN_IN ? bin : MIN_IN;
    return (float)bm * (float)bm / ((float)ain * (float)bin);
}

double mcc_finish(const eyni_finger_mcc *a, const eyni_finger_mcc *b, const pair *sel, int nr,
                  const float *rho)
{
    int top[MCC_ANCHORS], ntop = 0;
    double s = mcc_relax(sel, nr, mcc_np(a->nc, b->nc), rho, top, &ntop);
    if (s >= G_MIN)
        s += W_G * mcc_global(a, b, sel, nr, top, ntop);
    return s < 0 ? 0 : s > 1 ? 1 : s;
}
