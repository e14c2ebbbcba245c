/* Voice in the identity service: the speaker model, one pooled reference per person, the
 * quality gate of a recording, and 1:N search. The engine is src/voice (docs/voice.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

/* A recording's quality score: seconds of detected speech against VOICE_GOOD_SPEECH, in
 * percent. Recordings that fail the engine's checks never get a score: they are refused. */
#define VOICE_GOOD_SPEECH 2.0

/* silero-vad from the face models' directory (or the default one). */
static int open_vad(eyni_identity *id, eyni_error *err)
{
    char path[4200];
    if (id->opts.model_dir)
        snprintf(path, sizeof path, "%s/%s", id->opts.model_dir, EYNI_VOICE_SILERO_FILE);
    return eyni_voice_vad_open(id->env, id->opts.model_dir ? path : NULL, &id->vad, err);
}

int id_voice_open(eyni_identity *id, eyni_error *err)
{
    const char *path = id->opts.voice_model;
    (void)err;
    eyni_error e;
    if (id->opts.voice_vad && !strcmp(id->opts.voice_vad, "silero") && open_vad(id, &e) != 0) {
        snprintf(id->voice_why, sizeof id->voice_why,
                 "voice.vad = silero but the detector cannot be used (%.300s)", e.msg);
        eyni_log_write(id->opts.log, EYNI_LOG_WARN, "voice", "%s", id->voice_why);
        return 0;
    }
    if (!path || !path[0]) {
        snprintf(id->voice_why, sizeof id->voice_why,
                 "no speaker model is configured (voice.model); train one with `eyni voice "
                 "train DIR` and restart");
        return 0;
    }
    if (eyni_voice_model_read(path, &id->voice, &e) == 0)
        return 0;
    /* Face and fingers stay available; every voice sample is refused with the reason. */
    snprintf(id->voice_why, sizeof id->voice_why,
             "speaker model %.200s cannot be used (%.200s); train one with `eyni voice train "
             "DIR`",
             path, e.msg);
    eyni_log_write(id->opts.log, EYNI_LOG_WARN, "voice", "%s", id->voice_why);
    return 0;
}

void id_voice_close(eyni_identity *id)
{
    for (size_t i = 0; i < id->n_voices; i++)
        eyni_voice_ref_free(id->voices[i].ref);
    free(id->voices);
    free(id->voice_stale);
    eyni_voice_model_free(id->voice);
    eyni_voice_vad_free(id->vad);
}

/* A person's entry; samples of one enrolment arrive together, so the last entry is checked
 * first and the scan is the exception. */
static id_voice *voice_of(eyni_identity *id, const char *fin)
{
    if (id->n_voices && !strcmp(id->voices[id->n_voices - 1].fin, fin))
        return &id->voices[id->n_voices - 1];
    for (size_t i = 0; i < id->n_voices; i++)
        if (!strcmp(id->voices[i].fin, fin))
            return &id->voices[i];
    return NULL;
}

static int voice_append(eyni_identity *id, const char *fin, eyni_voice_ref *r, eyni_error *err)
{
    if (id->n_voices == id->cap_voices) {
        size_t cap = id->cap_voices ? id->cap_voices * 2 : 256;
        id_voice *v = realloc(id->voices, cap * sizeof *v);
        if (!v)
            return eyni_error_set(err, EYNI_ENOMEM, "out of memory for voice references");
        id->voices = v;
        id->cap_voices = cap;
    }
    id_voice *v = &id->voices[id->n_voices++];
    snprintf(v->fin, sizeof v->fin, "%s", fin);
    v->ref = r;
    return 0;
}

int id_voice_add(eyni_identity *id, const char *fin, const unsigned char *tpl, size_t tlen,
                 eyni_error *err)
{
    eyni_voice_ref *r = NULL;
    eyni_error why;
    /* A sample made under another model (or none loaded) cannot be scored; it stays in the
     * register with its recording and is counted, so that an operator sees it in stats. */
    if (!id->voice || eyni_voice_ref_load(id->voice, tpl, tlen, fin, &r, &why) != 0) {
        id->voice_unusable++;
        return 0;
    }
    id_voice *v = voice_of(id, fin);
    int rc = v ? eyni_voice_ref_merge(id->voice, v->ref, r, err) : voice_append(id, fin, r, err);
    if (v || rc)
        eyni_voice_ref_free(r);
    if (rc == EYNI_ELIMIT) { /* a reference of 1000 recordings needs no more */
        id->voice_unusable++;
        rc = 0;
    }
    return rc;
}

static void voice_drop(eyni_identity *id, const char *fin)
{
    id_voice *v = voice_of(id, fin);
    if (!v)
        return;
    eyni_voice_ref_free(v->ref);
    *v = id->voices[--id->n_voices];
}

int id_voice_stale(eyni_identity *id, const char *fin, eyni_error *err)
{
    if (!id->voice) { /* nothing pooled: the sample was only counted as unusable */
        id->voice_unusable -= id->voice_unusable > 0;
        return 0;
    }
    voice_drop(id, fin);
    for (size_t i = 0; i < id->n_stale; i++)
        if (!strcmp(id->voice_stale[i], fin))
            return 0;
    if (id->n_stale == id->cap_stale) {
        size_t cap = id->cap_stale ? id->cap_stale * 2 : 16;
        char(*s)[EYNI_FIN_MAX + 1] = realloc(id->voice_stale, cap * sizeof *s);
        if (!s)
            return eyni_error_set(err, EYNI_ENOMEM, "out of memory for voice references");
        id->voice_stale = s;
        id->cap_stale = cap;
    }
    snprintf(id->voice_stale[id->n_stale++], EYNI_FIN_MAX + 1, "%s", fin);
    return 0;
}

