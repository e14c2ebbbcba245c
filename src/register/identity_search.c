/* Search, fusion and the three services: enrol (with de-duplication), verify, identify. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

#define SHORTLIST 20 /* candidates whose missing scores are computed from their templates */

double id_face_evidence(float score)
{
    double fmr = eyni_face_score_fmr(score);
    double e = -log10(fmr < 1e-6 ? 1e-6 : fmr > 1 ? 1 : fmr);
    return e < 0 ? 0 : e;
}

/* The finger engine states its thresholds at FMR 1e-2, 1e-3, 1e-4: evidence is linear in
 * the score between them, 0 at score 0, and continues the last slope above 1e-4 up to the
 * 1e-6 floor every modality shares. */
double id_finger_evidence(double s)
{
    static const double t[] = {0, EYNI_FINGER_THRESHOLD_FMR_1E2, EYNI_FINGER_THRESHOLD_FMR_1E3,
                               EYNI_FINGER_THRESHOLD_FMR_1E4};
    static const double e[] = {0, 2, 3, 4};
    if (s <= 0)
        return 0;
    for (int i = 1; i < 4; i++)
        if (s <= t[i])
            return e[i - 1] + (s - t[i - 1]) * (e[i] - e[i - 1]) / (t[i] - t[i - 1]);
    double v = 4 + (s - t[3]) / (t[3] - t[2]);
    return v > EYNI_IDENTITY_EVIDENCE_MAX ? EYNI_IDENTITY_EVIDENCE_MAX : v;
}

typedef struct cand {
    char fin[EYNI_FIN_MAX + 1];
    float face;                  /* best face score, or NAN when not compared */
    double finger[ID_POSITIONS]; /* best score per position, NAN when not compared */
    double voice;                /* best voice score, or NAN when not compared */
    double evidence;
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cand_list;

static cand *cand_of(cand_list *c, const char *fin)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].fin, fin))
            return &c->v[i];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        cand *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return NULL;
        c->v = v;
        c->cap = cap;
    }
    cand *x = &c->v[c->n++];
    snprintf(x->fin, sizeof x->fin, "%s", fin);
    x->face = NAN;
    for (int p = 0; p < ID_POSITIONS; p++)
        x->finger[p] = NAN;
    x->voice = NAN;
    x->evidence = 0;
    return x;
}

static void evidence_of(const eyni_identity *id, cand *c)
{
    c->evidence = isnan(c->face) ? 0 : id_face_evidence(c->face);
    for (int p = 0; p < ID_POSITIONS; p++)
        if (!isnan(c->finger[p]))
            c->evidence += id_finger_evidence(c->finger[p]);
    c->evidence += id_voice_evidence(id->voice, c->voice);
}

/* Sum of the raw scores: orders candidates whose evidence is equal because it reached the
 * floor every modality shares (two excellent matches are both 1e-6 by that measure). */
static double raw_sum(const cand *c)
{
    double s = isnan(c->face) ? 0 : c->face;
    for (int p = 0; p < ID_POSITIONS; p++)
        s += isnan(c->finger[p]) ? 0 : c->finger[p];
    return s + (isnan(c->voice) ? 0 : c->voice);
}

static int by_evidence(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->evidence != y->evidence)
        return x->evidence < y->evidence ? 1 : -1;
    double rx = raw_sum(x), ry = raw_sum(y);
    if (rx != ry)
        return rx < ry ? 1 : -1;
    return strcmp(x->fin, y->fin);
}

typedef struct voice_fold {
    cand_list *c;
    int oom;
} voice_fold;

static void fold_voice(const char *fin, double score, void *ctx)
{
    voice_fold *v = ctx;
    cand *x = cand_of(v->c, fin);
    if (!x)
        v->oom = 1;
    else if (isnan(x->voice) || score > x->voice)
        x->voice = score;
}

