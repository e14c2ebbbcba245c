/* Fuzz the reader of a document application's body (POST /v1/documents): the issue fields,
 * the live face, the fingers and the case. What it accepts must be consistent: at most one
 * face and ten fingers, each finger at its own position 1..10, no sample empty, and the
 * fields handed on without the samples. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eyni/border.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const json_t *fields, const eyni_application_live *l, long long case_id)
{
    if (!fields || json_object_get(fields, "face") || json_object_get(fields, "fingers") ||
        json_object_get(fields, "case") || case_id < 0 || l->n > EYNI_APPLICATION_MAX_SAMPLES ||
        (case_id && l->n == 0))
        __builtin_trap();
    int faces = 0, seen[11] = {0};
    for (int i = 0; i < l->n; i++) {
        const eyni_sample_in *s = &l->v[i];
        if (!s->data || s->len == 0)
            __builtin_trap();
        if (!strcmp(s->modality, "face"))
            faces++;
        else if (strcmp(s->modality, "finger") || s->position < 1 || s->position > 10 ||
                 seen[s->position]++)
            __builtin_trap();
    }
    if (faces > 1)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = NULL;
    eyni_error err;
    if (eyni_json_parse_object((const char *)data, size, &in, &err))
        return 0;
    json_t *fields = NULL;
    eyni_application_live live;
    long long case_id = 0;
    if (eyni_document_application_read(in, &fields, &live, &case_id, &err) == 0) {
        check(fields, &live, case_id);
        eyni_application_live_free(&live);
        json_decref(fields);
    } else if (fields || live.n) {
        __builtin_trap(); /* a refusal leaves nothing behind */
    }
    json_decref(in);
    return 0;
}
