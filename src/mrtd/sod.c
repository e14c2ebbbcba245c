/* EF.SOD (Doc 9303 part 10/12): CMS SignedData over the LDS Security Object. */
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "mrtd_int.h"

#define OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"

struct eyni_sod {
    CMS_ContentInfo *cms;
    X509 *signer; /* our reference, NULL when the SOD embeds none */
    char digest[16];
    int n;
    int dg[EYNI_LDS_MAX_DG];
    unsigned char hash[EYNI_LDS_MAX_DG][EVP_MAX_MD_SIZE];
    size_t hash_len;
};

typedef struct digest_alg {
    const char *oid, *name;
    size_t len;
} digest_alg;

static const digest_alg digests[] = {
    {"1.3.14.3.2.26", "SHA-1", 20},
    {"2.16.840.1.101.3.4.2.4", "SHA-224", 28},
    {"2.16.840.1.101.3.4.2.1", "SHA-256", 32},
    {"2.16.840.1.101.3.4.2.2", "SHA-384", 48},
    {"2.16.840.1.101.3.4.2.3", "SHA-512", 64},
};

void eyni_sod_free(eyni_sod *sod)
{
    if (sod) {
        CMS_ContentInfo_free(sod->cms);
        X509_free(sod->signer);
        free(sod);
    }
}

static int ssl_fail(eyni_error *err, int code, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[160] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return eyni_error_set(err, code, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static int read_in(const unsigned char *b, size_t len, size_t *pos, unsigned tag, eyni_tlv *t,
                   const char *what, eyni_error *err)
{
    if (eyni_tlv_read(b, len, pos, t, err))
        return eyni_error_prefix(err, "EF.SOD %s: ", what);
    if (t->tag != tag)
        return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD %s: tag %X, expected %X", what, t->tag,
                              tag);
    return 0;
}

/* LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues, ... } */
static int parse_lso(eyni_sod *s, const unsigned char *b, size_t len, eyni_error *err)
{
    eyni_tlv seq = {0}, ver = {0}, alg = {0}, oid = {0}, list = {0};
    size_t pos = 0, p2 = 0, p3 = 0;
    if (read_in(b, len, &pos, 0x30, &seq, "security object", err))
        return err->code;
    if (read_in(seq.value, seq.len, &p2, 0x02, &ver, "version", err) ||
        read_in(seq.value, seq.len, &p2, 0x30, &alg, "hash algorithm", err) ||
        read_in(alg.value, alg.len, &p3, 0x06, &oid, "hash algorithm", err) ||
        read_in(seq.value, seq.len, &p2, 0x30, &list, "hash list", err))
        return err->code;
    if (ver.len != 1 || ver.value[0] > 1)
        return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: security object version unsupported");
    char text[64];
    mrtd_oid_text(oid.value, oid.len, text, sizeof text);
    const digest_alg *d = NULL;
    for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++)
        if (strcmp(digests[i].oid, text) == 0)
            d = &digests[i];
    if (!d)
        return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: hash algorithm %s unsupported", text);
    snprintf(s->digest, sizeof s->digest, "%s", d->name);
    s->hash_len = d->len;
    pos = 0;
    while (pos < list.len) {
        eyni_tlv item = {0}, num = {0}, h = {0};
        size_t ip = 0;
        if (read_in(list.value, list.len, &pos, 0x30, &item, "hash entry", err) ||
            read_in(item.value, item.len, &ip, 0x02, &num, "data group number", err) ||
            read_in(item.value, item.len, &ip, 0x04, &h, "hash value", err))
            return err->code;
        int dg = num.len == 1 ? num.value[0] : 0;
        if (dg < 1 || dg > 16)
            return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: data group number out of 1..16");
        if (h.len != d->len)
            return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: DG%d hash is %zu bytes, %s has %zu",
                                  dg, h.len, d->name, d->len);
        for (int i = 0; i < s->n; i++)
            if (s->dg[i] == dg)
                return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: DG%d listed twice", dg);
        if (s->n == EYNI_LDS_MAX_DG)
            return eyni_error_set(err, EYNI_ELIMIT, "EF.SOD: too many hashes");
        s->dg[s->n] = dg;
        memcpy(s->hash[s->n], h.value, h.len);
        s->n++;
    }
    if (s->n == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: no data group hashes");
    return 0;
}

/* The certificate that matches the (single) SignerInfo. */
static void find_signer(eyni_sod *s)
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(s->cms);
    if (sk_CMS_SignerInfo_num(sis) != 1)
        return;
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    STACK_OF(X509) *certs = CMS_get1_certs(s->cms);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (CMS_SignerInfo_cert_cmp(si, x) == 0 && X509_up_ref(x)) {
            s->signer = x;
            break;
        }
    }
    sk_X509_pop_free(certs, X509_free);
}