/* Gallery search of one probe; hits are folded into the candidates by owner. */
static int search_probe(eyni_identity *id, const id_probe *p, cand_list *c, eyni_error *err)
{
    int rc = 0;
    if (!strcmp(p->modality, "voice")) {
        voice_fold v = {c, 0};
        rc = id_voice_search(id, p, fold_voice, &v, err);
        return rc == 0 && v.oom ? eyni_error_set(err, EYNI_ENOMEM, "out of memory") : rc;
    }
    if (!strcmp(p->modality, "face")) {
        eyni_gallery_hit hits[ID_SEARCH_K];
        size_t n = 0;
        eyni_gallery_search_opts so = {id->opts.threads, EYNI_GALLERY_AUTO};
        rc = eyni_gallery_size(id->faces)
                 ? eyni_gallery_search(id->faces, p->emb, ID_SEARCH_K, &so, hits, &n, err)
                 : 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const char *fin = id_owner_of(id, hits[i].id);
            cand *x = fin ? cand_of(c, fin) : NULL;
            if (x && (isnan(x->face) || hits[i].score > x->face))
                x->face = hits[i].score;
        }
        return rc;
    }
    eyni_finger_gallery *g = id->fingers[p->position];
    eyni_finger_hit hits[ID_SEARCH_K];
    int n = 0;
    if (eyni_finger_gallery_size(g))
        rc = eyni_finger_gallery_search(g, p->finger, ID_SEARCH_K, id->opts.threads, hits, &n, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        const char *fin = id_owner_of(id, hits[i].id);
        cand *x = fin ? cand_of(c, fin) : NULL;
        if (x && (isnan(x->finger[p->position]) || hits[i].score > x->finger[p->position]))
            x->finger[p->position] = hits[i].score;
    }
    return rc;
}

typedef struct complete_ctx {
    const eyni_identity *id;
    const id_probe *p;
    int n;
    cand *c;
    eyni_voice_ref *voice; /* the candidate's voice samples pooled */
} complete_ctx;

/* Voice samples are pooled into one reference, as in the gallery; a sample of another
 * model is skipped like an unreadable face template. */
static void pool_voice(complete_ctx *k, const char *fin, const unsigned char *tpl, size_t tlen)
{
    eyni_voice_ref *r = NULL;
    eyni_error err;
    if (!k->id->voice || eyni_voice_ref_load(k->id->voice, tpl, tlen, fin, &r, &err))
        return;
    if (!k->voice)
        k->voice = r;
    else {
        eyni_voice_ref_merge(k->id->voice, k->voice, r, &err);
        eyni_voice_ref_free(r);
    }
}

/* Scores a candidate's stored sample against the probes of its modality and position. */
static int score_stored(long long change, const char *op, long long bio, const char *fin,
                        const char *modality, int position, const unsigned char *tpl, size_t tlen,
                        void *ctx)
{
    complete_ctx *k = ctx;
    eyni_error err;
    if (!strcmp(modality, "voice")) {
        pool_voice(k, fin, tpl, tlen);
        return 0;
    }
    for (int i = 0; i < k->n; i++) {
        const id_probe *p = &k->p[i];
        if (strcmp(p->modality, modality) != 0)
            continue;
        if (!strcmp(modality, "face")) {
            float emb[EYNI_FACE_DIM];
            if (eyni_face_template_decode(tpl, tlen, emb, &err) == 0) {
                float s = eyni_face_compare(p->emb, emb);
                if (isnan(k->c->face) || s > k->c->face)
                    k->c->face = s;
            }
        } else if (p->position == position && position >= 0 && position < ID_POSITIONS) {
            eyni_finger_template *t = NULL;
            if (eyni_finger_template_read(tpl, tlen, fin, &t, NULL, &err) == 0) {
                double s = eyni_finger_compare(p->finger, t);
                if (isnan(k->c->finger[position]) || s > k->c->finger[position])
                    k->c->finger[position] = s;
            }
            eyni_finger_template_free(t);
        }
    }
    return 0;
}

