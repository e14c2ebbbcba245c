/* Document PKI: key files, Doc 9303 part 12 certificate profiles, CRLs, master lists (ours
 * and the real German one), and the explicit-parameter rule. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "eyni/pki.h"
#include "testutil.h"

#define PASS "correct horse battery"

static eyni_pki_key *key(const char *alg)
{
    eyni_pki_key *k;
    eyni_error err;
    if (eyni_pki_key_generate(alg, &k, &err) != 0)
        fail_msg("%s", err.msg);
    return k;
}

static eyni_pki_cert *cert(eyni_pki_profile p, const char *cn, eyni_pki_key *k, eyni_pki_cert *ca,
                           eyni_pki_key *cak)
{
    /* A root outlives what it signs by a year: with one length for all, a second that ticks
     * between two issues made the signer outlive its root by that second. */
    long days = p == EYNI_PKI_CSCA ? 730 : 365;
    eyni_pki_cert_spec s = {.profile = p,
                            .country = "AZ",
                            .common_name = cn,
                            .not_after = time(NULL) + 86400 * days,
                            .doc_types = "P,ID"};
    eyni_pki_cert *c;
    eyni_error err;
    if (eyni_pki_cert_issue(&s, k, ca, cak, &c, &err) != 0)
        fail_msg("%s: %s", cn, err.msg);
    return c;
}

