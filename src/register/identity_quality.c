/* Quality check of samples before an enrolment: the registration desk shows the verdict
 * and its reasons while the person is still at the counter. Nothing is stored but the
 * audit line. */
#include "identity_int.h"

int eyni_identity_quality(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *s, int n,
                          json_t **out, eyni_error *err)
{
    int rc = reg_require(id->reg, a, EYNI_OP_ENROL, "quality", err);
    if (rc == 0 && (n < 1 || n > EYNI_IDENTITY_MAX_SAMPLES))
        rc = eyni_error_set(err, EYNI_EINVAL, "between 1 and %d samples are needed",
                            EYNI_IDENTITY_MAX_SAMPLES);
    json_t *list = json_array();
    for (int i = 0; rc == 0 && i < n; i++) {
        json_t *one = NULL;
        rc = id_probe_report(id, &s[i], &one, err);
        if (rc == 0)
            json_array_append_new(list, one);
    }
    char detail[32];
    snprintf(detail, sizeof detail, "%d samples", n);
    if (rc == 0)
        rc = eyni_register_audit_event(id->reg, a, "enrol.quality", "samples", "ok", detail, err);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o}", "quality", list);
    return 0;
}
