/* `eyni mrtd verify|face|build`: chip data (LDS), Passive Authentication, chip building. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/mrtd.h"

#define MRTD_USAGE                                                                                 \
    "eyni mrtd verify DIR [--masterlist FILE [--masterlist-root CERT]] [--csca CERT]...\n"         \
    "             [--crl FILE]... [--at YYYY-MM-DD] [--json] [--data DIR]\n"                       \
    "       eyni mrtd face FILE [--json]   (ISO 19794-5, 39794-5 record or DG2)\n"                 \
    "       eyni mrtd build DIR --mrz TEXT --face IMAGE --ds-cert CERT --ds-key KEY [--json]\n"    \
    "             (DS key passphrase from $EYNI_PKI_PASSPHRASE or $EYNI_PKI_PASSPHRASE_FILE)"

#define MAX_FILES 16

static time_t date_arg(const char *s, int *bad)
{
    int y, m, d;
    eyni_error err;
    if (eyni_date_parse(s, &y, &m, &d, &err) != 0) {
        *bad = 1;
        return 0;
    }
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    return timegm(&tm);
}

static int verify(int argc, char **argv)
{
    eyni_mrtd_verify_opts o;
    const char *csca[MAX_FILES], *crl[MAX_FILES], *dir = NULL;
    int json = 0, bad = 0;
    memset(&o, 0, sizeof o);
    o.csca_files = csca;
    o.crl_files = crl;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--masterlist") == 0 && v)
            o.masterlist = v, i++;
        else if (strcmp(a, "--masterlist-root") == 0 && v)
            o.masterlist_root = v, i++;
        else if (strcmp(a, "--csca") == 0 && v && o.ncsca < MAX_FILES)
            csca[o.ncsca++] = v, i++;
        else if (strcmp(a, "--crl") == 0 && v && o.ncrl < MAX_FILES)
            crl[o.ncrl++] = v, i++;
        else if (strcmp(a, "--at") == 0 && v)
            o.at = date_arg(v, &bad), i++;
        else if (strcmp(a, "--data") == 0 && v)
            cli_data_dir(v), i++;
        else if (!dir && a[0] != '-')
            dir = a;
        else
            bad = 1;
    }
    if (!dir || bad)
        return cli_usage(MRTD_USAGE);
    json_t *report = NULL;
    int passed = 0;
    eyni_error err;
    if (eyni_mrtd_verify_dir(dir, &o, &report, &passed, &err) != 0)
        return cli_fail(&err);
    int rc = cli_emit(report, json);
    return rc ? rc : passed ? CLI_OK : CLI_NEGATIVE;
}

static json_t *face_json(const eyni_face_record *r)
{
    return json_pack("{s:i,s:i,s:s,s:s,s:i,s:i,s:i,s:I,s:b,s:b,s:i,s:i,s:s?}", "standard",
                     r->standard, "images", r->images, "image_type_in_record",
                     r->image_data_type ? "JPEG 2000" : "JPEG", "image_format", r->image_format,
                     "width", r->width, "height", r->height, "gender", r->gender, "image_bytes",
                     (json_int_t)r->image_len, "image_ok", r->image_ok, "size_matches_record",
                     r->size_matches, "decoded_width", r->decoded_width, "decoded_height",
                     r->decoded_height, "image_problem", r->image_ok ? NULL : r->image_problem);
}

static int face(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(MRTD_USAGE);
    int json = argc > 2 && strcmp(argv[2], "--json") == 0;
    unsigned char *buf;
    size_t len;
    eyni_error err;
    if (eyni_file_read(argv[1], EYNI_LDS_MAX_FILE, &buf, &len, &err) != 0)
        return cli_fail(&err);
    const unsigned char *rec = buf;
    size_t rec_len = len;
    int fmt = -1, rc;
    eyni_lds_biogroup g;
    if (len > 0 && buf[0] == 0x75) {
        if (eyni_lds_bio_decode(buf, len, &g, &err) != 0)
            goto fail;
        rec = g.bio[0].bdb;
        rec_len = g.bio[0].bdb_len;
        fmt = g.bio[0].format_type;
    }
    eyni_face_record r;
    if (fmt == 0x0008 || (fmt < 0 && len >= 4 && memcmp(buf, "FAC", 4) == 0))
        rc = eyni_face_record_decode(rec, rec_len, &r, &err);
    else
        rc = eyni_face_record39794_decode(rec, rec_len, &r, &err);
    if (rc != 0)
        goto fail;
    free(buf);
    rc = cli_emit(face_json(&r), json);
    return rc ? rc : r.image_ok ? CLI_OK : CLI_NEGATIVE;
fail:
    eyni_error_prefix(&err, "%s: ", argv[1]);
    free(buf);
    return cli_fail(&err);
}

static int build(int argc, char **argv)
{
    const char *dir = NULL, *mrz = NULL, *facef = NULL, *cert = NULL, *keyf = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--mrz") == 0 && v)
            mrz = v, i++;
        else if (strcmp(a, "--face") == 0 && v)
            facef = v, i++;
        else if (strcmp(a, "--ds-cert") == 0 && v)
            cert = v, i++;
        else if (strcmp(a, "--ds-key") == 0 && v)
            keyf = v, i++;
        else if (strcmp(a, "--data") == 0 && v)
            cli_data_dir(v), i++;
        else if (!dir && a[0] != '-')
            dir = a;
        else
            return cli_usage(MRTD_USAGE);
    }
    if (!dir || !mrz || !facef || !cert || !keyf)
        return cli_usage(MRTD_USAGE);
    eyni_error err;
    eyni_mrtd_chip chip;
    memset(&chip, 0, sizeof chip);
    unsigned char *img = NULL;
    eyni_pki_cert *ds = NULL;
    eyni_pki_key *key = NULL;
    char pass[EYNI_PKI_MAX_PASSPHRASE];
    int rc = 0;
    if (eyni_mrz_parse(mrz, strlen(mrz), &chip.mrz, &err) ||
        eyni_file_read(facef, EYNI_LDS_MAX_FILE, &img, &chip.face_len, &err) ||
        eyni_pki_cert_load(cert, &ds, &err) ||
        eyni_pki_passphrase_get("EYNI_PKI_PASSPHRASE", pass, sizeof pass, &err) ||
        eyni_pki_key_load(keyf, pass, &key, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    chip.face = img;
    if (eyni_mrtd_chip_write(&chip, ds, key, dir, &err) != 0)
        rc = cli_fail(&err);
    else
        rc = cli_emit(json_pack("{s:s,s:b}", "dir", dir, "written", 1), json);
done:
    memset(pass, 0, sizeof pass);
    free(img);
    eyni_pki_cert_free(ds);
    eyni_pki_key_free(key);
    return rc;
}

int cli_mrtd(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(MRTD_USAGE);
    if (strcmp(argv[1], "verify") == 0)
        return verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "face") == 0)
        return face(argc - 1, argv + 1);
    if (strcmp(argv[1], "build") == 0)
        return build(argc - 1, argv + 1);
    return cli_usage(MRTD_USAGE);
}

/* Loads a master list and keeps its CSCAs only when its signature and its signer's path to
 * the root hold. */
