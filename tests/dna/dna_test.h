/* Shared fixtures of the DNA tests: the NIST 1036 genotypes and frequency table. */
#ifndef EYNI_DNA_TEST_H
#define EYNI_DNA_TEST_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/dna.h"
#include "testutil.h"

#define NIST_GENOTYPES "str-allele-freq-nist1036/csv/1036_revised_all_n_1036.csv"
#define NIST_FREQ      "str-allele-freq-nist1036/nist1036_allele_frequencies_computed.csv"

static inline eyni_dna_profile *nist_profiles(size_t *n)
{
    char *path = eyni_test_path(NIST_GENOTYPES);
    eyni_dna_profile *v = NULL;
    eyni_error err;
    if (eyni_dna_profiles_load(path, &v, n, &err))
        fail_msg("%s", err.msg);
    free(path);
    return v;
}

static inline eyni_dna_freqset *nist_freq(void)
{
    char *path = eyni_test_path(NIST_FREQ);
    eyni_dna_freqset *s = NULL;
    eyni_error err;
    if (eyni_dna_freqset_load(path, 0, &s, &err))
        fail_msg("%s", err.msg);
    free(path);
    return s;
}

static inline const eyni_dna_profile *find_profile(const eyni_dna_profile *v, size_t n,
                                                   const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].id, id) == 0)
            return &v[i];
    fail_msg("profile %s not in the NIST file", id);
    return NULL;
}

static inline void assert_rel(double got, double want, double tol)
{
    double rel = fabs(got - want) / fabs(want);
    if (!(rel <= tol))
        fail_msg("got %.17g want %.17g (relative error %.3g > %.3g)", got, want, rel, tol);
}

#endif
