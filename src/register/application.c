/* A document application at the desk: the applicant's live face is checked against the
 * register before a document is issued - it must match the FIN's enrolled portrait, and it
 * must not match somebody else better (one person, one identity). */
#include <math.h>
#include <string.h>

#include "eyni/border.h"
#include "identity_int.h"

static int live_face_checks(eyni_identity *id, const eyni_actor *a, const char *fin,
                            const unsigned char *face, size_t len, eyni_error *err)
{
    eyni_sample_in s = {"face", 0, face, len};
    json_t *v = NULL, *c = NULL;
    int rc = eyni_identity_verify(id, a, fin, &s, 1, &v, err);
    if (rc == 0 && !json_is_true(json_object_get(v, "match")))
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "the applicant's live face does not match the portrait enrolled for "
                            "FIN %s (score %.2f below %.2f): no document issued",
                            fin, json_real_value(json_object_get(v, "score")),
                            json_real_value(json_object_get(v, "threshold")));
    if (rc == 0)
        rc = eyni_identity_identify(id, a, &s, 1, 3, -log10(id->opts.verify_fmr), &c, err);
    const char *top = rc == 0 ? json_string_value(json_object_get(
                                    json_array_get(json_object_get(c, "candidates"), 0), "fin"))
                              : NULL;
    if (top && strcmp(top, fin) != 0)
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "the applicant's live face matches registered person %s better than "
                            "FIN %s: refer to an adjudicator, no document issued",
                            top, fin);
    json_decref(v);
    json_decref(c);
    return rc;
}

int eyni_document_apply(eyni_identity *id, const eyni_actor *a, const json_t *in,
                        const unsigned char *face, size_t face_len, json_t **out,
                        eyni_error *err)
{
    const char *fin = json_string_value(json_object_get(in, "fin"));
    int rc = 0;
    if (face) {
        if (!fin || !reg_fin_wellformed(id->reg, fin))
            return eyni_error_set(err, EYNI_EFORMAT, "'fin' is missing or not a FIN");
        rc = live_face_checks(id, a, fin, face, face_len, err);
    }
    return rc ? rc : eyni_register_document_issue(id->reg, a, in, out, err);
}
