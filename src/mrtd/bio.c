/*
 * Biometric data groups (DG2 face, DG3 finger, DG4 iris: CBEFF templates of Doc 9303
 * part 10) and the records inside them: ISO/IEC 19794-5:2005 face, 39794-5 face (DER),
 * 19794-4:2005 finger image.
 */
#include <string.h>

#include "mrtd_int.h"

static int bio_dg_of_tag(unsigned tag)
{
    return tag == 0x75 ? 2 : tag == 0x63 ? 3 : tag == 0x76 ? 4 : 0;
}

static int small_int(const eyni_tlv *t)
{
    return t->len >= 1 && t->len <= 3 ? (int)mrtd_be(t->value, (int)t->len) : -1;
}

/* One biometric information template (7F60): header A1 and data block 5F2E / 7F2E. */
static int bio_instance(const eyni_tlv *bit, eyni_lds_bio *out, eyni_error *err)
{
    eyni_tlv hdr = {0}, v = {0}, bdb = {0};
    memset(out, 0, sizeof *out);
    if (eyni_tlv_find(bit->value, bit->len, 0xA1, &hdr, err))
        return eyni_error_prefix(err, "biometric header template: ");
    if (eyni_tlv_find(bit->value, bit->len, 0x5F2E, &bdb, err) &&
        eyni_tlv_find(bit->value, bit->len, 0x7F2E, &bdb, err))
        return eyni_error_set(err, EYNI_EFORMAT, "biometric data block (5F2E/7F2E) missing");
    out->type = eyni_tlv_find(hdr.value, hdr.len, 0x81, &v, err) == 0 ? small_int(&v) : -1;
    out->subtype = eyni_tlv_find(hdr.value, hdr.len, 0x82, &v, err) == 0 ? small_int(&v) : -1;
    out->format_owner = eyni_tlv_find(hdr.value, hdr.len, 0x87, &v, err) == 0 ? small_int(&v) : -1;
    out->format_type = eyni_tlv_find(hdr.value, hdr.len, 0x88, &v, err) == 0 ? small_int(&v) : -1;
    if (out->format_owner < 0 || out->format_type < 0)
        return eyni_error_set(err, EYNI_EFORMAT, "biometric header lacks format owner/type");
    out->bdb = bdb.value;
    out->bdb_len = bdb.len;
    return 0;
}

int eyni_lds_bio_decode(const unsigned char *buf, size_t len, eyni_lds_biogroup *out,
                        eyni_error *err)
{
    eyni_tlv t = {0}, group = {0}, count = {0};
    size_t pos = 0;
    if (len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "biometric DG: empty file");
    if (eyni_tlv_read(buf, len, &pos, &t, err))
        return eyni_error_prefix(err, "biometric DG: ");
    int dg = bio_dg_of_tag(t.tag);
    if (!dg)
        return eyni_error_set(err, EYNI_EFORMAT, "biometric DG: outer tag %X is not DG2/3/4",
                              t.tag);
    if (eyni_tlv_find(t.value, t.len, 0x7F61, &group, err) ||
        eyni_tlv_find(group.value, group.len, 0x02, &count, err))
        return eyni_error_prefix(err, "DG%d: ", dg);
    int n = small_int(&count);
    if (n < 1 || n > EYNI_LDS_MAX_BIO)
        return eyni_error_set(err, EYNI_ELIMIT, "DG%d: %d instances (1..%d allowed)", dg, n,
                              EYNI_LDS_MAX_BIO);
    eyni_lds_biogroup g;
    memset(&g, 0, sizeof g);
    pos = 0;
    while (pos < group.len) {
        eyni_tlv e = {0};
        if (eyni_tlv_read(group.value, group.len, &pos, &e, err))
            return eyni_error_prefix(err, "DG%d: ", dg);
        if (e.tag != 0x7F60)
            continue;
        if (g.count == n)
            return eyni_error_set(err, EYNI_EFORMAT, "DG%d: more instances than its count %d", dg,
                                  n);
        if (bio_instance(&e, &g.bio[g.count], err))
            return eyni_error_prefix(err, "DG%d instance %d: ", dg, g.count + 1);
        g.count++;
    }
    if (g.count != n)
        return eyni_error_set(err, EYNI_EFORMAT, "DG%d: count says %d instances, found %d", dg, n,
                              g.count);
    *out = g;
    return 0;
}

