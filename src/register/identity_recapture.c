/* Re-capture and legal erasure of an enrolled person's samples (docs/identity.md). Both
 * run like an enrolment: inside the enrolment section, with the galleries caught up before
 * and after one store transaction, so the galleries of every node match the store after
 * each of them - and after a crash, as they are rebuilt from the same change log. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

#define DETAIL_MAX 480

static int reason_ok(const char *reason, const char *why, eyni_error *err)
{
    size_t n = reason ? strlen(reason) : 0, blank = 0;
    while (blank < n && isspace((unsigned char)reason[blank]))
        blank++;
    if (blank == n)
        return eyni_error_set(err, EYNI_EINVAL, "a reason is required: %s", why);
    if (n > EYNI_TEXT_MAX || !eyni_utf8_valid(reason, n))
        return eyni_error_set(err, EYNI_EFORMAT, "the reason must be at most %d bytes of text",
                              EYNI_TEXT_MAX);
    return 0;
}

static int fin_ok(eyni_identity *id, const char *fin, eyni_error *err)
{
    return fin && reg_fin_wellformed(id->reg, fin)
               ? 0
               : eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a FIN", fin ? fin : "");
}

/* Runs fn inside the enrolment section with the galleries caught up before and after, so
 * no enrolment or other change interleaves with it on any node. */
static int in_section(eyni_identity *id, int (*fn)(eyni_identity *, void *, eyni_error *),
                      void *arg, eyni_error *err)
{
    pthread_mutex_lock(&id->enrol);
    eyni_db *section = NULL;
    int rc =
        eyni_store_section_enter(eyni_register_store(id->reg), ID_ENROL_SECTION, &section, err);
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    if (rc == 0)
        rc = fn(id, arg, err);
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    if (section)
        eyni_store_section_leave(eyni_register_store(id->reg), section);
    pthread_mutex_unlock(&id->enrol);
    return rc;
}

/* ---- re-capture ----------------------------------------------------------------------- */

typedef struct update_arg {
    const eyni_actor *a;
    const char *fin, *reason;
    const eyni_sample_in *s;
    const id_probe *p;
    int n;
    int replaced;
    json_t *continuity;
    char detail[DETAIL_MAX];
} update_arg;

/* 1 when sample i repeats the modality and position of an earlier one (several voice
 * recordings, two faces): its slot is already retired. */
static int slot_seen(const reg_sample *rs, int i)
{
    for (int k = 0; k < i; k++)
        if (!strcmp(rs[k].modality, rs[i].modality) && rs[k].position == rs[i].position)
            return 1;
    return 0;
}

typedef struct update_tx_arg {
    eyni_register *reg;
    update_arg *x;
    const reg_sample *rs;
} update_tx_arg;

static int update_tx(eyni_db *db, void *p, eyni_error *err)
{
    update_tx_arg *t = p;
    update_arg *x = t->x;
    int64_t pid = 0;
    json_t *rec = NULL;
    int rc = reg_person_load(db, x->fin, &pid, &rec, err);
    json_decref(rec);
    x->replaced = 0;
    for (int i = 0; rc == 0 && i < x->n; i++) {
        if (slot_seen(t->rs, i))
            continue;
        reg_retire r = {t->rs[i].modality, t->rs[i].position, x->reason, 0, 0, 0};
        rc = reg_samples_retire(db, x->a, pid, &r, err);
        x->replaced += r.removed;
    }
    if (rc == 0)
        rc = reg_samples_store(t->reg, db, x->a, pid, x->fin, t->rs, x->n, err);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "biometric.update", x->fin, "ok", x->detail, err);
    return rc;
}

