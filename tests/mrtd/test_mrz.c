/* MRZ: the shared Doc 9303 vectors, generation round trips, transliteration, broken input. */
#include <stdlib.h>
#include <string.h>

#include "eyni/mrtd.h"
#include "testutil.h"

/* Expected verdict of one check from the vector's detail column ("docnum=ok,..."). */
static int expect(const char *detail, const char *name)
{
    char key[32];
    snprintf(key, sizeof key, "%s=", name);
    const char *p = strstr(detail, key);
    if (!p)
        return -1;
    return strncmp(p + strlen(key), "ok", 2) == 0;
}

static void one_vector(char *line)
{
    char *cols[5];
    int n = 0;
    for (char *save, *t = strtok_r(line, "\t", &save); t && n < 5; t = strtok_r(NULL, "\t", &save))
        cols[n++] = t;
    assert_int_equal(n, 5);
    eyni_mrz m;
    eyni_error err;
    int rc = eyni_mrz_parse(cols[0], strlen(cols[0]), &m, &err);
    if (strcmp(cols[2], "bad-length") == 0) {
        assert_int_equal(rc, EYNI_EFORMAT);
        return;
    }
    assert_int_equal(rc, 0);
    assert_string_equal(eyni_mrz_format_name(m.format), cols[2]);
    int all_ok = strcmp(cols[3], "true") == 0;
    if (m.valid != all_ok)
        fail_msg("vector %s: valid=%d, expected %d", cols[0], m.valid, all_ok);
    assert_int_equal(m.document_number_check, expect(cols[4], "docnum"));
    assert_int_equal(m.birth_date_check, expect(cols[4], "dob"));
    assert_int_equal(m.expiry_date_check, expect(cols[4], "exp"));
    assert_int_equal(m.composite_check, expect(cols[4], "composite"));
    if (m.format == EYNI_MRZ_TD3)
        assert_int_equal(m.optional_check, expect(cols[4], "opt"));
}

static void test_shared_vectors_give_expected_verdicts(void **state)
{
    char *path = eyni_test_path("icao9303-test/mrz_test_vectors.tsv");
    unsigned char *buf;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_file_read(path, 1 << 20, &buf, &len, &err), 0);
    int count = 0;
    char *save;
    strtok_r((char *)buf, "\n", &save); /* header */
    for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        one_vector(l);
        count++;
    }
    assert_int_equal(count, 33);
    free(buf);
    free(path);
}

static void test_spec_td3_fields(void **state)
{
    const char *t = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                    "L898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
    eyni_mrz m;
    eyni_error err;
    assert_int_equal(eyni_mrz_parse(t, strlen(t), &m, &err), 0);
    assert_true(m.valid);
    assert_string_equal(m.primary, "ERIKSSON");
    assert_string_equal(m.secondary, "ANNA MARIA");
    assert_string_equal(m.document_number, "L898902C3");
    assert_string_equal(m.optional1, "ZE184226B");
    assert_string_equal(m.sex, "F");
    assert_string_equal(m.birth_date, "740812");
}

static void test_td1_long_document_number(void **state)
{
    const char *t = "I<UTOD23145890<7349<<<<<<<<<<<"
                    "3407127M9507122UTO<<<<<<<<<<<2"
                    "STEVENSON<<PETER<JOHN<<<<<<<<<";
    eyni_mrz m;
    eyni_error err;
    assert_int_equal(eyni_mrz_parse(t, strlen(t), &m, &err), 0);
    assert_true(m.valid);
    assert_true(m.document_number_long);
    assert_string_equal(m.document_number, "D23145890734");
    assert_string_equal(m.optional1, "");
}

static void test_check_digit_weights(void **state)
{
    assert_int_equal(eyni_mrz_check_digit("L898902C3", 9), 6);
    assert_int_equal(eyni_mrz_check_digit("740812", 6), 2);
    assert_int_equal(eyni_mrz_check_digit("<<<<", 4), 0);
    assert_int_equal(eyni_mrz_check_digit("a", 1), -1);
}

static void build_and_check(const eyni_mrz_fields *f, const char *expect_text)
{
    char out[160];
    eyni_error err;
    if (eyni_mrz_build(f, out, sizeof out, &err) != 0)
        fail_msg("build: %s", err.msg);
    if (expect_text)
        assert_string_equal(out, expect_text);
    eyni_mrz m;
    assert_int_equal(eyni_mrz_parse(out, strlen(out), &m, &err), 0);
    assert_true(m.valid);
    assert_int_equal(m.format, f->format);
}

static void test_build_reproduces_spec_specimens(void **state)
{
    eyni_mrz_fields td3 = {EYNI_MRZ_TD3, "P",      "UTO", "Eriksson", "Anna María", "L898902C3",
                           "UTO",        "740812", "F",   "120415",   "ZE184226B",  NULL};
    build_and_check(&td3, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                          "L898902C36UTO7408122F1204159ZE184226B<<<<<10");
    eyni_mrz_fields td1 = {EYNI_MRZ_TD1, "I",      "UTO", "Stevenson", "Peter John", "D23145890734",
                           "UTO",        "340712", "M",   "950712",    NULL,         NULL};
    build_and_check(&td1, "I<UTOD23145890<7349<<<<<<<<<<<\n"
                          "3407127M9507122UTO<<<<<<<<<<<2\n"
                          "STEVENSON<<PETER<JOHN<<<<<<<<<");
    eyni_mrz_fields td2 = td1;
    td2.format = EYNI_MRZ_TD2;
    build_and_check(&td2, "I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\n"
                          "D23145890<UTO3407127M95071227349<<<8");
    eyni_mrz_fields mrva = td3;
    mrva.format = EYNI_MRZ_MRVA;
    mrva.document_code = "V";
    build_and_check(&mrva, NULL);
    eyni_mrz_fields mrvb = mrva;
    mrvb.format = EYNI_MRZ_MRVB;
    mrvb.optional1 = "ZE18422";
    build_and_check(&mrvb, NULL);
}

