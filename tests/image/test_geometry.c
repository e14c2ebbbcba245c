#include <math.h>
#include <stdlib.h>

#include "eyni/image.h"
#include "testutil.h"

static eyni_image *load(const char *rel)
{
    char *p = eyni_test_path(rel);
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_load(p, 1, &img, &err))
        fail_msg("%s", err.msg);
    free(p);
    return img;
}

static void identity_warp_reproduces_the_image(void **state)
{
    eyni_image *a = load("orl-att-faces/s5/5.pgm");
    const double id[6] = {1, 0, 0, 0, 1, 0};
    eyni_image *b = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_warp_affine(a, id, a->width, a->height, 0, &b, &err), 0);
    assert_memory_equal(a->data, b->data, (size_t)a->width * a->height);
    eyni_image_free(a);
    eyni_image_free(b);
}

static void rotation_there_and_back_is_close(void **state)
{
    eyni_image *a = load("orl-att-faces/s5/5.pgm");
    double t = 0.3, cx = a->width / 2.0, cy = a->height / 2.0;
    /* destination -> source: rotate about the centre */
    double m[6] = {cos(t), -sin(t), 0, sin(t), cos(t), 0};
    m[2] = cx - m[0] * cx - m[1] * cy;
    m[5] = cy - m[3] * cx - m[4] * cy;
    double inv[6];
    eyni_error err;
    assert_int_equal(eyni_image_affine_invert(m, inv, &err), 0);
    eyni_image *r = NULL, *back = NULL;
    assert_int_equal(eyni_image_warp_affine(a, m, a->width, a->height, 0, &r, &err), 0);
    assert_int_equal(eyni_image_warp_affine(r, inv, a->width, a->height, 0, &back, &err), 0);
    /* Compare the central region, which never left the frame. */
    double sum = 0;
    int n = 0;
    for (int y = 40; y < 72; y++)
        for (int x = 30; x < 62; x++, n++)
            sum += fabs((double)a->data[y * a->width + x] - back->data[y * a->width + x]);
    assert_true(sum / n < 6.0);
    eyni_image_free(a);
    eyni_image_free(r);
    eyni_image_free(back);
    const double singular[6] = {1, 2, 0, 2, 4, 0};
    assert_int_equal(eyni_image_affine_invert(singular, inv, &err), EYNI_EINVAL);
}

static void resize_keeps_mean_and_scales_resolution(void **state)
{
    eyni_image *a = load("fvc2002-b-real/DB2_B/images/105_4.tif");
    a->ppi = 569;
    eyni_image *b = NULL;
    eyni_error err;
    int w = (int)lround(a->width * 500.0 / 569), h = (int)lround(a->height * 500.0 / 569);
    assert_int_equal(eyni_image_resize(a, w, h, &b, &err), 0);
    double ma = 0, mb = 0;
    for (int i = 0; i < a->width * a->height; i++)
        ma += a->data[i];
    for (int i = 0; i < b->width * b->height; i++)
        mb += b->data[i];
    ma /= a->width * a->height;
    mb /= b->width * b->height;
    assert_true(fabs(ma - mb) < 1.0);
    assert_true(fabs(b->ppi - 500) < 2);
    eyni_image *up = NULL;
    assert_int_equal(eyni_image_resize(b, 2 * w, 2 * h, &up, &err), 0);
    assert_int_equal(up->width, 2 * w);
    eyni_image_free(a);
    eyni_image_free(b);
    eyni_image_free(up);
}

/* Area averaging written out per output pixel: the overlap of each covered source pixel,
 * accumulated row by row. The library tabulates the overlaps per row and column; the
 * products and sums are the same, so the pixels must be identical. */
static unsigned char area_mean(const eyni_image *in, int ow, int oh, int x, int y, int k)
{
    double sx = (double)in->width / ow, sy = (double)in->height / oh;
    double y0 = y * sy, y1 = y0 + sy, x0 = x * sx, x1 = x0 + sx, acc = 0, wsum = 0;
    for (int yy = (int)y0; yy < (int)ceil(y1) && yy < in->height; yy++) {
        double wy = fmin(y1, yy + 1.0) - fmax(y0, (double)yy);
        for (int xx = (int)x0; xx < (int)ceil(x1) && xx < in->width; xx++) {
            double wgt = wy * (fmin(x1, xx + 1.0) - fmax(x0, (double)xx));
            acc += wgt * in->data[((size_t)yy * in->width + xx) * in->channels + k];
            wsum += wgt;
        }
    }
    return (unsigned char)lround(wsum > 0 ? acc / wsum : 0);
}

