/* Passive Authentication: the BSI test passport, the German master list, and chips we build
 * and sign ourselves (accepted by us and by `openssl cms -verify`, refused when altered). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>

#include "eyni/mrtd.h"
#include "testutil.h"

#define BSI     "icao9303-test/bsi2008-test-passport-MUSTERMANN"
#define ML      "icao9303-test/master-lists/DE_ML_2026-05-28-08-28-45.ml"
#define ML_ROOT "icao9303-test/master-lists/DE_ROOT_CA_CSCA07.cer"
#define PASS    "test passphrase 0123"

typedef struct pki_fixture {
    char *dir;
    char path[8][512]; /* csca cert, ds cert, chip dir, mls cert, masterlist, csca key, ds... */
    eyni_pki_key *csca_key, *ds_key, *mls_key;
    eyni_pki_cert *csca, *ds, *mls;
} pki_fixture;

enum { P_CSCA, P_DS, P_CHIP, P_MLS, P_ML, P_CRL, P_OTHER };

static json_t *verify(const char *dir, const eyni_mrtd_verify_opts *o, int *passed)
{
    json_t *r = NULL;
    eyni_error err;
    if (eyni_mrtd_verify_dir(dir, o, &r, passed, &err) != 0)
        fail_msg("verify %s: %s", dir, err.msg);
    return r;
}

static int jtrue(const json_t *r, const char *k)
{
    return json_is_true(json_object_get(r, k));
}

static int reasons_have(const json_t *r, const char *needle)
{
    const json_t *a = json_object_get(r, "reasons");
    for (size_t i = 0; i < json_array_size(a); i++)
        if (strstr(json_string_value(json_array_get(a, i)), needle))
            return 1;
    return 0;
}

static void test_bsi_passport_hashes_and_signature(void **state)
{
    char *dir = eyni_test_path(BSI);
    int passed;
    json_t *r = verify(dir, NULL, &passed);
    assert_true(jtrue(r, "hashes_ok"));
    assert_true(jtrue(r, "signature_ok"));
    assert_true(json_is_null(json_object_get(r, "chain_ok")));
    assert_false(passed);
    assert_string_equal(json_string_value(json_object_get(r, "digest")), "SHA-1");
    assert_true(jtrue(r, "com_matches_sod"));
    /* DG4 and DG15 files exist but the SOD lists only DG1-3 and DG14 */
    json_t *dg15 = json_object_get(json_object_get(r, "data_groups"), "DG15");
    assert_false(jtrue(dg15, "authenticated"));
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 2);
    json_t *mrz = json_object_get(r, "dg1_mrz");
    assert_true(jtrue(mrz, "valid"));
    json_decref(r);
    free(dir);
}

/* The same chip under ICAO file identifiers, in mixed case. */
static void test_icao_file_names(void **state)
{
    pki_fixture *f = *state;
    const char *from[] = {"EF_COM.bin",     "EF_SOD.bin",     "Datagroup1.bin",
                          "Datagroup2.bin", "Datagroup3.bin", "Datagroup14.bin"};
    const char *to[] = {"ef011E.bin", "EF011D.BIN", "ef0101.bin",
                        "Ef0102.bin", "ef0103.bin", "ef010e.bin"};
    char dir[600];
    snprintf(dir, sizeof dir, "%s/icao-names", f->dir);
    eyni_error err;
    assert_int_equal(eyni_dir_make(dir, &err), 0);
    for (int i = 0; i < 6; i++) {
        char rel[256], dst[800];
        snprintf(rel, sizeof rel, BSI "/%s", from[i]);
        char *src = eyni_test_path(rel);
        unsigned char *b;
        size_t n;
        assert_int_equal(eyni_file_read(src, 1 << 20, &b, &n, &err), 0);
        snprintf(dst, sizeof dst, "%s/%s", dir, to[i]);
        assert_int_equal(eyni_file_write_atomic(dst, b, n, 0644, &err), 0);
        free(b);
        free(src);
    }
    int passed;
    json_t *r = verify(dir, NULL, &passed);
    assert_true(jtrue(r, "hashes_ok"));
    assert_true(jtrue(r, "signature_ok"));
    assert_int_equal(json_object_size(json_object_get(r, "data_groups")), 4);
    assert_true(jtrue(r, "com_matches_sod"));
    json_decref(r);
}