static int load_trusted_masterlist(const char *path, const char *rootf, eyni_pki_certs **out,
                                   eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    eyni_pki_cert *root = NULL;
    eyni_pki_masterlist_info info;
    int rc = eyni_file_read(path, EYNI_PKI_MAX_MASTERLIST, &buf, &len, err);
    if (rc)
        return rc;
    if (!rootf)
        rc = eyni_error_set(err, EYNI_EINVAL, "bench mrtd: --masterlist needs --masterlist-root");
    if (rc == 0)
        rc = eyni_pki_cert_load(rootf, &root, err);
    if (rc == 0)
        rc = eyni_pki_masterlist_load(buf, len, root, 0, out, &info, err);
    if (rc == 0 && (!info.signature_ok || info.signer_chain_ok != 1)) {
        eyni_pki_certs_free(*out);
        *out = NULL;
        rc =
            eyni_error_set(err, EYNI_ECRYPTO, "%s: master list not trusted: %s", path, info.reason);
    }
    eyni_pki_cert_free(root);
    free(buf);
    return rc;
}

/* `eyni bench mrtd DIR [--masterlist F [--masterlist-root R]] [--iterations N]`: Passive
 * Authentication throughput on one chip folder (and master list loading when given). */
int cli_bench_mrtd(int argc, char **argv)
{
    eyni_mrtd_verify_opts o;
    memset(&o, 0, sizeof o);
    const char *dir = NULL;
    long iterations = 200;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--masterlist") == 0 && v)
            o.masterlist = v, i++;
        else if (strcmp(a, "--masterlist-root") == 0 && v)
            o.masterlist_root = v, i++;
        else if (strcmp(a, "--iterations") == 0 && v)
            iterations = strtol(v, NULL, 10), i++;
        else if (strcmp(a, "--data") == 0 && v)
            cli_data_dir(v), i++;
        else if (!dir && a[0] != '-')
            dir = a;
        else
            return cli_usage("eyni bench mrtd DIR [--masterlist F [--masterlist-root R]] "
                             "[--iterations N] [--json]");
    }
    if (!dir || iterations < 1 || iterations > 1000000)
        return cli_usage("eyni bench mrtd DIR [--masterlist F [--masterlist-root R]] "
                         "[--iterations N] [--json]");
    eyni_error err;
    int passed = 0;
    /* A border station loads and checks the master list once, then verifies many chips. */
    eyni_pki_certs *anchors = NULL;
    double ml_ms = 0;
    if (o.masterlist) {
        double t = eyni_time_ms();
        int rc = load_trusted_masterlist(o.masterlist, o.masterlist_root, &anchors, &err);
        if (rc)
            return cli_fail(&err);
        ml_ms = eyni_time_ms() - t;
        o.masterlist = o.masterlist_root = NULL;
        o.anchors = anchors;
    }
    double t0 = eyni_time_ms();
    for (long i = 0; i < iterations; i++) {
        json_t *r = NULL;
        if (eyni_mrtd_verify_dir(dir, &o, &r, &passed, &err) != 0) {
            eyni_pki_certs_free(anchors);
            return cli_fail(&err);
        }
        json_decref(r);
        if (i == 0 || (i + 1) % 50 == 0)
            fprintf(stderr, "bench mrtd: %ld/%ld\n", i + 1, iterations);
    }
    double ms = (eyni_time_ms() - t0) / (double)iterations;
    int with_ml = anchors != NULL;
    eyni_pki_certs_free(anchors);
    return cli_emit(json_pack("{s:s,s:I,s:f,s:f,s:b,s:f,s:b}", "dir", dir, "iterations",
                              (json_int_t)iterations, "ms_per_verify", ms, "verifies_per_s",
                              ms > 0 ? 1000.0 / ms : 0.0, "with_masterlist", with_ml,
                              "masterlist_load_ms", ml_ms, "passed", passed),
                    json);
}
