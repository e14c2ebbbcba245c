/* Gaussian blur of 8-bit images (separable, edges replicated). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

#define BLUR_MAX_SIGMA 64.0f /* wider kernels are a caller's mistake, not a blur */

/* Normalised taps k[0..r] of the half kernel (k[-i] = k[i]); r = ceil(3 sigma). */
static float *gauss_taps(float sigma, int *radius)
{
    int r = (int)ceilf(3 * sigma);
    float *k = malloc(sizeof(float) * (size_t)(r + 1));
    if (!k)
        return NULL;
    float sum = 0;
    for (int i = 0; i <= r; i++) {
        k[i] = expf(-(float)(i * i) / (2 * sigma * sigma));
        sum += i ? 2 * k[i] : k[i];
    }
    for (int i = 0; i <= r; i++)
        k[i] /= sum;
    *radius = r;
    return k;
}

/* One pass along rows (dx = channels, n = width) or columns (dx = row stride, n = height):
 * `lines` lines of n samples, `line_step` apart, each sample `dx` after the last. */
static void blur_pass(const float *in, float *out, size_t lines, size_t line_step, int n, size_t dx,
                      const float *k, int r)
{
    for (size_t l = 0; l < lines; l++) {
        const float *src = in + l * line_step;
        float *dst = out + l * line_step;
        for (int i = 0; i < n; i++) {
            float s = k[0] * src[(size_t)i * dx];
            for (int j = 1; j <= r; j++) {
                int a = i - j < 0 ? 0 : i - j, b = i + j >= n ? n - 1 : i + j;
                s += k[j] * (src[(size_t)a * dx] + src[(size_t)b * dx]);
            }
            dst[(size_t)i * dx] = s;
        }
    }
}

int eyni_image_blur(const eyni_image *in, float sigma, eyni_image **out, eyni_error *err)
{
    if (!(sigma > 0 && sigma <= BLUR_MAX_SIGMA))
        return eyni_error_set(err, EYNI_EINVAL, "image blur: sigma %g outside (0, %g]",
                              (double)sigma, (double)BLUR_MAX_SIGMA);
    int w = in->width, h = in->height, c = in->channels, r = 0;
    size_t n = (size_t)w * h * c;
    float *a = malloc(sizeof(float) * n), *b = calloc(n, sizeof(float));
    float *k = gauss_taps(sigma, &r);
    eyni_image *o = a && b && k ? eyni_image_new(w, h, c, err) : NULL;
    int rc = o ? 0 : eyni_error_set(err, EYNI_ENOMEM, "image blur: out of memory");
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            a[i] = in->data[i];
        size_t row = (size_t)w * c;
        /* rows: each channel of each row is a line; columns: each sample of a row starts one */
        for (int ch = 0; ch < c; ch++)
            blur_pass(a + ch, b + ch, (size_t)h, row, w, (size_t)c, k, r);
        blur_pass(b, a, row, 1, h, row, k, r);
        for (size_t i = 0; i < n; i++)
            o->data[i] = (unsigned char)fminf(255.0f, fmaxf(0.0f, roundf(a[i])));
        *out = o;
    }
    free(a), free(b), free(k);
    return rc;
}
