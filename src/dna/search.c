/*
 * Stringency and familial search over the database. A probe is first compiled into per-locus
 * tables indexed by the candidate's dictionary pair (a 64-Kbit pass set for stringency, a
 * log10 kinship table for familial search), so the scan is a few table look-ups per profile
 * with early exit. Workers (pthreads) scan disjoint row ranges and keep their own top-K heap.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define MAX_RESULTS 100000 /* hits one search may return */

void eyni_dna_search_opts_init(eyni_dna_search_opts *o)
{
    memset(o, 0, sizeof *o);
    o->stringency = EYNI_DNA_MODERATE;
    o->targets = 1u << EYNI_DNA_REFERENCE | 1u << EYNI_DNA_FORENSIC;
    o->loci = EYNI_DNA_LOCI_CODIS20;
    o->min_loci = 8;
    o->max_results = 100;
    o->threads = 2;
    o->formula = EYNI_DNA_NRC_4_10;
    o->theta = EYNI_DNA_DEFAULT_THETA;
}

void eyni_dna_familial_opts_init(eyni_dna_familial_opts *o)
{
    memset(o, 0, sizeof *o);
    o->relation = EYNI_DNA_PARENT_CHILD;
    o->targets = 1u << EYNI_DNA_REFERENCE;
    o->loci = EYNI_DNA_LOCI_CODIS20;
    o->min_loci = 8;
    o->top = 20;
    o->threads = 2;
}

/* ---- genotype relations ------------------------------------------------------------- */

static int has(eyni_dna_genotype g, eyni_dna_allele a)
{
    return g.a == a || g.b == a;
}

/* Every seen probe allele is in the candidate, a candidate "F" standing for one more. */
static int contains(eyni_dna_genotype probe, eyni_dna_genotype cand)
{
    int missing = 0, wild = cand.b == EYNI_DNA_ALLELE_DROPOUT;
    if (!has(cand, probe.a))
        missing++;
    if (probe.b != probe.a && probe.b != EYNI_DNA_ALLELE_DROPOUT && !has(cand, probe.b))
        missing++;
    return missing <= wild;
}

static int shares(eyni_dna_genotype probe, eyni_dna_genotype cand)
{
    if (probe.b == EYNI_DNA_ALLELE_DROPOUT || cand.b == EYNI_DNA_ALLELE_DROPOUT)
        return 1;
    return has(cand, probe.a) || has(cand, probe.b);
}

static int locus_passes(eyni_dna_stringency s, eyni_dna_genotype probe, eyni_dna_genotype cand)
{
    switch (s) {
    case EYNI_DNA_HIGH:
        return probe.a == cand.a && probe.b == cand.b;
    case EYNI_DNA_MODERATE:
        return contains(probe, cand);
    case EYNI_DNA_LOW:
        return shares(probe, cand);
    }
    return 0;
}

/* ---- top-K heap (min at the root) ----------------------------------------------------- */

typedef struct cand {
    double score;
    int compared, mismatched;
    uint8_t kind;
    uint32_t row;
} cand;

typedef struct heap {
    cand *v;
    size_t n, cap;
    size_t total; /* candidates that qualified, kept or not */
} heap;

static int worse(const cand *a, const cand *b)
{
    if (a->score != b->score)
        return a->score < b->score;
    if (a->compared != b->compared)
        return a->compared < b->compared;
    if (a->kind != b->kind)
        return a->kind > b->kind;
    return a->row > b->row;
}

