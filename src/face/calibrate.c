/* Score -> false-match rate, from the impostor distribution measured on lfw-a-gray-dev. */
#include <math.h>

#include "face_int.h"

typedef struct fmr_point {
    float score;
    double fmr;
} fmr_point;

/* (score, fraction of impostor pairs scoring at or above it), all 1,822 images against
 * each other; produced by `eyni bench face ... --json` ("impostor_table"). */
static const fmr_point FMR_TABLE[] = {
    {0.00f, 5e-1},
    {0.24f, 1e-3},
    {0.29f, 1e-4},
    {0.34f, 1e-5},
};

double eyni_face_score_fmr(float score)
{
    const size_t n = sizeof FMR_TABLE / sizeof FMR_TABLE[0];
    if (!(score > FMR_TABLE[0].score))
        return score == score ? 0.5 : 1.0;
    for (size_t i = 1; i < n; i++) {
        if (score <= FMR_TABLE[i].score) {
            /* log-linear between measured points: the tail falls roughly exponentially */
            double t =
                (score - FMR_TABLE[i - 1].score) / (FMR_TABLE[i].score - FMR_TABLE[i - 1].score);
            return exp(log(FMR_TABLE[i - 1].fmr) * (1 - t) + log(FMR_TABLE[i].fmr) * t);
        }
    }
    return 1e-6;
}
