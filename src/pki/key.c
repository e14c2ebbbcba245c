/* Key generation and passphrase-protected key files (encrypted PKCS#8 PEM). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "pki_int.h"

struct eyni_pki_key {
    EVP_PKEY *pkey;
};

EVP_PKEY *eyni_pki_key_get0(const eyni_pki_key *key)
{
    return key ? key->pkey : NULL;
}

int eyni_pki_key_is_pss(const eyni_pki_key *key)
{
    return key && EVP_PKEY_is_a(key->pkey, "RSA-PSS");
}

void eyni_pki_key_free(eyni_pki_key *key)
{
    if (key) {
        EVP_PKEY_free(key->pkey);
        free(key);
    }
}

int pki_ssl_error(eyni_error *err, int code, const char *what)
{
    char buf[160] = "";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return eyni_error_set(err, code, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static int wrap(EVP_PKEY *pk, eyni_pki_key **out, eyni_error *err)
{
    eyni_pki_key *k = calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(pk);
        return eyni_error_set(err, EYNI_ENOMEM, "key: out of memory");
    }
    k->pkey = pk;
    *out = k;
    return 0;
}

int eyni_pki_key_generate(const char *alg, eyni_pki_key **out, eyni_error *err)
{
    EVP_PKEY *pk = NULL;
    if (!alg || !*alg)
        alg = "ec-p256";
    if (strncmp(alg, "ec-", 3) == 0) {
        const char *curve = alg + 3;
        if (strcmp(curve, "p256") == 0)
            curve = "P-256";
        else if (strcmp(curve, "p384") == 0)
            curve = "P-384";
        else if (strcmp(curve, "p521") == 0)
            curve = "P-521";
        else if (strcmp(curve, "brainpoolP256r1") != 0 && strcmp(curve, "brainpoolP384r1") != 0 &&
                 strcmp(curve, "brainpoolP512r1") != 0)
            return eyni_error_set(err, EYNI_EINVAL, "key: unknown curve in '%s'", alg);
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    } else if (strcmp(alg, "rsa-3072") == 0 || strcmp(alg, "rsa-4096") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(alg + 4));
    } else if (strcmp(alg, "rsa-pss-3072") == 0 || strcmp(alg, "rsa-pss-4096") == 0) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
        if (c && EVP_PKEY_keygen_init(c) > 0 &&
            EVP_PKEY_CTX_set_rsa_keygen_bits(c, atoi(alg + 8)) > 0)
            EVP_PKEY_keygen(c, &pk);
        EVP_PKEY_CTX_free(c);
    } else {
        return eyni_error_set(err, EYNI_EINVAL,
                              "key: unknown algorithm '%s' (ec-p256, ec-p384, ec-p521, "
                              "ec-brainpoolP256r1/384r1/512r1, rsa-3072, rsa-4096, "
                              "rsa-pss-3072, rsa-pss-4096)",
                              alg);
    }
    if (!pk)
        return pki_ssl_error(err, EYNI_ECRYPTO, "key: generation failed");
    return wrap(pk, out, err);
}

int eyni_pki_key_save(const eyni_pki_key *key, const char *path, const char *passphrase,
                      eyni_error *err)
{
    if (!passphrase || strlen(passphrase) < EYNI_PKI_MIN_PASSPHRASE)
        return eyni_error_set(err, EYNI_EINVAL, "%s: passphrase shorter than %d characters", path,
                              EYNI_PKI_MIN_PASSPHRASE);
    BIO *mem = BIO_new(BIO_s_mem());
    int rc = 0;
    if (!mem)
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", path);
    /* PKCS#8 with PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC. */
    if (!PEM_write_bio_PKCS8PrivateKey(mem, key->pkey, EVP_aes_256_cbc(), passphrase,
                                       (int)strlen(passphrase), NULL, NULL)) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "key: encrypting the private key failed");
    } else {
        char *data;
        long n = BIO_get_mem_data(mem, &data);
        rc = eyni_file_write_atomic(path, data, (size_t)n, 0600, err);
    }
    BIO_free(mem);
    return rc;
}