static void heap_push(heap *h, const cand *c)
{
    h->total++;
    if (h->n == h->cap) {
        if (h->cap == 0 || !worse(&h->v[0], c))
            return;
        size_t i = 0; /* replace the root and sift down */
        h->v[0] = *c;
        for (;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < h->n && worse(&h->v[l], &h->v[m]))
                m = l;
            if (r < h->n && worse(&h->v[r], &h->v[m]))
                m = r;
            if (m == i)
                break;
            cand t = h->v[i];
            h->v[i] = h->v[m];
            h->v[m] = t;
            i = m;
        }
        return;
    }
    size_t i = h->n++;
    h->v[i] = *c;
    while (i > 0 && worse(&h->v[i], &h->v[(i - 1) / 2])) {
        cand t = h->v[i];
        h->v[i] = h->v[(i - 1) / 2];
        h->v[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static int cmp_best_first(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

/* ---- compiled probe ------------------------------------------------------------------ */

typedef struct plan {
    int mode; /* 0 stringency, 1 familial */
    int nl, min_loci;
    int loci[EYNI_DNA_NLOCI];
    int order[EYNI_DNA_NLOCI]; /* stringency: loci by rising pass rate */
    /* stringency: pass and consistency bit sets per active locus, probe log10(1/P) */
    uint64_t *pass, *consistent; /* nl * 1024 words */
    double lr_log10[EYNI_DNA_NLOCI];
    /* familial: log10 KI per active locus over dictionary pairs, stride DB_STRIDE */
    float *ki;    /* per locus a stride x stride table of log10 KI, 0 where not compared */
    uint8_t *cmp; /* same shape: 1 where the pair is a typed genotype */
    size_t ki_off[EYNI_DNA_NLOCI];   /* where each locus's table starts */
    unsigned stride[EYNI_DNA_NLOCI]; /* dictionary size + 1 (index 0 = untyped) */
    const eyni_dna_db *db;
    unsigned targets;
} plan;

#define BITS_WORDS 1024 /* 65536 bits */

static int bit(const uint64_t *set, unsigned key)
{
    return (int)(set[key >> 6] >> (key & 63) & 1);
}

/* Candidate genotype of a dictionary pair. */
static eyni_dna_genotype pair_genotype(const eyni_dna_db *db, int l, unsigned i, unsigned j)
{
    eyni_dna_genotype g = {db_code(db, l, (uint8_t)i), db_code(db, l, (uint8_t)j)};
    if (g.a > g.b) {
        eyni_dna_allele t = g.a;
        g.a = g.b;
        g.b = t;
    }
    return g;
}

/* Dictionary indices present at a locus: 1..n and the drop-out marker. */
static int dict_list(const eyni_dna_db *db, int l, unsigned *ix)
{
    int n = 0;
    for (int i = 1; i <= db->dict_n[l]; i++)
        ix[n++] = (unsigned)i;
    ix[n++] = DB_DROPOUT;
    return n;
}

static void fill_bits(const eyni_dna_db *db, int l, eyni_dna_genotype probe, eyni_dna_stringency s,
                      uint64_t *pass, uint64_t *cons)
{
    unsigned ix[256];
    int n = dict_list(db, l, ix);
    for (int a = 0; a < n; a++)
        for (int b = a; b < n; b++) {
            if (ix[a] == DB_DROPOUT && ix[b] == DB_DROPOUT)
                continue;
            eyni_dna_genotype g = pair_genotype(db, l, ix[a], ix[b]);
            unsigned key = ix[a] << 8 | ix[b];
            if (locus_passes(s, probe, g))
                pass[key >> 6] |= UINT64_C(1) << (key & 63);
            if (contains(probe, g))
                cons[key >> 6] |= UINT64_C(1) << (key & 63);
        }
}

static void plan_free(plan *p)
{
    free(p->pass);
    free(p->consistent);
    free(p->ki);
    free(p->cmp);
}

/* Loci of the probe to compare, excluding Amelogenin. */
static int active_loci(const eyni_dna_profile *probe, uint64_t mask, int *loci)
{
    int n = 0;
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++)
        if ((mask >> l & 1) && probe->loci[l].a)
            loci[n++] = l;
    return n;
}

/* Orders the probe loci by how many of a sample of stored rows pass them, fewest first, so
 * the block filter and each row check reject as early as possible. */
static void order_loci(plan *pl, const eyni_dna_db *db)
{
    size_t pass[EYNI_DNA_NLOCI];
    for (int k = 0; k < pl->nl; k++) {
        pl->order[k] = k;
        pass[k] = 0;
        for (int kind = 0; kind < 2; kind++) {
            const db_part *p = &db->parts[kind];
            size_t n = p->n < 4096 ? p->n : 4096;
            if (!(pl->targets >> kind & 1))
                continue;
            for (size_t i = 0; i < n; i++) {
                unsigned key = p->cols[pl->loci[k]][i * (p->n / n)];
                pass[k] += !key || bit(pl->pass + (size_t)k * BITS_WORDS, key);
            }
        }
    }
    for (int i = 1; i < pl->nl; i++) /* insertion sort: at most 29 loci */
        for (int j = i; j > 0 && pass[pl->order[j]] < pass[pl->order[j - 1]]; j--) {
            int t = pl->order[j];
            pl->order[j] = pl->order[j - 1];
            pl->order[j - 1] = t;
        }
}

static int plan_stringency(plan *pl, const eyni_dna_db *db, const eyni_dna_profile *probe,
                           const eyni_dna_search_opts *o, eyni_error *err)
{
    pl->nl = active_loci(probe, o->loci, pl->loci);
    pl->pass = calloc((size_t)pl->nl * BITS_WORDS + 1, sizeof *pl->pass);
    pl->consistent = calloc((size_t)pl->nl * BITS_WORDS + 1, sizeof *pl->consistent);
    if (!pl->pass || !pl->consistent)
        return eyni_error_set(err, EYNI_ENOMEM, "DNA search: out of memory");
    for (int k = 0; k < pl->nl; k++) {
        int l = pl->loci[k];
        fill_bits(db, l, probe->loci[l], o->stringency, pl->pass + (size_t)k * BITS_WORDS,
                  pl->consistent + (size_t)k * BITS_WORDS);
        pl->lr_log10[k] = 0;
        if (o->freq) {
            eyni_dna_locus_stat s;
            if (eyni_dna_genotype_freq(o->freq, l, probe->loci[l], o->formula, o->theta, &s, err))
                return eyni_error_prefix(err, "DNA search: ");
            pl->lr_log10[k] = -log10(s.value);
        }
    }
    order_loci(pl, db);
    return 0;
}

static int plan_familial(plan *pl, const eyni_dna_db *db, const eyni_dna_profile *probe,
                         const eyni_dna_familial_opts *o, eyni_error *err)
{
    int n = 0;
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++)
        if ((o->loci >> l & 1) && probe->loci[l].a && probe->loci[l].b != EYNI_DNA_ALLELE_DROPOUT)
            pl->loci[n++] = l;
    pl->nl = n;
    /* Tables sized to the real dictionaries (a few KB per locus) stay in cache. */
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        pl->stride[k] = (unsigned)db->dict_n[pl->loci[k]] + 1;
        pl->ki_off[k] = total;
        total += (size_t)pl->stride[k] * pl->stride[k];
    }
    /* Zeroed: untyped (index 0) and "a,F" (mapped to index 0) add nothing and count nothing. */
    pl->ki = calloc(total + 1, sizeof *pl->ki);
    pl->cmp = calloc(total + 1, sizeof *pl->cmp);
    if (!pl->ki || !pl->cmp)
        return eyni_error_set(err, EYNI_ENOMEM, "DNA familial search: out of memory");
    for (int k = 0; k < n; k++) {
        int l = pl->loci[k];
        float *t = pl->ki + pl->ki_off[k];
        for (unsigned a = 1; a < pl->stride[k]; a++)
            for (unsigned b = a; b < pl->stride[k]; b++) {
                eyni_dna_locus_stat s;
                if (dna_kinship_locus(o->freq, l, probe->loci[l], pair_genotype(db, l, a, b),
                                      o->relation, &s, err))
                    return eyni_error_prefix(err, "DNA familial search: ");
                t[a * pl->stride[k] + b] = s.value > 0 ? (float)log10(s.value) : -INFINITY;
                pl->cmp[pl->ki_off[k] + a * pl->stride[k] + b] = 1;
            }
    }
    return 0;
}

