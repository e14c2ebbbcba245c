/*
 * Segmentation, orientation field (smoothed gradient tensor), ridge period (oriented
 * x-signature) and contextual Gabor enhancement. Follows the classic pipeline of Hong, Wan
 * and Jain (1998) as described in the Handbook of Fingerprint Recognition, ch. 3.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"

#define N_ANGLES          24   /* orientation quantisation of the Gabor bank */
#define SIGMA_PER_PERIOD  0.5f /* Gabor envelope sigma across the ridges / period */
#define SIGMA_ALONG       0.5f /* ... and along the ridges */
#define SEG_REL_THRESHOLD 0.30f
#define SEG_LOW_THRESHOLD 0.12f
#define SEG_COHERENCE     0.5f
#define SEG_NOISE_K       5.0f
#define SEG_MIN_STD       4.0f
#define MASK_SMOOTH       1.5f /* blocks */
#define ORIENT_SMOOTH     2.0f /* blocks */
#define ORIENT_SMOOTH2    1.5f /* blocks, second estimate (from the first Gabor output) */
#define GRAD_SIGMA        1.0f /* pixels: pre-smoothing of the orientation gradients */
#define DIST_CAP          64.0f
#define GROW_REACH        4 /* blocks beyond the foreground tested for faint ridges */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

#define GROW_FIT 0.2f /* Gabor fit (3x3-block smoothed) that admits such a block */

void fx_free(fx *f)
{
    if (!f)
        return;
    free(f->grey);
    free(f->norm);
    free(f->enh);
    free(f->mask);
    free(f->skel);
    free(f->bmask);
    free(f->bori);
    free(f->bcos2);
    free(f->bsin2);
    free(f->bcoh);
    free(f->bper);
    free(f->bperok);
    free(f->bclar);
    free(f->dist);
    memset(f, 0, sizeof *f);
}

double ang_norm(double a)
{
    a = fmod(a, 2 * M_PI);
    return a < 0 ? a + 2 * M_PI : a;
}

double ang_diff(double a, double b)
{
    double d = fmod(a - b, 2 * M_PI);
    if (d <= -M_PI)
        d += 2 * M_PI;
    else if (d > M_PI)
        d -= 2 * M_PI;
    return d;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Gaussian smoothing of a block field (separable, clamped borders), in place. */
/* Normalised Gaussian taps k[0..2r] for sigma, r = ceil(2.5 sigma); returns r. */
static int gauss_taps(float sigma, float *k, int rmax)
{
    int r = (int)ceilf(2.5f * sigma);
    if (r > rmax)
        r = rmax;
    float ks = 0;
    for (int i = -r; i <= r; i++)
        ks += k[i + r] = expf(-(float)(i * i) / (2 * sigma * sigma));
    for (int i = 0; i <= 2 * r; i++)
        k[i] /= ks;
    return r;
}

static void blur_field(float *v, int bw, int bh, float sigma, float *tmp)
{
    float k[32];
    int r = gauss_taps(sigma, k, 15);
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            float s = 0;
            for (int i = -r; i <= r; i++) {
                int xx = x + i < 0 ? 0 : x + i >= bw ? bw - 1 : x + i;
                s += k[i + r] * v[y * bw + xx];
            }
            tmp[y * bw + x] = s;
        }
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            float s = 0;
            for (int i = -r; i <= r; i++) {
                int yy = y + i < 0 ? 0 : y + i >= bh ? bh - 1 : y + i;
                s += k[i + r] * tmp[yy * bw + x];
            }
            v[y * bw + x] = s;
        }
}

/* Separable Gaussian blur of a w x h image with clamped borders (sigma <= 2.8). Every
 * output sums its taps in order from 0; away from the borders the taps run over whole
 * rows at a time (the same sums, vectorised). */
static float *blur_image(const float *in, int w, int h, float sigma)
{
    float *out = malloc(sizeof(float) * (size_t)w * h), *row = malloc(sizeof(float) * (size_t)w);
    float k[15];
    if (!out || !row || (int)ceilf(2.5f * sigma) > 7) {
        free(row);
        free(out);
        return NULL;
    }
    int r = gauss_taps(sigma, k, 7);
    for (int y = 0; y < h; y++) {
        float *o = out + (size_t)y * w;
        if (y - r >= 0 && y + r < h) {
            for (int x = 0; x < w; x++)
                o[x] = 0;
            for (int i = -r; i <= r; i++) {
                const float *src = in + (size_t)(y + i) * w;
                for (int x = 0; x < w; x++)
                    o[x] += k[i + r] * src[x];
            }
            continue;
        }
        for (int x = 0; x < w; x++) {
            float s = 0;
            for (int i = -r; i <= r; i++) {
                int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
                s += k[i + r] * in[yy * w + x];
            }
            o[x] = s;
        }
    }
    for (int y = 0; y < h; y++) {
        float *o = out + (size_t)y * w;
        memcpy(row, o, sizeof(float) * (size_t)w);
        for (int x = 0; x < w; x++) {
            if (x == r && w - r > r) { /* the interior, whole row at a time */
                for (int xx = r; xx < w - r; xx++)
                    o[xx] = 0;
                for (int i = -r; i <= r; i++)
                    for (int xx = r; xx < w - r; xx++)
                        o[xx] += k[i + r] * row[xx + i];
                x = w - r - 1;
                continue;
            }
            float s = 0;
            for (int i = -r; i <= r; i++) {
                int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
                s += k[i + r] * row[xx];
            }
            o[x] = s;
        }
    }
    free(row);
    return out;
}

/* Block tensor sums from Sobel gradients of g; local grey std per block for segmentation
 * (gstd may be NULL). */
static void block_tensors(const fx *f, const float *g, float *gxx, float *gyy, float *gxy,
                          float *gstd)
{
    int w = f->w, h = f->h, bw = f->bw;
    float *sum = gstd ? calloc((size_t)f->bw * f->bh, sizeof(float)) : NULL;
    float *sum2 = gstd ? calloc((size_t)f->bw * f->bh, sizeof(float)) : NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int b = (y / FX_BLOCK) * bw + x / FX_BLOCK;
            float v = g[y * w + x];
            if (sum && sum2) {
                sum[b] += v;
                sum2[b] += v * v;
            }
            if (x == 0 || y == 0 || x == w - 1 || y == h - 1)
                continue;
            const float *p = g + y * w + x;
            float dx = (p[-w + 1] + 2 * p[1] + p[w + 1]) - (p[-w - 1] + 2 * p[-1] + p[w - 1]);
            float dy = (p[w - 1] + 2 * p[w] + p[w + 1]) - (p[-w - 1] + 2 * p[-w] + p[-w + 1]);
            gxx[b] += dx * dx;
            gyy[b] += dy * dy;
            gxy[b] += dx * dy;
        }
    /* Std over the 3x3 block neighbourhood: a 24-pixel window spans two ridges. */
    for (int by = 0; by < f->bh && gstd; by++)
        for (int bx = 0; bx < bw; bx++) {
            double s = 0, s2 = 0, n = 0;
            for (int j = -1; j <= 1; j++)
                for (int i = -1; i <= 1; i++) {
                    int xx = bx + i, yy = by + j;
                    if (xx < 0 || yy < 0 || xx >= bw || yy >= f->bh || !sum || !sum2)
                        continue;
                    s += sum[yy * bw + xx];
                    s2 += sum2[yy * bw + xx];
                    n += FX_BLOCK * FX_BLOCK;
                }
            double m = n > 0 ? s / n : 0;
            double var = n > 0 ? s2 / n - m * m : 0;
            gstd[by * bw + bx] = var > 0 ? (float)sqrt(var) : 0;
        }
    free(sum);
    free(sum2);
}

