/*
 * `eyni bench finger DIR [--templates] [--json]`: FVC protocol on every DB folder of DIR.
 * Genuine pairs: every pair of impressions of one finger (28 per finger). Impostor pairs:
 * every pair of images of different fingers in the same DB (80*72/2 = 2,880). The score is
 * symmetric, so both pair directions give the same value and their average is the score.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/finger.h"

#define MAX_DBS       16
#define MAX_IMAGES    1024
#define SEARCH_COPIES 25
#define SEARCH_PROBES 10

typedef struct sample {
    int finger, impression;
    eyni_finger_template *t;
    eyni_finger_mcc *m;
    int quality;
} sample;

typedef struct db_result {
    double eer, fmr100, fmr1000, zero_fmr, extract_ms, compare_per_s, thr[3];
    double search_per_s[2]; /* 1:N comparisons per second, 1 and 2 threads */
    int genuine, impostor, failed;
    double *gen, *imp;
    int *gq;         /* min quality of each genuine pair */
    double *gen_raw; /* genuine scores in pair order (gen gets sorted) */
} db_result;

/* Sensor resolutions from the FVC2002 documentation (SOURCE.md); files state none. */
static double fvc_ppi(const char *db)
{
    return strncmp(db, "DB2", 3) == 0 ? 569.0 : 500.0;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FMR(t) = impostors >= t, FNMR(t) = genuines < t, over sorted score arrays. */
static double frac_ge(const double *s, int n, double t)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (double)(n - lo) / n;
}

static void rates(db_result *r)
{
    qsort(r->gen, (size_t)r->genuine, sizeof(double), cmp_dbl);
    qsort(r->imp, (size_t)r->impostor, sizeof(double), cmp_dbl);
    double best[3] = {1, 1, 1}, zero = 1, eer = 1, gap = 2;
    const double lim[3] = {0.01, 0.001, 0.0001};
    int nt = r->genuine + r->impostor + 1;
    for (int i = 0; i < nt; i++) {
        double t = i < r->genuine ? r->gen[i] : i < nt - 1 ? r->imp[i - r->genuine] + 1e-12 : 2;
        double fmr = frac_ge(r->imp, r->impostor, t);
        double fnmr = 1 - frac_ge(r->gen, r->genuine, t);
        for (int k = 0; k < 3; k++)
            if (fmr <= lim[k] && fnmr < best[k]) {
                best[k] = fnmr;
                r->thr[k] = t;
            }
        if (fmr == 0 && fnmr < zero)
            zero = fnmr;
        if (fabs(fmr - fnmr) < gap) {
            gap = fabs(fmr - fnmr);
            eer = (fmr + fnmr) / 2;
        }
    }
    r->eer = eer;
    r->fmr100 = best[0];
    r->fmr1000 = best[1];
    r->zero_fmr = zero;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s/%s", a, b, c);
    return p;
}

/* Loads one sample: extraction from the image, or the SecuGen record rescaled to the
 * image geometry (those records were made from images squeezed to 300x400). */
