/*
 * eyni/dna.h - STR profiles, allele frequency tables, match and kinship statistics, an
 * in-memory profile database with stringency and familial search, and simulation.
 *
 * Statistics follow NRC II (1996) recommendations 4.1 and 4.10 (Balding-Nichols); kinship
 * indices are the standard IBD-weighted likelihood ratios (Evett & Weir; Buckleton et al.).
 * docs/dna.md gives every formula and design choice.
 *
 * Everything is reentrant. A database may be searched from several threads at once; adding
 * or removing profiles needs the caller to exclude concurrent searches.
 */
#ifndef EYNI_DNA_H
#define EYNI_DNA_H

#include <stddef.h>
#include <stdint.h>

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- loci and alleles -------------------------------------------------------------- */

/* Every locus this build knows: the 20 CODIS core loci first, then the other autosomal
 * loci of the NIST 1036 set, then Amelogenin (sex marker, never used in statistics). */
#define EYNI_DNA_NLOCI      30
#define EYNI_DNA_CODIS_CORE 20
#define EYNI_DNA_LOCUS_AMEL 29
/* Locus sets are bit masks of locus indices. */
#define EYNI_DNA_LOCI_CODIS20   ((UINT64_C(1) << EYNI_DNA_CODIS_CORE) - 1)
#define EYNI_DNA_LOCI_AUTOSOMAL ((UINT64_C(1) << EYNI_DNA_LOCUS_AMEL) - 1)
#define EYNI_DNA_LOCI_ALL       ((UINT64_C(1) << EYNI_DNA_NLOCI) - 1)

/* Canonical locus name ("D3S1358", "vWA", "Penta_D", "AMEL") or NULL when out of range. */
const char *eyni_dna_locus_name(int locus);
/* Locus index from a name; case, spaces, '_' and '-' are ignored and common aliases are
 * accepted (THO1, VWA, FES/FPS, F13A1, Amelogenin). -1 when unknown. */
int eyni_dna_locus_find(const char *name);
/* 1 for the CODIS core loci. */
int eyni_dna_locus_is_codis(int locus);

/*
 * An allele is a 16-bit code:
 *   repeat count in tenths (9.3 -> 93, 16 -> 160), 10..999;
 *   EYNI_DNA_ALLELE_BELOW | tenths for "<8", EYNI_DNA_ALLELE_ABOVE | tenths for ">30";
 *   EYNI_DNA_ALLELE_DROPOUT ("F") for a possibly dropped-out allele (a wildcard);
 *   EYNI_DNA_ALLELE_X / _Y at Amelogenin.
 * 0 is never an allele.
 */
typedef uint16_t eyni_dna_allele;
#define EYNI_DNA_ALLELE_BELOW     0x1000u
#define EYNI_DNA_ALLELE_ABOVE     0x2000u
#define EYNI_DNA_ALLELE_DROPOUT   0x3000u
#define EYNI_DNA_ALLELE_X         0x4001u
#define EYNI_DNA_ALLELE_Y         0x4002u
#define EYNI_DNA_ALLELE_KIND(a)   ((a)&0xF000u)
#define EYNI_DNA_ALLELE_TENTHS(a) ((a)&0x0FFFu)
#define EYNI_DNA_ALLELE_MAX_TEXT  8

/* Parses an allele for a locus ("9.3", "<8", ">30", "F", "X"): EFORMAT naming the reason
 * (not a number, fraction not below the repeat length, out of 1..99, X/Y off Amelogenin). */
int eyni_dna_allele_parse(int locus, const char *text, eyni_dna_allele *out, eyni_error *err);
/* Writes the allele's text into buf[EYNI_DNA_ALLELE_MAX_TEXT]. */
void eyni_dna_allele_format(eyni_dna_allele a, char buf[EYNI_DNA_ALLELE_MAX_TEXT]);

/* ---- profiles ---------------------------------------------------------------------- */

#define EYNI_DNA_MAX_ID       64                   /* FIN, sample id or case id, bytes */
#define EYNI_DNA_MAX_NOTE     128                  /* crime scene description, bytes */
#define EYNI_DNA_MAX_POP      16                   /* population tag, bytes */
#define EYNI_DNA_MAX_FILE     (512u * 1024 * 1024) /* largest profile/frequency file read */
#define EYNI_DNA_MAX_PROFILES 20000000u            /* profiles in one file or database */