int eyni_lds_bio_encode(int dg, const eyni_lds_biogroup *group, unsigned char **out, size_t *outlen,
                        eyni_error *err)
{
    unsigned tag = dg == 2 ? 0x75 : dg == 3 ? 0x63 : dg == 4 ? 0x76 : 0;
    if (!tag || group->count < 1 || group->count > EYNI_LDS_MAX_BIO)
        return eyni_error_set(err, EYNI_EINVAL, "biometric DG%d with %d instances", dg,
                              group->count);
    mbuf inner = {0}, b = {0};
    mbuf_byte(&inner, 0x02);
    mbuf_byte(&inner, 0x01);
    mbuf_byte(&inner, (unsigned)group->count);
    for (int i = 0; i < group->count; i++) {
        const eyni_lds_bio *x = &group->bio[i];
        mbuf h = {0}, bit = {0};
        unsigned char v[2];
        v[0] = 0x01; /* ICAO header version 1.1 */
        v[1] = 0x01;
        mbuf_tlv(&h, 0x80, v, 2);
        v[0] = (unsigned char)x->type;
        mbuf_tlv(&h, 0x81, v, 1);
        if (x->subtype >= 0) {
            v[0] = (unsigned char)x->subtype;
            mbuf_tlv(&h, 0x82, v, 1);
        }
        v[0] = (unsigned char)(x->format_owner >> 8), v[1] = (unsigned char)x->format_owner;
        mbuf_tlv(&h, 0x87, v, 2);
        v[0] = (unsigned char)(x->format_type >> 8), v[1] = (unsigned char)x->format_type;
        mbuf_tlv(&h, 0x88, v, 2);
        mbuf_tlv(&bit, 0xA1, h.p, h.len);
        mbuf_tlv(&bit, 0x5F2E, x->bdb, x->bdb_len);
        mbuf_tlv(&inner, 0x7F60, bit.p, bit.len);
        int failed = h.failed || bit.failed;
        mbuf_free(&h);
        mbuf_free(&bit);
        if (failed)
            inner.failed = 1;
    }
    mbuf grp = {0};
    mbuf_tlv(&grp, 0x7F61, inner.p, inner.len);
    mbuf_tlv(&b, tag, grp.p, grp.len);
    if (inner.failed || grp.failed)
        b.failed = 1;
    mbuf_free(&inner);
    mbuf_free(&grp);
    return mbuf_finish(&b, out, outlen, "biometric DG", err);
}

/* What the image bytes are, whatever the record claims. */
static const char *sniff(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xD8)
        return "JPEG";
    if ((n >= 8 && memcmp(p + 4, "jP  ", 4) == 0) || (n >= 2 && p[0] == 0xFF && p[1] == 0x4F))
        return "JPEG 2000";
    return "unknown";
}

/* ---- ISO/IEC 19794-5:2005 ----------------------------------------------------------- */

#define FAC_HEADER     14
#define FAC_INFO       20
#define FAC_POINT      8
#define FAC_IMAGE_INFO 12

