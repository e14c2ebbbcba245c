/*
 * The wanted-persons gallery: int8 embeddings searched exactly, one label per person; with a
 * cohort, each entry also carries the statistics of its look-alikes (cohort.c) and matches are
 * ranked by the normalised score.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/gallery.h"
#include "video_int.h"

#define RESCORE_TOP 16 /* raw hits normalised per search: the best normalised is among them */

typedef struct wanted_entry {
    int64_t person;
    char label[EYNI_VIDEO_MAX_LABEL];
    float emb[EYNI_FACE_DIM]; /* kept to normalise again when the cohort changes */
    video_norm norm;          /* its look-alikes in the cohort; mu 0, sd 1 without one */
} wanted_entry;

/* Cameras search while the service adds newly stored faces: a read-write lock keeps the
 * gallery consistent without stopping the cameras. */
struct eyni_video_wanted {
    pthread_rwlock_t lock;
    eyni_gallery *g;       /* keyed by entry index */
    wanted_entry *entries; /* entry index -> person */
    size_t n, cap;
    video_cohort *cohort;  /* NULL: raw scores only */
    float blur_rel;        /* blurred copy of each photo: sigma / eye distance; 0 none */
    video_lookalikes look; /* faces dismissed as not being a wanted person */
};

int eyni_video_wanted_new(eyni_video_wanted **out, eyni_error *err)
{
    eyni_video_wanted *w = calloc(1, sizeof *w);
    if (!w)
        return eyni_error_set(err, EYNI_ENOMEM, "wanted gallery: out of memory");
    int rc = eyni_gallery_new(EYNI_FACE_DIM, &w->g, err);
    if (rc) {
        free(w);
        return rc;
    }
    pthread_rwlock_init(&w->lock, NULL);
    w->blur_rel = EYNI_VIDEO_BLURRED_COPY_DEFAULT;
    *out = w;
    return 0;
}

void eyni_video_wanted_free(eyni_video_wanted *w)
{
    if (!w)
        return;
    eyni_gallery_free(w->g);
    video_cohort_free(w->cohort);
    video_lookalikes_clear(&w->look);
    pthread_rwlock_destroy(&w->lock);
    free(w->entries);
    free(w);
}

static int grow(eyni_video_wanted *w, eyni_error *err)
{
    if (w->n < w->cap)
        return 0;
    size_t cap = w->cap ? w->cap * 2 : 16;
    wanted_entry *e = realloc(w->entries, cap * sizeof *e);
    if (!e)
        return eyni_error_set(err, EYNI_ENOMEM, "wanted gallery: out of memory");
    w->entries = e;
    w->cap = cap;
    return 0;
}

int eyni_video_wanted_add(eyni_video_wanted *w, int64_t id, const char *label,
                          const float emb[EYNI_FACE_DIM], eyni_error *err)
{
    if (!label || !*label || strlen(label) >= EYNI_VIDEO_MAX_LABEL ||
        !eyni_utf8_valid(label, strlen(label)))
        return eyni_error_set(err, EYNI_EINVAL,
                              "wanted gallery: label must be 1..%d bytes of UTF-8 text",
                              EYNI_VIDEO_MAX_LABEL - 1);
    pthread_rwlock_wrlock(&w->lock);
    int rc = w->n >= EYNI_VIDEO_MAX_WANTED
                 ? eyni_error_set(err, EYNI_ELIMIT, "wanted gallery: more than %d entries",
                                  EYNI_VIDEO_MAX_WANTED)
                 : grow(w, err);
    if (rc == 0)
        rc = eyni_gallery_add(w->g, (int64_t)w->n, emb, err);
    if (rc == 0) {
        wanted_entry *e = &w->entries[w->n++];
        e->person = id;
        snprintf(e->label, sizeof e->label, "%s", label);
        memcpy(e->emb, emb, sizeof e->emb);
        e->norm = (video_norm){0, 1};
        if (w->cohort)
            video_cohort_stats(w->cohort, emb, &e->norm);
    }
    pthread_rwlock_unlock(&w->lock);
    return rc;
}

void eyni_video_wanted_set_blurred_copy(eyni_video_wanted *w, float rel)
{
    w->blur_rel = rel > 0 ? rel : 0;
}

