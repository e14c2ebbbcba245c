/* Taking a person's biometric samples out of force: replaced by a re-capture, or erased by
 * law. The row stays as a tombstone (who, when, why); a sample that was in force gets a
 * "remove" in the gallery change log, which every node's galleries replay. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

typedef struct bio_row {
    long long id;
    int in_force;
} bio_row;

typedef struct bio_rows {
    bio_row *v;
    size_t n, cap;
} bio_rows;

static int in_scope(const reg_retire *r, const char *modality, int position)
{
    if (strcmp(modality, "face") && strcmp(modality, "finger") && strcmp(modality, "voice"))
        return 0; /* DNA has its own service and its own removal */
    if (r->modality && strcmp(r->modality, modality))
        return 0;
    return r->position == 0 || r->position == position;
}

static int push(bio_rows *rows, long long id, int in_force)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 16;
        bio_row *v = realloc(rows->v, cap * sizeof *v);
        if (!v)
            return EYNI_ENOMEM;
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n++] = (bio_row){id, in_force};
    return 0;
}

/* The rows in scope: samples in force; for an erasure also replaced ones not yet erased. */
static int rows_of(eyni_db *db, int64_t pid, const reg_retire *r, bio_rows *rows, eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             r->erase ? "SELECT id, modality, position, replaced_at FROM biometrics"
                                        " WHERE person_id = ? AND erased_at IS NULL ORDER BY id"
                                      : "SELECT id, modality, position, replaced_at FROM biometrics"
                                        " WHERE person_id = ? AND replaced_at IS NULL ORDER BY id",
                             &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, pid, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = 0;
        if (in_scope(r, eyni_stmt_text(st, 1), (int)eyni_stmt_int64(st, 2)) &&
            push(rows, eyni_stmt_int64(st, 0), eyni_stmt_is_null(st, 3)))
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static int log_removal(eyni_db *db, long long id, const char *now, eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(
        db, "INSERT INTO gallery_changes (at, op, biometric_id) VALUES (?, 'remove', ?)", &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, now, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 2, id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

/* A replaced sample keeps its sealed template and image (the person's history); an erased
 * one keeps neither: the template becomes empty and the image NULL. */
static int tombstone(eyni_db *db, const eyni_actor *a, const reg_retire *r, long long id,
                     const char *now, eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             r->erase ? "UPDATE biometrics SET template = ?, image = NULL,"
                                        " replaced_at = COALESCE(replaced_at, ?), removed_by = ?,"
                                        " removed_reason = ?, erased_at = ? WHERE id = ?"
                                      : "UPDATE biometrics SET replaced_at = ?, removed_by = ?,"
                                        " removed_reason = ? WHERE id = ?",
                             &st, err);
    int k = 1;
    if (rc == 0 && r->erase)
        rc = eyni_stmt_bind_blob(st, k++, "", 0, err);
    const char *vals[] = {now, a->id, r->reason, now};
    if (rc == 0)
        rc = reg_bind_texts(st, k, vals, r->erase ? 4 : 3, err);
    k += r->erase ? 4 : 3;
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, k, id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

int reg_samples_retire(eyni_db *db, const eyni_actor *a, int64_t pid, reg_retire *r,
                       eyni_error *err)
{
    bio_rows rows = {NULL, 0, 0};
    char now[32];
    eyni_time_now_iso(now);
    int rc = rows_of(db, pid, r, &rows, err);
    for (size_t i = 0; rc == 0 && i < rows.n; i++) {
        if (rows.v[i].in_force)
            rc = log_removal(db, rows.v[i].id, now, err);
        if (rc == 0)
            rc = tombstone(db, a, r, rows.v[i].id, now, err);
        if (rc == 0) {
            r->removed += rows.v[i].in_force;
            r->erased += r->erase;
        }
    }
    free(rows.v);
    return rc;
}