/* ---- scanning ------------------------------------------------------------------------ */

typedef struct work {
    const plan *pl;
    size_t begin, end; /* over the concatenated target partitions */
    heap h;
} work;

#define BLOCK 2048 /* rows a worker filters at a time */

/* Checks one row at every probe locus, in the plan's order (most selective first). */
static void check_row(const plan *pl, const db_part *p, uint8_t kind, uint32_t row, heap *h)
{
    int compared = 0, excluded = 0;
    double score = 0;
    for (int j = 0; j < pl->nl; j++) {
        int k = pl->order[j];
        unsigned key = p->cols[pl->loci[k]][row];
        if (!key)
            continue;
        if (!bit(pl->pass + (size_t)k * BITS_WORDS, key))
            return;
        compared++;
        if (bit(pl->consistent + (size_t)k * BITS_WORDS, key))
            score += pl->lr_log10[k];
        else
            excluded = 1;
    }
    if (compared < pl->min_loci)
        return;
    cand c = {excluded ? -INFINITY : score, compared, 0, kind, row};
    heap_push(h, &c);
}

/* The most selective locus's column filters a block sequentially; only survivors are read
 * at the other loci. */
static void scan_stringency(const plan *pl, const db_part *p, uint8_t kind, size_t b, size_t e,
                            heap *h)
{
    uint32_t surv[BLOCK];
    int k0 = pl->order[0];
    const uint16_t *col = p->cols[pl->loci[k0]];
    const uint64_t *pass = pl->pass + (size_t)k0 * BITS_WORDS;
    for (size_t start = b; start < e; start += BLOCK) {
        size_t stop = e - start < BLOCK ? e : start + BLOCK, ns = 0;
        for (size_t i = start; i < stop; i++) {
            unsigned key = col[i];
            if (!key || bit(pass, key))
                surv[ns++] = (uint32_t)i;
        }
        for (size_t j = 0; j < ns; j++)
            check_row(pl, p, kind, surv[j], h);
    }
}

