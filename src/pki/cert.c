/* Certificates per the Doc 9303 part 12 profiles: CSCA, document signer, master list signer,
 * link and service certificates; loading, saving and lists. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki_int.h"

/* id-icao-mrtd-security-extensions-documentTypeList and the master list signer EKU. */
#define OID_DOC_TYPE_LIST "2.23.136.1.1.6.2"
#define OID_ML_SIGNER_EKU "2.23.136.1.1.9"

X509 *eyni_pki_cert_get0(const eyni_pki_cert *cert)
{
    return cert ? cert->x : NULL;
}

void eyni_pki_cert_free(eyni_pki_cert *cert)
{
    if (cert) {
        X509_free(cert->x);
        free(cert);
    }
}

int eyni_pki_cert_wrap(X509 *x, eyni_pki_cert **out, eyni_error *err)
{
    eyni_pki_cert *c = calloc(1, sizeof *c);
    if (!c || !X509_up_ref(x)) {
        free(c);
        return eyni_error_set(err, EYNI_ENOMEM, "certificate: out of memory");
    }
    c->x = x;
    *out = c;
    return 0;
}

const EVP_MD *pki_md_for(EVP_PKEY *pk)
{
    int bits = EVP_PKEY_get_bits(pk);
    if (EVP_PKEY_is_a(pk, "EC")) {
        if (bits >= 512)
            return EVP_sha512();
        if (bits >= 384)
            return EVP_sha384();
    }
    return EVP_sha256();
}

int pki_pss_setup(EVP_PKEY_CTX *pctx, EVP_PKEY *pk)
{
    if (!EVP_PKEY_is_a(pk, "RSA-PSS"))
        return 1;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

static int sign_cert(X509 *x, EVP_PKEY *pk, eyni_error *err)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = m && EVP_DigestSignInit(m, &pctx, pki_md_for(pk), NULL, pk) > 0 &&
             pki_pss_setup(pctx, pk) && X509_sign_ctx(x, m) > 0;
    EVP_MD_CTX_free(m);
    return ok ? 0 : pki_ssl_error(err, EYNI_ECRYPTO, "certificate: signing failed");
}

static int add_name(X509_NAME *n, const char *field, const char *value)
{
    if (!value || !*value)
        return 1;
    return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)value, -1, -1,
                                      0);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!e)
        return 0;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

/* DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (0), docTypeList SET OF
 * PrintableString (SIZE(1..2)) } - encoded by hand, the list is short. */
static int add_doc_types(X509 *x, const char *list, eyni_error *err)
{
    unsigned char set[128], seq[160];
    size_t n = 0;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t l = strlen(t);
        if (l < 1 || l > 2 || n + 4 > sizeof set)
            return eyni_error_set(err, EYNI_EINVAL, "document type '%s' is not 1-2 letters", t);
        set[n++] = 0x13;
        set[n++] = (unsigned char)l;
        memcpy(set + n, t, l);
        n += l;
    }
    size_t m = 0;
    seq[m++] = 0x30;
    seq[m++] = (unsigned char)(n + 5);
    seq[m++] = 0x02, seq[m++] = 0x01, seq[m++] = 0x00;
    seq[m++] = 0x31;
    seq[m++] = (unsigned char)n;
    memcpy(seq + m, set, n);
    m += n;
    ASN1_OBJECT *obj = OBJ_txt2obj(OID_DOC_TYPE_LIST, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    int ok = obj && os && ASN1_OCTET_STRING_set(os, seq, (int)m) &&
             (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok ? 0 : pki_ssl_error(err, EYNI_ECRYPTO, "certificate: document type list");
}

/* Private key usage period (2.5.29.16): Doc 9303 part 12 asks for it in CSCA and DS
 * certificates; we make it the certificate validity. */
static int add_key_usage_period(X509 *x)
{
    PKEY_USAGE_PERIOD *p = PKEY_USAGE_PERIOD_new();
    int ok = 0;
    if (p) {
        p->notBefore = ASN1_GENERALIZEDTIME_new();
        p->notAfter = ASN1_GENERALIZEDTIME_new();
        ok = p->notBefore && p->notAfter &&
             ASN1_TIME_to_generalizedtime(X509_get0_notBefore(x), &p->notBefore) &&
             ASN1_TIME_to_generalizedtime(X509_get0_notAfter(x), &p->notAfter) &&
             X509_add1_ext_i2d(x, NID_private_key_usage_period, p, 0, 0) == 1;
        PKEY_USAGE_PERIOD_free(p);
    }
    return ok;
}

static int profile_exts(X509 *x, X509 *issuer, const eyni_pki_cert_spec *s, eyni_error *err)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    int ok = add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    switch (s->profile) {
    case EYNI_PKI_CSCA:
    case EYNI_PKI_LINK:
        ok = ok && add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_key_usage_period(x);
        break;
    case EYNI_PKI_DS:
        ok = ok && add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
             add_key_usage_period(x);
        if (ok && s->doc_types && *s->doc_types && add_doc_types(x, s->doc_types, err))
            return err->code;
        break;
    case EYNI_PKI_MLS:
        ok = ok && add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, &ctx, NID_ext_key_usage, OID_ML_SIGNER_EKU);
        break;
    case EYNI_PKI_SERVICE:
        ok = ok && add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyAgreement") &&
             add_ext(x, &ctx, NID_ext_key_usage, "clientAuth,serverAuth");
        break;
    }
    if (ok && s->crl_url && *s->crl_url) {
        char v[512];
        snprintf(v, sizeof v, "URI:%s", s->crl_url);
        ok = add_ext(x, &ctx, NID_crl_distribution_points, v);
    }
    return ok ? 0 : pki_ssl_error(err, EYNI_ECRYPTO, "certificate: extensions");
}

