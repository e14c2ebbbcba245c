#include <stdlib.h>
#include <string.h>

#include "eyni/image.h"
#include "testutil.h"

static eyni_image *load(const char *rel, int channels)
{
    char *p = eyni_test_path(rel);
    eyni_image *img = NULL;
    eyni_error err;
    int rc = eyni_image_load(p, channels, &img, &err);
    if (rc)
        fail_msg("%s", err.msg);
    free(p);
    return img;
}

static unsigned char *read_data(const char *rel, size_t *len)
{
    char *p = eyni_test_path(rel);
    unsigned char *buf;
    eyni_error err;
    assert_int_equal(eyni_file_read(p, 1 << 26, &buf, len, &err), 0);
    free(p);
    return buf;
}

static double mean(const eyni_image *img)
{
    double s = 0;
    size_t n = (size_t)img->width * img->height * img->channels;
    for (size_t i = 0; i < n; i++)
        s += img->data[i];
    return s / n;
}

static void fvc_tiffs_decode_with_sensor_sizes(void **state)
{
    eyni_image *a = load("fvc2002-b-real/DB1_B/images/101_1.tif", 0);
    assert_int_equal(a->width, 388);
    assert_int_equal(a->height, 374);
    assert_int_equal(a->channels, 1);
    eyni_image *b = load("fvc2002-b-real/DB2_B/images/101_1.tif", 0);
    assert_int_equal(b->width, 296);
    assert_int_equal(b->height, 560);
    eyni_image *c = load("fvc2002-b-real/DB3_B/images/110_8.tif", 0);
    assert_int_equal(c->width, 300);
    assert_int_equal(c->height, 300);
    /* Real fingerprints: neither blank nor saturated. */
    assert_true(mean(a) > 30 && mean(a) < 230);
    eyni_image_free(a);
    eyni_image_free(b);
    eyni_image_free(c);
}

static void lfw_jpeg_and_orl_pgm_decode(void **state)
{
    eyni_image *a = load("lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0001.jpg", 0);
    assert_int_equal(a->width, 250);
    assert_int_equal(a->height, 250);
    eyni_image *rgb = load("lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0001.jpg", 3);
    assert_int_equal(rgb->channels, 3);
    assert_int_equal(rgb->data[3 * 1000], rgb->data[3 * 1000 + 2]);
    eyni_image *b = load("orl-att-faces/s1/1.pgm", 0);
    assert_int_equal(b->width, 92);
    assert_int_equal(b->height, 112);
    assert_int_equal(b->channels, 1);
    eyni_image_free(a);
    eyni_image_free(rgb);
    eyni_image_free(b);
}

static void jpeg2000_portrait_in_passport_dg2_decodes(void **state)
{
    size_t len;
    unsigned char *dg2 = read_data("icao9303-test/bsi2008-test-passport-MUSTERMANN/Datagroup2.bin",
                                   &len);
    const unsigned char sig[] = {0, 0, 0, 0x0c, 'j', 'P', ' ', ' '};
    size_t off = 0;
    while (off + sizeof sig <= len && memcmp(dg2 + off, sig, sizeof sig) != 0)
        off++;
    assert_true(off + sizeof sig <= len);
    eyni_image *img = NULL;
    eyni_error err;
    int rc = eyni_image_decode(dg2 + off, len - off, 0, &img, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_true(img->width > 100 && img->height > 100);
    assert_true(mean(img) > 20 && mean(img) < 240);
    eyni_image_free(img);
    free(dg2);
}

static void png_round_trip_is_exact(void **state)
{
    eyni_image *a = load("fvc2002-b-real/DB1_B/images/102_3.tif", 0);
    unsigned char *buf;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_image_encode_png(a, &buf, &len, &err), 0);
    eyni_image *b = NULL;
    assert_int_equal(eyni_image_decode(buf, len, 0, &b, &err), 0);
    assert_int_equal(b->width, a->width);
    assert_memory_equal(a->data, b->data, (size_t)a->width * a->height);
    free(buf);
    eyni_image_free(a);
    eyni_image_free(b);
}

static void nist_reference_png_decodes(void **state)
{
    eyni_image *a = load("ansi-nist-itl-samples/nist-sample-transaction/fp-1.png", 1);
    assert_true(a->width > 300 && a->height > 300);
    eyni_image_free(a);
}

