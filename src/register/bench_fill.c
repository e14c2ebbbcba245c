/* Synthetic bulk data for load tests only (`eyni bench border`): persons with one face
 * template each, and a watchlist of person entries with face templates, written through
 * the same tables, sealing and change log as real enrolments so the galleries are rebuilt
 * from the store exactly as in service. Templates are random unit vectors: they cost a
 * search what a real one costs, and match no real face. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/border.h"
#include "eyni/face.h"
#include "register_int.h"

#define FILL_BATCH 2000 /* rows per transaction */

typedef struct fill_arg {
    eyni_register *reg;
    const eyni_actor *a;
    int from, to;
    unsigned long long *rng;
    const char *list;
} fill_arg;

static double uniform(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return ((*s >> 11) + 0.5) / 9007199254740992.0;
}

static int random_template(unsigned long long *rng, unsigned char *tpl, size_t *len,
                           eyni_error *err)
{
    float v[EYNI_FACE_DIM];
    double norm = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++) { /* Box-Muller: uniform on the sphere */
        double g = sqrt(-2 * log(uniform(rng))) * cos(6.283185307179586 * uniform(rng));
        v[i] = (float)g;
        norm += g * g;
    }
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        v[i] = (float)(v[i] / sqrt(norm));
    return eyni_face_template_encode(v, tpl, EYNI_FACE_TEMPLATE_BYTES, len, err);
}

static int persons_tx(eyni_db *db, void *p, eyni_error *err)
{
    fill_arg *x = p;
    int rc = 0;
    for (int i = x->from; rc == 0 && i < x->to; i++) {
        char surname[32];
        snprintf(surname, sizeof surname, "Synthetic%d", i);
        json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "surname", surname, "given_name",
                               "Bench", "birth_date", "1970-01-01", "sex", i % 2 ? "M" : "F",
                               "citizenship", x->reg->country);
        json_t *rec = NULL;
        int64_t pid = 0;
        unsigned char tpl[EYNI_FACE_TEMPLATE_BYTES];
        reg_sample s = {"face", 0, tpl, 0, NULL, 0, 50, "eyni-face-1"};
        rc = reg_person_insert(x->reg, db, x->a, in, "load test", &rec, &pid, err);
        if (rc == 0)
            rc = random_template(x->rng, tpl, &s.tlen, err);
        if (rc == 0)
            rc = reg_samples_store(x->reg, db, x->a, pid,
                                   json_string_value(json_object_get(rec, "fin")), &s, 1, err);
        json_decref(in);
        json_decref(rec);
    }
    return rc;
}

static int watch_tx(eyni_db *db, void *p, eyni_error *err)
{
    fill_arg *x = p;
    int rc = 0;
    for (int i = x->from; rc == 0 && i < x->to; i++) {
        char surname[32], now[32], aad[96];
        snprintf(surname, sizeof surname, "Listed%d", i);
        json_t *in = json_pack("{s:s, s:s, s:s}", "surname", surname, "given_name", "Bench",
                               "reason", "load test");
        rc = reg_watch_add_in_tx(db, x->a, x->list, in, err);
        json_decref(in);
        eyni_stmt *st = NULL;
        long long entry = 0;
        if (rc == 0)
            rc = eyni_db_prepare(db, "SELECT MAX(id) FROM watch_entries", &st, err);
        if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
            entry = eyni_stmt_int64(st, 0);
            rc = 0;
        }
        eyni_stmt_free(st);
        unsigned char tpl[EYNI_FACE_TEMPLATE_BYTES], *blob = NULL;
        size_t tlen = 0, blen = 0;
        if (rc == 0)
            rc = random_template(x->rng, tpl, &tlen, err);
        snprintf(aad, sizeof aad, REG_WATCH_AAD, entry, "face", 0, 't');
        if (rc == 0)
            rc = eyni_keyring_seal(x->reg->keys, aad, strlen(aad), tpl, tlen, &blob, &blen, err);
        eyni_time_now_iso(now);
        if (rc == 0)
            rc =
                eyni_db_prepare(db,
                                "INSERT INTO watch_biometrics (entry_id, modality, position,"
                                " template, created_at, created_by) VALUES (?, 'face', 0, ?, ?, ?)",
                                &st, err);
        if (rc == 0) {
            const char *tail[] = {now, x->a->id};
            rc = eyni_stmt_bind_int64(st, 1, entry, err);
            if (rc == 0)
                rc = eyni_stmt_bind_blob(st, 2, blob, blen, err);
            if (rc == 0)
                rc = reg_bind_texts(st, 3, tail, 2, err);
            if (rc == 0)
                rc = eyni_stmt_step(st, err);
            eyni_stmt_free(st);
        }
        free(blob);
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

int eyni_border_bench_fill(eyni_register *reg, const eyni_actor *a, int persons, const char *list,
                           int listed, unsigned long long seed, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_ENROL, "load test", err);
    if (rc == 0 && !reg->keys)
        rc = eyni_error_set(err, EYNI_ECRYPTO, "no data key configured");
    unsigned long long rng = seed ? seed : 88172645463325252ull;
    for (int i = 0; rc == 0 && i < persons; i += FILL_BATCH) {
        fill_arg x = {reg, a, i, i + FILL_BATCH < persons ? i + FILL_BATCH : persons, &rng, NULL};
        rc = reg_write_tx(reg, persons_tx, &x, err);
    }
    for (int i = 0; rc == 0 && i < listed; i += FILL_BATCH) {
        fill_arg x = {reg, a, i, i + FILL_BATCH < listed ? i + FILL_BATCH : listed, &rng, list};
        rc = reg_write_tx(reg, watch_tx, &x, err);
    }
    return rc;
}