int eyni_face_record_decode(const unsigned char *buf, size_t len, eyni_face_record *out,
                            eyni_error *err)
{
    eyni_face_record r;
    memset(&r, 0, sizeof r);
    if (len < FAC_HEADER + FAC_INFO + FAC_IMAGE_INFO)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-5: %zu bytes is too short", len);
    if (memcmp(buf, "FAC\0", 4) != 0 || memcmp(buf + 4, "010\0", 4) != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-5: not a 'FAC' version '010' record");
    unsigned long long total = mrtd_be(buf + 8, 4);
    if (total != len)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-5: record length %llu, have %zu bytes",
                              total, len);
    r.standard = 2005;
    r.images = (unsigned)mrtd_be(buf + 12, 2);
    if (r.images < 1)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-5: record holds no face image");
    const unsigned char *f = buf + FAC_HEADER;
    unsigned long long block = mrtd_be(f, 4);
    r.feature_points = (unsigned)mrtd_be(f + 4, 2);
    r.gender = f[6];
    r.eye_colour = f[7];
    r.hair_colour = f[8];
    r.expression = (int)mrtd_be(f + 12, 2);
    size_t fixed = FAC_INFO + (size_t)r.feature_points * FAC_POINT + FAC_IMAGE_INFO;
    if (block > len - FAC_HEADER || block < fixed)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "19794-5: facial data block of %llu bytes does not fit (%zu "
                              "needed, %zu available)",
                              block, fixed, len - FAC_HEADER);
    const unsigned char *ii = f + FAC_INFO + (size_t)r.feature_points * FAC_POINT;
    r.face_image_type = ii[0];
    r.image_data_type = ii[1];
    r.width = (unsigned)mrtd_be(ii + 2, 2);
    r.height = (unsigned)mrtd_be(ii + 4, 2);
    r.image = ii + FAC_IMAGE_INFO;
    r.image_len = (size_t)block - fixed;
    if (r.image_len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-5: image data is empty");
    r.image_format = sniff(r.image, r.image_len);
    r.image_ok = mrtd_image_check(r.image, r.image_len, &r.decoded_width, &r.decoded_height,
                                  r.image_problem, sizeof r.image_problem);
    /* A size disagreement is a record defect worth reporting, not an unreadable image. */
    r.size_matches = r.image_ok && r.decoded_width == r.width && r.decoded_height == r.height;
    *out = r;
    return 0;
}

int eyni_face_record_encode(const unsigned char *image, size_t len, int gender, unsigned char **out,
                            size_t *outlen, eyni_error *err)
{
    unsigned w, h;
    char problem[160];
    if (len == 0 || len > EYNI_LDS_MAX_FILE - 64)
        return eyni_error_set(err, EYNI_EINVAL, "portrait of %zu bytes", len);
    if (!mrtd_image_check(image, len, &w, &h, problem, sizeof problem))
        return eyni_error_set(err, EYNI_EINVAL, "portrait: %s", problem);
    if (w > 0xFFFF || h > 0xFFFF)
        return eyni_error_set(err, EYNI_EINVAL, "portrait of %ux%u is too large", w, h);
    int jp2 = image[0] != 0xFF;
    size_t block = FAC_INFO + FAC_IMAGE_INFO + len;
    mbuf b = {0};
    mbuf_put(&b,
             "FAC\0"
             "010\0",
             8);
    mbuf_be(&b, FAC_HEADER + block, 4);
    mbuf_be(&b, 1, 2);
    mbuf_be(&b, block, 4);
    mbuf_be(&b, 0, 2);               /* feature points */
    mbuf_byte(&b, (unsigned)gender); /* 0 unspecified, 1 male, 2 female */
    mbuf_byte(&b, 0);                /* eye colour unspecified */
    mbuf_byte(&b, 0);                /* hair colour unspecified */
    mbuf_be(&b, 0, 3);               /* property mask */
    mbuf_be(&b, 0, 2);               /* expression unspecified */
    mbuf_be(&b, 0, 3);               /* pose angles */
    mbuf_be(&b, 0, 3);               /* pose uncertainty */
    mbuf_byte(&b, 1);                /* full frontal */
    mbuf_byte(&b, jp2 ? 1 : 0);      /* JPEG 2000 / JPEG */
    mbuf_be(&b, w, 2);
    mbuf_be(&b, h, 2);
    mbuf_byte(&b, 1);  /* colour space: 24-bit RGB */
    mbuf_byte(&b, 2);  /* source: digital still camera */
    mbuf_be(&b, 0, 2); /* device type unspecified */
    mbuf_be(&b, 0, 2); /* quality unspecified */
    mbuf_put(&b, image, len);
    return mbuf_finish(&b, out, outlen, "19794-5 record", err);
}