/* Sums log10 kinship indices locus by locus over a block of rows. */
static void scan_familial(const plan *pl, const db_part *p, uint8_t kind, size_t b, size_t e,
                          heap *h)
{
    double score[BLOCK];
    int compared[BLOCK];
    for (size_t start = b; start < e; start += BLOCK) {
        size_t m = e - start < BLOCK ? e - start : BLOCK;
        memset(score, 0, sizeof score);
        memset(compared, 0, sizeof compared);
        for (int k = 0; k < pl->nl; k++) {
            const uint16_t *col = p->cols[pl->loci[k]] + start;
            const float *t = pl->ki + pl->ki_off[k];
            const uint8_t *c = pl->cmp + pl->ki_off[k];
            unsigned stride = pl->stride[k];
            for (size_t i = 0; i < m; i++) {
                unsigned a = col[i] >> 8, bb = col[i] & 0xFF;
                /* "a,F" leaves the genotype unknown: index 0 holds 0 and counts nothing. */
                unsigned idx = bb == DB_DROPOUT ? 0 : a * stride + bb;
                score[i] += t[idx];
                compared[i] += c[idx];
            }
        }
        for (size_t i = 0; i < m; i++) {
            if (compared[i] < pl->min_loci)
                continue;
            cand c = {score[i], compared[i], 0, kind, (uint32_t)(start + i)};
            heap_push(h, &c);
        }
    }
}

static void *scan(void *arg)
{
    work *w = arg;
    const plan *pl = w->pl;
    const eyni_dna_db *db = pl->db;
    size_t base = 0;
    for (uint8_t kind = 0; kind < 2 && w->end > base; kind++) {
        if (!(pl->targets >> kind & 1))
            continue;
        const db_part *p = &db->parts[kind];
        size_t b = w->begin > base ? w->begin - base : 0;
        size_t e = w->end - base < p->n ? w->end - base : p->n;
        if (b < e) {
            if (pl->mode == 0)
                scan_stringency(pl, p, kind, b, e, &w->h);
            else
                scan_familial(pl, p, kind, b, e, &w->h);
        }
        base += p->n;
    }
    return NULL;
}

