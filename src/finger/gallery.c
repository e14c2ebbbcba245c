/*
 * In-memory 1:N gallery: every entry keeps its precomputed binary cylinders, so a search
 * only runs population counts and the LSS-R consolidation. Searches share a read lock and
 * split the gallery across worker threads; add and remove take the write lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"
#include "mcc_int.h"

#define MAX_THREADS 64
#define MAX_K       1000

typedef struct entry {
    int64_t id;
    eyni_finger_mcc *m;
} entry;

struct eyni_finger_gallery {
    pthread_rwlock_t lock;
    entry *e;
    size_t n, cap;
    int max_nc; /* most cylinders of any entry ever added: sizes the scratch */
};

typedef struct job {
    const eyni_finger_gallery *g;
    const eyni_finger_mcc *probe;
    const eyni_finger_mcc *reduced; /* first stage's probe; NULL: exact search */
    double keep;                    /* fraction of the slice the first stage passes */
    size_t from, to;
    int k, n_hits;
    eyni_finger_hit *hits; /* k slots, sorted descending */
    eyni_finger_hit *pre;  /* prescore only: one slot per entry of the slice */
    size_t compared;       /* full comparisons made */
    int failed;
} job;

int eyni_finger_gallery_new(eyni_finger_gallery **out, eyni_error *err)
{
    eyni_finger_gallery *g = calloc(1, sizeof *g);
    if (!g)
        return eyni_error_set(err, EYNI_ENOMEM, "finger gallery: out of memory");
    if (pthread_rwlock_init(&g->lock, NULL)) {
        free(g);
        return eyni_error_set(err, EYNI_EINTERNAL, "finger gallery: cannot create its lock");
    }
    *out = g;
    return 0;
}

void eyni_finger_gallery_free(eyni_finger_gallery *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        eyni_finger_mcc_free(g->e[i].m);
    free(g->e);
    pthread_rwlock_destroy(&g->lock);
    free(g);
}

static long find(const eyni_finger_gallery *g, int64_t id)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->e[i].id == id)
            return (long)i;
    return -1;
}

int eyni_finger_gallery_add(eyni_finger_gallery *g, int64_t id, const eyni_finger_template *t,
                            eyni_error *err)
{
    eyni_finger_mcc *m = NULL;
    int rc = eyni_finger_mcc_new(t, &m, err); /* outside the lock: the costly part */
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&g->lock);
    if (find(g, id) >= 0) {
        rc = eyni_error_set(err, EYNI_EEXIST, "finger gallery: id %lld already enrolled",
                            (long long)id);
    } else if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        entry *e = realloc(g->e, sizeof(entry) * cap);
        if (!e) {
            rc = eyni_error_set(err, EYNI_ENOMEM, "finger gallery: out of memory");
        } else {
            g->e = e;
            g->cap = cap;
        }
    }
    if (!rc) {
        if (m->nc > g->max_nc)
            g->max_nc = m->nc;
        g->e[g->n].id = id;
        g->e[g->n++].m = m;
        m = NULL;
    }
    pthread_rwlock_unlock(&g->lock);
    eyni_finger_mcc_free(m);
    return rc;
}

int eyni_finger_gallery_remove(eyni_finger_gallery *g, int64_t id, eyni_error *err)
{
    pthread_rwlock_wrlock(&g->lock);
    long i = find(g, id);
    if (i >= 0) {
        eyni_finger_mcc_free(g->e[i].m);
        g->e[i] = g->e[--g->n];
    }
    pthread_rwlock_unlock(&g->lock);
    if (i < 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "finger gallery: no id %lld", (long long)id);
    return 0;
}

size_t eyni_finger_gallery_size(eyni_finger_gallery *g)
{
    pthread_rwlock_rdlock(&g->lock);
    size_t n = g->n;
    pthread_rwlock_unlock(&g->lock);
    return n;
}

