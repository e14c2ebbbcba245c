/* Fuzz the allele frequency table reader and look-ups on whatever it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eyni/dna.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_dna_freqset *s = NULL;
    eyni_error err;
    if (eyni_dna_freqset_parse_csv((const char *)data, size, "fuzz", 100, &s, &err) != 0)
        return 0;
    eyni_dna_profile p;
    eyni_dna_profile_init(&p);
    eyni_dna_profile_set(&p, eyni_dna_locus_find("TH01"), "9.3", "<6", &err);
    eyni_dna_profile_set(&p, eyni_dna_locus_find("FGA"), "22", "F", &err);
    for (size_t i = 0; i < eyni_dna_freqset_count(s); i++) {
        eyni_dna_stat st;
        eyni_dna_rmp(eyni_dna_freqset_at(s, i), &p, EYNI_DNA_LOCI_ALL, EYNI_DNA_NRC_4_10, 0.01, &st,
                     &err);
        eyni_dna_kinship(eyni_dna_freqset_at(s, i), &p, &p, EYNI_DNA_LOCI_ALL,
                         EYNI_DNA_FULL_SIBLING, &st, &err);
    }
    char *csv = eyni_dna_freqset_to_csv(s);
    free(csv);
    eyni_dna_freqset_free(s);
    return 0;
}