static void test_azerbaijani_transliteration(void **state)
{
    char out[128];
    eyni_error err;
    assert_int_equal(eyni_mrz_transliterate("Məmmədov", out, sizeof out, &err), 0);
    assert_string_equal(out, "MAMMADOV");
    assert_int_equal(eyni_mrz_transliterate("Şükür Çağlar-İsmayılzadə", out, sizeof out, &err), 0);
    assert_string_equal(out, "SUEKUER<CAGLAR<ISMAYILZADA");
    assert_int_equal(eyni_mrz_transliterate("Gözəl Ölməz", out, sizeof out, &err), 0);
    assert_string_equal(out, "GOEZAL<OELMAZ");
    assert_int_equal(eyni_mrz_transliterate("O'Brien  Jr.", out, sizeof out, &err), 0);
    assert_string_equal(out, "OBRIEN<JR");
    assert_int_equal(eyni_mrz_transliterate("Игорь Щукин-Юрьев", out, sizeof out, &err), 0);
    assert_string_equal(out, "IGOR<SHCHUKIN<IUREV");
    assert_int_equal(eyni_mrz_transliterate("Ωμέγα", out, sizeof out, &err), EYNI_EINVAL);
    assert_non_null(strstr(err.msg, "U+03A9"));
}

static void test_long_names_are_truncated_with_letter_last(void **state)
{
    eyni_mrz_fields f = {EYNI_MRZ_TD1,
                         "ID",
                         "AZE",
                         "Hüseynquliyev-Abdurrəhmanbəyli",
                         "Məhəmmədhüseyn Əbdülrəhim",
                         "AA1234567",
                         "AZE",
                         "850101",
                         "M",
                         "350101",
                         NULL,
                         NULL};
    char out[160];
    eyni_error err;
    assert_int_equal(eyni_mrz_build(&f, out, sizeof out, &err), 0);
    eyni_mrz m;
    assert_int_equal(eyni_mrz_parse(out, strlen(out), &m, &err), 0);
    assert_true(m.valid);
    assert_true(m.name_truncated);
    assert_int_equal(strncmp(m.lines[2], "HUESEYNQULIYEV<ABDURRAHMANBAY", 29), 0);
    /* Given names go to initials before the surname is cut. */
    eyni_mrz_fields g = f;
    g.primary = "Quliyev";
    g.secondary = "Məhəmmədhüseyn Əbdülrəhim Əliağa";
    assert_int_equal(eyni_mrz_build(&g, out, sizeof out, &err), 0);
    assert_non_null(strstr(out, "QULIYEV<<MAHAMMADHUESEYN<A<A"));
}

static void test_build_rejects_bad_fields(void **state)
{
    eyni_mrz_fields f = {EYNI_MRZ_TD3, "P",      "AZE", "Aliyev", "Ali", "C1234567890",
                         "AZE",        "850101", "M",   "350101", NULL,  NULL};
    char out[160];
    eyni_error err;
    assert_int_equal(eyni_mrz_build(&f, out, sizeof out, &err), EYNI_EINVAL);
    f.document_number = "C1234567";
    f.birth_date = "851301";
    assert_int_equal(eyni_mrz_build(&f, out, sizeof out, &err), EYNI_EINVAL);
    f.birth_date = "850101";
    f.sex = "Q";
    assert_int_equal(eyni_mrz_build(&f, out, sizeof out, &err), EYNI_EINVAL);
}

static void test_broken_input_is_unusable(void **state)
{
    eyni_mrz m;
    eyni_error err;
    assert_int_equal(eyni_mrz_parse("", 0, &m, &err), EYNI_EFORMAT);
    char big[400];
    memset(big, '<', sizeof big);
    assert_int_equal(eyni_mrz_parse(big, sizeof big, &m, &err), EYNI_ELIMIT);
    const char *lower = "p<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<<"
                        "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    assert_int_equal(eyni_mrz_parse(lower, strlen(lower), &m, &err), EYNI_EFORMAT);
    const char *badsplit = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<\n"
                           "<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    assert_int_equal(eyni_mrz_parse(badsplit, strlen(badsplit), &m, &err), EYNI_EFORMAT);
    /* Syntax errors that keep the length: a digit in the name, a 13th month. */
    const char *bad = "P<UTOERIKSS0N<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
                      "L898902C36UTO7413122F1204159ZE184226B<<<<<10";
    assert_int_equal(eyni_mrz_parse(bad, strlen(bad), &m, &err), 0);
    assert_false(m.syntax_ok);
    assert_false(m.valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_vectors_give_expected_verdicts),
        cmocka_unit_test(test_spec_td3_fields),
        cmocka_unit_test(test_td1_long_document_number),
        cmocka_unit_test(test_check_digit_weights),
        cmocka_unit_test(test_build_reproduces_spec_specimens),
        cmocka_unit_test(test_azerbaijani_transliteration),
        cmocka_unit_test(test_long_names_are_truncated_with_letter_last),
        cmocka_unit_test(test_build_rejects_bad_fields),
        cmocka_unit_test(test_broken_input_is_unusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
