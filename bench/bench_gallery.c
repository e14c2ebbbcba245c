/*
 * bench_gallery LFWDIR [--size N] [--threads T] [--k K]
 *
 * 1:N search time over a gallery of N int8 embeddings: one real LFW face per identity
 * (first image) plus synthetic unit vectors up to N; every other LFW image is a probe.
 * Each probe's top-1 is checked against exact float search: the int8 probe error is
 * bounded, so when the K-th hit scores below top-1 minus twice that bound, the exact float
 * winner must be among the K hits, and re-scoring them in float finds it.
 * Prints one JSON object.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/face.h"
#include "eyni/gallery.h"

#define SYNTH_ID0  1000000000LL
#define MAX_IMAGES 50000

typedef struct lfw_img {
    char rel[512];
    int person; /* index into the sorted list of names */
    int ok;
    float emb[EYNI_FACE_DIM];
} lfw_img;

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const lfw_img *)a)->rel, ((const lfw_img *)b)->rel);
}

static size_t list_lfw(const char *dir, lfw_img **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/images", dir);
    lfw_img *v = calloc(MAX_IMAGES, sizeof *v);
    size_t n = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (v && d && (e = readdir(d))) {
        char sub[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        DIR *p = opendir(sub);
        struct dirent *f;
        while (p && (f = readdir(p)) && n < MAX_IMAGES)
            if (f->d_name[0] != '.' && strlen(e->d_name) + strlen(f->d_name) < 500)
                snprintf(v[n++].rel, sizeof v->rel, "%s/%s", e->d_name, f->d_name);
        if (p)
            closedir(p);
    }
    if (d)
        closedir(d);
    qsort(v, n, sizeof *v, by_rel);
    int person = -1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strcspn(v[i].rel, "/");
        if (i == 0 || strncmp(v[i].rel, v[i - 1].rel, l + 1) != 0)
            person++;
        v[i].person = person;
    }
    *out = v;
    return n;
}

static int embed_lfw(const char *dir, lfw_img *v, size_t n, eyni_error *err)
{
    eyni_onnx_env *env = NULL;
    eyni_face_engine *fe = NULL;
    eyni_face_opts o = {.intra_threads = 2};
    int rc = eyni_onnx_env_new("bench-gallery", &env, err);
    if (rc == 0)
        rc = eyni_face_engine_new(env, &o, &fe, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[4096];
        eyni_image *img = NULL;
        eyni_face_det dets[EYNI_FACE_MAX_FACES];
        size_t nd = 0;
        snprintf(path, sizeof path, "%s/images/%s", dir, v[i].rel);
        rc = eyni_image_load(path, 0, &img, err);
        if (rc == 0)
            rc = eyni_face_detect(fe, img, dets, EYNI_FACE_MAX_FACES, &nd, err);
        if (rc == 0 && nd > 0) {
            rc = eyni_face_embed(fe, img, &dets[eyni_face_primary(img, dets, nd)], v[i].emb, err);
            v[i].ok = rc == 0;
        }
        eyni_image_free(img);
        if ((i + 1) % 300 == 0)
            fprintf(stderr, "bench_gallery: embedded %zu/%zu\n", i + 1, n);
    }
    eyni_face_engine_free(fe);
    eyni_onnx_env_free(env);
    return rc;
}

/* Deterministic synthetic vector of an id (splitmix64 + Box-Muller), quantised. */
static void synth(int64_t id, int8_t *q, float *scale)
{
    uint64_t s = (uint64_t)id * 0x9e3779b97f4a7c15ULL + 12345;
    float v[EYNI_FACE_DIM];
    double ss = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i += 2) {
        double u[2];
        for (int k = 0; k < 2; k++) {
            uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            z ^= z >> 31;
            u[k] = ((z >> 11) + 0.5) / 9007199254740992.0;
        }
        double r = sqrt(-2 * log(u[0]));
        v[i] = (float)(r * cos(2 * M_PI * u[1]));
        v[i + 1] = (float)(r * sin(2 * M_PI * u[1]));
        ss += (double)v[i] * v[i] + (double)v[i + 1] * v[i + 1];
    }
    float mx = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++) {
        v[i] = (float)(v[i] / sqrt(ss));
        mx = fmaxf(mx, fabsf(v[i]));
    }
    *scale = mx / 127.0f;
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        q[i] = (int8_t)lroundf(v[i] / *scale);
}

