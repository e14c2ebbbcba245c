/*
 * Passive Authentication (Doc 9303 part 11, 5.1) of chip files read into a folder:
 * 1. hash every data group read and compare with the LDS Security Object;
 * 2. verify the SOD's CMS signature with the document signer certificate;
 * 3. validate the DS certificate up to a trusted CSCA (master list or trust store), with
 *    validity dates and CRLs.
 */
#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "mrtd_int.h"

#define SOD_INDEX 0
#define COM_INDEX 17

typedef struct chip_files {
    char *path[18]; /* 0 SOD, 1..16 DGs, 17 COM */
} chip_files;

/* File index of a chip file name, -1 for anything else. */
static int file_index(const char *name)
{
    size_t n = strlen(name);
    if (n < 5 || strcasecmp(name + n - 4, ".bin") != 0)
        return -1;
    if (strcasecmp(name, "EF_COM.bin") == 0 || strcasecmp(name, "ef011E.bin") == 0)
        return COM_INDEX;
    if (strcasecmp(name, "EF_SOD.bin") == 0 || strcasecmp(name, "ef011D.bin") == 0)
        return SOD_INDEX;
    if (n == 10 && strncasecmp(name, "ef01", 4) == 0 && isxdigit((unsigned char)name[4]) &&
        isxdigit((unsigned char)name[5])) {
        int v = (int)strtol((char[]){name[4], name[5], 0}, NULL, 16);
        return v >= 1 && v <= 16 ? v : -1;
    }
    if (strncasecmp(name, "Datagroup", 9) == 0) {
        char *end;
        long v = strtol(name + 9, &end, 10);
        if (end != name + 9 && strcasecmp(end, ".bin") == 0 && v >= 1 && v <= 16)
            return (int)v;
    }
    return -1;
}

static void files_free(chip_files *f)
{
    for (int i = 0; i < 18; i++)
        free(f->path[i]);
}

static int files_scan(const char *dir, chip_files *f, eyni_error *err)
{
    memset(f, 0, sizeof *f);
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: cannot open folder", dir);
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        int i = file_index(e->d_name);
        if (i < 0)
            continue;
        if (f->path[i]) {
            rc = eyni_error_set(err, EYNI_EFORMAT, "%s: two files for the same chip file (%s)", dir,
                                e->d_name);
            break;
        }
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        if (!(f->path[i] = malloc(n))) {
            rc = eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", dir);
            break;
        }
        snprintf(f->path[i], n, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (rc == 0 && !f->path[SOD_INDEX])
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "%s: no EF_SOD.bin / ef011D.bin", dir);
    if (rc)
        files_free(f);
    return rc;
}

static void add_reason(json_t *reasons, const char *fmt, ...) EYNI_PRINTF(2, 3);

static void add_reason(json_t *reasons, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(reasons, json_string(buf));
}

/* Extra facts on the data groups we understand; never decides the verdict. */
static void describe_dg(int dg, const unsigned char *b, size_t n, json_t *o, json_t *report)
{
    eyni_error e;
    if (dg == 1) {
        eyni_mrz m;
        if (eyni_lds_dg1_decode(b, n, &m, &e) == 0)
            json_object_set_new(report, "dg1_mrz", eyni_mrz_to_json(&m));
        else
            json_object_set_new(o, "decode_error", json_string(e.msg));
    } else if (dg == 14) {
        eyni_lds_dg14 d;
        if (eyni_lds_dg14_decode(b, n, &d, &e) != 0) {
            json_object_set_new(o, "decode_error", json_string(e.msg));
            return;
        }
        json_t *a = json_array();
        for (int i = 0; a && i < d.count; i++)
            json_array_append_new(a, json_string(d.protocols[i]));
        json_object_set_new(o, "security_infos", a);
    } else if (dg == 15) {
        eyni_lds_dg15 d;
        if (eyni_lds_dg15_decode(b, n, &d, &e) != 0)
            json_object_set_new(o, "decode_error", json_string(e.msg));
        else
            json_object_set_new(o, "active_authentication_key",
                                json_pack("{s:s,s:i}", "type", d.key_type, "bits", d.bits));
    } else if (dg == 2) {
        eyni_lds_biogroup g;
        eyni_face_record r;
        if (eyni_lds_bio_decode(b, n, &g, &e) != 0) {
            json_object_set_new(o, "decode_error", json_string(e.msg));
            return;
        }
        int rc = g.bio[0].format_type == 0x0008
                     ? eyni_face_record_decode(g.bio[0].bdb, g.bio[0].bdb_len, &r, &e)
                     : eyni_face_record39794_decode(g.bio[0].bdb, g.bio[0].bdb_len, &r, &e);
        if (rc != 0) {
            json_object_set_new(o, "decode_error", json_string(e.msg));
            return;
        }
        json_object_set_new(o, "face",
                            json_pack("{s:i,s:s,s:i,s:i,s:b,s:b,s:s?}", "instances", g.count,
                                      "image_format", r.image_format, "width", r.width, "height",
                                      r.height, "image_ok", r.image_ok, "size_matches_record",
                                      r.size_matches, "image_problem",
                                      r.image_ok ? NULL : r.image_problem));
    }
}

