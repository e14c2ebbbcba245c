/* `eyni pki ...`: keys, CSCA, document signer and other certificates, CRLs, master lists.
 * Private key passphrases come from $EYNI_PKI_PASSPHRASE or the file named by
 * $EYNI_PKI_PASSPHRASE_FILE, never from the command line (visible in ps and shell history). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/pki.h"

#define PKI_USAGE                                                                                  \
    "eyni pki key --out KEY.pem --pub PUB.pem [--alg ec-p256|ec-brainpoolP256r1|...|rsa-3072|"     \
    "rsa-pss-3072]\n"                                                                              \
    "       eyni pki csca --key KEY.pem --out CERT --country CC --cn NAME [--org O] [--days N]\n"  \
    "       eyni pki issue --profile ds|mls|link|service --ca CERT --ca-key KEY.pem\n"             \
    "             --pub PUB.pem --out CERT --cn NAME [--country CC] [--org O] [--days N]\n"        \
    "             [--doc-types P,ID] [--crl-url URL]\n"                                            \
    "       eyni pki crl --ca CERT --ca-key KEY.pem --out CRL [--revoke SERIALHEX]...\n"           \
    "             [--number N] [--days N]\n"                                                       \
    "       eyni pki masterlist --signer CERT --signer-key KEY.pem --out FILE CSCA...\n"           \
    "       eyni pki masterlist-check FILE [--root CERT] [--json]\n"                               \
    "  passphrase: $EYNI_PKI_PASSPHRASE or $EYNI_PKI_PASSPHRASE_FILE; all take --json --data"

#define PASS_ENV "EYNI_PKI_PASSPHRASE"
#define MAX_ARGS 64

typedef struct args {
    const char *names[24];
    const char *values[24];
    int n;
    const char *rest[MAX_ARGS];
    int nrest;
    int json;
} args;

/* Collects --name value pairs and positional arguments; --json is a flag. */
static int args_parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a->json = 1;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            if (i + 1 >= argc || a->n == 24)
                return -1;
            a->names[a->n] = argv[i] + 2;
            a->values[a->n++] = argv[++i];
        } else {
            if (a->nrest == MAX_ARGS)
                return -1;
            a->rest[a->nrest++] = argv[i];
        }
    }
    return 0;
}

static const char *arg(const args *a, const char *name)
{
    for (int i = a->n - 1; i >= 0; i--)
        if (strcmp(a->names[i], name) == 0)
            return a->values[i];
    return NULL;
}

static int load_private(const char *path, eyni_pki_key **key, eyni_error *err)
{
    char pass[EYNI_PKI_MAX_PASSPHRASE];
    int rc = eyni_pki_passphrase_get(PASS_ENV, pass, sizeof pass, err);
    if (rc == 0)
        rc = eyni_pki_key_load(path, pass, key, err);
    memset(pass, 0, sizeof pass);
    return rc;
}

static time_t days_from_now(const args *a, long def)
{
    const char *d = arg(a, "days");
    long days = d ? strtol(d, NULL, 10) : def;
    if (days < 1 || days > 40 * 366)
        days = def;
    return time(NULL) + (time_t)days * 86400;
}

static int cmd_key(const args *a)
{
    const char *out = arg(a, "out"), *pub = arg(a, "pub");
    if (!out || !pub)
        return cli_usage(PKI_USAGE);
    eyni_error err;
    eyni_pki_key *k = NULL;
    char pass[EYNI_PKI_MAX_PASSPHRASE];
    int rc = eyni_pki_passphrase_get(PASS_ENV, pass, sizeof pass, &err);
    if (rc == 0)
        rc = eyni_pki_key_generate(arg(a, "alg"), &k, &err);
    if (rc == 0)
        rc = eyni_pki_key_save(k, out, pass, &err);
    if (rc == 0)
        rc = eyni_pki_key_save_public(k, pub, &err);
    memset(pass, 0, sizeof pass);
    eyni_pki_key_free(k);
    if (rc)
        return cli_fail(&err);
    return cli_emit(json_pack("{s:s,s:s,s:s}", "key", out, "public", pub, "alg",
                              arg(a, "alg") ? arg(a, "alg") : "ec-p256"),
                    a->json);
}

