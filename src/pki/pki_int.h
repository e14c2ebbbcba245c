/* Module-private helpers of src/pki. */
#ifndef EYNI_PKI_INT_H
#define EYNI_PKI_INT_H

#include <openssl/cms.h>

#include "eyni/pki.h"

struct eyni_pki_cert {
    X509 *x;
};

struct eyni_pki_certs {
    STACK_OF(X509) * sk;
};

/* Sets err from the last OpenSSL error (prefixed by what) and clears the OpenSSL queue. */
int pki_ssl_error(eyni_error *err, int code, const char *what);
/* Digest that matches the key's strength: SHA-512 for 512-bit curves, SHA-384 for 384-bit
 * curves, else SHA-256. */
const EVP_MD *pki_md_for(EVP_PKEY *pk);
/* Configures a signing context for PSS keys (SHA-256, MGF1-SHA-256, salt 32). */
int pki_pss_setup(EVP_PKEY_CTX *pctx, EVP_PKEY *pk);
/* Reads one DER header at buf[*pos]; *pos moves to the value. -1 on malformed input. */
int pki_der_header(const unsigned char *buf, size_t len, size_t *pos, unsigned *tag, size_t *vlen);

#endif