/* The candidate's pooled voice reference from the register against the request's pooled
 * voice probe. */
static int complete_voice(eyni_identity *id, const id_probe *p, int n, cand *c, eyni_error *err)
{
    int want = 0;
    for (int i = 0; i < n; i++)
        want |= p[i].voice != NULL;
    if (!want || !isnan(c->voice))
        return 0;
    complete_ctx k = {id, p, n, c, NULL};
    int rc = reg_samples_of(id->reg, c->fin, "voice", score_stored, &k, err);
    for (int i = 0; rc == 0 && k.voice && i < n; i++) {
        double s;
        if (p[i].voice && (rc = eyni_voice_score(id->voice, k.voice, p[i].voice, &s, err)) == 0 &&
            (isnan(c->voice) || s > c->voice))
            c->voice = s;
    }
    eyni_voice_ref_free(k.voice);
    return rc;
}

/* The gallery shortlist only knows the scores that made a top-K; the best candidates get
 * every comparison the probes allow, so fusion never counts a missing score as a miss. */
static int complete(eyni_identity *id, const id_probe *p, int n, cand *c, eyni_error *err)
{
    complete_ctx k = {id, p, n, c, NULL};
    int want_face = 0, rc = 0;
    for (int i = 0; i < n; i++)
        want_face |= !strcmp(p[i].modality, "face");
    if (want_face && isnan(c->face))
        rc = reg_samples_of(id->reg, c->fin, "face", score_stored, &k, err);
    int want_finger = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].modality, "finger") && isnan(c->finger[p[i].position]))
            want_finger = 1;
    if (rc == 0 && want_finger)
        rc = reg_samples_of(id->reg, c->fin, "finger", score_stored, &k, err);
    if (rc == 0)
        rc = complete_voice(id, p, n, c, err);
    evidence_of(id, c);
    return rc;
}

static json_t *cand_json(const cand *c)
{
    json_t *scores = json_object(), *fingers = json_object();
    if (!isnan(c->face))
        json_object_set_new(scores, "face", json_real(c->face));
    for (int p = 0; p < ID_POSITIONS; p++) {
        if (isnan(c->finger[p]))
            continue;
        char k[4];
        snprintf(k, sizeof k, "%d", p);
        json_object_set_new(fingers, k, json_real(c->finger[p]));
    }
    if (json_object_size(fingers))
        json_object_set(scores, "finger", fingers);
    if (!isnan(c->voice))
        json_object_set_new(scores, "voice", json_real(c->voice));
    json_decref(fingers);
    return json_pack("{s:s, s:f, s:o}", "fin", c->fin, "score", round(c->evidence * 1000) / 1000,
                     "scores", scores);
}

/* Searches this node's galleries: raw best scores per candidate, no fusion yet. */
static int gather(eyni_identity *id, const id_probe *p, int n, cand_list *c, eyni_error *err)
{
    int rc = 0;
    pthread_rwlock_rdlock(&id->lock);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = search_probe(id, &p[i], c, err);
    pthread_rwlock_unlock(&id->lock);
    return rc;
}

static void keep_max(float *dst, const json_t *v)
{
    if (v && (isnan(*dst) || json_number_value(v) > *dst))
        *dst = (float)json_number_value(v);
}

static void keep_maxd(double *dst, const json_t *v)
{
    if (v && (isnan(*dst) || json_number_value(v) > *dst))
        *dst = json_number_value(v);
}

/* Folds a peer's checked hits (eyni_identity_peer_reply_check) into the candidates. */
static int fold_remote(cand_list *c, const json_t *hits, eyni_error *err)
{
    size_t i;
    const json_t *h;
    json_array_foreach(hits, i, h)
    {
        cand *x = cand_of(c, json_string_value(json_object_get(h, "fin")));
        if (!x)
            return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
        keep_max(&x->face, json_object_get(h, "face"));
        keep_maxd(&x->voice, json_object_get(h, "voice"));
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)json_object_get(h, "finger"), k, v)
            keep_maxd(&x->finger[atoi(k)], v);
    }
    return 0;
}

