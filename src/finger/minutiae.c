/*
 * Minutiae from the enhanced image: binarisation, Zhang-Suen thinning, crossing number,
 * ridge tracing for directions, removal of false minutiae (border, noise, spurs, bridges,
 * breaks, short ridges) and singular points by the Poincare index.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"

#define BORDER_MARGIN  10.0f /* pixels from the foreground edge where minutiae are dropped */
#define TRACE_DIR_LEN  10    /* pixels traced to measure a minutia direction */
#define MIN_COHERENCE  0.15f /* below this the orientation is noise */
#define MAX_RAW        2000  /* candidate minutiae before filtering */
#define MAX_TRACE      64
#define BREAK_PERIODS  2.0f /* facing endings closer than this many ridge periods: a break */
#define RUNOUT_PERIODS 3.0f /* an ending whose ridge would leave the foreground this soon */
#define RIM_PERIODS    2.5f /* band along the foreground edge checked for clarity */
#define RIM_CLARITY    0.5f /* mean block clarity below which a rim minutia is noise */

typedef struct cand {
    int x, y, type;
    double angle;
    float rel;
    int dead;
} cand;

/* 8-neighbour ring clockwise from east in y-down coordinates. */
static const int RX[8] = {1, 1, 0, -1, -1, -1, 0, 1};
static const int RY[8] = {0, 1, 1, 1, 0, -1, -1, -1};

static int px(const unsigned char *s, int w, int h, int x, int y)
{
    return x >= 0 && y >= 0 && x < w && y < h && s[y * w + x];
}

static int crossing(const unsigned char *s, int w, int h, int x, int y)
{
    int cn = 0;
    for (int i = 0; i < 8; i++)
        cn += !px(s, w, h, x + RX[i], y + RY[i]) &&
              px(s, w, h, x + RX[(i + 1) % 8], y + RY[(i + 1) % 8]);
    return cn;
}

/* Zhang-Suen deletion test in sub-iteration `pass` for the neighbours p2..p9 (north,
 * then clockwise) given as the bits 0..7 of nb. */
static int zs_deletable(int nb, int pass)
{
    int p2 = nb & 1, p3 = nb >> 1 & 1, p4 = nb >> 2 & 1, p5 = nb >> 3 & 1, p6 = nb >> 4 & 1;
    int p7 = nb >> 5 & 1, p8 = nb >> 6 & 1, p9 = nb >> 7 & 1;
    int b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
    if (b < 2 || b > 6)
        return 0;
    int a = (!p2 && p3) + (!p3 && p4) + (!p4 && p5) + (!p5 && p6) + (!p6 && p7) + (!p7 && p8) +
            (!p8 && p9) + (!p9 && p2);
    if (a != 1)
        return 0;
    return pass == 0 ? !((p2 && p4 && p6) || (p4 && p6 && p8))
                     : !((p2 && p4 && p8) || (p2 && p6 && p8));
}

/* The neighbourhood of ridge pixel i as the bits of zs_deletable. */
static int zs_neighbours(const unsigned char *s, int w, int i)
{
    return (s[i - w] != 0) | (s[i - w + 1] != 0) << 1 | (s[i + 1] != 0) << 2 |
           (s[i + w + 1] != 0) << 3 | (s[i + w] != 0) << 4 | (s[i + w - 1] != 0) << 5 |
           (s[i - 1] != 0) << 6 | (s[i - w - 1] != 0) << 7;
}

/*
 * Zhang-Suen: thin to 8-connected one-pixel ridges. Only a ridge pixel with a background
 * neighbour can be deleted (b <= 6), so each sub-iteration tests the list of such pixels
 * rather than the whole image; a deletion adds its ridge neighbours to the list. The
 * decisions and their order of application are those of the whole-image scan. Returns -1
 * when out of memory (s unchanged).
 */
