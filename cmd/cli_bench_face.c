/* `eyni bench face DIR`: LFW-protocol accuracy, all-vs-all TAR/FAR, speed. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "eyni/face.h"

#define BENCH_MAX_IMAGES   50000
#define BENCH_MAX_FOLDS    10
#define BENCH_MAX_PER_FOLD 5000
#define BENCH_MAX_LINE     512

typedef struct bench_image {
    char *rel; /* "Name/Name_0001.jpg" */
    int ok;
    float emb[EYNI_FACE_DIM];
} bench_image;

typedef struct bench_pair {
    int a, b, same, fold;
    float score;
} bench_pair;

typedef struct bench_set {
    bench_image *img;
    size_t n, cap;
    bench_pair *pairs;
    size_t npairs;
    int folds;
} bench_set;

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const bench_image *)a)->rel, ((const bench_image *)b)->rel);
}

static int add_image(bench_set *s, const char *person, const char *file, eyni_error *err)
{
    if (s->n == BENCH_MAX_IMAGES)
        return eyni_error_set(err, EYNI_ELIMIT, "bench face: more than %d images",
                              BENCH_MAX_IMAGES);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        bench_image *p = realloc(s->img, cap * sizeof *p);
        if (!p)
            return eyni_error_set(err, EYNI_ENOMEM, "bench face: out of memory");
        s->img = p;
        s->cap = cap;
    }
    bench_image *im = &s->img[s->n];
    memset(im, 0, sizeof *im);
    if (asprintf(&im->rel, "%s/%s", person, file) < 0)
        return eyni_error_set(err, EYNI_ENOMEM, "bench face: out of memory");
    s->n++;
    return 0;
}

static int has_jpg(const char *f)
{
    size_t n = strlen(f);
    return n > 4 && (strcmp(f + n - 4, ".jpg") == 0 || strcmp(f + n - 4, ".png") == 0);
}

/* Every DIR/images/<Name>/<file>.jpg, sorted by relative path. */
static int list_images(const char *dir, bench_set *s, eyni_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/images", dir);
    DIR *d = opendir(path);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: cannot open", path);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        DIR *p = opendir(sub);
        if (!p)
            continue;
        struct dirent *f;
        while (rc == 0 && (f = readdir(p)))
            if (f->d_name[0] != '.' && has_jpg(f->d_name))
                rc = add_image(s, e->d_name, f->d_name, err);
        closedir(p);
    }
    closedir(d);
    if (rc == 0 && s->n == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "%s: no images", path);
    if (rc == 0)
        qsort(s->img, s->n, sizeof *s->img, by_rel);
    return rc;
}

static int find_image(const bench_set *s, const char *name, long idx)
{
    char rel[BENCH_MAX_LINE * 2 + 32];
    snprintf(rel, sizeof rel, "%s/%s_%04ld.jpg", name, name, idx);
    bench_image key = {.rel = rel};
    bench_image *hit = bsearch(&key, s->img, s->n, sizeof *s->img, by_rel);
    return hit ? (int)(hit - s->img) : -1;
}

/* One pairs.txt line: "Name i j" (same) or "Name1 i Name2 j" (different). */
static int parse_pair(const bench_set *s, char *line, int same, bench_pair *p, eyni_error *err,
                      size_t lineno)
{
    char *tok[4], *save = NULL;
    int nt = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save))
        if (nt < 4)
            tok[nt++] = t;
        else
            nt = 5;
    if (nt != (same ? 3 : 4))
        return eyni_error_set(err, EYNI_EFORMAT, "pairs.txt:%zu: expected %d fields", lineno,
                              same ? 3 : 4);
    const char *n1 = tok[0], *n2 = same ? tok[0] : tok[2];
    long i1 = strtol(tok[1], NULL, 10), i2 = strtol(tok[same ? 2 : 3], NULL, 10);
    if (strlen(n1) >= BENCH_MAX_LINE || i1 < 1 || i2 < 1 || i1 > 9999 || i2 > 9999)
        return eyni_error_set(err, EYNI_EFORMAT, "pairs.txt:%zu: bad image index", lineno);
    p->a = find_image(s, n1, i1);
    p->b = find_image(s, n2, i2);
    p->same = same;
    if (p->a < 0 || p->b < 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "pairs.txt:%zu: image not in images/", lineno);
    return 0;
}

