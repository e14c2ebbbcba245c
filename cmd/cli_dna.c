/* `eyni dna rmp|kinship|search|simulate|freq` and `eyni bench dna`. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_dna.h"
#include "eyni/dna.h"

#define DNA_USAGE                                                                                  \
    "eyni dna rmp --freq CSV --profile FILE [--theta T] [--formula 4.1|4.10] [--population P]\n"   \
    "               [--n N] [--min-freq unseen|all] [--loci codis20|all] [--json]\n"               \
    "       eyni dna kinship --freq CSV A B [--relation parent|sibling|half-sibling|all]\n"        \
    "       eyni dna search --db FILE --probe FILE [--stringency high|moderate|low]\n"             \
    "               [--min-loci N] [--freq CSV] [--targets reference|forensic|both] [--max N]\n"   \
    "               [--familial parent|sibling|half-sibling] [--threads N]\n"                      \
    "       eyni dna simulate --freq CSV [--population P] [--count N] [--families N]\n"            \
    "               [--dropout R] --seed S [--out FILE]\n"                                         \
    "       eyni dna freq GENOTYPES.csv [--out FILE]\n"                                            \
    "       eyni dna add|remove|search|kinship|rmp --data DIR ...  (stored profiles; see\n"        \
    "               `eyni dna add` for its usage)\n"                                               \
    "  (every command also takes --json)"

/* Options shared by the subcommands; absent ones stay NULL / default. */
typedef struct dna_args {
    const char *freq, *profile, *population, *db, *probe, *out, *data, *relation;
    const char *stringency, *targets, *familial, *formula, *min_freq, *loci;
    double theta, dropout;
    long n, count, families, min_loci, max, threads;
    unsigned long long seed;
    int have_seed, json;
    const char *pos[4];
    int npos;
    const char *freqs[EYNI_DNA_MAX_POPS]; /* --freq may repeat: one file per population */
    int nfreq;
} dna_args;

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "eyni dna: %s '%s' is not a number in [%g, %g]\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_long_opt(const char *opt, const char *s, long lo, long hi, long *out)
{
    double v;
    if (parse_num(opt, s, (double)lo, (double)hi, &v) || v != floor(v)) {
        fprintf(stderr, "eyni dna: %s needs a whole number\n", opt);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static int take(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "eyni dna: %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

/* The whole-number option named o, or NULL. */
static long *long_opt(dna_args *a, const char *o)
{
    static const struct {
        const char *name;
        size_t off;
    } longs[] = {
        {"--n", offsetof(dna_args, n)},
        {"--count", offsetof(dna_args, count)},
        {"--families", offsetof(dna_args, families)},
        {"--min-loci", offsetof(dna_args, min_loci)},
        {"--max", offsetof(dna_args, max)},
        {"--threads", offsetof(dna_args, threads)},
    };
    for (size_t k = 0; k < sizeof longs / sizeof longs[0]; k++)
        if (strcmp(o, longs[k].name) == 0)
            return (long *)((char *)a + longs[k].off);
    return NULL;
}

static int parse_args(int argc, char **argv, dna_args *a)
{
    memset(a, 0, sizeof *a);
    a->theta = EYNI_DNA_DEFAULT_THETA;
    a->min_loci = -1;
    a->max = 100;
    a->threads = 2;
    a->count = 1000;
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"--freq", offsetof(dna_args, freq)},
        {"--profile", offsetof(dna_args, profile)},
        {"--population", offsetof(dna_args, population)},
        {"--db", offsetof(dna_args, db)},
        {"--probe", offsetof(dna_args, probe)},
        {"--out", offsetof(dna_args, out)},
        {"--data", offsetof(dna_args, data)},
        {"--relation", offsetof(dna_args, relation)},
        {"--stringency", offsetof(dna_args, stringency)},
        {"--targets", offsetof(dna_args, targets)},
        {"--familial", offsetof(dna_args, familial)},
        {"--formula", offsetof(dna_args, formula)},
        {"--min-freq", offsetof(dna_args, min_freq)},
        {"--loci", offsetof(dna_args, loci)},
    };
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        int done = 0;
        if (strcmp(o, "--freq") == 0) {
            if (take(argc, argv, &i, &v))
                return -1;
            if (a->nfreq == EYNI_DNA_MAX_POPS) {
                fprintf(stderr, "eyni dna: too many --freq files\n");
                return -1;
            }
            a->freqs[a->nfreq++] = a->freq = v;
            continue;
        }
        for (size_t k = 0; k < sizeof strs / sizeof strs[0] && !done; k++)
            if (strcmp(o, strs[k].name) == 0) {
                if (take(argc, argv, &i, (const char **)((char *)a + strs[k].off)))
                    return -1;
                done = 1;
            }
        if (done)
            continue;
        double d;
        long *dst;
        if (strcmp(o, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(o, "--theta") == 0) {
            if (take(argc, argv, &i, &v) || parse_num(o, v, 0, 0.49, &a->theta))
                return -1;
        } else if (strcmp(o, "--dropout") == 0) {
            if (take(argc, argv, &i, &v) || parse_num(o, v, 0, 1, &a->dropout))
                return -1;
        } else if (strcmp(o, "--seed") == 0) {
            if (take(argc, argv, &i, &v) || parse_num(o, v, 0, 9007199254740991.0, &d))
                return -1;
            a->seed = (unsigned long long)d;
            a->have_seed = 1;
        } else if ((dst = long_opt(a, o)) != NULL) {
            long hi = dst == &a->threads ? EYNI_DNA_MAX_THREADS : 100000000;
            if (take(argc, argv, &i, &v) || parse_long_opt(o, v, dst == &a->threads, hi, dst))
                return -1;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "eyni dna: unknown option %s\n", o);
            return -1;
        } else if (a->npos < 4) {
            a->pos[a->npos++] = o;
        } else {
            fprintf(stderr, "eyni dna: too many arguments\n");
            return -1;
        }
    }
    return 0;
}

