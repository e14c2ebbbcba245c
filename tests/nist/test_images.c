/* Images inside records decode through src/image; transactions built from parts re-read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/nist.h"
#include "testutil.h"

#define REF "ansi-nist-itl-samples/nist-ansi-nist-itl-2011-reference-files/"
#define TX  "ansi-nist-itl-samples/nist-sample-transaction/"

static eyni_nist *load(const char *rel)
{
    char *p = eyni_test_path(rel);
    eyni_nist *t = NULL;
    eyni_error err;
    if (eyni_nist_load(p, &t, &err))
        fail_msg("%s", err.msg);
    free(p);
    return t;
}

static eyni_image *decode(const eyni_nist *t, size_t i)
{
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_nist_record_decode_image(t, eyni_nist_record_at(t, i), &img, &err))
        fail_msg("record %zu: %s", i, err.msg);
    return img;
}

/*
 * The reference PNGs fp-N.png are the Type-4 images of finger position N. WSQ decoders
 * differ only by floating-point rounding: at most 1 grey level, on few pixels.
 */
static void sample_fingerprints_match_reference_decodes(void **state)
{
    eyni_nist *t = load(TX "sample.an2");
    int seen = 0, worst = 0;
    size_t differ = 0, total = 0;
    for (size_t i = 1; i < eyni_nist_record_count(t); i++) {
        eyni_nist_image_info in;
        eyni_error err;
        if (eyni_nist_record_type(eyni_nist_record_at(t, i)) != 4)
            continue;
        assert_int_equal(eyni_nist_record_image(t, eyni_nist_record_at(t, i), &in, &err), 0);
        assert_string_equal(in.compression, "WSQ20");
        assert_true(in.position >= 1 && in.position <= 14);
        eyni_image *got = decode(t, i);
        char rel[128];
        snprintf(rel, sizeof rel, TX "fp-%d.png", in.position);
        char *p = eyni_test_path(rel);
        eyni_image *want = NULL;
        assert_int_equal(eyni_image_load(p, 1, &want, &err), 0);
        free(p);
        assert_int_equal(got->width, want->width);
        assert_int_equal(got->height, want->height);
        assert_int_equal(got->width, in.width);
        assert_true(fabs(got->ppi - 500) < 1);
        size_t n = (size_t)got->width * got->height;
        for (size_t k = 0; k < n; k++) {
            int d = abs(got->data[k] - want->data[k]);
            worst = d > worst ? d : worst;
            differ += d != 0;
        }
        total += n;
        seen++;
        eyni_image_free(got);
        eyni_image_free(want);
    }
    print_message("sample.an2: %d images, max abs diff %d, %zu of %zu pixels differ\n", seen, worst,
                  differ, total);
    assert_int_equal(seen, 14);
    assert_true(worst <= 1);
    assert_true(differ < total / 1000);
    eyni_nist_free(t);
}

typedef struct image_case {
    const char *file;
    size_t record;
    const char *compression;
    int width, height, channels;
} image_case;

static void jpeg_jpeg2000_png_and_raw_records_decode(void **state)
{
    static const image_case cases[] = {
        {REF "type-10-sap10.an2", 2, "JPEGB", 1181, 1575, 3},
        {REF "type-17-iris.an2", 2, "PNG", 449, 312, 1},
        {REF "type-15-palms.an2", 3, "JP2L", 2750, 2750, 1},
        {REF "type-15-palms.an2", 2, "WSQ20", 900, 2500, 1},
        {REF "type-13-tip-eji-wsq.an2", 2, "WSQ20", 344, 370, 1},
        {REF "type-9-14-std.an2", 3, "NONE", 800, 768, 1},
        {REF "type-6.an2", 2, "NONE", 804, 752, 1},
        {REF "type-3.an2", 2, "NONE", 402, 376, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        eyni_nist *t = load(cases[c].file);
        eyni_nist_image_info in;
        eyni_error err;
        assert_int_equal(
            eyni_nist_record_image(t, eyni_nist_record_at(t, cases[c].record), &in, &err), 0);
        assert_string_equal(in.compression, cases[c].compression);
        eyni_image *img = decode(t, cases[c].record);
        assert_int_equal(img->width, cases[c].width);
        assert_int_equal(img->height, cases[c].height);
        assert_int_equal(img->channels, cases[c].channels);
        /* a real picture: some spread of grey levels */
        int lo = 255, hi = 0;
        for (size_t k = 0; k < (size_t)img->width * img->height * img->channels; k++) {
            lo = img->data[k] < lo ? img->data[k] : lo;
            hi = img->data[k] > hi ? img->data[k] : hi;
        }
        assert_true(hi - lo > 50);
        eyni_image_free(img);
        eyni_nist_free(t);
    }
}

static void records_without_images_say_so(void **state)
{
    eyni_nist *t = load(REF "type-9-13-m1.an2");
    eyni_nist_image_info in;
    eyni_error err;
    assert_int_equal(eyni_nist_record_image(t, eyni_nist_record_at(t, 2), &in, &err),
                     EYNI_ENOTFOUND);
    eyni_image *img = NULL;
    t = (eyni_nist_free(t), load(REF "type-8-sig-fax.an2"));
    assert_int_equal(eyni_nist_record_decode_image(t, eyni_nist_record_at(t, 2), &img, &err),
                     EYNI_EFORMAT);
    assert_null(img);
    eyni_nist_free(t);
}

static eyni_image *load_image(const char *rel, int channels)
{
    char *p = eyni_test_path(rel);
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_load(p, channels, &img, &err))
        fail_msg("%s", err.msg);
    free(p);
    return img;
}

