/* CMS signing (RFC 5652) and CSCA master lists (Doc 9303 part 12). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "pki_int.h"

#define OID_CSCA_MASTER_LIST "2.23.136.1.1.2"

int pki_der_header(const unsigned char *buf, size_t len, size_t *pos, unsigned *tag, size_t *vlen)
{
    size_t p = *pos;
    if (p + 2 > len)
        return -1;
    *tag = buf[p++];
    if ((*tag & 0x1F) == 0x1F)
        return -1;
    size_t l = buf[p++];
    if (l & 0x80) {
        size_t nb = l & 0x7F;
        if (nb == 0 || nb > 4 || nb > len - p)
            return -1;
        l = 0;
        for (size_t i = 0; i < nb; i++)
            l = (l << 8) | buf[p++];
    }
    if (l > len - p)
        return -1;
    *pos = p;
    *vlen = l;
    return 0;
}

int eyni_pki_cms_sign(const unsigned char *content, size_t len, const char *oid,
                      const eyni_pki_cert *cert, const eyni_pki_key *key, unsigned char **out,
                      size_t *outlen, eyni_error *err)
{
    EVP_PKEY *pk = eyni_pki_key_get0(key);
    unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    BIO *in = BIO_new_mem_buf(content, (int)len);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    ASN1_OBJECT *type = OBJ_txt2obj(oid, 1);
    unsigned char *der = NULL;
    int rc = 0;
    if (!in || !cms || !type) {
        rc = pki_ssl_error(err, EYNI_ENOMEM, "CMS: set-up");
        goto done;
    }
    if (X509_check_private_key(cert->x, pk) != 1) {
        rc = pki_ssl_error(err, EYNI_EINVAL, "CMS: key does not match the signer certificate");
        goto done;
    }
    int pss = EVP_PKEY_is_a(pk, "RSA-PSS");
    CMS_SignerInfo *si =
        CMS_add1_signer(cms, cert->x, pk, pki_md_for(pk), flags | (pss ? CMS_KEY_PARAM : 0));
    if (!si || (pss && !pki_pss_setup(CMS_SignerInfo_get0_pkey_ctx(si), pk)) ||
        !CMS_set1_eContentType(cms, type) || !CMS_final(cms, in, NULL, flags)) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "CMS: signing");
        goto done;
    }
    int n = i2d_CMS_ContentInfo(cms, &der);
    if (n <= 0) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "CMS: encoding");
        goto done;
    }
    if (!(*out = malloc((size_t)n))) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "CMS: out of memory");
        goto done;
    }
    memcpy(*out, der, (size_t)n);
    *outlen = (size_t)n;
done:
    OPENSSL_free(der);
    ASN1_OBJECT_free(type);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return rc;
}

typedef struct der_item {
    unsigned char *p;
    int n;
} der_item;

/* DER orders SET OF elements by their encodings. */
static int der_cmp(const void *a, const void *b)
{
    const der_item *x = a, *y = b;
    int n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, (size_t)n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static size_t put_header(unsigned char *o, unsigned tag, size_t n)
{
    size_t k = 0;
    o[k++] = (unsigned char)tag;
    if (n < 0x80) {
        o[k++] = (unsigned char)n;
        return k;
    }
    int bytes = n > 0xFFFFFF ? 4 : n > 0xFFFF ? 3 : n > 0xFF ? 2 : 1;
    o[k++] = (unsigned char)(0x80 | bytes);
    for (int i = bytes - 1; i >= 0; i--)
        o[k++] = (unsigned char)(n >> (8 * i));
    return k;
}

/* CscaMasterList ::= SEQUENCE { version INTEGER (0), certList SET OF Certificate } */
static int encode_list(const eyni_pki_certs *cscas, unsigned char **out, size_t *outlen,
                       eyni_error *err)
{
    size_t n = eyni_pki_certs_count(cscas), total = 0;
    der_item *items = calloc(n ? n : 1, sizeof *items);
    int rc = 0;
    if (!items)
        return eyni_error_set(err, EYNI_ENOMEM, "master list: out of memory");
    for (size_t i = 0; i < n; i++) {
        items[i].n = i2d_X509(eyni_pki_certs_get0(cscas, i), &items[i].p);
        if (items[i].n <= 0) {
            rc = pki_ssl_error(err, EYNI_ECRYPTO, "master list: certificate encoding");
            goto done;
        }
        total += (size_t)items[i].n;
    }
    qsort(items, n, sizeof *items, der_cmp);
    unsigned char set_hdr[8], seq_hdr[8];
    size_t sh = put_header(set_hdr, 0x31, total);
    size_t body = 3 + sh + total;
    size_t qh = put_header(seq_hdr, 0x30, body);
    unsigned char *o = malloc(qh + body);
    if (!o) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "master list: out of memory");
        goto done;
    }
    size_t k = 0;
    memcpy(o, seq_hdr, qh), k += qh;
    o[k++] = 0x02, o[k++] = 0x01, o[k++] = 0x00;
    memcpy(o + k, set_hdr, sh), k += sh;
    for (size_t i = 0; i < n; i++)
        memcpy(o + k, items[i].p, (size_t)items[i].n), k += (size_t)items[i].n;
    *out = o;
    *outlen = k;
done:
    for (size_t i = 0; i < n; i++)
        OPENSSL_free(items[i].p);
    free(items);
    return rc;
}