typedef enum eyni_dna_kind {
    EYNI_DNA_REFERENCE = 0, /* a registered person; id is the FIN */
    EYNI_DNA_FORENSIC = 1   /* an unknown sample; id is the sample id, case_id the case */
} eyni_dna_kind;

/* Genotype at one locus: a <= b; a == 0 means the locus was not typed. A homozygote has
 * a == b; "12,F" (one allele seen, the other possibly dropped out) has b == DROPOUT. */
typedef struct eyni_dna_genotype {
    eyni_dna_allele a, b;
} eyni_dna_genotype;

typedef struct eyni_dna_profile {
    eyni_dna_kind kind;
    char id[EYNI_DNA_MAX_ID + 1];
    char case_id[EYNI_DNA_MAX_ID + 1];     /* forensic only */
    char scene[EYNI_DNA_MAX_NOTE + 1];     /* forensic only: crime scene */
    char population[EYNI_DNA_MAX_POP + 1]; /* optional tag (NIST "Pop" column) */
    eyni_dna_genotype loci[EYNI_DNA_NLOCI];
} eyni_dna_profile;

void eyni_dna_profile_init(eyni_dna_profile *p);
/* Sets one locus from two allele texts (allele2 may be NULL or "" for a homozygote written
 * once); sorts them; EFORMAT when the locus is already typed or an allele is impossible. */
int eyni_dna_profile_set(eyni_dna_profile *p, int locus, const char *allele1, const char *allele2,
                         eyni_error *err);
/* Number of typed loci in mask. */
int eyni_dna_profile_count(const eyni_dna_profile *p, uint64_t mask);
/* Checks the invariants (sorted, valid codes, X/Y only at Amelogenin, id limits). */
int eyni_dna_profile_validate(const eyni_dna_profile *p, eyni_error *err);

/*
 * CSV. A single profile: header "locus,allele1,allele2" (extra alleles -> "three alleles"
 * refused). Several profiles: "id,locus,allele1,allele2" with optional "kind", "case_id",
 * "scene", "population" columns (rows of one id together), or the NIST wide layout
 * "Sample,Pop,<locus>,,<locus>,,..." (two columns per locus, only the first headed).
 * name labels error messages. The *_parse_* functions return malloc'd arrays (free()).
 */
int eyni_dna_profile_parse_csv(const char *buf, size_t len, const char *name, eyni_dna_profile *out,
                               eyni_error *err);
int eyni_dna_profiles_parse_csv(const char *buf, size_t len, const char *name,
                                eyni_dna_profile **out, size_t *n, eyni_error *err);
/* JSON: {"kind":"reference","id":"..","loci":{"TH01":["6","9.3"],...}} for one profile;
 * {"profiles":[...]} for several (a single object is accepted as one profile). */
int eyni_dna_profile_from_json(const json_t *obj, const char *name, eyni_dna_profile *out,
                               eyni_error *err);
json_t *eyni_dna_profile_to_json(const eyni_dna_profile *p);
int eyni_dna_profiles_parse_json(const char *buf, size_t len, const char *name,
                                 eyni_dna_profile **out, size_t *n, eyni_error *err);
/* Reads a file of profiles: JSON when it starts with '{', otherwise CSV. */
int eyni_dna_profiles_load(const char *path, eyni_dna_profile **out, size_t *n, eyni_error *err);
/* Writes "locus,allele1,allele2" lines (with header) into a malloc'd string. */
char *eyni_dna_profile_to_csv(const eyni_dna_profile *p);

/* Compact binary form for storage: "EDN1", kind, id/case/scene/population strings, then
 * (locus, allele a, allele b) triples for typed loci. At most EYNI_DNA_BINARY_MAX bytes. */
#define EYNI_DNA_BINARY_MAX (4 + 1 + 4 * (1 + EYNI_DNA_MAX_NOTE) + 1 + EYNI_DNA_NLOCI * 5)
int eyni_dna_profile_encode(const eyni_dna_profile *p, uint8_t *buf, size_t cap, size_t *len,
                            eyni_error *err);