/* Largest 4-connected component of the block mask, holes filled. */
static void mask_clean(unsigned char *m, int bw, int bh, int *stack)
{
    int n = bw * bh, best = 0, best_label = 0;
    int *lab = stack + n;
    memset(lab, 0, sizeof(int) * (size_t)n);
    int label = 0;
    for (int s = 0; s < n; s++) {
        if (!m[s] || lab[s])
            continue;
        int top = 0, size = 0;
        stack[top++] = s;
        lab[s] = ++label;
        while (top) {
            int p = stack[--top], x = p % bw, y = p / bw;
            size++;
            const int nb[4] = {x > 0 ? p - 1 : -1, x < bw - 1 ? p + 1 : -1, y > 0 ? p - bw : -1,
                               y < bh - 1 ? p + bw : -1};
            for (int k = 0; k < 4; k++)
                if (nb[k] >= 0 && m[nb[k]] && !lab[nb[k]]) {
                    lab[nb[k]] = label;
                    stack[top++] = nb[k];
                }
        }
        if (size > best) {
            best = size;
            best_label = label;
        }
    }
    /* Flood the background from the border; what it cannot reach is a hole. */
    memset(stack, 0, sizeof(int) * (size_t)n);
    int *outside = stack;
    int *queue = lab; /* reuse after copying the keep flags into m */
    for (int p = 0; p < n; p++)
        m[p] = best_label && lab[p] == best_label;
    int qh = 0, qt = 0;
    for (int p = 0; p < n; p++) {
        int x = p % bw, y = p / bw;
        if ((x == 0 || y == 0 || x == bw - 1 || y == bh - 1) && !m[p]) {
            outside[p] = 1;
            queue[qt++] = p;
        }
    }
    while (qh < qt) {
        int p = queue[qh++], x = p % bw, y = p / bw;
        const int nb[4] = {x > 0 ? p - 1 : -1, x < bw - 1 ? p + 1 : -1, y > 0 ? p - bw : -1,
                           y < bh - 1 ? p + bw : -1};
        for (int k = 0; k < 4; k++)
            if (nb[k] >= 0 && !m[nb[k]] && !outside[nb[k]]) {
                outside[nb[k]] = 1;
                queue[qt++] = nb[k];
            }
    }
    for (int p = 0; p < n; p++)
        m[p] = !outside[p];
}

/* Binary morphology on the block grid with a 3x3 element. */
static void morph(unsigned char *m, unsigned char *tmp, int bw, int bh, int dilate)
{
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            int v = dilate ? 0 : 1;
            for (int j = -1; j <= 1; j++)
                for (int i = -1; i <= 1; i++) {
                    int xx = x + i, yy = y + j;
                    int in = xx >= 0 && yy >= 0 && xx < bw && yy < bh ? m[yy * bw + xx] : 0;
                    v = dilate ? (v | in) : (v & in);
                }
            tmp[y * bw + x] = (unsigned char)v;
        }
    memcpy(m, tmp, (size_t)bw * bh);
}

/* Gaussian majority vote over the block mask, then its largest component, holes filled.
 * val and tmp hold bw x bh floats, stack 2 x bw x bh ints. */
static void smooth_outline(unsigned char *m, int bw, int bh, float *val, float *tmp, int *stack)
{
    for (int b = 0; b < bw * bh; b++)
        val[b] = m[b];
    blur_field(val, bw, bh, MASK_SMOOTH, tmp);
    for (int b = 0; b < bw * bh; b++)
        m[b] = val[b] > 0.5f;
    mask_clean(m, bw, bh, stack);
}

/* Block ridge orientation from a smoothed doubled-angle gradient vector (vx, vy). */
static void set_orientation(fx *f, int b, float vx, float vy)
{
    float o = 0.5f * atan2f(vy, vx) + (float)M_PI / 2;
    if (o >= (float)M_PI)
        o -= (float)M_PI;
    if (o < 0)
        o += (float)M_PI;
    f->bori[b] = o;
    f->bcos2[b] = cosf(2 * o);
    f->bsin2[b] = sinf(2 * o);
}

