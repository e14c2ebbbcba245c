/* Fuzz the ISO/IEC 19794-5 and 39794-5 face record parsers (and the image check behind
 * them) and the 19794-4 finger record parser. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/mrtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_face_record r;
    eyni_finger_record f;
    eyni_error err;
    if (size > 0 && data[0] == 'F') {
        eyni_face_record_decode(data, size, &r, &err);
        eyni_finger_record_decode(data, size, &f, &err);
    } else {
        eyni_face_record39794_decode(data, size, &r, &err);
    }
    return 0;
}
