/* Allele frequency tables: read from CSV, counted from genotypes, looked up with the
 * minimum-frequency rule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dna_int.h"

typedef struct freq_locus {
    size_t n;
    double two_n; /* alleles typed at the locus; 0 when unknown */
    eyni_dna_allele a[EYNI_DNA_MAX_ALLELES];
    double p[EYNI_DNA_MAX_ALLELES];
    double count[EYNI_DNA_MAX_ALLELES]; /* -1 when the file gave none */
} freq_locus;

struct eyni_dna_freq {
    char population[EYNI_DNA_MAX_POP + 1];
    eyni_dna_min_rule rule;
    freq_locus loci[EYNI_DNA_NLOCI];
};

struct eyni_dna_freqset {
    size_t n;
    eyni_dna_freq *pops[EYNI_DNA_MAX_POPS];
};

/* Frequencies of a locus may not sum past this (rounded published tables reach ~1.0001). */
#define FREQ_SUM_MAX 1.01

void eyni_dna_freqset_free(eyni_dna_freqset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->pops[i]);
    free(s);
}

size_t eyni_dna_freqset_count(const eyni_dna_freqset *s)
{
    return s->n;
}

const eyni_dna_freq *eyni_dna_freqset_at(const eyni_dna_freqset *s, size_t i)
{
    return i < s->n ? s->pops[i] : NULL;
}

eyni_dna_freq *eyni_dna_freqset_at_mut(eyni_dna_freqset *s, size_t i)
{
    return i < s->n ? s->pops[i] : NULL;
}

const eyni_dna_freq *eyni_dna_freqset_find(const eyni_dna_freqset *s, const char *population)
{
    for (size_t i = 0; i < s->n; i++)
        if (dna_strcaseeq(s->pops[i]->population, population))
            return s->pops[i];
    return NULL;
}

const char *eyni_dna_freq_population(const eyni_dna_freq *f)
{
    return f->population;
}

void eyni_dna_freq_set_min_rule(eyni_dna_freq *f, eyni_dna_min_rule rule)
{
    f->rule = rule;
}

int eyni_dna_freq_has_locus(const eyni_dna_freq *f, int locus)
{
    return locus >= 0 && locus < EYNI_DNA_NLOCI && f->loci[locus].n > 0;
}

double eyni_dna_freq_two_n(const eyni_dna_freq *f, int locus)
{
    return eyni_dna_freq_has_locus(f, locus) ? f->loci[locus].two_n : 0;
}

size_t eyni_dna_freq_alleles(const eyni_dna_freq *f, int locus)
{
    return locus >= 0 && locus < EYNI_DNA_NLOCI ? f->loci[locus].n : 0;
}

int eyni_dna_freq_allele_at(const eyni_dna_freq *f, int locus, size_t i, eyni_dna_allele *a,
                            double *p)
{
    if (locus < 0 || locus >= EYNI_DNA_NLOCI || i >= f->loci[locus].n)
        return EYNI_EINVAL;
    *a = f->loci[locus].a[i];
    *p = f->loci[locus].p[i];
    return 0;
}

static eyni_dna_freq *pop_get(eyni_dna_freqset *s, const char *name, const char *file,
                              eyni_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->pops[i]->population, name) == 0)
            return s->pops[i];
    if (s->n >= EYNI_DNA_MAX_POPS) {
        eyni_error_set(err, EYNI_ELIMIT, "%s: more than %d populations", file, EYNI_DNA_MAX_POPS);
        return NULL;
    }
    eyni_dna_freq *f = calloc(1, sizeof *f);
    if (!f) {
        eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", file);
        return NULL;
    }
    if (dna_copy_text(f->population, sizeof f->population, name, "population", file, err)) {
        free(f);
        return NULL;
    }
    s->pops[s->n++] = f;
    return f;
}

