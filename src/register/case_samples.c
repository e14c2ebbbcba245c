/* The images an adjudicator compares: the applicant's samples (unsealed from the pending
 * enrolment) and the current samples of every candidate, with the minutiae of each finger
 * so that the console can draw them. Reading them is audited like the case itself. */
#include <stdlib.h>
#include <string.h>

#include "eyni/finger.h"
#include "register_int.h"

/* One sample for the console: base64 image bytes and, for a finger, its minutiae. */
static json_t *sample_json(const char *modality, int position, const unsigned char *tpl,
                           size_t tlen, const unsigned char *img, size_t ilen, eyni_error *err)
{
    char *b64 = NULL;
    if (!img || eyni_base64_encode(img, ilen, &b64, err))
        return NULL;
    json_t *o =
        json_pack("{s:s, s:i, s:s}", "modality", modality, "position", position, "image", b64);
    free(b64);
    eyni_finger_template *t = NULL;
    eyni_error ignored;
    if (o && !strcmp(modality, "finger") &&
        eyni_finger_template_read(tpl, tlen, "sample", &t, NULL, &ignored) == 0) {
        static const char *const kinds[] = {"other", "ending", "bifurcation"};
        json_t *pts = json_array();
        for (int i = 0; i < t->n_minutiae; i++) {
            const eyni_finger_minutia *m = &t->minutiae[i];
            json_array_append_new(pts,
                                  json_pack("{s:i, s:i, s:i, s:s}", "x", m->x, "y", m->y, "angle",
                                            (int)(m->angle * 57.29577951308232 + 0.5), "type",
                                            kinds[m->type >= 0 && m->type <= 2 ? m->type : 0]));
        }
        json_object_set_new(o, "points", pts);
        eyni_finger_template_free(t);
    }
    return o;
}

static int unseal(eyni_register *reg, const char *aad, const unsigned char *blob, size_t n,
                  unsigned char **out, size_t *len, eyni_error *err)
{
    *out = NULL;
    *len = 0;
    return blob && n ? eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, out, len, err) : 0;
}

/* Current face and finger samples of one registered person. */
static int person_samples(eyni_register *reg, eyni_db *db, const char *fin, json_t *list,
                          eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             "SELECT b.modality, b.position, b.template, b.image FROM biometrics b"
                             " JOIN persons p ON p.id = b.person_id WHERE p.fin = ?"
                             " AND b.modality IN ('face', 'finger') AND b.replaced_at IS NULL"
                             " ORDER BY b.modality, b.position, b.id",
                             &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, fin, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        char mod[8], aad_t[96], aad_i[96];
        snprintf(mod, sizeof mod, "%s", eyni_stmt_text(st, 0));
        int pos = (int)eyni_stmt_int64(st, 1);
        /* the associated data the samples were sealed with (identity_store.c) */
        snprintf(aad_t, sizeof aad_t, "bio:%s:%s:%d:t", fin, mod, pos);
        snprintf(aad_i, sizeof aad_i, "bio:%s:%s:%d:i", fin, mod, pos);
        size_t tn, in, tl, il;
        const unsigned char *tb = eyni_stmt_blob(st, 2, &tn);
        const unsigned char *ib = eyni_stmt_blob(st, 3, &in);
        unsigned char *tpl = NULL, *img = NULL;
        rc = unseal(reg, aad_t, tb, tn, &tpl, &tl, err);
        if (rc == 0)
            rc = unseal(reg, aad_i, ib, in, &img, &il, err);
        json_t *one = rc == 0 ? sample_json(mod, pos, tpl, tl, img, il, err) : NULL;
        if (one)
            json_array_append_new(list, one);
        free(tpl);
        free(img);
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : (rc == 1 ? 0 : rc);
}

/* The pending applicant's samples, when the case still holds them. */
static int applicant_samples(eyni_register *reg, const char *aad, const unsigned char *blob,
                             size_t n, json_t *list, eyni_error *err)
{
    json_t *person = NULL;
    reg_sample *s = NULL;
    int ns = 0;
    int rc = blob && n ? reg_pending_open_as(reg, aad, blob, n, &person, &s, &ns, err) : 0;
    for (int i = 0; rc == 0 && i < ns; i++) {
        json_t *one = sample_json(s[i].modality, s[i].position, s[i].tpl, s[i].tlen, s[i].img,
                                  s[i].ilen, err);
        if (one)
            json_array_append_new(list, one);
    }
    reg_samples_free(s, ns);
    json_decref(person);
    return rc;
}

static int read_case(eyni_register *reg, eyni_db *db, long long id, json_t *out, eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             "SELECT c.candidates, COALESCE(e.pending, ap.pending), ap.fin"
                             " FROM cases c LEFT JOIN enrolments e ON e.id = c.enrolment_id"
                             " LEFT JOIN applications ap ON ap.id = c.application_id"
                             " WHERE c.id = ?",
                             &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, id, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no case %lld", id);
    json_t *applicant = json_array(), *cands = json_object();
    json_t *list = NULL;
    char applied[EYNI_FIN_MAX + 1] = "";
    if (rc == 1) {
        json_error_t je;
        const char *text = eyni_stmt_text(st, 0);
        list = text ? json_loads(text, 0, &je) : NULL;
        size_t n = 0;
        const unsigned char *blob = eyni_stmt_is_null(st, 1) ? NULL : eyni_stmt_blob(st, 1, &n);
        if (!eyni_stmt_is_null(st, 2))
            snprintf(applied, sizeof applied, "%s", eyni_stmt_text(st, 2));
        rc = applicant_samples(reg, applied[0] ? REG_PENDING_APPLICATION : REG_PENDING_ENROLMENT,
                               blob, n, applicant, err);
    }
    eyni_stmt_free(st);
    /* an applicant for a document also claims to be the holder of that FIN */
    if (rc == 0 && applied[0]) {
        json_t *claimed = json_array();
        rc = person_samples(reg, db, applied, claimed, err);
        json_object_set_new(out, "claimed", json_pack("{s:o}", applied, claimed));
    }
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        const char *fin = json_string_value(json_object_get(c, "fin"));
        if (rc || !fin || json_object_get(cands, fin))
            continue;
        json_t *samples = json_array();
        rc = person_samples(reg, db, fin, samples, err);
        json_object_set_new(cands, fin, samples);
    }
    json_decref(list);
    json_object_set_new(out, "applicant", applicant);
    json_object_set_new(out, "candidates", cands);
    return rc;
}

int eyni_register_case_samples(eyni_register *reg, const eyni_actor *a, long long id, json_t **out,
                               eyni_error *err)
{
    char obj[32];
    snprintf(obj, sizeof obj, "case/%lld", id);
    int rc = reg_require(reg, a, EYNI_OP_CASE_READ, obj, err);
    if (rc == 0 && !reg->keys)
        rc = eyni_error_set(err, EYNI_EINVAL, "the register has no data-encryption key");
    if (rc)
        return rc;
    eyni_db *db;
    rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    json_t *o = json_pack("{s:I}", "case", (json_int_t)id);
    rc = read_case(reg, db, id, o, err);
    eyni_store_release(reg->store, db);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "case.samples", obj, "ok", NULL, err);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}