int eyni_dna_profile_decode(const uint8_t *buf, size_t len, eyni_dna_profile *out, eyni_error *err);

/* ---- allele frequency tables ------------------------------------------------------- */

typedef struct eyni_dna_freqset eyni_dna_freqset; /* one or more populations */
typedef struct eyni_dna_freq eyni_dna_freq;       /* one population, owned by its set */

#define EYNI_DNA_MAX_ALLELES 128 /* distinct alleles per locus in one table */
#define EYNI_DNA_MAX_POPS    32

/* The minimum allele frequency is 5/(2N) (NRC II, ch. 5), 2N = alleles typed at the locus.
 * By default it is given only to alleles absent from the table; with EYNI_DNA_MIN_ALL it
 * also raises any rarer tabulated allele (NRC II's practice for rare alleles). */
typedef enum eyni_dna_min_rule { EYNI_DNA_MIN_UNSEEN = 0, EYNI_DNA_MIN_ALL = 1 } eyni_dna_min_rule;

/*
 * CSV "locus,allele,frequency" with optional "population", "count" and "alleles_typed_2N"
 * (or "two_n") columns - the NIST computed table has them all. Without a 2N column the
 * sample size comes from n_individuals (2N = 2 * n_individuals); when that is 0 an allele
 * missing from the table is ENOTFOUND.
 */
int eyni_dna_freqset_parse_csv(const char *buf, size_t len, const char *name,
                               unsigned n_individuals, eyni_dna_freqset **out, eyni_error *err);
/* Reads a file; without a population column its population is named after the file
 * ("AA.csv" -> "AA"), so one file per population can be merged side by side. */
int eyni_dna_freqset_load(const char *path, unsigned n_individuals, eyni_dna_freqset **out,
                          eyni_error *err);
/* Moves src's populations into dst and frees src; on failure (a population in both, too
 * many) neither set changes and the caller still owns src. */
int eyni_dna_freqset_merge(eyni_dna_freqset *dst, eyni_dna_freqset *src, eyni_error *err);
/* Counts alleles over genotyped profiles: one table per population tag plus "ALL" (pooled);
 * frequency = count / 2N with 2N the alleles typed at each locus (blank cells skipped). */
int eyni_dna_freqset_from_profiles(const eyni_dna_profile *p, size_t n, eyni_dna_freqset **out,
                                   eyni_error *err);
void eyni_dna_freqset_free(eyni_dna_freqset *s);
size_t eyni_dna_freqset_count(const eyni_dna_freqset *s);
const eyni_dna_freq *eyni_dna_freqset_at(const eyni_dna_freqset *s, size_t i);
/* Population by name (case-insensitive); NULL when absent. */
const eyni_dna_freq *eyni_dna_freqset_find(const eyni_dna_freqset *s, const char *population);
/* Writes "population,locus,allele,count,alleles_typed_2N,frequency" into a malloc'd string. */
char *eyni_dna_freqset_to_csv(const eyni_dna_freqset *s);

const char *eyni_dna_freq_population(const eyni_dna_freq *f);
void eyni_dna_freq_set_min_rule(eyni_dna_freq *f, eyni_dna_min_rule rule);
/* Mutable access for the min rule on a set's member. */
eyni_dna_freq *eyni_dna_freqset_at_mut(eyni_dna_freqset *s, size_t i);
/* 1 when the table has at least one allele at locus. */
int eyni_dna_freq_has_locus(const eyni_dna_freq *f, int locus);
/* Alleles typed at the locus (2N), 0 when unknown. */
double eyni_dna_freq_two_n(const eyni_dna_freq *f, int locus);
/*
 * Frequency used in statistics: the tabulated value, or 5/(2N) for an unseen allele (and
 * for rarer ones under EYNI_DNA_MIN_ALL); off-ladder "<v"/">v" sums the tabulated alleles
 * below/above v (at least 5/(2N)). ENOTFOUND when the locus is absent or 2N is unknown.
 */
int eyni_dna_freq_get(const eyni_dna_freq *f, int locus, eyni_dna_allele a, double *p,
                      eyni_error *err);
