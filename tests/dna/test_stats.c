/* Statistics checked against independent hand computations on real NIST 1036 profiles. */
#include "dna_test.h"

typedef struct hand_rmp {
    const char *sample, *population;
    eyni_dna_formula formula;
    double theta, rmp;
} hand_rmp;

typedef struct hand_kin {
    const char *x, *y; /* sample ids; y NULL: y is the child spelled out in child */
    const char *child; /* "LOCUS:a,b;..." */
    const char *population;
    eyni_dna_relation relation;
    double value;
} hand_kin;

/* The expected values with their working, per locus, in comments. */
#include "hand_values.inc"

static void child_from_spec(const char *spec, eyni_dna_profile *out)
{
    char buf[2048], *save = NULL;
    eyni_error err;
    snprintf(buf, sizeof buf, "%s", spec);
    eyni_dna_profile_init(out);
    snprintf(out->id, sizeof out->id, "child");
    for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *colon = strchr(tok, ':'), *comma = strchr(tok, ',');
        assert_non_null(colon);
        assert_non_null(comma);
        *colon = *comma = '\0';
        int l = eyni_dna_locus_find(tok);
        assert_true(l >= 0);
        assert_int_equal(eyni_dna_profile_set(out, l, colon + 1, comma + 1, &err), 0);
    }
}

static void rmp_matches_hand_computation_on_nist_profiles(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_freqset *set = nist_freq();
    eyni_error err;
    size_t distinct = 0;
    for (size_t i = 0; i < sizeof hand_rmps / sizeof hand_rmps[0]; i++) {
        const hand_rmp *h = &hand_rmps[i];
        const eyni_dna_freq *f = eyni_dna_freqset_find(set, h->population);
        assert_non_null(f);
        eyni_dna_stat s;
        const eyni_dna_profile *p = find_profile(v, n, h->sample);
        assert_int_equal(eyni_dna_rmp(f, p, EYNI_DNA_LOCI_CODIS20, h->formula, h->theta, &s, &err),
                         0);
        assert_int_equal(s.nloci, 20);
        assert_rel(s.value, h->rmp, 1e-12);
        assert_rel(pow(10, s.log10), h->rmp, 1e-9);
        distinct += i == 0 || strcmp(h->sample, hand_rmps[i - 1].sample) != 0;
    }
    assert_true(distinct >= 10);
    eyni_dna_freqset_free(set);
    free(v);
}

static void kinship_matches_hand_computation_on_nist_profiles(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_freqset *set = nist_freq();
    eyni_error err;
    for (size_t i = 0; i < sizeof hand_kins / sizeof hand_kins[0]; i++) {
        const hand_kin *h = &hand_kins[i];
        const eyni_dna_freq *f = eyni_dna_freqset_find(set, h->population);
        eyni_dna_profile y;
        if (h->y)
            y = *find_profile(v, n, h->y);
        else
            child_from_spec(h->child, &y);
        eyni_dna_stat s;
        assert_int_equal(eyni_dna_kinship(f, find_profile(v, n, h->x), &y, EYNI_DNA_LOCI_CODIS20,
                                          h->relation, &s, &err),
                         0);
        assert_int_equal(s.nloci, 20);
        assert_rel(s.value, h->value, 1e-12);
        /* The index is symmetric in the two people. */
        eyni_dna_stat t;
        assert_int_equal(eyni_dna_kinship(f, &y, find_profile(v, n, h->x), EYNI_DNA_LOCI_CODIS20,
                                          h->relation, &t, &err),
                         0);
        assert_rel(t.value, h->value, 1e-12);
    }
    eyni_dna_freqset_free(set);
    free(v);
}

static eyni_dna_freqset *small_table(unsigned n_individuals)
{
    const char *csv = "locus,allele,frequency\n"
                      "TH01,6,0.2\nTH01,7,0.3\nTH01,9.3,0.5\n";
    eyni_dna_freqset *s;
    eyni_error err;
    assert_int_equal(eyni_dna_freqset_parse_csv(csv, strlen(csv), "t", n_individuals, &s, &err), 0);
    return s;
}