int eyni_pki_masterlist_export(const eyni_pki_certs *cscas, const eyni_pki_cert *signer,
                               const eyni_pki_key *signer_key, unsigned char **out, size_t *outlen,
                               eyni_error *err)
{
    unsigned char *content = NULL;
    size_t len = 0;
    if (eyni_pki_certs_count(cscas) == 0)
        return eyni_error_set(err, EYNI_EINVAL, "master list: no CSCA certificates");
    int rc = encode_list(cscas, &content, &len, err);
    if (rc)
        return rc;
    rc =
        eyni_pki_cms_sign(content, len, OID_CSCA_MASTER_LIST, signer, signer_key, out, outlen, err);
    free(content);
    return rc;
}

/* Parses the CscaMasterList content into list. */
static int parse_list(const unsigned char *c, size_t len, eyni_pki_certs *list, eyni_error *err)
{
    size_t pos = 0, vlen;
    unsigned tag;
    if (pki_der_header(c, len, &pos, &tag, &vlen) || tag != 0x30)
        return eyni_error_set(err, EYNI_EFORMAT, "master list: content is not a SEQUENCE");
    size_t end = pos + vlen;
    if (pki_der_header(c, end, &pos, &tag, &vlen) || tag != 0x02 || vlen != 1 || c[pos] != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "master list: version is not 0");
    pos += vlen;
    if (pki_der_header(c, end, &pos, &tag, &vlen) || tag != 0x31)
        return eyni_error_set(err, EYNI_EFORMAT, "master list: certList is not a SET");
    size_t set_end = pos + vlen;
    while (pos < set_end) {
        if (eyni_pki_certs_count(list) >= EYNI_PKI_MAX_MASTERLIST_CERTS)
            return eyni_error_set(err, EYNI_ELIMIT, "master list: more than %d certificates",
                                  EYNI_PKI_MAX_MASTERLIST_CERTS);
        const unsigned char *p = c + pos;
        X509 *x = d2i_X509(NULL, &p, (long)(set_end - pos));
        if (!x)
            return pki_ssl_error(err, EYNI_EFORMAT, "master list: certificate unreadable");
        pos = (size_t)(p - c);
        if (!X509_add_cert(list->sk, x, 0)) {
            X509_free(x);
            return eyni_error_set(err, EYNI_ENOMEM, "master list: out of memory");
        }
    }
    return 0;
}

static void check_signer(CMS_ContentInfo *cms, const eyni_pki_cert *root, time_t at,
                         eyni_pki_masterlist_info *info, eyni_error *err)
{
    STACK_OF(X509) *signers = CMS_get0_signers(cms);
    X509 *s = sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
    info->signer_chain_ok = root ? 0 : -1;
    if (s) {
        eyni_pki_cert tmp = {s};
        eyni_pki_cert_subject(&tmp, info->signer, sizeof info->signer);
    }
    if (root && s) {
        eyni_pki_certs anchors = {sk_X509_new_null()};
        eyni_pki_certs untrusted = {CMS_get1_certs(cms)};
        eyni_pki_verify_opts o = {&anchors, &untrusted, NULL, at};
        int ok = 0;
        char reason[200];
        if (anchors.sk && X509_add_cert(anchors.sk, root->x, X509_ADD_FLAG_UP_REF) &&
            eyni_pki_verify(s, &o, &ok, reason, sizeof reason, err) == 0) {
            info->signer_chain_ok = ok;
            if (!ok && !info->reason[0])
                snprintf(info->reason, sizeof info->reason, "master list signer: %s", reason);
        }
        sk_X509_pop_free(anchors.sk, X509_free);
        sk_X509_pop_free(untrusted.sk, X509_free);
    } else if (root && !info->reason[0]) {
        snprintf(info->reason, sizeof info->reason, "master list has no single signer");
    }
    sk_X509_free(signers);
}

int eyni_pki_masterlist_load(const unsigned char *buf, size_t len, const eyni_pki_cert *root,
                             time_t at, eyni_pki_certs **out, eyni_pki_masterlist_info *info,
                             eyni_error *err)
{
    memset(info, 0, sizeof *info);
    if (len == 0 || len > EYNI_PKI_MAX_MASTERLIST)
        return eyni_error_set(err, EYNI_EFORMAT, "master list: %zu bytes", len);
    const unsigned char *p = buf;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    BIO *content = BIO_new(BIO_s_mem());
    eyni_pki_certs *list = eyni_pki_certs_new();
    int rc = 0;
    if (!cms) {
        rc = pki_ssl_error(err, EYNI_EFORMAT, "master list: not CMS");
        goto done;
    }
    if (!content || !list) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "master list: out of memory");
        goto done;
    }
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms), 1);
    if (strcmp(oid, OID_CSCA_MASTER_LIST) != 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "master list: content type %s, expected %s", oid,
                            OID_CSCA_MASTER_LIST);
        goto done;
    }
    /* The signature check alone; the signer's path is checked below with our callback. */
    info->signature_ok =
        CMS_verify(cms, NULL, NULL, NULL, content, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) == 1;
    if (!info->signature_ok)
        pki_ssl_error(err, EYNI_ECRYPTO, "master list: CMS signature does not verify"),
            snprintf(info->reason, sizeof info->reason, "%s", err->msg);
    ERR_clear_error();
    ASN1_OCTET_STRING **ec = CMS_get0_content(cms);
    if (!ec || !*ec) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "master list: no encapsulated content");
        goto done;
    }
    if ((rc = parse_list(ASN1_STRING_get0_data(*ec), (size_t)ASN1_STRING_length(*ec), list, err)) !=
        0)
        goto done;
    info->certificates = eyni_pki_certs_count(list);
    check_signer(cms, root, at, info, err);
    *out = list;
    list = NULL;
done:
    eyni_pki_certs_free(list);
    BIO_free(content);
    CMS_ContentInfo_free(cms);
    return rc;
}
