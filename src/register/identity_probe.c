/* Samples as they arrive -> templates: decode, quality gate, extraction. A sample that
 * fails its gate stops the request with the reasons an operator can act on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

/*
 * The enrolment gate asks for a face the matcher can use, not an ICAO passport portrait
 * (that check is reported as advice and applies when a document photo is taken): a face
 * must be found with confidence, sharp, at least ID_MIN_EYE_PX between the eyes, turned
 * less than ID_MAX_YAW, and not sharing the picture with another face of similar size.
 */
#define ID_MIN_EYE_PX 20.0
#define ID_MAX_YAW    50.0
#define ID_BLOCKING   (EYNI_FACE_NO_FACE | EYNI_FACE_LOW_CONFIDENCE | EYNI_FACE_BLURRED)

static unsigned blocking(eyni_identity *id, const eyni_image *img, const eyni_face_quality *q,
                         eyni_error *err)
{
    unsigned b = q->reasons & ID_BLOCKING;
    if (q->faces > 0 && q->eye_distance < ID_MIN_EYE_PX)
        b |= EYNI_FACE_TOO_SMALL;
    if (q->faces > 0 && (q->yaw > ID_MAX_YAW || q->yaw < -ID_MAX_YAW))
        b |= EYNI_FACE_YAW;
    if (q->faces > 1) {
        eyni_face_det d[EYNI_FACE_MAX_FACES];
        size_t n = 0;
        if (eyni_face_detect(id->face, img, d, EYNI_FACE_MAX_FACES, &n, err) == 0 && n > 1) {
            /* faces come largest first: a second one half as tall is another applicant */
            if (d[1].y2 - d[1].y1 >= 0.5f * (d[0].y2 - d[0].y1))
                b |= EYNI_FACE_MULTIPLE_FACES;
        }
    }
    return b;
}

static json_t *face_reasons(unsigned reasons, unsigned blocks)
{
    json_t *list = json_array();
    for (int i = 0; i < EYNI_FACE_REASON_COUNT; i++) {
        unsigned bit = 1u << i;
        if ((reasons | blocks) & bit)
            json_array_append_new(
                list, json_pack("{s:s, s:s, s:b}", "reason", eyni_face_reason_name(bit), "advice",
                                eyni_face_reason_advice(bit), "blocking", (blocks & bit) != 0));
    }
    return list;
}

static int face_probe(eyni_identity *id, const eyni_image *img, id_probe *p, const char *name,
                      eyni_error *err)
{
    eyni_face_quality q;
    int rc = eyni_face_quality_check(id->face, img, &q, err);
    if (rc)
        return eyni_error_prefix(err, "%s: ", name);
    unsigned blocks = blocking(id, img, &q, err);
    p->quality = (int)(q.score + 0.5);
    p->report = json_pack("{s:s, s:s, s:b, s:b, s:i, s:o}", "sample", name, "modality", "face",
                          "ok", !blocks, "icao_portrait", q.ok, "score", p->quality, "reasons",
                          face_reasons(q.reasons, blocks));
    if (blocks) {
        char list[512] = "";
        for (int b = 0; b < EYNI_FACE_REASON_COUNT; b++)
            if (blocks & (1u << b))
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         list[0] ? ", " : "", eyni_face_reason_name(1u << b));
        return eyni_error_set(err, EYNI_EQUALITY, "%s rejected by the quality gate: %s", name,
                              list);
    }
    rc = eyni_face_embed(id->face, img, &q.face, p->emb, err);
    p->tlen = EYNI_FACE_TEMPLATE_BYTES;
    p->tpl = rc ? NULL : malloc(p->tlen);
    if (rc == 0 && !p->tpl)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        rc = eyni_face_template_encode(p->emb, p->tpl, p->tlen, &p->tlen, err);
    return rc;
}

static int finger_probe(eyni_identity *id, const eyni_image *img, id_probe *p, const char *name,
                        eyni_error *err)
{
    eyni_finger_opts fo = {0, p->position};
    eyni_finger_quality q;
    int rc = eyni_finger_extract(img, &fo, &p->finger, &q, err);
    if (rc)
        return eyni_error_prefix(err, "%s: ", name);
    p->quality = q.score;
    p->report = json_pack("{s:s, s:s, s:i, s:b, s:i, s:i}", "sample", name, "modality", "finger",
                          "position", p->position, "ok", q.score >= id->opts.finger_min_quality,
                          "score", q.score, "minutiae", q.minutiae);
    if (q.score < id->opts.finger_min_quality)
        return eyni_error_set(err, EYNI_EQUALITY,
                              "%s rejected: fingerprint quality %d is below %d (blank, smudged "
                              "or partial image; capture again)",
                              name, q.score, id->opts.finger_min_quality);
    return eyni_finger_template_write(p->finger, EYNI_FINGER_ISO, &p->tpl, &p->tlen, err);
}

