/* Module-private declarations of the fingerprint engine. */
#ifndef EYNI_FINGER_INT_H
#define EYNI_FINGER_INT_H

#include <stdint.h>

#include "eyni/finger.h"

#define FX_BLOCK      8    /* block side in pixels for orientation/frequency/mask */
#define FX_MIN_PERIOD 5.0f /* ridge period limits at 500 ppi, in pixels */
#define FX_MAX_PERIOD 18.0f
#define FX_PPCM_500   197 /* 500 ppi in pixels per centimetre, as ISO records it */

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Working state of one extraction; every array is owned and freed by fx_free. */
typedef struct fx {
    int w, h;              /* image at 500 ppi */
    float *grey;           /* 0..255 (released by fx_enhance once normalised) */
    float *norm;           /* locally normalised, ridges positive (released after pass 1) */
    float *enh;            /* contextual (Gabor) enhancement */
    unsigned char *mask;   /* pixel foreground */
    unsigned char *skel;   /* thinned ridges (1) */
    int bw, bh;            /* blocks */
    unsigned char *bmask;  /* block foreground */
    float *bori;           /* block ridge orientation in [0, pi) */
    float *bcos2, *bsin2;  /* cos/sin of twice the orientation, for interpolation */
    float *bcoh;           /* block coherence 0..1 */
    float *bper;           /* block ridge period in pixels */
    unsigned char *bperok; /* period measured (not interpolated) */
    float *bclar;          /* block clarity 0..1 */
    float *dist;           /* pixel distance to background (chamfer), capped */
} fx;

void fx_free(fx *f);
/* Segmentation, orientation, frequency and enhancement of f->grey (w x h). */
int fx_enhance(fx *f, eyni_error *err);
/* Binarisation, thinning, minutiae and singular points into t. */
int fx_minutiae(fx *f, eyni_finger_template *t, eyni_error *err);
/* Ridge orientation at a pixel (interpolated from blocks), in [0, pi). */
float fx_orientation_at(const fx *f, float x, float y);
float fx_coherence_at(const fx *f, int x, int y);

/* Angle helpers. */
double ang_norm(double a);           /* into [0, 2pi) */
double ang_diff(double a, double b); /* signed a-b in (-pi, pi] */

#endif
