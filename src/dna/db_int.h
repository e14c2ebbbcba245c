/* Private layout of the profile database, shared by db.c and search.c. */
#ifndef EYNI_DNA_DB_INT_H
#define EYNI_DNA_DB_INT_H

#include "dna_int.h"

#define DB_DROPOUT  255 /* dictionary index of "F" */
#define DB_DICT_MAX 254 /* real alleles per locus: indices 1..254 */

typedef struct db_meta {
    char id[EYNI_DNA_MAX_ID + 1];
    char population[EYNI_DNA_MAX_POP + 1];
    char *extra; /* "case_id\0scene\0" for forensic samples, else NULL */
} db_meta;

typedef struct db_part {
    size_t n, cap;
    /* Column per locus: key = a << 8 | b (dictionary indices, a <= b; 0 = untyped), so a
     * scan reads only the loci it tests. */
    uint16_t *cols[EYNI_DNA_NLOCI];
    db_meta *meta;
    uint32_t *slots; /* open-addressing id index: row + 1, 0 = empty */
    size_t nslots;   /* power of two */
} db_part;

struct eyni_dna_db {
    db_part parts[2]; /* [EYNI_DNA_REFERENCE], [EYNI_DNA_FORENSIC] */
    int dict_n[EYNI_DNA_NLOCI];
    eyni_dna_allele dict[EYNI_DNA_NLOCI][256];
    uint8_t *index_of; /* [locus][allele code] -> dictionary index, 0 = none */
};

eyni_dna_allele db_code(const eyni_dna_db *db, int l, uint8_t ix);
void db_row_decode(const eyni_dna_db *db, eyni_dna_kind kind, size_t row, eyni_dna_profile *out);

#endif