static eyni_dna_profile one_locus(const char *a, const char *b)
{
    eyni_dna_profile p;
    eyni_error err;
    eyni_dna_profile_init(&p);
    assert_int_equal(eyni_dna_profile_set(&p, eyni_dna_locus_find("TH01"), a, b, &err), 0);
    return p;
}

static void formulas_follow_nrc2_on_a_small_table(void **state)
{
    eyni_dna_freqset *s = small_table(100);
    const eyni_dna_freq *f = eyni_dna_freqset_at(s, 0);
    eyni_dna_stat st;
    eyni_error err;
    eyni_dna_profile het = one_locus("6", "9.3"), hom = one_locus("7", "7");
    /* 4.1 heterozygote: 2pq = 2 * 0.2 * 0.5 = 0.2, theta ignored. */
    assert_int_equal(eyni_dna_rmp(f, &het, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_1, 0.03, &st, &err),
                     0);
    assert_rel(st.value, 0.2, 1e-15);
    /* 4.1 homozygote: p^2 + p(1-p)theta = 0.09 + 0.3*0.7*0.03 = 0.0963. */
    assert_int_equal(eyni_dna_rmp(f, &hom, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_1, 0.03, &st, &err),
                     0);
    assert_rel(st.value, 0.0963, 1e-14);
    /* 4.10 homozygote, theta 0.03: (0.06+0.97*0.3)(0.09+0.97*0.3)/(1.03*1.06)
     * = 0.351 * 0.381 / 1.0918 = 0.133732*... */
    assert_int_equal(eyni_dna_rmp(f, &hom, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_10, 0.03, &st, &err),
                     0);
    assert_rel(st.value, 0.351 * 0.381 / 1.0918, 1e-14);
    /* theta 0 reduces 4.10 to Hardy-Weinberg. */
    assert_int_equal(eyni_dna_rmp(f, &het, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_10, 0, &st, &err), 0);
    assert_rel(st.value, 0.2, 1e-15);
    /* Unseen allele: 5/2N = 5/200 = 0.025; heterozygote 2 * 0.025 * 0.2 = 0.01. */
    eyni_dna_profile rare = one_locus("6", "11");
    assert_int_equal(eyni_dna_rmp(f, &rare, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_1, 0, &st, &err), 0);
    assert_rel(st.value, 0.01, 1e-15);
    /* Drop-out "6,F": the 2p rule, 2 * 0.2. */
    eyni_dna_profile drop = one_locus("6", "F");
    assert_int_equal(eyni_dna_rmp(f, &drop, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_10, 0.01, &st, &err),
                     0);
    assert_rel(st.value, 0.4, 1e-15);
    assert_int_equal(st.loci[0].two_p, 1);
    /* Off-ladder "<7" sums the alleles below 7: p = 0.2; ">7" sums 9.3: 0.5. */
    eyni_dna_profile off = one_locus("<7", ">7");
    assert_int_equal(eyni_dna_rmp(f, &off, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_1, 0, &st, &err), 0);
    assert_rel(st.value, 0.2, 1e-15);
    /* theta out of range is refused. */
    assert_int_equal(eyni_dna_rmp(f, &het, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_10, 0.7, &st, &err),
                     EYNI_EINVAL);
    eyni_dna_freqset_free(s);
}

