/*
 * Look-alikes: faces an operator dismissed as not being the wanted person they were alerted
 * for. The false alerts measured on generated crowds came mostly from one passer-by who
 * resembles one wanted photo and passes again and again; the cohort cannot know such a pair,
 * the operator can, once. A list per gallery, scanned linearly: dismissals are a few a day.
 */
#include <stdlib.h>
#include <string.h>

#include "video_int.h"

static size_t count_of(const video_lookalikes *l, int64_t person, size_t *oldest)
{
    size_t k = 0;
    for (size_t i = l->n; i-- > 0;)
        if (l->v[i].person == person) {
            k++;
            *oldest = i;
        }
    return k;
}

static void remove_at(video_lookalikes *l, size_t i)
{
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
    l->n--;
}

int video_lookalikes_add(video_lookalikes *l, int64_t person, int64_t key, const float *emb,
                         eyni_error *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].key == key && l->v[i].person == person)
            return 1;
    size_t oldest = 0;
    if (count_of(l, person, &oldest) >= EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON)
        remove_at(l, oldest);
    if (l->n >= EYNI_VIDEO_MAX_LOOKALIKES)
        return eyni_error_set(err, EYNI_ELIMIT, "look-alikes: more than %d",
                              EYNI_VIDEO_MAX_LOOKALIKES);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        video_lookalike *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return eyni_error_set(err, EYNI_ENOMEM, "look-alikes: out of memory");
        l->v = v;
        l->cap = cap;
    }
    video_lookalike *e = &l->v[l->n++];
    e->person = person;
    e->key = key;
    memcpy(e->emb, emb, sizeof e->emb);
    return 0;
}

void video_lookalikes_drop(video_lookalikes *l, int64_t person)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].person != person)
            l->v[k++] = l->v[i];
    l->n = k;
}

float video_lookalikes_best(const video_lookalikes *l, int64_t person, const float *probe,
                            int64_t *key)
{
    float best = -1;
    *key = -1;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].person == person) {
            float s = eyni_face_compare(probe, l->v[i].emb);
            if (s > best) {
                best = s;
                *key = l->v[i].key;
            }
        }
    return best;
}

/* keys sorted ascending */
static int has_key(const int64_t *keys, size_t n, int64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] == key)
            return 1;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

size_t video_lookalikes_keep(video_lookalikes *l, const int64_t *keys, size_t n)
{
    size_t k = 0, before = l->n;
    for (size_t i = 0; i < l->n; i++)
        if (has_key(keys, n, l->v[i].key))
            l->v[k++] = l->v[i];
    l->n = k;
    return before - k;
}

void video_lookalikes_clear(video_lookalikes *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}
