/* Building a complete signed chip (EF.COM, DG1, DG2, optional DG3/DG11/DG12, EF.SOD). */
#include <stdlib.h>
#include <string.h>

#include "mrtd_int.h"

typedef struct chip_out {
    int dg[6];
    unsigned char *data[6];
    size_t len[6];
    int n;
} chip_out;

static void chip_out_free(chip_out *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->data[i]);
}

static int encode_face(const eyni_mrtd_chip *chip, unsigned char **out, size_t *len,
                       eyni_error *err)
{
    unsigned char *rec;
    size_t rlen;
    int rc = eyni_face_record_encode(chip->face, chip->face_len, chip->gender, &rec, &rlen, err);
    if (rc)
        return eyni_error_prefix(err, "DG2: ");
    eyni_lds_biogroup g;
    memset(&g, 0, sizeof g);
    g.count = 1;
    g.bio[0] = (eyni_lds_bio){2, -1, 0x0101, 0x0008, rec, rlen};
    rc = eyni_lds_bio_encode(2, &g, out, len, err);
    free(rec);
    return rc;
}

static int encode_fingers(const eyni_finger_record *fr, unsigned char **out, size_t *len,
                          eyni_error *err)
{
    unsigned char *rec;
    size_t rlen;
    int rc = eyni_finger_record_encode(fr, &rec, &rlen, err);
    if (rc)
        return eyni_error_prefix(err, "DG3: ");
    eyni_lds_biogroup g;
    memset(&g, 0, sizeof g);
    g.count = 1;
    g.bio[0] = (eyni_lds_bio){8, -1, 0x0101, 0x0007, rec, rlen};
    rc = eyni_lds_bio_encode(3, &g, out, len, err);
    free(rec);
    return rc;
}

static int encode_all(const eyni_mrtd_chip *chip, chip_out *o, eyni_error *err)
{
    int rc;
    o->dg[o->n] = 1;
    if ((rc = eyni_lds_dg1_encode(&chip->mrz, &o->data[o->n], &o->len[o->n], err)) != 0)
        return rc;
    o->n++;
    o->dg[o->n] = 2;
    if ((rc = encode_face(chip, &o->data[o->n], &o->len[o->n], err)) != 0)
        return rc;
    o->n++;
    if (chip->fingers) {
        o->dg[o->n] = 3;
        if ((rc = encode_fingers(chip->fingers, &o->data[o->n], &o->len[o->n], err)) != 0)
            return rc;
        o->n++;
    }
    if (chip->dg11) {
        o->dg[o->n] = 11;
        if ((rc = eyni_lds_dg11_encode(chip->dg11, &o->data[o->n], &o->len[o->n], err)) != 0)
            return rc;
        o->n++;
    }
    if (chip->dg12) {
        o->dg[o->n] = 12;
        if ((rc = eyni_lds_dg12_encode(chip->dg12, &o->data[o->n], &o->len[o->n], err)) != 0)
            return rc;
        o->n++;
    }
    return 0;
}

static int write_file(const char *dir, const char *name, const unsigned char *b, size_t n,
                      eyni_error *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return eyni_error_set(err, EYNI_ELIMIT, "%.100s: path too long", dir);
    return eyni_file_write_atomic(path, b, n, 0644, err);
}

int eyni_mrtd_chip_write(const eyni_mrtd_chip *chip, const eyni_pki_cert *ds_cert,
                         const eyni_pki_key *ds_key, const char *dir, eyni_error *err)
{
    chip_out o;
    memset(&o, 0, sizeof o);
    unsigned char *com = NULL, *sod = NULL;
    size_t com_len = 0, sod_len = 0;
    if (!chip->mrz.valid)
        return eyni_error_set(err, EYNI_EINVAL, "chip: the MRZ for DG1 is not valid");
    int rc = encode_all(chip, &o, err);
    eyni_lds_com c;
    memset(&c, 0, sizeof c);
    eyni_sod_dg dgs[6];
    for (int i = 0; i < o.n; i++) {
        c.dgs[c.ndgs++] = o.dg[i];
        dgs[i] = (eyni_sod_dg){o.dg[i], o.data[i], o.len[i]};
    }
    if (rc == 0)
        rc = eyni_lds_com_encode(&c, &com, &com_len, err);
    if (rc == 0)
        rc = eyni_sod_build(dgs, o.n, ds_cert, ds_key, &sod, &sod_len, err);
    if (rc == 0)
        rc = eyni_dir_make(dir, err);
    for (int i = 0; rc == 0 && i < o.n; i++) {
        char name[32];
        snprintf(name, sizeof name, "Datagroup%d.bin", o.dg[i]);
        rc = write_file(dir, name, o.data[i], o.len[i], err);
    }
    if (rc == 0)
        rc = write_file(dir, "EF_COM.bin", com, com_len, err);
    if (rc == 0)
        rc = write_file(dir, "EF_SOD.bin", sod, sod_len, err);
    free(com);
    free(sod);
    chip_out_free(&o);
    return rc;
}
