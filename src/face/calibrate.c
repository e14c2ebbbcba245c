/* Score -> false-match rate, from the impostor distribution measured on lfw-a-gray-dev. */
#include <math.h>

#include "face_int.h"

typedef struct fmr_point {
    float score;
    double fmr;
} fmr_point;

/* (score, fraction of impostor pairs scoring above it) over the 1,655,267 impostor pairs
 * of all 1,822 lfw-a-gray-dev images against each other, from `eyni bench face DIR --json`
 * ("impostor_table" and "thresholds_all"). Below 1e-5 only a handful of pairs remain, so
 * the last points are indicative only. */
static const fmr_point FMR_TABLE[] = {
    /* clang-format off */
    {-1.0000f, 1},
    {0.0067f, 0.5},
    {0.0726f, 0.25},
    {0.1204f, 0.125},
    {0.1606f, 0.0625},
    {0.1963f, 0.03125},
    {0.2287f, 0.015625},
    {0.2487f, 0.01},
    {0.2592f, 0.0078125},
    {0.2880f, 0.00390625},
    {0.3149f, 0.00195312},
    {0.3394f, 0.001},
    {0.3404f, 0.000976562},
    {0.3642f, 0.000488281},
    {0.3864f, 0.000244141},
    {0.4077f, 0.00012207},
    {0.4145f, 0.0001},
    {0.4281f, 6.10352e-05},
    {0.4464f, 3.05176e-05},
    {0.4565f, 1.52588e-05},
    {0.4713f, 1e-05},
    {0.4784f, 7.62939e-06},
    {0.4914f, 3.8147e-06},
    {0.5086f, 1.90735e-06},
    {0.5346f, 9.53674e-07},
    /* clang-format on */
};

double eyni_face_score_fmr(float score)
{
    const size_t n = sizeof FMR_TABLE / sizeof FMR_TABLE[0];
    if (!(score > FMR_TABLE[0].score))
        return 1.0; /* also NaN */
    for (size_t i = 1; i < n; i++) {
        if (score <= FMR_TABLE[i].score) {
            /* log-linear between measured points: the tail falls roughly exponentially */
            double t =
                (score - FMR_TABLE[i - 1].score) / (FMR_TABLE[i].score - FMR_TABLE[i - 1].score);
            return exp(log(FMR_TABLE[i - 1].fmr) * (1 - t) + log(FMR_TABLE[i].fmr) * t);
        }
    }
    return FMR_TABLE[n - 1].fmr; /* beyond the data: the smallest rate measured */
}