static int bad(const char *msg)
{
    fprintf(stderr, "eyni dna: %s\n", msg);
    return CLI_BADINPUT;
}

static json_t *genotype_json(eyni_dna_genotype g)
{
    char x[EYNI_DNA_ALLELE_MAX_TEXT], y[EYNI_DNA_ALLELE_MAX_TEXT];
    eyni_dna_allele_format(g.a, x);
    eyni_dna_allele_format(g.b, y);
    return json_pack("[ss]", x, y);
}

/* Finite numbers as JSON reals; an infinite log (a zero index) as null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int load_freq(const dna_args *a, eyni_dna_freqset **set, const eyni_dna_freq **f)
{
    eyni_error err;
    if (!a->freq)
        return bad("--freq CSV is required");
    if (eyni_dna_freqset_load(a->freqs[0], (unsigned)a->n, set, &err))
        return cli_fail(&err);
    for (int i = 1; i < a->nfreq; i++) {
        eyni_dna_freqset *more = NULL;
        int rc = eyni_dna_freqset_load(a->freqs[i], (unsigned)a->n, &more, &err);
        if (rc == 0 && (rc = eyni_dna_freqset_merge(*set, more, &err)) == 0)
            more = NULL; /* now owned by *set */
        if (rc) {
            eyni_dna_freqset_free(more);
            eyni_dna_freqset_free(*set);
            return cli_fail(&err);
        }
    }
    if (a->min_freq && strcmp(a->min_freq, "all") != 0 && strcmp(a->min_freq, "unseen") != 0) {
        eyni_dna_freqset_free(*set);
        return bad("--min-freq must be unseen or all");
    }
    for (size_t i = 0; i < eyni_dna_freqset_count(*set); i++)
        eyni_dna_freq_set_min_rule(eyni_dna_freqset_at_mut(*set, i),
                                   a->min_freq && strcmp(a->min_freq, "all") == 0
                                       ? EYNI_DNA_MIN_ALL
                                       : EYNI_DNA_MIN_UNSEEN);
    /* Without --population: "ALL" when the table has it, else its first population. */
    const char *pop = a->population ? a->population : "ALL";
    *f = eyni_dna_freqset_find(*set, pop);
    if (!*f && !a->population)
        *f = eyni_dna_freqset_at(*set, 0);
    if (!*f) {
        fprintf(stderr, "eyni dna: %s: no population '%s'\n", a->freq, pop);
        eyni_dna_freqset_free(*set);
        return CLI_BADINPUT;
    }
    return 0;
}