/* Exact float score of a probe against a stored person. */
static double float_score(const float *p, int64_t id, const lfw_img *v, const size_t *enrolled)
{
    double s = 0;
    if (id >= SYNTH_ID0) {
        int8_t q[EYNI_FACE_DIM];
        float sc;
        synth(id, q, &sc);
        for (int i = 0; i < EYNI_FACE_DIM; i++)
            s += (double)p[i] * (q[i] * sc);
    } else {
        const float *e = v[enrolled[id]].emb;
        for (int i = 0; i < EYNI_FACE_DIM; i++)
            s += (double)p[i] * e[i];
    }
    return s;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    eyni_error err = {0};
    size_t size = 1000000, k = 50;
    int threads = 2, nprobe = 16, nlist = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--k") == 0 && i + 1 < argc)
            k = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--nprobe") == 0 && i + 1 < argc)
            nprobe = atoi(argv[++i]);
        else if (strcmp(argv[i], "--nlist") == 0 && i + 1 < argc)
            nlist = atoi(argv[++i]);
        else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: bench_gallery LFWDIR [--size N] [--threads T] [--k K]\n");
        return 2;
    }
    lfw_img *v = NULL;
    size_t n = list_lfw(dir, &v);
    if (n == 0 || embed_lfw(dir, v, n, &err)) {
        fprintf(stderr, "bench_gallery: %s\n", n ? err.msg : "no LFW images");
        return 3;
    }
    eyni_gallery *g = NULL;
    size_t *enrolled = calloc(n, sizeof *enrolled), persons = 0;
    if (eyni_gallery_new(EYNI_FACE_DIM, &g, &err) || eyni_gallery_reserve(g, size, &err))
        goto fail;
    for (size_t i = 0; i < n; i++)
        if ((i == 0 || v[i].person != v[i - 1].person) && v[i].ok) {
            enrolled[v[i].person] = i;
            if (eyni_gallery_add(g, v[i].person, v[i].emb, &err))
                goto fail;
            persons++;
        }
    double t0 = cpu_ms();
    for (int64_t id = SYNTH_ID0; eyni_gallery_size(g) < size; id++) {
        int8_t q[EYNI_FACE_DIM];
        float sc;
        synth(id, q, &sc);
        if (eyni_gallery_add_int8(g, id, q, sc, &err))
            goto fail;
    }
    fprintf(stderr, "bench_gallery: %zu enrolled (%zu LFW) in %.0f ms\n", eyni_gallery_size(g),
            persons, cpu_ms() - t0);
    eyni_gallery_hit *hits = calloc(k, sizeof *hits);
    int64_t *exact_top = calloc(n, sizeof *exact_top);
    size_t probes = 0, same_top1 = 0, unverified = 0, rank1 = 0, nh = 0;
    double wall = 0, cpu = 0, worst = 0;
    eyni_gallery_search_opts so = {threads, EYNI_GALLERY_AUTO};
    for (size_t i = 0; i < n; i++) {
        if (!v[i].ok || enrolled[v[i].person] == i)
            continue;
        double w0 = eyni_time_ms(), c0 = cpu_ms();
        if (eyni_gallery_search(g, v[i].emb, k, &so, hits, &nh, &err))
            goto fail;
        double dw = eyni_time_ms() - w0;
        wall += dw;
        cpu += cpu_ms() - c0;
        worst = fmax(worst, dw);
        probes++;
        rank1 += hits[0].id == v[i].person;
        exact_top[i] = hits[0].id;
        /* probe quantisation error bound: (scale/2) * sum|row| <= (scale/2) * sqrt(dim) */
        float mx = 0;
        for (int j = 0; j < EYNI_FACE_DIM; j++)
            mx = fmaxf(mx, fabsf(v[i].emb[j]));
        double bound = (mx / 127.0 / 2) * sqrt(EYNI_FACE_DIM) + 1e-6;
        if (nh == k && hits[k - 1].score > hits[0].score - 2 * bound) {
            unverified++;
            continue;
        }
        int64_t best = hits[0].id;
        double bs = -2;
        for (size_t h = 0; h < nh; h++) {
            double s = float_score(v[i].emb, hits[h].id, v, enrolled);
            if (s > bs) {
                bs = s;
                best = hits[h].id;
            }
        }
        same_top1 += best == hits[0].id;
        if ((probes % 200) == 0)
            fprintf(stderr, "bench_gallery: %zu probes\n", probes);
    }
    /* portable kernel on a few probes, for comparison */
    eyni_gallery_search_opts po = {threads, EYNI_GALLERY_PORTABLE};
    double pw = eyni_time_ms();
    for (int r = 0; r < 5; r++)
        if (eyni_gallery_search(g, v[0].emb, k, &po, hits, &nh, &err))
            goto fail;
    pw = (eyni_time_ms() - pw) / 5;
    /* the IVF over the same gallery: build time, speed, and top-1 agreement with exact */
    eyni_gallery_ivf *ix = NULL;
    eyni_gallery_ivf_opts io = {.nlist = nlist, .threads = threads};
    double b0 = eyni_time_ms();
    if (eyni_gallery_ivf_build(g, &io, &ix, &err))
        goto fail;
    double build_ms = eyni_time_ms() - b0, iwall = 0, icpu = 0;
    size_t iagree = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].ok || enrolled[v[i].person] == i)
            continue;
        double w0 = eyni_time_ms(), c0 = cpu_ms();
        if (eyni_gallery_ivf_search(ix, g, v[i].emb, k, nprobe, &so, hits, &nh, &err))
            goto fail;
        iwall += eyni_time_ms() - w0;
        icpu += cpu_ms() - c0;
        iagree += nh > 0 && hits[0].id == exact_top[i];
    }
    fprintf(stderr, "bench_gallery: ivf nlist %d nprobe %d built in %.0f ms\n",
            eyni_gallery_ivf_nlist(ix), nprobe, build_ms);
    printf("{\"ivf\":{\"nlist\":%d,\"nprobe\":%d,\"build_ms\":%.0f,\"ms_per_probe\":%.2f,"
           "\"cpu_ms_per_probe\":%.2f,\"top1_same_as_exact\":%zu},",
           eyni_gallery_ivf_nlist(ix), nprobe, build_ms, iwall / probes, icpu / probes, iagree);
    eyni_gallery_ivf_free(ix);
    free(exact_top);
    printf("\"gallery_size\":%zu,\"lfw_enrolled\":%zu,\"probes\":%zu,\"threads\":%d,\"k\":%zu,"
           "\"kernel\":\"%s\",\"ms_per_probe\":%.2f,\"cpu_ms_per_probe\":%.2f,"
           "\"worst_ms\":%.2f,\"portable_ms_per_probe\":%.2f,\"top1_same_as_float\":%zu,"
           "\"top1_unverified\":%zu,\"rank1_identification\":%.4f,\"bytes_per_person\":%zu}\n",
           eyni_gallery_size(g), persons, probes, threads, k,
           eyni_gallery_kernel_resolve(EYNI_GALLERY_AUTO) == EYNI_GALLERY_AVX2 ? "avx2"
                                                                               : "portable",
           wall / probes, cpu / probes, worst, pw, same_top1, unverified, (double)rank1 / probes,
           eyni_gallery_bytes_per_person(g));
    free(hits);
    eyni_gallery_free(g);
    free(enrolled);
    free(v);
    return 0;
fail:
    fprintf(stderr, "bench_gallery: %s\n", err.msg);
    eyni_gallery_free(g);
    free(enrolled);
    free(v);
    return 3;
}
