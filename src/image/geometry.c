/* Resizing and affine warping of 8-bit images. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

/* The source pixels an output column (or row) i covers: first, count, and the overlap of
 * each; the same expressions for every output row, so they are computed once. */
typedef struct span {
    int *first, *count;
    double *wt; /* `step` weights per output index */
    int step;
} span;

static int span_make(span *s, int n_in, int n_out)
{
    double sc = (double)n_in / n_out;
    s->step = (int)ceil(sc) + 2;
    s->first = malloc(sizeof(int) * (size_t)n_out);
    s->count = malloc(sizeof(int) * (size_t)n_out);
    s->wt = malloc(sizeof(double) * (size_t)n_out * (size_t)s->step);
    if (!s->first || !s->count || !s->wt)
        return -1;
    for (int i = 0; i < n_out; i++) {
        double a0 = i * sc, a1 = a0 + sc;
        int k = 0;
        for (int j = (int)a0; j < (int)ceil(a1) && j < n_in && k < s->step; j++)
            s->wt[(size_t)i * s->step + k++] = fmin(a1, j + 1.0) - fmax(a0, (double)j);
        s->first[i] = (int)a0;
        s->count[i] = k;
    }
    return 0;
}

static void span_free(span *s)
{
    free(s->first);
    free(s->count);
    free(s->wt);
}

/* Area averaging: each output pixel is the mean of the source area it covers, so shrinking
 * a fingerprint or a face does not alias ridges or edges. The overlaps are separable (an
 * area is a row overlap times a column overlap), so they are tabulated per column and row. */
static int shrink_area(const eyni_image *in, eyni_image *o)
{
    int ch = in->channels, rc = -1;
    span sx = {0}, sy = {0};
    if (span_make(&sx, in->width, o->width) || span_make(&sy, in->height, o->height))
        goto done;
    for (int y = 0; y < o->height; y++) {
        const double *wys = sy.wt + (size_t)y * sy.step;
        for (int x = 0; x < o->width; x++) {
            const double *wxs = sx.wt + (size_t)x * sx.step;
            double acc[3] = {0, 0, 0}, wsum = 0;
            for (int j = 0; j < sy.count[y]; j++) {
                int yy = sy.first[y] + j;
                for (int i = 0; i < sx.count[x]; i++) {
                    int xx = sx.first[x] + i;
                    double w = wys[j] * wxs[i];
                    const unsigned char *p = in->data + ((size_t)yy * in->width + xx) * ch;
                    for (int k = 0; k < ch; k++)
                        acc[k] += w * p[k];
                    wsum += w;
                }
            }
            unsigned char *d = o->data + ((size_t)y * o->width + x) * ch;
            for (int k = 0; k < ch; k++)
                d[k] = (unsigned char)lround(wsum > 0 ? acc[k] / wsum : 0);
        }
    }
    rc = 0;
done:
    span_free(&sx);
    span_free(&sy);
    return rc;
}

static void sample_bilinear(const eyni_image *in, double xs, double ys, unsigned char fill,
                            unsigned char *d)
{
    int ch = in->channels;
    if (xs < -0.5 || ys < -0.5 || xs > in->width - 0.5 || ys > in->height - 0.5) {
        memset(d, fill, (size_t)ch);
        return;
    }
    xs = fmin(fmax(xs, 0), in->width - 1);
    ys = fmin(fmax(ys, 0), in->height - 1);
    int x0 = (int)xs, y0 = (int)ys;
    int x1 = x0 + 1 < in->width ? x0 + 1 : x0, y1 = y0 + 1 < in->height ? y0 + 1 : y0;
    double fx = xs - x0, fy = ys - y0;
    const unsigned char *p00 = in->data + ((size_t)y0 * in->width + x0) * ch;
    const unsigned char *p01 = in->data + ((size_t)y0 * in->width + x1) * ch;
    const unsigned char *p10 = in->data + ((size_t)y1 * in->width + x0) * ch;
    const unsigned char *p11 = in->data + ((size_t)y1 * in->width + x1) * ch;
    for (int k = 0; k < ch; k++) {
        double v =
            (1 - fy) * ((1 - fx) * p00[k] + fx * p01[k]) + fy * ((1 - fx) * p10[k] + fx * p11[k]);
        d[k] = (unsigned char)lround(v);
    }
}

int eyni_image_resize(const eyni_image *in, int width, int height, eyni_image **out,
                      eyni_error *err)
{
    eyni_image *o = eyni_image_new(width, height, in->channels, err);
    if (!o)
        return err ? err->code : EYNI_ENOMEM;
    if (width <= in->width && height <= in->height) {
        if (shrink_area(in, o)) {
            eyni_image_free(o);
            return eyni_error_set(err, EYNI_ENOMEM, "image: out of memory resizing");
        }
    } else {
        double sx = (double)in->width / width, sy = (double)in->height / height;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                sample_bilinear(in, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, 0,
                                o->data + ((size_t)y * width + x) * in->channels);
    }
    o->ppi = in->ppi > 0 ? in->ppi * width / in->width : 0;
    *out = o;
    return 0;
}

int eyni_image_warp_affine(const eyni_image *in, const double m[6], int width, int height,
                           unsigned char fill, eyni_image **out, eyni_error *err)
{
    eyni_image *o = eyni_image_new(width, height, in->channels, err);
    if (!o)
        return err ? err->code : EYNI_ENOMEM;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            sample_bilinear(in, m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5], fill,
                            o->data + ((size_t)y * width + x) * in->channels);
    o->ppi = in->ppi;
    *out = o;
    return 0;
}

int eyni_image_affine_invert(const double m[6], double inv[6], eyni_error *err)
{
    double det = m[0] * m[4] - m[1] * m[3];
    if (fabs(det) < 1e-12)
        return eyni_error_set(err, EYNI_EINVAL, "affine matrix is singular");
    inv[0] = m[4] / det;
    inv[1] = -m[1] / det;
    inv[3] = -m[3] / det;
    inv[4] = m[0] / det;
    inv[2] = -(inv[0] * m[2] + inv[1] * m[5]);
    inv[5] = -(inv[3] * m[2] + inv[4] * m[5]);
    return 0;
}