/* Runs the scan on threads workers and merges their heaps, best first, into *out. */
static int run_scan(const plan *pl, int threads, size_t top, cand **out, size_t *nout,
                    eyni_error *err)
{
    const eyni_dna_db *db = pl->db;
    size_t total = 0;
    for (int k = 0; k < 2; k++)
        if (pl->targets >> k & 1)
            total += db->parts[k].n;
    if (threads < 1)
        threads = 1;
    if (threads > EYNI_DNA_MAX_THREADS)
        threads = EYNI_DNA_MAX_THREADS;
    if (top > MAX_RESULTS)
        top = MAX_RESULTS;
    work w[EYNI_DNA_MAX_THREADS];
    pthread_t tid[EYNI_DNA_MAX_THREADS];
    int started = 0, rc = 0;
    memset(w, 0, sizeof w);
    for (int t = 0; t < threads; t++) {
        w[t].pl = pl;
        w[t].begin = total * (size_t)t / (size_t)threads;
        w[t].end = total * (size_t)(t + 1) / (size_t)threads;
        w[t].h.cap = top;
        if (top && !(w[t].h.v = malloc(top * sizeof(cand)))) {
            rc = eyni_error_set(err, EYNI_ENOMEM, "DNA search: out of memory");
            goto done;
        }
    }
    for (int t = 1; t < threads; t++, started++)
        if (pthread_create(&tid[t], NULL, scan, &w[t]) != 0)
            break;
    for (int t = 1 + started; t < threads; t++)
        scan(&w[t]); /* could not start a thread: do its share here */
    scan(&w[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    heap all = {malloc((top ? top : 1) * sizeof(cand)), 0, top, 0};
    if (!all.v) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "DNA search: out of memory");
        goto done;
    }
    for (int t = 0; t < threads; t++)
        for (size_t i = 0; i < w[t].h.n; i++)
            heap_push(&all, &w[t].h.v[i]);
    qsort(all.v, all.n, sizeof(cand), cmp_best_first);
    *out = all.v;
    *nout = all.n;
done:
    for (int t = 0; t < threads; t++)
        free(w[t].h.v);
    return rc;
}

static int hits_alloc(size_t n, eyni_dna_hit **hits, eyni_error *err)
{
    *hits = calloc(n ? n : 1, sizeof **hits);
    if (!*hits)
        return eyni_error_set(err, EYNI_ENOMEM, "DNA search: out of memory");
    return 0;
}

static void hit_fill(const eyni_dna_db *db, const cand *c, eyni_dna_hit *h)
{
    h->kind = (eyni_dna_kind)c->kind;
    memcpy(h->id, db->parts[c->kind].meta[c->row].id, sizeof h->id);
    h->loci_compared = c->compared;
}

/* Loci whose genotypes differ between probe and candidate (among compared loci). */
static int count_mismatch(const plan *pl, const eyni_dna_profile *probe,
                          const eyni_dna_profile *cand_p)
{
    int n = 0;
    for (int k = 0; k < pl->nl; k++) {
        int l = pl->loci[k];
        if (cand_p->loci[l].a &&
            (cand_p->loci[l].a != probe->loci[l].a || cand_p->loci[l].b != probe->loci[l].b))
            n++;
    }
    return n;
}