/* Insert into a descending top-k list; ties keep the smaller id first (stable output). */
static void push(eyni_finger_hit *h, int *n, int k, int64_t id, double s)
{
    int i;
    if (*n < k) {
        i = (*n)++;
    } else {
        if (s < h[k - 1].score || (s == h[k - 1].score && id > h[k - 1].id))
            return; /* not better than the current k-th */
        i = k - 1;
    }
    while (i > 0 && (h[i - 1].score < s || (h[i - 1].score == s && h[i - 1].id > id))) {
        h[i] = h[i - 1];
        i--;
    }
    h[i].id = id;
    h[i].score = s;
}

static int by_score_desc(const void *p, const void *q)
{
    float x = *(const float *)p, y = *(const float *)q;
    return (x < y) - (x > y);
}

/* The first stage's bar for a slice: the score of its keep-th best entry (at least k
 * entries pass, so a small gallery is searched exactly). */
static float bar(const float *pre, size_t n, double keep, int k)
{
    size_t want = (size_t)(keep * (double)n + 0.999999);
    want = want < (size_t)k ? (size_t)k : want;
    if (want >= n)
        return -1.0f;
    float *t = malloc(sizeof(float) * n);
    if (!t)
        return -1.0f; /* no memory for the bar: compare everything (exact, slower) */
    memcpy(t, pre, sizeof(float) * n);
    qsort(t, n, sizeof(float), by_score_desc);
    float b = t[want - 1];
    free(t);
    return b;
}

/* First-stage scores of the slice (malloc'd; NULL when out of memory). */
static float *prescore_slice(const job *j, pair *buf)
{
    size_t n = j->to - j->from;
    float *pre = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; pre && i < n; i++) {
        const entry *e = &j->g->e[j->from + i];
        if (i + 1 < n)
            mcc_prefetch_head(e[1].m);
        pre[i] = (float)mcc_score(j->reduced, e->m, buf);
    }
    return pre;
}

/* Scores entries of the slice that pass the first stage (all, without one). */
static void scan(job *j, pair *buf)
{
    size_t n = j->to - j->from;
    float *pre = NULL;
    float b = -1.0f;
    if (j->reduced) {
        pre = prescore_slice(j, buf);
        if (!pre) {
            j->failed = 1;
            return;
        }
        if (j->pre) { /* measuring the first stage: its scores are the answer */
            for (size_t i = 0; i < n; i++)
                j->pre[i] = (eyni_finger_hit){j->g->e[j->from + i].id, pre[i]};
            free(pre);
            return;
        }
        b = bar(pre, n, j->keep, j->k);
    }
    for (size_t i = 0; i < n; i++) {
        if (pre && pre[i] < b)
            continue;
        const entry *e = &j->g->e[j->from + i];
        /* The entries are separate allocations the hardware cannot guess: fetch the next
         * one's cylinders, and the header of the one after, while this one is scored. */
        if (!pre && i + 2 < n)
            mcc_prefetch_head(e[2].m);
        if (!pre && i + 1 < n)
            mcc_prefetch_body(e[1].m);
        push(j->hits, &j->n_hits, j->k, e->id, mcc_score(j->probe, e->m, buf));
        j->compared++;
    }
    free(pre);
}

static void *run(void *arg)
{
    job *j = arg;
    pair *buf = malloc(sizeof(pair) * MCC_SCRATCH(j->probe->nc, j->g->max_nc));
    if (!buf) {
        j->failed = 1;
        return NULL;
    }
    scan(j, buf);
    free(buf);
    return NULL;
}

