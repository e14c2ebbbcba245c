/* Profiles: parsing the real NIST genotype file, validation with named reasons, JSON and
 * binary round trips, and hostile input. */
#include "dna_test.h"

static int parse_one(const char *csv, eyni_dna_profile *p, eyni_error *err)
{
    return eyni_dna_profile_parse_csv(csv, strlen(csv), "p.csv", p, err);
}

static void nist_wide_file_loads_every_person(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    assert_int_equal(n, 1036);
    /* First row: GT37019,AA,CSF1PO 11,12 ... D1S1656 12,16.3 ... Penta_D 2.2,11 ... vWA 17,17 */
    const eyni_dna_profile *p = find_profile(v, n, "GT37019");
    assert_string_equal(p->population, "AA");
    assert_int_equal(eyni_dna_profile_count(p, EYNI_DNA_LOCI_ALL), 29);
    char a[EYNI_DNA_ALLELE_MAX_TEXT], b[EYNI_DNA_ALLELE_MAX_TEXT];
    int l = eyni_dna_locus_find("D1S1656");
    eyni_dna_allele_format(p->loci[l].a, a);
    eyni_dna_allele_format(p->loci[l].b, b);
    assert_string_equal(a, "12");
    assert_string_equal(b, "16.3");
    l = eyni_dna_locus_find("Penta_D");
    eyni_dna_allele_format(p->loci[l].a, a);
    assert_string_equal(a, "2.2");
    assert_int_equal(p->loci[eyni_dna_locus_find("vWA")].a, 170);
    assert_int_equal(p->loci[eyni_dna_locus_find("vWA")].b, 170);
    size_t pops[4] = {0, 0, 0, 0}, partial = 0;
    const char *names[4] = {"AA", "Asian", "Cauc", "Hisp"};
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++)
            pops[k] += strcmp(v[i].population, names[k]) == 0;
        partial += eyni_dna_profile_count(&v[i], EYNI_DNA_LOCI_ALL) < 29;
    }
    assert_int_equal(pops[0], 342);
    assert_int_equal(pops[1], 97);
    assert_int_equal(pops[2], 361);
    assert_int_equal(pops[3], 236);
    assert_int_equal(partial, 2); /* the blank TPOX and Penta_D cells */
    free(v);
}

static void single_profile_csv_reads_all_allele_kinds(void **state)
{
    eyni_dna_profile p;
    eyni_error err;
    const char *csv = "locus,allele1,allele2\r\n"
                      "TH01,9.3,6\r\nFGA,<17,>30\r\nD3S1358,15,\r\nvWA,16,F\r\n"
                      "Amelogenin,Y,X\r\nTPOX,,\r\n";
    assert_int_equal(parse_one(csv, &p, &err), 0);
    int th01 = eyni_dna_locus_find("TH01"), fga = eyni_dna_locus_find("FGA");
    assert_int_equal(p.loci[th01].a, 60);
    assert_int_equal(p.loci[th01].b, 93);
    assert_int_equal(p.loci[fga].a, EYNI_DNA_ALLELE_BELOW | 170);
    assert_int_equal(p.loci[fga].b, EYNI_DNA_ALLELE_ABOVE | 300);
    assert_int_equal(p.loci[eyni_dna_locus_find("D3S1358")].b, 150); /* written once */
    assert_int_equal(p.loci[eyni_dna_locus_find("vWA")].b, EYNI_DNA_ALLELE_DROPOUT);
    assert_int_equal(p.loci[EYNI_DNA_LOCUS_AMEL].a, EYNI_DNA_ALLELE_X);
    assert_int_equal(p.loci[eyni_dna_locus_find("TPOX")].a, 0);
    assert_int_equal(eyni_dna_profile_count(&p, EYNI_DNA_LOCI_ALL), 5);
    /* And back: the CSV writer gives the same profile. */
    char *out = eyni_dna_profile_to_csv(&p);
    eyni_dna_profile q;
    assert_int_equal(parse_one(out, &q, &err), 0);
    assert_memory_equal(p.loci, q.loci, sizeof p.loci);
    free(out);
}

