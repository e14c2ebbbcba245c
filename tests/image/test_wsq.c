/* WSQ: the shared reference decodes to its PNG; our encoder round-trips FVC fingerprints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/image.h"
#include "testutil.h"

#define WSQ_SAMPLE "ansi-nist-itl-samples/wsq-sample/sample.wsq"

static unsigned char *read_data(const char *rel, size_t *len)
{
    char *p = eyni_test_path(rel);
    unsigned char *buf;
    eyni_error err;
    if (eyni_file_read(p, 1 << 26, &buf, len, &err))
        fail_msg("%s", err.msg);
    free(p);
    return buf;
}

static eyni_image *load(const char *rel, int channels)
{
    char *p = eyni_test_path(rel);
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_load(p, channels, &img, &err))
        fail_msg("%s", err.msg);
    free(p);
    return img;
}

static void reference_sample_decodes_to_its_png(void **state)
{
    eyni_image *got = load(WSQ_SAMPLE, 0);
    eyni_image *want = load("ansi-nist-itl-samples/wsq-sample/sample.png", 1);
    assert_int_equal(got->channels, 1);
    assert_int_equal(got->width, 545);
    assert_int_equal(got->height, 622);
    assert_int_equal(want->width, 545);
    assert_true(fabs(got->ppi - 500) < 1e-9); /* from the NIST_COM comment */
    size_t n = (size_t)got->width * got->height, differ = 0;
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs(got->data[i] - want->data[i]);
        worst = d > worst ? d : worst;
        differ += d != 0;
    }
    print_message("sample.wsq: max abs diff %d, %zu of %zu pixels differ\n", worst, differ, n);
    assert_true(worst <= 1);
    assert_true(differ < n / 1000);
    eyni_image_free(got);
    eyni_image_free(want);
}

static double rmse(const eyni_image *a, const eyni_image *b)
{
    double se = 0;
    size_t n = (size_t)a->width * a->height;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->data[i] - b->data[i];
        se += d * d;
    }
    return sqrt(se / (double)n);
}