int eyni_sod_parse(const unsigned char *buf, size_t len, eyni_sod **out, eyni_error *err)
{
    eyni_tlv t = {0};
    size_t pos = 0;
    if (len == 0 || len > EYNI_LDS_MAX_FILE)
        return eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: %zu bytes", len);
    if (read_in(buf, len, &pos, 0x77, &t, "outer tag", err))
        return err->code;
    eyni_sod *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "EF.SOD: out of memory");
    const unsigned char *p = t.value;
    int rc = 0;
    s->cms = d2i_CMS_ContentInfo(NULL, &p, (long)t.len);
    if (!s->cms || p != t.value + t.len) {
        rc = ssl_fail(err, EYNI_EFORMAT, "EF.SOD: not a CMS structure");
        goto fail;
    }
    if (OBJ_obj2nid(CMS_get0_type(s->cms)) != NID_pkcs7_signed) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: CMS is not SignedData");
        goto fail;
    }
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(s->cms), 1);
    if (strcmp(oid, OID_LDS_SECURITY_OBJECT) != 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "EF.SOD: content type %s is not the LDS "
                            "Security Object",
                            oid);
        goto fail;
    }
    ASN1_OCTET_STRING **ec = CMS_get0_content(s->cms);
    if (!ec || !*ec) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "EF.SOD: no encapsulated security object");
        goto fail;
    }
    rc = parse_lso(s, ASN1_STRING_get0_data(*ec), (size_t)ASN1_STRING_length(*ec), err);
    if (rc)
        goto fail;
    find_signer(s);
    *out = s;
    return 0;
fail:
    eyni_sod_free(s);
    return rc;
}

const char *eyni_sod_digest_name(const eyni_sod *sod)
{
    return sod->digest;
}

int eyni_sod_hash(const eyni_sod *sod, int dg, const unsigned char **hash, size_t *len)
{
    for (int i = 0; i < sod->n; i++)
        if (sod->dg[i] == dg) {
            *hash = sod->hash[i];
            *len = sod->hash_len;
            return 0;
        }
    return EYNI_ENOTFOUND;
}

int eyni_sod_dgs(const eyni_sod *sod, int *dgs)
{
    int n = 0;
    for (int d = 1; d <= 16; d++) {
        const unsigned char *h;
        size_t l;
        if (eyni_sod_hash(sod, d, &h, &l) == 0)
            dgs[n++] = d;
    }
    return n;
}

X509 *eyni_sod_signer_get0(const eyni_sod *sod)
{
    return sod->signer;
}

int eyni_sod_verify_signature(const eyni_sod *sod, int *ok, char *reason, size_t cap,
                              eyni_error *err)
{
    *ok = 0;
    reason[0] = '\0';
    if (!sod->signer) {
        snprintf(reason, cap, "EF.SOD embeds no document signer certificate for its signer");
        return 0;
    }
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (!certs || !X509_add_cert(certs, sod->signer, X509_ADD_FLAG_UP_REF)) {
        sk_X509_free(certs);
        return eyni_error_set(err, EYNI_ENOMEM, "EF.SOD: out of memory");
    }
    /* The path of the DS certificate is checked separately against the CSCAs. */
    if (CMS_verify(sod->cms, certs, NULL, NULL, NULL,
                   CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY | CMS_NOINTERN) == 1) {
        *ok = 1;
    } else {
        unsigned long e = ERR_peek_last_error();
        char buf[160] = "unknown";
        if (e)
            ERR_error_string_n(e, buf, sizeof buf);
        snprintf(reason, cap, "EF.SOD signature does not verify: %s", buf);
    }
    ERR_clear_error();
    sk_X509_pop_free(certs, X509_free);
    return 0;
}

int eyni_sod_build(const eyni_sod_dg *dgs, int n, const eyni_pki_cert *ds_cert,
                   const eyni_pki_key *ds_key, unsigned char **out, size_t *outlen, eyni_error *err)
{
    static const unsigned char sha256_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                               0x03, 0x04, 0x02, 0x01};
    if (n < 1 || n > EYNI_LDS_MAX_DG)
        return eyni_error_set(err, EYNI_EINVAL, "EF.SOD: %d data groups", n);
    mbuf list = {0}, alg = {0}, lso = {0}, body = {0};
    for (int i = 0; i < n; i++) {
        if (dgs[i].dg < 1 || dgs[i].dg > 16)
            return eyni_error_set(err, EYNI_EINVAL, "EF.SOD: no data group %d", dgs[i].dg);
        unsigned char h[32], item[48];
        eyni_sha256(dgs[i].data, dgs[i].len, h);
        item[0] = 0x02, item[1] = 0x01, item[2] = (unsigned char)dgs[i].dg;
        item[3] = 0x04, item[4] = 32;
        memcpy(item + 5, h, 32);
        mbuf_tlv(&list, 0x30, item, 37);
    }
    mbuf_tlv(&alg, 0x06, sha256_oid, sizeof sha256_oid);
    mbuf_put(&body, "\x02\x01\x00", 3);
    mbuf_tlv(&body, 0x30, alg.p, alg.len);
    mbuf_tlv(&body, 0x30, list.p, list.len);
    mbuf_tlv(&lso, 0x30, body.p, body.len);
    int rc = list.failed || alg.failed || body.failed || lso.failed
                 ? eyni_error_set(err, EYNI_ENOMEM, "EF.SOD: out of memory")
                 : 0;
    unsigned char *cms = NULL;
    size_t cms_len = 0;
    if (rc == 0)
        rc = eyni_pki_cms_sign(lso.p, lso.len, OID_LDS_SECURITY_OBJECT, ds_cert, ds_key, &cms,
                               &cms_len, err);
    mbuf_free(&list);
    mbuf_free(&alg);
    mbuf_free(&body);
    mbuf_free(&lso);
    if (rc)
        return rc;
    mbuf b = {0};
    mbuf_tlv(&b, 0x77, cms, cms_len);
    free(cms);
    return mbuf_finish(&b, out, outlen, "EF.SOD", err);
}
