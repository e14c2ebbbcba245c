/* /v1/enrolments, /v1/verify, /v1/identify and /v1/adjudications: the identity service.
 * Samples travel as {"modality", "position", "image": base64 of the image file}, or for
 * voice {"modality": "voice", "audio": base64 of a WAV/FLAC recording}; in a
 * multipart/form-data body as {"modality", "position", "part": name of the file part}. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

typedef struct samples {
    eyni_sample_in v[EYNI_IDENTITY_MAX_SAMPLES];
    unsigned char *bufs[EYNI_IDENTITY_MAX_SAMPLES];
    int n;
    srv_parts *parts; /* a multipart body's file parts; NULL for a JSON body */
} samples;

static void samples_free(samples *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->bufs[i]);
    srv_parts_free(s->parts);
}

/* The bytes of a sample: base64 inline, or the file part it names (no copy). */
static int sample_bytes(const char *b64, const char *part, samples *s, size_t i,
                        const unsigned char **data, size_t *len, eyni_error *err)
{
    if (part && !s->parts)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "samples[%zu].part names a file part: send the request as "
                              "multipart/form-data",
                              i);
    if (part) {
        const srv_part *t = srv_parts_use(s->parts, part, err);
        if (!t)
            return eyni_error_prefix(err, "samples[%zu]: ", i);
        *data = t->data;
        *len = t->len;
        return 0;
    }
    int rc = eyni_base64_decode(b64, strlen(b64), &s->bufs[s->n], len, err);
    *data = s->bufs[s->n];
    return rc;
}

/* The recording of a voice sample travels as "audio", an image as "image"; either as
 * "part" in a multipart body. */
static int one_sample(const json_t *j, samples *s, size_t i, eyni_error *err)
{
    static const char *const keys[] = {"modality", "position", "image", "audio", "part", NULL};
    const char *mod = NULL, *img = NULL, *audio = NULL, *part = NULL;
    const size_t b64max = (size_t)EYNI_IDENTITY_MAX_SAMPLE_BYTES * 4 / 3 + 4;
    int rc = json_is_object(j)
                 ? eyni_json_check_keys(j, keys, err)
                 : eyni_error_set(err, EYNI_EFORMAT, "samples[%zu] is not an object", i);
    if (rc == 0)
        rc = eyni_json_get_string(j, "modality", 16, &mod, err);
    if (rc == 0)
        rc = eyni_json_get_string(j, "image", b64max, &img, err);
    if (rc == 0)
        rc = eyni_json_get_string(j, "audio", b64max, &audio, err);
    if (rc == 0)
        rc = eyni_json_get_string(j, "part", SRV_PART_NAME_MAX, &part, err);
    const json_t *pos = json_object_get(j, "position");
    int voice = mod && !strcmp(mod, "voice");
    if (rc == 0 && (!mod || !!img + !!audio + !!part != 1 || (voice ? img : audio) != NULL))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "samples[%zu] needs modality and one of image (audio for voice) or "
                            "part",
                            i);
    if (rc == 0 && pos && !json_is_integer(pos))
        rc = eyni_error_set(err, EYNI_EFORMAT, "samples[%zu].position must be an integer", i);
    const unsigned char *data = NULL;
    size_t len = 0;
    if (rc == 0 && (rc = sample_bytes(voice ? audio : img, part, s, i, &data, &len, err)) != 0 &&
        !part)
        eyni_error_prefix(err, "samples[%zu].%s: ", i, voice ? "audio" : "image");
    if (rc == 0) {
        s->v[s->n] = (eyni_sample_in){mod, pos ? (int)json_integer_value(pos) : 0, data, len};
        s->n++;
    }
    return rc;
}

static int read_samples(const json_t *in, samples *s, eyni_error *err)
{
    const json_t *arr = json_object_get(in, "samples");
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > EYNI_IDENTITY_MAX_SAMPLES)
        return eyni_error_set(err, EYNI_EFORMAT, "'samples' must list 1..%d samples",
                              EYNI_IDENTITY_MAX_SAMPLES);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++)
        rc = one_sample(json_array_get(arr, i), s, i, err);
    /* a file sent but named by no sample is a mistake, not something to drop silently */
    return rc == 0 && s->parts ? srv_parts_all_used(s->parts, err) : rc;
}

static int need_identity(srv_request *rq, eyni_error *err)
{
    return rq->identity ? 0 : eyni_error_set(err, EYNI_EMODEL, "biometric services are not loaded");
}