static void bad_profiles_are_refused_with_a_named_reason(void **state)
{
    static const struct {
        const char *csv, *reason;
    } cases[] = {
        {"", "empty file"},
        {"locus,allele1,allele2\nD99S1,11,12\n", "unknown locus"},
        {"locus,allele1,allele2,allele3\nTH01,6,7,8\n", "three alleles"},
        {"locus,allele1,allele2\nTH01,6,7,8\n", "three alleles"},
        {"locus,allele1,allele2\nTH01,abc,7\n", "impossible allele 'abc'"},
        {"locus,allele1,allele2\nTH01,9.4,7\n", "micro-variant"},
        {"locus,allele1,allele2\nD22S1045,15.3,16\n", "micro-variant"},
        {"locus,allele1,allele2\nTH01,0,7\n", "repeats must be 1 to 99"},
        {"locus,allele1,allele2\nTH01,X,7\n", "not a number"},
        {"locus,allele1,allele2\nAMEL,X,7\n", "want X or Y"},
        {"locus,allele1,allele2\nTH01,F,F\n", "drop-out"},
        {"locus,allele1,allele2\nTH01,6,7\nTH01,6,7\n", "listed twice"},
        {"locus,allele1,allele2\nTH01,\"6,7\n", "unterminated quote"},
        {"locus,allele1,allele2\nTPOX,,\n", "no typed locus"},
        {"name,a,b\nTH01,6,7\n", "header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eyni_dna_profile p;
        eyni_error err;
        eyni_error_clear(&err);
        assert_int_not_equal(parse_one(cases[i].csv, &p, &err), 0);
        if (!strstr(err.msg, cases[i].reason))
            fail_msg("case %zu: '%s' does not name '%s'", i, err.msg, cases[i].reason);
    }
    /* Named extra columns of the long layout are not alleles; unnamed ones are. */
    const char *longcsv = "id,locus,allele1,allele2,kind,case_id\nS1,TH01,6,7,forensic,C-1\n";
    eyni_dna_profile *v;
    size_t nv;
    eyni_error e2;
    assert_int_equal(eyni_dna_profiles_parse_csv(longcsv, strlen(longcsv), "l", &v, &nv, &e2), 0);
    assert_int_equal(v[0].kind, EYNI_DNA_FORENSIC);
    assert_string_equal(v[0].case_id, "C-1");
    free(v);
    const char *third = "id,locus,allele1,allele2\nS1,TH01,6,7,8\n";
    assert_int_equal(eyni_dna_profiles_parse_csv(third, strlen(third), "l", &v, &nv, &e2),
                     EYNI_EFORMAT);
    assert_non_null(strstr(e2.msg, "three alleles"));
    /* Oversized field. */
    char big[600];
    memset(big, '1', sizeof big);
    memcpy(big, "locus,allele1,allele2\nTH01,", 27);
    big[sizeof big - 1] = '\0';
    eyni_dna_profile p;
    eyni_error err;
    assert_int_equal(parse_one(big, &p, &err), EYNI_ELIMIT);
}

static void json_and_binary_round_trip_every_nist_profile(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_error err;
    for (size_t i = 0; i < n; i++) {
        json_t *o = eyni_dna_profile_to_json(&v[i]);
        eyni_dna_profile q;
        assert_int_equal(eyni_dna_profile_from_json(o, "x", &q, &err), 0);
        assert_memory_equal(&q, &v[i], sizeof q);
        json_decref(o);
        uint8_t buf[EYNI_DNA_BINARY_MAX];
        size_t len;
        assert_int_equal(eyni_dna_profile_encode(&v[i], buf, sizeof buf, &len, &err), 0);
        assert_true(len <= 4 + 1 + 4 + 7 + 5 + 1 + 29 * 5);
        assert_int_equal(eyni_dna_profile_decode(buf, len, &q, &err), 0);
        assert_memory_equal(&q, &v[i], sizeof q);
        if (i == 0) {
            /* Every truncation and a flipped locus byte are refused. */
            for (size_t cut = 0; cut < len; cut++)
                assert_int_not_equal(eyni_dna_profile_decode(buf, cut, &q, &err), 0);
            buf[len - 5] = 77;
            assert_int_not_equal(eyni_dna_profile_decode(buf, len, &q, &err), 0);
        }
    }
    free(v);
}

static void json_profiles_are_checked(void **state)
{
    const char *good = "{\"profiles\":[{\"kind\":\"forensic\",\"id\":\"S1\",\"case_id\":\"C-7\","
                       "\"scene\":\"Baku\",\"loci\":{\"TH01\":[6,9.3],\"FGA\":[\"22\"]}}]}";
    eyni_dna_profile *v;
    size_t n;
    eyni_error err;
    assert_int_equal(eyni_dna_profiles_parse_json(good, strlen(good), "g", &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].kind, EYNI_DNA_FORENSIC);
    assert_string_equal(v[0].case_id, "C-7");
    assert_int_equal(v[0].loci[eyni_dna_locus_find("TH01")].b, 93);
    assert_int_equal(v[0].loci[eyni_dna_locus_find("FGA")].a, 220);
    free(v);
    static const struct {
        const char *json, *reason;
    } bad[] = {
        {"{\"loci\":{\"TH01\":[\"6\",\"7\",\"8\"]}}", "three alleles"},
        {"{\"loci\":{\"XYZ\":[\"6\"]}}", "unknown locus"},
        {"{\"loci\":{\"TH01\":[\"abc\"]}}", "impossible allele"},
        {"{\"loci\":{\"TH01\":[9.35]}}", "impossible allele"},
        {"{\"kind\":\"suspect\",\"loci\":{\"TH01\":[6]}}", "neither reference nor forensic"},
        {"{\"loci\":{}}", "no typed locus"},
        {"{\"id\":\"x\"}", "loci"},
        {"{\"profiles\":[]}", "no profiles"},
        {"{\"profiles\":{}}", "must be an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(
            eyni_dna_profiles_parse_json(bad[i].json, strlen(bad[i].json), "b", &v, &n, &err), 0);
        if (!strstr(err.msg, bad[i].reason))
            fail_msg("case %zu: '%s' does not name '%s'", i, err.msg, bad[i].reason);
    }
}

static void bad_frequency_tables_are_refused(void **state)
{
    static const struct {
        const char *csv, *reason;
    } bad[] = {
        {"", "empty file"},
        {"locus,allele\nTH01,6\n", "header"},
        {"locus,allele,frequency\nTH01,6,abc\n", "frequency 'abc'"},
        {"locus,allele,frequency\nTH01,6,1.5\n", "not in (0, 1]"},
        {"locus,allele,frequency\nTH01,6,0.6\nTH01,7,0.6\n", "sum to"},
        {"locus,allele,frequency\nTH01,6,0.5\nTH01,6,0.1\n", "listed twice"},
        {"locus,allele,frequency\nXX,6,0.5\n", "unknown locus"},
        {"locus,allele,frequency\nTH01,<6,0.5\n", "ladder alleles only"},
        {"locus,allele,frequency,alleles_typed_2N\nTH01,6,0.5,10\nTH01,7,0.5,12\n", "2N changes"},
        {"locus,allele,frequency\n", "no frequencies"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eyni_dna_freqset *s;
        eyni_error err;
        assert_int_not_equal(
            eyni_dna_freqset_parse_csv(bad[i].csv, strlen(bad[i].csv), "f", 0, &s, &err), 0);
        if (!strstr(err.msg, bad[i].reason))
            fail_msg("case %zu: '%s' does not name '%s'", i, err.msg, bad[i].reason);
    }
}

static void loci_are_found_by_common_spellings(void **state)
{
    assert_int_equal(eyni_dna_locus_find("vwa"), eyni_dna_locus_find("vWA"));
    assert_int_equal(eyni_dna_locus_find("THO1"), eyni_dna_locus_find("TH01"));
    assert_int_equal(eyni_dna_locus_find("Penta D"), eyni_dna_locus_find("Penta_D"));
    assert_int_equal(eyni_dna_locus_find("Amelogenin"), EYNI_DNA_LOCUS_AMEL);
    assert_int_equal(eyni_dna_locus_find("D99"), -1);
    int codis = 0;
    for (int l = 0; l < EYNI_DNA_NLOCI; l++)
        codis += eyni_dna_locus_is_codis(l);
    assert_int_equal(codis, 20);
}

static void oversized_frequency_tables_are_refused(void **state)
{
    /* 129 distinct alleles at one locus: over EYNI_DNA_MAX_ALLELES. */
    size_t cap = 64 + 129 * 32, n = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    n += (size_t)snprintf(csv + n, cap - n, "locus,allele,frequency\n");
    for (int i = 0; i < 129; i++)
        n += (size_t)snprintf(csv + n, cap - n, "SE33,%d.%d,0.001\n", 10 + i / 3, i % 3);
    eyni_dna_freqset *s;
    eyni_error err;
    assert_int_equal(eyni_dna_freqset_parse_csv(csv, n, "big", 0, &s, &err), EYNI_ELIMIT);
    assert_non_null(strstr(err.msg, "more than 128 alleles"));
    free(csv);
    /* A line longer than the reader's limit. */
    size_t len = 70 * 1024;
    char *line = malloc(len + 1);
    assert_non_null(line);
    memset(line, 'a', len);
    line[len] = '\0';
    assert_int_equal(eyni_dna_freqset_parse_csv(line, len, "long", 0, &s, &err), EYNI_ELIMIT);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nist_wide_file_loads_every_person),
        cmocka_unit_test(single_profile_csv_reads_all_allele_kinds),
        cmocka_unit_test(bad_profiles_are_refused_with_a_named_reason),
        cmocka_unit_test(json_and_binary_round_trip_every_nist_profile),
        cmocka_unit_test(json_profiles_are_checked),
        cmocka_unit_test(bad_frequency_tables_are_refused),
        cmocka_unit_test(oversized_frequency_tables_are_refused),
        cmocka_unit_test(loci_are_found_by_common_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