static int find_allele(const freq_locus *fl, eyni_dna_allele a)
{
    size_t lo = 0, hi = fl->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fl->a[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < fl->n && fl->a[lo] == a ? (int)lo : -1;
}

/* Inserts keeping alleles sorted; EFORMAT on a repeat, ELIMIT when full. */
static int insert_allele(freq_locus *fl, eyni_dna_allele a, double p, double count)
{
    if (find_allele(fl, a) >= 0)
        return EYNI_EFORMAT;
    if (fl->n >= EYNI_DNA_MAX_ALLELES)
        return EYNI_ELIMIT;
    size_t i = fl->n;
    while (i > 0 && fl->a[i - 1] > a) {
        fl->a[i] = fl->a[i - 1];
        fl->p[i] = fl->p[i - 1];
        fl->count[i] = fl->count[i - 1];
        i--;
    }
    fl->a[i] = a;
    fl->p[i] = p;
    fl->count[i] = count;
    fl->n++;
    return 0;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return -1;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

typedef struct freq_cols {
    int pop, locus, allele, freq, count, two_n;
} freq_cols;

static int freq_row(dna_csv *c, const freq_cols *k, eyni_dna_freqset *s, unsigned n_ind,
                    eyni_error *err)
{
    const char *pname = k->pop >= 0 ? dna_csv_field(c, k->pop) : "default";
    if (!*pname)
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: empty population", c->name, c->line);
    eyni_dna_freq *f = pop_get(s, pname, c->name, err);
    if (!f)
        return err ? err->code : EYNI_ENOMEM;
    int l = eyni_dna_locus_find(dna_csv_field(c, k->locus));
    if (l < 0 || l == EYNI_DNA_LOCUS_AMEL)
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: unknown locus '%.40s'", c->name, c->line,
                              dna_csv_field(c, k->locus));
    eyni_dna_allele a;
    if (eyni_dna_allele_parse(l, dna_csv_field(c, k->allele), &a, err))
        return eyni_error_prefix(err, "%s:%zu: ", c->name, c->line);
    if (EYNI_DNA_ALLELE_KIND(a))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s:%zu: a frequency table lists ladder "
                              "alleles only, not '%s'",
                              c->name, c->line, dna_csv_field(c, k->allele));
    double p, count = -1, two_n = 2.0 * n_ind;
    if (parse_number(dna_csv_field(c, k->freq), &p) || !(p > 0 && p <= 1))
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: frequency '%.30s' not in (0, 1]", c->name,
                              c->line, dna_csv_field(c, k->freq));
    if (k->count >= 0 && (parse_number(dna_csv_field(c, k->count), &count) || count < 0 ||
                          count > 1e9 || count != floor(count)))
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: count is not a whole number", c->name,
                              c->line);
    if (k->two_n >= 0 && (parse_number(dna_csv_field(c, k->two_n), &two_n) || two_n < 1 ||
                          two_n > 1e9 || two_n != floor(two_n)))
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: 2N is not a positive whole number",
                              c->name, c->line);
    freq_locus *fl = &f->loci[l];
    if (fl->n && fl->two_n != two_n)
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: %s 2N changes within the locus", c->name,
                              c->line, eyni_dna_locus_name(l));
    fl->two_n = two_n;
    int rc = insert_allele(fl, a, p, count);
    if (rc == EYNI_EFORMAT)
        return eyni_error_set(err, rc, "%s:%zu: %s allele %s listed twice for %s", c->name, c->line,
                              eyni_dna_locus_name(l), dna_csv_field(c, k->allele), pname);
    if (rc)
        return eyni_error_set(err, rc, "%s:%zu: more than %d alleles at %s", c->name, c->line,
                              EYNI_DNA_MAX_ALLELES, eyni_dna_locus_name(l));
    return 0;
}

static int check_sums(const eyni_dna_freqset *s, const char *name, eyni_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
            double sum = 0;
            for (size_t j = 0; j < s->pops[i]->loci[l].n; j++)
                sum += s->pops[i]->loci[l].p[j];
            if (sum > FREQ_SUM_MAX)
                return eyni_error_set(err, EYNI_EFORMAT, "%s: %s %s frequencies sum to %.4f", name,
                                      s->pops[i]->population, eyni_dna_locus_name(l), sum);
        }
    return 0;
}