/* ---- ISO/IEC 39794-5 (DER) ---------------------------------------------------------- */

/* Follows a path of context tags, taking the first element with each tag. */
static int der_path(const unsigned char *buf, size_t len, const unsigned *tags, int n,
                    eyni_tlv *out, eyni_error *err)
{
    eyni_tlv t = {0};
    t.value = buf;
    t.len = len;
    for (int i = 0; i < n; i++) {
        if (eyni_tlv_find(t.value, t.len, tags[i], &t, err))
            return eyni_error_prefix(err, "39794-5: element %d of the image path: ", i + 1);
    }
    *out = t;
    return 0;
}

int eyni_face_record39794_decode(const unsigned char *buf, size_t len, eyni_face_record *out,
                                 eyni_error *err)
{
    /* [1] { FaceImageDataBlock [APPLICATION 5] { version [0], representations [1] {
     *   SEQUENCE { id [0], imageRepresentation [1] { base2D [0] { imageData [0] ... */
    static const unsigned to_reps[] = {0xA1, 0x65, 0xA1};
    static const unsigned to_image[] = {0xA1, 0xA0, 0xA0, 0x80};
    eyni_face_record r;
    eyni_tlv reps = {0}, rep = {0}, img = {0};
    memset(&r, 0, sizeof r);
    if (len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "39794-5: empty record");
    if (der_path(buf, len, to_reps, 3, &reps, err))
        return err->code;
    size_t pos = 0;
    while (pos < reps.len) {
        eyni_tlv e = {0};
        if (eyni_tlv_read(reps.value, reps.len, &pos, &e, err))
            return eyni_error_prefix(err, "39794-5: ");
        if (e.tag == 0x30 && r.images++ == 0)
            rep = e;
    }
    if (r.images == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "39794-5: no representation");
    if (der_path(rep.value, rep.len, to_image, 4, &img, err))
        return err->code;
    r.standard = 2011;
    r.image = img.value;
    r.image_len = img.len;
    r.image_data_type = r.image_len > 0 && r.image[0] == 0xFF ? 0 : 1;
    r.face_image_type = 1;
    r.image_format = sniff(r.image, r.image_len);
    r.image_ok = mrtd_image_check(r.image, r.image_len, &r.decoded_width, &r.decoded_height,
                                  r.image_problem, sizeof r.image_problem);
    r.width = r.decoded_width;
    r.height = r.decoded_height;
    r.size_matches = r.image_ok;
    *out = r;
    return 0;
}

/* ---- ISO/IEC 19794-4:2005 ----------------------------------------------------------- */

#define FIR_HEADER 32
#define FIR_VIEW   14