/* Builds an 8-bit grey-palette BMP of img in memory. */
static unsigned char *make_bmp(const eyni_image *img, size_t *len)
{
    size_t stride = ((size_t)img->width + 3) & ~(size_t)3;
    size_t off = 14 + 40 + 1024, n = off + stride * img->height;
    unsigned char *b = calloc(1, n);
    b[0] = 'B', b[1] = 'M';
    b[10] = (unsigned char)off, b[11] = (unsigned char)(off >> 8);
    b[14] = 40;
    b[18] = (unsigned char)img->width, b[19] = (unsigned char)(img->width >> 8);
    b[22] = (unsigned char)img->height, b[23] = (unsigned char)(img->height >> 8);
    b[26] = 1, b[28] = 8;
    for (int i = 0; i < 256; i++)
        memset(b + 54 + 4 * i, i, 3);
    for (int y = 0; y < img->height; y++)
        memcpy(b + off + (size_t)(img->height - 1 - y) * stride,
               img->data + (size_t)y * img->width, (size_t)img->width);
    *len = n;
    return b;
}

static void bmp_decodes_bottom_up_grey(void **state)
{
    eyni_image *a = load("orl-att-faces/s2/3.pgm", 0);
    size_t len;
    unsigned char *bmp = make_bmp(a, &len);
    eyni_image *b = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_decode(bmp, len, 0, &b, &err), 0);
    assert_int_equal(b->channels, 1);
    assert_memory_equal(a->data, b->data, (size_t)a->width * a->height);
    /* Truncated pixel data is refused. */
    assert_int_equal(eyni_image_decode(bmp, len - 100, 0, &b, &err), EYNI_EFORMAT);
    free(bmp);
    eyni_image_free(a);
    eyni_image_free(b);
}

static void broken_inputs_get_clear_errors(void **state)
{
    eyni_image *img = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_decode((const unsigned char *)"", 0, 0, &img, &err),
                     EYNI_EFORMAT);
    const char *text = "this is not an image at all";
    assert_int_equal(eyni_image_decode((const unsigned char *)text, strlen(text), 0, &img, &err),
                     EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, "not an image"));
    unsigned char zeros[4096] = {0};
    assert_int_equal(eyni_image_decode(zeros, sizeof zeros, 0, &img, &err), EYNI_EFORMAT);

    const char *files[] = {"lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0002.jpg",
                           "fvc2002-b-real/DB3_B/images/103_2.tif",
                           "ansi-nist-itl-samples/nist-sample-transaction/fp-2.png",
                           "orl-att-faces/s3/4.pgm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        unsigned char *buf = read_data(files[i], &len);
        /* Cut in half and cut to the header: every decoder must refuse, never crash. */
        assert_int_not_equal(eyni_image_decode(buf, len / 2, 0, &img, &err), 0);
        assert_true(strlen(err.msg) > 0);
        assert_int_not_equal(eyni_image_decode(buf, 40, 0, &img, &err), 0);
        free(buf);
    }
    assert_null(img);
}

static void oversized_headers_are_refused_before_allocation(void **state)
{
    eyni_image *img = NULL;
    eyni_error err;
    const char *pgm = "P5\n20000 20000\n255\n";
    assert_int_equal(eyni_image_decode((const unsigned char *)pgm, strlen(pgm), 0, &img, &err),
                     EYNI_ELIMIT);
    /* A real JPEG whose frame header claims 20000x20000. */
    size_t len;
    unsigned char *buf = read_data("lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0001.jpg",
                                   &len);
    size_t i = 2;
    while (i + 9 < len && !(buf[i] == 0xFF && (buf[i + 1] == 0xC0 || buf[i + 1] == 0xC2)))
        i++;
    assert_true(i + 9 < len);
    buf[i + 5] = 0x4E, buf[i + 6] = 0x20; /* height 20000 */
    buf[i + 7] = 0x4E, buf[i + 8] = 0x20; /* width 20000 */
    assert_int_equal(eyni_image_decode(buf, len, 0, &img, &err), EYNI_ELIMIT);
    assert_non_null(strstr(err.msg, "20000x20000"));
    free(buf);
    assert_null(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fvc_tiffs_decode_with_sensor_sizes),
        cmocka_unit_test(lfw_jpeg_and_orl_pgm_decode),
        cmocka_unit_test(jpeg2000_portrait_in_passport_dg2_decodes),
        cmocka_unit_test(png_round_trip_is_exact),
        cmocka_unit_test(nist_reference_png_decodes),
        cmocka_unit_test(bmp_decodes_bottom_up_grey),
        cmocka_unit_test(broken_inputs_get_clear_errors),
        cmocka_unit_test(oversized_headers_are_refused_before_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
