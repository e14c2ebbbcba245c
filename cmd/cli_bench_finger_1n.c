/*
 * `eyni bench finger-1n DIR [--size N] [--probes P] [--json]`: 1:N fingerprint search at
 * register scale. The gallery holds impression 1 of every finger of the FVC DB folders in
 * DIR plus N synthetic fingers (eyni_finger_synthesize, each modelled on one real template
 * in turn); impression 2 of the first P fingers searches it. Reports comparisons per second
 * on one thread and on two, comparisons per CPU-second (per core, less disturbed by other
 * load), where each probe's mate ranks among the N distractors, and how high the synthetic
 * fingers score against real probes (they should look like real impostors).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "eyni/finger.h"

#define FINGERS   128 /* real fingers read at most (FVC2002 B: 3 DBs x 10) */
#define IMPS      8   /* impressions per finger */
#define SEARCH_K  64
#define SYNTH_ID0 1000000000LL
#define IMP_ID0   2000000000LL /* impressions 2..8 of real finger f: IMP_ID0 + f * IMPS + i */
#define N_KEEP    7

/* First-stage fractions measured (the filter keeps the best fraction of the gallery). */
static const double KEEPS[N_KEEP] = {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3};

typedef struct real {
    eyni_finger_template *t[IMPS]; /* impressions 1..8 */
} real;

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int extract(const char *path, double ppi, eyni_finger_template **out, eyni_error *err)
{
    eyni_image *img = NULL;
    int rc = eyni_image_load(path, 1, &img, err);
    if (rc == 0) {
        eyni_finger_opts o = {img->ppi > 0 ? img->ppi : ppi, 2};
        rc = eyni_finger_extract(img, &o, out, NULL, err);
    }
    eyni_image_free(img);
    return rc;
}

/* Impressions 1..imps of fingers 101..110 of DB1_B..DB3_B (DB2 is 569 ppi, SOURCE.md). */
static int load_real(const char *dir, real *r, int imps, int *n, eyni_error *err)
{
    *n = 0;
    for (int db = 1; db <= 3; db++)
        for (int f = 101; f <= 110; f++) {
            for (int i = 0; i < imps; i++) {
                char p[4200];
                snprintf(p, sizeof p, "%s/DB%d_B/images/%d_%d.tif", dir, db, f, i + 1);
                int rc = extract(p, db == 2 ? 569.0 : 500.0, &r[*n].t[i], err);
                if (rc) {
                    (*n)++; /* the caller frees what was read */
                    return rc;
                }
            }
            (*n)++;
        }
    return 0;
}

typedef struct adder {
    eyni_finger_gallery *g;
    const real *r;
    int n_real;
    long from, to;
    int rc;
    eyni_error err;
} adder;

/* Synthetic finger i is modelled on real finger i mod n_real, seeded by i. */
static void *add_synthetic(void *arg)
{
    adder *a = arg;
    for (long i = a->from; i < a->to && a->rc == 0; i++) {
        eyni_finger_template *t = NULL;
        a->rc = eyni_finger_synthesize((uint64_t)i + 1, a->r[i % a->n_real].t[0], &t, &a->err);
        if (a->rc == 0)
            a->rc = eyni_finger_gallery_add(a->g, SYNTH_ID0 + i, t, &a->err);
        eyni_finger_template_free(t);
    }
    return NULL;
}

static int build(eyni_finger_gallery *g, const real *r, int n_real, long size, eyni_error *err)
{
    for (int i = 0; i < n_real; i++) {
        int rc = eyni_finger_gallery_add(g, i, r[i].t[0], err);
        if (rc)
            return rc;
    }
    adder a[2] = {{g, r, n_real, 0, size / 2, 0, {0}}, {g, r, n_real, size / 2, size, 0, {0}}};
    pthread_t tid;
    int threaded = pthread_create(&tid, NULL, add_synthetic, &a[1]) == 0;
    add_synthetic(&a[0]);
    if (threaded)
        pthread_join(tid, NULL);
    else
        add_synthetic(&a[1]);
    for (int i = 0; i < 2; i++)
        if (a[i].rc) {
            *err = a[i].err;
            return a[i].rc;
        }
    return 0;
}

