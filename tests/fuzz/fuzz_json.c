/* Fuzz the strict JSON object parser and the string accessor used on request bodies. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *o = NULL;
    eyni_error err;
    if (eyni_json_parse_object((const char *)data, size, &o, &err) == 0) {
        const char *allowed[] = {"surname", "given_name", NULL};
        const char *s;
        eyni_json_check_keys(o, allowed, &err);
        eyni_json_get_string(o, "surname", 100, &s, &err);
        if (s) {
            char folded[256];
            eyni_text_fold(s, folded, sizeof folded, &err);
        }
        json_decref(o);
    }
    return 0;
}
