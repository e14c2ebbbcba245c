/*
 * First stage of a 1:N search: the probe reduced to its cylinders nearest the centre of
 * its minutiae (where two impressions of a finger overlap most), compared with the same
 * MCC + LSS-R arithmetic. With MCC_PRE_CYL of the probe's cylinders the comparison costs a
 * fraction of the full one, and its score still rewards geometrically consistent pairs,
 * which local similarities alone do not (docs/finger.md, "First-stage filter").
 */
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"
#include "mcc_int.h"

int mcc_subset(const eyni_finger_mcc *m, int keep, eyni_finger_mcc **out, eyni_error *err)
{
    eyni_finger_mcc *s = malloc(sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory reducing a probe");
    *s = *m;
    s->nc = m->nc < keep ? m->nc : keep;
    s->cyl = malloc(sizeof(mcc_cyl) * (size_t)(s->nc ? s->nc : 1));
    s->cth = calloc((size_t)MCC_PAD(s->nc ? s->nc : 1), sizeof(float));
    if (!s->cyl || !s->cth) {
        free(s->cyl);
        free(s->cth);
        free(s);
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory reducing a probe");
    }
    /* Centre of the cylinders' minutiae, then each cylinder's squared distance to it. */
    double cx = 0, cy = 0;
    for (int j = 0; j < m->nc; j++)
        cx += m->x[m->cyl[j].minutia], cy += m->y[m->cyl[j].minutia];
    cx /= m->nc ? m->nc : 1, cy /= m->nc ? m->nc : 1;
    float d2[EYNI_FINGER_MAX_MINUTIAE];
    for (int j = 0; j < m->nc; j++) {
        double dx = m->x[m->cyl[j].minutia] - cx, dy = m->y[m->cyl[j].minutia] - cy;
        d2[j] = (float)(dx * dx + dy * dy);
    }
    /* The s->nc nearest, kept in their original order (ties: the lower index). */
    unsigned char take[EYNI_FINGER_MAX_MINUTIAE] = {0};
    for (int q = 0; q < s->nc; q++) {
        int best = -1;
        for (int j = 0; j < m->nc; j++)
            if (!take[j] && (best < 0 || d2[j] < d2[best]))
                best = j;
        take[best] = 1;
    }
    memset(s->fullm, 0, sizeof s->fullm);
    int k = 0;
    for (int j = 0; j < m->nc; j++)
        if (take[j]) {
            s->cyl[k] = m->cyl[j];
            s->cth[k] = m->cth[j];
            s->fullm[k >> 4] |= (uint16_t)(s->cyl[k].full << (k & 15));
            k++;
        }
    *out = s;
    return 0;
}