/* Exactly one profile from a file. */
static int load_one(const char *path, eyni_dna_profile *out)
{
    eyni_dna_profile *v;
    size_t n;
    eyni_error err;
    if (!path)
        return bad("a profile file is required");
    if (eyni_dna_profiles_load(path, &v, &n, &err))
        return cli_fail(&err);
    if (n != 1) {
        free(v);
        fprintf(stderr, "eyni dna: %s holds %zu profiles, need exactly one\n", path, n);
        return CLI_BADINPUT;
    }
    *out = v[0];
    if (!out->id[0])
        snprintf(out->id, sizeof out->id, "%s", "probe");
    free(v);
    return 0;
}

static uint64_t loci_mask(const dna_args *a)
{
    return a->loci && strcmp(a->loci, "codis20") == 0 ? EYNI_DNA_LOCI_CODIS20
                                                      : EYNI_DNA_LOCI_AUTOSOMAL;
}

static json_t *rmp_json(const eyni_dna_stat *s, eyni_dna_formula formula, double theta,
                        const eyni_dna_freq *f)
{
    json_t *o = json_object(), *loci = json_object();
    json_object_set_new(o, "rmp", json_real(s->value));
    json_object_set_new(o, "log10_rmp", num(s->log10));
    json_object_set_new(o, "lr", s->value > 0 ? json_real(1 / s->value) : json_null());
    json_object_set_new(o, "formula", json_string(formula == EYNI_DNA_NRC_4_1 ? "4.1" : "4.10"));
    json_object_set_new(o, "theta", json_real(theta));
    json_object_set_new(o, "population", json_string(eyni_dna_freq_population(f)));
    json_object_set_new(o, "nloci", json_integer(s->nloci));
    for (int i = 0; i < s->nloci; i++) {
        const eyni_dna_locus_stat *l = &s->loci[i];
        json_t *e = json_pack("{s:o,s:f,s:f,s:f,s:b}", "genotype", genotype_json(l->genotype), "p",
                              l->p, "q", l->q, "frequency", l->value, "two_p_rule", l->two_p);
        json_object_set_new(loci, eyni_dna_locus_name(l->locus), e);
    }
    json_object_set_new(o, "loci", loci);
    return o;
}

static int cmd_rmp(const dna_args *a)
{
    eyni_dna_freqset *set;
    const eyni_dna_freq *f;
    eyni_dna_profile p;
    eyni_dna_stat s;
    eyni_error err;
    int rc;
    eyni_dna_formula formula = EYNI_DNA_NRC_4_10;
    if (a->formula && strcmp(a->formula, "4.1") == 0)
        formula = EYNI_DNA_NRC_4_1;
    else if (a->formula && strcmp(a->formula, "4.10") != 0)
        return bad("--formula must be 4.1 or 4.10");
    if ((rc = load_one(a->profile, &p)) != 0)
        return rc;
    if ((rc = load_freq(a, &set, &f)) != 0)
        return rc;
    if (eyni_dna_rmp(f, &p, loci_mask(a), formula, a->theta, &s, &err)) {
        eyni_dna_freqset_free(set);
        return cli_fail(&err);
    }
    json_t *o = rmp_json(&s, formula, a->theta, f);
    /* Every population of the table side by side (NRC II: report each relevant group). */
    json_t *pops = json_object();
    for (size_t i = 0; i < eyni_dna_freqset_count(set); i++) {
        const eyni_dna_freq *g = eyni_dna_freqset_at(set, i);
        eyni_dna_stat t;
        if (eyni_dna_rmp(g, &p, loci_mask(a), formula, a->theta, &t, &err) == 0)
            json_object_set_new(pops, eyni_dna_freq_population(g), json_real(t.value));
        else
            json_object_set_new(pops, eyni_dna_freq_population(g), json_null());
    }
    json_object_set_new(o, "populations", pops);
    eyni_dna_freqset_free(set);
    return cli_emit(o, a->json);
}

static int relation_parse(const char *s, eyni_dna_relation *r)
{
    if (strcmp(s, "parent") == 0 || strcmp(s, "parent-child") == 0)
        *r = EYNI_DNA_PARENT_CHILD;
    else if (strcmp(s, "sibling") == 0 || strcmp(s, "full-sibling") == 0)
        *r = EYNI_DNA_FULL_SIBLING;
    else if (strcmp(s, "half-sibling") == 0)
        *r = EYNI_DNA_HALF_SIBLING;
    else
        return -1;
    return 0;
}

