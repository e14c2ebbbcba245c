/* Validation names the faults planted in real transactions; clean files have none. */
#include <stdlib.h>
#include <string.h>

#include "eyni/nist.h"
#include "testutil.h"

#define REF    "ansi-nist-itl-samples/nist-ansi-nist-itl-2011-reference-files/"
#define SAMPLE "ansi-nist-itl-samples/nist-sample-transaction/sample.an2"

static unsigned char *read_data(const char *rel, size_t *len)
{
    char *p = eyni_test_path(rel);
    unsigned char *buf;
    eyni_error err;
    if (eyni_file_read(p, EYNI_NIST_MAX_BYTES, &buf, len, &err))
        fail_msg("%s", err.msg);
    free(p);
    return buf;
}

/* Replaces the first occurrence of from (same length as to) after offset start. */
static void plant(unsigned char *buf, size_t len, size_t start, const char *from, const char *to)
{
    size_t n = strlen(from);
    assert_int_equal(n, strlen(to));
    for (size_t i = start; i + n <= len; i++)
        if (memcmp(buf + i, from, n) == 0) {
            memcpy(buf + i, to, n);
            return;
        }
    fail_msg("'%s' not found", from);
}

typedef struct found {
    eyni_nist_problem *p;
    size_t n;
} found;

static found validate(const unsigned char *buf, size_t len, eyni_nist **keep)
{
    eyni_nist *t = NULL;
    eyni_error err;
    if (eyni_nist_read(buf, len, &t, &err))
        fail_msg("read: %s", err.msg);
    found f = {0};
    assert_int_equal(eyni_nist_validate(t, &f.p, &f.n, &err), 0);
    if (keep)
        *keep = t;
    else
        eyni_nist_free(t);
    return f;
}

static int has(const found *f, eyni_nist_problem_kind kind, int record, int field)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->p[i].kind == kind && (record < -1 || f->p[i].record == record) &&
            (field < 0 || f->p[i].field == field))
            return 1;
    return 0;
}

static void clean_reference_files_have_no_problems(void **state)
{
    static const char *const files[] = {REF "type-4-tpcard.an2",
                                        REF "type-10-sap10.an2",
                                        REF "type-14-tpcard-nqm.an2",
                                        REF "type-15-palms.an2",
                                        REF "type-17-iris.an2",
                                        REF "type-9-13-m1.an2",
                                        REF "type-8-sig.an2",
                                        REF "type-3.an2",
                                        REF "type-7-latent.an2",
                                        REF "type-13-tip-eji-wsq.an2",
                                        REF "type-10-14-17-piv-index-iris.an2",
                                        SAMPLE};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        unsigned char *buf = read_data(files[i], &len);
        found f = validate(buf, len, NULL);
        if (f.n)
            fail_msg("%s: %s: %s", files[i], eyni_nist_problem_name(f.p[0].kind), f.p[0].msg);
        free(f.p);
        free(buf);
    }
}

static void nonconformant_reference_file_is_flagged(void **state)
{
    /* rec01_rec02_rec16 has 1.002 "0" and a Type-16 date that is free text */
    size_t len;
    unsigned char *buf = read_data(REF "rec01_rec02_rec16.nst.an2", &len);
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_VALUE, 0, 2));
    assert_true(has(&f, EYNI_NIST_DATE, 2, 5));
    free(f.p);
    free(buf);
}

static void wrong_text_record_length_is_found_and_rewritten(void **state)
{
    size_t len, olen;
    unsigned char *orig = read_data(SAMPLE, &len);
    unsigned char *buf = malloc(len);
    memcpy(buf, orig, len);
    plant(buf, len, 0, "2.001:57", "2.001:75");
    eyni_nist *t;
    found f = validate(buf, len, &t);
    assert_true(has(&f, EYNI_NIST_LENGTH, 1, 1));
    assert_int_equal(eyni_nist_record_count(t), 16); /* recovered from the separators */
    unsigned char *out;
    eyni_error err;
    assert_int_equal(eyni_nist_write(t, &out, &olen, &err), 0);
    assert_int_equal(olen, len);
    assert_memory_equal(out, orig, len); /* the writer recomputed the length */
    free(out);
    free(f.p);
    eyni_nist_free(t);
    free(buf);
    free(orig);
}

