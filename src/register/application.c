/* A document application at the desk. With the applicant's live samples (a face, fingers)
 * the register is checked before a document is issued: the samples must match those
 * enrolled for the FIN applied for, and - one person, one identity - they are searched 1:N
 * against everyone (every shard) with the enrolment's fusion and thresholds. Another person
 * from the duplicate threshold refuses the application naming that FIN; another person
 * between the possible and the duplicate threshold holds it, sealed, in an adjudication
 * case (nothing issued); anything less issues the document.
 *
 * After an adjudicator decided the case "different", the desk submits the application again
 * naming the case: the candidates the adjudicator cleared no longer count, everybody else
 * still does, the live samples must again match the FIN, and the document issued consumes
 * the case (one application per case). "same" refuses the application for good. */
#include <stdlib.h>
#include <string.h>

#include "eyni/border.h"
#include "identity_int.h"

/* ---- the request ----------------------------------------------------------------------- */

void eyni_application_live_free(eyni_application_live *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->bufs[i]);
    l->n = 0;
}

static int add_live(eyni_application_live *l, const char *modality, int position, const char *b64,
                    const char *what, eyni_error *err)
{
    size_t len = 0;
    unsigned char *buf = NULL;
    if (strlen(b64) > (size_t)EYNI_IDENTITY_MAX_SAMPLE_BYTES * 4 / 3 + 4)
        return eyni_error_set(err, EYNI_EFORMAT, "%s is larger than %d bytes", what,
                              EYNI_IDENTITY_MAX_SAMPLE_BYTES);
    int rc = eyni_base64_decode(b64, strlen(b64), &buf, &len, err);
    if (rc)
        return eyni_error_prefix(err, "%s: ", what);
    if (len == 0) {
        free(buf);
        return eyni_error_set(err, EYNI_EFORMAT, "%s is empty", what);
    }
    l->bufs[l->n] = buf;
    l->v[l->n] = (eyni_sample_in){modality, position, buf, len};
    l->n++;
    return 0;
}

static int read_finger(const json_t *f, size_t i, eyni_application_live *l, eyni_error *err)
{
    static const char *const keys[] = {"position", "image", NULL};
    char what[32];
    snprintf(what, sizeof what, "fingers[%zu]", i);
    if (!json_is_object(f))
        return eyni_error_set(err, EYNI_EFORMAT, "%s is not an object", what);
    int rc = eyni_json_check_keys(f, keys, err);
    if (rc)
        return eyni_error_prefix(err, "%s: ", what);
    const json_t *pos = json_object_get(f, "position");
    const char *img = json_string_value(json_object_get(f, "image"));
    json_int_t p = json_is_integer(pos) ? json_integer_value(pos) : -1;
    if (p < 1 || p > 10)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s.position must be an ISO/ANSI finger position 1..10", what);
    for (int k = 0; k < l->n; k++)
        if (!strcmp(l->v[k].modality, "finger") && l->v[k].position == p)
            return eyni_error_set(err, EYNI_EFORMAT, "finger %d given twice", (int)p);
    if (!img)
        return eyni_error_set(err, EYNI_EFORMAT, "%s.image must be base64 of an image file", what);
    snprintf(what + strlen(what), sizeof what - strlen(what), ".image");
    return add_live(l, "finger", (int)p, img, what, err);
}

static int read_case_id(const json_t *in, long long *case_id, eyni_error *err)
{
    const json_t *c = json_object_get(in, "case");
    *case_id = 0;
    if (!c)
        return 0;
    if (!json_is_integer(c) || json_integer_value(c) < 1)
        return eyni_error_set(err, EYNI_EFORMAT, "'case' must be a case number");
    *case_id = (long long)json_integer_value(c);
    return 0;
}

