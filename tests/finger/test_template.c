/* ISO/IEC 19794-2 and ANSI INCITS 378 records: SecuGen files, round trips, broken input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/finger.h"
#include "secugen.h"
#include "testutil.h"

static unsigned char *read_rel(const char *rel, size_t *len)
{
    char *p = eyni_test_path(rel);
    unsigned char *buf = NULL;
    eyni_error err;
    if (eyni_file_read(p, 1 << 20, &buf, len, &err))
        fail_msg("%s", err.msg);
    free(p);
    return buf;
}

static void secugen_iso_templates_load(void **state)
{
    eyni_finger_template *t = test_secugen(2, 101, 1);
    /* Header and first minutia read by hand from the file. */
    assert_int_equal(t->width, 300);
    assert_int_equal(t->height, 400);
    assert_int_equal(t->res_x, 197);
    assert_int_equal(t->n_minutiae, 55);
    assert_int_equal(t->minutiae[0].type, EYNI_FINGER_ENDING);
    assert_int_equal(t->minutiae[0].x, 0x97);
    assert_int_equal(t->minutiae[0].y, 0x5b);
    assert_true(fabs(t->minutiae[0].angle - 0x8d * M_PI / 128) < 1e-9);
    assert_int_equal(t->minutiae[0].quality, 0);
    eyni_finger_template_free(t);
}

static void roundtrip(const eyni_finger_template *t, eyni_finger_format fmt)
{
    unsigned char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    eyni_error err;
    eyni_finger_template *back = NULL;
    eyni_finger_format got = 0;
    assert_int_equal(eyni_finger_template_write(t, fmt, &a, &la, &err), 0);
    assert_int_equal(eyni_finger_template_read(a, la, "mem", &back, &got, &err), 0);
    assert_int_equal(got, fmt);
    assert_int_equal(back->n_minutiae, t->n_minutiae);
    assert_int_equal(eyni_finger_template_write(back, fmt, &b, &lb, &err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    eyni_finger_template_free(back);
    free(a);
    free(b);
}

static void our_records_roundtrip_byte_identical(void **state)
{
    char *p = eyni_test_path("fvc2002-b-real/DB3_B/images/105_2.tif");
    eyni_image *img = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_load(p, 1, &img, &err), 0);
    eyni_finger_template *t = NULL;
    eyni_finger_opts o = {500, 2};
    assert_int_equal(eyni_finger_extract(img, &o, &t, NULL, &err), 0);
    roundtrip(t, EYNI_FINGER_ISO);
    roundtrip(t, EYNI_FINGER_ANSI);
    /* ISO keeps our angles exactly; the stored template compares equal to the original. */
    unsigned char *a = NULL;
    size_t la = 0;
    eyni_finger_template *back = NULL;
    assert_int_equal(eyni_finger_template_write(t, EYNI_FINGER_ISO, &a, &la, &err), 0);
    assert_int_equal(eyni_finger_template_read(a, la, "mem", &back, NULL, &err), 0);
    assert_true(fabs(eyni_finger_compare(t, back) - eyni_finger_compare(t, t)) < 1e-9);
    /* SecuGen records round-trip too. */
    eyni_finger_template *sg = test_secugen(1, 104, 3);
    roundtrip(sg, EYNI_FINGER_ISO);
    roundtrip(sg, EYNI_FINGER_ANSI);
    eyni_finger_template_free(sg);
    eyni_finger_template_free(back);
    eyni_finger_template_free(t);
    eyni_image_free(img);
    free(a);
    free(p);
}

static void broken_records_are_refused(void **state)
{
    size_t len;
    unsigned char *buf = read_rel("fvc2002-b-real/DB1_B/iso19794-2_templates/101_1.iso", &len);
    eyni_finger_template *t = NULL;
    eyni_error err;
    assert_int_equal(eyni_finger_template_read(buf, 0, "e", &t, NULL, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, "empty"));
    assert_int_equal(eyni_finger_template_read(buf, len - 7, "t", &t, NULL, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_finger_template_read(buf, 20, "s", &t, NULL, &err), EYNI_EFORMAT);
    unsigned char *bad = malloc(len);
    memcpy(bad, buf, len);
    bad[27] = 200; /* minutiae count larger than the record */
    assert_int_equal(eyni_finger_template_read(bad, len, "c", &t, NULL, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, "c:"));
    memcpy(bad, buf, len);
    bad[0] = 'X';
    assert_int_equal(eyni_finger_template_read(bad, len, "m", &t, NULL, &err), EYNI_EFORMAT);
    memcpy(bad, buf, len);
    bad[22] = 0; /* no finger views */
    assert_int_equal(eyni_finger_template_read(bad, len, "v", &t, NULL, &err), EYNI_EFORMAT);
    unsigned char *huge = calloc(1, EYNI_FINGER_MAX_RECORD + 1);
    memcpy(huge, buf, len);
    assert_int_equal(
        eyni_finger_template_read(huge, EYNI_FINGER_MAX_RECORD + 1, "h", &t, NULL, &err),
        EYNI_ELIMIT);
    assert_null(t);
    free(huge);
    free(bad);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secugen_iso_templates_load),
        cmocka_unit_test(our_records_roundtrip_byte_identical),
        cmocka_unit_test(broken_records_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
