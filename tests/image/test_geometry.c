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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_warp_reproduces_the_image),
        cmocka_unit_test(rotation_there_and_back_is_close),
        cmocka_unit_test(resize_keeps_mean_and_scales_resolution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
