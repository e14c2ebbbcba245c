/* Every shared reference transaction parses and writes back byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "eyni/nist.h"
#include "testutil.h"

#define REF "ansi-nist-itl-samples/nist-ansi-nist-itl-2011-reference-files/"

typedef struct sample {
    const char *file;
    size_t records;
    int types[4]; /* types of the first records after Type-1 (0-terminated) */
} sample;

static const sample samples[] = {
    {REF "rec01_rec02_rec16.nst.an2", 3, {2, 16}},
    {REF "type-10-14-17-piv-index-iris.an2", 6, {2, 10, 17, 14}},
    {REF "type-10-branded-tattoo-mark.an2", 4, {2, 10, 10}},
    {REF "type-10-sap10.an2", 3, {2, 10}},
    {REF "type-10-tattoo-face-sap20.an2", 4, {2, 10, 10}},
    {REF "type-10-tattoo-zoom.an2", 4, {2, 10, 10}},
    {REF "type-13-14-latent-match.an2", 4, {2, 13, 14}},
    {REF "type-13-tip-eji-wsq.an2", 7, {2, 13, 13, 13}},
    {REF "type-14-amp-nqm-utf8.an2", 5, {2, 14, 14, 14}},
    {REF "type-14-tip-eji-wsq.an2", 7, {2, 14, 14, 14}},
    {REF "type-14-tpcard-nqm.an2", 16, {2, 14, 14, 14}},
    {REF "type-15-palms.an2", 4, {2, 15, 15}},
    {REF "type-17-iris.an2", 3, {2, 17}},
    {REF "type-3.an2", 3, {2, 3}},
    {REF "type-4-14-slaps.an2", 5, {2, 4, 4, 14}},
    {REF "type-4-slaps.an2", 6, {2, 4, 4, 4}},
    {REF "type-4-tpcard.an2", 16, {2, 4, 4, 4}},
    {REF "type-5.an2", 3, {2, 5}},
    {REF "type-6.an2", 3, {2, 6}},
    {REF "type-7-latent.an2", 3, {2, 7}},
    {REF "type-8-sig-fax.an2", 3, {2, 8}},
    {REF "type-8-sig-raw.an2", 3, {2, 8}},
    {REF "type-8-sig.an2", 3, {2, 8}},
    {REF "type-9-10-14.an2", 5, {2, 9, 10, 14}},
    {REF "type-9-13-9-14-m1.an2", 6, {2, 9, 13, 9}},
    {REF "type-9-13-m1.an2", 4, {2, 9, 13}},
    {REF "type-9-13-std.an2", 4, {2, 9, 13}},
    {REF "type-9-14-m1.an2", 4, {2, 9, 14}},
    {REF "type-9-14-std.an2", 4, {2, 9, 14}},
    {REF "type-9-4-iafis.an2", 4, {2, 9, 4}},
    {"ansi-nist-itl-samples/nist-sample-transaction/sample.an2", 16, {2, 4, 4, 4}},
};

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

static void every_sample_parses_and_round_trips_byte_identical(void **state)
{
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        size_t len, olen, np;
        unsigned char *buf = read_data(samples[s].file, &len), *out = NULL;
        eyni_nist *t = NULL;
        eyni_error err;
        if (eyni_nist_read(buf, len, &t, &err))
            fail_msg("%s: %s", samples[s].file, err.msg);
        eyni_nist_parse_problems(t, &np);
        if (np)
            fail_msg("%s: %zu parse problems", samples[s].file, np);
        assert_int_equal(eyni_nist_record_count(t), samples[s].records);
        assert_int_equal(eyni_nist_record_type(eyni_nist_record_at(t, 0)), 1);
        for (int i = 0; i < 4 && samples[s].types[i]; i++)
            assert_int_equal(eyni_nist_record_type(eyni_nist_record_at(t, (size_t)i + 1)),
                             samples[s].types[i]);
        assert_int_equal(eyni_nist_write(t, &out, &olen, &err), 0);
        if (olen != len || memcmp(out, buf, len) != 0)
            fail_msg("%s: written transaction differs from the file", samples[s].file);
        free(out);
        free(buf);
        eyni_nist_free(t);
    }
}

