/* Fuzz the BER-TLV reader and every LDS data group decoder built on it. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/mrtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_error err;
    eyni_tlv t;
    size_t pos = 0;
    eyni_tlv_validate(data, size, &err);
    while (pos < size && eyni_tlv_read(data, size, &pos, &t, &err) == 0)
        ;
    eyni_lds_com com;
    eyni_mrz mrz;
    eyni_lds_biogroup g;
    eyni_lds_dg11 d11;
    eyni_lds_dg12 d12;
    eyni_lds_dg14 d14;
    eyni_lds_dg15 d15;
    eyni_lds_com_decode(data, size, &com, &err);
    eyni_lds_dg1_decode(data, size, &mrz, &err);
    eyni_lds_dg11_decode(data, size, &d11, &err);
    eyni_lds_dg12_decode(data, size, &d12, &err);
    eyni_lds_dg14_decode(data, size, &d14, &err);
    eyni_lds_dg15_decode(data, size, &d15, &err);
    if (eyni_lds_bio_decode(data, size, &g, &err) == 0) {
        for (int i = 0; i < g.count; i++) {
            eyni_finger_record fr;
            eyni_face_record r;
            if (g.bio[i].format_type == 0x0007)
                eyni_finger_record_decode(g.bio[i].bdb, g.bio[i].bdb_len, &fr, &err);
            else if (g.bio[i].format_type == 0x0008)
                eyni_face_record_decode(g.bio[i].bdb, g.bio[i].bdb_len, &r, &err);
        }
    }
    return 0;
}