static void wrong_image_record_length_is_found(void **state)
{
    size_t len;
    unsigned char *buf = read_data(REF "type-14-tpcard-nqm.an2", &len);
    /* the first Type-14 record: change its LEN's first digit */
    unsigned char *p = memmem(buf, len, "14.001:", 7);
    assert_non_null(p);
    p[7] = p[7] == '9' ? '1' : (unsigned char)(p[7] + 1);
    eyni_nist *t;
    found f = validate(buf, len, &t);
    assert_true(has(&f, EYNI_NIST_LENGTH, 2, 1));
    assert_int_equal(eyni_nist_record_count(t), 16);
    eyni_image *img = NULL;
    eyni_error err;
    /* the image in the damaged record still decodes: the boundary was recovered */
    assert_int_equal(eyni_nist_record_decode_image(t, eyni_nist_record_at(t, 2), &img, &err), 0);
    assert_int_equal(img->width, 804);
    eyni_image_free(img);
    free(f.p);
    eyni_nist_free(t);
    free(buf);
}

static void binary_record_length_past_the_end_is_found(void **state)
{
    size_t len;
    unsigned char *buf = read_data(SAMPLE, &len);
    /* record 15 is the last Type-4: find it by walking the binary lengths */
    eyni_nist *t;
    eyni_error err;
    assert_int_equal(eyni_nist_read(buf, len, &t, &err), 0);
    size_t off = 0;
    for (size_t i = 0; i < 15; i++)
        off += eyni_nist_record_length(eyni_nist_record_at(t, i));
    eyni_nist_free(t);
    buf[off] = 0x7F;
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_LENGTH, 15, 1));
    free(f.p);
    free(buf);
}

static void cnt_count_and_entries_are_checked(void **state)
{
    size_t len;
    unsigned char *buf = read_data(SAMPLE, &len);
    plant(buf, len, 0,
          "1.003:1\x1f"
          "15",
          "1.003:1\x1f"
          "16");
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_CNT, 0, 3));
    free(f.p);
    free(buf);

    buf = read_data(SAMPLE, &len);
    plant(buf, len, 0,
          "4\x1f"
          "03",
          "4\x1f"
          "33"); /* IDC of record 4 */
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_CNT, 4, 3));
    free(f.p);
    free(buf);

    buf = read_data(REF "type-9-13-m1.an2", &len);
    plant(buf, len, 0,
          "13\x1f"
          "01",
          "14\x1f"
          "01"); /* a Type-13 listed as Type-14 */
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_CNT, 3, 3));
    free(f.p);
    free(buf);
}

static void damaged_separators_are_found(void **state)
{
    size_t len;
    unsigned char *buf = read_data(SAMPLE, &len);
    /* GS before 1.004 turned into RS: 1.003 swallows it and 1.004 disappears */
    plant(buf, len, 0,
          "\x1d"
          "1.004:",
          "\x1e"
          "1.004:");
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_CNT, 0, 3));
    assert_true(has(&f, EYNI_NIST_MISSING_FIELD, 0, 4));
    free(f.p);
    free(buf);

    buf = read_data(SAMPLE, &len);
    /* the FS ending Type-2 turned into GS: the record no longer ends where LEN says */
    plant(buf, len, 0, "place holder\x1c", "place holder\x1d");
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_LENGTH, 1, 1) || has(&f, EYNI_NIST_SYNTAX, 1, -1));
    free(f.p);
    free(buf);

    buf = read_data(REF "type-17-iris.an2", &len);
    /* a field without its colon */
    plant(buf, len, 0, "17.004:", "17.004;");
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_SYNTAX, 2, -1));
    free(f.p);
    free(buf);
}

static void bad_dates_and_missing_fields_are_found(void **state)
{
    size_t len;
    unsigned char *buf = read_data(SAMPLE, &len);
    plant(buf, len, 0, "1.005:20090921", "1.005:20090231");
    plant(buf, len, 0, "1.004:", "1.904:");
    plant(buf, len, 0, "20090921152743Z", "20090921256043Z");
    plant(buf, len, 0, "1.011:19.69", "1.011:1969.");
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_DATE, 0, 5));
    assert_true(has(&f, EYNI_NIST_DATE, 0, 14));
    assert_true(has(&f, EYNI_NIST_MISSING_FIELD, 0, 4));
    assert_true(has(&f, EYNI_NIST_VALUE, 0, 11));
    free(f.p);
    free(buf);

    buf = read_data(REF "type-17-iris.an2", &len);
    plant(buf, len, 0, "17.005:20030108", "17.005:20031308");
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_DATE, 2, 5));
    free(f.p);
    free(buf);
}

