/*
 * Thresholds from impostor scores. The model keeps the empirical impostor distribution as
 * VCALIB_QUANTILES evenly spaced quantiles, so any false-match rate down to
 * 1/(VCALIB_QUANTILES-1) maps to a threshold without storing every score.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void calib_set(eyni_voice_model *m, double *impostor, size_t ni, const double *genuine, size_t ng)
{
    qsort(impostor, ni, sizeof *impostor, cmp_double);
    for (int i = 0; i < VCALIB_QUANTILES; i++) {
        if (ni == 0) {
            m->quant[i] = 0;
            continue;
        }
        double pos = (double)i / (VCALIB_QUANTILES - 1) * (double)(ni - 1);
        size_t lo = (size_t)floor(pos);
        size_t hi = lo + 1 < ni ? lo + 1 : lo;
        double fr = pos - (double)lo;
        m->quant[i] = impostor[lo] + fr * (impostor[hi] - impostor[lo]);
    }
    m->calib_genuine = ng;
    m->calib_impostor = ni;
    m->calib_eer = calib_eer(genuine, ng, impostor, ni);
}

double calib_eer(const double *genuine, size_t ng, const double *impostor, size_t ni)
{
    if (!ng || !ni)
        return 0;
    double *g = malloc(ng * sizeof *g), *im = malloc(ni * sizeof *im);
    if (!g || !im) {
        free(g);
        free(im);
        return NAN;
    }
    memcpy(g, genuine, ng * sizeof *g);
    memcpy(im, impostor, ni * sizeof *im);
    qsort(g, ng, sizeof *g, cmp_double);
    qsort(im, ni, sizeof *im, cmp_double);
    /* Sweep thresholds over the merged scores; FRR rises, FAR falls. The EER is taken
     * where they cross, as the mean of the two rates at the closest point. */
    double best = 1, eer = 0.5;
    size_t gi = 0, ii = 0;
    while (gi <= ng && ii <= ni) {
        double frr = (double)gi / (double)ng;        /* genuine below the threshold */
        double far = (double)(ni - ii) / (double)ni; /* impostors at or above */
        double gap = fabs(frr - far);
        if (gap < best) {
            best = gap;
            eer = (frr + far) / 2;
        }
        if (gi == ng && ii == ni)
            break;
        if (ii == ni || (gi < ng && g[gi] <= im[ii]))
            gi++;
        else
            ii++;
    }
    free(g);
    free(im);
    return eer;
}

double eyni_voice_model_score_fmr(const eyni_voice_model *m, double s)
{
    const double *q = m->quant;
    const int last = VCALIB_QUANTILES - 1, anchor = last - 1; /* anchor: FMR 1/last */
    if (m->calib_impostor == 0)
        return s >= q[last] ? 0 : 1;
    if (s <= q[0])
        return 1;
    if (s <= q[anchor]) {
        /* first quantile at or above s: within a run of equal quantiles the rate is the
         * share of impostors at or above that value, i.e. the run's lowest index */
        int lo = 1, hi = anchor;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (q[mid] >= s)
                hi = mid;
            else
                lo = mid + 1;
        }
        double span = q[lo] - q[lo - 1];
        double pos = (lo - 1) + (span > 0 ? (s - q[lo - 1]) / span : 1.0);
        return 1.0 - pos / last;
    }
    /* Beyond the table: log10(FMR) keeps the slope it has between FMR 1e-2 and 1e-3. An
     * exponential tail is heavier than a Gaussian one, so this errs towards more false
     * matches, not fewer. */
    double decade = q[anchor] - q[last - last / 100];
    double at = 1.0 / last;
    return decade > 0 ? at * pow(10.0, -(s - q[anchor]) / decade) : at;
}