float video_wanted_blurred_copy(const eyni_video_wanted *w)
{
    return w->blur_rel;
}

/* The photo blurred in proportion to the face's eye distance: a blurred face in a crowd
 * scores far higher against a blurred enrolment than against the sharp one (the model's loss
 * to blur is shared by both sides). 1 when no copy is asked for or the blur would hardly
 * change the photo. */
static int embed_blurred(const eyni_face_engine *fe, const eyni_image *img, const eyni_face_det *d,
                         float rel, float emb[EYNI_FACE_DIM], eyni_error *err)
{
    float eyes = hypotf(d->five[1].x - d->five[0].x, d->five[1].y - d->five[0].y);
    if (!(rel > 0) || eyes * rel < 0.5f)
        return 1;
    eyni_image *b = NULL;
    int rc = eyni_image_blur(img, eyes * rel, &b, err);
    if (rc == 0)
        rc = eyni_face_embed(fe, b, d, emb, err);
    eyni_image_free(b);
    return rc;
}

int eyni_video_embed_subject(const eyni_face_engine *fe, const eyni_image *img, float rel,
                             float emb[EYNI_FACE_DIM], float blurred[EYNI_FACE_DIM], int *copies,
                             eyni_error *err)
{
    eyni_face_det dets[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    *copies = 0;
    int rc = eyni_face_detect(fe, img, dets, EYNI_FACE_MAX_FACES, &n, err);
    if (rc || n == 0)
        return rc ? rc : 1;
    const eyni_face_det *d = &dets[eyni_face_primary(img, dets, n)];
    if ((rc = eyni_face_embed(fe, img, d, emb, err)))
        return rc;
    *copies = 1;
    rc = embed_blurred(fe, img, d, rel, blurred, err);
    *copies += rc == 0;
    return rc == 1 ? 0 : rc;
}

int eyni_video_wanted_add_image(eyni_video_wanted *w, const eyni_face_engine *fe, int64_t id,
                                const char *label, const eyni_image *img, eyni_error *err)
{
    float emb[EYNI_FACE_DIM], blurred[EYNI_FACE_DIM];
    int copies = 0;
    int rc = eyni_video_embed_subject(fe, img, w->blur_rel, emb, blurred, &copies, err);
    if (rc == 1)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "wanted gallery: no face in the photo of %s",
                            label ? label : "?");
    if (rc == 0)
        rc = eyni_video_wanted_add(w, id, label, emb, err);
    return rc == 0 && copies == 2 ? eyni_video_wanted_add(w, id, label, blurred, err) : rc;
}

/* The last entry moves into the freed slot: the gallery is keyed by entry index, and the
 * indices stay dense so that search hits map straight to entries. */
int eyni_video_wanted_remove(eyni_video_wanted *w, int64_t id, size_t *removed, eyni_error *err)
{
    size_t k = 0;
    int rc = 0;
    pthread_rwlock_wrlock(&w->lock);
    for (size_t i = 0; i < w->n && rc == 0;) {
        if (w->entries[i].person != id) {
            i++;
            continue;
        }
        size_t last = w->n - 1;
        rc = eyni_gallery_remove(w->g, (int64_t)last, err);
        if (rc == 0 && i != last)
            rc = eyni_gallery_update(w->g, (int64_t)i, w->entries[last].emb, err);
        if (rc == 0) {
            w->entries[i] = w->entries[last];
            w->n--;
            k++;
        }
    }
    video_lookalikes_drop(&w->look, id);
    pthread_rwlock_unlock(&w->lock);
    if (removed)
        *removed = k;
    return rc;
}

int eyni_video_wanted_add_lookalike(eyni_video_wanted *w, int64_t id, int64_t key,
                                    const float emb[EYNI_FACE_DIM], eyni_error *err)
{
    pthread_rwlock_wrlock(&w->lock);
    int rc = video_lookalikes_add(&w->look, id, key, emb, err);
    pthread_rwlock_unlock(&w->lock);
    return rc == 1 ? 0 : rc;
}

size_t eyni_video_wanted_lookalikes(const eyni_video_wanted *w)
{
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    size_t n = w->look.n;
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return n;
}