static int segment_and_orient(fx *f, eyni_error *err)
{
    int nb = f->bw * f->bh, rc = EYNI_ENOMEM;
    float *gxx = calloc((size_t)nb, sizeof(float)), *gyy = calloc((size_t)nb, sizeof(float));
    float *gxy = calloc((size_t)nb, sizeof(float)), *gstd = calloc((size_t)nb, sizeof(float));
    float *tmp = calloc((size_t)nb, sizeof(float)), *sorted = calloc((size_t)nb, sizeof(float));
    float *vx = calloc((size_t)nb, sizeof(float)), *vy = calloc((size_t)nb, sizeof(float));
    int *stack = calloc((size_t)nb * 2, sizeof(int));
    f->bmask = calloc((size_t)nb, 1);
    f->bori = calloc((size_t)nb, sizeof(float));
    f->bcos2 = calloc((size_t)nb, sizeof(float));
    f->bsin2 = calloc((size_t)nb, sizeof(float));
    f->bcoh = calloc((size_t)nb, sizeof(float));
    if (!gxx || !gyy || !gxy || !gstd || !tmp || !sorted || !vx || !vy || !stack || !f->bmask ||
        !f->bori || !f->bcos2 || !f->bsin2 || !f->bcoh)
        goto fail;
    block_tensors(f, f->grey, gxx, gyy, gxy, gstd);

    /* Coherence from the tensor over 3x3 blocks; orientation from doubled-angle vectors
     * smoothed with a Gaussian (sigma 1.5 blocks), which removes scars and noise. */
    for (int b = 0; b < nb; b++) {
        vx[b] = gxx[b] - gyy[b];
        vy[b] = -2 * gxy[b]; /* y up, so angles follow the ISO convention */
        tmp[b] = gxx[b] + gyy[b];
    }
    memcpy(gxx, vx, sizeof(float) * (size_t)nb);
    memcpy(gyy, vy, sizeof(float) * (size_t)nb);
    memcpy(gxy, tmp, sizeof(float) * (size_t)nb);
    blur_field(gxx, f->bw, f->bh, 1.0f, tmp);
    blur_field(gyy, f->bw, f->bh, 1.0f, tmp);
    blur_field(gxy, f->bw, f->bh, 1.0f, tmp);
    for (int b = 0; b < nb; b++)
        f->bcoh[b] = gxy[b] > 1e-6f ? sqrtf(gxx[b] * gxx[b] + gyy[b] * gyy[b]) / gxy[b] : 0;
    /* Foreground: grey-level spread relative to the image's own strong blocks, so the rule
     * holds for optical and capacitive sensors alike. */
    memcpy(sorted, gstd, sizeof(float) * (size_t)nb);
    qsort(sorted, (size_t)nb, sizeof(float), cmp_float);
    float ref = sorted[(int)(0.95 * (nb - 1))];
    /* The quietest blocks tell the sensor's background noise; a block well above it is
     * finger, unless the finger fills the frame (then the relative rule decides). */
    float noise = sorted[(int)(0.05 * (nb - 1))];
    float thr = SEG_REL_THRESHOLD * ref;
    if (SEG_NOISE_K * noise < thr)
        thr = SEG_NOISE_K * noise;
    if (thr < SEG_MIN_STD)
        thr = SEG_MIN_STD;
    /* Faint but well-formed ridges (coherent flow) count as well as contrasty ones. */
    float lo = SEG_LOW_THRESHOLD * ref, ch = SEG_COHERENCE;
    for (int b = 0; b < nb; b++)
        f->bmask[b] = gstd[b] > thr || (gstd[b] > lo && f->bcoh[b] > ch);
    unsigned char *mt = (unsigned char *)sorted; /* nb bytes of scratch */
    morph(f->bmask, mt, f->bw, f->bh, 1);
    morph(f->bmask, mt, f->bw, f->bh, 0);
    morph(f->bmask, mt, f->bw, f->bh, 0);
    morph(f->bmask, mt, f->bw, f->bh, 1);
    mask_clean(f->bmask, f->bw, f->bh, stack);
    /* A finger's outline is smooth: majority vote over a Gaussian neighbourhood removes
     * ragged notches and protrusions, which would otherwise breed false border minutiae. */
    smooth_outline(f->bmask, f->bw, f->bh, gstd, tmp, stack); /* gstd is no longer needed */

    /* The orientation comes from gradients of a slightly smoothed image: pores, dots and
     * sensor grain are isotropic and only a pixel or two wide, so without this they pull
     * the tensor of faint or dotted ridges towards noise. Coherence and segmentation keep
     * the raw gradients, where the smoothing would make striped sensor background look
     * coherent. */
    float *sm = blur_image(f->grey, f->w, f->h, GRAD_SIGMA);
    if (!sm)
        goto fail;
    memset(gxx, 0, sizeof(float) * (size_t)nb);
    memset(gyy, 0, sizeof(float) * (size_t)nb);
    memset(gxy, 0, sizeof(float) * (size_t)nb);
    block_tensors(f, sm, gxx, gyy, gxy, NULL);
    free(sm);
    /* Each block votes with its unit doubled-angle vector scaled by its own coherence, not
     * by its gradient energy: otherwise a few high-contrast blocks (ink blots, dark pores,
     * a scar's edge) outvote the faint but regular ridges around them. */
    for (int b = 0; b < nb; b++) {
        float e = gxx[b] + gyy[b], inv = e > 1e-6f ? 1.0f / e : 0;
        vx[b] = (gxx[b] - gyy[b]) * inv;
        vy[b] = -2 * gxy[b] * inv;
    }
    blur_field(vx, f->bw, f->bh, ORIENT_SMOOTH, tmp);
    blur_field(vy, f->bw, f->bh, ORIENT_SMOOTH, tmp);
    for (int b = 0; b < nb; b++)
        set_orientation(f, b, vx[b], vy[b]);
    rc = 0;
fail:
    free(gxx);
    free(gyy);
    free(gxy);
    free(gstd);
    free(tmp);
    free(sorted);
    free(vx);
    free(vy);
    free(stack);
    if (rc)
        eyni_error_set(err, rc, "finger: out of memory computing the orientation field");
    return rc;
}

float fx_orientation_at(const fx *f, float x, float y)
{
    /* Bilinear interpolation of the doubled-angle unit vectors between block centres. */
    float bx = x / FX_BLOCK - 0.5f, by = y / FX_BLOCK - 0.5f;
    int x0 = (int)floorf(bx), y0 = (int)floorf(by);
    float ax = bx - x0, ay = by - y0, sc = 0, ss = 0;
    for (int j = 0; j <= 1; j++)
        for (int i = 0; i <= 1; i++) {
            int xx = x0 + i < 0 ? 0 : x0 + i >= f->bw ? f->bw - 1 : x0 + i;
            int yy = y0 + j < 0 ? 0 : y0 + j >= f->bh ? f->bh - 1 : y0 + j;
            float wgt = (i ? ax : 1 - ax) * (j ? ay : 1 - ay);
            sc += wgt * f->bcos2[yy * f->bw + xx];
            ss += wgt * f->bsin2[yy * f->bw + xx];
        }
    float o = 0.5f * atan2f(ss, sc);
    return o < 0 ? o + (float)M_PI : o;
}

/* Lane-wise a where m is set, else b. */
static v4f vsel(v4i m, v4f a, v4f b)
{
    v4i ai, bi;
    memcpy(&ai, &a, sizeof ai);
    memcpy(&bi, &b, sizeof bi);
    ai = (ai & m) | (bi & ~m);
    memcpy(&a, &ai, sizeof a);
    return a;
}

static v4f vabs(v4f a)
{
    v4i ai;
    memcpy(&ai, &a, sizeof ai);
    ai &= 0x7fffffff;
    memcpy(&a, &ai, sizeof a);
    return a;
}

/* atan2 within 1e-5 rad (minimax polynomial on the first octant), for the bin of the
 * Gabor bank: the libm call per pixel cost more than a tenth of the extraction. Four
 * lanes at once, each with the float operations of the scalar form. */
static v4f fast_atan2(v4f y, v4f x)
{
    v4f ax = vabs(x), ay = vabs(y), zero = {0, 0, 0, 0};
    v4f mx = vsel(ax > ay, ax, ay), mn = vsel(ax > ay, ay, ax);
    v4f t = vsel(mx > 0, mn / mx, zero), t2 = t * t;
    v4f a =
        t *
        (0.99997726f +
         t2 * (-0.33262347f +
               t2 * (0.19354346f + t2 * (-0.11643287f + t2 * (0.05265332f + t2 * -0.01172120f)))));
    a = vsel(ay > ax, (float)M_PI / 2 - a, a);
    a = vsel(x < 0, (float)M_PI - a, a);
    return vsel(y < 0, -a, a);
}

/* Bank bins (0..N_ANGLES-1) of the ridge orientation at the pixels from..to-1 of row y
 * (from a multiple of 4; bin must hold to rounded up to 4), interpolated like
 * fx_orientation_at from the doubled-angle field cos2, sin2 (f's own or an earlier one),
 * four pixels at a time. */
