/*
 * Synthetic minutiae templates for load tests and benchmarks: a gallery of 100,000 persons
 * needs 100,000 fingers that belong to nobody in the test data. Each imitates a real
 * template ("like"): the same minutia count, spread and resolution; positions spread
 * uniformly over the ellipse the real minutiae cover, no two closer than a ridge period
 * and a half; directions follow a ridge-flow field of the zero-pole model (Sherlock and
 * Monro 1993: one core above the centre, one delta below, a random overall tilt), in either
 * sense, so that neighbouring minutiae are oriented as on a real finger. That local
 * coherence is what the cylinders encode, so synthetic fingers cost and score like real
 * impostors (docs/finger.md gives the measured scores); uniform random angles would not.
 */
#include <math.h>
#include <stdlib.h>

#include "finger_int.h"

#define MIN_GAP 12.0 /* px at the template resolution: about 1.5 ridge periods at 500 ppi */
#define TRIES   200  /* placement attempts per minutia before giving up on it */

/* splitmix64: a small, good generator whose whole state is the caller's variable. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uni(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next(s) >> 11) / 9007199254740992.0;
}

/* Centre and standard deviation of the real template's minutiae. */
static void spread(const eyni_finger_template *t, double *cx, double *cy, double *sx, double *sy)
{
    double mx = 0, my = 0, vx = 0, vy = 0;
    int n = t->n_minutiae;
    for (int i = 0; i < n; i++)
        mx += t->minutiae[i].x, my += t->minutiae[i].y;
    mx /= n, my /= n;
    for (int i = 0; i < n; i++) {
        vx += (t->minutiae[i].x - mx) * (t->minutiae[i].x - mx);
        vy += (t->minutiae[i].y - my) * (t->minutiae[i].y - my);
    }
    *cx = mx, *cy = my, *sx = sqrt(vx / n), *sy = sqrt(vy / n);
}

int eyni_finger_synthesize(uint64_t seed, const eyni_finger_template *like,
                           eyni_finger_template **out, eyni_error *err)
{
    if (!like || like->n_minutiae < 2 || like->n_minutiae > EYNI_FINGER_MAX_MINUTIAE)
        return eyni_error_set(err, EYNI_EINVAL,
                              "finger synthesis: the model template needs 2..%d minutiae",
                              EYNI_FINGER_MAX_MINUTIAE);
    eyni_finger_template *t = calloc(1, sizeof *t);
    if (!t)
        return eyni_error_set(err, EYNI_ENOMEM, "finger synthesis: out of memory");
    uint64_t s = seed;
    double cx, cy, sx, sy;
    spread(like, &cx, &cy, &sx, &sy);
    /* a uniform ellipse with semi-axes 2 sigma has the model's standard deviation */
    double ax = 2 * sx + 1, ay = 2 * sy + 1;
    double corex = cx + uni(&s, -0.3, 0.3) * ax, corey = cy - uni(&s, 0.1, 0.5) * ay;
    double deltx = cx + uni(&s, -0.8, 0.8) * ax, delty = cy + uni(&s, 0.5, 1.2) * ay;
    double tilt = uni(&s, -0.35, 0.35);
    t->width = like->width, t->height = like->height;
    t->res_x = like->res_x, t->res_y = like->res_y;
    t->position = like->position, t->quality = like->quality;
    double gap = MIN_GAP * (like->res_x > 0 ? like->res_x / (double)FX_PPCM_500 : 1.0);
    for (int i = 0; i < like->n_minutiae; i++) {
        for (int k = 0; k < TRIES; k++) {
            double r = sqrt(uni(&s, 0, 1)), a = uni(&s, 0, 2 * M_PI);
            double x = cx + r * ax * cos(a), y = cy + r * ay * sin(a);
            if (x < 0 || y < 0 || x > like->width - 1 || y > like->height - 1)
                continue;
            int clash = 0;
            for (int j = 0; j < t->n_minutiae && !clash; j++)
                clash = hypot(x - t->minutiae[j].x, y - t->minutiae[j].y) < gap;
            if (clash)
                continue;
            double flow = tilt + 0.5 * (atan2(y - corey, x - corex) - atan2(y - delty, x - deltx));
            eyni_finger_minutia *m = &t->minutiae[t->n_minutiae++];
            m->x = (int)lrint(x), m->y = (int)lrint(y);
            m->angle = ang_norm(flow + (next(&s) & 1 ? M_PI : 0));
            m->type = next(&s) & 1 ? EYNI_FINGER_ENDING : EYNI_FINGER_BIFURCATION;
            m->quality = like->minutiae[i].quality;
            break;
        }
    }
    *out = t;
    return 0;
}