int eyni_finger_record_decode(const unsigned char *buf, size_t len, eyni_finger_record *out,
                              eyni_error *err)
{
    eyni_finger_record r;
    memset(&r, 0, sizeof r);
    if (len < FIR_HEADER)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-4: %zu bytes is too short", len);
    if (memcmp(buf, "FIR\0", 4) != 0 || memcmp(buf + 4, "010\0", 4) != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-4: not a 'FIR' version '010' record");
    if (mrtd_be(buf + 8, 6) != len)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-4: record length %llu, have %zu bytes",
                              mrtd_be(buf + 8, 6), len);
    int n = buf[18];
    r.resolution_ppi = (unsigned)mrtd_be(buf + 24, 2); /* image resolution, scale units ppi */
    if (buf[19] == 2)
        r.resolution_ppi = (unsigned)(r.resolution_ppi * 254 + 50) / 100; /* ppcm */
    r.pixel_depth = buf[28];
    r.compression = buf[29];
    if (n < 1 || n > EYNI_FINGER_RECORD_MAX)
        return eyni_error_set(err, EYNI_ELIMIT, "19794-4: %d finger views (1..%d allowed)", n,
                              EYNI_FINGER_RECORD_MAX);
    size_t pos = FIR_HEADER;
    for (int i = 0; i < n; i++) {
        if (len - pos < FIR_VIEW)
            return eyni_error_set(err, EYNI_EFORMAT, "19794-4: view %d header truncated", i + 1);
        const unsigned char *v = buf + pos;
        unsigned long long vl = mrtd_be(v, 4);
        if (vl < FIR_VIEW || vl > len - pos)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "19794-4: view %d claims %llu bytes, %zu remain", i + 1, vl,
                                  len - pos);
        eyni_finger_image *f = &r.fingers[i];
        f->position = v[4];
        f->quality = v[7];
        f->impression = v[8];
        f->width = (unsigned)mrtd_be(v + 9, 2);
        f->height = (unsigned)mrtd_be(v + 11, 2);
        f->data = v + FIR_VIEW;
        f->len = (size_t)vl - FIR_VIEW;
        pos += (size_t)vl;
    }
    if (pos != len)
        return eyni_error_set(err, EYNI_EFORMAT, "19794-4: %zu bytes after the last view",
                              len - pos);
    r.count = n;
    *out = r;
    return 0;
}

int eyni_finger_record_encode(const eyni_finger_record *rec, unsigned char **out, size_t *outlen,
                              eyni_error *err)
{
    if (rec->count < 1 || rec->count > EYNI_FINGER_RECORD_MAX)
        return eyni_error_set(err, EYNI_EINVAL, "19794-4: %d finger views", rec->count);
    size_t total = FIR_HEADER;
    for (int i = 0; i < rec->count; i++) {
        const eyni_finger_image *f = &rec->fingers[i];
        if (f->len == 0 || f->len > EYNI_LDS_MAX_FILE || f->width > 0xFFFF || f->height > 0xFFFF ||
            f->position < 0 || f->position > 15)
            return eyni_error_set(err, EYNI_EINVAL, "19794-4: finger view %d is invalid", i + 1);
        total += FIR_VIEW + f->len;
    }
    unsigned ppi = rec->resolution_ppi ? rec->resolution_ppi : 500;
    mbuf b = {0};
    mbuf_put(&b,
             "FIR\0"
             "010\0",
             8);
    mbuf_be(&b, total, 6);
    mbuf_be(&b, 0, 2);  /* capture device id */
    mbuf_be(&b, 31, 2); /* image acquisition level: 500 ppi, 8 bit (level 31) */
    mbuf_byte(&b, (unsigned)rec->count);
    mbuf_byte(&b, 1); /* scale units: pixels per inch */
    mbuf_be(&b, ppi, 2);
    mbuf_be(&b, ppi, 2);
    mbuf_be(&b, ppi, 2);
    mbuf_be(&b, ppi, 2);
    mbuf_byte(&b, (unsigned)(rec->pixel_depth ? rec->pixel_depth : 8));
    mbuf_byte(&b, (unsigned)rec->compression);
    mbuf_be(&b, 0, 2);
    for (int i = 0; i < rec->count; i++) {
        const eyni_finger_image *f = &rec->fingers[i];
        mbuf_be(&b, FIR_VIEW + f->len, 4);
        mbuf_byte(&b, (unsigned)f->position);
        mbuf_byte(&b, 1); /* count of views */
        mbuf_byte(&b, 1); /* view number */
        mbuf_byte(&b, (unsigned)f->quality);
        mbuf_byte(&b, (unsigned)f->impression);
        mbuf_be(&b, f->width, 2);
        mbuf_be(&b, f->height, 2);
        mbuf_byte(&b, 0);
        mbuf_put(&b, f->data, f->len);
    }
    return mbuf_finish(&b, out, outlen, "19794-4 record", err);
}