static int cmd_kinship(const dna_args *a)
{
    eyni_dna_profile x, y;
    eyni_dna_freqset *set;
    const eyni_dna_freq *f;
    eyni_error err;
    int rc, want = -1;
    if (a->npos != 2)
        return bad("kinship needs two profile files");
    if (a->relation && strcmp(a->relation, "all") != 0) {
        eyni_dna_relation r;
        if (relation_parse(a->relation, &r))
            return bad("--relation must be parent, sibling, half-sibling or all");
        want = (int)r;
    }
    if ((rc = load_one(a->pos[0], &x)) != 0 || (rc = load_one(a->pos[1], &y)) != 0)
        return rc;
    if ((rc = load_freq(a, &set, &f)) != 0)
        return rc;
    json_t *o = json_object();
    json_object_set_new(o, "population", json_string(eyni_dna_freq_population(f)));
    for (int r = 0; r < 3; r++) {
        eyni_dna_stat s;
        if (want >= 0 && r != want)
            continue;
        if (eyni_dna_kinship(f, &x, &y, loci_mask(a), (eyni_dna_relation)r, &s, &err)) {
            json_decref(o);
            eyni_dna_freqset_free(set);
            return cli_fail(&err);
        }
        json_t *loci = json_object();
        for (int i = 0; i < s.nloci; i++)
            json_object_set_new(loci, eyni_dna_locus_name(s.loci[i].locus),
                                json_real(s.loci[i].value));
        json_object_set_new(o, eyni_dna_relation_name((eyni_dna_relation)r),
                            json_pack("{s:f,s:o,s:i,s:o}", "index", s.value, "log10_index",
                                      num(s.log10), "nloci", s.nloci, "loci", loci));
    }
    eyni_dna_freqset_free(set);
    return cli_emit(o, a->json);
}

static int stringency_parse(const char *s, eyni_dna_stringency *out)
{
    if (!s || strcmp(s, "moderate") == 0)
        *out = EYNI_DNA_MODERATE;
    else if (strcmp(s, "high") == 0)
        *out = EYNI_DNA_HIGH;
    else if (strcmp(s, "low") == 0)
        *out = EYNI_DNA_LOW;
    else
        return -1;
    return 0;
}

static int targets_parse(const char *s, unsigned def, unsigned *out)
{
    if (!s)
        *out = def;
    else if (strcmp(s, "reference") == 0)
        *out = 1u << EYNI_DNA_REFERENCE;
    else if (strcmp(s, "forensic") == 0)
        *out = 1u << EYNI_DNA_FORENSIC;
    else if (strcmp(s, "both") == 0)
        *out = 3u;
    else
        return -1;
    return 0;
}

/* Loads a database file into a fresh in-memory database. */
static int load_db(const char *path, eyni_dna_db **out)
{
    eyni_dna_profile *v;
    size_t n;
    eyni_error err;
    if (!path)
        return bad("--db FILE is required");
    if (eyni_dna_profiles_load(path, &v, &n, &err))
        return cli_fail(&err);
    eyni_dna_db *db = eyni_dna_db_new();
    if (!db) {
        free(v);
        return bad("out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (eyni_dna_db_add(db, &v[i], &err)) {
            eyni_error_prefix(&err, "%s: ", path);
            free(v);
            eyni_dna_db_free(db);
            return cli_fail(&err);
        }
    free(v);
    *out = db;
    return 0;
}

/* lr is null when no frequency table was given. */
static json_t *hits_json(const eyni_dna_hit *h, size_t n, int have_lr)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:i,s:i,s:o,s:o}", "kind",
                           h[i].kind == EYNI_DNA_FORENSIC ? "forensic" : "reference", "id", h[i].id,
                           "loci_compared", h[i].loci_compared, "loci_mismatched",
                           h[i].loci_mismatched, "lr", have_lr ? num(h[i].lr) : json_null(),
                           "log10_lr", have_lr ? num(h[i].log10_lr) : json_null()));
    return arr;
}

