/*
 * MFCC front end: pre-emphasis, Hamming-windowed 25 ms frames every 10 ms, power spectrum
 * (FFTW), triangular mel filterbank, log, orthonormal DCT-II; then deltas and double
 * deltas by linear regression over +-2 frames of the speech frames, and cepstral mean
 * (and variance) normalisation over the recording.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

#define MAX_MELS  64
#define DELTA_WIN 2

void frontend_default(frontend *f)
{
    f->n_mels = 24;
    f->n_ceps = 20;
    f->deltas = 2;
    f->cmvn = CMVN_MEANVAR;
    f->preemph = 0.97f;
    f->fmin = 100.0f;
    f->fmax = 3800.0f;
}

int frontend_dim(const frontend *f)
{
    return f->n_ceps * (1 + f->deltas);
}

int frontend_check(const frontend *f, eyni_error *err)
{
    if (f->n_mels < 4 || f->n_mels > MAX_MELS || f->n_ceps < 2 || f->n_ceps > f->n_mels ||
        f->deltas < 0 || f->deltas > 2 || f->cmvn < CMVN_NONE || f->cmvn > CMVN_MEANVAR ||
        !(f->preemph >= 0 && f->preemph < 1) || !(f->fmin >= 0) || !(f->fmax > f->fmin) ||
        f->fmax > EYNI_VOICE_RATE / 2 || frontend_dim(f) > EYNI_VOICE_MAX_DIM)
        return eyni_error_set(err, EYNI_EFORMAT, "invalid voice front-end settings");
    return 0;
}

static double hz_to_mel(double hz)
{
    return 2595.0 * log10(1.0 + hz / 700.0);
}

static double mel_to_hz(double mel)
{
    return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
}

/* Triangular filters as a dense n_mels x VBINS matrix. */
static void mel_bank(const frontend *f, float *bank)
{
    double lo = hz_to_mel(f->fmin), hi = hz_to_mel(f->fmax);
    double edge[MAX_MELS + 2];
    for (int m = 0; m < f->n_mels + 2; m++)
        edge[m] = mel_to_hz(lo + (hi - lo) * m / (f->n_mels + 1)) * VNFFT / EYNI_VOICE_RATE;
    for (int m = 0; m < f->n_mels; m++)
        for (int k = 0; k < VBINS; k++) {
            double w = 0;
            if (k > edge[m] && k <= edge[m + 1])
                w = (k - edge[m]) / (edge[m + 1] - edge[m]);
            else if (k > edge[m + 1] && k < edge[m + 2])
                w = (edge[m + 2] - k) / (edge[m + 2] - edge[m + 1]);
            bank[m * VBINS + k] = (float)w;
        }
}

/* Static cepstra of the speech frames into out (rows of stride dim). */
static int cepstra(const frontend *f, const eyni_voice_audio *a, double *out, int dim,
                   eyni_error *err)
{
    float *bank = malloc((size_t)f->n_mels * VBINS * sizeof *bank);
    float *pre = malloc(a->n * sizeof *pre);
    double dct[MAX_MELS * MAX_MELS];
    float pow[VBINS];
    vspec sp;
    int rc;
    if (!bank || !pre) {
        free(bank);
        free(pre);
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory extracting features");
    }
    if ((rc = vspec_open(&sp, err)) != 0) {
        free(bank);
        free(pre);
        return rc;
    }
    mel_bank(f, bank);
    for (int c = 0; c < f->n_ceps; c++)
        for (int m = 0; m < f->n_mels; m++)
            dct[c * f->n_mels + m] =
                sqrt((c ? 2.0 : 1.0) / f->n_mels) * cos(M_PI * c * (m + 0.5) / f->n_mels);
    pre[0] = a->x[0];
    for (size_t i = 1; i < a->n; i++)
        pre[i] = a->x[i] - f->preemph * a->x[i - 1];
    size_t row = 0;
    for (size_t t = 0; t < a->n_frames; t++) {
        if (!a->speech[t])
            continue;
        vspec_power(&sp, pre + t * VHOP, pow);
        double logmel[MAX_MELS];
        for (int m = 0; m < f->n_mels; m++) {
            double s = 0;
            const float *b = bank + m * VBINS;
            for (int k = 0; k < VBINS; k++)
                s += (double)b[k] * pow[k];
            logmel[m] = log(s + 1e-8);
        }
        double *o = out + row * (size_t)dim;
        for (int c = 0; c < f->n_ceps; c++) {
            double s = 0;
            for (int m = 0; m < f->n_mels; m++)
                s += dct[c * f->n_mels + m] * logmel[m];
            o[c] = s;
        }
        row++;
    }
    vspec_close(&sp);
    free(bank);
    free(pre);
    return 0;
}

/* Regression deltas of columns [src, src+n) into [dst, dst+n) over t rows. */
static void deltas(double *x, size_t t, int dim, int src, int dst, int n)
{
    double norm = 0;
    for (int k = 1; k <= DELTA_WIN; k++)
        norm += 2.0 * k * k;
    for (size_t i = 0; i < t; i++)
        for (int c = 0; c < n; c++) {
            double s = 0;
            for (int k = 1; k <= DELTA_WIN; k++) {
                size_t ip = i + (size_t)k < t ? i + (size_t)k : t - 1;
                size_t im = i >= (size_t)k ? i - (size_t)k : 0;
                s += k * (x[ip * (size_t)dim + (size_t)(src + c)] -
                          x[im * (size_t)dim + (size_t)(src + c)]);
            }
            x[i * (size_t)dim + (size_t)(dst + c)] = s / norm;
        }
}

static void cmvn(double *x, size_t t, int dim, int mode)
{
    if (mode == CMVN_NONE || t == 0)
        return;
    for (int c = 0; c < dim; c++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < t; i++)
            m += x[i * (size_t)dim + (size_t)c];
        m /= (double)t;
        for (size_t i = 0; i < t; i++) {
            double d = x[i * (size_t)dim + (size_t)c] - m;
            v += d * d;
        }
        double sd = sqrt(v / (double)t);
        double inv = mode == CMVN_MEANVAR && sd > 1e-6 ? 1.0 / sd : 1.0;
        for (size_t i = 0; i < t; i++)
            x[i * (size_t)dim + (size_t)c] = (x[i * (size_t)dim + (size_t)c] - m) * inv;
    }
}

int features_extract(const frontend *f, const eyni_voice_audio *a, double **feat, size_t *t,
                     eyni_error *err)
{
    int dim = frontend_dim(f);
    size_t n = a->n_speech;
    if (n == 0)
        return eyni_error_set(err, EYNI_EQUALITY, "silence: no speech frames");
    double *x = calloc(n * (size_t)dim, sizeof *x);
    if (!x)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory extracting features");
    int rc = cepstra(f, a, x, dim, err);
    if (rc) {
        free(x);
        return rc;
    }
    if (f->deltas >= 1)
        deltas(x, n, dim, 0, f->n_ceps, f->n_ceps);
    if (f->deltas >= 2)
        deltas(x, n, dim, f->n_ceps, 2 * f->n_ceps, f->n_ceps);
    cmvn(x, n, dim, f->cmvn);
    *feat = x;
    *t = n;
    return 0;
}