int eyni_dna_freqset_parse_csv(const char *buf, size_t len, const char *name,
                               unsigned n_individuals, eyni_dna_freqset **out, eyni_error *err)
{
    int rc;
    eyni_dna_freqset *s = calloc(1, sizeof *s);
    dna_csv *c = malloc(sizeof *c);
    if (!s || !c) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    dna_csv_open(c, buf, len, name);
    if ((rc = dna_csv_next(c, err)) <= 0) {
        rc = rc < 0 ? rc : eyni_error_set(err, EYNI_EFORMAT, "%s: empty file (no header)", name);
        goto fail;
    }
    freq_cols k = {dna_csv_column(c, "population"), dna_csv_column(c, "locus"),
                   dna_csv_column(c, "allele"),     dna_csv_column(c, "frequency"),
                   dna_csv_column(c, "count"),      dna_csv_column(c, "alleles_typed_2N")};
    if (k.two_n < 0)
        k.two_n = dna_csv_column(c, "two_n");
    if (k.locus < 0 || k.allele < 0 || k.freq < 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: header must hold locus,allele,frequency", name);
        goto fail;
    }
    while ((rc = dna_csv_next(c, err)) > 0)
        if ((rc = freq_row(c, &k, s, n_individuals, err)) != 0)
            goto fail;
    if (rc < 0)
        goto fail;
    if (s->n == 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: no frequencies", name);
        goto fail;
    }
    if ((rc = check_sums(s, name, err)) != 0)
        goto fail;
    free(c);
    *out = s;
    return 0;
fail:
    free(c);
    eyni_dna_freqset_free(s);
    return rc;
}

/* A file without a population column names its one population after the file: "AA.csv"
 * holds population "AA" (one file per population, side by side). */
static void name_after_file(eyni_dna_freqset *s, const char *path)
{
    if (s->n != 1 || strcmp(s->pops[0]->population, "default") != 0)
        return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    if (n == 0 || n > EYNI_DNA_MAX_POP || !eyni_utf8_valid(base, n))
        return;
    memcpy(s->pops[0]->population, base, n);
    s->pops[0]->population[n] = '\0';
}

int eyni_dna_freqset_load(const char *path, unsigned n_individuals, eyni_dna_freqset **out,
                          eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_DNA_MAX_FILE, &buf, &len, err);
    if (rc)
        return rc;
    rc = eyni_dna_freqset_parse_csv((const char *)buf, len, path, n_individuals, out, err);
    free(buf);
    if (rc == 0)
        name_after_file(*out, path);
    return rc;
}

int eyni_dna_freqset_merge(eyni_dna_freqset *dst, eyni_dna_freqset *src, eyni_error *err)
{
    if (dst->n + src->n > EYNI_DNA_MAX_POPS)
        return eyni_error_set(err, EYNI_ELIMIT, "more than %d populations", EYNI_DNA_MAX_POPS);
    for (size_t i = 0; i < src->n; i++)
        if (eyni_dna_freqset_find(dst, src->pops[i]->population))
            return eyni_error_set(err, EYNI_EEXIST, "population %s given twice",
                                  src->pops[i]->population);
    for (size_t i = 0; i < src->n; i++)
        dst->pops[dst->n++] = src->pops[i];
    src->n = 0;
    eyni_dna_freqset_free(src);
    return 0;
}

/* Adds one person's two alleles at every ladder-typed locus to a table's counts. */
static int count_profile(eyni_dna_freq *f, const eyni_dna_profile *p, eyni_error *err)
{
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++) {
        eyni_dna_genotype g = p->loci[l];
        if (!g.a || EYNI_DNA_ALLELE_KIND(g.a) || EYNI_DNA_ALLELE_KIND(g.b))
            continue; /* untyped, drop-out or off-ladder: not counted */
        freq_locus *fl = &f->loci[l];
        eyni_dna_allele two[2] = {g.a, g.b};
        for (int k = 0; k < 2; k++) {
            int i = find_allele(fl, two[k]);
            if (i >= 0) {
                fl->count[i] += 1;
            } else if (insert_allele(fl, two[k], 0, 1)) {
                return eyni_error_set(err, EYNI_ELIMIT, "more than %d alleles at %s",
                                      EYNI_DNA_MAX_ALLELES, eyni_dna_locus_name(l));
            }
        }
        fl->two_n += 2;
    }
    return 0;
}

int eyni_dna_freqset_from_profiles(const eyni_dna_profile *p, size_t n, eyni_dna_freqset **out,
                                   eyni_error *err)
{
    int rc;
    eyni_dna_freqset *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    eyni_dna_freq *all = pop_get(s, "ALL", "genotypes", err);
    if (!all) {
        rc = err ? err->code : EYNI_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = count_profile(all, &p[i], err)) != 0)
            goto fail;
        if (!p[i].population[0] || dna_strcaseeq(p[i].population, "ALL"))
            continue;
        eyni_dna_freq *f = pop_get(s, p[i].population, "genotypes", err);
        if (!f || (rc = count_profile(f, &p[i], err)) != 0) {
            rc = f ? rc : (err ? err->code : EYNI_ENOMEM);
            goto fail;
        }
    }
    for (size_t k = 0; k < s->n; k++)
        for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
            freq_locus *fl = &s->pops[k]->loci[l];
            for (size_t j = 0; j < fl->n; j++)
                fl->p[j] = fl->count[j] / fl->two_n;
        }
    *out = s;
    return 0;