static int thin(unsigned char *s, int w, int h, unsigned char *in_list)
{
    /* The lists hold ridge pixels only (one more slot: the branch-free appends write one
     * past the end before deciding); sized to them, they take less fresh memory. */
    size_t ridge = 1;
    for (size_t i = 0; i < (size_t)w * h; i++)
        ridge += s[i] != 0;
    int *list = malloc(sizeof(int) * ridge), *del = malloc(sizeof(int) * ridge);
    if (!list || !del) {
        free(list);
        free(del);
        return -1;
    }
    /* The test depends on the 8 neighbours only: a table per sub-iteration (the branches
     * of the test were a third of the minutiae stage). */
    unsigned char table[2][256];
    for (int pass = 0; pass < 2; pass++)
        for (int nb = 0; nb < 256; nb++)
            table[pass][nb] = (unsigned char)zs_deletable(nb, pass);
    int nl = 0; /* pixels in the list */
    /* The image's edge pixels are never tested: marked as listed, they are never added. */
    memset(in_list, 0, (size_t)w * h);
    memset(in_list, 1, (size_t)w);
    memset(in_list + (size_t)(h - 1) * w, 1, (size_t)w);
    for (int y = 0; y < h; y++)
        in_list[y * w] = in_list[y * w + w - 1] = 1;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            int i = y * w + x;
            if (s[i] && (!s[i - w - 1] || !s[i - w] || !s[i - w + 1] || !s[i - 1] || !s[i + 1] ||
                         !s[i + w - 1] || !s[i + w] || !s[i + w + 1])) {
                list[nl++] = i;
                in_list[i] = 1;
            }
        }
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int pass = 0; pass < 2; pass++) {
            int nd = 0;
            for (int k = 0; k < nl; k++) {
                del[nd] = list[k];
                nd += table[pass][zs_neighbours(s, w, list[k])];
            }
            for (int k = 0; k < nd; k++) {
                s[del[k]] = 0;
                in_list[del[k]] = 0;
            }
            changed |= nd > 0;
            /* Keep the surviving pixels, add the ridge neighbours the deletions exposed
             * (branch-free: these tests go either way at random). */
            int m = 0;
            for (int k = 0; k < nl; k++) {
                list[m] = list[k];
                m += s[list[k]] != 0;
            }
            for (int k = 0; k < nd; k++) {
                static const int DY[8] = {-1, -1, -1, 0, 0, 1, 1, 1};
                static const int DX[8] = {-1, 0, 1, -1, 1, -1, 0, 1};
                for (int e = 0; e < 8; e++) {
                    int q = del[k] + DY[e] * w + DX[e], add = (s[q] != 0) & !in_list[q];
                    list[m] = q;
                    m += add;
                    in_list[q] |= (unsigned char)add;
                }
            }
            nl = m;
        }
    }
    free(list);
    free(del);
    /* Remove staircase corners so that every ridge pixel has crossing number 2. */
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            if (!s[y * w + x])
                continue;
            int n = s[(y - 1) * w + x], e = s[y * w + x + 1], so = s[(y + 1) * w + x];
            int we = s[y * w + x - 1];
            int corner = (n && e && !s[(y + 1) * w + x - 1] && !so && !we) ||
                         (e && so && !s[(y - 1) * w + x - 1] && !n && !we) ||
                         (so && we && !s[(y - 1) * w + x + 1] && !n && !e) ||
                         (we && n && !s[(y + 1) * w + x + 1] && !so && !e);
            if (corner)
                s[y * w + x] = 0;
        }
    return 0;
}

typedef struct trace_end {
    int x, y; /* last pixel reached */
    int len;  /* steps taken */
    int stop; /* 0 length limit, 1 ending, 2 bifurcation / crossing */
} trace_end;

/* Follows the skeleton from (x,y) through its neighbour (nx,ny) for at most maxlen steps. */
static trace_end trace(const unsigned char *s, int w, int h, int x, int y, int nx, int ny,
                       int maxlen)
{
    int pathx[MAX_TRACE + 2], pathy[MAX_TRACE + 2], n = 0;
    pathx[n] = x;
    pathy[n++] = y;
    int cx = nx, cy = ny;
    trace_end r = {cx, cy, 1, 0};
    if (maxlen > MAX_TRACE)
        maxlen = MAX_TRACE;
    for (int step = 1; step <= maxlen; step++) {
        r.x = cx;
        r.y = cy;
        r.len = step;
        /* The first pixel is on the start's ring, where junction pixels touch each other:
         * judge topology only from the second step on. */
        int cn = step == 1 ? 2 : crossing(s, w, h, cx, cy);
        if (cn == 1) {
            r.stop = 1;
            return r;
        }
        if (cn >= 3) {
            r.stop = 2;
            return r;
        }
        pathx[n] = cx;
        pathy[n++] = cy;
        int bx = -1, by = -1, best = 9;
        for (int i = 0; i < 8; i++) {
            int xx = cx + RX[i], yy = cy + RY[i];
            if (!px(s, w, h, xx, yy))
                continue;
            int seen = abs(xx - x) <= 1 && abs(yy - y) <= 1; /* never back into the start */
            for (int k = n - 1; k >= 0 && k >= n - 4; k--)
                seen |= pathx[k] == xx && pathy[k] == yy;
            if (seen)
                continue;
            int rank = (i % 2); /* prefer 4-neighbours */
            if (rank < best) {
                best = rank;
                bx = xx;
                by = yy;
            }
        }
        if (bx < 0) {
            r.stop = 1;
            return r;
        }
        cx = bx;
        cy = by;
    }
    r.stop = 0;
    return r;
}

