/* LDS elementary files (Doc 9303 part 10): EF.COM, DG1, DG11, DG12, DG14, DG15. */
#include <string.h>

#include <openssl/x509.h>

#include "mrtd_int.h"

static const unsigned dg_tags[17] = {0x60, 0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
                                     0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70};

unsigned eyni_lds_dg_tag(int dg)
{
    return dg >= 0 && dg <= 16 ? dg_tags[dg] : 0;
}

int eyni_lds_tag_dg(unsigned tag)
{
    for (int i = 1; i <= 16; i++)
        if (dg_tags[i] == tag)
            return i;
    return 0;
}

/* The outer TLV of an elementary file must be the expected tag and fill the file. */
static int outer(const unsigned char *buf, size_t len, unsigned tag, const char *name, eyni_tlv *t,
                 eyni_error *err)
{
    size_t pos = 0;
    if (len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: empty file", name);
    if (len > EYNI_LDS_MAX_FILE)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: %zu bytes exceeds %u", name, len,
                              EYNI_LDS_MAX_FILE);
    if (eyni_tlv_read(buf, len, &pos, t, err))
        return eyni_error_prefix(err, "%s: ", name);
    if (t->tag != tag)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: outer tag %X, expected %X", name, t->tag,
                              tag);
    return 0;
}

static void copy_text(char *dst, size_t cap, const eyni_tlv *t)
{
    size_t n = t->len < cap - 1 ? t->len : cap - 1;
    memcpy(dst, t->value, n);
    dst[n] = '\0';
}

/* ---- EF.COM ------------------------------------------------------------------------- */

int eyni_lds_com_decode(const unsigned char *buf, size_t len, eyni_lds_com *out, eyni_error *err)
{
    eyni_tlv t = {0}, v = {0};
    eyni_lds_com c;
    memset(&c, 0, sizeof c);
    if (outer(buf, len, 0x60, "EF.COM", &t, err))
        return err->code;
    if (eyni_tlv_find(t.value, t.len, 0x5F01, &v, err) == 0)
        copy_text(c.lds_version, sizeof c.lds_version, &v);
    if (eyni_tlv_find(t.value, t.len, 0x5F36, &v, err) == 0)
        copy_text(c.unicode_version, sizeof c.unicode_version, &v);
    if (eyni_tlv_find(t.value, t.len, 0x5C, &v, err))
        return eyni_error_prefix(err, "EF.COM: tag list: ");
    for (size_t i = 0; i < v.len; i++) {
        int dg = eyni_lds_tag_dg(v.value[i]);
        if (!dg)
            return eyni_error_set(err, EYNI_EFORMAT, "EF.COM: tag list holds unknown tag %02X",
                                  v.value[i]);
        if (c.ndgs == EYNI_LDS_MAX_DG)
            return eyni_error_set(err, EYNI_ELIMIT, "EF.COM: more than %d data groups",
                                  EYNI_LDS_MAX_DG);
        c.dgs[c.ndgs++] = dg;
    }
    *out = c;
    return 0;
}

int eyni_lds_com_encode(const eyni_lds_com *com, unsigned char **out, size_t *outlen,
                        eyni_error *err)
{
    mbuf in = {0}, b = {0};
    unsigned char tags[EYNI_LDS_MAX_DG];
    if (com->ndgs < 0 || com->ndgs > EYNI_LDS_MAX_DG)
        return eyni_error_set(err, EYNI_EINVAL, "EF.COM: %d data groups", com->ndgs);
    for (int i = 0; i < com->ndgs; i++) {
        unsigned tag = com->dgs[i] >= 1 && com->dgs[i] <= 16 ? dg_tags[com->dgs[i]] : 0;
        if (!tag)
            return eyni_error_set(err, EYNI_EINVAL, "EF.COM: no data group %d", com->dgs[i]);
        tags[i] = (unsigned char)tag;
    }
    const char *lv = com->lds_version[0] ? com->lds_version : "0107";
    const char *uv = com->unicode_version[0] ? com->unicode_version : "040000";
    mbuf_tlv(&in, 0x5F01, lv, strlen(lv));
    mbuf_tlv(&in, 0x5F36, uv, strlen(uv));
    mbuf_tlv(&in, 0x5C, tags, (size_t)com->ndgs);
    if (!in.failed)
        mbuf_tlv(&b, 0x60, in.p, in.len);
    mbuf_free(&in);
    return mbuf_finish(&b, out, outlen, "EF.COM", err);
}

/* ---- DG1 ---------------------------------------------------------------------------- */