static int cmd_search(const dna_args *a)
{
    eyni_dna_db *db = NULL;
    eyni_dna_freqset *set = NULL;
    const eyni_dna_freq *f = NULL;
    eyni_dna_profile probe;
    eyni_dna_hit *hits = NULL;
    size_t n = 0;
    eyni_error err;
    int rc;
    eyni_dna_stringency st;
    eyni_dna_relation rel = EYNI_DNA_PARENT_CHILD;
    unsigned targets;
    if (stringency_parse(a->stringency, &st))
        return bad("--stringency must be high, moderate or low");
    if (a->familial && relation_parse(a->familial, &rel))
        return bad("--familial must be parent, sibling or half-sibling");
    if (targets_parse(a->targets, a->familial ? 1u : 3u, &targets))
        return bad("--targets must be reference, forensic or both");
    if (a->familial && !a->freq)
        return bad("familial search needs --freq");
    if ((rc = load_one(a->probe, &probe)) != 0)
        return rc;
    if (a->freq && (rc = load_freq(a, &set, &f)) != 0)
        return rc;
    if ((rc = load_db(a->db, &db)) != 0)
        goto done;
    double t0 = eyni_time_ms();
    if (a->familial) {
        eyni_dna_familial_opts o;
        eyni_dna_familial_opts_init(&o);
        o.relation = rel;
        o.targets = targets;
        o.loci = loci_mask(a);
        o.min_loci = a->min_loci >= 0 ? (int)a->min_loci : o.min_loci;
        o.top = (size_t)a->max;
        o.threads = (int)a->threads;
        o.freq = f;
        rc = eyni_dna_db_familial(db, &probe, &o, &hits, &n, &err);
    } else {
        eyni_dna_search_opts o;
        eyni_dna_search_opts_init(&o);
        o.stringency = st;
        o.targets = targets;
        o.loci = loci_mask(a);
        o.min_loci = a->min_loci >= 0 ? (int)a->min_loci : o.min_loci;
        o.max_results = (size_t)a->max;
        o.threads = (int)a->threads;
        o.freq = f;
        o.theta = a->theta;
        rc = eyni_dna_db_search(db, &probe, &o, &hits, &n, &err);
    }
    double ms = eyni_time_ms() - t0;
    if (rc) {
        rc = cli_fail(&err);
        goto done;
    }
    json_t *o = json_object();
    json_object_set_new(o, "mode",
                        json_string(a->familial ? eyni_dna_relation_name(rel)
                                                : (const char *[]){"high", "moderate", "low"}[st]));
    json_object_set_new(o, "probe", json_string(probe.id));
    json_object_set_new(o, "database",
                        json_integer((json_int_t)(eyni_dna_db_count(db, EYNI_DNA_REFERENCE) +
                                                  eyni_dna_db_count(db, EYNI_DNA_FORENSIC))));
    json_object_set_new(o, "candidates", json_integer((json_int_t)n));
    json_object_set_new(o, "search_ms", json_real(ms));
    json_object_set_new(o, "hits", hits_json(hits, n, f != NULL));
    rc = cli_emit(o, a->json);
    if (rc == CLI_OK && n == 0)
        rc = CLI_NEGATIVE;
done:
    free(hits);
    eyni_dna_db_free(db);
    eyni_dna_freqset_free(set);
    return rc;
}

/* Wide CSV row: id,kind,population then two cells per locus. */
static void write_row(FILE *out, const eyni_dna_profile *p)
{
    char x[EYNI_DNA_ALLELE_MAX_TEXT], y[EYNI_DNA_ALLELE_MAX_TEXT];
    fprintf(out, "%s,%s,%s", p->id, p->kind == EYNI_DNA_FORENSIC ? "forensic" : "reference",
            p->population);
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        if (!p->loci[l].a) {
            fputs(",,", out);
            continue;
        }
        eyni_dna_allele_format(p->loci[l].a, x);
        eyni_dna_allele_format(p->loci[l].b, y);
        fprintf(out, ",%s,%s", x, y);
    }
    fputc('\n', out);
}

static int sim_family(const eyni_dna_freq *f, eyni_dna_rng *r, long i, double dropout, FILE *out,
                      eyni_error *err)
{
    eyni_dna_profile m, d, child, sib;
    if (eyni_dna_sim_unrelated(f, r, EYNI_DNA_LOCI_AUTOSOMAL, &m, err) ||
        eyni_dna_sim_unrelated(f, r, EYNI_DNA_LOCI_AUTOSOMAL, &d, err))
        return err->code;
    eyni_dna_sim_child(r, &m, &d, &child);
    eyni_dna_sim_child(r, &m, &d, &sib);
    eyni_dna_sim_dropout(r, &child, dropout);
    snprintf(m.id, sizeof m.id, "fam%ld-parent", i);
    snprintf(sib.id, sizeof sib.id, "fam%ld-sibling", i);
    snprintf(child.id, sizeof child.id, "fam%ld-child", i);
    snprintf(child.case_id, sizeof child.case_id, "case-%ld", i);
    child.kind = EYNI_DNA_FORENSIC;
    write_row(out, &m);
    write_row(out, &sib);
    write_row(out, &child);
    return 0;
}