static int load_sample(const char *dbdir, const char *db, const char *name, int templates,
                       sample *s, double *ms, eyni_error *err)
{
    char *ip = join3(dbdir, "images", name);
    eyni_image *img = NULL;
    int rc = ip ? eyni_image_load(ip, 1, &img, err) : EYNI_ENOMEM;
    free(ip);
    if (rc)
        return rc;
    double ppi = img->ppi > 0 ? img->ppi : fvc_ppi(db);
    if (!templates) {
        eyni_finger_opts o = {ppi, 0};
        eyni_finger_quality q;
        double t0 = eyni_time_ms();
        rc = eyni_finger_extract(img, &o, &s->t, &q, err);
        *ms += eyni_time_ms() - t0;
        s->quality = q.score;
    } else {
        char base[256];
        snprintf(base, sizeof base, "%.*s.iso", (int)(strcspn(name, ".")), name);
        char *tp = join3(dbdir, "iso19794-2_templates", base);
        unsigned char *buf = NULL;
        size_t len = 0;
        rc = tp ? eyni_file_read(tp, EYNI_FINGER_MAX_RECORD, &buf, &len, err) : EYNI_ENOMEM;
        if (!rc)
            rc = eyni_finger_template_read(buf, len, tp, &s->t, NULL, err);
        if (!rc) {
            /* pixels per cm in the record's own squeezed pixel grid */
            s->t->res_x = (int)lrint(ppi / 2.54 * s->t->width / img->width);
            s->t->res_y = (int)lrint(ppi / 2.54 * s->t->height / img->height);
            s->quality = s->t->quality;
        }
        free(buf);
        free(tp);
    }
    eyni_image_free(img);
    if (!rc)
        rc = eyni_finger_mcc_new(s->t, &s->m, err);
    return rc;
}

static int list_images(const char *dbdir, char **names, int cap)
{
    char *p = join3(dbdir, "images", ".");
    DIR *d = p ? opendir(p) : NULL;
    free(p);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        int f, i;
        char ext[8];
        if (sscanf(e->d_name, "%d_%d.%7s", &f, &i, ext) == 3)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_str);
    return n;
}

static void score_pairs(sample *s, int n, db_result *r)
{
    int cap = n * (n - 1) / 2;
    r->gen = malloc(sizeof(double) * (size_t)cap);
    r->imp = malloc(sizeof(double) * (size_t)cap);
    r->gq = malloc(sizeof(int) * (size_t)cap);
    double t0 = eyni_time_ms();
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double sc = eyni_finger_mcc_compare(s[i].m, s[j].m);
            if (s[i].finger == s[j].finger) {
                r->gq[r->genuine] = s[i].quality < s[j].quality ? s[i].quality : s[j].quality;
                r->gen[r->genuine++] = sc;
            } else {
                r->imp[r->impostor++] = sc;
            }
        }
    double el = eyni_time_ms() - t0;
    r->gen_raw = malloc(sizeof(double) * (size_t)(r->genuine + 1));
    if (r->gen_raw)
        memcpy(r->gen_raw, r->gen, sizeof(double) * (size_t)r->genuine);
    r->compare_per_s = el > 0 ? (r->genuine + r->impostor) / (el / 1000.0) : 0;
}

/* 1:N speed: a few samples searched against a gallery made of copies of the DB. */
static void search_speed(sample *s, int n, db_result *r)
{
    eyni_finger_gallery *g = NULL;
    eyni_error err;
    if (eyni_finger_gallery_new(&g, &err))
        return;
    /* Copies of the DB make a gallery large enough that per-search set-up is amortised. */
    for (int c = 0; c < SEARCH_COPIES; c++)
        for (int i = 0; i < n; i++)
            if (eyni_finger_gallery_add(g, (int64_t)c * n + i, s[i].t, &err))
                goto done;
    int probes = n < SEARCH_PROBES ? n : SEARCH_PROBES;
    for (int th = 1; th <= 2; th++) {
        double t0 = eyni_time_ms();
        for (int i = 0; i < probes; i++) {
            eyni_finger_hit hit[5];
            int nh = 0;
            if (eyni_finger_gallery_search(g, s[i].t, 5, th, hit, &nh, &err))
                goto done;
        }
        double el = eyni_time_ms() - t0;
        r->search_per_s[th - 1] = el > 0 ? (double)probes * n * SEARCH_COPIES / (el / 1000.0) : 0;
    }
done:
    eyni_finger_gallery_free(g);
}