typedef struct tally {
    int rank1, in_k, synth_above_1e3;
    double synth_top_sum, synth_top_max, mate_sum;
} tally;

/* Mate rank and the best synthetic score of one search. */
static void count(const eyni_finger_hit *h, int n, int mate, tally *t)
{
    double top_synth = 0;
    for (int i = 0; i < n; i++) {
        if (h[i].id == mate) {
            t->in_k++;
            t->rank1 += i == 0;
            t->mate_sum += h[i].score;
        }
        if (h[i].id >= SYNTH_ID0 && h[i].score > top_synth)
            top_synth = h[i].score;
    }
    t->synth_top_sum += top_synth;
    if (top_synth > t->synth_top_max)
        t->synth_top_max = top_synth;
    t->synth_above_1e3 += top_synth >= EYNI_FINGER_THRESHOLD_FMR_1E3;
}

static int searches(eyni_finger_gallery *g, const real *r, int probes, int threads, tally *t,
                    double *wall, double *cpu, eyni_error *err)
{
    double w0 = eyni_time_ms(), c0 = cpu_ms();
    for (int p = 0; p < probes; p++) {
        eyni_finger_hit hits[SEARCH_K];
        int n = 0;
        int rc = eyni_finger_gallery_search(g, r[p].t[1], SEARCH_K, threads, hits, &n, err);
        if (rc)
            return rc;
        if (t)
            count(hits, n, p, t);
    }
    *wall = eyni_time_ms() - w0;
    *cpu = cpu_ms() - c0;
    return 0;
}

/* ---- first stage (--filter) ------------------------------------------------------- */

typedef struct filter_tally {
    long pairs;
    long lost[N_KEEP];       /* genuine mates the first stage would drop */
    long lost_above[N_KEEP]; /* of them, mates the full matcher scores >= FMR 1e-2 threshold */
    double penetration[N_KEEP];
} filter_tally;

static int by_score(const void *p, const void *q)
{
    double x = ((const eyni_finger_hit *)p)->score, y = ((const eyni_finger_hit *)q)->score;
    return (x < y) - (x > y);
}

/* The bar of each fraction: the first-stage score of the keep-th best entry. */
static void bars(const eyni_finger_hit *pre, size_t n, eyni_finger_hit *sorted, double *bar,
                 double *pen)
{
    memcpy(sorted, pre, sizeof *pre * n);
    qsort(sorted, n, sizeof *sorted, by_score);
    for (int q = 0; q < N_KEEP; q++) {
        size_t want = (size_t)(KEEPS[q] * (double)n + 0.999999);
        want = want < SEARCH_K ? SEARCH_K : want > n ? n : want;
        bar[q] = sorted[want - 1].score;
        size_t pass = want;
        while (pass < n && sorted[pass].score >= bar[q])
            pass++;
        pen[q] = (double)pass / (double)n;
    }
}

static double prescore_of(const eyni_finger_hit *pre, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (pre[i].id == id)
            return pre[i].score;
    return -1;
}

static int64_t real_id(int f, int i)
{
    return i == 0 ? f : IMP_ID0 + (int64_t)f * IMPS + i;
}

/* Every impression of every real finger probes the gallery that holds all the others:
 * each of its 7 mates is lost at a fraction when its first-stage score is below the bar. */