static int with_samples(srv_request *rq, const char *const *keys, json_t **in, samples *s,
                        eyni_error *err)
{
    int rc = need_identity(rq, err);
    if (rc == 0)
        rc = srv_body_doc(rq, EYNI_IDENTITY_MAX_SAMPLE_BYTES, in, &s->parts, err);
    if (rc == 0)
        rc = eyni_json_check_keys(*in, keys, err);
    if (rc == 0)
        rc = read_samples(*in, s, err);
    return rc;
}

static int enrol(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"person", "samples", "dna", NULL};
    json_t *in = NULL;
    samples s = {.n = 0};
    int rc = with_samples(rq, keys, &in, &s, err);
    const json_t *dna = in ? json_object_get(in, "dna") : NULL;
    if (rc == 0 && dna)
        rc = srv_dna_enrol_check(rq, dna, err);
    if (rc == 0)
        rc = eyni_identity_enrol(rq->identity, &rq->actor, json_object_get(in, "person"), s.v, s.n,
                                 out, err);
    if (rc == 0 && dna)
        srv_dna_enrol_store(rq, dna, *out);
    samples_free(&s);
    json_decref(in);
    *status = 201;
    return rc;
}

/* Quality verdicts for the registration desk; nothing is stored. */
static int quality(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"samples", NULL};
    json_t *in = NULL;
    samples s = {.n = 0};
    int rc = with_samples(rq, keys, &in, &s, err);
    if (rc == 0)
        rc = eyni_identity_quality(rq->identity, &rq->actor, s.v, s.n, out, err);
    samples_free(&s);
    json_decref(in);
    return rc;
}

static long long id_param(const char *p, eyni_error *err)
{
    char *end;
    long long v = strtoll(p, &end, 10);
    if (*end || v <= 0) {
        eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not an id", p);
        return -1;
    }
    return v;
}

static int enrolment_get(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id = id_param(rq->params[0], err);
    return id < 0 ? EYNI_EFORMAT : eyni_register_enrolment_get(rq->reg, &rq->actor, id, out, err);
}

static int verify(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"fin", "samples", NULL};
    json_t *in = NULL;
    samples s = {.n = 0};
    int rc = with_samples(rq, keys, &in, &s, err);
    if (rc == 0)
        rc =
            eyni_identity_verify(rq->identity, &rq->actor,
                                 json_string_value(json_object_get(in, "fin")), s.v, s.n, out, err);
    samples_free(&s);
    json_decref(in);
    return rc;
}

static int identify(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"samples", "top", "min_score", "gallery", NULL};
    json_t *in = NULL;
    samples s = {.n = 0};
    int rc = with_samples(rq, keys, &in, &s, err);
    const json_t *top = in ? json_object_get(in, "top") : NULL;
    const json_t *min = in ? json_object_get(in, "min_score") : NULL;
    const char *gallery = NULL;
    if (rc == 0 && ((top && !json_is_integer(top)) || (min && !json_is_number(min))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'top' must be an integer, 'min_score' a number");
    if (rc == 0)
        rc = eyni_json_get_string(in, "gallery", 64, &gallery, err);
    if (rc == 0)
        rc = eyni_identity_identify_gallery(rq->identity, &rq->actor, gallery, s.v, s.n,
                                            top ? (int)json_integer_value(top) : 10,
                                            min ? json_number_value(min) : 0, out, err);
    samples_free(&s);
    json_decref(in);
    return rc;
}

/* A peer node's search of the shards this node holds (role node only; docs/api.md). */
static int node_search(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"shards", "samples", "for", NULL};
    json_t *in = NULL;
    samples s = {.n = 0};
    const char *who = NULL;
    int rc = with_samples(rq, keys, &in, &s, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "for", 128, &who, err);
    if (rc == 0)
        rc = eyni_identity_shard_search(rq->identity, &rq->actor, json_object_get(in, "shards"),
                                        who, s.v, s.n, out, err);
    samples_free(&s);
    json_decref(in);
    return rc;
}

static int cases(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long limit;
    int rc = srv_query_int(rq, "limit", 100, 1, 1000, &limit, err);
    return rc ? rc
              : eyni_register_case_list(rq->reg, &rq->actor, srv_query(rq, "status"), (int)limit,
                                        out, err);
}

static int case_get(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id = id_param(rq->params[0], err);
    return id < 0 ? EYNI_EFORMAT : eyni_register_case_get(rq->reg, &rq->actor, id, out, err);
}