static int cmd_simulate(const dna_args *a)
{
    eyni_dna_freqset *set;
    const eyni_dna_freq *f;
    eyni_error err;
    int rc;
    if (!a->have_seed)
        return bad("simulate needs --seed (runs must be reproducible)");
    if ((rc = load_freq(a, &set, &f)) != 0)
        return rc;
    FILE *out = a->out ? fopen(a->out, "w") : stdout;
    if (!out) {
        eyni_dna_freqset_free(set);
        fprintf(stderr, "eyni dna: cannot write %s\n", a->out);
        return CLI_FAILURE;
    }
    eyni_dna_rng r;
    eyni_dna_rng_seed(&r, a->seed);
    fputs("id,kind,population", out);
    for (int l = 0; l < EYNI_DNA_NLOCI; l++)
        fprintf(out, ",%s,", eyni_dna_locus_name(l));
    fputc('\n', out);
    for (long i = 0; i < a->count && rc == 0; i++) {
        eyni_dna_profile p;
        if ((rc = eyni_dna_sim_unrelated(f, &r, EYNI_DNA_LOCI_AUTOSOMAL, &p, &err)) == 0) {
            eyni_dna_sim_dropout(&r, &p, a->dropout);
            snprintf(p.id, sizeof p.id, "sim%07ld", i);
            write_row(out, &p);
        }
    }
    for (long i = 0; i < a->families && rc == 0; i++)
        rc = sim_family(f, &r, i, a->dropout, out, &err);
    int werr = ferror(out);
    if (a->out && fclose(out) != 0)
        werr = 1;
    if (rc) {
        eyni_dna_freqset_free(set);
        return cli_fail(&err);
    }
    json_t *o = json_pack("{s:s,s:I,s:I,s:f,s:I}", "population", eyni_dna_freq_population(f),
                          "profiles", (json_int_t)a->count, "families", (json_int_t)a->families,
                          "dropout", a->dropout, "seed", (json_int_t)a->seed);
    eyni_dna_freqset_free(set);
    if (werr)
        return bad("write failed");
    if (!a->out) {
        json_decref(o); /* the profiles went to stdout */
        return CLI_OK;
    }
    json_object_set_new(o, "out", json_string(a->out));
    return cli_emit(o, a->json);
}

static int cmd_freq(const dna_args *a)
{
    eyni_dna_profile *v;
    eyni_dna_freqset *set;
    size_t n;
    eyni_error err;
    if (a->npos != 1)
        return bad("freq needs one genotype file");
    if (eyni_dna_profiles_load(a->pos[0], &v, &n, &err))
        return cli_fail(&err);
    int rc = eyni_dna_freqset_from_profiles(v, n, &set, &err);
    free(v);
    if (rc)
        return cli_fail(&err);
    char *csv = eyni_dna_freqset_to_csv(set);
    eyni_dna_freqset_free(set);
    if (!csv)
        return bad("out of memory");
    if (a->out) {
        rc = eyni_file_write_atomic(a->out, csv, strlen(csv), 0644, &err);
        free(csv);
        if (rc)
            return cli_fail(&err);
        return cli_emit(json_pack("{s:s,s:I}", "out", a->out, "profiles", (json_int_t)n), a->json);
    }
    fputs(csv, stdout);
    free(csv);
    return CLI_OK;
}

int cli_dna(int argc, char **argv)
{
    dna_args a;
    if (argc < 2)
        return cli_usage(DNA_USAGE);
    if (cli_dna_wants_store(argc, argv))
        return cli_dna_store(argc, argv);
    if (parse_args(argc - 1, argv + 1, &a))
        return CLI_BADINPUT;
    const char *cmd = argv[1];
    if (strcmp(cmd, "rmp") == 0)
        return cmd_rmp(&a);
    if (strcmp(cmd, "kinship") == 0)
        return cmd_kinship(&a);
    if (strcmp(cmd, "search") == 0)
        return cmd_search(&a);
    if (strcmp(cmd, "simulate") == 0)
        return cmd_simulate(&a);
    if (strcmp(cmd, "freq") == 0)
        return cmd_freq(&a);
    return cli_usage(DNA_USAGE);
}