int eyni_document_application_read(const json_t *in, json_t **fields, eyni_application_live *l,
                                   long long *case_id, eyni_error *err)
{
    memset(l, 0, sizeof *l);
    *fields = NULL;
    if (!json_is_object(in))
        return eyni_error_set(err, EYNI_EFORMAT, "request must be an object");
    const json_t *face = json_object_get(in, "face"), *fingers = json_object_get(in, "fingers");
    int rc = read_case_id(in, case_id, err);
    if (rc == 0 && face && !json_is_string(face))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'face' must be base64 of an image file");
    if (rc == 0 && fingers && (!json_is_array(fingers) || json_array_size(fingers) > 10))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'fingers' must list at most 10 fingers");
    if (rc == 0 && face)
        rc = add_live(l, "face", 0, json_string_value(face), "face", err);
    for (size_t i = 0; rc == 0 && i < json_array_size(fingers); i++)
        rc = read_finger(json_array_get(fingers, i), i, l, err);
    if (rc == 0 && *case_id && l->n == 0)
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "an application naming a case is checked again: it needs the "
                            "applicant's live face or fingers");
    if (rc) {
        eyni_application_live_free(l);
        return rc;
    }
    *fields = json_deep_copy(in);
    json_object_del(*fields, "face");
    json_object_del(*fields, "fingers");
    json_object_del(*fields, "case");
    return 0;
}

/* ---- the checks ------------------------------------------------------------------------- */

static int live_valid(const eyni_sample_in *s, int n, eyni_error *err)
{
    if (n < 0 || n > EYNI_APPLICATION_MAX_SAMPLES)
        return eyni_error_set(err, EYNI_EINVAL, "an application carries 0..%d live samples",
                              EYNI_APPLICATION_MAX_SAMPLES);
    int faces = 0;
    for (int i = 0; i < n; i++) {
        int face = s[i].modality && !strcmp(s[i].modality, "face");
        if (!face && (!s[i].modality || strcmp(s[i].modality, "finger")))
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "an application's live samples are a face and fingers");
        if (face && ++faces > 1)
            return eyni_error_set(err, EYNI_EFORMAT, "an application carries one live face");
    }
    return 0;
}

/* The live samples must be the holder's of fin (at the verification operating point). */
static int claimant(eyni_identity *id, const eyni_actor *a, const char *fin,
                    const eyni_sample_in *s, int n, eyni_error *err)
{
    json_t *v = NULL;
    int rc = eyni_identity_verify(id, a, fin, s, n, &v, err);
    if (rc == 0 && !json_is_true(json_object_get(v, "match")))
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "the applicant's live samples do not match those enrolled for FIN %s "
                            "(score %.2f below %.2f): no document issued",
                            fin, json_real_value(json_object_get(v, "score")),
                            json_real_value(json_object_get(v, "threshold")));
    json_decref(v);
    return rc;
}

static int listed(const json_t *list, const char *fin)
{
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c)
    {
        const char *f = json_string_value(json_object_get(c, "fin"));
        if (f && fin && !strcmp(f, fin))
            return 1;
    }
    return 0;
}

/* Candidates other than the holder of fin and those an adjudicator cleared, from min. */
static json_t *others(const json_t *cands, const char *fin, const json_t *cleared, double min)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        const char *f = json_string_value(json_object_get(c, "fin"));
        if (f && strcmp(f, fin) && !listed(cleared, f) &&
            json_real_value(json_object_get(c, "score")) >= min)
            json_array_append(out, c);
    }
    return out;
}

static int audited_refusal(eyni_identity *id, const eyni_actor *a, const char *fin,
                           const char *detail, eyni_error *err)
{
    eyni_error aerr;
    if (eyni_register_audit_event(id->reg, a, "document.apply", fin, "refused", detail, &aerr))
        return eyni_error_set(err, aerr.code, "%s", aerr.msg);
    return 0;
}

/* Another person from the duplicate threshold: refused naming that FIN. */
static int refuse_duplicate(eyni_identity *id, const eyni_actor *a, const char *fin,
                            const json_t *top, eyni_error *err)
{
    const char *other = json_string_value(json_object_get(top, "fin"));
    double score = json_real_value(json_object_get(top, "score"));
    char detail[128];
    snprintf(detail, sizeof detail, "duplicate of %s (score %.2f)", other, score);
    int rc = audited_refusal(id, a, fin, detail, err);
    return rc ? rc
              : eyni_error_set(err, EYNI_ECONFLICT,
                               "the applicant's live samples match registered person %s (score "
                               "%.2f, duplicate from %.2f), not only FIN %s: no document issued",
                               other, score, id->opts.duplicate_at, fin);
}

/* Without every shard searched nobody can say the applicant is nobody else. */
static int refuse_partial(eyni_identity *id, const eyni_actor *a, const char *fin,
                          const json_t *missing, eyni_error *err)
{
    char text[4200], detail[4300];
    id_missing_text(id, missing, text, sizeof text);
    snprintf(detail, sizeof detail, "shards %s not searched", text);
    int rc = audited_refusal(id, a, fin, detail, err);
    return rc ? rc
              : eyni_error_set(err, EYNI_ECONFLICT,
                               "the application's search could not reach gallery shards %s "
                               "(every node holding them is down or did not answer): no "
                               "document issued; retry when they are back",
                               text);
}