int eyni_lds_dg1_decode(const unsigned char *buf, size_t len, eyni_mrz *out, eyni_error *err)
{
    eyni_tlv t = {0}, v = {0};
    if (outer(buf, len, 0x61, "DG1", &t, err))
        return err->code;
    if (eyni_tlv_find(t.value, t.len, 0x5F1F, &v, err))
        return eyni_error_prefix(err, "DG1: ");
    if (eyni_mrz_parse((const char *)v.value, v.len, out, err))
        return eyni_error_prefix(err, "DG1: ");
    return 0;
}

int eyni_lds_dg1_encode(const eyni_mrz *mrz, unsigned char **out, size_t *outlen, eyni_error *err)
{
    char flat[3 * 44 + 1] = "";
    for (int i = 0; i < mrz->nlines && i < 3; i++)
        strcat(flat, mrz->lines[i]);
    size_t n = strlen(flat);
    if (n != 90 && n != 72 && n != 88)
        return eyni_error_set(err, EYNI_EINVAL, "DG1: MRZ of %zu characters", n);
    mbuf b = {0};
    mbuf_tl(&b, 0x61, n + 3);
    mbuf_tlv(&b, 0x5F1F, flat, n);
    return mbuf_finish(&b, out, outlen, "DG1", err);
}

/* ---- DG11 / DG12 -------------------------------------------------------------------- */

typedef struct text_tag {
    unsigned tag;
    size_t offset, cap;
} text_tag;

#define DG11_FIELD(tag, f)                                                                         \
    {                                                                                              \
        tag, offsetof(eyni_lds_dg11, f), sizeof(((eyni_lds_dg11 *)0)->f)                           \
    }
#define DG12_FIELD(tag, f)                                                                         \
    {                                                                                              \
        tag, offsetof(eyni_lds_dg12, f), sizeof(((eyni_lds_dg12 *)0)->f)                           \
    }

static const text_tag dg11_fields[] = {
    DG11_FIELD(0x5F0E, full_name),   DG11_FIELD(0x5F10, personal_number),
    DG11_FIELD(0x5F2B, birth_date),  DG11_FIELD(0x5F11, birth_place),
    DG11_FIELD(0x5F42, address),     DG11_FIELD(0x5F12, telephone),
    DG11_FIELD(0x5F13, profession),  DG11_FIELD(0x5F14, title),
    DG11_FIELD(0x5F0F, other_names),
};

static const text_tag dg12_fields[] = {
    DG12_FIELD(0x5F19, issuing_authority),      DG12_FIELD(0x5F26, issue_date),
    DG12_FIELD(0x5F1B, endorsements),           DG12_FIELD(0x5F55, personalization_time),
    DG12_FIELD(0x5F56, personalization_device),
};

static int text_decode(const unsigned char *buf, size_t len, unsigned tag, const char *name,
                       const text_tag *fields, size_t nf, char *base, eyni_error *err)
{
    eyni_tlv t = {0};
    if (outer(buf, len, tag, name, &t, err))
        return err->code;
    size_t pos = 0;
    while (pos < t.len) {
        eyni_tlv v = {0};
        if (eyni_tlv_read(t.value, t.len, &pos, &v, err))
            return eyni_error_prefix(err, "%s: ", name);
        if (v.tag == 0xA0 || v.tag == 0x5C)
            continue; /* other-names group and tag list: fields we do not keep apart */
        for (size_t i = 0; i < nf; i++) {
            if (fields[i].tag != v.tag)
                continue;
            if (v.len >= fields[i].cap)
                return eyni_error_set(err, EYNI_ELIMIT, "%s: field %X of %zu bytes exceeds %zu",
                                      name, v.tag, v.len, fields[i].cap - 1);
            if (!eyni_utf8_valid((const char *)v.value, v.len))
                return eyni_error_set(err, EYNI_EFORMAT, "%s: field %X is not UTF-8", name, v.tag);
            copy_text(base + fields[i].offset, fields[i].cap, &v);
        }
    }
    return 0;
}

