/* Fuzz every image decoder through the signature dispatch. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_decode(data, size, 0, &img, &err) == 0) {
        eyni_image *grey = NULL;
        if (eyni_image_convert(img, 1, &grey, &err) == 0)
            eyni_image_free(grey);
        eyni_image_free(img);
    }
    return 0;
}
