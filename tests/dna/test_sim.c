/* Simulation: seeded reproducibility, allele frequencies, Mendelian inheritance, drop-out. */
#include "dna_test.h"

static void same_seed_same_profiles(void **state)
{
    eyni_dna_freqset *set = nist_freq();
    const eyni_dna_freq *f = eyni_dna_freqset_find(set, "Hisp");
    eyni_dna_rng a, b, c;
    eyni_error err;
    eyni_dna_rng_seed(&a, 99);
    eyni_dna_rng_seed(&b, 99);
    eyni_dna_rng_seed(&c, 100);
    int differ = 0;
    for (int i = 0; i < 50; i++) {
        eyni_dna_profile x, y, z;
        assert_int_equal(eyni_dna_sim_unrelated(f, &a, EYNI_DNA_LOCI_AUTOSOMAL, &x, &err), 0);
        assert_int_equal(eyni_dna_sim_unrelated(f, &b, EYNI_DNA_LOCI_AUTOSOMAL, &y, &err), 0);
        assert_int_equal(eyni_dna_sim_unrelated(f, &c, EYNI_DNA_LOCI_AUTOSOMAL, &z, &err), 0);
        assert_memory_equal(&x, &y, sizeof x);
        differ += memcmp(x.loci, z.loci, sizeof x.loci) != 0;
        assert_int_equal(eyni_dna_profile_validate(&x, &err), 0);
    }
    assert_true(differ >= 49);
    eyni_dna_freqset_free(set);
}

static void simulated_frequencies_match_the_table(void **state)
{
    eyni_dna_freqset *set = nist_freq(), *counted;
    const eyni_dna_freq *f = eyni_dna_freqset_find(set, "AA");
    eyni_dna_rng r;
    eyni_error err;
    enum { N = 20000 };
    eyni_dna_profile *v = malloc(N * sizeof *v);
    assert_non_null(v);
    eyni_dna_rng_seed(&r, 5);
    for (int i = 0; i < N; i++)
        assert_int_equal(eyni_dna_sim_unrelated(f, &r, EYNI_DNA_LOCI_AUTOSOMAL, &v[i], &err), 0);
    assert_int_equal(eyni_dna_freqset_from_profiles(v, N, &counted, &err), 0);
    const eyni_dna_freq *g = eyni_dna_freqset_find(counted, "AA");
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++)
        for (size_t i = 0; i < eyni_dna_freq_alleles(f, l); i++) {
            eyni_dna_allele a;
            double p, q;
            eyni_dna_freq_allele_at(f, l, i, &a, &p);
            /* 40,000 draws: standard error at most 0.0025; allow 5 of them. */
            assert_int_equal(eyni_dna_freq_get(g, l, a, &q, &err) == 0 || p < 0.001, 1);
            if (eyni_dna_freq_get(g, l, a, &q, &err) == 0)
                assert_true(fabs(p - q) < 0.0125);
        }
    eyni_dna_freqset_free(counted);
    eyni_dna_freqset_free(set);
    free(v);
}

static void children_inherit_one_allele_from_each_parent(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_rng r;
    eyni_dna_rng_seed(&r, 11);
    int from_first_slot = 0, total = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        eyni_dna_profile c;
        eyni_dna_sim_child(&r, &v[i], &v[i + 1], &c);
        for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++) {
            eyni_dna_genotype m = v[i].loci[l], f = v[i + 1].loci[l], g = c.loci[l];
            if (!m.a || !f.a) {
                assert_int_equal(g.a, 0);
                continue;
            }
            int ok = ((g.a == m.a || g.a == m.b) && (g.b == f.a || g.b == f.b)) ||
                     ((g.b == m.a || g.b == m.b) && (g.a == f.a || g.a == f.b));
            assert_true(ok);
            /* Count only when the father carries neither maternal allele. */
            if (m.a != m.b && f.a != m.a && f.b != m.a && f.a != m.b && f.b != m.b) {
                total++;
                from_first_slot += g.a == m.a || g.b == m.a;
            }
        }
    }
    /* Each parental allele is passed on about half the time. */
    assert_true(fabs((double)from_first_slot / total - 0.5) < 0.03);
    free(v);
}

static void dropout_leaves_f_markers_at_the_expected_rate(void **state)
{
    size_t n;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_rng r;
    eyni_error err;
    eyni_dna_rng_seed(&r, 3);
    int loci = 0, one = 0, both = 0;
    for (size_t i = 0; i < n; i++) {
        eyni_dna_profile p = v[i];
        eyni_dna_sim_dropout(&r, &p, 0.3);
        assert_int_equal(eyni_dna_profile_validate(&p, &err), 0);
        for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
            if (!v[i].loci[l].a)
                continue;
            loci++;
            one += p.loci[l].b == EYNI_DNA_ALLELE_DROPOUT;
            both += p.loci[l].a == 0;
        }
    }
    /* One copy lost: 2 * 0.3 * 0.7 = 0.42; both: 0.09. */
    assert_true(fabs((double)one / loci - 0.42) < 0.02);
    assert_true(fabs((double)both / loci - 0.09) < 0.01);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_profiles),
        cmocka_unit_test(simulated_frequencies_match_the_table),
        cmocka_unit_test(children_inherit_one_allele_from_each_parent),
        cmocka_unit_test(dropout_leaves_f_markers_at_the_expected_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
