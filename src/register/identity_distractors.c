/*
 * Distractors: gallery entries that belong to nobody, for benchmarks at register scale
 * (a de-duplication against 100,000 persons without enrolling 100,000 persons). They sit in
 * the in-memory galleries only, under negative ids that no register row can have, so every
 * search scans them like enrolled samples, but no FIN owns them: they never become
 * candidates, are never stored, and vanish when the service closes.
 */
#include "identity_int.h"

static int64_t distractor_id(size_t base, size_t i)
{
    return -(int64_t)(base + i + 1);
}

int eyni_identity_add_distractors(eyni_identity *id, size_t base, const float *faces,
                                  size_t n_faces, eyni_finger_template *const *fingers,
                                  size_t n_fingers, int position, eyni_error *err)
{
    if (n_fingers && (position < 1 || position >= ID_POSITIONS))
        return eyni_error_set(err, EYNI_EINVAL, "identity: finger position %d outside 1..10",
                              position);
    int rc = 0;
    if (n_faces) {
        /* The face gallery needs its writer alone: the service's lock provides that. */
        pthread_rwlock_wrlock(&id->lock);
        rc = eyni_gallery_reserve(id->faces, eyni_gallery_size(id->faces) + n_faces, err);
        for (size_t i = 0; rc == 0 && i < n_faces; i++)
            rc =
                eyni_gallery_add(id->faces, distractor_id(base, i), faces + i * EYNI_FACE_DIM, err);
        pthread_rwlock_unlock(&id->lock);
    }
    /* A finger gallery locks itself and builds the cylinders outside its lock, so several
     * callers can fill one in parallel; the service's owners are untouched. */
    for (size_t i = 0; rc == 0 && i < n_fingers; i++)
        rc =
            eyni_finger_gallery_add(id->fingers[position], distractor_id(base, i), fingers[i], err);
    return rc;
}
