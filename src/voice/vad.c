/*
 * Energy and spectral-flatness voice activity detection.
 *
 * A frame is speech when its energy clears an adaptive threshold (between the recording's
 * own noise floor and its loud frames, never below an absolute floor) and its spectrum is
 * not flat like noise, unless it is far louder than the floor. Short gaps inside speech are
 * bridged and isolated blips dropped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

#define ABS_FLOOR_DB  (-55.0) /* frames quieter than this (dBFS) are never speech */
#define FLOOR_PCT     0.10    /* noise floor: this percentile of frame energies */
#define PEAK_PCT      0.95    /* loud level: this percentile */
#define OVER_FLOOR_DB 9.0     /* speech threshold above the noise floor ... */
#define UNDER_PEAK_DB 30.0    /* ... but never more than this below the loud level */
#define LOUD_DB       20.0    /* this far over the floor counts whatever the spectrum */
#define FLAT_MAX      0.40    /* spectral flatness of speech (noise is about 0.56) */
#define BAND_LO       8       /* FFT bins 250 .. 3500 Hz for the flatness */
#define BAND_HI       112
#define GAP_FILL      5 /* bridge non-speech runs up to this many frames */
#define MIN_RUN       3 /* drop speech runs shorter than this */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double flatness(const float *pow)
{
    double lsum = 0, sum = 0;
    for (int k = BAND_LO; k <= BAND_HI; k++) {
        double p = (double)pow[k] + 1e-20;
        lsum += log(p);
        sum += p;
    }
    int nb = BAND_HI - BAND_LO + 1;
    return exp(lsum / nb) / (sum / nb);
}

/* Bridges short gaps, then drops short runs. */
void vad_smooth(unsigned char *f, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && f[j] == f[i])
            j++;
        if (!f[i] && i > 0 && j < n && j - i <= GAP_FILL)
            memset(f + i, 1, j - i);
        i = j;
    }
    i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && f[j] == f[i])
            j++;
        if (f[i] && j - i < MIN_RUN)
            memset(f + i, 0, j - i);
        i = j;
    }
}

int vad_detect(const float *x, size_t n, unsigned char **flags, size_t *n_frames, size_t *n_speech,
               eyni_error *err)
{
    size_t nf = n >= VFRAME ? 1 + (n - VFRAME) / VHOP : 0;
    double *e = malloc((nf ? nf : 1) * sizeof *e);
    double *sorted = malloc((nf ? nf : 1) * sizeof *sorted);
    double *flat = malloc((nf ? nf : 1) * sizeof *flat);
    unsigned char *f = calloc(nf ? nf : 1, 1);
    float pow[VBINS];
    vspec sp;
    int rc = 0, have_sp = 0;
    if (!e || !sorted || !flat || !f) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory in voice activity detection");
        goto fail;
    }
    if ((rc = vspec_open(&sp, err)) != 0)
        goto fail;
    have_sp = 1;
    for (size_t t = 0; t < nf; t++) {
        const float *p = x + t * VHOP;
        double s = 0;
        for (int i = 0; i < VFRAME; i++)
            s += (double)p[i] * p[i];
        e[t] = 10 * log10(s / VFRAME + 1e-12);
        vspec_power(&sp, p, pow);
        flat[t] = flatness(pow);
    }
    size_t speech = 0;
    if (nf) {
        memcpy(sorted, e, nf * sizeof *e);
        qsort(sorted, nf, sizeof *sorted, cmp_double);
        double floor_db = sorted[(size_t)(FLOOR_PCT * (double)(nf - 1))];
        double peak_db = sorted[(size_t)(PEAK_PCT * (double)(nf - 1))];
        double thr = fmax(ABS_FLOOR_DB, fmin(floor_db + OVER_FLOOR_DB, peak_db - UNDER_PEAK_DB));
        for (size_t t = 0; t < nf; t++)
            f[t] = e[t] > thr && (flat[t] < FLAT_MAX || e[t] > floor_db + LOUD_DB);
        vad_smooth(f, nf);
        for (size_t t = 0; t < nf; t++)
            speech += f[t];
    }
    vspec_close(&sp);
    free(e);
    free(sorted);
    free(flat);
    *flags = f;
    *n_frames = nf;
    *n_speech = speech;
    return 0;
fail:
    if (have_sp)
        vspec_close(&sp);
    free(e);
    free(sorted);
    free(flat);
    free(f);
    return rc;
}
