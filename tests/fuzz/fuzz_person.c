/* Fuzz person validation and creation end to end on an in-memory register. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_register_opts o = {"sqlite::memory:", 1, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    eyni_error err;
    if (eyni_register_open(&o, &reg, &err))
        __builtin_trap(); /* the fixture itself must work */
    json_t *in = NULL;
    if (eyni_json_parse_object((const char *)data, size, &in, &err) == 0) {
        eyni_actor a;
        eyni_actor_local(&a, "FUZZ", "fuzzing");
        json_t *out = NULL;
        if (eyni_register_person_create(reg, &a, in, &out, &err) == 0) {
            const char *fin = json_string_value(json_object_get(out, "fin"));
            json_t *back = NULL;
            if (!fin || eyni_register_person_get(reg, &a, fin, &back, &err) != 0)
                __builtin_trap(); /* what was acknowledged must be readable */
            json_decref(back);
            json_t *again = NULL;
            if (eyni_register_person_update(reg, &a, fin, in, &again, &err) == 0)
                json_decref(again);
        }
        json_decref(out);
        json_decref(in);
    }
    eyni_register_close(reg);
    return 0;
}