static int text_encode(unsigned tag, const char *name, const text_tag *fields, size_t nf,
                       const char *base, unsigned char **out, size_t *outlen, eyni_error *err)
{
    mbuf in = {0}, b = {0};
    unsigned char list[32];
    size_t nlist = 0;
    for (size_t i = 0; i < nf; i++) {
        const char *s = base + fields[i].offset;
        if (!s[0])
            continue;
        if (!eyni_utf8_valid(s, strlen(s)))
            return eyni_error_set(err, EYNI_EINVAL, "%s: field %X is not UTF-8", name,
                                  fields[i].tag);
        list[nlist++] = (unsigned char)(fields[i].tag >> 8);
        list[nlist++] = (unsigned char)fields[i].tag;
    }
    mbuf_tlv(&in, 0x5C, list, nlist);
    for (size_t i = 0; i < nf; i++) {
        const char *s = base + fields[i].offset;
        if (s[0])
            mbuf_tlv(&in, fields[i].tag, s, strlen(s));
    }
    if (!in.failed)
        mbuf_tlv(&b, tag, in.p, in.len);
    mbuf_free(&in);
    return mbuf_finish(&b, out, outlen, name, err);
}

#define NF(a) (sizeof a / sizeof a[0])

int eyni_lds_dg11_decode(const unsigned char *buf, size_t len, eyni_lds_dg11 *out, eyni_error *err)
{
    eyni_lds_dg11 d;
    memset(&d, 0, sizeof d);
    int rc = text_decode(buf, len, 0x6B, "DG11", dg11_fields, NF(dg11_fields), (char *)&d, err);
    if (rc == 0)
        *out = d;
    return rc;
}

int eyni_lds_dg11_encode(const eyni_lds_dg11 *dg, unsigned char **out, size_t *outlen,
                         eyni_error *err)
{
    return text_encode(0x6B, "DG11", dg11_fields, NF(dg11_fields), (const char *)dg, out, outlen,
                       err);
}

int eyni_lds_dg12_decode(const unsigned char *buf, size_t len, eyni_lds_dg12 *out, eyni_error *err)
{
    eyni_lds_dg12 d;
    memset(&d, 0, sizeof d);
    int rc = text_decode(buf, len, 0x6C, "DG12", dg12_fields, NF(dg12_fields), (char *)&d, err);
    if (rc == 0)
        *out = d;
    return rc;
}

int eyni_lds_dg12_encode(const eyni_lds_dg12 *dg, unsigned char **out, size_t *outlen,
                         eyni_error *err)
{
    return text_encode(0x6C, "DG12", dg12_fields, NF(dg12_fields), (const char *)dg, out, outlen,
                       err);
}

/* ---- DG14 / DG15 -------------------------------------------------------------------- */

int eyni_lds_dg14_decode(const unsigned char *buf, size_t len, eyni_lds_dg14 *out, eyni_error *err)
{
    eyni_tlv t = {0}, set = {0};
    eyni_lds_dg14 d;
    memset(&d, 0, sizeof d);
    if (outer(buf, len, 0x6E, "DG14", &t, err))
        return err->code;
    size_t pos = 0;
    if (eyni_tlv_read(t.value, t.len, &pos, &set, err))
        return eyni_error_prefix(err, "DG14: ");
    if (set.tag != 0x31)
        return eyni_error_set(err, EYNI_EFORMAT, "DG14: SecurityInfos is not a SET");
    pos = 0;
    while (pos < set.len) {
        eyni_tlv info = {0}, oid = {0};
        size_t ipos = 0;
        if (eyni_tlv_read(set.value, set.len, &pos, &info, err) ||
            eyni_tlv_read(info.value, info.len, &ipos, &oid, err))
            return eyni_error_prefix(err, "DG14: ");
        if (info.tag != 0x30 || oid.tag != 0x06)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "DG14: SecurityInfo is not SEQUENCE { OID, ... }");
        if (d.count == (int)(sizeof d.protocols / sizeof d.protocols[0]))
            return eyni_error_set(err, EYNI_ELIMIT, "DG14: more than %d security infos", d.count);
        mrtd_oid_text(oid.value, oid.len, d.protocols[d.count], sizeof d.protocols[0]);
        d.count++;
    }
    *out = d;
    return 0;
}

int eyni_lds_dg15_decode(const unsigned char *buf, size_t len, eyni_lds_dg15 *out, eyni_error *err)
{
    eyni_tlv t = {0};
    if (outer(buf, len, 0x6F, "DG15", &t, err))
        return err->code;
    const unsigned char *p = t.value;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)t.len);
    if (!k)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "DG15: not a SubjectPublicKeyInfo OpenSSL can read");
    eyni_lds_dg15 d;
    memset(&d, 0, sizeof d);
    snprintf(d.key_type, sizeof d.key_type, "%s", EVP_PKEY_get0_type_name(k));
    d.bits = EVP_PKEY_get_bits(k);
    EVP_PKEY_free(k);
    *out = d;
    return 0;
}