static void orientation_bins(const fx *f, const float *cos2, const float *sin2, int y, int from,
                             int to, int *bin)
{
    float by = (float)y / FX_BLOCK - 0.5f;
    int y0 = (int)(by + 1) - 1; /* floor, as by >= -0.5 */
    float ay = by - y0;
    int r0 = (y0 < 0 ? 0 : y0 >= f->bh ? f->bh - 1 : y0) * f->bw;
    int r1 = (y0 + 1 < 0 ? 0 : y0 + 1 >= f->bh ? f->bh - 1 : y0 + 1) * f->bw;
    for (int x = from; x < to; x += 4) {
        v4f bx = (v4f){(float)x, (float)x + 1, (float)x + 2, (float)x + 3} / FX_BLOCK - 0.5f;
        /* x is a multiple of 4, so the four pixels lie between the same block centres
         * (bx spans m - 0.5 .. m - 0.125 or m .. m + 0.375): one x0 for all lanes. */
        int x0 = (int)(bx[0] + 1) - 1; /* floor, as bx >= -0.5 */
        v4f ax = bx - (float)x0;
        int c0 = x0 < 0 ? 0 : x0 >= f->bw ? f->bw - 1 : x0;
        int c1 = x0 + 1 < 0 ? 0 : x0 + 1 >= f->bw ? f->bw - 1 : x0 + 1;
        v4f w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
        v4f sc = {0, 0, 0, 0}, ss = {0, 0, 0, 0};
        sc += w00 * cos2[r0 + c0];
        ss += w00 * sin2[r0 + c0];
        sc += w01 * cos2[r0 + c1];
        ss += w01 * sin2[r0 + c1];
        sc += w10 * cos2[r1 + c0];
        ss += w10 * sin2[r1 + c0];
        sc += w11 * cos2[r1 + c1];
        ss += w11 * sin2[r1 + c1];
        /* Doubled angle in (-pi, pi] -> orientation in [0, pi) -> nearest of N_ANGLES bins. */
        v4f o = 0.5f * fast_atan2(ss, sc);
        o = vsel(o < 0, o + (float)M_PI, o);
        v4i k = __builtin_convertvector(o / (float)M_PI * N_ANGLES + 0.5f, v4i);
        k &= k != N_ANGLES; /* k is 0..N_ANGLES, and N_ANGLES is bin 0 */
        memcpy(bin + x, &k, sizeof k);
    }
}

float fx_coherence_at(const fx *f, int x, int y)
{
    int bx = x / FX_BLOCK, by = y / FX_BLOCK;
    if (bx < 0 || by < 0 || bx >= f->bw || by >= f->bh)
        return 0;
    return f->bcoh[by * f->bw + bx];
}

/* Local mean/std normalisation over a 2-block box; ridges (dark) become positive. The
 * grey levels are integers, so the box sums are exact: running column sums in integers
 * give the same mean and spread as any other exact summation, with no w x h tables. */
static int normalise(fx *f, eyni_error *err)
{
    int w = f->w, h = f->h, r = FX_BLOCK * 2;
    /* column sums of v and v^2 over the rows of the box; v <= 255, a box holds 33 x 33 */
    int32_t *cs = calloc((size_t)w, sizeof(int32_t)), *cs2 = calloc((size_t)w, sizeof(int32_t));
    f->norm = malloc(sizeof(float) * (size_t)w * h);
    if (!cs || !cs2 || !f->norm) {
        free(cs);
        free(cs2);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory normalising");
    }
    int top = 0, bot = 0; /* rows [top, bot) are in the column sums */
    for (int y = 0; y < h; y++) {
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
        for (; bot < y1; bot++)
            for (int x = 0; x < w; x++) {
                int32_t v = (int32_t)f->grey[bot * w + x];
                cs[x] += v;
                cs2[x] += v * v;
            }
        for (; top < y0; top++)
            for (int x = 0; x < w; x++) {
                int32_t v = (int32_t)f->grey[top * w + x];
                cs[x] -= v;
                cs2[x] -= v * v;
            }
        int64_t s = 0, s2 = 0; /* box sums over columns [x0, x1) */
        int x0 = 0, x1 = 0;
        for (int x = 0; x < w; x++) {
            int nx0 = x - r < 0 ? 0 : x - r, nx1 = x + r + 1 > w ? w : x + r + 1;
            for (; x1 < nx1; x1++) {
                s += cs[x1];
                s2 += cs2[x1];
            }
            for (; x0 < nx0; x0++) {
                s -= cs[x0];
                s2 -= cs2[x0];
            }
            double n = (double)(x1 - x0) * (y1 - y0);
            double m = (double)s / n, var = (double)s2 / n - m * m;
            double sd = var > 1 ? sqrt(var) : 1;
            f->norm[y * w + x] = (float)((m - f->grey[y * w + x]) / sd);
        }
    }
    free(cs);
    free(cs2);
    return 0;
}

/* Ridge period of one block from the signature across the ridges (Hong et al.). */
static float block_period(const fx *f, const float *src, int bx, int by, float *clarity)
{
    enum { L = 40, W = 16 };
    float sig[L];
    float o = f->bori[by * f->bw + bx];
    float tx = cosf(o), ty = -sinf(o); /* along the ridge (y down) */
    float nx = -ty, ny = tx;           /* across the ridges */
    float cx = bx * FX_BLOCK + FX_BLOCK / 2.0f, cy = by * FX_BLOCK + FX_BLOCK / 2.0f;
    /* Line by line along the ridge, four positions across it at a time, each position
     * summed over j in order in its own lane, with the same float expressions as one
     * sample at a time; the ten sums of a line are independent, so they overlap. */
    const v4f fw = {(float)f->w, (float)f->w, (float)f->w, (float)f->w};
    const v4f fh = {(float)f->h, (float)f->h, (float)f->h, (float)f->h};
    v4f s[L / 4], un[L / 4], uy[L / 4];
    v4i n[L / 4];
    for (int g = 0; g < L / 4; g++) {
        int k = 4 * g;
        v4f u = (v4f){(float)k, (float)k + 1, (float)k + 2, (float)k + 3} - L / 2.0f;
        un[g] = u * nx;
        uy[g] = u * ny;
        s[g] = (v4f){0, 0, 0, 0};
        n[g] = (v4i){0, 0, 0, 0};
    }
    /* Whether the whole window is inside the image (with a pixel to spare for rounding):
     * then no sample needs the bounds test, and every count is W. */
    float rx = (L / 2.0f) * fabsf(nx) + (W / 2.0f) * fabsf(tx) + 1;
    float ry = (L / 2.0f) * fabsf(ny) + (W / 2.0f) * fabsf(ty) + 1;
    int inside =
        cx - rx >= 0 && cx + rx + 1 < (float)f->w && cy - ry >= 0 && cy + ry + 1 < (float)f->h;
    for (int j = 0; j < W && inside; j++) {
        float v = (float)j - W / 2.0f, vx = v * tx, vy = v * ty;
        for (int g = 0; g < L / 4; g++) {
            v4f xf = cx + un[g] + vx + 0.5f, yf = cy + uy[g] + vy + 0.5f;
            v4i idx = __builtin_convertvector(yf, v4i) * f->w + __builtin_convertvector(xf, v4i);
            s[g] += (v4f){src[idx[0]], src[idx[1]], src[idx[2]], src[idx[3]]};
        }
    }
    for (int g = 0; g < L / 4 && inside; g++)
        n[g] = (v4i){W, W, W, W};
    for (int j = 0; j < W && !inside; j++) {
        float v = (float)j - W / 2.0f, vx = v * tx, vy = v * ty;
        for (int g = 0; g < L / 4; g++) {
            v4f xf = cx + un[g] + vx + 0.5f, yf = cy + uy[g] + vy + 0.5f;
            v4i in = (xf >= 0) & (yf >= 0) & (xf < fw) & (yf < fh);
            /* nearest pixel (truncation, as xf >= 0); a lane off the image reads pixel 0
             * and keeps its sum */
            xf = vsel(in, xf, (v4f){0, 0, 0, 0});
            yf = vsel(in, yf, (v4f){0, 0, 0, 0});
            v4i idx = __builtin_convertvector(yf, v4i) * f->w + __builtin_convertvector(xf, v4i);
            v4f px = {src[idx[0]], src[idx[1]], src[idx[2]], src[idx[3]]};
            s[g] = vsel(in, s[g] + px, s[g]);
            n[g] -= in; /* in is -1 where set */
        }
    }
    for (int k = 0; k < L; k++)
        sig[k] = n[k / 4][k % 4] ? s[k / 4][k % 4] / n[k / 4][k % 4] : 0;
    float sm[L], lo = 1e9f, hi = -1e9f;
    for (int k = 0; k < L; k++) {
        float a = sig[k > 0 ? k - 1 : 0], b = sig[k], c = sig[k < L - 1 ? k + 1 : L - 1];
        sm[k] = 0.25f * a + 0.5f * b + 0.25f * c;
        lo = sm[k] < lo ? sm[k] : lo;
        hi = sm[k] > hi ? sm[k] : hi;
    }
    *clarity = (hi - lo) / 3.0f > 1 ? 1 : (hi - lo) / 3.0f;
    int first = -1, last = -1, peaks = 0;
    for (int k = 1; k < L - 1; k++)
        if (sm[k] > sm[k - 1] && sm[k] >= sm[k + 1] && sm[k] > 0) {
            if (first < 0)
                first = k;
            last = k;
            peaks++;
        }
    if (peaks < 2 || hi - lo < 0.5f)
        return 0;
    float per = (float)(last - first) / (float)(peaks - 1);
    return per >= FX_MIN_PERIOD && per <= FX_MAX_PERIOD ? per : 0;
}

