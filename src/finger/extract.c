/* Extraction entry point: resolution normalisation, the pipeline, and the quality score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"

#define MIN_SIDE              64 /* pixels at 500 ppi: smaller is no fingerprint */
#define MIN_FOREGROUND_BLOCKS 40

void eyni_finger_template_free(eyni_finger_template *t)
{
    free(t);
}

/* Grey copy resampled to 500 ppi (area averaging when shrinking). */
static int to_500ppi(const eyni_image *img, double ppi, fx *f, eyni_error *err)
{
    eyni_image *grey = NULL, *rs = NULL;
    int rc = eyni_image_convert(img, 1, &grey, err);
    if (rc)
        return rc;
    const eyni_image *src = grey;
    if (fabs(ppi - 500.0) > 2.0) {
        int w = (int)lrint(img->width * 500.0 / ppi), h = (int)lrint(img->height * 500.0 / ppi);
        if (w < MIN_SIDE || h < MIN_SIDE) {
            rc = eyni_error_set(err, EYNI_EINVAL, "finger: image %dx%d at %.0f ppi is too small",
                                img->width, img->height, ppi);
            goto fail;
        }
        rc = eyni_image_resize(grey, w, h, &rs, err);
        if (rc)
            goto fail;
        src = rs;
    }
    if (src->width < MIN_SIDE || src->height < MIN_SIDE) {
        rc = eyni_error_set(err, EYNI_EINVAL, "finger: image %dx%d is too small", src->width,
                            src->height);
        goto fail;
    }
    f->w = src->width;
    f->h = src->height;
    f->grey = malloc(sizeof(float) * (size_t)f->w * f->h);
    if (!f->grey) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < (size_t)f->w * f->h; i++)
        f->grey[i] = src->data[i];
    rc = 0;
fail:
    eyni_image_free(grey);
    eyni_image_free(rs);
    return rc;
}

/*
 * Quality 0..100 from measured features. Each term is mapped to 0..1 by the range seen on
 * good captures; the score is their weighted geometric mean, so any single failing feature
 * (tiny area, no clear ridges, few reliable minutiae) pulls the score down.
 */
static void quality(const fx *f, const eyni_finger_template *t, eyni_finger_quality *q)
{
    int nb = f->bw * f->bh, fg = 0, fok = 0;
    double coh = 0, clar = 0;
    for (int b = 0; b < nb; b++) {
        if (!f->bmask[b])
            continue;
        fg++;
        coh += f->bcoh[b];
        clar += f->bclar[b];
        fok += f->bperok[b];
    }
    memset(q, 0, sizeof *q);
    q->foreground = (double)fg / nb;
    q->coherence = fg ? coh / fg : 0;
    q->clarity = fg ? clar / fg : 0;
    q->freq_valid = fg ? (double)fok / fg : 0;
    q->minutiae = t->n_minutiae;
    double rel = 0;
    for (int i = 0; i < t->n_minutiae; i++)
        rel += t->minutiae[i].quality / 100.0;
    q->reliability = t->n_minutiae ? rel / t->n_minutiae : 0;
    /* Area in absolute terms: 500 ppi blocks; a full plain impression is ~ 1500 blocks. */
    double area = fmin(1.0, fg / 1200.0);
    double c = fmin(1.0, q->coherence / 0.6);
    double cl = fmin(1.0, q->clarity / 0.8);
    double fv = fmin(1.0, q->freq_valid / 0.8);
    double mn = fmin(1.0, t->n_minutiae / 30.0);
    double rl = fmin(1.0, q->reliability / 0.6);
    double terms[6] = {area, c, cl, fv, mn, rl};
    const double wts[6] = {0.25, 0.25, 0.15, 0.1, 0.15, 0.1};
    double lg = 0;
    for (int i = 0; i < 6; i++)
        lg += wts[i] * log(fmax(terms[i], 0.01));
    q->score = (int)lrint(100 * exp(lg));
}

int eyni_finger_extract(const eyni_image *img, const eyni_finger_opts *opts,
                        eyni_finger_template **out, eyni_finger_quality *qual, eyni_error *err)
{
    fx f;
    memset(&f, 0, sizeof f);
    eyni_finger_template *t = NULL;
    if (!img || !img->data || img->width <= 0 || img->height <= 0)
        return eyni_error_set(err, EYNI_EINVAL, "finger: no image");
    double ppi = img->ppi > 0 ? img->ppi : opts && opts->ppi > 0 ? opts->ppi : 500.0;
    if (ppi < EYNI_FINGER_MIN_PPI || ppi > EYNI_FINGER_MAX_PPI)
        return eyni_error_set(err, EYNI_EINVAL, "finger: resolution %.0f ppi outside %.0f..%.0f",
                              ppi, EYNI_FINGER_MIN_PPI, EYNI_FINGER_MAX_PPI);
    int rc = to_500ppi(img, ppi, &f, err);
    if (rc)
        goto fail;
    rc = fx_enhance(&f, err);
    if (rc)
        goto fail;
    int fg = 0;
    for (int b = 0; b < f.bw * f.bh; b++)
        fg += f.bmask[b];
    if (fg < MIN_FOREGROUND_BLOCKS) {
        rc = eyni_error_set(err, EYNI_EQUALITY, "finger: no fingerprint area found in the image");
        goto fail;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory");
        goto fail;
    }
    rc = fx_minutiae(&f, t, err);
    if (rc)
        goto fail;
    t->width = f.w;
    t->height = f.h;
    t->res_x = t->res_y = FX_PPCM_500;
    t->position = opts ? opts->position : 0;
    eyni_finger_quality q;
    quality(&f, t, &q);
    t->quality = q.score;
    if (qual)
        *qual = q;
    fx_free(&f);
    *out = t;
    return 0;
fail:
    fx_free(&f);
    free(t);
    return rc;
}