static int emit_cert(const eyni_pki_cert *c, const char *out, int json)
{
    char subject[256];
    eyni_pki_cert_subject(c, subject, sizeof subject);
    return cli_emit(json_pack("{s:s,s:s}", "certificate", out, "subject", subject), json);
}

static int cmd_csca(const args *a)
{
    const char *keyf = arg(a, "key"), *out = arg(a, "out");
    eyni_pki_cert_spec s = {.profile = EYNI_PKI_CSCA,
                            .country = arg(a, "country"),
                            .organization = arg(a, "org"),
                            .common_name = arg(a, "cn"),
                            .not_after = days_from_now(a, 15 * 365)};
    if (!keyf || !out || !s.country || !s.common_name)
        return cli_usage(PKI_USAGE);
    eyni_error err;
    eyni_pki_key *k = NULL;
    eyni_pki_cert *c = NULL;
    int rc = load_private(keyf, &k, &err);
    if (rc == 0)
        rc = eyni_pki_cert_issue(&s, k, NULL, NULL, &c, &err);
    if (rc == 0)
        rc = eyni_pki_cert_save(c, out, 1, &err);
    rc = rc ? cli_fail(&err) : emit_cert(c, out, a->json);
    eyni_pki_cert_free(c);
    eyni_pki_key_free(k);
    return rc;
}

static int profile_of(const char *p, eyni_pki_profile *out)
{
    static const struct {
        const char *name;
        eyni_pki_profile profile;
    } t[] = {{"ds", EYNI_PKI_DS},
             {"mls", EYNI_PKI_MLS},
             {"link", EYNI_PKI_LINK},
             {"service", EYNI_PKI_SERVICE}};
    for (size_t i = 0; p && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(p, t[i].name) == 0) {
            *out = t[i].profile;
            return 0;
        }
    return -1;
}

static int cmd_issue(const args *a)
{
    const char *caf = arg(a, "ca"), *cakf = arg(a, "ca-key"), *pub = arg(a, "pub");
    const char *out = arg(a, "out");
    eyni_pki_cert_spec s = {.organization = arg(a, "org"),
                            .common_name = arg(a, "cn"),
                            .doc_types = arg(a, "doc-types"),
                            .crl_url = arg(a, "crl-url"),
                            .not_after = days_from_now(a, 10 * 365)};
    if (!caf || !cakf || !pub || !out || !s.common_name ||
        profile_of(arg(a, "profile"), &s.profile))
        return cli_usage(PKI_USAGE);
    eyni_error err;
    eyni_pki_key *cak = NULL, *subject = NULL;
    eyni_pki_cert *ca = NULL, *c = NULL;
    int rc = eyni_pki_cert_load(caf, &ca, &err);
    char country[4] = "";
    if (rc == 0) {
        /* The subject's country is the CSCA's (Doc 9303 part 12) unless given. */
        X509_NAME *n = X509_get_subject_name(eyni_pki_cert_get0(ca));
        X509_NAME_get_text_by_NID(n, NID_countryName, country, sizeof country);
        s.country = arg(a, "country") ? arg(a, "country") : country;
        rc = load_private(cakf, &cak, &err);
    }
    if (rc == 0)
        rc = eyni_pki_key_load_public(pub, &subject, &err);
    if (rc == 0)
        rc = eyni_pki_cert_issue(&s, subject, ca, cak, &c, &err);
    if (rc == 0)
        rc = eyni_pki_cert_save(c, out, 1, &err);
    rc = rc ? cli_fail(&err) : emit_cert(c, out, a->json);
    eyni_pki_cert_free(c);
    eyni_pki_cert_free(ca);
    eyni_pki_key_free(cak);
    eyni_pki_key_free(subject);
    return rc;
}

static int cmd_crl(const args *a)
{
    const char *caf = arg(a, "ca"), *cakf = arg(a, "ca-key"), *out = arg(a, "out");
    const char *revoked[24];
    size_t nrev = 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->names[i], "revoke") == 0)
            revoked[nrev++] = a->values[i];
    if (!caf || !cakf || !out)
        return cli_usage(PKI_USAGE);
    const char *num = arg(a, "number");
    eyni_error err;
    eyni_pki_cert *ca = NULL;
    eyni_pki_key *k = NULL;
    int rc = eyni_pki_cert_load(caf, &ca, &err);
    if (rc == 0)
        rc = load_private(cakf, &k, &err);
    if (rc == 0)
        rc = eyni_pki_crl_issue(ca, k, revoked, nrev, num ? strtol(num, NULL, 10) : 1,
                                days_from_now(a, 90), out, &err);
    eyni_pki_cert_free(ca);
    eyni_pki_key_free(k);
    if (rc)
        return cli_fail(&err);
    return cli_emit(json_pack("{s:s,s:I}", "crl", out, "revoked", (json_int_t)nrev), a->json);
}