static void test_bsi_passport_against_german_masterlist(void **state)
{
    char *dir = eyni_test_path(BSI), *ml = eyni_test_path(ML), *root = eyni_test_path(ML_ROOT);
    eyni_mrtd_verify_opts o = {0};
    o.masterlist = ml;
    o.masterlist_root = root;
    o.at = 1780000000; /* 2026-05-28, inside the list signer's validity */
    int passed;
    json_t *r = verify(dir, &o, &passed);
    assert_true(jtrue(r, "hashes_ok"));
    assert_true(jtrue(r, "signature_ok"));
    json_t *mli = json_object_get(r, "masterlist");
    assert_true(jtrue(mli, "signature_ok"));
    assert_true(jtrue(mli, "signer_chain_ok"));
    assert_int_equal(json_integer_value(json_object_get(mli, "certificates")), 588);
    /* The 2008 test CSCA is in no master list: the chain fails, with the reason. */
    assert_true(json_is_false(json_object_get(r, "chain_ok")));
    assert_non_null(strstr(json_string_value(json_object_get(r, "chain_reason")), "issuer"));
    assert_false(passed);
    json_decref(r);
    free(dir);
    free(ml);
    free(root);
}

/* ---- our own PKI and chip ----------------------------------------------------------- */

static eyni_pki_key *new_key(const char *alg)
{
    eyni_pki_key *k;
    eyni_error err;
    if (eyni_pki_key_generate(alg, &k, &err) != 0)
        fail_msg("%s", err.msg);
    return k;
}

static eyni_pki_cert *issue(eyni_pki_profile p, const char *cn, eyni_pki_key *subject,
                            eyni_pki_cert *ca, eyni_pki_key *ca_key, long days)
{
    eyni_pki_cert_spec s = {.profile = p,
                            .country = "AZ",
                            .organization = "Test Republic",
                            .common_name = cn,
                            .not_after = time(NULL) + days * 86400,
                            .doc_types = p == EYNI_PKI_DS ? "P,ID" : NULL};
    eyni_pki_cert *c;
    eyni_error err;
    if (eyni_pki_cert_issue(&s, subject, ca, ca_key, &c, &err) != 0)
        fail_msg("issue %s: %s", cn, err.msg);
    return c;
}

static void write_chip(pki_fixture *f, const char *dir)
{
    eyni_mrz_fields mf = {EYNI_MRZ_TD3, "P",      "AZE", "Məmmədov", "Şükür Çağlar", "C01234567",
                          "AZE",        "850101", "M",   "360101",   "5ZJ8K2P",      NULL};
    char text[160];
    eyni_error err;
    eyni_mrtd_chip chip;
    memset(&chip, 0, sizeof chip);
    assert_int_equal(eyni_mrz_build(&mf, text, sizeof text, &err), 0);
    assert_int_equal(eyni_mrz_parse(text, strlen(text), &chip.mrz, &err), 0);
    char *jpg = eyni_test_path("icao9303-test/iso19794-5-face-records/ISO19794_Test1_Face.jpg");
    unsigned char *face;
    assert_int_equal(eyni_file_read(jpg, 1 << 20, &face, &chip.face_len, &err), 0);
    chip.face = face;
    chip.gender = 1;
    eyni_finger_image fi = {1, 80, 0, 4, 4, (const unsigned char *)"WSQ-bytes", 9};
    eyni_finger_record fr = {.compression = 2, .resolution_ppi = 500, .pixel_depth = 8};
    fr.fingers[0] = fi;
    fr.count = 1;
    chip.fingers = &fr;
    eyni_lds_dg11 d11 = {0};
    snprintf(d11.full_name, sizeof d11.full_name, "MƏMMƏDOV ŞÜKÜR");
    snprintf(d11.personal_number, sizeof d11.personal_number, "5ZJ8K2P");
    eyni_lds_dg12 d12 = {0};
    snprintf(d12.issuing_authority, sizeof d12.issuing_authority, "DMX");
    chip.dg11 = &d11;
    chip.dg12 = &d12;
    if (eyni_mrtd_chip_write(&chip, f->ds, f->ds_key, dir, &err) != 0)
        fail_msg("chip: %s", err.msg);
    free(face);
    free(jpg);
}