int id_search(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *s, const id_probe *p,
              int n, json_t **out, json_t **not_searched, eyni_error *err)
{
    cand_list c = {NULL, 0, 0};
    json_t *remote = NULL, *missing = NULL;
    int rc = gather(id, p, n, &c, err);
    if (rc == 0 && id->shards > 1)
        rc = id_fanout(id, a, s, n, &remote, &missing, err);
    if (rc == 0 && remote)
        rc = fold_remote(&c, remote, err);
    json_decref(remote);
    for (size_t i = 0; i < c.n; i++)
        evidence_of(id, &c.v[i]);
    if (c.n)
        qsort(c.v, c.n, sizeof *c.v, by_evidence);
    size_t shortlist = c.n < SHORTLIST ? c.n : SHORTLIST;
    for (size_t i = 0; rc == 0 && i < shortlist; i++)
        rc = complete(id, p, n, &c.v[i], err);
    if (shortlist)
        qsort(c.v, shortlist, sizeof *c.v, by_evidence);
    json_t *list = json_array();
    for (size_t i = 0; rc == 0 && i < shortlist; i++)
        json_array_append_new(list, cand_json(&c.v[i]));
    free(c.v);
    if (rc) {
        json_decref(list);
        json_decref(missing);
        return rc;
    }
    *out = list;
    *not_searched = missing;
    return 0;
}

/* A hit as a peer sends it: raw scores, fused by the node that asked. */
static json_t *hit_json(const cand *c)
{
    json_t *h = json_pack("{s:s}", "fin", c->fin), *fingers = json_object();
    if (!isnan(c->face))
        json_object_set_new(h, "face", json_real(c->face));
    if (!isnan(c->voice))
        json_object_set_new(h, "voice", json_real(c->voice));
    for (int p = 1; p < ID_POSITIONS; p++) {
        char k[4];
        snprintf(k, sizeof k, "%d", p);
        if (!isnan(c->finger[p]))
            json_object_set_new(fingers, k, json_real(c->finger[p]));
    }
    if (json_object_size(fingers))
        json_object_set(h, "finger", fingers);
    json_decref(fingers);
    return h;
}

/* The shards asked for: a JSON array of distinct shard numbers this node holds. */
static int asked_shards(const eyni_identity *id, const json_t *shards, unsigned char *want,
                        eyni_error *err)
{
    if (id->shards <= 1)
        return eyni_error_set(err, EYNI_ECONFLICT, "this node's gallery is not sharded");
    if (!json_is_array(shards) || json_array_size(shards) == 0 ||
        json_array_size(shards) > (size_t)id->shards)
        return eyni_error_set(err, EYNI_EFORMAT, "'shards' must list 1..%d shard numbers",
                              id->shards);
    memset(want, 0, (size_t)id->shards);
    size_t i;
    const json_t *v;
    json_array_foreach(shards, i, v)
    {
        json_int_t k = json_is_integer(v) ? json_integer_value(v) : -1;
        if (k < 0 || k >= id->shards || want[k])
            return eyni_error_set(err, EYNI_EFORMAT, "shards[%zu] is not a distinct shard 0..%d", i,
                                  id->shards - 1);
        if (!id->held[k])
            return eyni_error_set(err, EYNI_ECONFLICT, "shard %lld is not held by this node",
                                  (long long)k);
        want[k] = 1;
    }
    return 0;
}

