/* ANSI/NIST-ITL import (transaction -> enrolment) and export (person -> transaction). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/exchange.h"
#include "eyni/nist.h"
#include "identity_int.h"

#define IMPORT_MAX_SAMPLES 11 /* one face and ten fingers */

typedef struct imported {
    eyni_sample_in s[IMPORT_MAX_SAMPLES];
    unsigned char *bufs[IMPORT_MAX_SAMPLES];
    int n, have_face, have_finger[11];
    json_t *taken;
} imported;

/* A decoded record image as PNG bytes: lossless, and every engine reads it. */
static int take_image(const eyni_nist *t, const eyni_nist_record *r, imported *im,
                      const char *modality, int position, eyni_error *err)
{
    eyni_image *img = NULL;
    unsigned char *png = NULL;
    size_t len = 0;
    int rc = eyni_nist_record_decode_image(t, r, &img, err);
    if (rc == 0)
        rc = eyni_image_encode_png(img, &png, &len, err);
    eyni_image_free(img);
    if (rc)
        return eyni_error_prefix(err, "record %d (type %d): ", eyni_nist_record_idc(r),
                                 eyni_nist_record_type(r));
    im->bufs[im->n] = png;
    im->s[im->n] = (eyni_sample_in){modality, position, png, len};
    im->n++;
    json_array_append_new(im->taken, json_pack("{s:i, s:i, s:s, s:i}", "type",
                                               eyni_nist_record_type(r), "idc",
                                               eyni_nist_record_idc(r), "modality", modality,
                                               "position", position));
    return 0;
}

static int collect(const eyni_nist *t, imported *im, eyni_error *err)
{
    int rc = 0;
    for (size_t i = 1; rc == 0 && i < eyni_nist_record_count(t) && im->n < IMPORT_MAX_SAMPLES;
         i++) {
        const eyni_nist_record *r = eyni_nist_record_at(t, i);
        int type = eyni_nist_record_type(r);
        eyni_nist_image_info info;
        eyni_error ignore;
        if ((type == 10 && !im->have_face) || type == 4 || type == 14) {
            if (eyni_nist_record_image(t, r, &info, &ignore) != 0)
                continue;
            if (type == 10) {
                rc = take_image(t, r, im, "face", 0, err);
                im->have_face = rc == 0;
            } else if (info.position >= 1 && info.position <= 10 &&
                       !im->have_finger[info.position]) {
                rc = take_image(t, r, im, "finger", info.position, err);
                im->have_finger[info.position] = rc == 0;
            }
        }
    }
    if (rc == 0 && im->n == 0)
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "transaction holds no face (Type-10) or finger (Type-4/14, positions "
                            "1..10) image");
    return rc;
}

/* The person from Type-2 (EBTS 2.018 NAM, 2.022 DOB, 2.024 SEX), then the caller's fields. */
static json_t *person_of(const eyni_nist *t, const json_t *given)
{
    json_t *p = json_object();
    for (size_t i = 1; i < eyni_nist_record_count(t); i++) {
        const eyni_nist_record *r = eyni_nist_record_at(t, i);
        if (eyni_nist_record_type(r) != 2)
            continue;
        char nam[128] = "", dob[16] = "", sex[8] = "";
        if (eyni_nist_field_text(r, 18, nam, sizeof nam) == 0 && strchr(nam, ',')) {
            char *comma = strchr(nam, ',');
            *comma = '\0';
            json_object_set_new(p, "surname", json_string(nam));
            json_object_set_new(p, "given_name", json_string(comma + 1));
        }
        if (eyni_nist_field_text(r, 22, dob, sizeof dob) == 0 && strlen(dob) == 8) {
            char iso[11];
            snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", dob, dob + 4, dob + 6);
            json_object_set_new(p, "birth_date", json_string(iso));
        }
        if (eyni_nist_field_text(r, 24, sex, sizeof sex) == 0)
            json_object_set_new(p, "sex", json_string(!strcmp(sex, "M") || !strcmp(sex, "F")
                                                          ? sex : "X"));
        break;
    }
    if (json_is_object(given))
        json_object_update(p, (json_t *)given);
    return p;
}

int eyni_exchange_import(eyni_identity *id, const eyni_actor *a, const unsigned char *buf,
                         size_t len, const json_t *person, json_t **out, eyni_error *err)
{
    eyni_nist *t = NULL;
    imported im;
    memset(&im, 0, sizeof im);
    im.taken = json_array();
    int rc = reg_require(id->reg, a, EYNI_OP_ENROL, "exchange.import", err);
    if (rc == 0)
        rc = eyni_nist_read(buf, len, &t, err);
    if (rc == 0)
        rc = collect(t, &im, err);
    json_t *p = rc == 0 ? person_of(t, person) : NULL;
    if (rc == 0)
        rc = eyni_identity_enrol(id, a, p, im.s, im.n, out, err);
    if (rc == 0)
        json_object_set(*out, "samples", im.taken);
    json_decref(p);
    json_decref(im.taken);
    for (int i = 0; i < im.n; i++)
        free(im.bufs[i]);
    eyni_nist_free(t);
    return rc;
}

