/*
 * `eyni bench dna [DIR]`: moderate-stringency search time over a simulated database of
 * 1,000,000 profiles (20 CODIS loci, 2 threads) and familial search accuracy per NIST
 * population. DIR holds nist1036_allele_frequencies_computed.csv (default: the shared data).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/dna.h"

#define FREQ_FILE "nist1036_allele_frequencies_computed.csv"

typedef struct bench_cfg {
    const char *dir;
    long n, queries, trials, threads;
    unsigned long long seed;
    int json;
} bench_cfg;

static const char *const pops[] = {"AA", "Asian", "Cauc", "Hisp"};

static int cfg_parse(int argc, char **argv, bench_cfg *c)
{
    c->dir = NULL;
    c->n = 1000000;
    c->queries = 100;
    c->trials = 200;
    c->threads = 2;
    c->seed = 20261124;
    c->json = 0;
    for (int i = 1; i < argc; i++) {
        long *dst = NULL;
        if (strcmp(argv[i], "--json") == 0) {
            c->json = 1;
            continue;
        }
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            char *end;
            c->seed = strtoull(argv[++i], &end, 10);
            if (*end) {
                fprintf(stderr, "eyni bench dna: bad value for --seed\n");
                return -1;
            }
            continue;
        }
        if (strcmp(argv[i], "--n") == 0)
            dst = &c->n;
        else if (strcmp(argv[i], "--queries") == 0)
            dst = &c->queries;
        else if (strcmp(argv[i], "--trials") == 0)
            dst = &c->trials;
        else if (strcmp(argv[i], "--threads") == 0)
            dst = &c->threads;
        if (dst && i + 1 < argc) {
            char *end;
            *dst = strtol(argv[++i], &end, 10);
            if (*end || *dst < 1 || *dst > 20000000) {
                fprintf(stderr, "eyni bench dna: bad value for %s\n", argv[i - 1]);
                return -1;
            }
            continue;
        }
        if (argv[i][0] == '-' || c->dir) {
            fprintf(stderr, "eyni bench dna: unexpected argument %s\n", argv[i]);
            return -1;
        }
        c->dir = argv[i];
    }
    if (c->threads > EYNI_DNA_MAX_THREADS)
        c->threads = EYNI_DNA_MAX_THREADS;
    return 0;
}

static char *freq_path(const bench_cfg *c)
{
    char *p = malloc(4096);
    if (!p)
        return NULL;
    if (c->dir) {
        snprintf(p, 4096, "%s/%s", c->dir, FREQ_FILE);
    } else {
        const char *d = getenv("EYNI_TESTDATA");
        snprintf(p, 4096, "%s/str-allele-freq-nist1036/%s", d && *d ? d : "../shared/data",
                 FREQ_FILE);
    }
    return p;
}

static int db_fill(eyni_dna_db *db, const eyni_dna_freq *const *f, size_t nf, long n,
                   eyni_dna_rng *r, eyni_error *err)
{
    if (eyni_dna_db_reserve(db, (size_t)n, err))
        return err->code;
    for (long i = 0; i < n; i++) {
        eyni_dna_profile p;
        if (eyni_dna_sim_unrelated(f[(size_t)i % nf], r, EYNI_DNA_LOCI_AUTOSOMAL, &p, err))
            return err->code;
        snprintf(p.id, sizeof p.id, "S%08ld", i);
        if (eyni_dna_db_add(db, &p, err))
            return err->code;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Moderate search of queries probes: half drawn fresh, half members with 10% drop-out. */