int eyni_pki_key_load(const char *path, const char *passphrase, eyni_pki_key **out, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, 64 * 1024, &buf, &len, err);
    if (rc)
        return rc;
    /* A signing key must be protected: refuse plain PEM keys rather than load them. */
    if (!strstr((char *)buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        OPENSSL_cleanse(buf, len);
        free(buf);
        return eyni_error_set(
            err, EYNI_EAUTH, "%s: not a passphrase-protected (encrypted PKCS#8) private key", path);
    }
    BIO *mem = BIO_new_mem_buf(buf, (int)len);
    EVP_PKEY *pk = NULL;
    if (mem)
        pk = PEM_read_bio_PrivateKey(mem, NULL, NULL, (void *)(passphrase ? passphrase : ""));
    BIO_free(mem);
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (!pk) {
        ERR_clear_error();
        return eyni_error_set(err, EYNI_EAUTH,
                              "%s: cannot decrypt the private key (wrong passphrase or not an "
                              "encrypted PEM key)",
                              path);
    }
    return wrap(pk, out, err);
}

int eyni_pki_passphrase_get(const char *env, char *buf, size_t cap, eyni_error *err)
{
    char name[128];
    snprintf(name, sizeof name, "%s_FILE", env);
    const char *file = getenv(name);
    if (file && *file) {
        unsigned char *data;
        size_t len;
        int rc = eyni_file_read(file, EYNI_PKI_MAX_PASSPHRASE, &data, &len, err);
        if (rc)
            return rc;
        size_t n = strcspn((char *)data, "\r\n");
        if (n >= cap) {
            OPENSSL_cleanse(data, len);
            free(data);
            return eyni_error_set(err, EYNI_ELIMIT, "%s: passphrase too long", file);
        }
        memcpy(buf, data, n);
        buf[n] = '\0';
        OPENSSL_cleanse(data, len);
        free(data);
    } else {
        const char *v = getenv(env);
        if (!v)
            return eyni_error_set(err, EYNI_ENOTFOUND, "passphrase: set %s or %s (a file)", env,
                                  name);
        if (strlen(v) >= cap)
            return eyni_error_set(err, EYNI_ELIMIT, "passphrase in %s too long", env);
        snprintf(buf, cap, "%s", v);
    }
    if (strlen(buf) < EYNI_PKI_MIN_PASSPHRASE)
        return eyni_error_set(err, EYNI_EINVAL, "passphrase shorter than %d characters",
                              EYNI_PKI_MIN_PASSPHRASE);
    return 0;
}

int eyni_pki_key_save_public(const eyni_pki_key *key, const char *path, eyni_error *err)
{
    BIO *mem = BIO_new(BIO_s_mem());
    int rc;
    if (!mem || !PEM_write_bio_PUBKEY(mem, key->pkey)) {
        rc = pki_ssl_error(err, EYNI_ECRYPTO, "key: public key encoding");
    } else {
        char *data;
        long n = BIO_get_mem_data(mem, &data);
        rc = eyni_file_write_atomic(path, data, (size_t)n, 0644, err);
    }
    BIO_free(mem);
    return rc;
}

int eyni_pki_key_load_public(const char *path, eyni_pki_key **out, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, 64 * 1024, &buf, &len, err);
    if (rc)
        return rc;
    BIO *mem = BIO_new_mem_buf(buf, (int)len);
    EVP_PKEY *pk = mem ? PEM_read_bio_PUBKEY(mem, NULL, NULL, NULL) : NULL;
    BIO_free(mem);
    free(buf);
    if (!pk)
        return pki_ssl_error(err, EYNI_EFORMAT, "key: not a PEM public key");
    return wrap(pk, out, err);
}
