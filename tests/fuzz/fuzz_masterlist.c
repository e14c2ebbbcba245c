/* Fuzz the CSCA master list reader (CMS SignedData + CscaMasterList). */
#include <stddef.h>
#include <stdint.h>

#include "eyni/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_pki_certs *list = NULL;
    eyni_pki_masterlist_info info;
    eyni_error err;
    if (eyni_pki_masterlist_load(data, size, NULL, 0, &list, &info, &err) == 0)
        eyni_pki_certs_free(list);
    return 0;
}