static int setup_pki(void **state)
{
    pki_fixture *f = calloc(1, sizeof *f);
    eyni_error err;
    f->dir = eyni_test_tmpdir("pa");
    const char *names[] = {"csca.pem", "ds.pem",  "chip",     "mls.pem",
                           "ml.bin",   "crl.der", "other.pem"};
    for (int i = 0; i < 7; i++)
        snprintf(f->path[i], sizeof f->path[i], "%s/%s", f->dir, names[i]);
    f->csca_key = new_key("ec-brainpoolP256r1");
    f->ds_key = new_key(NULL);
    f->mls_key = new_key(NULL);
    f->csca = issue(EYNI_PKI_CSCA, "CSCA Test", f->csca_key, NULL, NULL, 3650);
    f->ds = issue(EYNI_PKI_DS, "DS Test 01", f->ds_key, f->csca, f->csca_key, 365);
    f->mls = issue(EYNI_PKI_MLS, "ML Signer", f->mls_key, f->csca, f->csca_key, 365);
    assert_int_equal(eyni_pki_cert_save(f->csca, f->path[P_CSCA], 1, &err), 0);
    assert_int_equal(eyni_pki_cert_save(f->ds, f->path[P_DS], 1, &err), 0);
    eyni_pki_certs *list = eyni_pki_certs_new();
    assert_int_equal(eyni_pki_certs_add(list, f->csca, &err), 0);
    unsigned char *ml;
    size_t len;
    assert_int_equal(eyni_pki_masterlist_export(list, f->mls, f->mls_key, &ml, &len, &err), 0);
    assert_int_equal(eyni_file_write_atomic(f->path[P_ML], ml, len, 0644, &err), 0);
    free(ml);
    eyni_pki_certs_free(list);
    write_chip(f, f->path[P_CHIP]);
    *state = f;
    return 0;
}

static int teardown_pki(void **state)
{
    pki_fixture *f = *state;
    eyni_pki_key_free(f->csca_key);
    eyni_pki_key_free(f->ds_key);
    eyni_pki_key_free(f->mls_key);
    eyni_pki_cert_free(f->csca);
    eyni_pki_cert_free(f->ds);
    eyni_pki_cert_free(f->mls);
    free(f->dir);
    free(f);
    return 0;
}

static void test_built_chip_passes_with_csca_and_masterlist(void **state)
{
    pki_fixture *f = *state;
    const char *csca[] = {f->path[P_CSCA]};
    eyni_mrtd_verify_opts o = {0};
    o.csca_files = csca;
    o.ncsca = 1;
    int passed;
    json_t *r = verify(f->path[P_CHIP], &o, &passed);
    assert_true(passed);
    assert_true(jtrue(r, "hashes_ok") && jtrue(r, "signature_ok") && jtrue(r, "chain_ok"));
    assert_string_equal(json_string_value(json_object_get(r, "digest")), "SHA-256");
    assert_true(jtrue(r, "document_type_allowed")); /* "P" under the list P,ID */
    json_t *dgs = json_object_get(r, "data_groups");
    assert_int_equal(json_object_size(dgs), 5); /* DG1, 2, 3, 11, 12 */
    assert_true(jtrue(json_object_get(json_object_get(dgs, "DG2"), "face"), "image_ok"));
    json_decref(r);
    eyni_mrtd_verify_opts m = {0};
    m.masterlist = f->path[P_ML];
    m.masterlist_root = f->path[P_CSCA];
    r = verify(f->path[P_CHIP], &m, &passed);
    assert_true(passed);
    json_decref(r);
    /* anchors loaded once by the caller */
    eyni_pki_certs *anchors = eyni_pki_certs_new();
    eyni_error err;
    assert_int_equal(eyni_pki_certs_add(anchors, f->csca, &err), 0);
    eyni_mrtd_verify_opts a = {0};
    a.anchors = anchors;
    r = verify(f->path[P_CHIP], &a, &passed);
    assert_true(passed);
    json_decref(r);
    eyni_pki_certs_free(anchors);
}

