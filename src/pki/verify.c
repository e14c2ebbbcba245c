/* Certificate path validation (CSCA -> DS / master list signer) with CRLs, and CRL issue. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki_int.h"

/*
 * 1 when the certificate's EC key carries explicit domain parameters that are exactly a
 * named curve's. OpenSSL 3 rejects explicit parameters outright because arbitrary ones
 * allow curve substitution; parameters identical to a standard curve carry no such risk,
 * and many CSCAs (e.g. Germany's brainpool keys) are encoded that way.
 */
static int explicit_params_are_named_curve(X509 *x)
{
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj;
    const void *pval;
    int ptype;
    if (!xpk || !X509_PUBKEY_get0_param(NULL, NULL, NULL, (X509_ALGOR **)&alg, xpk) || !alg)
        return 0;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    if (OBJ_obj2nid(obj) != NID_X9_62_id_ecPublicKey || ptype != V_ASN1_SEQUENCE)
        return 0;
    const ASN1_STRING *seq = pval;
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    EC_GROUP *g = d2i_ECPKParameters(NULL, &p, ASN1_STRING_length(seq));
    int nid = g ? EC_GROUP_check_named_curve(g, 0, NULL) : 0;
    EC_GROUP_free(g);
    ERR_clear_error();
    return nid > 0;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_EC_KEY_EXPLICIT_PARAMS &&
        explicit_params_are_named_curve(X509_STORE_CTX_get_current_cert(ctx))) {
        X509_STORE_CTX_set_error(ctx, X509_V_OK);
        return 1;
    }
    return ok;
}

int eyni_pki_verify(const X509 *cert, const eyni_pki_verify_opts *o, int *ok, char *reason,
                    size_t cap, eyni_error *err)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = 0;
    *ok = 0;
    reason[0] = '\0';
    if (!store || !ctx) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "verify: out of memory");
        goto done;
    }
    size_t n = eyni_pki_certs_count(o->anchors);
    for (size_t i = 0; i < n; i++) {
        X509 *a = eyni_pki_certs_get0(o->anchors, i);
        /* Only CA certificates anchor a path: with partial chains allowed, a document
         * signer certificate slipped into the anchors would otherwise vouch for itself. */
        if (X509_check_ca(a) == 0)
            continue;
        if (!X509_STORE_add_cert(store, a))
            ERR_clear_error(); /* duplicates in a master list are harmless */
    }
    X509_STORE_set_verify_cb(store, verify_cb);
    if (!X509_STORE_CTX_init(ctx, store, (X509 *)cert, o->untrusted ? o->untrusted->sk : NULL)) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "verify: context");
        goto done;
    }
    /* Master lists also hold link certificates; any listed CSCA may anchor the path. */
    unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
    if (o->crls) {
        X509_STORE_CTX_set0_crls(ctx, o->crls);
        flags |= X509_V_FLAG_CRL_CHECK;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, flags);
    if (o->at)
        X509_VERIFY_PARAM_set_time(param, o->at);
    if (X509_verify_cert(ctx) == 1) {
        *ok = 1;
    } else {
        int e = X509_STORE_CTX_get_error(ctx);
        snprintf(reason, cap, "%s (depth %d)", X509_verify_cert_error_string(e),
                 X509_STORE_CTX_get_error_depth(ctx));
    }
    ERR_clear_error();
done:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

int eyni_pki_crl_load(const char *path, STACK_OF(X509_CRL) * *crls, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_PKI_MAX_MASTERLIST, &buf, &len, err);
    if (rc)
        return rc;
    X509_CRL *crl = NULL;
    if (len > 5 && memcmp(buf, "-----", 5) == 0) {
        BIO *b = BIO_new_mem_buf(buf, (int)len);
        crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    } else {
        const unsigned char *p = buf;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
    }
    free(buf);
    if (!crl)
        return pki_ssl_error(err, EYNI_EFORMAT, path);
    if (!*crls && !(*crls = sk_X509_CRL_new_null())) {
        X509_CRL_free(crl);
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
    }
    if (!sk_X509_CRL_push(*crls, crl)) {
        X509_CRL_free(crl);
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
    }
    return 0;
}

static int add_revoked(X509_CRL *crl, const char *hex, const ASN1_TIME *when, eyni_error *err)
{
    BIGNUM *bn = NULL;
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_INTEGER *serial = NULL;
    int ok = r && BN_hex2bn(&bn, hex) == (int)strlen(hex) &&
             (serial = BN_to_ASN1_INTEGER(bn, NULL)) && X509_REVOKED_set_serialNumber(r, serial) &&
             X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when) && X509_CRL_add0_revoked(crl, r);
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    if (!ok) {
        X509_REVOKED_free(r);
        ERR_clear_error();
        return eyni_error_set(err, EYNI_EINVAL, "CRL: serial '%s' is not hexadecimal", hex);
    }
    return 0;
}

int eyni_pki_crl_issue(const eyni_pki_cert *ca, const eyni_pki_key *key,
                       const char *const *revoked_hex, size_t nrevoked, long crl_number,
                       time_t next_update, const char *path, eyni_error *err)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
    ASN1_TIME *next = ASN1_TIME_set(NULL, next_update);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *der = NULL;
    int rc = 0;
    EVP_PKEY *pk = eyni_pki_key_get0(key);
    if (!crl || !now || !next || !num || !m) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "CRL: out of memory");
        goto done;
    }
    if (X509_check_private_key(ca->x, pk) != 1) {
        rc = pki_ssl_error(err, EYNI_EINVAL, "CRL: key does not match the CA certificate");
        goto done;
    }
    if (!X509_CRL_set_version(crl, 1) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->x)) ||
        !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next)) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "CRL: fields");
        goto done;
    }
    for (size_t i = 0; i < nrevoked; i++)
        if ((rc = add_revoked(crl, revoked_hex[i], now, err)) != 0)
            goto done;
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, ca->x, NULL, NULL, crl, 0);
    X509_EXTENSION *aki =
        X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
    int ok = aki && X509_CRL_add_ext(crl, aki, -1) && ASN1_INTEGER_set(num, crl_number) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) && X509_CRL_sort(crl) &&
             EVP_DigestSignInit(m, &pctx, pki_md_for(pk), NULL, pk) > 0 &&
             pki_pss_setup(pctx, pk) && X509_CRL_sign_ctx(crl, m) > 0;
    X509_EXTENSION_free(aki);
    if (!ok) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "CRL: signing");
        goto done;
    }
    int n = i2d_X509_CRL(crl, &der);
    rc = n > 0 ? eyni_file_write_atomic(path, der, (size_t)n, 0644, err)
               : pki_ssl_error(err, EYNI_ECRYPTO, "CRL: encoding");
done:
    OPENSSL_free(der);
    EVP_MD_CTX_free(m);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(next);
    ASN1_TIME_free(now);
    X509_CRL_free(crl);
    return rc;
}