static int run_db(const char *dir, const char *db, int templates, db_result *r, eyni_error *err)
{
    char *dbdir = join3(dir, db, ".");
    char *names[MAX_IMAGES];
    int n = dbdir ? list_images(dbdir, names, MAX_IMAGES) : -1;
    if (n < 2) {
        free(dbdir);
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s/%s: no FVC images found", dir, db);
    }
    sample *s = calloc((size_t)n, sizeof(sample));
    double ms = 0;
    int rc = s ? 0 : EYNI_ENOMEM;
    for (int i = 0; i < n && !rc; i++) {
        sscanf(names[i], "%d_%d", &s[i].finger, &s[i].impression);
        rc = load_sample(dbdir, db, names[i], templates, &s[i], &ms, err);
        fprintf(stderr, "\r%s: %d/%d", db, i + 1, n);
    }
    fprintf(stderr, "\n");
    if (!rc) {
        r->extract_ms = templates ? 0 : ms / n;
        score_pairs(s, n, r);
        rates(r);
        search_speed(s, n, r);
    }
    for (int i = 0; i < n; i++) {
        if (s) {
            eyni_finger_template_free(s[i].t);
            eyni_finger_mcc_free(s[i].m);
        }
        free(names[i]);
    }
    free(s);
    free(dbdir);
    return rc;
}

/* Genuine failures (score below the DB's FMR 1e-3 threshold) by quality tercile of the
 * poorer impression of each pair: shows whether low quality predicts a failed match. */
static json_t *quality_json(const db_result *r, int ndb)
{
    int n = 0;
    for (int d = 0; d < ndb; d++)
        n += r[d].genuine;
    double *qs = malloc(sizeof(double) * (size_t)(n + 1));
    if (!qs || n == 0) {
        free(qs);
        return json_object();
    }
    int k = 0;
    for (int d = 0; d < ndb; d++)
        for (int i = 0; i < r[d].genuine; i++)
            qs[k++] = r[d].gq[i];
    qsort(qs, (size_t)n, sizeof(double), cmp_dbl);
    double cut[2] = {qs[n / 3], qs[2 * n / 3]};
    free(qs);
    int tot[3] = {0}, fail[3] = {0};
    for (int d = 0; d < ndb; d++)
        for (int i = 0; i < r[d].genuine; i++) {
            int b = r[d].gq[i] < cut[0] ? 0 : r[d].gq[i] < cut[1] ? 1 : 2;
            tot[b]++;
            fail[b] += r[d].gen_raw[i] < r[d].thr[1];
        }
    json_t *o = json_array();
    const char *names[3] = {"low", "mid", "high"};
    for (int b = 0; b < 3; b++)
        json_array_append_new(o,
                              json_pack("{s:s,s:f,s:f,s:i,s:i,s:f}", "tercile", names[b], "q_from",
                                        b ? cut[b - 1] : 0.0, "q_to", b < 2 ? cut[b] : 100.0,
                                        "pairs", tot[b], "failures_at_fmr1000", fail[b], "fnmr",
                                        tot[b] ? (double)fail[b] / tot[b] : 0.0));
    return o;
}

/* Score thresholds at FMR 1e-2, 1e-3, 1e-4 on all impostor scores pooled over the DBs:
 * the smallest score that at most FMR * N impostors reach. */
static json_t *pooled_thresholds(const db_result *r, int ndb)
{
    int n = 0;
    for (int d = 0; d < ndb; d++)
        n += r[d].impostor;
    double *all = malloc(sizeof(double) * (size_t)(n + 1));
    if (!all || n == 0) {
        free(all);
        return json_null();
    }
    int k = 0;
    for (int d = 0; d < ndb; d++)
        for (int i = 0; i < r[d].impostor; i++)
            all[k++] = r[d].imp[i];
    qsort(all, (size_t)n, sizeof(double), cmp_dbl);
    const double fmr[3] = {1e-2, 1e-3, 1e-4};
    double t[3];
    for (int i = 0; i < 3; i++) {
        int above = (int)floor(fmr[i] * n); /* impostors allowed at or above */
        t[i] = all[n - 1 - above] + 1e-6;
    }
    free(all);
    return json_pack("{s:f,s:f,s:f,s:i}", "fmr_1e-2", t[0], "fmr_1e-3", t[1], "fmr_1e-4", t[2],
                     "impostors", n);
}

