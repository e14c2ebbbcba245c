/* The wanted-persons gallery: int8 embeddings searched exactly, one label per person. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/gallery.h"
#include "video_int.h"

typedef struct wanted_entry {
    int64_t person;
    char label[EYNI_VIDEO_MAX_LABEL];
} wanted_entry;

/* Cameras search while the service adds newly stored faces: a read-write lock keeps the
 * gallery consistent without stopping the cameras. */
struct eyni_video_wanted {
    pthread_rwlock_t lock;
    eyni_gallery *g;       /* keyed by entry index */
    wanted_entry *entries; /* entry index -> person */
    size_t n, cap;
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
    *out = w;
    return 0;
}

void eyni_video_wanted_free(eyni_video_wanted *w)
{
    if (!w)
        return;
    eyni_gallery_free(w->g);
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
        w->entries[w->n].person = id;
        snprintf(w->entries[w->n].label, sizeof w->entries[w->n].label, "%s", label);
        w->n++;
    }
    pthread_rwlock_unlock(&w->lock);
    return rc;
}

int eyni_video_wanted_add_image(eyni_video_wanted *w, const eyni_face_engine *fe, int64_t id,
                                const char *label, const eyni_image *img, eyni_error *err)
{
    eyni_face_det dets[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    float emb[EYNI_FACE_DIM];
    int rc = eyni_face_detect(fe, img, dets, EYNI_FACE_MAX_FACES, &n, err);
    if (rc == 0 && n == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "wanted gallery: no face in the photo of %s",
                            label ? label : "?");
    if (rc == 0)
        rc = eyni_face_embed(fe, img, &dets[eyni_face_primary(img, dets, n)], emb, err);
    return rc ? rc : eyni_video_wanted_add(w, id, label, emb, err);
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

int eyni_video_wanted_best(const eyni_video_wanted *w, const float probe[EYNI_FACE_DIM],
                           int64_t *id, float *score, eyni_error *err)
{
    *id = -1;
    *score = -1;
    eyni_gallery_hit hit;
    size_t n = 0;
    int rc = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&w->lock);
    if (w->n > 0)
        rc = eyni_gallery_search(w->g, probe, 1, NULL, &hit, &n, err);
    if (rc == 0 && n == 1) {
        *id = w->entries[hit.id].person;
        *score = hit.score;
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&w->lock);
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
