/* Fuzz the ANSI/NIST-ITL reader, validator and writer: whatever parses must write, and the
 * written bytes must parse again with the same record count. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eyni/nist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_nist *t = NULL;
    eyni_error err;
    if (eyni_nist_read(data, size, &t, &err))
        return 0;
    eyni_nist_problem *p = NULL;
    size_t np = 0;
    if (eyni_nist_validate(t, &p, &np, &err) == 0)
        free(p);
    for (size_t i = 0; i < eyni_nist_record_count(t); i++) {
        const eyni_nist_record *r = eyni_nist_record_at(t, i);
        eyni_nist_image_info in;
        /* uncompressed images are ours to lay out; compressed ones have their own target */
        if (eyni_nist_record_image(t, r, &in, &err) == 0 && in.len < 65536 &&
            in.compression[0] == 'N') {
            eyni_image *img = NULL;
            if (eyni_nist_record_decode_image(t, r, &img, &err) == 0)
                eyni_image_free(img);
        }
    }
    unsigned char *out = NULL;
    size_t len = 0;
    if (eyni_nist_write(t, &out, &len, &err) == 0) {
        eyni_nist *u = NULL;
        if (eyni_nist_read(out, len, &u, &err) != 0)
            abort(); /* our own output must parse */
        if (eyni_nist_record_count(u) < 1)
            abort();
        eyni_nist_free(u);
        free(out);
    }
    eyni_nist_free(t);
    return 0;
}