static void probe_free(id_probe *p)
{
    eyni_finger_template_free(p->finger);
    eyni_voice_probe_free(p->voice);
    eyni_voice_audio_free(p->audio);
    free(p->tpl);
    json_decref(p->report);
}

static int one_probe(eyni_identity *id, const eyni_sample_in *s, int index, id_probe *p,
                     eyni_error *err)
{
    char name[48];
    int face = s->modality && !strcmp(s->modality, "face");
    int finger = s->modality && !strcmp(s->modality, "finger");
    int voice = s->modality && !strcmp(s->modality, "voice");
    if (finger)
        snprintf(name, sizeof name, "finger %d", s->position);
    else if (voice)
        snprintf(name, sizeof name, "voice sample %d", index + 1);
    else
        snprintf(name, sizeof name, "face");
    if (!face && !finger && !voice)
        return eyni_error_set(err, EYNI_EFORMAT, "modality '%.16s' is not face, finger or voice",
                              s->modality ? s->modality : "");
    if (finger && (s->position < 1 || s->position > 10))
        return eyni_error_set(err, EYNI_EFORMAT, "finger position %d is not an ISO/ANSI code 1..10",
                              s->position);
    if (s->len > EYNI_IDENTITY_MAX_SAMPLE_BYTES)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: %zu bytes exceeds %d", name, s->len,
                              EYNI_IDENTITY_MAX_SAMPLE_BYTES);
    snprintf(p->modality, sizeof p->modality, "%s", s->modality);
    p->position = finger ? s->position : 0;
    if (voice)
        return id_voice_probe(id, s, p, name, err);
    eyni_image *img = NULL;
    int rc = eyni_image_decode(s->data, s->len, face ? 3 : 1, &img, err);
    if (rc)
        return eyni_error_prefix(err, "%s: ", name);
    rc = face ? face_probe(id, img, p, name, err) : finger_probe(id, img, p, name, err);
    eyni_image_free(img);
    return rc;
}

/* The minutiae an operator can see drawn over the image: x, y in image pixels, angle in
 * degrees (ISO: counter-clockwise from the x axis), type ending/bifurcation/other. */
static json_t *minutiae_json(const eyni_finger_template *t)
{
    static const char *const kinds[] = {"other", "ending", "bifurcation"};
    json_t *list = json_array();
    for (int i = 0; t && i < t->n_minutiae; i++) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        int type = m->type >= 0 && m->type <= 2 ? m->type : 0;
        json_array_append_new(list,
                              json_pack("{s:i, s:i, s:i, s:s}", "x", m->x, "y", m->y, "angle",
                                        (int)lround(m->angle * 180.0 / M_PI), "type", kinds[type]));
    }
    return list;
}

int id_probe_report(eyni_identity *id, const eyni_sample_in *s, json_t **out, eyni_error *err)
{
    id_probe p;
    memset(&p, 0, sizeof p);
    int rc = one_probe(id, s, 0, &p, err);
    if (rc && rc != EYNI_EQUALITY) {
        probe_free(&p);
        return rc;
    }
    if (!p.report) /* a finger with no usable area at all */
        p.report = json_pack("{s:s, s:i, s:b, s:i, s:i}", "modality", "finger", "position",
                             s->position, "ok", 0, "score", 0, "minutiae", 0);
    json_object_set_new(p.report, "message", json_string(rc ? err->msg : ""));
    if (p.finger)
        json_object_set_new(p.report, "points", minutiae_json(p.finger));
    *out = json_incref(p.report);
    probe_free(&p);
    return 0;
}

void id_probes_free(id_probe *p, int n)
{
    for (int i = 0; p && i < n; i++)
        probe_free(&p[i]);
    free(p);
}

int id_probes_make(eyni_identity *id, const eyni_sample_in *s, int n, id_probe **out,
                   eyni_error *err)
{
    if (n < 1 || n > EYNI_IDENTITY_MAX_SAMPLES)
        return eyni_error_set(err, EYNI_EINVAL, "between 1 and %d samples are needed",
                              EYNI_IDENTITY_MAX_SAMPLES);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(s[i].modality ? s[i].modality : "", s[j].modality ? s[j].modality : "") &&
                s[i].position == s[j].position && !strcmp(s[i].modality, "finger"))
                return eyni_error_set(err, EYNI_EFORMAT, "finger %d given twice", s[i].position);
    id_probe *p = calloc((size_t)n, sizeof *p);
    if (!p)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = one_probe(id, &s[i], i, &p[i], err);
    if (rc == 0)
        rc = id_voice_pool(id, p, n, err);
    if (rc) {
        id_probes_free(p, n);
        return rc;
    }
    *out = p;
    return 0;
}
