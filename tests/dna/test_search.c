/* Database search on the real NIST 1036 profiles plus simulated relatives. */
#include "dna_test.h"

static eyni_dna_db *nist_db(const eyni_dna_profile *v, size_t n)
{
    eyni_dna_db *db = eyni_dna_db_new();
    eyni_error err;
    assert_non_null(db);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(eyni_dna_db_add(db, &v[i], &err), 0);
    return db;
}

static void every_nist_profile_finds_itself_at_high_stringency(void **state)
{
    size_t n, nh;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_db *db = nist_db(v, n);
    eyni_dna_hit *hits;
    eyni_error err;
    eyni_dna_search_opts o;
    eyni_dna_search_opts_init(&o);
    o.stringency = EYNI_DNA_HIGH;
    o.loci = EYNI_DNA_LOCI_AUTOSOMAL;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(eyni_dna_db_search(db, &v[i], &o, &hits, &nh, &err), 0);
        assert_int_equal(nh, 1); /* no two of the 1036 people share a 29-locus genotype */
        assert_string_equal(hits[0].id, v[i].id);
        assert_int_equal(hits[0].loci_compared, eyni_dna_profile_count(&v[i], o.loci));
        assert_int_equal(hits[0].loci_mismatched, 0);
        free(hits);
    }
    eyni_dna_db_free(db);
    free(v);
}

static void moderate_search_tolerates_drop_out_and_reports_the_lr(void **state)
{
    size_t n, nh;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_freqset *set = nist_freq();
    eyni_dna_db *db = nist_db(v, n);
    eyni_dna_hit *hits;
    eyni_error err;
    eyni_dna_rng r;
    eyni_dna_rng_seed(&r, 42);
    eyni_dna_search_opts o;
    eyni_dna_search_opts_init(&o);
    o.freq = eyni_dna_freqset_find(set, "ALL");
    for (size_t i = 0; i < n; i += 37) {
        eyni_dna_profile probe = v[i];
        eyni_dna_sim_dropout(&r, &probe, 0.2);
        probe.kind = EYNI_DNA_FORENSIC;
        assert_int_equal(eyni_dna_db_search(db, &probe, &o, &hits, &nh, &err), 0);
        assert_true(nh >= 1);
        assert_string_equal(hits[0].id, v[i].id);
        /* LR = 1/RMP of the probe over the compared loci (NRC II 4.10, theta 0.01). */
        eyni_dna_stat st;
        assert_int_equal(eyni_dna_rmp(o.freq, &probe, o.loci, o.formula, o.theta, &st, &err), 0);
        assert_int_equal(hits[0].loci_compared, st.nloci);
        assert_rel(hits[0].lr, 1 / st.value, 1e-9);
        /* High stringency refuses the drop-out loci "a,F" unless none dropped. */
        free(hits);
    }
    eyni_dna_db_free(db);
    eyni_dna_freqset_free(set);
    free(v);
}

static void stringencies_nest_and_low_reports_exclusions(void **state)
{
    size_t n, nh[3];
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_db *db = nist_db(v, n);
    eyni_dna_freqset *set = nist_freq();
    eyni_dna_hit *hits[3];
    eyni_error err;
    eyni_dna_search_opts o;
    eyni_dna_search_opts_init(&o);
    o.freq = eyni_dna_freqset_find(set, "ALL");
    o.max_results = 2000;
    /* A partial probe of 9 loci: many people share an allele everywhere. */
    eyni_dna_profile probe = v[5];
    for (int l = 9; l < EYNI_DNA_NLOCI; l++)
        probe.loci[l].a = probe.loci[l].b = 0;
    for (int s = 0; s < 3; s++) {
        o.stringency = (eyni_dna_stringency)s;
        assert_int_equal(eyni_dna_db_search(db, &probe, &o, &hits[s], &nh[s], &err), 0);
    }
    assert_true(nh[0] >= 1 && nh[0] <= nh[1] && nh[1] <= nh[2]);
    assert_true(nh[2] > 10);
    int excluded = 0;
    for (size_t i = 0; i < nh[2]; i++) {
        assert_int_equal(hits[2][i].loci_compared, 9);
        excluded += hits[2][i].lr == 0;
    }
    assert_true(excluded > 0); /* low-stringency candidates that differ get LR 0 */
    for (int s = 0; s < 3; s++)
        free(hits[s]);
    /* Too few loci for the minimum. */
    o.min_loci = 10;
    assert_int_equal(eyni_dna_db_search(db, &probe, &o, &hits[0], &nh[0], &err), EYNI_EINVAL);
    eyni_dna_db_free(db);
    eyni_dna_freqset_free(set);
    free(v);
}

