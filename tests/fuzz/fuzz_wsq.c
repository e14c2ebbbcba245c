/* Fuzz the WSQ decoder: tables, Huffman data, restart markers and reconstruction. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frames above this many pixels are skipped so each run stays within the per-input timeout
 * (the decoder itself accepts up to EYNI_IMAGE_MAX_PIXELS). */
#define FUZZ_MAX_PIXELS (2 * 1000 * 1000)

static int frame_too_big(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 10 <= n; i++)
        if (d[i] == 0xFF && d[i + 1] == 0xA2) {
            unsigned long h = (unsigned long)d[i + 6] << 8 | d[i + 7];
            unsigned long w = (unsigned long)d[i + 8] << 8 | d[i + 9];
            if (w * h > FUZZ_MAX_PIXELS)
                return 1;
        }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (frame_too_big(data, size))
        return 0;
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_decode_wsq(data, size, &img, &err) == 0)
        eyni_image_free(img);
    return 0;
}
