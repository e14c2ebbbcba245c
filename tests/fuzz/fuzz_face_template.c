/* Fuzz the face template parser (bytes arrive from stores and other agencies). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eyni/face.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    float emb[EYNI_FACE_DIM];
    eyni_error err;
    if (eyni_face_template_decode(data, size, emb, &err) == 0) {
        /* a decoded template is a unit vector and survives a round trip */
        float s = eyni_face_compare(emb, emb);
        if (!(fabsf(s - 1.0f) < 1e-3f))
            abort();
        unsigned char buf[EYNI_FACE_TEMPLATE_BYTES];
        size_t len;
        if (eyni_face_template_encode(emb, buf, sizeof buf, &len, &err) != 0)
            abort();
    }
    return 0;
}