int eyni_identity_shard_search(eyni_identity *id, const eyni_actor *a, const json_t *shards,
                               const char *on_behalf_of, const eyni_sample_in *s, int n,
                               json_t **out, eyni_error *err)
{
    unsigned char want[EYNI_IDENTITY_MAX_SHARDS];
    int rc = reg_require(id->reg, a, EYNI_OP_SHARD_SEARCH, "shards", err);
    if (rc == 0)
        rc = asked_shards(id, shards, want, err);
    if (rc == 0 && (!on_behalf_of || strlen(on_behalf_of) > 128))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'for' must name who the search is for");
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, s, n, &p, err);
    if (rc)
        return rc;
    cand_list c = {NULL, 0, 0};
    rc = eyni_identity_sync(id, err); /* answer with everything committed before the call */
    if (rc == 0)
        rc = gather(id, p, n, &c, err);
    json_t *hits = json_array(), *searched = json_array();
    for (size_t i = 0; rc == 0 && i < c.n; i++)
        if (want[eyni_identity_shard_of(c.v[i].fin, id->shards)])
            json_array_append_new(hits, hit_json(&c.v[i]));
    for (int k = 0; k < id->shards; k++)
        if (want[k])
            json_array_append_new(searched, json_integer(k));
    char object[4200], detail[256];
    id_shards_text(want, id->shards, object + 7, sizeof object - 7);
    memcpy(object, "shards ", 7);
    snprintf(detail, sizeof detail, "for %s: %zu hits", on_behalf_of, json_array_size(hits));
    if (rc == 0)
        rc = eyni_register_audit_event(id->reg, a, "shard.search", object, "ok", detail, err);
    free(c.v);
    id_probes_free(p, n);
    if (rc) {
        json_decref(hits);
        json_decref(searched);
        return rc;
    }
    pthread_rwlock_rdlock(&id->lock);
    long long last = id->last_change;
    pthread_rwlock_unlock(&id->lock);
    *out = json_pack("{s:o, s:o, s:I}", "shards", searched, "hits", hits, "last_change",
                     (json_int_t)last);
    return 0;
}

/* ---- services ------------------------------------------------------------------------ */

static json_t *reports(const id_probe *p, int n)
{
    json_t *r = json_array();
    for (int i = 0; i < n; i++)
        json_array_append(r, p[i].report);
    return r;
}

/* Keeps candidates with a fused score of at least min. */
static json_t *at_least(const json_t *cands, double min)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        if (json_real_value(json_object_get(c, "score")) >= min)
            json_array_append(out, c);
    }
    return out;
}

reg_sample *id_reg_samples(const eyni_sample_in *s, const id_probe *p, int n)
{
    reg_sample *rs = calloc((size_t)(n ? n : 1), sizeof *rs);
    for (int i = 0; rs && i < n; i++) {
        snprintf(rs[i].modality, sizeof rs[i].modality, "%s", p[i].modality);
        rs[i].position = p[i].position;
        rs[i].tpl = p[i].tpl;
        rs[i].tlen = p[i].tlen;
        rs[i].img = (unsigned char *)s[i].data;
        rs[i].ilen = s[i].len;
        rs[i].quality = p[i].quality;
        snprintf(rs[i].engine, sizeof rs[i].engine, "%s",
                 !strcmp(p[i].modality, "face")    ? "eyni-face-1"
                 : !strcmp(p[i].modality, "voice") ? "eyni-voice-1"
                                                   : "iso19794-2:2005");
    }
    return rs;
}

static int record(eyni_identity *id, const eyni_actor *a, const json_t *person,
                  const eyni_sample_in *s, const id_probe *p, int n, const char *status,
                  const char *dup, json_t *result, json_t **out, eyni_error *err)
{
    reg_sample *rs = id_reg_samples(s, p, n);
    if (!rs)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    reg_enrolment e = {person, rs, n, status, dup, result};
    long long eid = 0, case_id = 0;
    char fin[EYNI_FIN_MAX + 1] = "";
    int rc = reg_enrolment_record(id->reg, a, &e, &eid, fin, &case_id, err);
    free(rs);
    if (rc)
        return rc;
    *out = json_pack("{s:s, s:s?, s:s?, s:o, s:I}", "status", status, "fin", fin[0] ? fin : NULL,
                     "duplicate_of", dup, "case", case_id ? json_integer(case_id) : json_null(),
                     "enrolment", (json_int_t)eid);
    return 0;
}