int bench_finger(int argc, char **argv)
{
    const char *dir = NULL;
    int json = 0, templates = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--templates") == 0)
            templates = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            i++;
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            return cli_usage("eyni bench finger DIR [--templates] [--json]");
    }
    if (!dir)
        return cli_usage("eyni bench finger DIR [--templates] [--json]");
    DIR *d = opendir(dir);
    if (!d) {
        eyni_error err;
        eyni_error_set(&err, EYNI_ENOTFOUND, "%s: cannot open the folder", dir);
        return cli_fail(&err);
    }
    char *dbs[MAX_DBS];
    int ndb = 0;
    struct dirent *e;
    while ((e = readdir(d)) && ndb < MAX_DBS)
        if (strncmp(e->d_name, "DB", 2) == 0)
            dbs[ndb++] = strdup(e->d_name);
    closedir(d);
    qsort(dbs, (size_t)ndb, sizeof(char *), cmp_str);
    db_result r[MAX_DBS];
    memset(r, 0, sizeof r);
    json_t *jd = json_object(), *ov = NULL;
    double acc[8] = {0};
    int gsum = 0, isum = 0, rc = 0;
    eyni_error err;
    for (int i = 0; i < ndb && !rc; i++) {
        rc = run_db(dir, dbs[i], templates, &r[i], &err);
        if (rc)
            break;
        json_object_set_new(
            jd, dbs[i],
            json_pack("{s:f,s:f,s:f,s:f,s:i,s:i,s:f,s:f,s:[f,f,f],s:f,s:f}", "eer", r[i].eer,
                      "fmr100", r[i].fmr100, "fmr1000", r[i].fmr1000, "zero_fmr", r[i].zero_fmr,
                      "genuine", r[i].genuine, "impostor", r[i].impostor, "extract_ms",
                      r[i].extract_ms, "compare_per_s", r[i].compare_per_s,
                      "thresholds_fmr_1e2_1e3_1e4", r[i].thr[0], r[i].thr[1], r[i].thr[2],
                      "search_compare_per_s_1thread", r[i].search_per_s[0],
                      "search_compare_per_s_2threads", r[i].search_per_s[1]));
        double v[6] = {r[i].eer,      r[i].fmr100,     r[i].fmr1000,
                       r[i].zero_fmr, r[i].extract_ms, r[i].compare_per_s};
        for (int k = 0; k < 6; k++)
            acc[k] += v[k] / ndb;
        gsum += r[i].genuine;
        isum += r[i].impostor;
    }
    if (!rc && ndb == 0)
        rc = eyni_error_set(&err, EYNI_ENOTFOUND, "%s: no DB* folders", dir);
    if (!rc) {
        ov = json_pack("{s:f,s:f,s:f,s:f,s:i,s:i,s:f,s:f}", "eer", acc[0], "fmr100", acc[1],
                       "fmr1000", acc[2], "zero_fmr", acc[3], "genuine", gsum, "impostor", isum,
                       "extract_ms", acc[4], "compare_per_s", acc[5]);
    }
    json_t *q = !rc ? quality_json(r, ndb) : NULL;
    if (ov)
        json_object_set_new(ov, "thresholds_pooled", pooled_thresholds(r, ndb));
    for (int i = 0; i < ndb; i++) {
        free(r[i].gen);
        free(r[i].imp);
        free(r[i].gq);
        free(r[i].gen_raw);
        free(dbs[i]);
    }
    if (rc) {
        json_decref(jd);
        return cli_fail(&err);
    }
    return cli_emit(json_pack("{s:o,s:o,s:s,s:o}", "dbs", jd, "overall", ov, "mode",
                              templates ? "secugen-templates" : "extraction", "quality", q),
                    json);
}