static void fields_are_kept_in_file_order_with_their_values(void **state)
{
    size_t len;
    unsigned char *buf = read_data(REF "type-9-13-m1.an2", &len);
    eyni_nist *t = NULL;
    eyni_error err;
    assert_int_equal(eyni_nist_read(buf, len, &t, &err), 0);
    const eyni_nist_record *r1 = eyni_nist_record_at(t, 0);
    char v[64];
    assert_int_equal(eyni_nist_field_text(r1, 4, v, sizeof v), 0);
    assert_string_equal(v, "AMN");
    assert_int_equal(eyni_nist_field_text(r1, 5, v, sizeof v), 0);
    assert_string_equal(v, "20090922");
    /* Type-9 keeps 9.139, 9.140 before 9.137 as in the file, and the M1 fields it has */
    const eyni_nist_record *r9 = eyni_nist_record_at(t, 2);
    assert_int_equal(eyni_nist_record_type(r9), 9);
    assert_int_equal(eyni_nist_record_idc(r9), 1);
    int order[64], n = 0;
    for (size_t i = 0; i < eyni_nist_field_count(r9) && n < 64; i++)
        eyni_nist_field_at(r9, i, &order[n++], NULL, NULL, NULL);
    int found139 = -1, found137 = -1;
    for (int i = 0; i < n; i++) {
        if (order[i] == 139)
            found139 = i;
        if (order[i] == 137)
            found137 = i;
    }
    assert_true(found139 >= 0 && found137 > found139);
    assert_int_equal(eyni_nist_field_text(r9, 4, v, sizeof v), 0);
    assert_string_equal(v, "U");
    const char *tag;
    assert_int_equal(eyni_nist_field_at(r9, 0, NULL, NULL, NULL, &tag), 0);
    assert_string_equal(tag, "9.001");
    eyni_nist_free(t);
    free(buf);
}

static void binary_records_keep_their_header(void **state)
{
    size_t len, blen;
    unsigned char *buf =
        read_data("ansi-nist-itl-samples/nist-sample-transaction/sample.an2", &len);
    eyni_nist *t = NULL;
    eyni_error err;
    assert_int_equal(eyni_nist_read(buf, len, &t, &err), 0);
    const eyni_nist_record *r = eyni_nist_record_at(t, 2);
    assert_true(eyni_nist_record_is_binary(r));
    assert_int_equal(eyni_nist_record_type(r), 4);
    assert_int_equal(eyni_nist_record_idc(r), 1);
    assert_int_equal(eyni_nist_field_count(r), 0);
    const unsigned char *b = eyni_nist_record_bytes(r, &blen);
    assert_non_null(b);
    assert_int_equal(blen, eyni_nist_record_length(r));
    assert_int_equal(((size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]), blen);
    eyni_nist_binary_header h;
    assert_int_equal(eyni_nist_record_binary_header(r, &h), 0);
    assert_int_equal(h.length, blen);
    assert_int_equal(h.header, 18);
    assert_int_equal(h.idc, 1);
    assert_int_equal(h.fgp[0], 1); /* right thumb */
    assert_int_equal(h.width, 804);
    assert_int_equal(h.height, 752);
    assert_int_equal(h.gca, 1); /* WSQ */
    assert_int_equal(eyni_nist_record_binary_header(eyni_nist_record_at(t, 1), &h), EYNI_EINVAL);
    eyni_nist_free(t);
    free(buf);
}

static void rejects_input_without_a_type1_record(void **state)
{
    eyni_nist *t = NULL;
    eyni_error err;
    assert_int_equal(eyni_nist_read((const unsigned char *)"", 0, &t, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_nist_read((const unsigned char *)"hello", 5, &t, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_nist_read((const unsigned char *)"2.001:9\x1d", 8, &t, &err),
                     EYNI_EFORMAT);
    assert_null(t);
    /* a bare Type-1 with nothing after the tag parses with problems, never crashes */
    const char *tiny = "1.001:";
    assert_int_equal(eyni_nist_read((const unsigned char *)tiny, strlen(tiny), &t, &err), 0);
    size_t np;
    eyni_nist_parse_problems(t, &np);
    assert_true(np > 0);
    eyni_nist_free(t);
}

static void every_truncation_of_a_transaction_is_survived(void **state)
{
    size_t len;
    unsigned char *buf = read_data(REF "type-9-13-m1.an2", &len);
    /* cut at many places, including inside the Type-1, Type-9 and image records */
    for (size_t cut = 1; cut < len; cut += cut < 600 ? 7 : 9973) {
        eyni_nist *t = NULL;
        eyni_error err;
        unsigned char *copy = malloc(cut);
        memcpy(copy, buf, cut);
        if (eyni_nist_read(copy, cut, &t, &err) == 0) {
            eyni_nist_problem *p = NULL;
            size_t np = 0;
            assert_int_equal(eyni_nist_validate(t, &p, &np, &err), 0);
            assert_true(np > 0); /* a cut is always noticed: lengths, FS or CNT */
            free(p);
            unsigned char *out;
            size_t olen;
            assert_int_equal(eyni_nist_write(t, &out, &olen, &err), 0);
            free(out);
            eyni_nist_free(t);
        }
        free(copy);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_sample_parses_and_round_trips_byte_identical),
        cmocka_unit_test(fields_are_kept_in_file_order_with_their_values),
        cmocka_unit_test(binary_records_keep_their_header),
        cmocka_unit_test(rejects_input_without_a_type1_record),
        cmocka_unit_test(every_truncation_of_a_transaction_is_survived),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