static void unseen_allele_needs_a_sample_size(void **state)
{
    eyni_dna_freqset *s = small_table(0);
    eyni_dna_stat st;
    eyni_error err;
    eyni_dna_profile rare = one_locus("6", "11");
    assert_int_equal(eyni_dna_rmp(eyni_dna_freqset_at(s, 0), &rare, EYNI_DNA_LOCI_ALL,
                                  EYNI_DNA_NRC_4_10, 0.01, &st, &err),
                     EYNI_ENOTFOUND);
    assert_non_null(strstr(err.msg, "sample size"));
    /* A locus the table lacks is named. */
    eyni_dna_profile other;
    eyni_dna_profile_init(&other);
    assert_int_equal(eyni_dna_profile_set(&other, eyni_dna_locus_find("FGA"), "22", "23", &err), 0);
    assert_int_equal(eyni_dna_rmp(eyni_dna_freqset_at(s, 0), &other, EYNI_DNA_LOCI_ALL,
                                  EYNI_DNA_NRC_4_10, 0.01, &st, &err),
                     EYNI_ENOTFOUND);
    assert_non_null(strstr(err.msg, "FGA"));
    eyni_dna_freqset_free(s);
}

static void min_rule_all_raises_rare_nist_alleles(void **state)
{
    eyni_dna_freqset *set = nist_freq();
    eyni_error err;
    eyni_dna_freq *asian = NULL;
    for (size_t i = 0; i < eyni_dna_freqset_count(set); i++)
        if (strcmp(eyni_dna_freq_population(eyni_dna_freqset_at(set, i)), "Asian") == 0)
            asian = eyni_dna_freqset_at_mut(set, i);
    assert_non_null(asian);
    int l = eyni_dna_locus_find("D2S441");
    eyni_dna_allele a;
    double p;
    /* Asian D2S441 9.1 is in the table with count 1 of 2N = 194. */
    assert_int_equal(eyni_dna_allele_parse(l, "9.1", &a, &err), 0);
    assert_int_equal(eyni_dna_freq_get(asian, l, a, &p, &err), 0);
    assert_true(p < 5.0 / 194);
    eyni_dna_freq_set_min_rule(asian, EYNI_DNA_MIN_ALL);
    assert_int_equal(eyni_dna_freq_get(asian, l, a, &p, &err), 0);
    assert_rel(p, 5.0 / 194, 1e-15);
    eyni_dna_freqset_free(set);
}

static void counted_frequencies_equal_the_published_table(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_freqset *mine, *pub = nist_freq();
    eyni_error err;
    assert_int_equal(n, 1036);
    assert_int_equal(eyni_dna_freqset_from_profiles(v, n, &mine, &err), 0);
    assert_int_equal(eyni_dna_freqset_count(mine), 5); /* ALL + 4 populations */
    size_t checked = 0;
    for (size_t k = 0; k < eyni_dna_freqset_count(pub); k++) {
        const eyni_dna_freq *fp = eyni_dna_freqset_at(pub, k);
        const eyni_dna_freq *fm = eyni_dna_freqset_find(mine, eyni_dna_freq_population(fp));
        assert_non_null(fm);
        for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++) {
            assert_int_equal(eyni_dna_freq_alleles(fm, l), eyni_dna_freq_alleles(fp, l));
            assert_true(eyni_dna_freq_two_n(fm, l) == eyni_dna_freq_two_n(fp, l));
            for (size_t i = 0; i < eyni_dna_freq_alleles(fp, l); i++) {
                eyni_dna_allele a, b;
                double p, q;
                eyni_dna_freq_allele_at(fp, l, i, &a, &p);
                eyni_dna_freq_allele_at(fm, l, i, &b, &q);
                assert_int_equal(a, b);
                assert_true(fabs(p - q) <= 5e-7); /* the file rounds to 6 decimals */
                checked++;
            }
        }
    }
    assert_true(checked > 1700);
    /* AA TPOX has two blank cells: 2N = 684 - 2. */
    assert_true(
        eyni_dna_freq_two_n(eyni_dna_freqset_find(mine, "AA"), eyni_dna_locus_find("TPOX")) == 682);
    eyni_dna_freqset_free(mine);
    eyni_dna_freqset_free(pub);
    free(v);
}