/* EF.COM is not signed; its list of data groups should still agree with the SOD's. */
static void check_com(const chip_files *f, const eyni_sod *sod, json_t *report, json_t *warnings)
{
    unsigned char *b;
    size_t n;
    eyni_error e;
    eyni_lds_com com;
    if (!f->path[COM_INDEX])
        return;
    if (eyni_file_read(f->path[COM_INDEX], EYNI_LDS_MAX_FILE, &b, &n, &e) != 0)
        return;
    int rc = eyni_lds_com_decode(b, n, &com, &e);
    free(b);
    if (rc != 0) {
        add_reason(warnings, "EF.COM: %s", e.msg);
        json_object_set_new(report, "com_matches_sod", json_false());
        return;
    }
    int dgs[EYNI_LDS_MAX_DG], nd = eyni_sod_dgs(sod, dgs), same = nd == com.ndgs;
    for (int i = 0; same && i < nd; i++) {
        int found = 0;
        for (int k = 0; k < com.ndgs; k++)
            found |= com.dgs[k] == dgs[i];
        same = found;
    }
    json_object_set_new(report, "com_matches_sod", json_boolean(same));
    if (!same)
        add_reason(warnings, "EF.COM lists other data groups than EF.SOD");
}

/* Step 1: every data group read against the security object. */
static int check_hashes(const chip_files *f, const eyni_sod *sod, json_t *report, json_t *reasons,
                        int *hashes_ok, eyni_error *err)
{
    json_t *dgs = json_object(), *warnings = json_array();
    const EVP_MD *md = EVP_get_digestbyname(eyni_sod_digest_name(sod));
    int checked = 0, ok = 1;
    if (!dgs || !md || !warnings) {
        json_decref(dgs);
        json_decref(warnings);
        return eyni_error_set(err, EYNI_EINTERNAL, "PA: digest %s unavailable",
                              eyni_sod_digest_name(sod));
    }
    json_object_set_new(report, "data_groups", dgs);
    json_object_set_new(report, "warnings", warnings);
    for (int dg = 1; dg <= 16; dg++) {
        const unsigned char *want;
        size_t want_len;
        int listed = eyni_sod_hash(sod, dg, &want, &want_len) == 0;
        char key[8];
        snprintf(key, sizeof key, "DG%d", dg);
        if (!f->path[dg]) {
            if (listed)
                json_object_set_new(dgs, key,
                                    json_pack("{s:b,s:b,s:n}", "read", 0, "in_sod", 1, "hash_ok"));
            continue;
        }
        unsigned char *b;
        size_t n;
        int rc = eyni_file_read(f->path[dg], EYNI_LDS_MAX_FILE, &b, &n, err);
        if (rc)
            return rc;
        unsigned char h[EVP_MAX_MD_SIZE];
        unsigned hl = 0;
        EVP_Digest(b, n, h, &hl, md, NULL);
        int good = listed && hl == want_len && memcmp(h, want, hl) == 0;
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        eyni_hex_encode(h, hl, hex);
        /* A file the SOD does not list cannot be authenticated; it is reported (and must not
         * be used) but is no evidence that a listed data group was altered. */
        json_t *o = json_pack("{s:b,s:b,s:o,s:b,s:s,s:I}", "read", 1, "in_sod", listed, "hash_ok",
                              listed ? json_boolean(good) : json_null(), "authenticated", good,
                              "hash", hex, "bytes", (json_int_t)n);
        if (o) {
            describe_dg(dg, b, n, o, report);
            json_object_set_new(dgs, key, o);
        }
        free(b);
        if (!listed) {
            add_reason(warnings, "DG%d: file present but not listed in EF.SOD, not authenticated",
                       dg);
            continue;
        }
        checked++;
        if (!good) {
            ok = 0;
            add_reason(reasons, "DG%d: hash does not match EF.SOD (data group altered)", dg);
        }
    }
    if (checked == 0) {
        ok = 0;
        add_reason(reasons, "no data group listed in EF.SOD was read");
    }
    json_object_set_new(report, "digest", json_string(eyni_sod_digest_name(sod)));
    check_com(f, sod, report, warnings);
    *hashes_ok = ok;
    return 0;
}