static json_t *bench_search(const bench_cfg *c, const eyni_dna_freqset *set, eyni_error *err)
{
    const eyni_dna_freq *f[4];
    for (int i = 0; i < 4; i++)
        if (!(f[i] = eyni_dna_freqset_find(set, pops[i]))) {
            eyni_error_set(err, EYNI_ENOTFOUND, "frequency table lacks population %s", pops[i]);
            return NULL;
        }
    eyni_dna_rng r;
    eyni_dna_rng_seed(&r, c->seed);
    eyni_dna_db *db = eyni_dna_db_new();
    double *ms = calloc((size_t)c->queries, sizeof *ms);
    json_t *o = NULL;
    long found = 0, members = 0, fresh_hits = 0;
    if (!db || !ms) {
        eyni_error_set(err, EYNI_ENOMEM, "out of memory");
        goto done;
    }
    double t0 = eyni_time_ms();
    if (db_fill(db, f, 4, c->n, &r, err))
        goto done;
    double build_ms = eyni_time_ms() - t0;
    fprintf(stderr, "bench dna: %ld profiles simulated and loaded in %.0f ms\n", c->n, build_ms);
    eyni_dna_search_opts o_s;
    eyni_dna_search_opts_init(&o_s);
    o_s.threads = (int)c->threads;
    o_s.freq = eyni_dna_freqset_find(set, "ALL") ? eyni_dna_freqset_find(set, "ALL") : f[0];
    for (long q = 0; q < c->queries; q++) {
        eyni_dna_profile probe;
        char want[EYNI_DNA_MAX_ID + 1] = "";
        if (q % 2 == 0) {
            snprintf(want, sizeof want, "S%08ld", (long)(eyni_dna_rng_next(&r) % (uint64_t)c->n));
            eyni_dna_db_get(db, EYNI_DNA_REFERENCE, want, &probe, err);
            eyni_dna_sim_dropout(&r, &probe, 0.1);
            members++;
        } else if (eyni_dna_sim_unrelated(f[q % 4], &r, EYNI_DNA_LOCI_AUTOSOMAL, &probe, err)) {
            goto done;
        }
        eyni_dna_hit *hits;
        size_t nh;
        double s0 = eyni_time_ms();
        if (eyni_dna_db_search(db, &probe, &o_s, &hits, &nh, err))
            goto done;
        ms[q] = eyni_time_ms() - s0;
        for (size_t i = 0; i < nh; i++)
            if (want[0] && strcmp(hits[i].id, want) == 0)
                found++;
        if (!want[0])
            fresh_hits += (long)nh;
        free(hits);
    }
    qsort(ms, (size_t)c->queries, sizeof *ms, cmp_double);
    double sum = 0;
    for (long q = 0; q < c->queries; q++)
        sum += ms[q];
    o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:I}", "stringency", "moderate",
                  "loci", "CODIS20", "database", (json_int_t)c->n, "threads",
                  (json_int_t)c->threads, "queries", (json_int_t)c->queries, "build_ms", build_ms,
                  "ms_mean", sum / (double)c->queries, "ms_median", ms[c->queries / 2], "ms_p95",
                  ms[(c->queries * 95) / 100], "ms_max", ms[c->queries - 1], "member_probes",
                  (json_int_t)members, "members_found", (json_int_t)found, "fresh_probe_hits",
                  (json_int_t)fresh_hits);
done:
    free(ms);
    eyni_dna_db_free(db);
    return o;
}

/* Rank (1-based) of id among hits, 0 when absent. */
static long rank_of(const eyni_dna_hit *h, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].id, id) == 0)
            return (long)i + 1;
    return 0;
}

/* Adds rel as "trial-rel", searches for the relation, removes it; returns the rank. */
static long trial_rank(eyni_dna_db *db, eyni_dna_profile *rel, const eyni_dna_profile *probe,
                       eyni_dna_familial_opts *o, double *ms, eyni_error *err)
{
    eyni_dna_hit *hits;
    size_t n;
    snprintf(rel->id, sizeof rel->id, "trial-relative");
    rel->kind = EYNI_DNA_REFERENCE;
    if (eyni_dna_db_add(db, rel, err))
        return -1;
    double t0 = eyni_time_ms();
    int rc = eyni_dna_db_familial(db, probe, o, &hits, &n, err);
    *ms += eyni_time_ms() - t0;
    if (eyni_dna_db_remove(db, EYNI_DNA_REFERENCE, rel->id, err) || rc)
        return -1;
    long rank = rank_of(hits, n, rel->id);
    free(hits);
    return rank;
}

