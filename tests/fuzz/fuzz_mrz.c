/* Fuzz the MRZ parser and the JSON view of its result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eyni/mrtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_mrz m;
    eyni_error err;
    if (eyni_mrz_parse((const char *)data, size, &m, &err) == 0) {
        json_t *o = eyni_mrz_to_json(&m);
        json_decref(o);
        unsigned char *dg1;
        size_t n;
        if (eyni_lds_dg1_encode(&m, &dg1, &n, &err) == 0) {
            eyni_mrz back;
            if (eyni_lds_dg1_decode(dg1, n, &back, &err) != 0 || back.valid != m.valid)
                __builtin_trap(); /* a zone we parsed must survive DG1 */
            free(dg1);
        }
    }
    return 0;
}