/* A possible duplicate: the application waits, sealed, in a case. */
static int hold(eyni_identity *id, const eyni_actor *a, const char *fin, const json_t *in,
                const eyni_sample_in *s, const id_probe *p, int n, json_t *kept, json_t **out,
                eyni_error *err)
{
    reg_sample *rs = id_reg_samples(s, p, n);
    json_t *result = json_pack("{s:O, s:f, s:f}", "candidates", kept, "duplicate_at",
                               id->opts.duplicate_at, "possible_at", id->opts.possible_at);
    reg_application ap = {fin, in, rs, n, result};
    long long app = 0, cid = 0;
    int rc = rs && result ? reg_application_open(id->reg, a, &ap, &app, &cid, err)
                          : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    free(rs);
    json_decref(result);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:I, s:I, s:O}", "status", "possible", "fin", fin, "case",
                         (json_int_t)cid, "application", (json_int_t)app, "candidates", kept);
    return rc;
}

typedef struct apply_ctx {
    eyni_identity *id;
    const eyni_actor *a;
    const char *fin;
    const json_t *in;
    const eyni_sample_in *s;
    int n;
    long long app;   /* the cleared application being re-submitted, or 0 */
    json_t *cleared; /* its cleared candidates */
} apply_ctx;

/* The search and the three outcomes. */
static int search_and_decide(apply_ctx *x, json_t **out, eyni_error *err)
{
    eyni_identity *id = x->id;
    id_probe *p = NULL;
    json_t *cands = NULL, *missing = NULL, *kept = NULL;
    int rc = id_probes_make(id, x->s, x->n, &p, err);
    if (rc)
        return rc;
    rc = eyni_identity_sync(id, err); /* see every enrolment committed so far */
    if (rc == 0)
        rc = id_search(id, x->a, x->s, p, x->n, &cands, &missing, err);
    if (rc == 0)
        kept = others(cands, x->fin, x->cleared, id->opts.possible_at);
    const json_t *top = json_array_get(kept, 0);
    double best = top ? json_real_value(json_object_get(top, "score")) : 0;
    if (rc == 0 && best >= id->opts.duplicate_at)
        rc = refuse_duplicate(id, x->a, x->fin, top, err);
    else if (rc == 0 && json_array_size(missing))
        rc = refuse_partial(id, x->a, x->fin, missing, err);
    else if (rc == 0 && top)
        rc = hold(id, x->a, x->fin, x->in, x->s, p, x->n, kept, out, err);
    else if (rc == 0)
        rc = reg_document_issue_cleared(id->reg, x->a, x->in, x->app, out, err);
    id_probes_free(p, x->n);
    json_decref(cands);
    json_decref(missing);
    json_decref(kept);
    return rc;
}

int eyni_document_apply(eyni_identity *id, const eyni_actor *a, const json_t *in,
                        const eyni_sample_in *s, int n, long long case_id, json_t **out,
                        eyni_error *err)
{
    const char *fin = json_string_value(json_object_get(in, "fin"));
    int rc = reg_require(id->reg, a, EYNI_OP_DOC_ISSUE, "document", err);
    if (rc == 0 && (!fin || !reg_fin_wellformed(id->reg, fin)))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'fin' is missing or not a FIN");
    if (rc == 0)
        rc = live_valid(s, n, err);
    if (rc == 0 && case_id && n == 0)
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "an application naming a case needs the applicant's live samples");
    if (rc)
        return rc;
    if (n == 0) /* nobody present: issued on the register's record alone, as before */
        return eyni_register_document_issue(id->reg, a, in, out, err);
    apply_ctx x = {id, a, fin, in, s, n, 0, NULL};
    if (case_id)
        rc = reg_application_cleared(id->reg, case_id, fin, &x.app, &x.cleared, err);
    if (rc == 0)
        rc = reg_application_flagged(id->reg, fin, err);
    if (rc == 0)
        rc = claimant(id, a, fin, s, n, err);
    if (rc == 0)
        rc = search_and_decide(&x, out, err);
    json_decref(x.cleared);
    return rc;
}