/* Familial search accuracy over the 20 CODIS loci and over all 29 autosomal loci. */
static json_t *bench_familial_pop(const bench_cfg *c, const eyni_dna_freq *f, int pop,
                                  eyni_error *err)
{
    static const uint64_t masks[2] = {EYNI_DNA_LOCI_CODIS20, EYNI_DNA_LOCI_AUTOSOMAL};
    static const char *const names[2] = {"codis20", "autosomal29"};
    eyni_dna_rng r;
    eyni_dna_rng_seed(&r, c->seed + 1000 * (uint64_t)(pop + 1));
    eyni_dna_db *db = eyni_dna_db_new();
    json_t *o = NULL;
    long parent_first[2] = {0, 0}, sib_top10[2] = {0, 0}, sib_first[2] = {0, 0};
    double ms[2] = {0, 0};
    if (!db || db_fill(db, &f, 1, c->n, &r, err))
        goto done;
    eyni_dna_familial_opts o_f;
    eyni_dna_familial_opts_init(&o_f);
    o_f.threads = (int)c->threads;
    o_f.freq = f;
    o_f.top = 10;
    for (long t = 0; t < c->trials; t++) {
        eyni_dna_profile m, d, child, sib;
        if (eyni_dna_sim_unrelated(f, &r, EYNI_DNA_LOCI_AUTOSOMAL, &m, err) ||
            eyni_dna_sim_unrelated(f, &r, EYNI_DNA_LOCI_AUTOSOMAL, &d, err))
            goto done;
        eyni_dna_sim_child(&r, &m, &d, &child);
        eyni_dna_sim_child(&r, &m, &d, &sib);
        snprintf(child.id, sizeof child.id, "trial-child");
        child.kind = EYNI_DNA_FORENSIC;
        for (int k = 0; k < 2; k++) {
            o_f.loci = masks[k];
            o_f.relation = EYNI_DNA_PARENT_CHILD;
            long rp = trial_rank(db, &m, &child, &o_f, &ms[k], err);
            o_f.relation = EYNI_DNA_FULL_SIBLING;
            long rs = trial_rank(db, &sib, &child, &o_f, &ms[k], err);
            if (rp < 0 || rs < 0)
                goto done;
            parent_first[k] += rp == 1;
            sib_top10[k] += rs >= 1 && rs <= 10;
            sib_first[k] += rs == 1;
        }
    }
    o = json_pack("{s:I,s:I}", "database", (json_int_t)c->n, "trials", (json_int_t)c->trials);
    for (int k = 0; k < 2; k++)
        json_object_set_new(o, names[k],
                            json_pack("{s:f,s:f,s:f,s:f}", "parent_ranked_first",
                                      (double)parent_first[k] / (double)c->trials,
                                      "sibling_in_top10", (double)sib_top10[k] / (double)c->trials,
                                      "sibling_ranked_first",
                                      (double)sib_first[k] / (double)c->trials, "ms_per_search",
                                      ms[k] / (2.0 * (double)c->trials)));
done:
    eyni_dna_db_free(db);
    return o;
}

int cli_bench_dna(int argc, char **argv)
{
    bench_cfg c;
    eyni_dna_freqset *set = NULL;
    eyni_error err;
    if (cfg_parse(argc, argv, &c))
        return CLI_BADINPUT;
    char *path = freq_path(&c);
    if (!path || eyni_dna_freqset_load(path, 0, &set, &err)) {
        free(path);
        return path ? cli_fail(&err) : CLI_FAILURE;
    }
    json_t *out = json_object(), *fam = json_object();
    json_t *s = bench_search(&c, set, &err);
    if (!s)
        goto fail;
    json_object_set_new(out, "search", s);
    for (int i = 0; i < 4; i++) {
        fprintf(stderr, "bench dna: familial search, population %s\n", pops[i]);
        json_t *p = bench_familial_pop(&c, eyni_dna_freqset_find(set, pops[i]), i, &err);
        if (!p)
            goto fail;
        json_object_set_new(fam, pops[i], p);
    }
    json_object_set_new(out, "familial", fam);
    json_object_set_new(out, "freq", json_string(path));
    json_object_set_new(out, "seed", json_integer((json_int_t)c.seed));
    free(path);
    eyni_dna_freqset_free(set);
    return cli_emit(out, c.json);
fail:
    free(path);
    json_decref(out);
    json_decref(fam);
    eyni_dna_freqset_free(set);
    return cli_fail(&err);
}
