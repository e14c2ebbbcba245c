/* Storage of the identity service: biometric samples sealed with the data keyring, enrolment
 * transactions, and the change log galleries replay. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

static int need_keys(const eyni_register *reg, eyni_error *err)
{
    if (!reg->keys)
        return eyni_error_set(err, EYNI_ECRYPTO,
                              "no data key configured (crypto.keydir): biometric data is only "
                              "stored encrypted");
    return 0;
}

/* Associated data binds a sealed blob to its owner and slot, so it cannot be moved. */
static void aad_of(char *out, size_t cap, const char *fin, const char *modality, int position,
                   char part)
{
    snprintf(out, cap, "bio:%s:%s:%d:%c", fin, modality, position, part);
}

static int seal(eyni_register *reg, const char *aad, const unsigned char *p, size_t n,
                unsigned char **blob, size_t *len, eyni_error *err)
{
    *blob = NULL;
    *len = 0;
    return p ? eyni_keyring_seal(reg->keys, aad, strlen(aad), p, n, blob, len, err) : 0;
}

static int insert_sample(eyni_register *reg, eyni_db *db, const eyni_actor *a, int64_t pid,
                         const char *fin, const reg_sample *s, eyni_error *err)
{
    char aad_t[96], aad_i[96], now[32];
    unsigned char *bt = NULL, *bi = NULL;
    size_t lt = 0, li = 0;
    aad_of(aad_t, sizeof aad_t, fin, s->modality, s->position, 't');
    aad_of(aad_i, sizeof aad_i, fin, s->modality, s->position, 'i');
    eyni_time_now_iso(now);
    int rc = seal(reg, aad_t, s->tpl, s->tlen, &bt, &lt, err);
    if (rc == 0)
        rc = seal(reg, aad_i, s->img, s->ilen, &bi, &li, err);
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "INSERT INTO biometrics (person_id, modality, position, template,"
                             " image, quality, engine, created_at, created_by)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             &st, err);
    long long id = 0;
    if (rc == 0) {
        const char *tail[] = {s->engine, now, a->id};
        rc = eyni_stmt_bind_int64(st, 1, pid, err);
        if (!rc)
            rc = eyni_stmt_bind_text(st, 2, s->modality, err);
        if (!rc)
            rc = eyni_stmt_bind_int64(st, 3, s->position, err);
        if (!rc)
            rc = eyni_stmt_bind_blob(st, 4, bt, lt, err);
        if (!rc)
            rc = bi ? eyni_stmt_bind_blob(st, 5, bi, li, err) : eyni_stmt_bind_null(st, 5, err);
        if (!rc)
            rc = eyni_stmt_bind_int64(st, 6, s->quality, err);
        if (!rc)
            rc = reg_bind_texts(st, 7, tail, 3, err);
        if (!rc)
            rc = reg_step_id(st, &id, err);
    }
    eyni_stmt_free(st);
    free(bt);
    free(bi);
    if (rc)
        return rc;
    eyni_stmt *ch;
    rc = eyni_db_prepare(
        db, "INSERT INTO gallery_changes (at, op, biometric_id) VALUES (?, 'add', ?)", &ch, err);
    if (rc == 0) {
        rc = eyni_stmt_bind_text(ch, 1, now, err);
        if (!rc)
            rc = eyni_stmt_bind_int64(ch, 2, id, err);
        if (!rc)
            rc = eyni_stmt_step(ch, err);
        eyni_stmt_free(ch);
    }
    return rc < 0 ? rc : 0;
}

int reg_samples_store(eyni_register *reg, eyni_db *db, const eyni_actor *a, int64_t pid,
                      const char *fin, const reg_sample *s, int n, eyni_error *err)
{
    int rc = need_keys(reg, err);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = insert_sample(reg, db, a, pid, fin, &s[i], err);
    return rc;
}

void reg_samples_free(reg_sample *s, int n)
{
    for (int i = 0; s && i < n; i++) {
        free(s[i].tpl);
        free(s[i].img);
    }
    free(s);
}

/* ---- pending enrolments ------------------------------------------------------------- */