size_t eyni_video_wanted_keep_lookalikes(eyni_video_wanted *w, const int64_t *keys, size_t n)
{
    pthread_rwlock_wrlock(&w->lock);
    size_t gone = video_lookalikes_keep(&w->look, keys, n);
    pthread_rwlock_unlock(&w->lock);
    return gone;
}

void eyni_video_wanted_clear_lookalikes(eyni_video_wanted *w)
{
    pthread_rwlock_wrlock(&w->lock);
    video_lookalikes_clear(&w->look);
    pthread_rwlock_unlock(&w->lock);
}

int eyni_video_wanted_nearest_cohort(const eyni_video_wanted *w, size_t i, float out[EYNI_FACE_DIM],
                                     float *score)
{
    int found = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    const video_cohort *c = w->cohort;
    for (size_t k = 0; c && i < w->n && k < c->n; k++) {
        float s = eyni_face_compare(w->entries[i].emb, c->emb + k * EYNI_FACE_DIM);
        if (!found || s > *score) {
            *score = s;
            memcpy(out, c->emb + k * EYNI_FACE_DIM, EYNI_FACE_DIM * sizeof *out);
            found = 1;
        }
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return found;
}

size_t eyni_video_wanted_size(const eyni_video_wanted *w)
{
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    size_t n = w->n;
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return n;
}

int eyni_video_wanted_label(const eyni_video_wanted *w, int64_t id, char *out, size_t cap)
{
    int found = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    for (size_t i = 0; i < w->n && !found; i++)
        if (w->entries[i].person == id) {
            snprintf(out, cap, "%s", w->entries[i].label);
            found = 1;
        }
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return found;
}

/* The normalised best among the raw top hits (lock held). */
static void rescore(const eyni_video_wanted *w, const float *probe, const eyni_gallery_hit *hits,
                    size_t n, eyni_video_match *m)
{
    video_norm pn;
    video_cohort_stats(w->cohort, probe, &pn);
    m->normalised = 1;
    for (size_t i = 0; i < n; i++) {
        const wanted_entry *e = &w->entries[hits[i].id];
        float v = video_norm_score(hits[i].score, &e->norm, &pn);
        if (i == 0 || v > m->norm) {
            m->id = e->person;
            m->score = hits[i].score;
            m->norm = v;
            m->fmr = video_cohort_fmr(w->cohort, v);
        }
    }
}

int eyni_video_wanted_match(const eyni_video_wanted *w, const float probe[EYNI_FACE_DIM],
                            eyni_video_match *m, eyni_error *err)
{
    memset(m, 0, sizeof *m);
    m->id = -1;
    m->score = m->norm = m->lookalike = -1;
    m->lookalike_key = -1;
    eyni_gallery_hit hits[RESCORE_TOP];
    size_t n = 0;
    int rc = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    if (w->n > 0)
        rc = eyni_gallery_search(w->g, probe, w->cohort ? RESCORE_TOP : 1, NULL, hits, &n, err);
    if (rc == 0 && n > 0 && w->cohort)
        rescore(w, probe, hits, n, m);
    else if (rc == 0 && n > 0) {
        m->id = w->entries[hits[0].id].person;
        m->score = hits[0].score;
        m->fmr = eyni_face_score_fmr(m->score);
    }
    if (rc == 0 && m->id >= 0)
        m->lookalike = video_lookalikes_best(&w->look, m->id, probe, &m->lookalike_key);
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return rc;
}

int eyni_video_wanted_best(const eyni_video_wanted *w, const float probe[EYNI_FACE_DIM],
                           int64_t *id, float *score, eyni_error *err)
{
    eyni_video_match m;
    int rc = eyni_video_wanted_match(w, probe, &m, err);
    *id = m.id;
    *score = m.score;
    return rc;
}

/* Inverse of the engine's FMR curve by bisection (the curve falls as the score rises). */
float eyni_video_threshold_for_rate(double target_per_hour, double tracks_per_hour,
                                    double shots_per_track, size_t gallery_size, int *capped)
{
    double trials = tracks_per_hour * shots_per_track * (double)(gallery_size ? gallery_size : 1);
    double fmr = trials > 0 ? target_per_hour / trials : 1;
    float lo = (float)EYNI_FACE_THRESHOLD_FMR_1E4, hi = 1.0f;
    if (capped)
        *capped = 0;
    if (eyni_face_score_fmr(lo) <= fmr)
        return lo;
    /* the table's floor: below it every score has the same estimated rate */
    double floor = eyni_face_score_fmr(hi);
    if (fmr < floor * 1.0001) {
        if (capped)
            *capped = 1;
        fmr = floor * 1.0001;
    }
    for (int i = 0; i < 40; i++) {
        float mid = (lo + hi) / 2;
        if (eyni_face_score_fmr(mid) <= fmr)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* ---- cohort ------------------------------------------------------------------------------ */

static int cohort_copy(const float *emb, const int *ident, size_t n, video_cohort **out,
                       eyni_error *err)
{
    video_cohort *c = calloc(1, sizeof *c);
    if (c) {
        c->emb = malloc(n * EYNI_FACE_DIM * sizeof *c->emb);
        c->ident = malloc(n * sizeof *c->ident);
    }
    if (!c || !c->emb || !c->ident) {
        video_cohort_free(c);
        return eyni_error_set(err, EYNI_ENOMEM, "cohort: out of memory");
    }
    memcpy(c->emb, emb, n * EYNI_FACE_DIM * sizeof *c->emb);
    memcpy(c->ident, ident, n * sizeof *c->ident);
    c->n = n;
    int rc = video_cohort_calibrate(c, err);
    if (rc)
        video_cohort_free(c);
    else
        *out = c;
    return rc;
}

int eyni_video_wanted_set_cohort(eyni_video_wanted *w, const float *emb, const int *ident, size_t n,
                                 eyni_error *err)
{
    if (!emb || !ident || n < 2 || n > EYNI_VIDEO_MAX_COHORT)
        return eyni_error_set(err, EYNI_EINVAL, "cohort: 2..%d faces are needed",
                              EYNI_VIDEO_MAX_COHORT);
    for (size_t i = 0; i < n; i++)
        if (ident[i] < 0)
            return eyni_error_set(err, EYNI_EINVAL, "cohort: face %zu has no identity", i);
    video_cohort *c = NULL;
    int rc = cohort_copy(emb, ident, n, &c, err);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&w->lock);
    video_cohort_free(w->cohort);
    w->cohort = c;
    for (size_t i = 0; i < w->n; i++)
        video_cohort_stats(c, w->entries[i].emb, &w->entries[i].norm);
    pthread_rwlock_unlock(&w->lock);
    return 0;
}

int eyni_video_wanted_has_cohort(const eyni_video_wanted *w)
{
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    int has = w->cohort != NULL;
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return has;
}

float eyni_video_wanted_norm_threshold(const eyni_video_wanted *w, double fmr)
{
    float t = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    if (w->cohort && fmr > 0)
        t = video_cohort_threshold(w->cohort, fmr);
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return t;
}

int eyni_video_wanted_entry(const eyni_video_wanted *w, size_t i, eyni_video_entry_info *out)
{
    int found = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    if (i < w->n) {
        out->id = w->entries[i].person;
        snprintf(out->label, sizeof out->label, "%s", w->entries[i].label);
        out->cohort_mean = w->entries[i].norm.mu;
        out->cohort_spread = w->entries[i].norm.sd;
        found = 1;
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
    return found;
}

void eyni_video_wanted_cohort_info(const eyni_video_wanted *w, eyni_video_cohort_info *out)
{
    memset(out, 0, sizeof *out);
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    if (w->cohort) {
        out->faces = w->cohort->n;
        out->pairs = w->cohort->pairs;
        out->tail_start = w->cohort->tail_x;
        out->tail_scale = w->cohort->tail_beta;
        out->tail_rate = w->cohort->tail_rate;
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
}

int eyni_video_enrol_check(const eyni_face_engine *fe, const eyni_image *img, eyni_face_quality *q,
                           unsigned *warn, eyni_error *err)
{
    *warn = 0;
    int rc = eyni_face_quality_check(fe, img, q, err);
    if (rc == 0)
        *warn = q->reasons & EYNI_VIDEO_ENROL_WARN;
    return rc;
}
