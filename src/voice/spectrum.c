/*
 * Short-time power spectra through FFTW. Each caller owns its plan and buffers, so
 * spectra are computed in parallel freely; only plan creation and destruction go through
 * one lock, because FFTW's planner keeps global tables that are not thread-safe.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include <fftw3.h>

#include "voice_int.h"

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

int vspec_open(vspec *s, eyni_error *err)
{
    memset(s, 0, sizeof *s);
    s->in = fftwf_malloc(VNFFT * sizeof(float));
    s->out = fftwf_malloc(VBINS * sizeof(fftwf_complex));
    if (!s->in || !s->out)
        goto fail;
    pthread_mutex_lock(&planner_lock);
    s->plan = fftwf_plan_dft_r2c_1d(VNFFT, s->in, s->out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_lock);
    if (!s->plan)
        goto fail;
    for (int i = 0; i < VFRAME; i++)
        s->window[i] = (float)(0.54 - 0.46 * cos(2 * M_PI * i / (VFRAME - 1)));
    return 0;
fail:
    vspec_close(s);
    return eyni_error_set(err, EYNI_ENOMEM, "out of memory for the FFT");
}

void vspec_close(vspec *s)
{
    if (s->plan) {
        pthread_mutex_lock(&planner_lock);
        fftwf_destroy_plan(s->plan);
        pthread_mutex_unlock(&planner_lock);
    }
    fftwf_free(s->in);
    fftwf_free(s->out);
    memset(s, 0, sizeof *s);
}

void vspec_power(vspec *s, const float *x, float *pow)
{
    for (int i = 0; i < VFRAME; i++)
        s->in[i] = x[i] * s->window[i];
    for (int i = VFRAME; i < VNFFT; i++)
        s->in[i] = 0;
    fftwf_execute(s->plan);
    const fftwf_complex *o = s->out;
    for (int k = 0; k < VBINS; k++)
        pow[k] = o[k][0] * o[k][0] + o[k][1] * o[k][1];
}