int eyni_dna_db_search(const eyni_dna_db *db, const eyni_dna_profile *probe,
                       const eyni_dna_search_opts *o, eyni_dna_hit **hits, size_t *n,
                       eyni_error *err)
{
    plan pl;
    cand *c = NULL;
    size_t nc = 0;
    int rc;
    memset(&pl, 0, sizeof pl);
    if (o->stringency != EYNI_DNA_HIGH && o->stringency != EYNI_DNA_MODERATE &&
        o->stringency != EYNI_DNA_LOW)
        return eyni_error_set(err, EYNI_EINVAL, "DNA search: unknown stringency");
    if (eyni_dna_profile_validate(probe, err))
        return err ? err->code : EYNI_EFORMAT;
    pl.db = db;
    pl.targets = o->targets & 3u;
    pl.min_loci = o->min_loci < 1 ? 1 : o->min_loci;
    if ((rc = plan_stringency(&pl, db, probe, o, err)) != 0)
        goto fail;
    if (pl.nl < pl.min_loci) {
        rc = eyni_error_set(err, EYNI_EINVAL,
                            "DNA search: probe has %d comparable loci, minimum is %d", pl.nl,
                            pl.min_loci);
        goto fail;
    }
    if ((rc = run_scan(&pl, o->threads, o->max_results, &c, &nc, err)) != 0)
        goto fail;
    if ((rc = hits_alloc(nc, hits, err)) != 0)
        goto fail;
    for (size_t i = 0; i < nc; i++) {
        eyni_dna_profile cp;
        hit_fill(db, &c[i], &(*hits)[i]);
        db_row_decode(db, (eyni_dna_kind)c[i].kind, c[i].row, &cp);
        (*hits)[i].loci_mismatched = count_mismatch(&pl, probe, &cp);
        (*hits)[i].log10_lr = o->freq ? c[i].score : 0;
        (*hits)[i].lr = o->freq ? pow(10, c[i].score) : 0;
    }
    *n = nc;
    free(c);
    plan_free(&pl);
    return 0;
fail:
    free(c);
    plan_free(&pl);
    return rc;
}

int eyni_dna_db_familial(const eyni_dna_db *db, const eyni_dna_profile *probe,
                         const eyni_dna_familial_opts *o, eyni_dna_hit **hits, size_t *n,
                         eyni_error *err)
{
    plan pl;
    cand *c = NULL;
    size_t nc = 0;
    int rc;
    memset(&pl, 0, sizeof pl);
    if (!o->freq)
        return eyni_error_set(err, EYNI_EINVAL, "DNA familial search needs a frequency table");
    if (eyni_dna_profile_validate(probe, err))
        return err ? err->code : EYNI_EFORMAT;
    pl.mode = 1;
    pl.db = db;
    pl.targets = o->targets & 3u;
    pl.min_loci = o->min_loci < 1 ? 1 : o->min_loci;
    if ((rc = plan_familial(&pl, db, probe, o, err)) != 0)
        goto fail;
    if (pl.nl < pl.min_loci) {
        rc = eyni_error_set(err, EYNI_EINVAL,
                            "DNA familial search: probe has %d usable loci, minimum is %d", pl.nl,
                            pl.min_loci);
        goto fail;
    }
    if ((rc = run_scan(&pl, o->threads, o->top, &c, &nc, err)) != 0)
        goto fail;
    if ((rc = hits_alloc(nc, hits, err)) != 0)
        goto fail;
    for (size_t i = 0; i < nc; i++) {
        /* The scan ranks in single precision; report the exact double-precision index. */
        eyni_dna_profile cp;
        eyni_dna_stat st;
        hit_fill(db, &c[i], &(*hits)[i]);
        db_row_decode(db, (eyni_dna_kind)c[i].kind, c[i].row, &cp);
        if (eyni_dna_kinship(o->freq, probe, &cp, o->loci, o->relation, &st, err) == 0) {
            (*hits)[i].lr = st.value;
            (*hits)[i].log10_lr = st.log10;
        } else {
            (*hits)[i].log10_lr = c[i].score;
            (*hits)[i].lr = pow(10, c[i].score);
        }
    }
    *n = nc;
    free(c);
    plan_free(&pl);
    return 0;
fail:
    free(c);
    plan_free(&pl);
    return rc;
}