/* Block ridge periods measured on src; on the second call (the first Gabor output) only
 * the periods are replaced: clarity and "measured" keep describing the raw image. */
static int frequency(fx *f, const float *src, eyni_error *err)
{
    int nb = f->bw * f->bh, again = f->bper != NULL;
    if (!again) {
        f->bper = calloc((size_t)nb, sizeof(float));
        f->bperok = calloc((size_t)nb, 1);
        f->bclar = calloc((size_t)nb, sizeof(float));
    } else
        memset(f->bper, 0, sizeof(float) * (size_t)nb);
    float *wsum = calloc((size_t)nb, sizeof(float)), *tmp = calloc((size_t)nb, sizeof(float));
    float *vals = calloc((size_t)nb, sizeof(float));
    if (!f->bper || !f->bperok || !f->bclar || !wsum || !tmp || !vals) {
        free(wsum);
        free(tmp);
        free(vals);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory estimating frequency");
    }
    int nv = 0;
    for (int by = 0; by < f->bh; by++)
        for (int bx = 0; bx < f->bw; bx++) {
            int b = by * f->bw + bx;
            if (!f->bmask[b])
                continue;
            float clar;
            float p = block_period(f, src, bx, by, &clar);
            if (!again)
                f->bclar[b] = clar;
            if (p > 0) {
                f->bper[b] = p;
                f->bperok[b] |= !again;
                wsum[b] = 1;
                vals[nv++] = p;
            }
        }
    float med = 9.0f; /* typical adult ridge period at 500 ppi when nothing is measurable */
    if (nv > 0) {
        qsort(vals, (size_t)nv, sizeof(float), cmp_float);
        med = vals[nv / 2];
    }
    /* Normalised convolution fills unmeasured blocks and smooths measured ones. */
    blur_field(f->bper, f->bw, f->bh, 2.0f, tmp);
    blur_field(wsum, f->bw, f->bh, 2.0f, tmp);
    for (int b = 0; b < nb; b++) {
        float p = wsum[b] > 0.05f ? f->bper[b] / wsum[b] : med;
        if (p < 0.75f * med)
            p = 0.75f * med;
        if (p > 1.33f * med)
            p = 1.33f * med;
        f->bper[b] = p;
    }
    free(wsum);
    free(tmp);
    free(vals);
    return 0;
}

/*
 * Gabor kernel as one run of taps per kernel row: the envelope is convex, so the taps that
 * matter (weight >= 2 % of the peak) are contiguous along a row. Each run is padded with
 * zero weights to a multiple of 4, so that the filter reads contiguous pixels four at a
 * time (vector loads instead of one gather per tap; this halves the extraction time).
 */
typedef struct gkernel {
    int rows;   /* runs, one per kernel row that has taps */
    int *dy;    /* row offset of each run */
    int *dx;    /* column offset of its first tap */
    int *len;   /* taps in the run, a multiple of 4 */
    float *wt;  /* weights of all runs, concatenated */
    int reach;  /* largest |dx| or |dy| a tap reaches, padding included */
    float gain; /* response to a unit-RMS sinusoid of the kernel's own period and angle */
} gkernel;

static void gkernel_free(gkernel *k)
{
    free(k->dy);
    free(k->dx);
    free(k->len);
    free(k->wt);
}

