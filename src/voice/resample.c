/*
 * Sample-rate conversion by band-limited interpolation: every output sample is a
 * Kaiser-windowed sinc sum over the input around its exact time position. The cutoff sits
 * just below the lower Nyquist frequency so that down-sampling does not alias. The kernel
 * is tabulated finely and interpolated linearly, which keeps the error far below 16-bit
 * quantisation while avoiding a Bessel function per tap.
 */
#include <math.h>
#include <stdlib.h>

#include "voice_int.h"

#define ZERO_CROSSINGS 16   /* half-width of the kernel in zero crossings of the sinc */
#define TABLE_STEPS    512  /* table entries per zero crossing */
#define KAISER_BETA    8.6  /* about 80 dB stop-band attenuation */
#define ROLLOFF        0.94 /* cutoff as a fraction of the lower Nyquist frequency */

static double bessel_i0(double x)
{
    double sum = 1, term = 1, q = x * x / 4;
    for (int k = 1; k < 50; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < sum * 1e-12)
            break;
    }
    return sum;
}

/* kernel(u) for u in zero crossings, 0 <= u <= ZERO_CROSSINGS. */
static float *kernel_table(void)
{
    size_t len = (size_t)ZERO_CROSSINGS * TABLE_STEPS + 2;
    float *t = malloc(len * sizeof *t);
    if (!t)
        return NULL;
    double i0b = bessel_i0(KAISER_BETA);
    for (size_t i = 0; i < len; i++) {
        double u = (double)i / TABLE_STEPS;
        double r = u / ZERO_CROSSINGS;
        double w = r < 1 ? bessel_i0(KAISER_BETA * sqrt(1 - r * r)) / i0b : 0;
        double s = u == 0 ? 1 : sin(M_PI * u) / (M_PI * u);
        t[i] = (float)(s * w);
    }
    return t;
}

int resample(const float *x, size_t n, int rate_in, int rate_out, float **out, size_t *n_out,
             eyni_error *err)
{
    if (rate_in <= 0 || rate_out <= 0)
        return eyni_error_set(err, EYNI_EINVAL, "bad sample rates %d -> %d", rate_in, rate_out);
    double step = (double)rate_in / rate_out;          /* input samples per output sample */
    double fc = ROLLOFF * 0.5 * fmin(1.0, 1.0 / step); /* cutoff, cycles per input sample */
    double scale = 2 * fc;                             /* zero crossings per input sample */
    double half = ZERO_CROSSINGS / scale;
    size_t m = (size_t)floor((double)n / step);
    float *y = malloc((m ? m : 1) * sizeof *y);
    float *tab = kernel_table();
    if (!y || !tab) {
        free(y);
        free(tab);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory resampling");
    }
    for (size_t j = 0; j < m; j++) {
        double t = (double)j * step;
        long lo = (long)ceil(t - half), hi = (long)floor(t + half);
        if (lo < 0)
            lo = 0;
        if (hi > (long)n - 1)
            hi = (long)n - 1;
        double acc = 0;
        for (long i = lo; i <= hi; i++) {
            double u = fabs(t - (double)i) * scale * TABLE_STEPS;
            size_t k = (size_t)u;
            if (k >= (size_t)ZERO_CROSSINGS * TABLE_STEPS)
                continue;
            double fr = u - (double)k;
            acc += x[i] * (tab[k] + fr * (tab[k + 1] - tab[k]));
        }
        y[j] = (float)(acc * scale);
    }
    free(tab);
    *out = y;
    *n_out = m;
    return 0;
}