static void encode_decode(const eyni_image *img, double rate, double *err_out, double *ratio)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    eyni_error err;
    if (eyni_image_encode_wsq(img, rate, 500, &buf, &len, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(eyni_image_sniff(buf, len), EYNI_IMAGE_WSQ);
    eyni_image *back = NULL;
    if (eyni_image_decode(buf, len, 0, &back, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(back->width, img->width);
    assert_int_equal(back->height, img->height);
    assert_true(fabs(back->ppi - 500) < 1e-9);
    *err_out = rmse(img, back);
    *ratio = (double)img->width * img->height / (double)len;
    eyni_image_free(back);
    free(buf);
}

static void fvc_fingerprints_round_trip_at_075_bpp(void **state)
{
    static const char *const files[] = {
        "fvc2002-b-real/DB1_B/images/101_1.tif", "fvc2002-b-real/DB1_B/images/105_3.tif",
        "fvc2002-b-real/DB2_B/images/102_2.tif", "fvc2002-b-real/DB3_B/images/110_8.tif"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        eyni_image *img = load(files[i], 1);
        double e75, r75, e225, r225;
        encode_decode(img, 0.75, &e75, &r75);
        encode_decode(img, 2.25, &e225, &r225);
        print_message("%s: 0.75 bpp rmse %.2f ratio %.1f; 2.25 bpp rmse %.2f ratio %.1f\n",
                      files[i], e75, r75, e225, r225);
        /* WSQ at 0.75 bpp: roughly 10-20:1 with a few grey levels of error */
        assert_true(e75 > 0.5 && e75 < 12);
        assert_true(r75 > 8 && r75 < 30);
        /* more bits, less error */
        assert_true(e225 < e75 && r225 < r75);
        eyni_image_free(img);
    }
}

static void encoding_is_deterministic_and_default_rate_is_075(void **state)
{
    eyni_image *img = load("fvc2002-b-real/DB2_B/images/101_1.tif", 1);
    unsigned char *a, *b;
    size_t la, lb;
    eyni_error err;
    assert_int_equal(eyni_image_encode_wsq(img, 0, 0, &a, &la, &err), 0);
    assert_int_equal(eyni_image_encode_wsq(img, 0.75, 0, &b, &lb, &err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    eyni_image_free(img);
}

static void encoder_rejects_what_it_cannot_code(void **state)
{
    eyni_error err;
    unsigned char *buf;
    size_t len;
    eyni_image *rgb = eyni_image_new(64, 64, 3, &err);
    assert_int_equal(eyni_image_encode_wsq(rgb, 0.75, 500, &buf, &len, &err), EYNI_EINVAL);
    eyni_image *tiny = eyni_image_new(16, 64, 1, &err);
    assert_int_equal(eyni_image_encode_wsq(tiny, 0.75, 500, &buf, &len, &err), EYNI_EINVAL);
    eyni_image *flat = eyni_image_new(64, 64, 1, &err);
    memset(flat->data, 200, 64 * 64);
    /* a blank image still codes (every subband dropped) and decodes to itself */
    assert_int_equal(eyni_image_encode_wsq(flat, 0.75, 500, &buf, &len, &err), 0);
    eyni_image *back = NULL;
    assert_int_equal(eyni_image_decode_wsq(buf, len, &back, &err), 0);
    assert_true(rmse(flat, back) < 1);
    eyni_image_free(back);
    free(buf);
    eyni_image_free(rgb);
    eyni_image_free(tiny);
    eyni_image_free(flat);
}

static void broken_streams_fail_cleanly(void **state)
{
    size_t len;
    unsigned char *buf = read_data(WSQ_SAMPLE, &len);
    eyni_image *img = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_decode_wsq(buf, 0, &img, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_image_decode_wsq((const unsigned char *)"\xff\xa0", 2, &img, &err),
                     EYNI_EFORMAT);
    /* every truncation fails with a message and no image */
    for (size_t cut = 1; cut < len; cut += cut < 700 ? 1 : 4999) {
        int rc = eyni_image_decode_wsq(buf, cut, &img, &err);
        if (rc == 0)
            fail_msg("a WSQ cut at %zu of %zu bytes decoded", cut, len);
        assert_true(strncmp(err.msg, "WSQ: ", 5) == 0);
    }
    assert_null(img);
    /* corrupt table bytes: decode or fail, never crash */
    unsigned char *copy = malloc(len);
    for (size_t at = 2; at < 900; at += 23) {
        memcpy(copy, buf, len);
        copy[at] ^= 0x5A;
        if (eyni_image_decode_wsq(copy, len, &img, &err) == 0) {
            eyni_image_free(img);
            img = NULL;
        }
    }
    free(copy);
    free(buf);
}

static void oversized_frame_is_refused_before_allocating(void **state)
{
    size_t len;
    unsigned char *buf = read_data(WSQ_SAMPLE, &len);
    unsigned char *sof = memmem(buf, len, "\xff\xa2\x00\x11", 4);
    assert_non_null(sof);
    sof[6] = sof[7] = sof[8] = sof[9] = 0xFF; /* 65535 x 65535 */
    eyni_image *img = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_decode_wsq(buf, len, &img, &err), EYNI_ELIMIT);
    free(buf);
}

/* Odd and even sides: crops of a real fingerprint code and decode with the same layout. */
static void odd_sized_crops_round_trip(void **state)
{
    static const int sizes[][2] = {{33, 47}, {97, 61}, {255, 33}, {333, 301}, {64, 129}};
    eyni_image *full = load("fvc2002-b-real/DB1_B/images/101_1.tif", 1);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        eyni_error err;
        int w = sizes[i][0], h = sizes[i][1], x0 = (full->width - w) / 2,
            y0 = (full->height - h) / 2;
        eyni_image *img = eyni_image_new(w, h, 1, &err);
        for (int y = 0; y < h; y++)
            memcpy(img->data + (size_t)y * w, full->data + (size_t)(y0 + y) * full->width + x0,
                   (size_t)w);
        double e75, r75, e225, r225;
        encode_decode(img, 0.75, &e75, &r75);
        encode_decode(img, 2.25, &e225, &r225);
        print_message("%dx%d crop: rmse %.2f at 0.75 bpp, %.2f at 2.25 bpp\n", w, h, e75, e225);
        /* a layout mismatch between coder and decoder would scramble the image */
        assert_true(e75 < 20);
        assert_true(e225 < e75);
        eyni_image_free(img);
    }
    eyni_image_free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_sample_decodes_to_its_png),
        cmocka_unit_test(fvc_fingerprints_round_trip_at_075_bpp),
        cmocka_unit_test(encoding_is_deterministic_and_default_rate_is_075),
        cmocka_unit_test(odd_sized_crops_round_trip),
        cmocka_unit_test(encoder_rejects_what_it_cannot_code),
        cmocka_unit_test(broken_streams_fail_cleanly),
        cmocka_unit_test(oversized_frame_is_refused_before_allocating),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