/* Number of tabulated alleles at locus and the i-th (allele, frequency). */
size_t eyni_dna_freq_alleles(const eyni_dna_freq *f, int locus);
int eyni_dna_freq_allele_at(const eyni_dna_freq *f, int locus, size_t i, eyni_dna_allele *a,
                            double *p);

/* ---- statistics -------------------------------------------------------------------- */

typedef enum eyni_dna_formula {
    EYNI_DNA_NRC_4_1 = 41,  /* product rule, theta on homozygotes: p^2 + p(1-p)theta, 2pq */
    EYNI_DNA_NRC_4_10 = 410 /* Balding-Nichols conditional match probability */
} eyni_dna_formula;

#define EYNI_DNA_DEFAULT_THETA 0.01

typedef struct eyni_dna_locus_stat {
    int locus;
    eyni_dna_genotype genotype;
    double p, q;  /* allele frequencies used (q = p for a homozygote) */
    double value; /* genotype frequency (rmp) or kinship index */
    int two_p;    /* 1 when the 2p rule was applied (one allele, possible drop-out) */
} eyni_dna_locus_stat;

typedef struct eyni_dna_stat {
    double value; /* combined rmp, or combined kinship index */
    double log10; /* log10 of value (finite even when value underflows) */
    int nloci;
    eyni_dna_locus_stat loci[EYNI_DNA_NLOCI];
} eyni_dna_stat;

/*
 * Random match probability of p over the loci in mask that it has typed (Amelogenin never
 * counts). theta in [0, 0.5). A locus "a,F" uses the 2p rule (capped at 1). ENOTFOUND
 * when a locus is missing from f.
 */
int eyni_dna_rmp(const eyni_dna_freq *f, const eyni_dna_profile *p, uint64_t mask,
                 eyni_dna_formula formula, double theta, eyni_dna_stat *out, eyni_error *err);
/* Genotype frequency at one locus (the per-locus term of eyni_dna_rmp). */
int eyni_dna_genotype_freq(const eyni_dna_freq *f, int locus, eyni_dna_genotype g,
                           eyni_dna_formula formula, double theta, eyni_dna_locus_stat *out,
                           eyni_error *err);

typedef enum eyni_dna_relation {
    EYNI_DNA_PARENT_CHILD = 0, /* IBD (k0,k1,k2) = (0, 1, 0) */
    EYNI_DNA_FULL_SIBLING = 1, /* (1/4, 1/2, 1/4) */
    EYNI_DNA_HALF_SIBLING = 2  /* (1/2, 1/2, 0) */
} eyni_dna_relation;

const char *eyni_dna_relation_name(eyni_dna_relation r);
/* Kinship index LR = P(genotypes | relation) / P(genotypes | unrelated), product rule
 * without theta, per locus typed in both (no drop-out allele) and combined. A parent-child
 * exclusion at a locus gives 0 there (no mutation model). */
int eyni_dna_kinship(const eyni_dna_freq *f, const eyni_dna_profile *x, const eyni_dna_profile *y,
                     uint64_t mask, eyni_dna_relation rel, eyni_dna_stat *out, eyni_error *err);

/* ---- simulation -------------------------------------------------------------------- */

/* xoshiro256** state; seed it explicitly, one per thread. */
typedef struct eyni_dna_rng {
    uint64_t s[4];
} eyni_dna_rng;

void eyni_dna_rng_seed(eyni_dna_rng *r, uint64_t seed);
uint64_t eyni_dna_rng_next(eyni_dna_rng *r);
/* Uniform double in [0, 1). */
double eyni_dna_rng_uniform(eyni_dna_rng *r);

/* An unrelated person: two alleles drawn per locus in mask present in f (frequencies
 * normalised to sum 1). */
int eyni_dna_sim_unrelated(const eyni_dna_freq *f, eyni_dna_rng *r, uint64_t mask,
                           eyni_dna_profile *out, eyni_error *err);
/* A child of two profiles by Mendelian inheritance (one allele from each, at loci typed in
 * both without drop-out); loci missing in either parent stay untyped. */
void eyni_dna_sim_child(eyni_dna_rng *r, const eyni_dna_profile *mother,
                        const eyni_dna_profile *father, eyni_dna_profile *out);