static int gabor_kernel(gkernel *k, float angle, float period)
{
    float sigma = SIGMA_PER_PERIOD * period, sv = SIGMA_ALONG * period;
    int r = (int)ceilf(2.5f * (sigma > sv ? sigma : sv)), side = 2 * r + 1;
    k->dy = malloc(sizeof(int) * (size_t)side);
    k->dx = malloc(sizeof(int) * (size_t)side);
    k->len = malloc(sizeof(int) * (size_t)side);
    k->wt = calloc((size_t)side * (side + 3), sizeof(float));
    float *sq = malloc(sizeof(float) * (size_t)side * side); /* NAN: outside the envelope */
    float *gs = malloc(sizeof(float) * (size_t)side * side),
          *cz = malloc(sizeof(float) * (size_t)side * side);
    if (!k->dy || !k->dx || !k->len || !k->wt || !sq || !gs || !cz) {
        free(sq);
        free(gs);
        free(cz);
        return -1;
    }
    float c = cosf(angle), s = sinf(angle), mean = 0, gc2 = 0, csum = 0;
    int taps = 0, used = 0;
    for (int y = -r; y <= r; y++)
        for (int x = -r; x <= r; x++) {
            /* The kernel is point-symmetric: (-x, -y) has u and v exactly negated (the
             * products and sums of the rotation round symmetrically), hence the same
             * envelope and cosine; the second half copies the first. */
            int i = (y + r) * side + x + r, m = side * side - 1 - i;
            float g, cs;
            if (i > m) {
                g = gs[m];
                cs = cz[m];
            } else {
                /* u across the ridges, v along them (ridge direction (c, -s) in y-down). */
                float v = x * c - y * s, u = x * s + y * c;
                g = expf(-u * u / (2 * sigma * sigma) - v * v / (2 * sv * sv));
                cs = g >= 0.02f ? cosf(fabsf(2 * (float)M_PI * u / period)) : 0;
            }
            gs[i] = g;
            cz[i] = cs;
            float wv = g * cs;
            sq[i] = g < 0.02f ? NAN : wv;
            if (g >= 0.02f) {
                mean += wv;
                gc2 += wv * cs;
                csum += cs;
                taps++;
            }
        }
    free(gs);
    free(cz);
    /* The DC term is removed over the taps, so flat grey gives 0 whatever the period. */
    mean /= (float)(taps ? taps : 1);
    /* Response to the in-phase sinusoid of amplitude sqrt(2) (RMS 1): the sum over the taps
     * of (g cos - mean) x sqrt(2) cos. */
    k->gain = sqrtf(2.0f) * (gc2 - mean * csum);
    k->rows = 0;
    k->reach = 0;
    for (int y = 0; y < side; y++) {
        const float *row = sq + y * side;
        int first = 0, last = side - 1;
        while (first < side && isnan(row[first]))
            first++;
        while (last >= first && isnan(row[last]))
            last--;
        if (last < first)
            continue;
        int n = (last - first + 4) / 4 * 4;
        for (int i = 0; i < n; i++) /* the padding stays 0 */
            k->wt[used + i] = first + i <= last ? row[first + i] - mean : 0;
        k->dy[k->rows] = y - r;
        k->dx[k->rows] = first - r;
        k->len[k->rows++] = n;
        used += n;
        int reach = first - r + n - 1;
        reach = reach > r - first ? reach : r - first;
        reach = reach > abs(y - r) ? reach : abs(y - r);
        k->reach = reach > k->reach ? reach : k->reach;
    }
    free(sq);
    return 0;
}

/* Dot product of one run of taps with the pixels from src on. */
static v4f run_dot(const float *src, const float *wt, int len, v4f acc)
{
    for (int i = 0; i < len; i += 4) {
        v4f a, b;
        memcpy(&a, src + i, sizeof a); /* unaligned load */
        memcpy(&b, wt + i, sizeof b);
        acc += a * b;
    }
    return acc;
}

/* Filter response at pixel p of an image with rows of `stride` floats and a zero margin
 * wider than the kernel's reach. Pairs of rows feed two accumulators, so consecutive
 * additions do not wait for each other. */
static float gabor_at(const gkernel *k, const float *img, long stride, long p)
{
    v4f a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0};
    const float *wt = k->wt;
    int j = 0;
    for (; j + 1 < k->rows; j += 2) {
        a0 = run_dot(img + p + k->dy[j] * stride + k->dx[j], wt, k->len[j], a0);
        wt += k->len[j];
        a1 = run_dot(img + p + k->dy[j + 1] * stride + k->dx[j + 1], wt, k->len[j + 1], a1);
        wt += k->len[j + 1];
    }
    if (j < k->rows)
        a0 = run_dot(img + p + k->dy[j] * stride + k->dx[j], wt, k->len[j], a0);
    v4f t = a0 + a1;
    return (t[0] + t[1]) + (t[2] + t[3]);
}

/* One run of taps at four neighbouring pixels src, src+1, src+2, src+3. */
static void run_dot4(const float *src, const float *wt, int len, v4f *acc)
{
    v4f c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3];
    for (int i = 0; i < len; i += 4) {
        v4f a, b;
        memcpy(&b, wt + i, sizeof b);
        memcpy(&a, src + i, sizeof a);
        c0 += a * b;
        memcpy(&a, src + i + 1, sizeof a);
        c1 += a * b;
        memcpy(&a, src + i + 2, sizeof a);
        c2 += a * b;
        memcpy(&a, src + i + 3, sizeof a);
        c3 += a * b;
    }
    acc[0] = c0;
    acc[1] = c1;
    acc[2] = c2;
    acc[3] = c3;
}

/* ... and at two. */
static void run_dot2(const float *src, const float *wt, int len, v4f *acc)
{
    v4f c0 = acc[0], c1 = acc[1];
    for (int i = 0; i < len; i += 4) {
        v4f a, b;
        memcpy(&b, wt + i, sizeof b);
        memcpy(&a, src + i, sizeof a);
        c0 += a * b;
        memcpy(&a, src + i + 1, sizeof a);
        c1 += a * b;
    }
    acc[0] = c0;
    acc[1] = c1;
}

/* Responses of the same kernel at n (2 or 4) neighbouring pixels p, p+1, ... of a row.
 * Each pixel's sums run in exactly the order of gabor_at (so the results are
 * bit-identical), but the chains of different pixels are independent: one pixel's
 * additions wait on each other's latency, several pixels' fill the adder's pipeline. */
static void gabor_atn(const gkernel *k, const float *img, long stride, long p, float *out, int n)
{
    v4f a0[4] = {{0}}, a1[4] = {{0}};
    const float *wt = k->wt;
    for (int j = 0; j < k->rows; j++) {
        const float *src = img + p + k->dy[j] * stride + k->dx[j];
        if (n == 4)
            run_dot4(src, wt, k->len[j], j & 1 ? a1 : a0);
        else
            run_dot2(src, wt, k->len[j], j & 1 ? a1 : a0);
        wt += k->len[j];
    }
    for (int q = 0; q < n; q++) {
        v4f t = a0[q] + a1[q];
        out[q] = (t[0] + t[1]) + (t[2] + t[3]);
    }
}

/* The bank holds a kernel per orientation and half-pixel period, built on first use. */
#define BANK_PERIODS ((int)FX_MAX_PERIOD * 2 + 1)

/* Margin of zeros around the normalised image: wider than any kernel's reach (radius
 * 2.5 x 0.5 x 18 px, plus the padding of a run), so every pixel takes the fast path and
 * taps outside the image count as 0. */
#define GABOR_PAD 32

/* Copy of the normalised image inside a zero margin of GABOR_PAD pixels. */
static float *padded_norm(const fx *f)
{
    long stride = f->w + 2 * GABOR_PAD;
    float *p = calloc((size_t)stride * (f->h + 2 * GABOR_PAD), sizeof(float));
    if (p)
        for (int y = 0; y < f->h; y++)
            memcpy(p + (y + GABOR_PAD) * stride + GABOR_PAD, f->norm + (long)y * f->w,
                   sizeof(float) * (size_t)f->w);
    return p;
}

/* The field a Gabor pass used (doubled-angle vectors and period per block), so that a
 * later pass knows which kernel each pixel had. */
typedef struct gfield {
    float *cos2, *sin2, *per;
} gfield;

/* Bank index of the kernel for the orientation bin ai and the block period per. */
static int kernel_index(int ai, float per, int *pi)
{
    int np = BANK_PERIODS;
    *pi = (int)(per * 2 + 0.5f); /* half-pixel period steps */
    return ai * np + (*pi < np ? *pi : np - 1);
}