static void references_and_forensic_samples_are_kept_apart(void **state)
{
    size_t n, nh;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_db *db = nist_db(v, 100);
    eyni_dna_hit *hits;
    eyni_error err;
    eyni_dna_profile crime = v[3];
    crime.kind = EYNI_DNA_FORENSIC;
    snprintf(crime.case_id, sizeof crime.case_id, "CASE-2026-17");
    snprintf(crime.scene, sizeof crime.scene, "Sumqayit, garage");
    assert_int_equal(eyni_dna_db_add(db, &crime, &err), 0); /* same id, other partition */
    assert_int_equal(eyni_dna_db_add(db, &crime, &err), EYNI_EEXIST);
    assert_int_equal(eyni_dna_db_count(db, EYNI_DNA_REFERENCE), 100);
    assert_int_equal(eyni_dna_db_count(db, EYNI_DNA_FORENSIC), 1);
    eyni_dna_search_opts o;
    eyni_dna_search_opts_init(&o);
    o.targets = 1u << EYNI_DNA_FORENSIC;
    assert_int_equal(eyni_dna_db_search(db, &v[3], &o, &hits, &nh, &err), 0);
    assert_int_equal(nh, 1);
    assert_int_equal(hits[0].kind, EYNI_DNA_FORENSIC);
    free(hits);
    eyni_dna_profile got;
    assert_int_equal(eyni_dna_db_get(db, EYNI_DNA_FORENSIC, crime.id, &got, &err), 0);
    assert_memory_equal(&got, &crime, sizeof got);
    /* Removing every reference one by one keeps the index consistent. */
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(eyni_dna_db_remove(db, EYNI_DNA_REFERENCE, v[i].id, &err), 0);
        if (i + 1 < 100) {
            assert_int_equal(eyni_dna_db_get(db, EYNI_DNA_REFERENCE, v[99].id, &got, &err), 0);
            assert_memory_equal(got.loci, v[99].loci, sizeof got.loci);
        }
    }
    assert_int_equal(eyni_dna_db_remove(db, EYNI_DNA_REFERENCE, v[0].id, &err), EYNI_ENOTFOUND);
    assert_int_equal(eyni_dna_db_count(db, EYNI_DNA_REFERENCE), 0);
    o.targets = 3;
    assert_int_equal(eyni_dna_db_search(db, &v[3], &o, &hits, &nh, &err), 0);
    assert_int_equal(nh, 1);
    free(hits);
    /* A drop-out sample in the database: familial search skips its "a,F" loci. */
    eyni_dna_profile partial = v[4];
    snprintf(partial.id, sizeof partial.id, "partial");
    partial.kind = EYNI_DNA_FORENSIC;
    int th01 = eyni_dna_locus_find("TH01");
    partial.loci[th01].b = EYNI_DNA_ALLELE_DROPOUT;
    assert_int_equal(eyni_dna_db_add(db, &partial, &err), 0);
    eyni_dna_freqset *set = nist_freq();
    eyni_dna_familial_opts fo;
    eyni_dna_familial_opts_init(&fo);
    fo.freq = eyni_dna_freqset_find(set, "ALL");
    fo.targets = 1u << EYNI_DNA_FORENSIC;
    fo.relation = EYNI_DNA_FULL_SIBLING;
    assert_int_equal(eyni_dna_db_familial(db, &v[4], &fo, &hits, &nh, &err), 0);
    assert_int_equal(nh, 2);
    assert_string_equal(hits[0].id, "partial");
    assert_int_equal(hits[0].loci_compared, 19);
    eyni_dna_stat st;
    assert_int_equal(eyni_dna_kinship(fo.freq, &v[4], &partial, fo.loci, fo.relation, &st, &err),
                     0);
    assert_int_equal(st.nloci, 19);
    assert_rel(hits[0].lr, st.value, 1e-15);
    free(hits);
    eyni_dna_freqset_free(set);
    eyni_dna_db_free(db);
    free(v);
}