static int measure_filter(eyni_finger_gallery *g, const real *r, int n_real, filter_tally *ft,
                          eyni_error *err)
{
    size_t cap = eyni_finger_gallery_size(g), n = 0;
    eyni_finger_hit *pre = malloc(sizeof *pre * cap), *sorted = malloc(sizeof *pre * cap);
    int rc = pre && sorted ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    for (int f = 0; rc == 0 && f < n_real; f++)
        for (int i = 0; rc == 0 && i < IMPS; i++) {
            rc = eyni_finger_gallery_prescore(g, r[f].t[i], 2, pre, cap, &n, err);
            double bar[N_KEEP], pen[N_KEEP];
            if (rc == 0)
                bars(pre, n, sorted, bar, pen);
            for (int j = 0; rc == 0 && j < IMPS; j++) {
                if (j == i)
                    continue;
                double s = prescore_of(pre, n, real_id(f, j));
                int above =
                    eyni_finger_compare(r[f].t[i], r[f].t[j]) >= EYNI_FINGER_THRESHOLD_FMR_1E2;
                ft->pairs++;
                for (int q = 0; q < N_KEEP; q++) {
                    ft->lost[q] += s < bar[q];
                    ft->lost_above[q] += s < bar[q] && above;
                }
            }
            for (int q = 0; rc == 0 && q < N_KEEP; q++)
                ft->penetration[q] += pen[q] / (n_real * IMPS);
        }
    free(pre);
    free(sorted);
    return rc;
}

static int add_impressions(eyni_finger_gallery *g, const real *r, int n_real, int add,
                           eyni_error *err)
{
    for (int f = 0; f < n_real; f++)
        for (int i = 1; i < IMPS; i++) {
            int rc = add ? eyni_finger_gallery_add(g, real_id(f, i), r[f].t[i], err)
                         : eyni_finger_gallery_remove(g, real_id(f, i), err);
            if (rc)
                return rc;
        }
    return 0;
}

/* Timed searches of the impression-2 probes with the first stage at `keep`. */
static int filtered_searches(eyni_finger_gallery *g, const real *r, int probes, double keep,
                             int *rank1, double *cpu, double *penetration, eyni_error *err)
{
    double c0 = cpu_ms();
    size_t compared = 0, searched = 0;
    *rank1 = 0;
    for (int p = 0; p < probes; p++) {
        eyni_finger_hit hits[SEARCH_K];
        int n = 0;
        eyni_finger_search_opts o = {1, keep};
        eyni_finger_search_stats st;
        int rc = eyni_finger_gallery_query(g, r[p].t[1], SEARCH_K, &o, hits, &n, &st, err);
        if (rc)
            return rc;
        *rank1 += n > 0 && hits[0].id == p;
        compared += st.compared;
        searched += st.gallery;
    }
    *cpu = cpu_ms() - c0;
    *penetration = searched ? (double)compared / (double)searched : 0;
    return 0;
}

static json_t *filter_json(const filter_tally *ft, int chosen, int rank1, double cpu, double pen,
                           double comps)
{
    json_t *rows = json_array();
    for (int q = 0; q < N_KEEP; q++)
        json_array_append_new(
            rows, json_pack("{s:f, s:f, s:I, s:I}", "keep", KEEPS[q], "penetration",
                            ft->penetration[q], "mates_lost", (json_int_t)ft->lost[q],
                            "mates_lost_scoring_above_fmr1e2", (json_int_t)ft->lost_above[q]));
    json_t *o = json_pack("{s:s, s:I, s:o}", "first_stage",
                          "probe reduced to its 16 cylinders nearest its minutiae centre, "
                          "MCC + LSS-R; the best `keep` fraction gets the full comparison",
                          "genuine_pairs", (json_int_t)ft->pairs, "by_keep", rows);
    if (chosen >= 0) {
        json_object_set_new(o, "keep", json_real(KEEPS[chosen]));
        json_object_set_new(o, "penetration", json_real(pen));
        json_object_set_new(o, "mates_lost", json_integer(ft->lost[chosen]));
        json_object_set_new(o, "mate_rank1_filtered", json_integer(rank1));
        json_object_set_new(o, "gallery_entries_per_cpu_s_filtered",
                            json_real(comps / (cpu / 1000)));
    } else {
        json_object_set_new(o, "keep", json_null());
        json_object_set_new(o, "note",
                            json_string("every fraction measured loses a genuine "
                                        "mate: the first stage is not adopted"));
    }
    return o;
}

/* Adds impressions 2..8, measures the first stage on all genuine pairs, removes them,
 * and times the filtered search at the smallest fraction that lost no mate. */
