/* Adjudication decisions that issue a FIN. An applicant waiting in an open case is in no
 * gallery, so while the case waits the same person can apply again (another desk, another
 * name), open a second case against the same registered candidates, and - both decided
 * "different" - end up with two FINs. So before "different" registers the applicant, the
 * applicant's samples are searched again, in the enrolment section, against the register as
 * it is now: a match that was not among the candidates the adjudicator decided on refuses
 * the decision and joins the case's candidates, for the adjudicator to look at. A document
 * application's case is re-checked the same way before "different" clears it (its own FIN
 * is no new match). */
#include <stdlib.h>
#include <string.h>

#include "identity_int.h"

static int in_list(const json_t *cands, const char *fin)
{
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c)
    {
        const char *f = json_string_value(json_object_get(c, "fin"));
        if (f && fin && !strcmp(f, fin))
            return 1;
    }
    return 0;
}

/* Candidates from found (best first) at or above the case threshold not yet in cands; the
 * FIN a document applicant applied for (applied, "" for an enrolment) is their own. */
static json_t *new_matches(const eyni_identity *id, const json_t *found, const json_t *cands,
                           const char *applied)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(found, i, c)
    {
        const char *fin = json_string_value(json_object_get(c, "fin"));
        if (json_real_value(json_object_get(c, "score")) >= id->opts.possible_at &&
            !in_list(cands, fin) && (!fin || strcmp(fin, applied) != 0))
            json_array_append(out, c);
    }
    return out;
}

/* Searches the applicant of case cid again; ECONFLICT (the case's candidates extended) when
 * someone new matches. Runs in the enrolment section with the galleries caught up. */
static int recheck(eyni_identity *id, const eyni_actor *a, long long cid, eyni_error *err)
{
    json_t *cands = NULL, *found = NULL, *fresh = NULL, *missing = NULL;
    reg_sample *rs = NULL;
    int n = 0;
    char applied[EYNI_FIN_MAX + 1] = "";
    int rc = reg_case_applicant(id->reg, cid, &cands, &rs, &n, applied, err);
    eyni_sample_in in[EYNI_IDENTITY_MAX_SAMPLES];
    int k = 0;
    for (int i = 0; rc == 0 && i < n && k < EYNI_IDENTITY_MAX_SAMPLES; i++)
        if (rs[i].img && (!strcmp(rs[i].modality, "face") || !strcmp(rs[i].modality, "finger") ||
                          (!strcmp(rs[i].modality, "voice") && id->voice)))
            in[k++] = (eyni_sample_in){rs[i].modality, rs[i].position, rs[i].img, rs[i].ilen};
    id_probe *p = NULL;
    if (rc == 0 && k > 0 && (rc = id_probes_make(id, in, k, &p, err)) == 0)
        rc = id_search(id, a, in, p, k, &found, &missing, err);
    /* "different" issues a FIN or clears a document: like an enrolment, only after a search
     * of every shard. */
    if (rc == 0 && json_array_size(missing))
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "case %lld: %zu gallery shards could not be searched (their nodes are "
                            "down); decide again when they are back (nothing issued)",
                            cid, json_array_size(missing));
    if (rc == 0 && (fresh = new_matches(id, found, cands, applied)) && json_array_size(fresh) > 0) {
        json_t *top = json_array_get(fresh, 0);
        const char *fin = json_string_value(json_object_get(top, "fin"));
        double score = json_real_value(json_object_get(top, "score"));
        char detail[128];
        snprintf(detail, sizeof detail, "applicant now also matches %s (score %.2f)", fin, score);
        json_array_extend(cands, fresh);
        rc = reg_case_extend(id->reg, a, cid, cands, detail, err);
        if (rc == 0)
            rc = eyni_error_set(err, EYNI_ECONFLICT,
                                "case %lld: since it was opened the applicant also matches FIN %s "
                                "(score %.2f), added to the case's candidates; review them and "
                                "decide again (nothing issued)",
                                cid, fin, score);
    }
    if (p)
        id_probes_free(p, k);
    reg_samples_free(rs, n);
    json_decref(cands);
    json_decref(found);
    json_decref(fresh);
    json_decref(missing);
    return rc;
}

int eyni_identity_case_decide(eyni_identity *id, const eyni_actor *a, long long cid,
                              const char *decision, const char *fin, const char *note, json_t **out,
                              eyni_error *err)
{
    eyni_register *reg = id->reg;
    if (!decision || strcmp(decision, "different") != 0) {
        int rc = eyni_register_case_decide(reg, a, cid, decision, fin, note, out, err);
        return rc ? rc : eyni_identity_sync(id, err);
    }
    char obj[32];
    snprintf(obj, sizeof obj, "case/%lld", cid);
    int rc = reg_require(reg, a, EYNI_OP_CASE_DECIDE, obj, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&id->enrol);
    eyni_db *section = NULL;
    rc = eyni_store_section_enter(eyni_register_store(reg), ID_ENROL_SECTION, &section, err);
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    if (rc == 0)
        rc = recheck(id, a, cid, err);
    if (rc == 0)
        rc = eyni_register_case_decide(reg, a, cid, decision, fin, note, out, err);
    if (rc == 0)
        rc = eyni_identity_sync(id, err);
    eyni_store_section_leave(eyni_register_store(reg), section);
    pthread_mutex_unlock(&id->enrol);
    return rc;
}