/* Starting neighbours of each branch: one pixel per run of set pixels around the ring. */
static int branches(const unsigned char *s, int w, int h, int x, int y, int bxs[4], int bys[4])
{
    int n = 0;
    for (int i = 0; i < 8 && n < 4; i++) {
        int prev = (i + 7) % 8;
        if (px(s, w, h, x + RX[i], y + RY[i]) && !px(s, w, h, x + RX[prev], y + RY[prev])) {
            /* Prefer the 4-neighbour of the run when it has one. */
            int j = i, pick = i;
            while (px(s, w, h, x + RX[j], y + RY[j])) {
                if (j % 2 == 0) {
                    pick = j;
                    break;
                }
                j = (j + 1) % 8;
                if (j == i)
                    break;
            }
            bxs[n] = x + RX[pick];
            bys[n++] = y + RY[pick];
        }
    }
    return n;
}

/* Direction of the ridge arriving at (x,y) from the traced point, in ISO radians. */
static double arrive_angle(int x, int y, trace_end t)
{
    return ang_norm(atan2(-(double)(y - t.y), (double)(x - t.x)));
}

/* Snap a traced direction to the (smoother) orientation field, keeping its sense. */
static double refine(const fx *f, int x, int y, double a)
{
    double o = fx_orientation_at(f, (float)x, (float)y);
    double d1 = fabs(ang_diff(a, o)), d2 = fabs(ang_diff(a, o + M_PI));
    double snapped = d1 < d2 ? o : o + M_PI;
    if (fmin(d1, d2) > M_PI / 4)
        return a; /* field and skeleton disagree: trust the skeleton */
    return ang_norm(snapped);
}

static int detect(const fx *f, cand *c, int cap)
{
    int w = f->w, h = f->h, n = 0;
    const unsigned char *s = f->skel;
    const float margin = BORDER_MARGIN;
    for (int y = 1; y < h - 1 && n < cap; y++)
        for (int x = 1; x < w - 1 && n < cap; x++) {
            if (!s[y * w + x] || f->dist[y * w + x] < margin)
                continue;
            int cn = crossing(s, w, h, x, y);
            if (cn != 1 && cn != 3)
                continue;
            int bx[4], by[4], nb = branches(s, w, h, x, y, bx, by);
            if ((cn == 1 && nb != 1) || (cn == 3 && nb != 3))
                continue;
            double a;
            if (cn == 1) {
                /* ISO: an ending points back along its ridge, so that it keeps its direction
                 * when pressure turns it into a bifurcation in another impression. */
                a = arrive_angle(x, y, trace(s, w, h, x, y, bx[0], by[0], TRACE_DIR_LEN)) + M_PI;
            } else {
                /* The stem is the branch farthest in angle from the other two. */
                double ang[3];
                for (int k = 0; k < 3; k++)
                    ang[k] = arrive_angle(x, y, trace(s, w, h, x, y, bx[k], by[k], TRACE_DIR_LEN));
                int stem = 0;
                double bestsep = -1;
                for (int k = 0; k < 3; k++) {
                    double sep = fmin(fabs(ang_diff(ang[k], ang[(k + 1) % 3])),
                                      fabs(ang_diff(ang[k], ang[(k + 2) % 3])));
                    if (sep > bestsep) {
                        bestsep = sep;
                        stem = k;
                    }
                }
                a = ang[stem];
            }
            float coh = fx_coherence_at(f, x, y);
            if (coh < MIN_COHERENCE)
                continue;
            c[n].x = x;
            c[n].y = y;
            c[n].type = cn == 1 ? EYNI_FINGER_ENDING : EYNI_FINGER_BIFURCATION;
            c[n].angle = refine(f, x, y, a);
            float dq = f->dist[y * w + x] / 32.0f;
            float cq = coh / 0.7f;
            c[n].rel = (dq < 1 ? dq : 1) * (cq < 1 ? cq : 1);
            c[n].dead = 0;
            n++;
        }
    return n;
}

