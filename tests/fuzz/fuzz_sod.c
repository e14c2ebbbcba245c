/* Fuzz the EF.SOD parser (CMS SignedData + LDS Security Object) and signature check. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/mrtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_sod *sod;
    eyni_error err;
    if (eyni_sod_parse(data, size, &sod, &err) != 0)
        return 0;
    int dgs[EYNI_LDS_MAX_DG], ok;
    int n = eyni_sod_dgs(sod, dgs);
    for (int i = 0; i < n; i++) {
        const unsigned char *h;
        size_t len;
        eyni_sod_hash(sod, dgs[i], &h, &len);
    }
    char reason[256];
    eyni_sod_verify_signature(sod, &ok, reason, sizeof reason, &err);
    eyni_sod_free(sod);
    return 0;
}