/* Independent check of our SOD by the OpenSSL command line. */
static void test_built_sod_passes_openssl_cms_verify(void **state)
{
    pki_fixture *f = *state;
    char sod[600], der[600], cmd[2400];
    snprintf(sod, sizeof sod, "%s/EF_SOD.bin", f->path[P_CHIP]);
    snprintf(der, sizeof der, "%s/sod.der", f->dir);
    unsigned char *b;
    size_t n;
    eyni_error err;
    assert_int_equal(eyni_file_read(sod, 1 << 20, &b, &n, &err), 0);
    size_t pos = 0;
    eyni_tlv t;
    assert_int_equal(eyni_tlv_read(b, n, &pos, &t, &err), 0);
    assert_int_equal(t.tag, 0x77);
    assert_int_equal(eyni_file_write_atomic(der, t.value, t.len, 0644, &err), 0);
    free(b);
    snprintf(cmd, sizeof cmd,
             "openssl cms -verify -inform DER -in '%s' -CAfile '%s' -purpose any "
             "-out /dev/null 2>/dev/null",
             der, f->path[P_CSCA]);
    assert_int_equal(system(cmd), 0);
    /* and it refuses the SOD against an unrelated CA */
    snprintf(cmd, sizeof cmd,
             "openssl cms -verify -inform DER -in '%s' -CAfile '%s' -purpose any "
             "-out /dev/null 2>/dev/null",
             der, f->path[P_DS]);
    assert_int_not_equal(system(cmd), 0);
}

static void flip(const char *path, long offset)
{
    unsigned char *b;
    size_t n;
    eyni_error err;
    assert_int_equal(eyni_file_read(path, 1 << 22, &b, &n, &err), 0);
    size_t at = offset >= 0 ? (size_t)offset : n - (size_t)(-offset);
    assert_true(at < n);
    b[at] ^= 0x01;
    assert_int_equal(eyni_file_write_atomic(path, b, n, 0644, &err), 0);
    free(b);
}

static void test_one_changed_byte_in_any_dg_fails(void **state)
{
    pki_fixture *f = *state;
    const int dgs[] = {1, 2, 3, 11, 12};
    const char *csca[] = {f->path[P_CSCA]};
    eyni_mrtd_verify_opts o = {0};
    o.csca_files = csca;
    o.ncsca = 1;
    for (size_t i = 0; i < sizeof dgs / sizeof dgs[0]; i++) {
        char p[600], want[32];
        snprintf(p, sizeof p, "%s/Datagroup%d.bin", f->path[P_CHIP], dgs[i]);
        flip(p, -2);
        int passed;
        json_t *r = verify(f->path[P_CHIP], &o, &passed);
        assert_false(passed);
        assert_false(jtrue(r, "hashes_ok"));
        assert_true(jtrue(r, "signature_ok"));
        snprintf(want, sizeof want, "DG%d: hash does not match", dgs[i]);
        assert_true(reasons_have(r, want));
        json_decref(r);
        flip(p, -2);
    }
    int passed;
    json_decref(verify(f->path[P_CHIP], &o, &passed));
    assert_true(passed);
}

/* Offset of needle in the SOD, to alter the certificate or the security object. */
static long find_in_sod(const char *sod, const char *needle, size_t nlen)
{
    unsigned char *b;
    size_t n;
    eyni_error err;
    assert_int_equal(eyni_file_read(sod, 1 << 20, &b, &n, &err), 0);
    long at = -1;
    for (size_t i = 0; i + nlen <= n && at < 0; i++)
        if (memcmp(b + i, needle, nlen) == 0)
            at = (long)i;
    free(b);
    assert_true(at >= 0);
    return at;
}