/* Pools a sample into the reference again if the galleries hold it: one the change log has
 * not reached yet is pooled when the sync gets there. */
static int repool(long long change, const char *op, long long bio, const char *fin,
                  const char *modality, int position, const unsigned char *tpl, size_t tlen,
                  void *ctx)
{
    (void)change, (void)op, (void)modality, (void)position;
    eyni_identity *id = ctx;
    eyni_error err;
    return id_owner_of(id, bio) ? (id_voice_add(id, fin, tpl, tlen, &err) ? err.code : 0) : 0;
}

int id_voice_refresh(eyni_identity *id, eyni_error *err)
{
    int rc = 0;
    while (rc == 0 && id->n_stale > 0) {
        const char *fin = id->voice_stale[id->n_stale - 1];
        voice_drop(id, fin); /* may hold samples added after the removal */
        rc = reg_samples_of(id->reg, fin, "voice", repool, id, err);
        if (rc == 0)
            id->n_stale--;
    }
    return rc;
}

static json_t *voice_report(const char *name, int ok, int score, const eyni_voice_audio *a,
                            const char *reason)
{
    json_t *r = json_pack("{s:s, s:s, s:b}", "sample", name, "modality", "voice", "ok", ok);
    if (a) {
        json_object_set_new(r, "score", json_integer(score));
        json_object_set_new(r, "seconds",
                            json_real(round(eyni_voice_audio_seconds(a) * 1000) / 1000));
        json_object_set_new(r, "speech_seconds",
                            json_real(round(eyni_voice_audio_speech_seconds(a) * 1000) / 1000));
    }
    if (reason)
        json_object_set_new(r, "reason", json_string(reason));
    return r;
}

/* The stored template is the recording's own reference (its Baum-Welch statistics under
 * the model), so that a person's samples can be pooled and the model id travels with it. */
static int voice_template(eyni_identity *id, const eyni_voice_audio *a, id_probe *p,
                          eyni_error *err)
{
    eyni_voice_ref *r = NULL;
    int rc = eyni_voice_enrol(id->voice, &a, 1, &r, err);
    if (rc == 0)
        rc = eyni_voice_ref_save(r, &p->tpl, &p->tlen, err);
    eyni_voice_ref_free(r);
    return rc;
}

int id_voice_pool(eyni_identity *id, id_probe *p, int n, eyni_error *err)
{
    const eyni_voice_audio *a[EYNI_IDENTITY_MAX_SAMPLES];
    int k = 0, first = -1, rc = 0;
    for (int i = 0; i < n; i++)
        if (p[i].audio) {
            first = first < 0 ? i : first;
            a[k++] = p[i].audio;
        }
    if (k)
        rc = eyni_voice_probe_pool(id->voice, a, (size_t)k, &p[first].voice, err);
    for (int i = 0; i < n; i++) {
        eyni_voice_audio_free(p[i].audio);
        p[i].audio = NULL;
    }
    return rc;
}

int id_voice_probe(eyni_identity *id, const eyni_sample_in *s, id_probe *p, const char *name,
                   eyni_error *err)
{
    if (!id->voice)
        return eyni_error_set(err, EYNI_EMODEL, "%s refused: %s", name, id->voice_why);
    eyni_voice_audio *a = NULL;
    eyni_voice_reason why = EYNI_VOICE_REASON_NONE;
    int rc = eyni_voice_audio_decode_vad(s->data, s->len, name, id->vad, &a, &why, err);
    if (rc) {
        p->report = voice_report(name, 0, 0, NULL, eyni_voice_reason_name(why));
        return rc; /* the message names the sample and the reason */
    }
    double q = 100.0 * eyni_voice_audio_speech_seconds(a) / VOICE_GOOD_SPEECH;
    p->quality = q > 100 ? 100 : (int)(q + 0.5);
    p->report = voice_report(name, 1, p->quality, a, NULL);
    p->audio = a; /* pooled with the request's other recordings by id_voice_pool */
    rc = voice_template(id, a, p, err);
    return rc ? eyni_error_prefix(err, "%s: ", name) : 0;
}

double id_voice_evidence(const eyni_voice_model *m, double score)
{
    if (!m || isnan(score))
        return 0;
    double fmr = eyni_voice_model_score_fmr(m, score);
    double e = -log10(fmr < 1e-6 ? 1e-6 : fmr > 1 ? 1 : fmr);
    return e < 0 ? 0 : e;
}

int id_voice_search(eyni_identity *id, const id_probe *p,
                    void (*fn)(const char *fin, double score, void *ctx), void *ctx,
                    eyni_error *err)
{
    if (!id->voice || !p->voice || id->n_voices == 0)
        return 0;
    const eyni_voice_ref **refs = malloc(id->n_voices * sizeof *refs);
    if (!refs)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory searching voices");
    for (size_t i = 0; i < id->n_voices; i++)
        refs[i] = id->voices[i].ref;
    eyni_voice_candidate best[ID_SEARCH_K];
    size_t n = 0;
    int rc =
        eyni_voice_identify(id->voice, refs, id->n_voices, p->voice, 0, best, ID_SEARCH_K, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        fn(id->voices[best[i].index].fin, best[i].score, ctx);
    free(refs);
    return rc;
}