static json_t *cert_json(X509 *x)
{
    eyni_pki_cert *c = NULL;
    eyni_error e;
    char subject[256] = "", issuer[256] = "", from[64] = "", to[64] = "";
    if (eyni_pki_cert_wrap(x, &c, &e) == 0) {
        eyni_pki_cert_subject(c, subject, sizeof subject);
        eyni_pki_cert_free(c);
    }
    X509_NAME_oneline(X509_get_issuer_name(x), issuer, sizeof issuer);
    BIO *b = BIO_new(BIO_s_mem());
    if (b) {
        ASN1_TIME_print(b, X509_get0_notBefore(x));
        int n = BIO_read(b, from, sizeof from - 1);
        from[n > 0 ? n : 0] = '\0';
        ASN1_TIME_print(b, X509_get0_notAfter(x));
        n = BIO_read(b, to, sizeof to - 1);
        to[n > 0 ? n : 0] = '\0';
        BIO_free(b);
    }
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *serial = bn ? BN_bn2hex(bn) : NULL;
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "subject", subject, "issuer", issuer, "serial",
                          serial ? serial : "?", "not_before", from, "not_after", to);
    OPENSSL_free(serial);
    BN_free(bn);
    return o;
}

typedef struct anchors {
    eyni_pki_certs *certs;
    STACK_OF(X509_CRL) * crls;
    int have;
} anchors;

static int load_masterlist(const eyni_mrtd_verify_opts *o, anchors *a, json_t *report,
                           json_t *reasons, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    eyni_pki_cert *root = NULL;
    eyni_pki_certs *list = NULL;
    eyni_pki_masterlist_info info;
    int rc = eyni_file_read(o->masterlist, EYNI_PKI_MAX_MASTERLIST, &buf, &len, err);
    if (rc)
        return rc;
    if (o->masterlist_root && (rc = eyni_pki_cert_load(o->masterlist_root, &root, err)) != 0)
        goto done;
    rc = eyni_pki_masterlist_load(buf, len, root, o->at, &list, &info, err);
    if (rc) {
        eyni_error_prefix(err, "%s: ", o->masterlist);
        goto done;
    }
    json_object_set_new(
        report, "masterlist",
        json_pack("{s:s,s:I,s:b,s:o,s:s,s:s?}", "file", o->masterlist, "certificates",
                  (json_int_t)info.certificates, "signature_ok", info.signature_ok,
                  "signer_chain_ok",
                  info.signer_chain_ok < 0 ? json_null() : json_boolean(info.signer_chain_ok),
                  "signer", info.signer, "reason", info.reason[0] ? info.reason : NULL));
    /* A list whose signature fails, or whose signer does not chain to the given root, is
     * not a source of trust. */
    if (info.signer_chain_ok < 0)
        add_reason(json_object_get(report, "warnings"),
                   "master list origin not verified: no --masterlist-root given");
    if (!info.signature_ok || info.signer_chain_ok == 0) {
        add_reason(reasons, "master list not trusted: %s", info.reason);
    } else {
        for (size_t i = 0; i < eyni_pki_certs_count(list); i++) {
            eyni_pki_cert *c;
            if (eyni_pki_cert_wrap(eyni_pki_certs_get0(list, i), &c, err) == 0) {
                eyni_pki_certs_add(a->certs, c, err);
                eyni_pki_cert_free(c);
            }
        }
    }
    a->have = 1;
done:
    eyni_pki_certs_free(list);
    eyni_pki_cert_free(root);
    free(buf);
    return rc;
}