static int find_at(cand *c, int n, int x, int y)
{
    for (int i = 0; i < n; i++)
        if (abs(c[i].x - x) <= 1 && abs(c[i].y - y) <= 1)
            return i;
    return -1;
}

/* Spurs, short ridges and bridges: minutiae joined by a skeleton path shorter than a
 * fraction of the ridge period are artefacts of noise, not of the finger. */
static void remove_short_links(const fx *f, cand *c, int n)
{
    int w = f->w, h = f->h;
    const unsigned char *s = f->skel;
    for (int i = 0; i < n; i++) {
        int b = (c[i].y / FX_BLOCK) * f->bw + c[i].x / FX_BLOCK;
        float per = f->bper[b];
        int bx[4], by[4], nb = branches(s, w, h, c[i].x, c[i].y, bx, by);
        for (int k = 0; k < nb; k++) {
            int lim = c[i].type == EYNI_FINGER_ENDING ? (int)(1.5f * per) : (int)(0.8f * per);
            trace_end t = trace(s, w, h, c[i].x, c[i].y, bx[k], by[k], lim);
            if (t.stop == 0)
                continue;
            int j = find_at(c, n, t.x, t.y);
            c[i].dead = 1;
            if (j >= 0)
                c[j].dead = 1;
        }
    }
}

/* Breaks: two endings facing each other across a short gap along the ridge flow. */
static void remove_breaks(const fx *f, cand *c, int n)
{
    for (int i = 0; i < n; i++) {
        if (c[i].type != EYNI_FINGER_ENDING)
            continue;
        int b = (c[i].y / FX_BLOCK) * f->bw + c[i].x / FX_BLOCK;
        float per = f->bper[b];
        for (int j = i + 1; j < n; j++) {
            if (c[j].type != EYNI_FINGER_ENDING)
                continue;
            double dx = c[j].x - c[i].x, dy = c[j].y - c[i].y, d = hypot(dx, dy);
            if (d > BREAK_PERIODS * per)
                continue;
            double opp = fabs(ang_diff(c[i].angle, c[j].angle + M_PI));
            double line = atan2(-dy, dx);
            double along = fabs(ang_diff(c[i].angle, line + M_PI)); /* i points to j */
            if (opp < M_PI / 4 && (along < M_PI / 4 || d < 0.5 * per)) {
                c[i].dead = 1;
                c[j].dead = 1;
            }
        }
    }
}

/* Clusters: more than 3 minutiae within one ridge period mark a noisy area. */
static void remove_clusters(const fx *f, cand *c, int n)
{
    int *cnt = calloc((size_t)n, sizeof(int));
    if (!cnt)
        return;
    for (int i = 0; i < n; i++) {
        int b = (c[i].y / FX_BLOCK) * f->bw + c[i].x / FX_BLOCK;
        float r = f->bper[b];
        for (int j = 0; j < n; j++)
            if (j != i && hypot(c[j].x - c[i].x, c[j].y - c[i].y) < r)
                cnt[i]++;
    }
    for (int i = 0; i < n; i++)
        if (cnt[i] >= 3)
            c[i].dead = 1;
    free(cnt);
}

/* Endings whose ridge, continued past the ending, would leave the foreground within a few
 * periods: the ridge runs out at the contact edge of the finger (or the sensor's), which is
 * no minutia; another impression with more contact continues that ridge. */
static void remove_runouts(const fx *f, cand *c, int n)
{
    for (int i = 0; i < n; i++) {
        if (c[i].type != EYNI_FINGER_ENDING || c[i].dead)
            continue;
        float len = RUNOUT_PERIODS * f->bper[(c[i].y / FX_BLOCK) * f->bw + c[i].x / FX_BLOCK];
        double a = c[i].angle + M_PI; /* ISO endings point into their ridge */
        for (float d = 2; d <= len; d += 2) {
            int x = (int)lrint(c[i].x + d * cos(a)), y = (int)lrint(c[i].y - d * sin(a));
            if (x < 0 || y < 0 || x >= f->w || y >= f->h || f->dist[y * f->w + x] < 1) {
                c[i].dead = 1;
                break;
            }
        }
    }
}

/* Mean clarity of the foreground blocks around a pixel. */
static float clarity_near(const fx *f, int x, int y)
{
    int bx = x / FX_BLOCK, by = y / FX_BLOCK, m = 0;
    float s = 0;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            int xx = bx + i, yy = by + j;
            if (xx < 0 || yy < 0 || xx >= f->bw || yy >= f->bh || !f->bmask[yy * f->bw + xx])
                continue;
            s += f->bclar[yy * f->bw + xx];
            m++;
        }
    return m ? s / m : 0;
}

