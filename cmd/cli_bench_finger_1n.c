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
#define SEARCH_K  64
#define SYNTH_ID0 1000000000LL

typedef struct real {
    eyni_finger_template *t[2]; /* impressions 1 and 2 */
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

/* Impressions 1 and 2 of fingers 101..110 of DB1_B..DB3_B (DB2 is 569 ppi, SOURCE.md). */
static int load_real(const char *dir, real *r, int *n, eyni_error *err)
{
    *n = 0;
    for (int db = 1; db <= 3; db++)
        for (int f = 101; f <= 110; f++) {
            for (int i = 0; i < 2; i++) {
                char p[4200];
                snprintf(p, sizeof p, "%s/DB%d_B/images/%d_%d.tif", dir, db, f, i + 1);
                int rc = extract(p, db == 2 ? 569.0 : 500.0, &r[*n].t[i], err);
                if (rc) {
                    if (i)
                        eyni_finger_template_free(r[*n].t[0]);
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

int cli_bench_finger_1n(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("eyni bench finger-1n FVC_DIR [--size N] [--probes P] [--json]");
    long size = 100000;
    int probes = 30, json = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atol(argv[++i]);
        else if (!strcmp(argv[i], "--probes") && i + 1 < argc)
            probes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return cli_usage("eyni bench finger-1n FVC_DIR [--size N] [--probes P] [--json]");
    }
    eyni_error err;
    if (size < 0 || size > 10000000 || probes < 1)
        return cli_usage("--size 0..10000000 and --probes >= 1");
    real *r = calloc(FINGERS, sizeof *r);
    int n_real = 0, rc = r ? load_real(argv[1], r, &n_real, &err)
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
    json_t *out = NULL;
    if (rc == 0)
        out = json_pack(
            "{s:I, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:f, s:f, s:i, s:s}",
            "synthetic", (json_int_t)size, "real", n_real, "probes", probes, "build_s",
            t_build / 1000, "search_ms_1thread", w1 / probes, "search_ms_2threads", w2 / probes,
            "compare_per_s_1thread", comps / (w1 / 1000), "compare_per_s_2threads",
            comps / (w2 / 1000), "compare_per_cpu_s", comps / (c1 / 1000), "mate_rank1", t.rank1,
            "mate_in_top64", t.in_k, "mate_score_mean", t.in_k ? t.mate_sum / t.in_k : 0,
            "best_synthetic_score_mean", t.synth_top_sum / probes, "best_synthetic_score_max",
            t.synth_top_max, "probes_with_synthetic_above_fmr1e3", t.synth_above_1e3, "note",
            "exhaustive search (no first-stage filter); compare_per_cpu_s is per core");
    eyni_finger_gallery_free(g);
    for (int i = 0; i < n_real; i++)
        eyni_finger_template_free(r[i].t[0]), eyni_finger_template_free(r[i].t[1]);
    free(r);
    return rc ? cli_fail(&err) : cli_emit(out, json);
}
