/*
 * Fuzz the voice model file and speaker reference readers, and what the identity service
 * does with what they return (pooling references, score to FMR). Input: one flag byte, a
 * little-endian u32 length L, L bytes of model file, then the reference blob. Flag bits 0
 * and 1 re-seal the model's and the reference's SHA-256 trailers, so that mutations reach
 * the field checks behind the checksum instead of stopping at it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/voice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *part(const uint8_t *p, size_t n, int reseal)
{
    unsigned char *b = malloc(n ? n : 1);
    if (!b)
        return NULL;
    memcpy(b, p, n);
    if (reseal && n >= 32)
        eyni_sha256(b, n - 32, b + n - 32);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    uint32_t len = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                   (uint32_t)data[4] << 24;
    size_t rest = size - 5;
    size_t ml = len < rest ? len : rest;
    unsigned char *mb = part(data + 5, ml, data[0] & 1);
    unsigned char *rb = part(data + 5 + ml, rest - ml, data[0] & 2);
    eyni_voice_model *m = NULL;
    eyni_error err;
    if (mb && rb && eyni_voice_model_load(mb, ml, "fuzz-model", &m, &err) == 0) {
        eyni_voice_ref *r = NULL;
        if (eyni_voice_ref_load(m, rb, rest - ml, "fuzz-ref", &r, &err) == 0) {
            unsigned char *out;
            size_t n;
            if (eyni_voice_ref_save(r, &out, &n, &err) == 0)
                free(out);
            /* pooling (the identity service adds up a person's references) */
            eyni_voice_ref *again = NULL;
            if (eyni_voice_ref_load(m, rb, rest - ml, "fuzz-ref", &again, &err) == 0)
                (void)eyni_voice_ref_merge(m, r, again, &err);
            eyni_voice_ref_free(again);
            eyni_voice_ref_free(r);
        }
        (void)eyni_voice_model_threshold(m, 0.01);
        /* score -> FMR over the stored quantiles and past their tail */
        for (int k = -4; k <= 40; k++)
            (void)eyni_voice_model_score_fmr(m, k * 0.25);
        eyni_voice_model_free(m);
    }
    free(mb);
    free(rb);
    return 0;
}