/* "face, finger 2, voice" */
static void slots_text(const id_probe *p, int n, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < n && off < cap; i++) {
        int dup = 0;
        for (int k = 0; k < i; k++)
            dup |= !strcmp(p[k].modality, p[i].modality) && p[k].position == p[i].position;
        if (dup)
            continue;
        int w = p[i].position
                    ? snprintf(out + off, cap - off, "%s%s %d", off ? ", " : "", p[i].modality,
                               p[i].position)
                    : snprintf(out + off, cap - off, "%s%s", off ? ", " : "", p[i].modality);
        off += w > 0 ? (size_t)w : 0;
    }
}

/* The person's own line in the candidates says how well the new samples match the old
 * ones; another person from the case threshold up refuses the re-capture. */
static const json_t *other_match(const eyni_identity *id, const json_t *cands, const char *fin,
                                 json_t **own)
{
    const json_t *other = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        const char *f = json_string_value(json_object_get(c, "fin"));
        if (f && !strcmp(f, fin)) {
            if (!*own)
                *own = json_pack("{s:O, s:O}", "score", json_object_get(c, "score"), "scores",
                                 json_object_get(c, "scores"));
        } else if (!other && json_real_value(json_object_get(c, "score")) >= id->opts.possible_at) {
            other = c;
        }
    }
    return other;
}

static int refuse(eyni_identity *id, const eyni_actor *a, const char *fin, const char *detail,
                  eyni_error *err)
{
    eyni_error aerr;
    int code = err->code;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    if (eyni_register_audit_event(id->reg, a, "biometric.update", fin, "refused", detail, &aerr))
        return eyni_error_set(err, aerr.code, "%s", aerr.msg);
    return eyni_error_set(err, code, "%s", msg);
}

/* Search, refusal or record: the part that runs in the enrolment section. */
static int update_locked(eyni_identity *id, void *arg, eyni_error *err)
{
    update_arg *x = arg;
    json_t *cands = NULL, *missing = NULL;
    int rc = id_search(id, x->a, x->s, x->p, x->n, &cands, &missing, err);
    const json_t *other = rc == 0 ? other_match(id, cands, x->fin, &x->continuity) : NULL;
    char slots[160];
    slots_text(x->p, x->n, slots, sizeof slots);
    if (rc == 0 && json_array_size(missing)) {
        eyni_error_set(err, EYNI_ECONFLICT,
                       "%zu gallery shards could not be searched (their nodes are down): "
                       "nothing was changed; retry when they are back",
                       json_array_size(missing));
        rc = refuse(id, x->a, x->fin, "gallery shards not searched", err);
    }
    if (rc == 0 && other) {
        const char *ofin = json_string_value(json_object_get(other, "fin"));
        double score = json_real_value(json_object_get(other, "score"));
        char detail[DETAIL_MAX];
        snprintf(detail, sizeof detail, "%s match FIN %s (score %.2f)", slots, ofin, score);
        eyni_error_set(err, EYNI_ECONFLICT,
                       "the new samples match another person, FIN %s (score %.2f, threshold "
                       "%.2f): a re-capture cannot take over another identity; nothing was "
                       "changed",
                       ofin, score, id->opts.possible_at);
        rc = refuse(id, x->a, x->fin, detail, err);
    }
    if (!x->continuity && rc == 0)
        x->continuity = json_pack("{s:f, s:{}}", "score", 0.0, "scores");
    if (rc == 0) {
        snprintf(x->detail, sizeof x->detail, "%s; continuity %.2f; reason: %.300s", slots,
                 json_real_value(json_object_get(x->continuity, "score")), x->reason);
        reg_sample *rs = id_reg_samples(x->s, x->p, x->n);
        update_tx_arg t = {id->reg, x, rs};
        rc = rs ? reg_write_tx(id->reg, update_tx, &t, err)
                : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
        free(rs);
    }
    json_decref(cands);
    json_decref(missing);
    return rc;
}

static json_t *update_reply(const update_arg *x)
{
    json_t *samples = json_array(), *quality = json_array();
    for (int i = 0; i < x->n; i++) {
        json_array_append_new(samples, json_pack("{s:s, s:i}", "modality", x->p[i].modality,
                                                 "position", x->p[i].position));
        json_array_append(quality, x->p[i].report);
    }
    return json_pack("{s:s, s:i, s:i, s:o, s:O, s:o}", "fin", x->fin, "replaced", x->replaced,
                     "added", x->n, "samples", samples, "continuity", x->continuity, "quality",
                     quality);
}