static int read_pairs(const char *dir, bench_set *s, eyni_error *err)
{
    char path[4096], line[BENCH_MAX_LINE];
    snprintf(path, sizeof path, "%s/pairs.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: cannot open", path);
    int folds = 0, per = 0, rc = 0;
    size_t lineno = 1;
    if (!fgets(line, sizeof line, f) || sscanf(line, "%d %d", &folds, &per) != 2 || folds < 1 ||
        folds > BENCH_MAX_FOLDS || per < 1 || per > BENCH_MAX_PER_FOLD) {
        fclose(f);
        return eyni_error_set(err, EYNI_EFORMAT, "%s: first line must be 'folds n'", path);
    }
    s->pairs = calloc((size_t)folds * per * 2, sizeof *s->pairs);
    if (!s->pairs)
        rc = eyni_error_set(err, EYNI_ENOMEM, "bench face: out of memory");
    for (int fo = 0; rc == 0 && fo < folds; fo++)
        for (int k = 0; rc == 0 && k < 2 * per; k++) {
            lineno++;
            if (!fgets(line, sizeof line, f)) {
                rc = eyni_error_set(err, EYNI_EFORMAT, "%s: ends at line %zu", path, lineno);
                break;
            }
            bench_pair *p = &s->pairs[s->npairs];
            rc = parse_pair(s, line, k < per, p, err, lineno);
            p->fold = fo;
            s->npairs += rc == 0;
        }
    s->folds = folds;
    fclose(f);
    return rc;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Embeds every image with one engine; counts those without a face. ms gets wall and
 * process CPU milliseconds per image (CPU time is what one core spends, whatever else
 * the machine is doing). */
static int embed_all(const eyni_face_engine *fe, const char *dir, bench_set *s, double ms[2],
                     size_t *fails, eyni_error *err)
{
    double t0 = eyni_time_ms(), c0 = cpu_ms();
    *fails = 0;
    for (size_t i = 0; i < s->n; i++) {
        char path[4096];
        eyni_image *img = NULL;
        eyni_face_det dets[EYNI_FACE_MAX_FACES];
        size_t n = 0;
        snprintf(path, sizeof path, "%s/images/%s", dir, s->img[i].rel);
        int rc = eyni_image_load(path, 0, &img, err);
        if (rc == 0)
            rc = eyni_face_detect(fe, img, dets, EYNI_FACE_MAX_FACES, &n, err);
        if (rc == 0 && n > 0) {
            size_t best = eyni_face_primary(img, dets, n);
            rc = eyni_face_embed(fe, img, &dets[best], s->img[i].emb, err);
            s->img[i].ok = rc == 0;
        }
        eyni_image_free(img);
        if (rc)
            return rc;
        if (n == 0) {
            (*fails)++;
            fprintf(stderr, "bench face: no face in %s\n", s->img[i].rel);
        }
        if ((i + 1) % 200 == 0)
            fprintf(stderr, "bench face: %zu/%zu images\n", i + 1, s->n);
    }
    ms[0] = (eyni_time_ms() - t0) / (double)s->n;
    ms[1] = (cpu_ms() - c0) / (double)s->n;
    return 0;
}

static float pair_score(const bench_set *s, int a, int b)
{
    if (!s->img[a].ok || !s->img[b].ok)
        return -2.0f; /* a failure to enrol counts as a rejection */
    return eyni_face_compare(s->img[a].emb, s->img[b].emb);
}

/* Accuracy on pairs with fold == test (or != test when train), at threshold t. */
static double fold_accuracy(const bench_set *s, int fold, int train, float t)
{
    size_t right = 0, all = 0;
    for (size_t i = 0; i < s->npairs; i++) {
        const bench_pair *p = &s->pairs[i];
        if ((p->fold == fold) == train)
            continue;
        all++;
        right += (p->score > t) == p->same;
    }
    return all ? (double)right / all : 0;
}

static int asc_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The threshold best on the training pairs: candidates are midpoints between consecutive
 * training scores; when several in a row are equally best, the middle of that run is
 * taken, so the boundary sits in the gap rather than on a training sample. */
static float train_threshold(const bench_set *s, int fold, float *sorted, double *best_acc)
{
    size_t m = 0;
    for (size_t i = 0; i < s->npairs; i++)
        if (s->pairs[i].fold != fold)
            sorted[m++] = s->pairs[i].score;
    qsort(sorted, m, sizeof *sorted, asc_float);
    double best = -1;
    size_t run_lo = 0, run_hi = 0;
    for (size_t i = 0; i + 1 < m; i++) {
        float t = (sorted[i] + sorted[i + 1]) / 2;
        double a = fold_accuracy(s, fold, 1, t);
        if (a > best) {
            best = a;
            run_lo = run_hi = i;
        } else if (a == best && run_hi + 1 == i) {
            run_hi = i;
        }
    }
    *best_acc = best;
    size_t mid = (run_lo + run_hi) / 2;
    return m > 1 ? (sorted[mid] + sorted[mid + 1]) / 2 : 0;
}

/* LFW protocol: per fold, the threshold that is best on the other folds, tested here. */
static double lfw_accuracy(const bench_set *s, double *sd)
{
    double acc[BENCH_MAX_FOLDS], mean = 0;
    float *sorted = malloc(s->npairs * sizeof *sorted);
    if (!sorted)
        return 0;
    for (int f = 0; f < s->folds; f++) {
        double train;
        /* a single fold can only be scored on itself (fold -1 trains on everything) */
        float t = train_threshold(s, s->folds > 1 ? f : -1, sorted, &train);
        acc[f] = s->folds > 1 ? fold_accuracy(s, f, 0, t) : train;
        mean += acc[f] / s->folds;
    }
    free(sorted);
    double v = 0;
    for (int f = 0; f < s->folds; f++)
        v += (acc[f] - mean) * (acc[f] - mean) / s->folds;
    *sd = sqrt(v);
    return mean;
}

static int desc_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* Threshold accepting at most far of the impostors (sorted descending), and the share of
 * genuine scores above it. */
static double tar_at_far(const float *imp, size_t ni, const float *gen, size_t ng, double far,
                         float *thr)
{
    size_t k = (size_t)floor(far * (double)ni);
    float t = k < ni ? imp[k] : imp[ni - 1];
    size_t above = 0;
    for (size_t i = 0; i < ng; i++)
        above += gen[i] > t;
    *thr = t;
    return ng ? (double)above / ng : 0;
}

static double auc(const float *imp, size_t ni, const float *gen, size_t ng)
{
    /* Mann-Whitney: impostors sorted descending; count impostors below each genuine. */
    double acc = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t lo = 0, hi = ni; /* first index with imp[i] < gen[g] */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (imp[mid] >= gen[g])
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t eq = 0;
        for (size_t i = lo; i-- > 0 && imp[i] == gen[g];)
            eq++;
        acc += (double)(ni - lo) + 0.5 * eq;
    }
    return ng && ni ? acc / ((double)ng * ni) : 0;
}