/*
 * Gabor filter of the normalised image over the blocks set in bm (which become the pixel
 * mask). fit, if not NULL, receives per block the RMS response relative to the kernel's
 * response to a clean ridge pattern: near 1 where the image is ridges of the estimated
 * orientation and period, small where it is noise. With prev (the field of the pass that
 * made f->enh and f->mask), the pass works in place: a pixel whose kernel is the one it
 * had then keeps its response (same image, same kernel), about half of them.
 */
static int enhance(fx *f, gkernel *bank, const float *pad, const unsigned char *bm, float *fit,
                   const gfield *prev, eyni_error *err)
{
    int w = f->w, h = f->h, rc = EYNI_ENOMEM;
    long stride = w + 2 * GABOR_PAD;
    if (!prev) {
        free(f->enh);
        free(f->mask);
        f->enh = calloc((size_t)w * h, sizeof(float));
        f->mask = calloc((size_t)w * h, 1);
    }
    gkernel **kern = malloc(sizeof(gkernel *) * (size_t)(w + 4));
    gkernel **todo = malloc(sizeof(gkernel *) * (size_t)(w + 4));
    int *bin = malloc(sizeof(int) * (size_t)(w + 4)), *bin0 = malloc(sizeof(int) * (size_t)(w + 4));
    if (!f->enh || !f->mask || !kern || !todo || !bin || !bin0)
        goto fail;
    if (fit)
        memset(fit, 0, sizeof(float) * (size_t)f->bw * f->bh);
    for (int y = 0; y < h; y++) {
        /* The kernel of every pixel of the row first (NULL off the mask), then the
         * responses, four pixels at a time where they share a kernel. */
        /* bins only between the row's first and last filtered block */
        const unsigned char *brow = bm + (y / FX_BLOCK) * f->bw;
        int b0 = 0, b1 = f->bw;
        while (b0 < b1 && !brow[b0])
            b0++;
        while (b1 > b0 && !brow[b1 - 1])
            b1--;
        int from = b0 * FX_BLOCK, to = b1 * FX_BLOCK < w ? b1 * FX_BLOCK : w;
        orientation_bins(f, f->bcos2, f->bsin2, y, from, to, bin);
        if (prev)
            orientation_bins(f, prev->cos2, prev->sin2, y, from, to, bin0);
        float *out = f->enh + (size_t)y * w;
        unsigned char *mrow = f->mask + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            int b = (y / FX_BLOCK) * f->bw + x / FX_BLOCK, pi, pi0;
            kern[x] = todo[x] = NULL;
            if (!bm[b]) {
                out[x] = 0;
                mrow[x] = 0;
                continue;
            }
            int ki = kernel_index(bin[x], f->bper[b], &pi);
            gkernel *k = &bank[ki];
            kern[x] = k;
            if (prev && mrow[x] && kernel_index(bin0[x], prev->per[b], &pi0) == ki)
                continue; /* out[x] stands */
            mrow[x] = 1;
            if (!k->wt && gabor_kernel(k, (float)bin[x] * (float)M_PI / N_ANGLES, pi / 2.0f))
                goto fail;
            if (k->reach > GABOR_PAD) { /* cannot happen with the period limits */
                rc = EYNI_EINTERNAL;
                goto fail;
            }
            todo[x] = k;
        }
        todo[w] = todo[w + 1] = todo[w + 2] = todo[w + 3] = NULL;
        long p0 = (y + GABOR_PAD) * stride + GABOR_PAD;
        for (int x = 0; x < w;) {
            const gkernel *k = todo[x];
            if (!k) {
                x++;
                continue;
            }
            int n = k != todo[x + 1] ? 1 : k == todo[x + 2] && k == todo[x + 3] ? 4 : 2;
            if (n == 4)
                gabor_atn(k, pad, stride, p0 + x, out + x, 4);
            else if (n == 2)
                gabor_atn(k, pad, stride, p0 + x, out + x, 2);
            else
                out[x] = gabor_at(k, pad, stride, p0 + x);
            x += n;
        }
        for (int x = 0; fit && x < w; x++)
            if (kern[x])
                fit[(y / FX_BLOCK) * f->bw + x / FX_BLOCK] +=
                    out[x] * out[x] / (kern[x]->gain * kern[x]->gain);
    }
    for (int b = 0; fit && b < f->bw * f->bh; b++)
        fit[b] = sqrtf(fit[b] / (FX_BLOCK * FX_BLOCK));
    rc = 0;
fail:
    free(kern);
    free(todo);
    free(bin);
    free(bin0);
    if (rc)
        eyni_error_set(err, rc, "finger: %s in the Gabor enhancement",
                       rc == EYNI_ENOMEM ? "out of memory" : "kernel wider than the margin");
    return rc;
}

/* Two-pass chamfer distance to the background, capped. The minimum is exact and its
 * order free (no NaN, no negative zero), so each pass first takes the minimum over the
 * previous row's three neighbours for the whole row (independent, vectorised) and only
 * the neighbour along the row remains a chain. */
static int distance(fx *f, eyni_error *err)
{
    int w = f->w, h = f->h;
    f->dist = malloc(sizeof(float) * (size_t)w * h);
    if (!f->dist)
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory");
    float *d = f->dist;
    for (int i = 0; i < w * h; i++)
        d[i] = f->mask[i] ? DIST_CAP : 0;
    for (int x = 0; x < w; x++)
        d[x] = d[x] > 0 ? 1 : 0; /* the image edge is background too */
    for (int y = 1; y < h; y++) {
        float *r = d + (long)y * w;
        const float *up = r - w;
        r[0] = r[0] > 0 ? 1 : 0;
        r[w - 1] = r[w - 1] > 0 ? 1 : 0;
        if (y == h - 1) {
            for (int x = 1; x < w - 1; x++)
                r[x] = r[x] > 0 ? 1 : 0;
            continue;
        }
        for (int x = 1; x < w - 1; x++) {
            float v = r[x], b = up[x] + 1, c = up[x - 1] + 1.414f, e = up[x + 1] + 1.414f;
            v = v < b ? v : b;
            v = v < c ? v : c;
            r[x] = v < e ? v : e;
        }
        for (int x = 1; x < w - 1; x++) {
            float a = r[x - 1] + 1;
            r[x] = r[x] < a ? r[x] : a;
        }
    }
    for (int y = h - 2; y >= 1; y--) {
        float *r = d + (long)y * w;
        const float *dn = r + w;
        for (int x = 1; x < w - 1; x++) {
            float v = r[x], b = dn[x] + 1, c = dn[x + 1] + 1.414f, e = dn[x - 1] + 1.414f;
            v = v < b ? v : b;
            v = v < c ? v : c;
            r[x] = v < e ? v : e;
        }
        for (int x = w - 2; x >= 1; x--) {
            float a = r[x + 1] + 1;
            r[x] = r[x] < a ? r[x] : a;
        }
    }
    return 0;
}

/*
 * Second estimate of the orientation field from the first Gabor output. There the ridges
 * are clean sinusoids: dots, pores and blotches that pulled the first estimate are gone,
 * so the tensor is reliable with less smoothing (which bends the field less around cores
 * and deltas). Each foreground block votes with its coherence as in the first estimate.
 */