static int case_samples(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    long long id = id_param(rq->params[0], err);
    return id < 0 ? EYNI_EFORMAT : eyni_register_case_samples(rq->reg, &rq->actor, id, out, err);
}

static int case_decide(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"decision", "fin", "note", NULL};
    long long id = id_param(rq->params[0], err);
    json_t *in = NULL;
    const char *decision = NULL, *fin = NULL, *note = NULL;
    int rc = id < 0 ? EYNI_EFORMAT : srv_body_json(rq, &in, err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "decision", 16, &decision, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "fin", EYNI_FIN_MAX, &fin, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "note", EYNI_TEXT_MAX, &note, err);
    /* with the biometric services a new FIN is checked once more and the galleries follow */
    if (rc == 0)
        rc = rq->identity ? eyni_identity_case_decide(rq->identity, &rq->actor, id, decision, fin,
                                                      note, out, err)
                          : eyni_register_case_decide(rq->reg, &rq->actor, id, decision, fin, note,
                                                      out, err);
    json_decref(in);
    return rc;
}

/* POST /v1/persons/{fin}/biometrics: a re-capture of some of the person's samples. */
static int biometrics_update(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    static const char *const keys[] = {"samples", "reason", NULL};
    json_t *in = NULL;
    samples s = {.n = 0};
    const char *reason = NULL;
    int rc = with_samples(rq, keys, &in, &s, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &reason, err);
    if (rc == 0)
        rc = eyni_identity_biometrics_update(rq->identity, &rq->actor, rq->params[0], s.v, s.n,
                                             reason, out, err);
    samples_free(&s);
    json_decref(in);
    return rc;
}

static int biometrics_list(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    int rc = need_identity(rq, err);
    return rc ? rc
              : eyni_identity_biometrics_list(rq->identity, &rq->actor, rq->params[0], out, err);
}

/* DELETE /v1/persons/{fin}/biometrics[/{modality}[/{position}]] with {"reason"}: legal
 * erasure. Without a body the reason is missing, which the service names. */
static int erase(srv_request *rq, int nparams, json_t **out, eyni_error *err)
{
    static const char *const keys[] = {"reason", NULL};
    json_t *in = NULL;
    const char *reason = NULL;
    long position = 0;
    int rc = need_identity(rq, err);
    if (rc == 0)
        rc = rq->body_len ? srv_body_json(rq, &in, err) : ((in = json_object()) ? 0 : EYNI_ENOMEM);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &reason, err);
    if (rc == 0 && nparams == 3) {
        char *end;
        position = strtol(rq->params[2], &end, 10);
        if (*end || end == rq->params[2] || position < 1 || position > 10)
            rc = eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a finger position (1..10)",
                                rq->params[2]);
    }
    if (rc == 0)
        rc = eyni_identity_biometrics_erase(rq->identity, &rq->actor, rq->params[0],
                                            nparams > 1 ? rq->params[1] : NULL, (int)position,
                                            reason, out, err);
    json_decref(in);
    return rc;
}

static int erase_all(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    return erase(rq, 1, out, err);
}

static int erase_modality(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    return erase(rq, 2, out, err);
}

static int erase_finger(srv_request *rq, json_t **out, int *status, eyni_error *err)
{
    (void)status;
    return erase(rq, 3, out, err);
}

const srv_route srv_routes_identity[] = {
    {"POST", "/v1/enrolments", enrol, 1},
    {"GET", "/v1/enrolments/{}", enrolment_get, 1},
    {"POST", "/v1/quality", quality, 1},
    {"POST", "/v1/verify", verify, 1},
    {"POST", "/v1/identify", identify, 1},
    {"POST", "/v1/node/search", node_search, 1},
    {"GET", "/v1/adjudications", cases, 1},
    {"GET", "/v1/adjudications/{}", case_get, 1},
    {"POST", "/v1/adjudications/{}/decision", case_decide, 1},
    {"GET", "/v1/adjudications/{}/samples", case_samples, 1},
    {"POST", "/v1/persons/{}/biometrics", biometrics_update, 1},
    {"GET", "/v1/persons/{}/biometrics", biometrics_list, 1},
    {"DELETE", "/v1/persons/{}/biometrics", erase_all, 1},
    {"DELETE", "/v1/persons/{}/biometrics/{}", erase_modality, 1},
    {"DELETE", "/v1/persons/{}/biometrics/{}/{}", erase_finger, 1},
    {NULL, NULL, NULL, 0},
};
