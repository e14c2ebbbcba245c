/* Sampling a rectangle of an image into a fixed-size grey or RGB crop. */
#include <math.h>

#include "face_int.h"

/* One pixel of src as grey or RGB; outside the image it is fill. */
static void fetch(const eyni_image *src, int x, int y, int channels, unsigned char fill,
                  float px[3])
{
    if (x < 0 || y < 0 || x >= src->width || y >= src->height) {
        px[0] = px[1] = px[2] = fill;
        return;
    }
    const unsigned char *p = src->data + ((size_t)y * src->width + x) * src->channels;
    if (src->channels == 1) {
        px[0] = px[1] = px[2] = p[0];
    } else if (channels == 1) {
        px[0] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
    } else {
        px[0] = p[0];
        px[1] = p[1];
        px[2] = p[2];
    }
}

static void sample(const eyni_image *src, double xs, double ys, int channels, unsigned char fill,
                   unsigned char *d)
{
    double fx0 = floor(xs), fy0 = floor(ys);
    int x0 = (int)fx0, y0 = (int)fy0;
    float fx = (float)(xs - fx0), fy = (float)(ys - fy0);
    float a[3], b[3], c[3], e[3];
    fetch(src, x0, y0, channels, fill, a);
    fetch(src, x0 + 1, y0, channels, fill, b);
    fetch(src, x0, y0 + 1, channels, fill, c);
    fetch(src, x0 + 1, y0 + 1, channels, fill, e);
    for (int k = 0; k < channels; k++) {
        float v = (1 - fy) * ((1 - fx) * a[k] + fx * b[k]) + fy * ((1 - fx) * c[k] + fx * e[k]);
        d[k] = (unsigned char)(v + 0.5f);
    }
}

int face_crop(const eyni_image *img, double x0, double y0, double w, double h, int ow, int oh,
              int channels, unsigned char fill, eyni_image **out, eyni_error *err)
{
    if (!(w > 0) || !(h > 0) || !isfinite(x0) || !isfinite(y0))
        return eyni_error_set(err, EYNI_EINVAL, "face: empty crop rectangle");
    eyni_image *o = eyni_image_new(ow, oh, channels, err);
    if (!o)
        return err ? err->code : EYNI_ENOMEM;
    double sx = w / ow, sy = h / oh;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            sample(img, x0 + (x + 0.5) * sx - 0.5, y0 + (y + 0.5) * sy - 0.5, channels, fill,
                   o->data + ((size_t)y * ow + x) * channels);
    *out = o;
    return 0;
}