static void transaction_built_from_parts_reads_back(void **state)
{
    eyni_error err;
    eyni_nist *t = eyni_nist_new("CAR", "20260115", "AZEYNI000", "AZEYNI001", "TCN0001", &err);
    assert_non_null(t);
    eyni_nist_record *r2 = eyni_nist_record_add(t, 2, &err);
    assert_non_null(r2);
    assert_int_equal(eyni_nist_field_set_text(r2, 3, "FIN 1AB2C3D", &err), 0);
    eyni_image *finger = load_image("fvc2002-b-real/DB1_B/images/101_1.tif", 1);
    finger->ppi = 500;
    eyni_nist_finger f = {.position = 2, .impression = 0, .src = "AZEYNI001", .date = "20260115"};
    assert_non_null(eyni_nist_add_finger_wsq(t, finger, &f, 0.75, &err));
    char *jp = eyni_test_path("lfw-a-gray-dev/images/Abdullah_Gul/Abdullah_Gul_0001.jpg");
    unsigned char *jpeg;
    size_t jlen;
    assert_int_equal(eyni_file_read(jp, 1 << 24, &jpeg, &jlen, &err), 0);
    free(jp);
    assert_non_null(eyni_nist_add_face_jpeg(t, jpeg, jlen, "AZEYNI001", "20260115", &err));
    assert_non_null(eyni_nist_add_type4_wsq(t, finger, 3, 1, 0.75, &err));
    assert_null(eyni_nist_add_face_jpeg(t, (const unsigned char *)"nope", 4, "A", "B", &err));

    unsigned char *buf, *again;
    size_t len, alen, np;
    assert_int_equal(eyni_nist_write(t, &buf, &len, &err), 0);
    eyni_nist *u = NULL;
    assert_int_equal(eyni_nist_read(buf, len, &u, &err), 0);
    eyni_nist_parse_problems(u, &np);
    assert_int_equal(np, 0);
    eyni_nist_problem *p = NULL;
    assert_int_equal(eyni_nist_validate(u, &p, &np, &err), 0);
    if (np)
        fail_msg("%s", p[0].msg);
    assert_int_equal(eyni_nist_record_count(u), 5);
    char cnt[64];
    eyni_nist_field_text(eyni_nist_record_at(u, 0), 3, cnt, sizeof cnt);
    assert_string_equal(cnt, "1\x1f"
                             "4\x1e"
                             "2\x1f"
                             "00\x1e"
                             "14\x1f"
                             "01\x1e"
                             "10\x1f"
                             "02\x1e"
                             "4\x1f"
                             "03");
    /* the fingerprint comes back close to what went in */
    for (size_t i = 2; i <= 4; i += 2) {
        eyni_image *got = decode(u, i);
        assert_int_equal(got->width, finger->width);
        double se = 0;
        for (size_t k = 0; k < (size_t)got->width * got->height; k++) {
            double d = got->data[k] - finger->data[k];
            se += d * d;
        }
        assert_true(sqrt(se / ((double)got->width * got->height)) < 12);
        eyni_image_free(got);
    }
    eyni_image *face = decode(u, 3);
    assert_int_equal(face->width, 250);
    eyni_image_free(face);
    assert_int_equal(eyni_nist_write(u, &again, &alen, &err), 0);
    assert_int_equal(alen, len);
    assert_memory_equal(again, buf, len);
    free(again);
    free(p);
    free(buf);
    free(jpeg);
    eyni_image_free(finger);
    eyni_nist_free(u);
    eyni_nist_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_fingerprints_match_reference_decodes),
        cmocka_unit_test(jpeg_jpeg2000_png_and_raw_records_decode),
        cmocka_unit_test(records_without_images_say_so),
        cmocka_unit_test(transaction_built_from_parts_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
