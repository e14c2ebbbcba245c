/* Fuzz the ISO 19794-2 / ANSI 378 record reader; whatever it accepts must write back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "eyni/finger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_finger_template *t = NULL;
    eyni_finger_format fmt = 0;
    eyni_error err;
    if (eyni_finger_template_read(data, size, "fuzz", &t, &fmt, &err) == 0) {
        unsigned char *buf = NULL;
        size_t len = 0;
        if (eyni_finger_template_write(t, fmt, &buf, &len, &err) == 0)
            free(buf);
        (void)eyni_finger_compare(t, t);
        eyni_finger_template_free(t);
    }
    return 0;
}