/* The rim of the print, where pressure fades, breaks ridges into fragments: there a
 * minutia needs clear ridges around it to count. */
static void remove_rim_noise(const fx *f, cand *c, int n)
{
    for (int i = 0; i < n; i++) {
        float per = f->bper[(c[i].y / FX_BLOCK) * f->bw + c[i].x / FX_BLOCK];
        if (f->dist[c[i].y * f->w + c[i].x] <= RIM_PERIODS * per &&
            clarity_near(f, c[i].x, c[i].y) < RIM_CLARITY)
            c[i].dead = 1;
    }
}

static int cmp_rel(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return (x->rel < y->rel) - (x->rel > y->rel);
}

/* Poincare index over the 8 blocks around each block of the smoothed field. */
static void singular_points(const fx *f, eyni_finger_template *t)
{
    static const int BX[8] = {-1, 0, 1, 1, 1, 0, -1, -1};
    static const int BY[8] = {-1, -1, -1, 0, 1, 1, 1, 0};
    t->n_singular = 0;
    for (int by = 2; by < f->bh - 2; by++)
        for (int bx = 2; bx < f->bw - 2; bx++) {
            int inside = 1;
            for (int j = -2; j <= 2 && inside; j++)
                for (int i = -2; i <= 2; i++)
                    inside &= f->bmask[(by + j) * f->bw + bx + i];
            if (!inside)
                continue;
            double sum = 0;
            for (int k = 0; k < 8; k++) {
                double a = f->bori[(by + BY[k]) * f->bw + bx + BX[k]];
                double b = f->bori[(by + BY[(k + 1) % 8]) * f->bw + bx + BX[(k + 1) % 8]];
                double d = b - a;
                if (d > M_PI / 2)
                    d -= M_PI;
                else if (d < -M_PI / 2)
                    d += M_PI;
                sum += d;
            }
            int type = sum > M_PI / 2 ? 2 : sum < -M_PI / 2 ? 1 : 0;
            if (!type)
                continue;
            int x = bx * FX_BLOCK + FX_BLOCK / 2, y = by * FX_BLOCK + FX_BLOCK / 2, dup = 0;
            for (int k = 0; k < t->n_singular; k++)
                if (t->singular[k].type == type &&
                    hypot(t->singular[k].x - x, t->singular[k].y - y) < 3 * FX_BLOCK)
                    dup = 1;
            if (!dup && t->n_singular < EYNI_FINGER_MAX_SINGULAR) {
                t->singular[t->n_singular].x = x;
                t->singular[t->n_singular].y = y;
                t->singular[t->n_singular++].type = type;
            }
        }
}

int fx_minutiae(fx *f, eyni_finger_template *t, eyni_error *err)
{
    int w = f->w, h = f->h;
    f->skel = malloc((size_t)w * h);
    unsigned char *tmp = malloc((size_t)w * h);
    cand *c = malloc(sizeof(cand) * MAX_RAW);
    if (!f->skel || !tmp || !c) {
        free(tmp);
        free(c);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory finding minutiae");
    }
    for (int i = 0; i < w * h; i++)
        f->skel[i] = f->mask[i] && f->enh[i] > 0;
    if (thin(f->skel, w, h, tmp)) {
        free(tmp);
        free(c);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory thinning the ridges");
    }
    int n = detect(f, c, MAX_RAW);
    remove_short_links(f, c, n);
    remove_breaks(f, c, n);
    remove_clusters(f, c, n);
    remove_runouts(f, c, n);
    remove_rim_noise(f, c, n);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!c[i].dead)
            c[k++] = c[i];
    qsort(c, (size_t)k, sizeof(cand), cmp_rel);
    if (k > EYNI_FINGER_MAX_MINUTIAE)
        k = EYNI_FINGER_MAX_MINUTIAE;
    t->n_minutiae = k;
    for (int i = 0; i < k; i++) {
        eyni_finger_minutia *m = &t->minutiae[i];
        m->x = c[i].x;
        m->y = c[i].y;
        /* Store on the ISO grid (1.40625 degrees) so templates round-trip exactly. */
        m->angle = (double)((int)lrint(c[i].angle * 128 / M_PI) & 255) * M_PI / 128;
        m->type = c[i].type;
        m->quality = (int)lrintf(c[i].rel * 100);
        if (m->quality < 1)
            m->quality = 1;
    }
    singular_points(f, t);
    free(tmp);
    free(c);
    return 0;
}