int eyni_identity_biometrics_update(eyni_identity *id, const eyni_actor *a, const char *fin,
                                    const eyni_sample_in *s, int n, const char *reason,
                                    json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_BIOMETRIC_UPDATE, fin ? fin : "", err);
    if (rc == 0)
        rc = fin_ok(id, fin, err);
    if (rc == 0)
        rc = reason_ok(reason, "why the samples are captured again", err);
    if (rc == 0)
        rc = id_person_known(id, fin, err);
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, s, n, &p, err);
    if (rc)
        return rc;
    update_arg x = {a, fin, reason, s, p, n, 0, NULL, ""};
    rc = in_section(id, update_locked, &x, err);
    if (rc == 0)
        *out = update_reply(&x);
    json_decref(x.continuity);
    id_probes_free(p, n);
    return rc;
}

/* ---- erasure -------------------------------------------------------------------------- */

typedef struct erase_arg {
    const eyni_actor *a;
    const char *fin;
    reg_retire r;
} erase_arg;

static int erase_tx(eyni_db *db, void *p, eyni_error *err)
{
    erase_arg *x = p;
    int64_t pid = 0;
    json_t *rec = NULL;
    int rc = reg_person_load(db, x->fin, &pid, &rec, err);
    json_decref(rec);
    if (rc == 0)
        rc = reg_samples_retire(db, x->a, pid, &x->r, err);
    if (rc == 0 && x->r.erased == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "FIN %s has no stored %s samples%s to erase",
                            x->fin, x->r.modality ? x->r.modality : "face, finger or voice",
                            x->r.position ? " at that finger position" : "");
    char detail[DETAIL_MAX], pos[8] = "";
    if (x->r.position)
        snprintf(pos, sizeof pos, " %d", x->r.position);
    snprintf(detail, sizeof detail, "%s%s: %d erased, %d removed from galleries; reason: %.300s",
             x->r.modality ? x->r.modality : "all", pos, x->r.erased, x->r.removed, x->r.reason);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "biometric.erase", x->fin, "ok", detail, err);
    return rc;
}

static int erase_locked(eyni_identity *id, void *arg, eyni_error *err)
{
    erase_arg *x = arg;
    x->r.removed = x->r.erased = 0;
    return reg_write_tx(id->reg, erase_tx, x, err);
}

static int scope_ok(const char *modality, int position, eyni_error *err)
{
    if (modality && strcmp(modality, "face") && strcmp(modality, "finger") &&
        strcmp(modality, "voice"))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "modality '%.16s' is not face, finger or voice (DNA profiles are "
                              "removed by the DNA service)",
                              modality);
    if (position && (!modality || strcmp(modality, "finger") || position < 1 || position > 10))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "finger position %d: a position (1..10) goes with modality finger "
                              "only",
                              position);
    return 0;
}

int eyni_identity_biometrics_erase(eyni_identity *id, const eyni_actor *a, const char *fin,
                                   const char *modality, int position, const char *reason,
                                   json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_BIOMETRIC_ERASE, fin ? fin : "", err);
    if (rc == 0)
        rc = fin_ok(id, fin, err);
    if (rc == 0)
        rc = scope_ok(modality, position, err);
    if (rc == 0)
        rc = reason_ok(reason, "the legal ground of the erasure (e.g. the court order)", err);
    if (rc)
        return rc;
    erase_arg x = {a, fin, {modality, position, reason, 1, 0, 0}};
    rc = in_section(id, erase_locked, &x, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s?, s:i, s:i, s:i}", "fin", fin, "modality", modality, "position",
                         position, "erased", x.r.erased, "removed_from_galleries", x.r.removed);
    return rc;
}