int reg_pending_seal(eyni_register *reg, const reg_enrolment *e, unsigned char **blob, size_t *len,
                     eyni_error *err)
{
    return reg_pending_seal_as(reg, REG_PENDING_ENROLMENT, e, blob, len, err);
}

int reg_pending_seal_as(eyni_register *reg, const char *pending_aad, const reg_enrolment *e,
                        unsigned char **blob, size_t *len, eyni_error *err)
{
    int rc = need_keys(reg, err);
    if (rc)
        return rc;
    json_t *samples = json_array();
    for (int i = 0; i < e->n; i++) {
        const reg_sample *s = &e->samples[i];
        char *t = NULL, *im = NULL;
        if (eyni_base64_encode(s->tpl, s->tlen, &t, err) ||
            (s->img && eyni_base64_encode(s->img, s->ilen, &im, err))) {
            free(t);
            json_decref(samples);
            return err ? err->code : EYNI_ENOMEM;
        }
        json_array_append_new(samples,
                              json_pack("{s:s, s:i, s:s?, s:s?, s:i, s:s}", "modality", s->modality,
                                        "position", s->position, "template", t, "image", im,
                                        "quality", s->quality, "engine", s->engine));
        free(t);
        free(im);
    }
    json_t *doc = json_pack("{s:O, s:o}", "person", e->person, "samples", samples);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory sealing an enrolment");
    rc = eyni_keyring_seal(reg->keys, pending_aad, strlen(pending_aad), text, strlen(text), blob,
                           len, err);
    free(text);
    return rc;
}

static int unb64(const char *s, unsigned char **out, size_t *len)
{
    eyni_error ignore;
    return s ? eyni_base64_decode(s, strlen(s), out, len, &ignore) : -1;
}

static int sample_from_json(const json_t *j, reg_sample *s)
{
    snprintf(s->modality, sizeof s->modality, "%s",
             json_string_value(json_object_get(j, "modality")));
    snprintf(s->engine, sizeof s->engine, "%s", json_string_value(json_object_get(j, "engine")));
    s->position = (int)json_integer_value(json_object_get(j, "position"));
    s->quality = (int)json_integer_value(json_object_get(j, "quality"));
    if (unb64(json_string_value(json_object_get(j, "template")), &s->tpl, &s->tlen))
        return -1;
    const char *im = json_string_value(json_object_get(j, "image"));
    return im ? unb64(im, &s->img, &s->ilen) : 0;
}

int reg_pending_open(eyni_register *reg, const unsigned char *blob, size_t len, json_t **person,
                     reg_sample **samples, int *n, eyni_error *err)
{
    return reg_pending_open_as(reg, REG_PENDING_ENROLMENT, blob, len, person, samples, n, err);
}

int reg_pending_open_as(eyni_register *reg, const char *pending_aad, const unsigned char *blob,
                        size_t len, json_t **person, reg_sample **samples, int *n, eyni_error *err)
{
    unsigned char *text = NULL;
    size_t tlen = 0;
    int rc = need_keys(reg, err);
    if (rc == 0)
        rc = eyni_keyring_open(reg->keys, pending_aad, strlen(pending_aad), blob, len, &text, &tlen,
                               err);
    if (rc)
        return rc;
    json_error_t je;
    json_t *doc = json_loadb((const char *)text, tlen, 0, &je);
    free(text);
    json_t *arr = json_object_get(doc, "samples");
    size_t m = json_array_size(arr);
    reg_sample *s = calloc(m ? m : 1, sizeof *s);
    rc = doc && s ? 0 : eyni_error_set(err, EYNI_EINTERNAL, "pending enrolment unreadable");
    for (size_t i = 0; rc == 0 && i < m; i++)
        if (sample_from_json(json_array_get(arr, i), &s[i]))
            rc = eyni_error_set(err, EYNI_EINTERNAL, "pending sample %zu unreadable", i);
    if (rc) {
        reg_samples_free(s, (int)m);
        json_decref(doc);
        return rc;
    }
    *person = json_incref(json_object_get(doc, "person"));
    json_decref(doc);
    *samples = s;
    *n = (int)m;
    return 0;
}

/* ---- enrolment records ---------------------------------------------------------------- */