/* Only a search of every shard can show an applicant is nobody already enrolled: without
 * one, "unique" (a new FIN) and "possible" (a case an adjudicator may decide unique) are
 * refused; a duplicate found in the shards searched stands. */
static int refuse_partial(eyni_identity *id, const eyni_actor *a, const json_t *missing,
                          eyni_error *err)
{
    char text[4200], detail[4300];
    id_missing_text(id, missing, text, sizeof text);
    snprintf(detail, sizeof detail, "shards %s not searched", text);
    eyni_error aerr;
    if (eyni_register_audit_event(id->reg, a, "enrol", "enrolment", "refused", detail, &aerr))
        return eyni_error_set(err, aerr.code, "%s", aerr.msg);
    return eyni_error_set(err, EYNI_ECONFLICT,
                          "de-duplication could not search gallery shards %s (every node "
                          "holding them is down or did not answer): nothing was recorded; "
                          "retry when they are back",
                          text);
}

int eyni_identity_enrol(eyni_identity *id, const eyni_actor *a, const json_t *person,
                        const eyni_sample_in *s, int n, json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_ENROL, "enrolment", err);
    if (rc == 0)
        rc = reg_person_validate(person, 1, err);
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, s, n, &p, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&id->enrol);
    /* Search and record must not interleave with another node's, or two nodes could both
     * find the same new person unique: one enrolment at a time across all nodes. */
    eyni_db *section = NULL;
    json_t *cands = NULL, *kept = NULL, *result = NULL, *missing = NULL;
    rc = eyni_store_section_enter(eyni_register_store(id->reg), ID_ENROL_SECTION, &section, err);
    if (rc == 0)
        rc = eyni_identity_sync(id, err); /* see what other processes enrolled meanwhile */
    if (rc == 0)
        rc = id_search(id, a, s, p, n, &cands, &missing, err);
    const char *status = "unique";
    if (rc == 0) {
        double top = json_real_value(json_object_get(json_array_get(cands, 0), "score"));
        status = top >= id->opts.duplicate_at  ? "duplicate"
                 : top >= id->opts.possible_at ? "possible"
                                               : "unique";
        if (top < id->opts.duplicate_at && json_array_size(missing))
            rc = refuse_partial(id, a, missing, err);
    }
    if (rc == 0) {
        const char *dup = !strcmp(status, "duplicate")
                              ? json_string_value(json_object_get(json_array_get(cands, 0), "fin"))
                              : NULL;
        kept = at_least(cands, id->opts.possible_at);
        result = json_pack("{s:O, s:f, s:f}", "candidates", kept, "duplicate_at",
                           id->opts.duplicate_at, "possible_at", id->opts.possible_at);
        rc = record(id, a, person, s, p, n, status, dup, result, out, err);
    }
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    eyni_store_section_leave(eyni_register_store(id->reg), section);
    pthread_mutex_unlock(&id->enrol);
    if (rc == 0) {
        json_object_set(*out, "candidates", kept);
        json_object_set_new(*out, "quality", reports(p, n));
        if (missing)
            json_object_set(*out, "shards_not_searched", missing);
    }
    json_decref(missing);
    json_decref(cands);
    json_decref(kept);
    json_decref(result);
    id_probes_free(p, n);
    return rc;
}

int id_person_known(eyni_identity *id, const char *fin, eyni_error *err)
{
    eyni_store *store = eyni_register_store(id->reg);
    eyni_db *db = NULL;
    json_t *rec = NULL;
    int64_t pid = 0;
    int rc = eyni_store_acquire(store, &db, err);
    if (rc == 0) {
        rc = reg_person_load(db, fin, &pid, &rec, err);
        eyni_store_release(store, db);
    }
    json_decref(rec);
    return rc;
}

/* Why a verification had nothing to compare: ENOTFOUND for a FIN nobody holds, ECONFLICT for
 * a person with no sample of the given modalities and finger positions on record. */
