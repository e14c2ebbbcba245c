/* Module-private declarations of the DNA engine. */
#ifndef EYNI_DNA_INT_H
#define EYNI_DNA_INT_H

#include "eyni/dna.h"

/* ---- locus table ---- */
typedef struct dna_locus_info {
    const char *name;
    int repeat; /* repeat unit length in bases: the largest micro-variant fraction + 1 */
    int codis;
} dna_locus_info;
const dna_locus_info *dna_locus_info_at(int locus);

/* ---- CSV reader: RFC 4180 fields, CRLF or LF, a leading UTF-8 BOM skipped ---- */
#define DNA_CSV_MAX_FIELDS 256
#define DNA_CSV_MAX_FIELD  256
#define DNA_CSV_MAX_LINE   (64 * 1024)

typedef struct dna_csv {
    const char *buf;
    size_t len, pos;
    const char *name; /* for messages */
    size_t line;      /* 1-based number of the row just read */
    size_t nfields;
    char *fields[DNA_CSV_MAX_FIELDS];
    char store[DNA_CSV_MAX_LINE + DNA_CSV_MAX_FIELDS];
} dna_csv;

void dna_csv_open(dna_csv *c, const char *buf, size_t len, const char *name);
/* 1 with fields filled, 0 at the end, negative on error. Blank lines are skipped. */
int dna_csv_next(dna_csv *c, eyni_error *err);
/* Column index of a header name (case-insensitive, trimmed) or -1. */
int dna_csv_column(const dna_csv *c, const char *name);
/* Trims spaces in place and returns the field (or "" when i is out of range). */
const char *dna_csv_field(dna_csv *c, int i);

/* ---- small helpers ---- */
int dna_strcaseeq(const char *a, const char *b);
int dna_copy_text(char *dst, size_t cap, const char *src, const char *what, const char *name,
                  eyni_error *err);
const char *dna_kind_name(eyni_dna_kind k);
int dna_kind_parse(const char *s, eyni_dna_kind *k);
/* Sorted canonical genotype from two codes (0 for none). */
eyni_dna_genotype dna_genotype_make(eyni_dna_allele x, eyni_dna_allele y);

/* ---- statistics shared with the search ---- */
/* Kinship index at one locus between genotypes x and y (no drop-out alleles). */
int dna_kinship_locus(const eyni_dna_freq *f, int l, eyni_dna_genotype x, eyni_dna_genotype y,
                      eyni_dna_relation rel, eyni_dna_locus_stat *s, eyni_error *err);
#endif