/* Children of pairs of real NIST people: the true parent ranks first among the 1036 people
 * plus 20,000 simulated ones, with one and with two worker threads alike. */
static void familial_search_ranks_true_relatives_first(void **state)
{
    size_t n, nh, nh2;
    eyni_dna_profile *v = nist_profiles(&n);
    eyni_dna_freqset *set = nist_freq();
    eyni_dna_db *db = nist_db(v, n);
    eyni_error err;
    eyni_dna_rng r;
    eyni_dna_rng_seed(&r, 7);
    const eyni_dna_freq *cauc = eyni_dna_freqset_find(set, "Cauc");
    for (int i = 0; i < 20000; i++) {
        eyni_dna_profile p;
        assert_int_equal(eyni_dna_sim_unrelated(cauc, &r, EYNI_DNA_LOCI_AUTOSOMAL, &p, &err), 0);
        snprintf(p.id, sizeof p.id, "SIM%05d", i);
        assert_int_equal(eyni_dna_db_add(db, &p, &err), 0);
    }
    eyni_dna_familial_opts o;
    eyni_dna_familial_opts_init(&o);
    o.freq = eyni_dna_freqset_find(set, "ALL");
    o.top = 10;
    int parent_first = 0, sib_top = 0, trials = 20;
    for (int t = 0; t < trials; t++) {
        const eyni_dna_profile *m = &v[(size_t)t * 41 % n], *f = &v[(size_t)t * 53 % n + 1];
        eyni_dna_profile child, sib;
        eyni_dna_sim_child(&r, m, f, &child);
        eyni_dna_sim_child(&r, m, f, &sib);
        snprintf(sib.id, sizeof sib.id, "SIB%d", t);
        assert_int_equal(eyni_dna_db_add(db, &sib, &err), 0);
        eyni_dna_hit *hits, *hits2;
        o.relation = EYNI_DNA_PARENT_CHILD;
        o.threads = 2;
        assert_int_equal(eyni_dna_db_familial(db, &child, &o, &hits, &nh, &err), 0);
        o.threads = 1;
        assert_int_equal(eyni_dna_db_familial(db, &child, &o, &hits2, &nh2, &err), 0);
        assert_int_equal(nh, nh2);
        for (size_t i = 0; i < nh; i++)
            assert_string_equal(hits[i].id, hits2[i].id);
        /* Either parent (both are in the database) or the sibling may lead; a parent must
         * be first or second. */
        parent_first += strcmp(hits[0].id, m->id) == 0 || strcmp(hits[0].id, f->id) == 0 ||
                        strcmp(hits[1].id, m->id) == 0 || strcmp(hits[1].id, f->id) == 0;
        /* The reported index is the exact kinship index. */
        eyni_dna_stat st;
        eyni_dna_profile top;
        assert_int_equal(eyni_dna_db_get(db, hits[0].kind, hits[0].id, &top, &err), 0);
        assert_int_equal(eyni_dna_kinship(o.freq, &child, &top, o.loci, o.relation, &st, &err), 0);
        assert_rel(hits[0].lr, st.value, 1e-15);
        free(hits);
        free(hits2);
        o.relation = EYNI_DNA_FULL_SIBLING;
        assert_int_equal(eyni_dna_db_familial(db, &child, &o, &hits, &nh, &err), 0);
        for (size_t i = 0; i < nh; i++)
            sib_top += strcmp(hits[i].id, sib.id) == 0;
        free(hits);
        assert_int_equal(eyni_dna_db_remove(db, EYNI_DNA_REFERENCE, sib.id, &err), 0);
    }
    assert_true(parent_first >= 19);
    assert_true(sib_top >= 17);
    eyni_dna_db_free(db);
    eyni_dna_freqset_free(set);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_nist_profile_finds_itself_at_high_stringency),
        cmocka_unit_test(moderate_search_tolerates_drop_out_and_reports_the_lr),
        cmocka_unit_test(stringencies_nest_and_low_reports_exclusions),
        cmocka_unit_test(references_and_forensic_samples_are_kept_apart),
        cmocka_unit_test(familial_search_ranks_true_relatives_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
