/*
 * eyni/pki.h - the national document PKI: keys, the country signing CA (CSCA), document
 * signer (DS) and master list signer certificates per ICAO Doc 9303 part 12, CRLs, CSCA
 * master lists, and certificate path validation that copes with the explicit elliptic-curve
 * parameters many CSCAs (Germany among them) still carry.
 *
 * OpenSSL 3 does the cryptography; the opaque types wrap EVP_PKEY and X509 and hand the
 * underlying objects out through get0 accessors for callers that sign or verify with them.
 */
#ifndef EYNI_PKI_H
#define EYNI_PKI_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_PKI_MAX_CERT             (64 * 1024)        /* one certificate file */
#define EYNI_PKI_MAX_MASTERLIST       (16 * 1024 * 1024) /* one CSCA master list file */
#define EYNI_PKI_MAX_MASTERLIST_CERTS 4096
#define EYNI_PKI_MAX_PASSPHRASE       1024
#define EYNI_PKI_MIN_PASSPHRASE       12

typedef struct eyni_pki_key eyni_pki_key;
typedef struct eyni_pki_cert eyni_pki_cert;
typedef struct eyni_pki_certs eyni_pki_certs; /* ordered list of certificates */

/* ---- keys --------------------------------------------------------------------------- */

/*
 * Generates a key. alg: "ec-p256" (default when NULL), "ec-p384", "ec-p521",
 * "ec-brainpoolP256r1", "ec-brainpoolP384r1", "ec-brainpoolP512r1", "rsa-3072", "rsa-4096"
 * (RSA keys sign with PKCS#1 v1.5), "rsa-pss-3072", "rsa-pss-4096" (RSASSA-PSS).
 */
int eyni_pki_key_generate(const char *alg, eyni_pki_key **out, eyni_error *err);
void eyni_pki_key_free(eyni_pki_key *key);
/* Writes the private key as encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2), mode 0600. */
int eyni_pki_key_save(const eyni_pki_key *key, const char *path, const char *passphrase,
                      eyni_error *err);
/* Reads an encrypted PKCS#8 PEM private key; EAUTH when the passphrase is wrong. */
int eyni_pki_key_load(const char *path, const char *passphrase, eyni_pki_key **out,
                      eyni_error *err);
/* Public half as SubjectPublicKeyInfo PEM (what a CA needs to certify the key), mode 0644. */
int eyni_pki_key_save_public(const eyni_pki_key *key, const char *path, eyni_error *err);
/* Reads a public key PEM; the result can be certified but not sign. */
int eyni_pki_key_load_public(const char *path, eyni_pki_key **out, eyni_error *err);
/* 1 when the key uses RSASSA-PSS (then signatures use PSS with SHA-256, salt 32). */
int eyni_pki_key_is_pss(const eyni_pki_key *key);
EVP_PKEY *eyni_pki_key_get0(const eyni_pki_key *key);
/*
 * The passphrase for a key: from the file named by $<env>_FILE when set (first line), else
 * from $<env>. Never from the command line. ENOTFOUND when neither is set; EINVAL when it is
 * shorter than EYNI_PKI_MIN_PASSPHRASE.
 */
int eyni_pki_passphrase_get(const char *env, char *buf, size_t cap, eyni_error *err);

/* ---- certificates ------------------------------------------------------------------- */

typedef enum eyni_pki_profile {
    EYNI_PKI_CSCA = 0,   /* self-signed root: keyCertSign + cRLSign, CA, pathLen 0 */
    EYNI_PKI_DS = 1,     /* document signer: digitalSignature, document type list */
    EYNI_PKI_MLS = 2,    /* master list signer: digitalSignature, EKU 2.23.136.1.1.9 */
    EYNI_PKI_LINK = 3,   /* CSCA link certificate: new CSCA key signed by the old one */
    EYNI_PKI_SERVICE = 4 /* agency / terminal: digitalSignature + keyAgreement, clientAuth */
} eyni_pki_profile;

typedef struct eyni_pki_cert_spec {
    eyni_pki_profile profile;
    const char *country;       /* two-letter ISO 3166 code: C= of subject and issuer */
    const char *organization;  /* O= (optional) */
    const char *org_unit;      /* OU= (optional) */
    const char *common_name;   /* CN= (required) */
    const char *serial_number; /* subject serialNumber= (optional) */
    time_t not_before;         /* 0: now */
    time_t not_after;          /* required, after not_before */
    const char *doc_types;     /* DS only: comma-separated document codes ("P,I,AC") */
    const char *crl_url;       /* optional CRL distribution point (URI) */
} eyni_pki_cert_spec;

/*
 * Issues a certificate for subject_key. For EYNI_PKI_CSCA issuer/issuer_key are NULL (self-
 * signed with subject_key); for every other profile they are the CSCA and its key. The
 * serial is 16 random bytes; subject and authority key identifiers are set.
 */
int eyni_pki_cert_issue(const eyni_pki_cert_spec *spec, const eyni_pki_key *subject_key,
                        const eyni_pki_cert *issuer, const eyni_pki_key *issuer_key,
                        eyni_pki_cert **out, eyni_error *err);
void eyni_pki_cert_free(eyni_pki_cert *cert);
/* Reads one certificate (PEM or DER) from a file or from memory. */
int eyni_pki_cert_load(const char *path, eyni_pki_cert **out, eyni_error *err);
int eyni_pki_cert_from_der(const unsigned char *der, size_t len, eyni_pki_cert **out,
                           eyni_error *err);