static void test_changed_sod_or_certificate_fails_with_reason(void **state)
{
    pki_fixture *f = *state;
    char sod[600];
    snprintf(sod, sizeof sod, "%s/EF_SOD.bin", f->path[P_CHIP]);
    const char *csca[] = {f->path[P_CSCA]};
    eyni_mrtd_verify_opts o = {0};
    o.csca_files = csca;
    o.ncsca = 1;
    int passed;
    /* 1. the signature value (last bytes of the SOD) */
    flip(sod, -3);
    json_t *r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(passed);
    assert_false(jtrue(r, "signature_ok"));
    assert_true(reasons_have(r, "signature does not verify"));
    json_decref(r);
    flip(sod, -3);
    /* 2. the DS certificate (its subject CN) */
    long at = find_in_sod(sod, "DS Test 01", 10);
    flip(sod, at + 3);
    r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(passed);
    assert_true(json_is_false(json_object_get(r, "chain_ok")));
    assert_true(reasons_have(r, "signature failure"));
    json_decref(r);
    flip(sod, at + 3);
    /* 3. a hash inside the signed security object: hash and signature both fail */
    unsigned char *d1;
    size_t n1;
    char p[600];
    eyni_error err;
    snprintf(p, sizeof p, "%s/Datagroup1.bin", f->path[P_CHIP]);
    assert_int_equal(eyni_file_read(p, 1 << 20, &d1, &n1, &err), 0);
    unsigned char h[32];
    eyni_sha256(d1, n1, h);
    free(d1);
    at = find_in_sod(sod, (const char *)h, 32);
    flip(sod, at + 5);
    r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(jtrue(r, "signature_ok"));
    assert_true(reasons_have(r, "DG1: hash does not match"));
    json_decref(r);
    flip(sod, at + 5);
    json_decref(verify(f->path[P_CHIP], &o, &passed));
    assert_true(passed);
}