static void kinship_indices_follow_the_standard_table(void **state)
{
    eyni_dna_freqset *s = small_table(100);
    const eyni_dna_freq *f = eyni_dna_freqset_at(s, 0);
    eyni_dna_stat st;
    eyni_error err;
    double p = 0.2, q = 0.5;
    eyni_dna_profile ab = one_locus("6", "9.3"), ab2 = one_locus("6", "9.3"),
                     ac = one_locus("6", "7"), aa = one_locus("6", "6"), cc = one_locus("7", "7");
    /* Full siblings both ab: (1 + p + q + 2pq) / (8pq). */
    assert_int_equal(
        eyni_dna_kinship(f, &ab, &ab2, EYNI_DNA_LOCI_ALL, EYNI_DNA_FULL_SIBLING, &st, &err), 0);
    assert_rel(st.value, (1 + p + q + 2 * p * q) / (8 * p * q), 1e-14);
    /* ab and ac, p the shared allele: full siblings (1 + 2p)/(8p), half (1 + 4p)/(8p). */
    assert_int_equal(
        eyni_dna_kinship(f, &ab, &ac, EYNI_DNA_LOCI_ALL, EYNI_DNA_FULL_SIBLING, &st, &err), 0);
    assert_rel(st.value, (1 + 2 * p) / (8 * p), 1e-14);
    assert_int_equal(
        eyni_dna_kinship(f, &ab, &ac, EYNI_DNA_LOCI_ALL, EYNI_DNA_HALF_SIBLING, &st, &err), 0);
    assert_rel(st.value, (1 + 4 * p) / (8 * p), 1e-14);
    /* Parent ab, child ac: 1/(4p); parent aa, child ab: 1/(2p). */
    assert_int_equal(
        eyni_dna_kinship(f, &ab, &ac, EYNI_DNA_LOCI_ALL, EYNI_DNA_PARENT_CHILD, &st, &err), 0);
    assert_rel(st.value, 1 / (4 * p), 1e-14);
    assert_int_equal(
        eyni_dna_kinship(f, &aa, &ab, EYNI_DNA_LOCI_ALL, EYNI_DNA_PARENT_CHILD, &st, &err), 0);
    assert_rel(st.value, 1 / (2 * p), 1e-14);
    /* Exclusion: no shared allele -> parent-child 0, full siblings 1/4, half siblings 1/2. */
    assert_int_equal(
        eyni_dna_kinship(f, &aa, &cc, EYNI_DNA_LOCI_ALL, EYNI_DNA_PARENT_CHILD, &st, &err), 0);
    assert_true(st.value == 0 && isinf(st.log10));
    assert_int_equal(
        eyni_dna_kinship(f, &aa, &cc, EYNI_DNA_LOCI_ALL, EYNI_DNA_FULL_SIBLING, &st, &err), 0);
    assert_rel(st.value, 0.25, 1e-15);
    assert_int_equal(
        eyni_dna_kinship(f, &aa, &cc, EYNI_DNA_LOCI_ALL, EYNI_DNA_HALF_SIBLING, &st, &err), 0);
    assert_rel(st.value, 0.5, 1e-15);
    /* A drop-out allele makes the locus uninformative: no locus left. */
    eyni_dna_profile drop = one_locus("6", "F");
    assert_int_equal(
        eyni_dna_kinship(f, &ab, &drop, EYNI_DNA_LOCI_ALL, EYNI_DNA_FULL_SIBLING, &st, &err),
        EYNI_EINVAL);
    eyni_dna_freqset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rmp_matches_hand_computation_on_nist_profiles),
        cmocka_unit_test(kinship_matches_hand_computation_on_nist_profiles),
        cmocka_unit_test(formulas_follow_nrc2_on_a_small_table),
        cmocka_unit_test(unseen_allele_needs_a_sample_size),
        cmocka_unit_test(min_rule_all_raises_rare_nist_alleles),
        cmocka_unit_test(counted_frequencies_equal_the_published_table),
        cmocka_unit_test(kinship_indices_follow_the_standard_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