typedef struct record_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const reg_enrolment *e;
    long long id, case_id;
    char fin[EYNI_FIN_MAX + 1];
} record_arg;

static int insert_enrolment(eyni_db *db, record_arg *x, const unsigned char *pending, size_t plen,
                            eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    char *result = json_dumps(x->e->result, JSON_COMPACT);
    eyni_stmt *st = NULL;
    int rc = result ? eyni_db_prepare(db,
                                      "INSERT INTO enrolments (status, fin, duplicate_of, pending,"
                                      " result, created_at, created_by, agency)"
                                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                      &st, err)
                    : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0) {
        const char *head[] = {x->e->status, x->fin[0] ? x->fin : NULL, x->e->duplicate_of};
        const char *tail[] = {result, now, x->a->id, x->a->agency};
        rc = reg_bind_texts(st, 1, head, 3, err);
        if (!rc)
            rc = pending ? eyni_stmt_bind_blob(st, 4, pending, plen, err)
                         : eyni_stmt_bind_null(st, 4, err);
        if (!rc)
            rc = reg_bind_texts(st, 5, tail, 4, err);
        if (!rc)
            rc = reg_step_id(st, &x->id, err);
    }
    eyni_stmt_free(st);
    free(result);
    return rc;
}

static int open_case(eyni_db *db, record_arg *x, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    char *cands = json_dumps(json_object_get(x->e->result, "candidates"), JSON_COMPACT);
    eyni_stmt *st = NULL;
    int rc = cands ? eyni_db_prepare(db,
                                     "INSERT INTO cases (enrolment_id, status, candidates,"
                                     " opened_at) VALUES (?, 'open', ?, ?) RETURNING id",
                                     &st, err)
                   : eyni_error_set(err, EYNI_EINTERNAL, "a possible duplicate needs candidates");
    if (rc == 0) {
        const char *vals[] = {cands, now};
        rc = eyni_stmt_bind_int64(st, 1, x->id, err);
        if (!rc)
            rc = reg_bind_texts(st, 2, vals, 2, err);
        if (!rc)
            rc = reg_step_id(st, &x->case_id, err);
    }
    eyni_stmt_free(st);
    free(cands);
    return rc;
}

static int record_tx(eyni_db *db, void *p, eyni_error *err)
{
    record_arg *x = p;
    const reg_enrolment *e = x->e;
    int unique = strcmp(e->status, "unique") == 0;
    unsigned char *pending = NULL;
    size_t plen = 0;
    int rc = 0;
    if (unique) {
        json_t *rec = NULL;
        int64_t pid = 0;
        rc = reg_person_insert(x->reg, db, x->a, e->person, "enrolment", &rec, &pid, err);
        if (rc == 0)
            snprintf(x->fin, sizeof x->fin, "%s", json_string_value(json_object_get(rec, "fin")));
        json_decref(rec);
        if (rc == 0)
            rc = reg_samples_store(x->reg, db, x->a, pid, x->fin, e->samples, e->n, err);
    } else {
        rc = reg_pending_seal(x->reg, e, &pending, &plen, err);
    }
    if (rc == 0)
        rc = insert_enrolment(db, x, pending, plen, err);
    free(pending);
    if (rc == 0 && strcmp(e->status, "possible") == 0)
        rc = open_case(db, x, err);
    char obj[32], detail[96];
    snprintf(obj, sizeof obj, "enrolment/%lld", x->id);
    snprintf(detail, sizeof detail, "%s%s%s", e->status, x->fin[0] ? " fin=" : "",
             x->fin[0] ? x->fin : (e->duplicate_of ? e->duplicate_of : ""));
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "enrol", obj, "ok", detail, err);
    return rc;
}

int reg_enrolment_record(eyni_register *reg, const eyni_actor *a, const reg_enrolment *e,
                         long long *id, char fin[EYNI_FIN_MAX + 1], long long *case_id,
                         eyni_error *err)
{
    record_arg x = {reg, a, e, 0, 0, ""};
    int rc = need_keys(reg, err);
    if (rc == 0)
        rc = reg_write_tx(reg, record_tx, &x, err);
    if (rc)
        return rc;
    *id = x.id;
    *case_id = x.case_id;
    snprintf(fin, EYNI_FIN_MAX + 1, "%s", x.fin);
    return 0;
}

