/* Fuzz visa and residence registration (validation, MRZ building, storage) end to end on
 * an in-memory register: whatever is acknowledged must be readable back. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/border.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_register_opts o = {
        "sqlite::memory:", 1, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    eyni_error err;
    if (eyni_register_open(&o, &reg, &err))
        __builtin_trap(); /* the fixture itself must work */
    json_t *in = NULL;
    if (eyni_json_parse_object((const char *)data, size, &in, &err) == 0) {
        eyni_actor a;
        eyni_actor_local(&a, "FUZZ", "fuzzing");
        json_t *out = NULL, *back = NULL;
        if (eyni_border_visa_issue(reg, &a, in, &out, &err) == 0) {
            const char *number = json_string_value(json_object_get(out, "number"));
            if (!number || eyni_border_visas(reg, &a, NULL, NULL, number, &back, &err) != 0 ||
                json_integer_value(json_object_get(back, "count")) != 1)
                __builtin_trap();
        }
        json_decref(out);
        json_decref(back);
        out = back = NULL;
        if (eyni_border_residence_register(reg, &a, in, &out, &err) == 0) {
            const char *fin = json_string_value(json_object_get(in, "fin"));
            const char *doc = json_string_value(json_object_get(in, "document_number"));
            if (eyni_border_residences(reg, &a, fin, fin ? NULL : doc, &back, &err) != 0 ||
                json_integer_value(json_object_get(back, "count")) < 1)
                __builtin_trap();
        }
        json_decref(out);
        json_decref(back);
        json_decref(in);
    }
    eyni_register_close(reg);
    return 0;
}