static int nothing_compared(eyni_identity *id, const char *fin, eyni_error *err)
{
    int rc = id_person_known(id, fin, err);
    return rc ? rc
              : eyni_error_set(err, EYNI_ECONFLICT,
                               "FIN %s has no enrolled sample of these modalities or finger "
                               "positions to compare with",
                               fin);
}

int eyni_identity_verify(eyni_identity *id, const eyni_actor *a, const char *fin,
                         const eyni_sample_in *s, int n, json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_MATCH, fin, err);
    if (rc == 0 && !reg_fin_wellformed(id->reg, fin))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a FIN", fin ? fin : "");
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, s, n, &p, err);
    if (rc)
        return rc;
    cand c;
    memset(&c, 0, sizeof c);
    snprintf(c.fin, sizeof c.fin, "%s", fin);
    c.face = NAN;
    for (int i = 0; i < ID_POSITIONS; i++)
        c.finger[i] = NAN;
    c.voice = NAN;
    rc = complete(id, p, n, &c, err);
    int compared = !isnan(c.face) || !isnan(c.voice);
    for (int i = 0; i < ID_POSITIONS; i++)
        compared |= !isnan(c.finger[i]);
    if (rc == 0 && !compared)
        rc = nothing_compared(id, fin, err);
    double threshold = -log10(id->opts.verify_fmr);
    int match = rc == 0 && c.evidence >= threshold;
    char detail[64];
    snprintf(detail, sizeof detail, "score %.3f %s", c.evidence, match ? "match" : "no match");
    eyni_error aerr;
    if (rc == 0)
        rc = eyni_register_audit_event(id->reg, a, "match.verify", fin,
                                       match ? "match" : "no match", detail, &aerr)
                 ? eyni_error_set(err, aerr.code, "%s", aerr.msg)
                 : 0;
    if (rc == 0) {
        json_t *cj = cand_json(&c);
        *out =
            json_pack("{s:b, s:O, s:f, s:f, s:O, s:s}", "match", match, "score",
                      json_object_get(cj, "score"), "far_target", id->opts.verify_fmr, "threshold",
                      threshold, "scores", json_object_get(cj, "scores"), "fin", fin);
        json_decref(cj);
    }
    id_probes_free(p, n);
    return rc;
}

int eyni_identity_identify(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *s, int n,
                           int top, double min_score, json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_MATCH, "identify", err);
    if (rc == 0 && (top < 1 || top > 100))
        rc = eyni_error_set(err, EYNI_EINVAL, "top must be 1..100");
    id_probe *p = NULL;
    if (rc == 0)
        rc = id_probes_make(id, s, n, &p, err);
    if (rc)
        return rc;
    json_t *cands = NULL, *missing = NULL;
    rc = eyni_identity_sync(id, err);
    if (rc == 0)
        rc = id_search(id, a, s, p, n, &cands, &missing, err);
    if (rc == 0) {
        json_t *kept = at_least(cands, min_score);
        while (json_array_size(kept) > (size_t)top)
            json_array_remove(kept, json_array_size(kept) - 1);
        char detail[128];
        int off = snprintf(detail, sizeof detail, "%zu candidates", json_array_size(kept));
        if (json_array_size(missing))
            snprintf(detail + off, sizeof detail - (size_t)off, "; %zu shards not searched",
                     json_array_size(missing));
        const char *outcome = json_array_size(missing) ? "partial" : "ok";
        rc = eyni_register_audit_event(id->reg, a, "match.identify", "register", outcome, detail,
                                       err);
        if (rc == 0)
            *out = json_pack("{s:o, s:i}", "candidates", kept, "count", (int)json_array_size(kept));
        else
            json_decref(kept);
        if (rc == 0 && missing) {
            json_object_set_new(*out, "shards", json_integer(id->shards));
            json_object_set(*out, "shards_not_searched", missing);
        }
    }
    json_decref(missing);
    json_decref(cands);
    id_probes_free(p, n);
    return rc;
}