static int load_anchors(const eyni_mrtd_verify_opts *o, anchors *a, json_t *report, json_t *reasons,
                        eyni_error *err)
{
    memset(a, 0, sizeof *a);
    if (!(a->certs = eyni_pki_certs_new()))
        return eyni_error_set(err, EYNI_ENOMEM, "PA: out of memory");
    if (!o)
        return 0;
    int rc;
    if (o->masterlist && (rc = load_masterlist(o, a, report, reasons, err)) != 0)
        return rc;
    for (size_t i = 0; o->anchors && i < eyni_pki_certs_count(o->anchors); i++) {
        eyni_pki_cert *c;
        if ((rc = eyni_pki_cert_wrap(eyni_pki_certs_get0(o->anchors, i), &c, err)) != 0)
            return rc;
        rc = eyni_pki_certs_add(a->certs, c, err);
        eyni_pki_cert_free(c);
        if (rc)
            return rc;
        a->have = 1;
    }
    for (size_t i = 0; i < o->ncsca; i++) {
        if ((rc = eyni_pki_certs_load_file(a->certs, o->csca_files[i], err)) != 0)
            return rc;
        a->have = 1;
    }
    for (size_t i = 0; i < o->ncrl; i++)
        if ((rc = eyni_pki_crl_load(o->crl_files[i], &a->crls, err)) != 0)
            return rc;
    return 0;
}

/* Step 3: the DS certificate's path to a CSCA; also its key usage. */
static int check_chain(X509 *ds, const anchors *a, time_t at, json_t *report, json_t *reasons,
                       eyni_error *err)
{
    if (!a->have) {
        json_object_set_new(report, "chain_ok", json_null());
        json_object_set_new(report, "chain_reason",
                            json_string("no trust anchors given (--masterlist or --csca)"));
        return 0;
    }
    int ok = 0;
    char reason[256] = "EF.SOD embeds no document signer certificate";
    if (ds) {
        eyni_pki_verify_opts vo = {a->certs, NULL, a->crls, at};
        int rc = eyni_pki_verify(ds, &vo, &ok, reason, sizeof reason, err);
        if (rc)
            return rc;
        uint32_t ku = X509_get_key_usage(ds);
        if (ok && ku != UINT32_MAX && !(ku & KU_DIGITAL_SIGNATURE)) {
            ok = 0;
            snprintf(reason, sizeof reason, "DS certificate key usage lacks digitalSignature");
        }
    }
    json_object_set_new(report, "chain_ok", json_boolean(ok));
    if (!ok) {
        json_object_set_new(report, "chain_reason", json_string(reason));
        add_reason(reasons, "DS certificate chain: %s", reason);
    }
    return 0;
}

/*
 * The DS certificate's document type list (2.23.136.1.1.6.2, Doc 9303 part 12) against the
 * document code in DG1: a signer authorised for ID cards should not sign passports. Each
 * listed type is a document code (trailing fillers dropped); a one-letter type also covers
 * codes starting with that letter. Reported with a warning; null when either side is absent.
 */
