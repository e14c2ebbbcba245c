/*
 * Detection over a whole frame and, optionally, over overlapping tiles of it.
 *
 * The detector's input is a fixed 320x240: a 720p frame is shrunk four times, and faces
 * smaller than about 60 px are lost. Running it again on a grid of overlapping tiles sees
 * each tile at a larger scale (a 2x2 grid of 60 % tiles: 2.4 times the frame's scale), so
 * faces down to about 35 px are found. The whole frame is still searched first: a large
 * face cut by a tile border is found there whole.
 */
#include <math.h>
#include <string.h>

#include "video_int.h"

#define TILE_OVER 1.2f /* tiles per row x tile side / frame side: 2x2 tiles of 60 % */
#define SAME_FACE 0.3f /* IoU above which a tile detection repeats one already kept */
#define EDGE_PX   2.0f /* a box this close to a tile's inner border is a cut face */

/* Copies a rectangle of the frame into a new image. */
static eyni_image *cut(const eyni_image *f, int x0, int y0, int w, int h, eyni_error *err)
{
    eyni_image *t = eyni_image_new(w, h, f->channels, err);
    if (!t)
        return NULL;
    size_t row = (size_t)w * f->channels;
    for (int y = 0; y < h; y++)
        memcpy(t->data + (size_t)y * row,
               f->data + ((size_t)(y0 + y) * f->width + x0) * f->channels, row);
    return t;
}

static void shift(eyni_face_det *d, float dx, float dy)
{
    d->x1 += dx, d->x2 += dx, d->y1 += dy, d->y2 += dy;
    for (int i = 0; i < EYNI_FACE_LANDMARKS; i++)
        d->lm[i].x += dx, d->lm[i].y += dy;
    for (int i = 0; i < 5; i++)
        d->five[i].x += dx, d->five[i].y += dy;
}

/* A detection touching a border of the tile that is not a border of the frame is (likely)
 * a part of a face; the face is whole in a neighbouring tile or in the full frame. */
static int cut_by_tile(const eyni_face_det *d, int tw, int th, int x0, int y0, const eyni_image *f)
{
    return (x0 > 0 && d->x1 < EDGE_PX) || (y0 > 0 && d->y1 < EDGE_PX) ||
           (x0 + tw < f->width && d->x2 > tw - EDGE_PX) ||
           (y0 + th < f->height && d->y2 > th - EDGE_PX);
}

static int repeats(const eyni_face_det *out, size_t n, const eyni_face_det *d)
{
    float b[4] = {d->x1, d->y1, d->x2, d->y2};
    for (size_t i = 0; i < n; i++) {
        float a[4] = {out[i].x1, out[i].y1, out[i].x2, out[i].y2};
        if (video_iou(a, b) > SAME_FACE)
            return 1;
    }
    return 0;
}

/* Detects in one tile and appends its new faces (frame coordinates) to out. */
static int detect_tile(const eyni_face_engine *fe, const eyni_image *f, int x0, int y0, int tw,
                       int th, float min_score, eyni_face_det *out, size_t cap, size_t *n,
                       eyni_error *err)
{
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t k = 0;
    eyni_image *t = cut(f, x0, y0, tw, th, err);
    if (!t)
        return err ? err->code : EYNI_ENOMEM;
    int rc = eyni_face_detect(fe, t, d, EYNI_FACE_MAX_FACES, &k, err);
    eyni_image_free(t);
    for (size_t i = 0; rc == 0 && i < k && *n < cap; i++) {
        if (d[i].score < min_score || cut_by_tile(&d[i], tw, th, x0, y0, f))
            continue;
        shift(&d[i], (float)x0, (float)y0);
        if (!repeats(out, *n, &d[i]))
            out[(*n)++] = d[i];
    }
    return rc;
}

int video_detect(const eyni_face_engine *fe, const eyni_image *frame, int tiles, float min_score,
                 eyni_face_det *out, size_t cap, size_t *n, eyni_error *err)
{
    eyni_face_det all[EYNI_FACE_MAX_FACES];
    size_t na = 0;
    *n = 0;
    int rc = eyni_face_detect(fe, frame, all, EYNI_FACE_MAX_FACES, &na, err);
    for (size_t i = 0; rc == 0 && i < na && *n < cap; i++)
        if (all[i].score >= min_score)
            out[(*n)++] = all[i];
    if (rc || tiles < 2)
        return rc;
    float share = TILE_OVER / (float)tiles;
    int tw = (int)lroundf(frame->width * share), th = (int)lroundf(frame->height * share);
    for (int r = 0; rc == 0 && r < tiles; r++)
        for (int c = 0; rc == 0 && c < tiles; c++) {
            int x0 = (frame->width - tw) * c / (tiles - 1);
            int y0 = (frame->height - th) * r / (tiles - 1);
            rc = detect_tile(fe, frame, x0, y0, tw, th, min_score, out, cap, n, err);
        }
    return rc;
}