/* Each allele copy drops out with probability rate: a heterozygote losing one copy becomes
 * "a,F"; losing both leaves the locus untyped. */
void eyni_dna_sim_dropout(eyni_dna_rng *r, eyni_dna_profile *p, double rate);

/* ---- database and search ----------------------------------------------------------- */

typedef struct eyni_dna_db eyni_dna_db;

eyni_dna_db *eyni_dna_db_new(void);
void eyni_dna_db_free(eyni_dna_db *db);
/* Adds a copy; EEXIST when (kind, id) is present, ELIMIT beyond 254 distinct alleles at a
 * locus or EYNI_DNA_MAX_PROFILES profiles. */
int eyni_dna_db_add(eyni_dna_db *db, const eyni_dna_profile *p, eyni_error *err);
/* Reserves room for n more profiles (optional; speeds up bulk loads). */
int eyni_dna_db_reserve(eyni_dna_db *db, size_t n, eyni_error *err);
int eyni_dna_db_remove(eyni_dna_db *db, eyni_dna_kind kind, const char *id, eyni_error *err);
size_t eyni_dna_db_count(const eyni_dna_db *db, eyni_dna_kind kind);
/* Copies the stored profile; ENOTFOUND when absent. */
int eyni_dna_db_get(const eyni_dna_db *db, eyni_dna_kind kind, const char *id,
                    eyni_dna_profile *out, eyni_error *err);

typedef enum eyni_dna_stringency {
    EYNI_DNA_HIGH = 0,     /* identical genotypes at every compared locus */
    EYNI_DNA_MODERATE = 1, /* every probe allele present in the candidate */
    EYNI_DNA_LOW = 2       /* at least one shared allele per compared locus */
} eyni_dna_stringency;

typedef struct eyni_dna_search_opts {
    eyni_dna_stringency stringency;
    unsigned targets;          /* bit 1<<EYNI_DNA_REFERENCE and/or 1<<EYNI_DNA_FORENSIC */
    uint64_t loci;             /* loci to compare */
    int min_loci;              /* candidates compared at fewer loci are dropped */
    size_t max_results;        /* best by LR (or compared loci) kept */
    int threads;               /* 1..EYNI_DNA_MAX_THREADS */
    const eyni_dna_freq *freq; /* for LR; NULL: LR not computed (0) */
    eyni_dna_formula formula;
    double theta;
} eyni_dna_search_opts;

#define EYNI_DNA_MAX_THREADS 16

/* Defaults: moderate, references and forensic, CODIS 20, min 8 loci, 100 results,
 * 2 threads, formula 4.10, theta 0.01, no frequency table. */
void eyni_dna_search_opts_init(eyni_dna_search_opts *o);

typedef struct eyni_dna_hit {
    eyni_dna_kind kind;
    char id[EYNI_DNA_MAX_ID + 1];
    int loci_compared;
    int loci_mismatched; /* stringency search: loci where the genotypes differ */
    double lr;           /* 1/P(probe genotype) over consistent compared loci; 0 if excluded */
    double log10_lr;
} eyni_dna_hit;

/* Hits sorted by log10_lr then loci_compared, descending; *hits is malloc'd (free()). */
int eyni_dna_db_search(const eyni_dna_db *db, const eyni_dna_profile *probe,
                       const eyni_dna_search_opts *o, eyni_dna_hit **hits, size_t *n,
                       eyni_error *err);

typedef struct eyni_dna_familial_opts {
    eyni_dna_relation relation;
    unsigned targets;
    uint64_t loci;
    int min_loci;
    size_t top; /* ranked candidates returned */
    int threads;
    const eyni_dna_freq *freq; /* required */
} eyni_dna_familial_opts;

/* Defaults: parent-child, references only, CODIS 20, min 8 loci, top 20, 2 threads. */
void eyni_dna_familial_opts_init(eyni_dna_familial_opts *o);
/* Ranks candidates by combined kinship index (log10_lr; LR recomputed exactly for the top),
 * best first; *hits is malloc'd (free()). */
int eyni_dna_db_familial(const eyni_dna_db *db, const eyni_dna_profile *probe,
                         const eyni_dna_familial_opts *o, eyni_dna_hit **hits, size_t *n,
                         eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