/* ---- export --------------------------------------------------------------------------- */

typedef struct export_ctx {
    eyni_identity *id;
    eyni_nist *t;
    const char *fin, *ori, *date;
    int faces, fingers;
    eyni_error *err;
} export_ctx;

/* The sealed image of a biometric row (its captured bytes). */
static int sample_image(eyni_identity *id, long long bio, const char *fin, const char *modality,
                        int position, unsigned char **img, size_t *len, eyni_error *err)
{
    eyni_db *db;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(eyni_register_store(id->reg), &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db, "SELECT image FROM biometrics WHERE id = ? AND image IS NOT NULL",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, bio, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        size_t n;
        const unsigned char *blob = eyni_stmt_blob(st, 0, &n);
        char aad[96];
        snprintf(aad, sizeof aad, "bio:%s:%s:%d:i", fin, modality, position);
        rc = eyni_keyring_open(id->reg->keys, aad, strlen(aad), blob, n, img, len, err);
    } else if (rc == 0) {
        rc = EYNI_ENOTFOUND;
    }
    eyni_stmt_free(st);
    eyni_store_release(eyni_register_store(id->reg), db);
    return rc;
}

static int add_sample(long long change, const char *op, long long bio, const char *fin,
                      const char *modality, int position, const unsigned char *tpl, size_t tlen,
                      void *ctx)
{
    export_ctx *x = ctx;
    unsigned char *raw = NULL;
    size_t len = 0;
    eyni_image *img = NULL;
    int face = !strcmp(modality, "face");
    if ((face && x->faces) || sample_image(x->id, bio, fin, modality, position, &raw, &len,
                                           x->err))
        return 0; /* one face; a sample without its image has nothing to send */
    int rc = eyni_image_decode(raw, len, face ? 3 : 1, &img, x->err);
    if (rc == 0 && face) {
        unsigned char *jpeg = NULL;
        size_t jl = 0;
        rc = eyni_image_encode_jpeg(img, 90, &jpeg, &jl, x->err);
        if (rc == 0 && !eyni_nist_add_face_jpeg(x->t, jpeg, jl, x->ori, x->date, x->err))
            rc = x->err->code;
        free(jpeg);
        x->faces += rc == 0;
    } else if (rc == 0) {
        eyni_nist_finger f = {position, 0, x->ori, x->date};
        if (!eyni_nist_add_finger_wsq(x->t, img, &f, 0.75, x->err))
            rc = x->err->code;
        x->fingers += rc == 0;
    }
    eyni_image_free(img);
    free(raw);
    return rc;
}

static int type2(eyni_nist *t, const json_t *rec, const char *fin, eyni_error *err)
{
    eyni_nist_record *r = eyni_nist_record_add(t, 2, err);
    if (!r)
        return err->code;
    char nam[256], dob[16];
    const char *bd = json_string_value(json_object_get(rec, "birth_date"));
    snprintf(nam, sizeof nam, "%s,%s", json_string_value(json_object_get(rec, "surname")),
             json_string_value(json_object_get(rec, "given_name")));
    snprintf(dob, sizeof dob, "%.4s%.2s%.2s", bd, bd + 5, bd + 8);
    int rc = eyni_nist_field_set_text(r, 15, fin, err);
    if (rc == 0)
        rc = eyni_nist_field_set_text(r, 18, nam, err);
    if (rc == 0)
        rc = eyni_nist_field_set_text(r, 22, dob, err);
    if (rc == 0)
        rc = eyni_nist_field_set_text(r, 24, json_string_value(json_object_get(rec, "sex")), err);
    return rc;
}

int eyni_exchange_export(eyni_identity *id, const eyni_actor *a, const char *fin,
                         const char *ori, unsigned char **buf, size_t *len, eyni_error *err)
{
    json_t *rec = NULL;
    int rc = eyni_register_person_get(id->reg, a, fin, &rec, err);
    if (rc)
        return rc;
    char date[16], tcn[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y%m%d", &tm);
    snprintf(tcn, sizeof tcn, "EYNI-%s-%lld", fin, (long long)now);
    const char *o = ori && *ori ? ori : "AZEYNI000";
    eyni_nist *t = eyni_nist_new("CPD", date, o, o, tcn, err);
    export_ctx x = {id, t, fin, o, date, 0, 0, err};
    rc = t ? type2(t, rec, fin, err) : err->code;
    if (rc == 0)
        rc = reg_samples_of(id->reg, fin, "face", add_sample, &x, err);
    if (rc == 0)
        rc = reg_samples_of(id->reg, fin, "finger", add_sample, &x, err);
    if (rc == 0)
        rc = eyni_nist_write(t, buf, len, err);
    char detail[64];
    snprintf(detail, sizeof detail, "%d face, %d fingers", x.faces, x.fingers);
    if (rc == 0)
        rc = eyni_register_audit_event(id->reg, a, "exchange.export", fin, "ok", detail, err);
    eyni_nist_free(t);
    json_decref(rec);
    return rc;
}