/* ---- reading samples back ------------------------------------------------------------- */

/* A removal needs no template (an erased sample has none); an addition of a sample that
 * has been replaced or erased since is skipped, as its removal follows later in the log -
 * so a rebuild never opens a template that is no longer in force. */
static int pass_on(eyni_stmt *st, const char *op, long long change, const char *fin,
                   const char *modality, int position, reg_sample_fn fn, void *ctx, int *skip,
                   eyni_error *err)
{
    *skip = 0;
    if (!strcmp(op, "remove")) {
        *skip = 1;
        int rc = fn(change, op, eyni_stmt_int64(st, 2), fin, modality, position, NULL, 0, ctx);
        return rc ? eyni_error_set(err, rc, "sample consumer stopped at change %lld", change) : 0;
    }
    *skip = !eyni_stmt_is_null(st, 7);
    return 0;
}

static int each_row(eyni_register *reg, eyni_stmt *st, reg_keep_fn keep, reg_sample_fn fn,
                    void *ctx, long long *last, eyni_error *err)
{
    int rc;
    while ((rc = eyni_stmt_step(st, err)) == 1) {
        const char *fin = eyni_stmt_text(st, 3), *modality = eyni_stmt_text(st, 4);
        if (keep && !keep(fin, ctx)) { /* not opened: another node's shard */
            if (last)
                *last = eyni_stmt_int64(st, 0);
            continue;
        }
        int position = (int)eyni_stmt_int64(st, 5), skip = 0;
        rc = pass_on(st, eyni_stmt_text(st, 1), eyni_stmt_int64(st, 0), fin, modality, position, fn,
                     ctx, &skip, err);
        if (rc)
            return rc;
        if (skip) {
            if (last)
                *last = eyni_stmt_int64(st, 0);
            continue;
        }
        size_t n = 0;
        const unsigned char *blob = eyni_stmt_blob(st, 6, &n);
        char aad[96];
        aad_of(aad, sizeof aad, fin, modality, position, 't');
        unsigned char *tpl = NULL;
        size_t tlen = 0;
        rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, n, &tpl, &tlen, err);
        if (rc)
            return eyni_error_prefix(err, "sample %lld of %s: ", (long long)eyni_stmt_int64(st, 2),
                                     fin);
        long long change = eyni_stmt_int64(st, 0);
        rc = fn(change, eyni_stmt_text(st, 1), eyni_stmt_int64(st, 2), fin, modality, position, tpl,
                tlen, ctx);
        memset(tpl, 0, tlen);
        free(tpl);
        if (rc)
            return eyni_error_set(err, rc, "sample consumer stopped at change %lld", change);
        if (last)
            *last = change;
    }
    return rc;
}

int reg_changes_each(eyni_register *reg, long long after, reg_keep_fn keep, reg_sample_fn fn,
                     void *ctx, long long *last, eyni_error *err)
{
    int rc = need_keys(reg, err);
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(
        db,
        "SELECT c.id, c.op, b.id, p.fin, b.modality, b.position, b.template,"
        " b.replaced_at FROM gallery_changes c JOIN biometrics b ON b.id = c.biometric_id"
        " JOIN persons p ON p.id = b.person_id WHERE c.id > ? ORDER BY c.id",
        &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, after, err);
    *last = after;
    if (rc == 0)
        rc = each_row(reg, st, keep, fn, ctx, last, err);
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

int reg_samples_of(eyni_register *reg, const char *fin, const char *modality, reg_sample_fn fn,
                   void *ctx, eyni_error *err)
{
    int rc = need_keys(reg, err);
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db,
                         "SELECT 0, 'add', b.id, p.fin, b.modality, b.position, b.template,"
                         " b.replaced_at FROM biometrics b JOIN persons p ON p.id = b.person_id"
                         " WHERE p.fin = ? AND b.modality = ? AND b.replaced_at IS NULL"
                         " ORDER BY b.position, b.id",
                         &st, err);
    const char *vals[] = {fin, modality};
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0)
        rc = each_row(reg, st, NULL, fn, ctx, NULL, err);
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}