static int same_person(const char *a, const char *b)
{
    const char *sa = strchr(a, '/'), *sb = strchr(b, '/');
    return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

typedef struct score_sets {
    float *gen, *imp;
    size_t ng, ni;
} score_sets;

static int all_scores(const bench_set *s, score_sets *o, eyni_error *err)
{
    size_t total = s->n * (s->n - 1) / 2;
    o->imp = malloc(total * sizeof *o->imp);
    o->gen = malloc(total * sizeof *o->gen);
    if (!o->imp || !o->gen)
        return eyni_error_set(err, EYNI_ENOMEM, "bench face: out of memory for %zu scores", total);
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++) {
            float sc = pair_score(s, (int)i, (int)j);
            if (same_person(s->img[i].rel, s->img[j].rel))
                o->gen[o->ng++] = sc;
            else
                o->imp[o->ni++] = sc;
        }
    qsort(o->imp, o->ni, sizeof *o->imp, desc_float);
    return 0;
}

static json_t *pair_results(bench_set *s, eyni_error *err, int *rc)
{
    float *gen = malloc(s->npairs * sizeof *gen), *imp = malloc(s->npairs * sizeof *imp);
    size_t ng = 0, ni = 0, failed = 0;
    if (!gen || !imp) {
        free(gen);
        free(imp);
        *rc = eyni_error_set(err, EYNI_ENOMEM, "bench face: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < s->npairs; i++) {
        bench_pair *p = &s->pairs[i];
        p->score = pair_score(s, p->a, p->b);
        failed += p->score < -1;
        if (p->same)
            gen[ng++] = p->score;
        else
            imp[ni++] = p->score;
    }
    qsort(imp, ni, sizeof *imp, desc_float);
    double sd = 0;
    float t3;
    double acc = lfw_accuracy(s, &sd);
    double tar3 = tar_at_far(imp, ni, gen, ng, 1e-3, &t3);
    json_t *o =
        json_pack("{s:f,s:f,s:f,s:f,s:I,s:I,s:i}", "accuracy", acc, "accuracy_sd", sd,
                  "tar_at_far_1e-3", tar3, "auc", auc(imp, ni, gen, ng), "pairs",
                  (json_int_t)s->npairs, "pair_failures", (json_int_t)failed, "folds", s->folds);
    free(gen);
    free(imp);
    return o;
}

static void all_results(json_t *o, const score_sets *a)
{
    static const double fars[] = {1e-2, 1e-3, 1e-4, 1e-5};
    static const char *tars[] = {"tar_at_far_1e-2_all", "tar_at_far_1e-3_all",
                                 "tar_at_far_1e-4_all", "tar_at_far_1e-5_all"};
    static const char *thrs[] = {"fmr_1e-2", "fmr_1e-3", "fmr_1e-4", "fmr_1e-5"};
    json_t *th = json_object();
    for (int i = 0; i < 4; i++) {
        float t;
        double tar = tar_at_far(a->imp, a->ni, a->gen, a->ng, fars[i], &t);
        json_object_set_new(o, tars[i], json_real(tar));
        json_object_set_new(th, thrs[i], json_real(t));
    }
    json_object_set_new(o, "thresholds_all", th);
    json_object_set_new(o, "auc_all", json_real(auc(a->imp, a->ni, a->gen, a->ng)));
    json_object_set_new(o, "genuine_all", json_integer((json_int_t)a->ng));
    json_object_set_new(o, "impostor_all", json_integer((json_int_t)a->ni));
    /* The impostor tail for calibration: score at each FMR on a log grid. */
    json_t *tab = json_array();
    for (double f = 0.5; f >= 1.0 / (double)a->ni; f /= 2) {
        size_t k = (size_t)floor(f * (double)a->ni);
        json_array_append_new(tab, json_pack("[f,f]", a->imp[k], f));
    }
    json_object_set_new(o, "impostor_table", tab);
}

static void set_free(bench_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->img[i].rel);
    free(s->img);
    free(s->pairs);
}

