/* Resizing and affine warping of 8-bit images. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

/* Area averaging: each output pixel is the mean of the source area it covers, so shrinking
 * a fingerprint or a face does not alias ridges or edges. */
static void shrink_area(const eyni_image *in, eyni_image *o)
{
    double sx = (double)in->width / o->width, sy = (double)in->height / o->height;
    int ch = in->channels;
    for (int y = 0; y < o->height; y++) {
        double y0 = y * sy, y1 = y0 + sy;
        for (int x = 0; x < o->width; x++) {
            double x0 = x * sx, x1 = x0 + sx;
            double acc[3] = {0, 0, 0}, wsum = 0;
            for (int yy = (int)y0; yy < (int)ceil(y1) && yy < in->height; yy++) {
                double wy = fmin(y1, yy + 1.0) - fmax(y0, (double)yy);
                for (int xx = (int)x0; xx < (int)ceil(x1) && xx < in->width; xx++) {
                    double w = wy * (fmin(x1, xx + 1.0) - fmax(x0, (double)xx));
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
        double v = (1 - fy) * ((1 - fx) * p00[k] + fx * p01[k]) +
                   fy * ((1 - fx) * p10[k] + fx * p11[k]);
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
        shrink_area(in, o);
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