static void bad_compression_codes_are_found(void **state)
{
    size_t len;
    unsigned char *buf = read_data(REF "type-14-tpcard-nqm.an2", &len);
    plant(buf, len, 0, "14.011:WSQ20", "14.011:WSQ99");
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_COMPRESSION, 2, 11));
    free(f.p);
    free(buf);

    /* a code naming another format than the data holds */
    buf = read_data(REF "type-17-iris.an2", &len);
    eyni_nist *t;
    eyni_error err;
    assert_int_equal(eyni_nist_read(buf, len, &t, &err), 0);
    assert_int_equal(eyni_nist_field_set_text(eyni_nist_record_at(t, 2), 11, "JP2", &err), 0);
    f.p = NULL;
    assert_int_equal(eyni_nist_validate(t, &f.p, &f.n, &err), 0);
    assert_true(has(&f, EYNI_NIST_COMPRESSION, 2, 11));
    free(f.p);
    eyni_nist_free(t);
    free(buf);

    /* binary Type-4 with a GCA outside the table */
    buf = read_data(SAMPLE, &len);
    assert_int_equal(eyni_nist_read(buf, len, &t, &err), 0);
    size_t off = eyni_nist_record_length(eyni_nist_record_at(t, 0)) +
                 eyni_nist_record_length(eyni_nist_record_at(t, 1));
    eyni_nist_free(t);
    buf[off + 17] = 9;
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_COMPRESSION, 2, 0));
    free(f.p);
    free(buf);
}

static void writer_adds_a_missing_cnt(void **state)
{
    size_t len, olen, np;
    unsigned char *buf = read_data(REF "type-9-13-m1.an2", &len);
    plant(buf, len, 0, "1.003:", "1.903:");
    eyni_nist *t;
    found f = validate(buf, len, &t);
    assert_true(has(&f, EYNI_NIST_MISSING_FIELD, 0, 3));
    assert_int_equal(eyni_nist_record_count(t), 4); /* types from the tags and the header */
    unsigned char *out;
    eyni_error err;
    assert_int_equal(eyni_nist_write(t, &out, &olen, &err), 0);
    eyni_nist *u;
    assert_int_equal(eyni_nist_read(out, olen, &u, &err), 0);
    eyni_nist_parse_problems(u, &np);
    assert_int_equal(np, 0);
    char cnt[64];
    assert_int_equal(eyni_nist_field_text(eyni_nist_record_at(u, 0), 3, cnt, sizeof cnt), 0);
    assert_string_equal(cnt, "1\x1f"
                             "3\x1e"
                             "2\x1f"
                             "00\x1e"
                             "9\x1f"
                             "01\x1e"
                             "13\x1f"
                             "01");
    free(out);
    free(f.p);
    eyni_nist_free(u);
    eyni_nist_free(t);
    free(buf);
}

static void image_size_disagreeing_with_the_image_is_found(void **state)
{
    size_t len;
    unsigned char *buf = read_data(REF "type-14-tpcard-nqm.an2", &len);
    plant(buf, len, 0, "14.006:804", "14.006:805");
    found f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_VALUE, 2, 6));
    free(f.p);
    free(buf);

    buf = read_data(REF "type-10-sap10.an2", &len); /* JPEG */
    plant(buf, len, 0, "10.007:1575", "10.007:1576");
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_VALUE, 2, 6));
    free(f.p);
    free(buf);

    buf = read_data(REF "type-17-iris.an2", &len); /* PNG */
    plant(buf, len, 0, "17.006:449", "17.006:448");
    f = validate(buf, len, NULL);
    assert_true(has(&f, EYNI_NIST_VALUE, 2, 6));
    free(f.p);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_reference_files_have_no_problems),
        cmocka_unit_test(nonconformant_reference_file_is_flagged),
        cmocka_unit_test(wrong_text_record_length_is_found_and_rewritten),
        cmocka_unit_test(wrong_image_record_length_is_found),
        cmocka_unit_test(binary_record_length_past_the_end_is_found),
        cmocka_unit_test(cnt_count_and_entries_are_checked),
        cmocka_unit_test(damaged_separators_are_found),
        cmocka_unit_test(bad_dates_and_missing_fields_are_found),
        cmocka_unit_test(bad_compression_codes_are_found),
        cmocka_unit_test(writer_adds_a_missing_cnt),
        cmocka_unit_test(image_size_disagreeing_with_the_image_is_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