static int reorient(fx *f, eyni_error *err)
{
    int nb = f->bw * f->bh;
    float *vx = calloc((size_t)nb, sizeof(float)), *vy = calloc((size_t)nb, sizeof(float));
    float *gxy = calloc((size_t)nb, sizeof(float)), *tmp = calloc((size_t)nb, sizeof(float));
    if (!vx || !vy || !gxy || !tmp) {
        free(vx);
        free(vy);
        free(gxy);
        free(tmp);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory re-estimating orientation");
    }
    block_tensors(f, f->enh, vx, vy, gxy, NULL);
    for (int b = 0; b < nb; b++) {
        float gxx = vx[b], gyy = vy[b], e = gxx + gyy, inv = e > 1e-6f && f->bmask[b] ? 1 / e : 0;
        vx[b] = (gxx - gyy) * inv;
        vy[b] = -2 * gxy[b] * inv;
    }
    blur_field(vx, f->bw, f->bh, ORIENT_SMOOTH2, tmp);
    blur_field(vy, f->bw, f->bh, ORIENT_SMOOTH2, tmp);
    for (int b = 0; b < nb; b++)
        if (f->bmask[b])
            set_orientation(f, b, vx[b], vy[b]);
    free(vx);
    free(vy);
    free(gxy);
    free(tmp);
    return 0;
}

/* Blocks within GROW_REACH blocks of the foreground: where faint ridges may continue. */
static void grow_candidates(const fx *f, unsigned char *cand)
{
    int r = GROW_REACH;
    for (int by = 0; by < f->bh; by++)
        for (int bx = 0; bx < f->bw; bx++) {
            int near = 0;
            for (int j = -r; j <= r && !near; j++)
                for (int i = -r; i <= r && !near; i++) {
                    int xx = bx + i, yy = by + j;
                    near =
                        xx >= 0 && yy >= 0 && xx < f->bw && yy < f->bh && f->bmask[yy * f->bw + xx];
                }
            cand[by * f->bw + bx] = (unsigned char)near;
        }
}

/*
 * Faint areas: the grey-level rules of the segmentation miss ridges that are faint or
 * dotted (low contrast, low raw coherence), though the Gabor filter finds them. Adds the
 * candidate blocks whose fit shows ridges and that connect to the foreground through such
 * blocks, and measures the clarity of the blocks gained on the raw image.
 */
static int grow_foreground(fx *f, const unsigned char *cand, float *fit)
{
    int nb = f->bw * f->bh, qh = 0, qt = 0;
    int *queue = malloc(sizeof(int) * (size_t)nb);
    float *tmp = malloc(sizeof(float) * (size_t)nb);
    unsigned char *old = malloc((size_t)nb);
    if (!queue || !tmp || !old) {
        free(queue);
        free(tmp);
        free(old);
        return -1;
    }
    /* One block is 64 pixels of a filter ~2 periods wide: average the fit over its
     * neighbours so that a single lucky or unlucky block does not decide. */
    blur_field(fit, f->bw, f->bh, 1.0f, tmp);
    unsigned char *m = f->bmask;
    memcpy(old, m, (size_t)nb);
    for (int b = 0; b < nb; b++)
        if (m[b])
            queue[qt++] = b;
    while (qh < qt) {
        int p = queue[qh++], x = p % f->bw, y = p / f->bw;
        const int nbr[4] = {x > 0 ? p - 1 : -1, x < f->bw - 1 ? p + 1 : -1, y > 0 ? p - f->bw : -1,
                            y < f->bh - 1 ? p + f->bw : -1};
        for (int k = 0; k < 4; k++) {
            int q = nbr[k];
            if (q < 0 || m[q] || !cand[q] || fit[q] < GROW_FIT)
                continue;
            m[q] = 1;
            queue[qt++] = q;
        }
    }
    for (int b = 0; b < nb; b++)
        if (m[b] && !old[b]) {
            float p = block_period(f, f->norm, b % f->bw, b / f->bw, &f->bclar[b]);
            f->bperok[b] = p > 0;
        }
    free(queue);
    free(tmp);
    free(old);
    return 0;
}

/*
 * Two passes: the first Gabor output, made with the orientation and period of the raw
 * image over the foreground and a margin of GROW_REACH blocks, extends the foreground to
 * faint ridges and gives a second, cleaner estimate of orientation and period; the final
 * enhancement filters the normalised image again with them. Clarity and coherence stay
 * those of the raw image (they describe the capture, not the filter's idea of it).
 */
int fx_enhance(fx *f, eyni_error *err)
{
    f->bw = (f->w + FX_BLOCK - 1) / FX_BLOCK;
    f->bh = (f->h + FX_BLOCK - 1) / FX_BLOCK;
    int nb = f->bw * f->bh;
    size_t fb = sizeof(float) * (size_t)nb;
    gkernel *bank = calloc((size_t)N_ANGLES * BANK_PERIODS, sizeof(gkernel));
    float *fit = malloc(fb);
    unsigned char *cand = malloc((size_t)nb);
    float *pad = NULL; /* the normalised image in its zero margin, for both passes */
    gfield first = {malloc(fb), malloc(fb), malloc(fb)};
    int rc = EYNI_ENOMEM;
    if (!bank || !fit || !cand || !first.cos2 || !first.sin2 || !first.per) {
        eyni_error_set(err, rc, "finger: out of memory in the Gabor enhancement");
        goto done;
    }
    rc = segment_and_orient(f, err);
    if (!rc)
        rc = normalise(f, err);
    /* Buffers are released as soon as they are dead, so that later ones reuse memory that
     * is already mapped: the page faults of fresh memory cost more than a stage on some
     * virtual machines. */
    free(f->grey);
    f->grey = NULL;
    if (!rc && !(pad = padded_norm(f)))
        rc = eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory in the Gabor enhancement");
    if (!rc)
        rc = frequency(f, f->norm, err);
    if (!rc) {
        grow_candidates(f, cand);
        rc = enhance(f, bank, pad, cand, fit, NULL, err);
    }
    if (!rc && grow_foreground(f, cand, fit))
        rc = eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory growing the foreground");
    free(f->norm); /* the second pass filters its padded copy */
    f->norm = NULL;
    if (!rc) {
        memcpy(first.cos2, f->bcos2, fb);
        memcpy(first.sin2, f->bsin2, fb);
        memcpy(first.per, f->bper, fb);
        rc = reorient(f, err);
    }
    if (!rc)
        rc = frequency(f, f->enh, err);
    if (!rc)
        rc = enhance(f, bank, pad, f->bmask, NULL, &first, err);
    free(pad); /* the distance map can take its memory */
    pad = NULL;
    if (!rc)
        rc = distance(f, err);
done:
    for (int i = 0; bank && i < N_ANGLES * BANK_PERIODS; i++)
        gkernel_free(&bank[i]);
    free(bank);
    free(fit);
    free(cand);
    free(pad);
    free(first.cos2);
    free(first.sin2);
    free(first.per);
    return rc;
}