static int run_filter(eyni_finger_gallery *g, const real *r, int n_real, int probes, double comps,
                      json_t **out, eyni_error *err)
{
    filter_tally ft = {0};
    fprintf(stderr, "eyni bench finger-1n: first stage on every genuine pair...\n");
    int rc = add_impressions(g, r, n_real, 1, err);
    if (rc == 0)
        rc = measure_filter(g, r, n_real, &ft, err);
    if (rc == 0)
        rc = add_impressions(g, r, n_real, 0, err);
    int chosen = -1, rank1 = 0;
    for (int q = 0; chosen < 0 && q < N_KEEP; q++)
        if (ft.lost[q] == 0)
            chosen = q;
    double cpu = 0, pen = 0;
    if (rc == 0 && chosen >= 0)
        rc = filtered_searches(g, r, probes, KEEPS[chosen], &rank1, &cpu, &pen, err);
    if (rc == 0)
        *out = filter_json(&ft, chosen, rank1, cpu, pen, comps);
    return rc;
}

static const char USAGE[] = "eyni bench finger-1n FVC_DIR [--size N] [--probes P] [--filter] "
                            "[--json]";

int cli_bench_finger_1n(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(USAGE);
    long size = 100000;
    int probes = 30, json = 0, filter = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atol(argv[++i]);
        else if (!strcmp(argv[i], "--probes") && i + 1 < argc)
            probes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--filter"))
            filter = 1;
        else
            return cli_usage(USAGE);
    }
    eyni_error err;
    if (size < 0 || size > 10000000 || probes < 1)
        return cli_usage("--size 0..10000000 and --probes >= 1");
    real *r = calloc(FINGERS, sizeof *r);
    int n_real = 0, rc = r ? load_real(argv[1], r, filter ? IMPS : 2, &n_real, &err)
                           : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    if (probes > n_real)
        probes = n_real;
    eyni_finger_gallery *g = NULL;
    double t_build = eyni_time_ms();
    if (rc == 0)
        rc = eyni_finger_gallery_new(&g, &err);
    if (rc == 0) {
        fprintf(stderr, "eyni bench finger-1n: %ld synthetic + %d real fingers...\n", size, n_real);
        rc = build(g, r, n_real, size, &err);
    }
    t_build = eyni_time_ms() - t_build;
    tally t = {0};
    double w1 = 0, c1 = 0, w2 = 0, c2 = 0;
    if (rc == 0)
        rc = searches(g, r, probes, 1, &t, &w1, &c1, &err);
    if (rc == 0)
        rc = searches(g, r, probes, 2, NULL, &w2, &c2, &err);
    double comps = (double)probes * (double)(size + n_real);
    json_t *fj = NULL;
    if (rc == 0 && filter)
        rc = run_filter(g, r, n_real, probes, comps, &fj, &err);
    json_t *out = NULL;
    if (rc == 0) {
        out = json_pack(
            "{s:I, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:f, s:f, s:i, s:s}",
            "synthetic", (json_int_t)size, "real", n_real, "probes", probes, "build_s",
            t_build / 1000, "search_ms_1thread", w1 / probes, "search_ms_2threads", w2 / probes,
            "compare_per_s_1thread", comps / (w1 / 1000), "compare_per_s_2threads",
            comps / (w2 / 1000), "compare_per_cpu_s", comps / (c1 / 1000), "mate_rank1", t.rank1,
            "mate_in_top64", t.in_k, "mate_score_mean", t.in_k ? t.mate_sum / t.in_k : 0,
            "best_synthetic_score_mean", t.synth_top_sum / probes, "best_synthetic_score_max",
            t.synth_top_max, "probes_with_synthetic_above_fmr1e3", t.synth_above_1e3, "note",
            "compare_per_cpu_s: exhaustive exact search, per core");
        if (fj)
            json_object_set_new(out, "filter", fj);
    }
    eyni_finger_gallery_free(g);
    for (int i = 0; i < n_real; i++)
        for (int j = 0; j < IMPS; j++)
            eyni_finger_template_free(r[i].t[j]);
    free(r);
    return rc ? cli_fail(&err) : cli_emit(out, json);
}