fail:
    eyni_dna_freqset_free(s);
    return rc;
}

char *eyni_dna_freqset_to_csv(const eyni_dna_freqset *s)
{
    size_t cap = 64 + s->n * EYNI_DNA_NLOCI * EYNI_DNA_MAX_ALLELES * 96, len = 0;
    char *buf = malloc(cap), a[EYNI_DNA_ALLELE_MAX_TEXT];
    if (!buf)
        return NULL;
    len += (size_t)snprintf(buf, cap, "population,locus,allele,count,alleles_typed_2N,frequency\n");
    for (size_t k = 0; k < s->n; k++)
        for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
            const freq_locus *fl = &s->pops[k]->loci[l];
            for (size_t j = 0; j < fl->n; j++) {
                eyni_dna_allele_format(fl->a[j], a);
                len += (size_t)snprintf(buf + len, cap - len, "%s,%s,%s,%.0f,%.0f,%.17g\n",
                                        s->pops[k]->population, eyni_dna_locus_name(l), a,
                                        fl->count[j] < 0 ? 0 : fl->count[j], fl->two_n, fl->p[j]);
            }
        }
    return buf;
}

/* 5/(2N): NRC II's minimum allele frequency. */
static double min_freq(const freq_locus *fl)
{
    return fl->two_n > 0 ? 5.0 / fl->two_n : 0;
}

static int off_ladder(const eyni_dna_freq *f, int locus, eyni_dna_allele a, double *p,
                      eyni_error *err)
{
    const freq_locus *fl = &f->loci[locus];
    unsigned v = EYNI_DNA_ALLELE_TENTHS(a);
    int below = EYNI_DNA_ALLELE_KIND(a) == EYNI_DNA_ALLELE_BELOW;
    double sum = 0;
    for (size_t i = 0; i < fl->n; i++)
        if (below ? fl->a[i] < v : fl->a[i] > v)
            sum += fl->p[i];
    if (sum < min_freq(fl))
        sum = min_freq(fl);
    if (sum <= 0) {
        char t[EYNI_DNA_ALLELE_MAX_TEXT];
        eyni_dna_allele_format(a, t);
        return eyni_error_set(err, EYNI_ENOTFOUND,
                              "%s: no tabulated allele in off-ladder range %s and 2N unknown",
                              eyni_dna_locus_name(locus), t);
    }
    *p = sum > 1 ? 1 : sum;
    return 0;
}

int eyni_dna_freq_get(const eyni_dna_freq *f, int locus, eyni_dna_allele a, double *p,
                      eyni_error *err)
{
    if (!eyni_dna_freq_has_locus(f, locus))
        return eyni_error_set(err, EYNI_ENOTFOUND, "population %s has no frequencies for %s",
                              f->population,
                              eyni_dna_locus_name(locus) ? eyni_dna_locus_name(locus) : "?");
    if (a == EYNI_DNA_ALLELE_DROPOUT || a == 0 || a >= EYNI_DNA_ALLELE_DROPOUT)
        return eyni_error_set(err, EYNI_EINVAL, "%s: no frequency for a drop-out or sex allele",
                              eyni_dna_locus_name(locus));
    if (EYNI_DNA_ALLELE_KIND(a))
        return off_ladder(f, locus, a, p, err);
    const freq_locus *fl = &f->loci[locus];
    int i = find_allele(fl, a);
    double m = min_freq(fl);
    if (i >= 0) {
        *p = f->rule == EYNI_DNA_MIN_ALL && fl->p[i] < m ? m : fl->p[i];
        return 0;
    }
    if (m <= 0) {
        char t[EYNI_DNA_ALLELE_MAX_TEXT];
        eyni_dna_allele_format(a, t);
        return eyni_error_set(err, EYNI_ENOTFOUND,
                              "%s allele %s is not in the %s table and its sample size is "
                              "unknown (give the number of individuals)",
                              eyni_dna_locus_name(locus), t, f->population);
    }
    *p = m;
    return 0;
}