static void check_doc_type(X509 *ds, json_t *report, json_t *warnings)
{
    const char *code = json_string_value(json_object_get(
        json_object_get(json_object_get(report, "dg1_mrz"), "fields"), "document_code"));
    ASN1_OBJECT *obj = OBJ_txt2obj("2.23.136.1.1.6.2", 1);
    int idx = ds && obj ? X509_get_ext_by_OBJ(ds, obj, -1) : -1;
    ASN1_OBJECT_free(obj);
    if (!code || idx < 0) {
        json_object_set_new(report, "document_type_allowed", json_null());
        return;
    }
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(ds, idx));
    const unsigned char *p = ASN1_STRING_get0_data(v);
    size_t n = (size_t)ASN1_STRING_length(v), pos = 0, ip = 0;
    eyni_tlv seq = {0}, ver = {0}, set = {0};
    eyni_error e;
    int allowed = 0;
    if (eyni_tlv_read(p, n, &pos, &seq, &e) || seq.tag != 0x30 ||
        eyni_tlv_read(seq.value, seq.len, &ip, &ver, &e) ||
        eyni_tlv_read(seq.value, seq.len, &ip, &set, &e) || set.tag != 0x31) {
        add_reason(warnings, "DS certificate: document type list is malformed");
        json_object_set_new(report, "document_type_allowed", json_false());
        return;
    }
    pos = 0;
    eyni_tlv t = {0};
    while (pos < set.len && eyni_tlv_read(set.value, set.len, &pos, &t, &e) == 0) {
        size_t cl = strlen(code);
        if ((t.len == cl && memcmp(t.value, code, cl) == 0) ||
            (t.len == 1 && cl >= 1 && t.value[0] == (unsigned char)code[0]))
            allowed = 1;
    }
    json_object_set_new(report, "document_type_allowed", json_boolean(allowed));
    if (!allowed)
        add_reason(warnings, "document code %s is not in the DS certificate's document types",
                   code);
}

int eyni_mrtd_verify_dir(const char *dir, const eyni_mrtd_verify_opts *opts, json_t **report,
                         int *passed, eyni_error *err)
{
    chip_files f;
    eyni_sod *sod = NULL;
    unsigned char *sb = NULL;
    size_t sl;
    anchors a = {0};
    json_t *r = json_object(), *reasons = json_array();
    int rc = files_scan(dir, &f, err);
    if (rc) {
        json_decref(r);
        json_decref(reasons);
        return rc;
    }
    if (!r || !reasons) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "PA: out of memory");
        goto done;
    }
    json_object_set_new(r, "dg1_mrz", json_null());
    if ((rc = eyni_file_read(f.path[SOD_INDEX], EYNI_LDS_MAX_FILE, &sb, &sl, err)) != 0 ||
        (rc = eyni_sod_parse(sb, sl, &sod, err)) != 0) {
        eyni_error_prefix(err, "%s: ", f.path[SOD_INDEX]);
        goto done;
    }
    int hashes_ok = 0, sig_ok = 0;
    char sig_reason[256];
    if ((rc = check_hashes(&f, sod, r, reasons, &hashes_ok, err)) != 0 ||
        (rc = eyni_sod_verify_signature(sod, &sig_ok, sig_reason, sizeof sig_reason, err)) != 0)
        goto done;
    json_object_set_new(r, "hashes_ok", json_boolean(hashes_ok));
    json_object_set_new(r, "signature_ok", json_boolean(sig_ok));
    if (!sig_ok)
        add_reason(reasons, "%s", sig_reason);
    X509 *ds = eyni_sod_signer_get0(sod);
    json_object_set_new(r, "ds_certificate", ds ? cert_json(ds) : json_null());
    if ((rc = load_anchors(opts, &a, r, reasons, err)) != 0 ||
        (rc = check_chain(ds, &a, opts ? opts->at : 0, r, reasons, err)) != 0)
        goto done;
    check_doc_type(ds, r, json_object_get(r, "warnings"));
    int chain_ok = json_is_true(json_object_get(r, "chain_ok"));
    *passed = hashes_ok && sig_ok && chain_ok;
    json_object_set_new(r, "passed", json_boolean(*passed));
    json_object_set_new(r, "reasons", reasons);
    reasons = NULL;
    *report = r;
    r = NULL;
done:
    if (a.crls)
        sk_X509_CRL_pop_free(a.crls, X509_CRL_free);
    eyni_pki_certs_free(a.certs);
    json_decref(reasons);
    json_decref(r);
    eyni_sod_free(sod);
    free(sb);
    files_free(&f);
    return rc;
}