static void test_key_files_need_the_passphrase(void **state)
{
    char *dir = eyni_test_tmpdir("pki-key");
    char path[512], pub[512];
    snprintf(path, sizeof path, "%s/k.pem", dir);
    snprintf(pub, sizeof pub, "%s/k.pub", dir);
    eyni_error err;
    eyni_pki_key *k = key(NULL), *back = NULL, *pk = NULL;
    assert_int_equal(eyni_pki_key_save(k, path, "short", &err), EYNI_EINVAL);
    assert_int_equal(eyni_pki_key_save(k, path, PASS, &err), 0);
    assert_int_equal(eyni_pki_key_save_public(k, pub, &err), 0);
    unsigned char *text;
    size_t n;
    assert_int_equal(eyni_file_read(path, 1 << 16, &text, &n, &err), 0);
    assert_non_null(strstr((char *)text, "ENCRYPTED PRIVATE KEY"));
    free(text);
    assert_int_equal(eyni_pki_key_load(path, "wrong passphrase!", &back, &err), EYNI_EAUTH);
    assert_int_equal(eyni_pki_key_load(path, PASS, &back, &err), 0);
    assert_int_equal(EVP_PKEY_eq(eyni_pki_key_get0(k), eyni_pki_key_get0(back)), 1);
    assert_int_equal(eyni_pki_key_load_public(pub, &pk, &err), 0);
    assert_int_equal(EVP_PKEY_eq(eyni_pki_key_get0(k), eyni_pki_key_get0(pk)), 1);
    /* an unencrypted key file is refused even with a passphrase */
    char plain[512];
    snprintf(plain, sizeof plain, "%s/plain.pem", dir);
    BIO *bio = BIO_new_file(plain, "w");
    assert_int_equal(PEM_write_bio_PrivateKey(bio, eyni_pki_key_get0(k), NULL, NULL, 0, NULL, NULL),
                     1);
    BIO_free(bio);
    eyni_pki_key *pl = NULL;
    assert_int_equal(eyni_pki_key_load(plain, PASS, &pl, &err), EYNI_EAUTH);
    setenv("EYNI_TEST_PASS", PASS, 1);
    char buf[128];
    assert_int_equal(eyni_pki_passphrase_get("EYNI_TEST_PASS", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, PASS);
    char pf[512];
    snprintf(pf, sizeof pf, "%s/pass.txt", dir);
    assert_int_equal(eyni_file_write_atomic(pf, "from a file 123\n", 16, 0600, &err), 0);
    setenv("EYNI_TEST_PASS_FILE", pf, 1);
    assert_int_equal(eyni_pki_passphrase_get("EYNI_TEST_PASS", buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "from a file 123");
    assert_int_equal(eyni_pki_passphrase_get("EYNI_TEST_UNSET", buf, sizeof buf, &err),
                     EYNI_ENOTFOUND);
    assert_int_equal(eyni_pki_key_generate("dsa-1024", &back, &err) == 0, 0);
    eyni_pki_key_free(k);
    eyni_pki_key_free(back);
    eyni_pki_key_free(pk);
    free(dir);
}

static void test_certificate_profiles(void **state)
{
    eyni_pki_key *ck = key("ec-brainpoolP256r1"), *dk = key(NULL), *mk = key(NULL);
    eyni_pki_cert *csca = cert(EYNI_PKI_CSCA, "CSCA AZ", ck, NULL, NULL);
    eyni_pki_cert *ds = cert(EYNI_PKI_DS, "DS AZ 1", dk, csca, ck);
    eyni_pki_cert *mls = cert(EYNI_PKI_MLS, "MLS AZ", mk, csca, ck);
    X509 *c = eyni_pki_cert_get0(csca), *d = eyni_pki_cert_get0(ds), *m = eyni_pki_cert_get0(mls);
    assert_int_equal(X509_check_ca(c), 1);
    assert_int_equal(X509_get_key_usage(c), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    assert_int_equal(X509_check_ca(d), 0);
    assert_int_equal(X509_get_key_usage(d), KU_DIGITAL_SIGNATURE);
    assert_true(X509_get_ext_by_NID(d, NID_private_key_usage_period, -1) >= 0);
    ASN1_OBJECT *dtl = OBJ_txt2obj("2.23.136.1.1.6.2", 1);
    assert_true(X509_get_ext_by_OBJ(d, dtl, -1) >= 0);
    ASN1_OBJECT_free(dtl);
    assert_true(X509_get_extended_key_usage(m) != UINT32_MAX);
    assert_int_equal(X509_check_issued(c, d), X509_V_OK);
    assert_non_null(X509_get0_subject_key_id(c));
    assert_non_null(X509_get0_authority_key_id(d));
    /* issuer key that does not belong to the issuer certificate */
    eyni_pki_cert *bad;
    eyni_error err;
    eyni_pki_cert_spec s = {.profile = EYNI_PKI_DS,
                            .country = "AZ",
                            .common_name = "x",
                            .not_after = time(NULL) + 86400};
    assert_int_equal(eyni_pki_cert_issue(&s, dk, csca, mk, &bad, &err), EYNI_EINVAL);
    s.not_after = time(NULL) + 86400L * 365 * 30; /* outlives the CSCA */
    assert_int_equal(eyni_pki_cert_issue(&s, dk, csca, ck, &bad, &err), EYNI_EINVAL);
    eyni_pki_cert_free(csca);
    eyni_pki_cert_free(ds);
    eyni_pki_cert_free(mls);
    eyni_pki_key_free(ck);
    eyni_pki_key_free(dk);
    eyni_pki_key_free(mk);
}

static void test_own_masterlist_round_trip(void **state)
{
    eyni_pki_key *ck = key(NULL), *mk = key("rsa-pss-3072"), *ok2 = key("ec-p384");
    eyni_pki_cert *csca = cert(EYNI_PKI_CSCA, "CSCA AZ", ck, NULL, NULL);
    eyni_pki_cert *other = cert(EYNI_PKI_CSCA, "CSCA XX", ok2, NULL, NULL);
    eyni_pki_cert *mls = cert(EYNI_PKI_MLS, "MLS AZ", mk, csca, ck);
    eyni_pki_certs *list = eyni_pki_certs_new(), *back = NULL;
    eyni_error err;
    assert_int_equal(eyni_pki_certs_add(list, csca, &err), 0);
    assert_int_equal(eyni_pki_certs_add(list, other, &err), 0);
    unsigned char *ml;
    size_t len;
    assert_int_equal(eyni_pki_masterlist_export(list, mls, mk, &ml, &len, &err), 0);
    eyni_pki_masterlist_info info;
    assert_int_equal(eyni_pki_masterlist_load(ml, len, csca, 0, &back, &info, &err), 0);
    assert_true(info.signature_ok);
    assert_int_equal(info.signer_chain_ok, 1);
    assert_int_equal(eyni_pki_certs_count(back), 2);
    eyni_pki_certs_free(back);
    /* signed by a signer that does not chain to the root given */
    assert_int_equal(eyni_pki_masterlist_load(ml, len, other, 0, &back, &info, &err), 0);
    assert_int_equal(info.signer_chain_ok, 0);
    assert_true(strlen(info.reason) > 0);
    eyni_pki_certs_free(back);
    /* one flipped byte in the content */
    ml[len / 3] ^= 0x01;
    int rc = eyni_pki_masterlist_load(ml, len, csca, 0, &back, &info, &err);
    assert_true(rc != 0 || !info.signature_ok);
    if (rc == 0)
        eyni_pki_certs_free(back);
    for (size_t n = 0; n < len; n += 97) /* truncations */
        if (eyni_pki_masterlist_load(ml, n, csca, 0, &back, &info, &err) == 0)
            eyni_pki_certs_free(back);
    free(ml);
    eyni_pki_certs_free(list);
    eyni_pki_cert_free(csca);
    eyni_pki_cert_free(other);
    eyni_pki_cert_free(mls);
    eyni_pki_key_free(ck);
    eyni_pki_key_free(mk);
    eyni_pki_key_free(ok2);
}

static void test_german_masterlist_with_explicit_parameters(void **state)
{
    char *mlp = eyni_test_path("icao9303-test/master-lists/DE_ML_2026-05-28-08-28-45.ml");
    char *rootp = eyni_test_path("icao9303-test/master-lists/DE_ROOT_CA_CSCA07.cer");
    unsigned char *ml;
    size_t len;
    eyni_error err;
    eyni_pki_cert *root;
    eyni_pki_certs *list;
    eyni_pki_masterlist_info info;
    assert_int_equal(eyni_file_read(mlp, 1 << 24, &ml, &len, &err), 0);
    assert_int_equal(eyni_pki_cert_load(rootp, &root, &err), 0);
    /* verification time fixed inside the signer's validity, not the wall clock */
    time_t at = 1780000000; /* 2026-05-28 */
    assert_int_equal(eyni_pki_masterlist_load(ml, len, root, at, &list, &info, &err), 0);
    assert_true(info.signature_ok);
    assert_int_equal(info.signer_chain_ok, 1);
    assert_int_equal(info.certificates, 588);
    assert_non_null(strstr(info.signer, "Master List Signer"));
    eyni_pki_certs_free(list);
    /* a changed byte of the signature value */
    ml[len - 4] ^= 0x01;
    assert_int_equal(eyni_pki_masterlist_load(ml, len, root, at, &list, &info, &err), 0);
    assert_false(info.signature_ok);
    eyni_pki_certs_free(list);
    free(ml);
    eyni_pki_cert_free(root);
    free(mlp);
    free(rootp);
}

/* An EC key on P-256's curve but with generator 2G: explicit parameters that are no named
 * curve, the curve-substitution case OpenSSL's rule exists for. It must stay refused. */
static eyni_pki_key *odd_curve_key(void)
{
    EC_GROUP *p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *g2 = EC_POINT_new(p256);
    BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new();
    unsigned char gen[65];
    assert_int_equal(EC_POINT_dbl(p256, g2, EC_GROUP_get0_generator(p256), NULL), 1);
    assert_int_equal(EC_POINT_point2oct(p256, g2, POINT_CONVERSION_UNCOMPRESSED, gen, 65, NULL),
                     65);
    assert_int_equal(EC_GROUP_get_curve(p256, p, a, b, NULL), 1);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_EC_FIELD_TYPE, SN_X9_62_prime_field, 0);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_P, p);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_A, a);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_B, b);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_EC_GENERATOR, gen, 65);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_ORDER, EC_GROUP_get0_order(p256));
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_EC_COFACTOR, BN_value_one());
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *dom = NULL, *pk = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
    assert_int_equal(EVP_PKEY_fromdata(pc, &dom, EVP_PKEY_KEY_PARAMETERS, params), 1);
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_pkey(NULL, dom, NULL);
    assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
    assert_int_equal(EVP_PKEY_keygen(kc, &pk), 1);
    EVP_PKEY_CTX_free(kc);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(dom);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(p);
    BN_free(a);
    BN_free(b);
    EC_POINT_free(g2);
    EC_GROUP_free(p256);
    /* wrap through a PEM round trip to use the public API only */
    char *dir = eyni_test_tmpdir("pki-odd");
    char path[512];
    snprintf(path, sizeof path, "%s/odd.pem", dir);
    BIO *bio = BIO_new_file(path, "w");
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, pk, EVP_aes_256_cbc(), PASS,
                                                   (int)strlen(PASS), NULL, NULL),
                     1);
    BIO_free(bio);
    EVP_PKEY_free(pk);
    eyni_pki_key *k;
    eyni_error err;
    assert_int_equal(eyni_pki_key_load(path, PASS, &k, &err), 0);
    free(dir);
    return k;
}