int cli_bench_face(int argc, char **argv)
{
    static const char *usage =
        "eyni bench face DIR [--json] [--mirror|--no-mirror] [--threads N] [--data DIR]";
    eyni_error err = {0};
    bench_set s = {0};
    score_sets all = {0};
    eyni_onnx_env *env = NULL;
    eyni_face_engine *fe = NULL;
    json_t *o = NULL;
    const char *dir = NULL;
    int json = 0, mirror = 0, threads = 1, rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--mirror") == 0)
            mirror = 1;
        else if (strcmp(argv[i], "--no-mirror") == 0)
            mirror = 0;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            i++;
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            return cli_usage(usage);
    }
    if (!dir || threads < 1 || threads > 64)
        return cli_usage(usage);
    eyni_face_opts fo = {.intra_threads = threads, .inter_threads = 1, .mirror = mirror};
    double ms[2] = {0, 0};
    size_t fails = 0;
    if ((rc = list_images(dir, &s, &err)) || (rc = read_pairs(dir, &s, &err)) ||
        (rc = eyni_onnx_env_new("eyni-bench", &env, &err)) ||
        (rc = eyni_face_engine_new(env, &fo, &fe, &err)) ||
        (rc = embed_all(fe, dir, &s, ms, &fails, &err)))
        goto fail;
    if (!(o = pair_results(&s, &err, &rc)))
        goto fail;
    if ((rc = all_scores(&s, &all, &err)))
        goto fail;
    all_results(o, &all);
    json_object_set_new(o, "failures", json_integer((json_int_t)fails));
    json_object_set_new(o, "images", json_integer((json_int_t)s.n));
    json_object_set_new(o, "ms_per_image", json_real(ms[1]));
    json_object_set_new(o, "wall_ms_per_image", json_real(ms[0]));
    json_object_set_new(o, "threads", json_integer(threads));
    json_object_set_new(o, "mirror", json_boolean(mirror));
    set_free(&s);
    free(all.gen);
    free(all.imp);
    eyni_face_engine_free(fe);
    eyni_onnx_env_free(env);
    return cli_emit(o, json);
fail:
    json_decref(o);
    set_free(&s);
    free(all.gen);
    free(all.imp);
    eyni_face_engine_free(fe);
    eyni_onnx_env_free(env);
    return cli_fail(&err);
}
