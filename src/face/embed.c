/* Alignment to the ArcFace template, embedding (fr_feature.onnx), comparison, liveness. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face_int.h"

/* The standard 112x112 ArcFace five-point template (eyes, nose tip, mouth corners). */
static const double TEMPLATE[5][2] = {{38.2946, 51.6963},
                                      {73.5318, 51.5014},
                                      {56.0252, 71.7366},
                                      {41.5493, 92.3655},
                                      {70.7299, 92.2041}};

/* Least-squares similarity (rotation, uniform scale, shift) taking template points to the
 * image points: exactly the destination->source map the warp needs. */
static int fit_similarity(const eyni_face_point *pts, double m[6], eyni_error *err)
{
    double pm[2] = {0, 0}, qm[2] = {0, 0};
    for (int i = 0; i < 5; i++) {
        pm[0] += TEMPLATE[i][0] / 5;
        pm[1] += TEMPLATE[i][1] / 5;
        qm[0] += pts[i].x / 5.0;
        qm[1] += pts[i].y / 5.0;
    }
    double num_a = 0, num_b = 0, den = 0;
    for (int i = 0; i < 5; i++) {
        double px = TEMPLATE[i][0] - pm[0], py = TEMPLATE[i][1] - pm[1];
        double qx = pts[i].x - qm[0], qy = pts[i].y - qm[1];
        num_a += px * qx + py * qy;
        num_b += px * qy - py * qx;
        den += px * px + py * py;
    }
    double a = num_a / den, b = num_b / den;
    if (!isfinite(a) || !isfinite(b) || a * a + b * b < 1e-8)
        return eyni_error_set(err, EYNI_EINVAL, "face: landmarks are degenerate");
    m[0] = a;
    m[1] = -b;
    m[2] = qm[0] - (a * pm[0] - b * pm[1]);
    m[3] = b;
    m[4] = a;
    m[5] = qm[1] - (b * pm[0] + a * pm[1]);
    return 0;
}

int eyni_face_align(const eyni_image *img, const eyni_face_det *det, eyni_image **out,
                    eyni_error *err)
{
    double m[6];
    int rc = fit_similarity(det->five, m, err);
    if (rc)
        return rc;
    eyni_image *rgb = NULL, *w = NULL;
    if (img->channels == 3) {
        rc = eyni_image_warp_affine(img, m, EYNI_FACE_ALIGNED, EYNI_FACE_ALIGNED, 0, out, err);
        return rc;
    }
    rc = eyni_image_warp_affine(img, m, EYNI_FACE_ALIGNED, EYNI_FACE_ALIGNED, 0, &w, err);
    if (rc == 0)
        rc = eyni_image_convert(w, 3, &rgb, err);
    eyni_image_free(w);
    if (rc == 0)
        *out = rgb;
    return rc;
}

/* Runs fr_feature.onnx on an aligned RGB crop; flip != 0 mirrors it first. */
static int feature(const eyni_face_engine *fe, const eyni_image *al, int flip, float *out,
                   eyni_error *err)
{
    enum { S = EYNI_FACE_ALIGNED, PLANE = S * S };
    float *in = malloc(3 * PLANE * sizeof *in);
    if (!in)
        return eyni_error_set(err, EYNI_ENOMEM, "face: out of memory");
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const unsigned char *p = al->data + ((size_t)y * S + (flip ? S - 1 - x : x)) * 3;
            for (int c = 0; c < 3; c++)
                in[c * PLANE + y * S + x] = ((float)p[c] - 127.0f) / 128.0f;
        }
    static const int64_t shape[4] = {1, 3, S, S};
    int rc = face_run1(fe->feature, "input", in, shape, 4, "output", out, EYNI_FACE_DIM, err);
    free(in);
    return rc;
}

static int normalise(float *v, size_t n, eyni_error *err)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)v[i] * v[i];
    if (!(ss > 1e-20) || !isfinite(ss))
        return eyni_error_set(err, EYNI_EMODEL, "face: embedding has no length");
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t i = 0; i < n; i++)
        v[i] *= inv;
    return 0;
}

int eyni_face_embed(const eyni_face_engine *fe, const eyni_image *img, const eyni_face_det *det,
                    float emb[EYNI_FACE_DIM], eyni_error *err)
{
    eyni_image *al = NULL;
    float tmp[EYNI_FACE_DIM];
    int rc = eyni_face_align(img, det, &al, err);
    if (rc)
        return rc;
    rc = feature(fe, al, 0, emb, err);
    if (rc == 0 && fe->mirror) {
        /* The mirror image carries the same identity; averaging the two halves the noise
         * of the landmark fit on one side of the face. */
        rc = feature(fe, al, 1, tmp, err);
        for (int i = 0; rc == 0 && i < EYNI_FACE_DIM; i++)
            emb[i] += tmp[i];
    }
    eyni_image_free(al);
    if (rc == 0)
        rc = normalise(emb, EYNI_FACE_DIM, err);
    return rc;
}

float eyni_face_compare(const float *a, const float *b)
{
    float s = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        s += a[i] * b[i];
    return s;
}

/* The package's own liveness crop: the box enlarged 2.7 times about its centre, shrunk if
 * the image is smaller, then shifted to stay inside the image. */
static void liveness_rect(const eyni_image *img, const eyni_face_det *d, double r[4])
{
    double bw = d->x2 - d->x1, bh = d->y2 - d->y1;
    double s = fmin(fmin((img->height - 1) / bh, (img->width - 1) / bw), FACE_LIVE_ENLARGE);
    double nw = bw * s, nh = bh * s, cx = d->x1 + bw / 2, cy = d->y1 + bh / 2;
    double x0 = cx - nw / 2, y0 = cy - nh / 2;
    x0 = fmin(fmax(x0, 0), img->width - 1 - nw);
    y0 = fmin(fmax(y0, 0), img->height - 1 - nh);
    r[0] = fmax(x0, 0);
    r[1] = fmax(y0, 0);
    r[2] = nw;
    r[3] = nh;
}

int eyni_face_liveness(const eyni_face_engine *fe, const eyni_image *img, const eyni_face_det *det,
                       float *live, eyni_error *err)
{
    enum { S = FACE_LIVE_SIDE, PLANE = S * S };
    double r[4];
    eyni_image *crop = NULL;
    if (!(det->x2 > det->x1) || !(det->y2 > det->y1))
        return eyni_error_set(err, EYNI_EINVAL, "face: liveness needs a non-empty box");
    liveness_rect(img, det, r);
    int rc = face_crop(img, r[0], r[1], r[2], r[3], S, S, 3, 0, &crop, err);
    if (rc)
        return rc;
    float *in = malloc(3 * PLANE * sizeof *in), out[3];
    if (!in) {
        eyni_image_free(crop);
        return eyni_error_set(err, EYNI_ENOMEM, "face: out of memory");
    }
    for (int i = 0; i < PLANE; i++)
        for (int c = 0; c < 3; c++)
            in[c * PLANE + i] = crop->data[i * 3 + c]; /* raw 0..255, as trained */
    eyni_image_free(crop);
    static const int64_t shape[4] = {1, 3, S, S};
    rc = face_run1(fe->liveness, "input", in, shape, 4, "output", out, 3, err);
    free(in);
    if (rc)
        return rc;
    float mx = fmaxf(out[0], fmaxf(out[1], out[2]));
    double e0 = exp(out[0] - mx), e1 = exp(out[1] - mx), e2 = exp(out[2] - mx);
    *live = (float)(e0 / (e0 + e1 + e2));
    return 0;
}