/* pre: NULL for a search; else room for g->n first-stage scores (no search is made). */
static int search_locked(eyni_finger_gallery *g, const eyni_finger_mcc *probe,
                         const eyni_finger_mcc *reduced, double keep, int k, int threads,
                         eyni_finger_hit *hits, int *n_hits, eyni_finger_hit *pre, size_t *compared,
                         eyni_error *err)
{
    job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    eyni_finger_hit *slots = malloc(sizeof(eyni_finger_hit) * (size_t)k * threads);
    if (!slots)
        return eyni_error_set(err, EYNI_ENOMEM, "finger gallery: out of memory");
    int started[MAX_THREADS] = {0}, rc = 0;
    for (int t = 0; t < threads; t++) {
        size_t from = g->n * t / threads, to = g->n * (t + 1) / threads;
        jobs[t] = (job){
            g, probe, reduced, keep, from, to, k, 0, slots + (size_t)k * t, pre ? pre + from : NULL,
            0, 0};
        if (t == 0)
            continue;
        /* Without a thread, the slice still gets searched, here. */
        started[t] = pthread_create(&tid[t], NULL, run, &jobs[t]) == 0;
        if (!started[t])
            run(&jobs[t]);
    }
    run(&jobs[0]);
    for (int t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    *n_hits = 0;
    *compared = 0;
    for (int t = 0; t < threads; t++) {
        if (jobs[t].failed)
            rc = eyni_error_set(err, EYNI_ENOMEM, "finger gallery: a search worker failed");
        *compared += jobs[t].compared;
        for (int i = 0; i < jobs[t].n_hits; i++)
            push(hits, n_hits, k, jobs[t].hits[i].id, jobs[t].hits[i].score);
    }
    free(slots);
    return rc;
}

/* The search behind every entry point: prepares the probe (and its first-stage form when
 * keep is in (0, 1)) and runs the workers under the read lock. */
static int query(eyni_finger_gallery *g, const eyni_finger_template *probe, int k,
                 const eyni_finger_search_opts *o, eyni_finger_hit *hits, int *n_hits,
                 eyni_finger_hit *pre, size_t pre_cap, eyni_finger_search_stats *st,
                 eyni_error *err)
{
    if (k < 1 || k > MAX_K)
        return eyni_error_set(err, EYNI_EINVAL, "finger gallery: k=%d outside 1..%d", k, MAX_K);
    int threads = o ? o->threads : 1;
    double keep = o ? o->keep : 0;
    if (!(keep >= 0 && keep <= 1))
        return eyni_error_set(err, EYNI_EINVAL, "finger gallery: keep=%g outside 0..1", keep);
    threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    eyni_finger_mcc *m = NULL, *r = NULL;
    int rc = eyni_finger_mcc_new(probe, &m, err);
    if (rc == 0 && (pre || (keep > 0 && keep < 1)))
        rc = mcc_subset(m, MCC_PRE_CYL, &r, err);
    if (rc) {
        eyni_finger_mcc_free(m);
        return rc;
    }
    pthread_rwlock_rdlock(&g->lock);
    size_t n = g->n, compared = 0;
    if (pre && pre_cap < n) {
        rc = eyni_error_set(err, EYNI_EINVAL, "finger gallery: %zu slots for %zu entries", pre_cap,
                            n);
    } else {
        if ((size_t)threads > n)
            threads = n ? (int)n : 1;
        rc = search_locked(g, m, r, keep, k, threads, hits, n_hits, pre, &compared, err);
    }
    pthread_rwlock_unlock(&g->lock);
    if (st)
        *st = (eyni_finger_search_stats){n, compared};
    eyni_finger_mcc_free(r);
    eyni_finger_mcc_free(m);
    return rc;
}

int eyni_finger_gallery_query(eyni_finger_gallery *g, const eyni_finger_template *probe, int k,
                              const eyni_finger_search_opts *opts, eyni_finger_hit *hits,
                              int *n_hits, eyni_finger_search_stats *stats, eyni_error *err)
{
    return query(g, probe, k, opts, hits, n_hits, NULL, 0, stats, err);
}

int eyni_finger_gallery_prescore(eyni_finger_gallery *g, const eyni_finger_template *probe,
                                 int threads, eyni_finger_hit *out, size_t cap, size_t *n,
                                 eyni_error *err)
{
    eyni_finger_search_opts o = {threads, 0};
    eyni_finger_hit none;
    int n_hits = 0;
    eyni_finger_search_stats st = {0, 0};
    int rc = query(g, probe, 1, &o, &none, &n_hits, out, cap, &st, err);
    *n = rc ? 0 : st.gallery;
    return rc;
}

int eyni_finger_gallery_search(eyni_finger_gallery *g, const eyni_finger_template *probe, int k,
                               int threads, eyni_finger_hit *hits, int *n_hits, eyni_error *err)
{
    eyni_finger_search_opts o = {threads, 0};
    return query(g, probe, k, &o, hits, n_hits, NULL, 0, NULL, err);
}