static int cmd_masterlist(const args *a)
{
    const char *sf = arg(a, "signer"), *skf = arg(a, "signer-key"), *out = arg(a, "out");
    if (!sf || !skf || !out || a->nrest == 0)
        return cli_usage(PKI_USAGE);
    eyni_error err;
    eyni_pki_cert *signer = NULL;
    eyni_pki_key *k = NULL;
    eyni_pki_certs *list = eyni_pki_certs_new();
    unsigned char *der = NULL;
    size_t len = 0;
    int rc = list ? 0 : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < a->nrest; i++)
        rc = eyni_pki_certs_load_file(list, a->rest[i], &err);
    if (rc == 0)
        rc = eyni_pki_cert_load(sf, &signer, &err);
    if (rc == 0)
        rc = load_private(skf, &k, &err);
    if (rc == 0)
        rc = eyni_pki_masterlist_export(list, signer, k, &der, &len, &err);
    if (rc == 0)
        rc = eyni_file_write_atomic(out, der, len, 0644, &err);
    size_t n = eyni_pki_certs_count(list);
    free(der);
    eyni_pki_certs_free(list);
    eyni_pki_cert_free(signer);
    eyni_pki_key_free(k);
    if (rc)
        return cli_fail(&err);
    return cli_emit(json_pack("{s:s,s:I}", "masterlist", out, "certificates", (json_int_t)n),
                    a->json);
}

static int cmd_masterlist_check(const args *a)
{
    if (a->nrest != 1)
        return cli_usage(PKI_USAGE);
    eyni_error err;
    unsigned char *buf = NULL;
    size_t len;
    eyni_pki_cert *root = NULL;
    eyni_pki_certs *list = NULL;
    eyni_pki_masterlist_info info;
    const char *rootf = arg(a, "root");
    int rc = eyni_file_read(a->rest[0], EYNI_PKI_MAX_MASTERLIST, &buf, &len, &err);
    if (rc == 0 && rootf)
        rc = eyni_pki_cert_load(rootf, &root, &err);
    if (rc == 0)
        rc = eyni_pki_masterlist_load(buf, len, root, 0, &list, &info, &err);
    free(buf);
    eyni_pki_cert_free(root);
    eyni_pki_certs_free(list);
    if (rc)
        return cli_fail(&err);
    int ok = info.signature_ok && info.signer_chain_ok != 0;
    rc = cli_emit(
        json_pack("{s:b,s:I,s:b,s:o,s:s,s:s?}", "valid", ok, "certificates",
                  (json_int_t)info.certificates, "signature_ok", info.signature_ok,
                  "signer_chain_ok",
                  info.signer_chain_ok < 0 ? json_null() : json_boolean(info.signer_chain_ok),
                  "signer", info.signer, "reason", info.reason[0] ? info.reason : NULL),
        a->json);
    return rc ? rc : ok ? CLI_OK : CLI_NEGATIVE;
}

int cli_pki(int argc, char **argv)
{
    args a;
    if (argc < 2 || args_parse(argc - 1, argv + 1, &a) != 0)
        return cli_usage(PKI_USAGE);
    if (arg(&a, "data"))
        cli_data_dir(arg(&a, "data"));
    const char *c = argv[1];
    if (strcmp(c, "key") == 0)
        return cmd_key(&a);
    if (strcmp(c, "csca") == 0)
        return cmd_csca(&a);
    if (strcmp(c, "issue") == 0)
        return cmd_issue(&a);
    if (strcmp(c, "crl") == 0)
        return cmd_crl(&a);
    if (strcmp(c, "masterlist") == 0)
        return cmd_masterlist(&a);
    if (strcmp(c, "masterlist-check") == 0)
        return cmd_masterlist_check(&a);
    return cli_usage(PKI_USAGE);
}