static int set_basics(X509 *x, const eyni_pki_cert_spec *s, EVP_PKEY *subject_pk, X509 *issuer,
                      eyni_error *err)
{
    unsigned char rnd[16];
    if (eyni_random_bytes(rnd, sizeof rnd, err))
        return err->code;
    rnd[0] &= 0x7F; /* positive */
    rnd[0] |= 0x01; /* and 16 bytes long */
    BIGNUM *bn = BN_bin2bn(rnd, sizeof rnd, NULL);
    X509_NAME *name = X509_NAME_new();
    time_t from = s->not_before ? s->not_before : time(NULL), to = s->not_after;
    int ok = bn && name && X509_set_version(x, 2) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && add_name(name, "C", s->country) &&
             add_name(name, "O", s->organization) && add_name(name, "OU", s->org_unit) &&
             add_name(name, "CN", s->common_name) &&
             add_name(name, "serialNumber", s->serial_number) && X509_set_subject_name(x, name) &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
             X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &from) &&
             X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &to) && X509_set_pubkey(x, subject_pk);
    BN_free(bn);
    X509_NAME_free(name);
    return ok ? 0 : pki_ssl_error(err, EYNI_ECRYPTO, "certificate: fields");
}

int eyni_pki_cert_issue(const eyni_pki_cert_spec *s, const eyni_pki_key *subject_key,
                        const eyni_pki_cert *issuer, const eyni_pki_key *issuer_key,
                        eyni_pki_cert **out, eyni_error *err)
{
    if (!s->common_name || !*s->common_name || !s->country || strlen(s->country) != 2)
        return eyni_error_set(err, EYNI_EINVAL,
                              "certificate: common name and two-letter country required");
    time_t from = s->not_before ? s->not_before : time(NULL);
    if (s->not_after <= from)
        return eyni_error_set(err, EYNI_EINVAL, "certificate: validity ends before it begins");
    int self = s->profile == EYNI_PKI_CSCA;
    if (!self && (!issuer || !issuer_key))
        return eyni_error_set(err, EYNI_EINVAL, "certificate: this profile needs an issuer");
    X509 *ix = self ? NULL : issuer->x;
    EVP_PKEY *signer = self ? eyni_pki_key_get0(subject_key) : eyni_pki_key_get0(issuer_key);
    if (ix && X509_check_private_key(ix, signer) != 1)
        return pki_ssl_error(err, EYNI_EINVAL, "certificate: issuer key does not match issuer");
    if (ix && (ASN1_TIME_cmp_time_t(X509_get0_notAfter(ix), s->not_after) < 0))
        return eyni_error_set(err, EYNI_EINVAL,
                              "certificate: would outlive its issuer's certificate");
    X509 *x = X509_new();
    if (!x)
        return eyni_error_set(err, EYNI_ENOMEM, "certificate: out of memory");
    int rc = set_basics(x, s, eyni_pki_key_get0(subject_key), ix, err);
    if (rc == 0)
        rc = profile_exts(x, ix, s, err);
    if (rc == 0)
        rc = sign_cert(x, signer, err);
    if (rc == 0)
        rc = eyni_pki_cert_wrap(x, out, err);
    X509_free(x);
    return rc;
}