static void test_explicit_parameters_off_named_curves_are_refused(void **state)
{
    eyni_pki_key *odd = odd_curve_key(), *dk = key(NULL), *ck = key("ec-brainpoolP384r1");
    eyni_pki_cert *bad_ca = cert(EYNI_PKI_CSCA, "Odd CSCA", odd, NULL, NULL);
    eyni_pki_cert *ds = cert(EYNI_PKI_DS, "DS under odd", dk, bad_ca, odd);
    eyni_pki_cert *good_ca = cert(EYNI_PKI_CSCA, "Good CSCA", ck, NULL, NULL);
    eyni_pki_cert *good_ds = cert(EYNI_PKI_DS, "DS under good", dk, good_ca, ck);
    eyni_pki_certs *anchors = eyni_pki_certs_new();
    eyni_error err;
    assert_int_equal(eyni_pki_certs_add(anchors, bad_ca, &err), 0);
    assert_int_equal(eyni_pki_certs_add(anchors, good_ca, &err), 0);
    eyni_pki_verify_opts o = {anchors, NULL, NULL, 0};
    int ok;
    char reason[256];
    assert_int_equal(eyni_pki_verify(eyni_pki_cert_get0(ds), &o, &ok, reason, sizeof reason, &err),
                     0);
    assert_false(ok);
    assert_non_null(strstr(reason, "explicit"));
    assert_int_equal(
        eyni_pki_verify(eyni_pki_cert_get0(good_ds), &o, &ok, reason, sizeof reason, &err), 0);
    assert_true(ok);
    eyni_pki_certs_free(anchors);
    eyni_pki_cert_free(bad_ca);
    eyni_pki_cert_free(ds);
    eyni_pki_cert_free(good_ca);
    eyni_pki_cert_free(good_ds);
    eyni_pki_key_free(odd);
    eyni_pki_key_free(dk);
    eyni_pki_key_free(ck);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_files_need_the_passphrase),
        cmocka_unit_test(test_certificate_profiles),
        cmocka_unit_test(test_own_masterlist_round_trip),
        cmocka_unit_test(test_german_masterlist_with_explicit_parameters),
        cmocka_unit_test(test_explicit_parameters_off_named_curves_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
