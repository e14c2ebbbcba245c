/* Module-private declarations of src/nist. */
#ifndef EYNI_NIST_INT_H
#define EYNI_NIST_INT_H

#include "eyni/nist.h"

#define NIST_FS      0x1C
#define NIST_GS      0x1D
#define NIST_RS      0x1E
#define NIST_US      0x1F
#define NIST_TAG_MAX 15 /* "99.99999" and the like; longer tags are syntax errors */

typedef struct nist_field {
    int num;
    char tag[NIST_TAG_MAX + 1]; /* as spelt in the file, without the colon */
    unsigned char *val;
    size_t len;
} nist_field;

struct eyni_nist_record {
    int type;
    int binary;
    nist_field *fields; /* tagged records */
    size_t nfields, cap;
    unsigned char *raw; /* binary records: all bytes, LEN included */
    size_t rawlen;
};

struct eyni_nist {
    eyni_nist_record **recs;
    size_t nrecs, cap;
    eyni_nist_problem *problems; /* found while parsing */
    size_t nproblems, pcap;
    size_t dropped; /* problems past EYNI_NIST_MAX_PROBLEMS */
};

/* Types whose records are binary (fixed-width headers) rather than tagged. */
int nist_type_is_binary(int type);
/* Digits of s[0..len) as a number; -1 when empty, not all digits or above max. */
long nist_parse_uint(const unsigned char *s, size_t len, long max);

eyni_nist *nist_alloc(void);
eyni_nist_record *nist_record_new(int type, int binary);
void nist_record_free(eyni_nist_record *r);
int nist_append_record(eyni_nist *t, eyni_nist_record *r);
/* The IDC a new image record gets: one more than the largest used by non-Type-2 records. */
int nist_next_idc(const eyni_nist *t);
/* Appends a field taking a copy of the value; tag NULL spells it canonically. */
int nist_field_append(eyni_nist_record *r, int num, const char *tag, const unsigned char *val,
                      size_t len);
/* Adds a problem to a list (capped); list/count/cap are a growable array. */
void nist_problem_add(eyni_nist_problem **list, size_t *count, size_t *cap, size_t *dropped,
                      eyni_nist_problem_kind kind, int record, int field, const char *fmt, ...)
    EYNI_PRINTF(8, 9);

/* Entries of the Type-1 CNT field after the first: record type and IDC. */
typedef struct nist_cnt_entry {
    long type, idc;
} nist_cnt_entry;
/* Parses 1.003; *n = -1 when malformed. entries has room for max. Returns the count
 * declared in the first subfield (or -1). */
long nist_cnt_parse(const unsigned char *v, size_t len, nist_cnt_entry *entries, size_t max,
                    long *n);

/* Binary record header fields (Types 3-6 share one layout; 7 and 8 have their own). */
typedef struct nist_binary_header {
    size_t header; /* header size: 18 (Types 3-6), 12 (Type 8), 5 (Type 7) */
    int idc, imp, isr, gca;
    int fgp[6];
    int width, height;
} nist_binary_header;
int nist_binary_header_get(const eyni_nist_record *r, nist_binary_header *h);

#endif