static void shrink_is_the_mean_of_the_covered_area(void **state)
{
    eyni_image *fvc = load("fvc2002-b-real/DB2_B/images/105_4.tif");
    char *p = eyni_test_path("orl-att-faces/s5/5.pgm");
    eyni_image *face = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_load(p, 3, &face, &err), 0);
    free(p);
    const struct {
        eyni_image *img;
        int w, h;
    } cases[] = {
        {fvc, (int)lround(fvc->width * 500.0 / 569), (int)lround(fvc->height * 500.0 / 569)},
        {fvc, fvc->width / 2, fvc->height / 2},
        {fvc, fvc->width, fvc->height / 3},
        {face, 37, 45},
        {face, 1, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        eyni_image *o = NULL;
        assert_int_equal(eyni_image_resize(cases[c].img, cases[c].w, cases[c].h, &o, &err), 0);
        int ch = o->channels;
        for (int y = 0; y < o->height; y++)
            for (int x = 0; x < o->width; x++)
                for (int k = 0; k < ch; k++)
                    assert_int_equal(o->data[((size_t)y * o->width + x) * ch + k],
                                     area_mean(cases[c].img, o->width, o->height, x, y, k));
        eyni_image_free(o);
    }
    eyni_image_free(fvc);
    eyni_image_free(face);
}

/* The 2D Gaussian sum at one pixel, edges replicated, straight from the definition. */
static double gauss_at(const eyni_image *im, int x, int y, double sigma)
{
    int r = (int)ceil(3 * sigma);
    double acc = 0, wsum = 0;
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            int xx = x + dx < 0 ? 0 : x + dx >= im->width ? im->width - 1 : x + dx;
            int yy = y + dy < 0 ? 0 : y + dy >= im->height ? im->height - 1 : y + dy;
            double wgt = exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            acc += wgt * im->data[(size_t)yy * im->width + xx];
            wsum += wgt;
        }
    return acc / wsum;
}

static void blur_is_the_gaussian_sum_per_channel(void **state)
{
    eyni_image *face = load("orl-att-faces/s5/5.pgm");
    eyni_image *rgb = eyni_image_new(face->width, face->height, 3, NULL);
    size_t n = (size_t)face->width * face->height;
    for (size_t i = 0; i < n; i++)
        rgb->data[3 * i] = face->data[i], rgb->data[3 * i + 1] = 0, rgb->data[3 * i + 2] = 255;
    const float sigmas[] = {0.6f, 2.5f, 7.0f};
    eyni_error err;
    for (size_t s = 0; s < sizeof sigmas / sizeof sigmas[0]; s++) {
        eyni_image *o = NULL;
        assert_int_equal(eyni_image_blur(rgb, sigmas[s], &o, &err), 0);
        assert_int_equal(o->channels, 3);
        for (int y = 0; y < o->height; y += 3)
            for (int x = 0; x < o->width; x += 3) {
                size_t i = (size_t)y * o->width + x;
                double want = gauss_at(face, x, y, sigmas[s]);
                assert_true(fabs(o->data[3 * i] - want) <= 1.0);
                assert_int_equal(o->data[3 * i + 1], 0); /* constant planes stay constant */
                assert_int_equal(o->data[3 * i + 2], 255);
            }
        eyni_image_free(o);
    }
    for (int bad = 0; bad < 3; bad++) {
        eyni_image *o = NULL;
        float sigma = bad == 0 ? 0.0f : bad == 1 ? -1.0f : 1000.0f;
        assert_int_equal(eyni_image_blur(face, sigma, &o, &err), EYNI_EINVAL);
        assert_null(o);
    }
    eyni_image_free(rgb);
    eyni_image_free(face);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_warp_reproduces_the_image),
        cmocka_unit_test(rotation_there_and_back_is_close),
        cmocka_unit_test(resize_keeps_mean_and_scales_resolution),
        cmocka_unit_test(shrink_is_the_mean_of_the_covered_area),
        cmocka_unit_test(blur_is_the_gaussian_sum_per_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