int eyni_pki_cert_from_der(const unsigned char *der, size_t len, eyni_pki_cert **out,
                           eyni_error *err)
{
    X509 *x = NULL;
    if (len > 5 && memcmp(der, "-----", 5) == 0) {
        BIO *b = BIO_new_mem_buf(der, (int)len);
        x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    } else {
        const unsigned char *p = der;
        x = d2i_X509(NULL, &p, (long)len);
    }
    if (!x)
        return pki_ssl_error(err, EYNI_EFORMAT, "certificate: not a PEM or DER X.509");
    int rc = eyni_pki_cert_wrap(x, out, err);
    X509_free(x);
    return rc;
}

int eyni_pki_cert_load(const char *path, eyni_pki_cert **out, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_PKI_MAX_CERT, &buf, &len, err);
    if (rc)
        return rc;
    rc = eyni_pki_cert_from_der(buf, len, out, err);
    free(buf);
    return rc ? eyni_error_prefix(err, "%s: ", path) : 0;
}

int eyni_pki_cert_der(const eyni_pki_cert *cert, unsigned char **der, size_t *len, eyni_error *err)
{
    unsigned char *p = NULL;
    int n = i2d_X509(cert->x, &p);
    if (n <= 0)
        return pki_ssl_error(err, EYNI_ECRYPTO, "certificate: DER encoding");
    unsigned char *copy = malloc((size_t)n);
    if (copy)
        memcpy(copy, p, (size_t)n);
    OPENSSL_free(p);
    if (!copy)
        return eyni_error_set(err, EYNI_ENOMEM, "certificate: out of memory");
    *der = copy;
    *len = (size_t)n;
    return 0;
}

int eyni_pki_cert_save(const eyni_pki_cert *cert, const char *path, int pem, eyni_error *err)
{
    if (!pem) {
        unsigned char *der;
        size_t len;
        int rc = eyni_pki_cert_der(cert, &der, &len, err);
        if (rc == 0)
            rc = eyni_file_write_atomic(path, der, len, 0644, err);
        free(der);
        return rc;
    }
    BIO *b = BIO_new(BIO_s_mem());
    int rc;
    if (!b || !PEM_write_bio_X509(b, cert->x)) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "certificate: PEM encoding");
    } else {
        char *data;
        long n = BIO_get_mem_data(b, &data);
        rc = eyni_file_write_atomic(path, data, (size_t)n, 0644, err);
    }
    BIO_free(b);
    return rc;
}

void eyni_pki_cert_subject(const eyni_pki_cert *cert, char *buf, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    buf[0] = '\0';
    if (b && X509_NAME_print_ex(b, X509_get_subject_name(cert->x), 0, XN_FLAG_ONELINE) >= 0) {
        int n = BIO_read(b, buf, (int)cap - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
}

/* ---- lists -------------------------------------------------------------------------- */

eyni_pki_certs *eyni_pki_certs_new(void)
{
    eyni_pki_certs *l = calloc(1, sizeof *l);
    if (l && !(l->sk = sk_X509_new_null())) {
        free(l);
        l = NULL;
    }
    return l;
}

void eyni_pki_certs_free(eyni_pki_certs *list)
{
    if (list) {
        sk_X509_pop_free(list->sk, X509_free);
        free(list);
    }
}

int eyni_pki_certs_add(eyni_pki_certs *list, const eyni_pki_cert *cert, eyni_error *err)
{
    if (!X509_add_cert(list->sk, cert->x, X509_ADD_FLAG_UP_REF))
        return eyni_error_set(err, EYNI_ENOMEM, "certificate list: out of memory");
    return 0;
}

size_t eyni_pki_certs_count(const eyni_pki_certs *list)
{
    return list ? (size_t)sk_X509_num(list->sk) : 0;
}

X509 *eyni_pki_certs_get0(const eyni_pki_certs *list, size_t i)
{
    return sk_X509_value(list->sk, (int)i);
}

int eyni_pki_certs_load_file(eyni_pki_certs *list, const char *path, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_PKI_MAX_MASTERLIST, &buf, &len, err);
    if (rc)
        return rc;
    if (len > 5 && memcmp(buf, "-----", 5) == 0) {
        BIO *b = BIO_new_mem_buf(buf, (int)len);
        X509 *x;
        int n = 0;
        while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
            if (!X509_add_cert(list->sk, x, 0)) {
                X509_free(x);
                break;
            }
            n++;
        }
        ERR_clear_error();
        BIO_free(b);
        rc = n ? 0 : eyni_error_set(err, EYNI_EFORMAT, "%s: no PEM certificate", path);
    } else {
        eyni_pki_cert *c;
        rc = eyni_pki_cert_from_der(buf, len, &c, err);
        if (rc == 0) {
            rc = eyni_pki_certs_add(list, c, err);
            eyni_pki_cert_free(c);
        } else {
            eyni_error_prefix(err, "%s: ", path);
        }
    }
    free(buf);
    return rc;
}