/* Writes PEM (pem != 0) or DER, mode 0644. */
int eyni_pki_cert_save(const eyni_pki_cert *cert, const char *path, int pem, eyni_error *err);
/* DER encoding into *der (caller frees with free()). */
int eyni_pki_cert_der(const eyni_pki_cert *cert, unsigned char **der, size_t *len, eyni_error *err);
/* Wraps an X509 (takes a reference; the caller keeps its own). */
int eyni_pki_cert_wrap(X509 *x, eyni_pki_cert **out, eyni_error *err);
X509 *eyni_pki_cert_get0(const eyni_pki_cert *cert);
/* One-line subject ("C=DE, O=..., CN=...") into buf. */
void eyni_pki_cert_subject(const eyni_pki_cert *cert, char *buf, size_t cap);

/* ---- certificate lists and CRLs ----------------------------------------------------- */

eyni_pki_certs *eyni_pki_certs_new(void);
void eyni_pki_certs_free(eyni_pki_certs *list);
/* Adds a reference to cert. */
int eyni_pki_certs_add(eyni_pki_certs *list, const eyni_pki_cert *cert, eyni_error *err);
size_t eyni_pki_certs_count(const eyni_pki_certs *list);
/* Borrowed pointer to the i-th X509. */
X509 *eyni_pki_certs_get0(const eyni_pki_certs *list, size_t i);
/* Adds every certificate of a PEM file (one or more) or a DER file (one). */
int eyni_pki_certs_load_file(eyni_pki_certs *list, const char *path, eyni_error *err);

/* Issues a CRL signed by ca/key listing the revoked serials (hex strings), valid until
 * next_update, with CRL number crl_number; writes DER to path. */
int eyni_pki_crl_issue(const eyni_pki_cert *ca, const eyni_pki_key *key,
                       const char *const *revoked_hex, size_t nrevoked, long crl_number,
                       time_t next_update, const char *path, eyni_error *err);

/* ---- CMS ---------------------------------------------------------------------------- */

/*
 * CMS SignedData (RFC 5652) over content with eContentType oid (dotted text), signed by
 * cert/key: digest matched to the key (SHA-256, or SHA-384/512 for larger curves), signed
 * attributes contentType, messageDigest and signingTime, the signer certificate embedded,
 * PSS parameters for RSA-PSS keys. DER into *out (caller frees with free()).
 */
int eyni_pki_cms_sign(const unsigned char *content, size_t len, const char *oid,
                      const eyni_pki_cert *cert, const eyni_pki_key *key, unsigned char **out,
                      size_t *outlen, eyni_error *err);

/* ---- master lists ------------------------------------------------------------------- */

/*
 * Builds a CSCA master list (Doc 9303 part 12: CMS SignedData, eContentType
 * id-icao-cscaMasterList 2.23.136.1.1.2, CscaMasterList { version 0, certList }) of the
 * certificates in cscas, signed with SHA-256 by the master list signer; writes DER to *out.
 */
int eyni_pki_masterlist_export(const eyni_pki_certs *cscas, const eyni_pki_cert *signer,
                               const eyni_pki_key *signer_key, unsigned char **out, size_t *outlen,
                               eyni_error *err);

typedef struct eyni_pki_masterlist_info {
    int signature_ok;    /* CMS signature over the content by the embedded signer */
    int signer_chain_ok; /* signer certificate chains to root (-1 when no root given) */
    size_t certificates; /* certificates in the list */
    char signer[256];    /* signer subject */
    char reason[256];    /* why a check failed, empty when all passed */
} eyni_pki_masterlist_info;

/*
 * Loads a master list. Always parses and checks the CMS signature; when root is not NULL the
 * signer certificate must also chain to it (at time at, 0 meaning now). On success *out
 * holds the CSCA certificates, even when a check failed (info says which); EFORMAT when the
 * bytes are not a master list. The list is never trusted by the caller unless both checks
 * passed.
 */
int eyni_pki_masterlist_load(const unsigned char *buf, size_t len, const eyni_pki_cert *root,
                             time_t at, eyni_pki_certs **out, eyni_pki_masterlist_info *info,
                             eyni_error *err);

/* ---- path validation ---------------------------------------------------------------- */

typedef struct eyni_pki_verify_opts {
    const eyni_pki_certs *anchors;   /* trusted CSCAs */
    const eyni_pki_certs *untrusted; /* link certificates etc. (optional) */
    STACK_OF(X509_CRL) * crls;       /* CRLs to check (optional; when given every CA needs one) */
    time_t at;                       /* verification time, 0 = now */
} eyni_pki_verify_opts;

/*
 * Validates cert up to one of the anchors: signatures, validity dates, CA constraints and,
 * when CRLs are given, revocation. Explicit EC domain parameters are accepted only when they
 * are exactly those of a named curve (the check OpenSSL 3 refuses wholesale exists to stop
 * curve substitution, which this still stops). Returns 0 and *ok = 1 when valid, 0 and
 * *ok = 0 with reason set when not; a negative code only for internal failures.
 */
int eyni_pki_verify(const X509 *cert, const eyni_pki_verify_opts *opts, int *ok, char *reason,
                    size_t reason_cap, eyni_error *err);
/* Loads a CRL (PEM or DER) into the stack (created when *crls is NULL). */
int eyni_pki_crl_load(const char *path, STACK_OF(X509_CRL) * *crls, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
