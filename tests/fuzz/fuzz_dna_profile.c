/* Fuzz the DNA profile readers: CSV (single, long and wide layouts), JSON and binary. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eyni/dna.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_dna_profile *v = NULL, p;
    size_t n = 0;
    eyni_error err;
    if (eyni_dna_profiles_parse_csv((const char *)data, size, "fuzz", &v, &n, &err) == 0) {
        for (size_t i = 0; i < n && i < 4; i++) {
            uint8_t buf[EYNI_DNA_BINARY_MAX];
            size_t len;
            if (eyni_dna_profile_encode(&v[i], buf, sizeof buf, &len, &err) == 0 &&
                eyni_dna_profile_decode(buf, len, &p, &err) != 0)
                abort(); /* what we encode must decode */
            json_t *o = eyni_dna_profile_to_json(&v[i]);
            json_decref(o);
        }
        free(v);
    }
    eyni_dna_profile_parse_csv((const char *)data, size, "fuzz", &p, &err);
    if (eyni_dna_profiles_parse_json((const char *)data, size, "fuzz", &v, &n, &err) == 0)
        free(v);
    eyni_dna_profile_decode(data, size, &p, &err);
    return 0;
}