static void test_dates_crls_and_wrong_anchor(void **state)
{
    pki_fixture *f = *state;
    eyni_error err;
    const char *csca[] = {f->path[P_CSCA]};
    eyni_mrtd_verify_opts o = {0};
    o.csca_files = csca;
    o.ncsca = 1;
    int passed;
    /* DS certificate expired at the verification time */
    o.at = time(NULL) + 2 * 365 * 86400L;
    json_t *r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(passed);
    assert_true(reasons_have(r, "expired"));
    json_decref(r);
    o.at = 0;
    /* revoked by a CRL from the CSCA; an empty CRL lets it pass */
    char serial[80];
    const ASN1_INTEGER *si = X509_get0_serialNumber(eyni_pki_cert_get0(f->ds));
    BIGNUM *bn = ASN1_INTEGER_to_BN(si, NULL);
    char *hex = BN_bn2hex(bn);
    snprintf(serial, sizeof serial, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    const char *revoked[] = {serial};
    const char *crls[] = {f->path[P_CRL]};
    o.crl_files = crls;
    o.ncrl = 1;
    assert_int_equal(eyni_pki_crl_issue(f->csca, f->csca_key, NULL, 0, 1, time(NULL) + 86400 * 30,
                                        f->path[P_CRL], &err),
                     0);
    json_decref(verify(f->path[P_CHIP], &o, &passed));
    assert_true(passed);
    assert_int_equal(eyni_pki_crl_issue(f->csca, f->csca_key, revoked, 1, 2,
                                        time(NULL) + 86400 * 30, f->path[P_CRL], &err),
                     0);
    r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(passed);
    assert_true(reasons_have(r, "revoked"));
    json_decref(r);
    o.ncrl = 0;
    /* an unrelated CSCA is no anchor */
    eyni_pki_key *k = new_key(NULL);
    eyni_pki_cert *other = issue(EYNI_PKI_CSCA, "Other CSCA", k, NULL, NULL, 100);
    assert_int_equal(eyni_pki_cert_save(other, f->path[P_OTHER], 1, &err), 0);
    csca[0] = f->path[P_OTHER];
    r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(passed);
    assert_true(json_is_false(json_object_get(r, "chain_ok")));
    json_decref(r);
    /* the DS certificate itself is no anchor */
    csca[0] = f->path[P_DS];
    r = verify(f->path[P_CHIP], &o, &passed);
    assert_false(passed);
    assert_true(json_is_false(json_object_get(r, "chain_ok")));
    json_decref(r);
    eyni_pki_cert_free(other);
    eyni_pki_key_free(k);
}

static void test_other_signature_algorithms(void **state)
{
    pki_fixture *f = *state;
    const char *algs[] = {"rsa-pss-3072", "ec-brainpoolP384r1", "rsa-3072", "ec-p521"};
    eyni_error err;
    for (int i = 0; i < 4; i++) {
        pki_fixture g = *f;
        g.ds_key = new_key(algs[i]);
        g.ds = issue(EYNI_PKI_DS, "DS alt", g.ds_key, f->csca, f->csca_key, 365);
        char dir[600];
        snprintf(dir, sizeof dir, "%s/chip-%d", f->dir, i);
        write_chip(&g, dir);
        const char *csca[] = {f->path[P_CSCA]};
        eyni_mrtd_verify_opts o = {0};
        o.csca_files = csca;
        o.ncsca = 1;
        int passed;
        json_t *r = verify(dir, &o, &passed);
        if (!passed)
            fail_msg("chip signed with %s does not verify", algs[i]);
        assert_true(jtrue(r, "document_type_allowed"));
        json_decref(r);
        eyni_pki_cert_free(g.ds);
        eyni_pki_key_free(g.ds_key);
    }
    (void)err;
}

static void test_signer_not_authorised_for_the_document_type(void **state)
{
    pki_fixture *f = *state, g = *f;
    eyni_error err;
    eyni_pki_cert_spec s = {.profile = EYNI_PKI_DS,
                            .country = "AZ",
                            .common_name = "DS cards",
                            .not_after = time(NULL) + 86400 * 30,
                            .doc_types = "ID,IR"};
    assert_int_equal(eyni_pki_cert_issue(&s, f->ds_key, f->csca, f->csca_key, &g.ds, &err), 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/chip-cards-signer", f->dir);
    write_chip(&g, dir); /* a passport ("P") */
    int passed;
    json_t *r = verify(dir, NULL, &passed);
    assert_true(json_is_false(json_object_get(r, "document_type_allowed")));
    assert_true(json_array_size(json_object_get(r, "warnings")) >= 1);
    json_decref(r);
    eyni_pki_cert_free(g.ds);
}

static void test_unusable_folders(void **state)
{
    pki_fixture *f = *state;
    json_t *r = NULL;
    int passed;
    eyni_error err;
    assert_int_equal(eyni_mrtd_verify_dir("/nonexistent-eyni", NULL, &r, &passed, &err),
                     EYNI_ENOTFOUND);
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", f->dir);
    assert_int_equal(eyni_dir_make(empty, &err), 0);
    assert_int_equal(eyni_mrtd_verify_dir(empty, NULL, &r, &passed, &err), EYNI_ENOTFOUND);
    char sod[700];
    snprintf(sod, sizeof sod, "%s/ef011d.BIN", empty);
    assert_int_equal(eyni_file_write_atomic(sod, "\x77\x03\x30\x01\x00", 5, 0644, &err), 0);
    assert_int_equal(eyni_mrtd_verify_dir(empty, NULL, &r, &passed, &err), EYNI_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bsi_passport_hashes_and_signature),
        cmocka_unit_test(test_bsi_passport_against_german_masterlist),
        cmocka_unit_test(test_icao_file_names),
        cmocka_unit_test(test_built_chip_passes_with_csca_and_masterlist),
        cmocka_unit_test(test_built_sod_passes_openssl_cms_verify),
        cmocka_unit_test(test_one_changed_byte_in_any_dg_fails),
        cmocka_unit_test(test_changed_sod_or_certificate_fails_with_reason),
        cmocka_unit_test(test_dates_crls_and_wrong_anchor),
        cmocka_unit_test(test_other_signature_algorithms),
        cmocka_unit_test(test_signer_not_authorised_for_the_document_type),
        cmocka_unit_test(test_unusable_folders),
    };
    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
