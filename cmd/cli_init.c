/* `eyni init`: a new data directory with its configuration, database, data-encryption key
 * and a first administrator API key; `eyni serve`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "eyni/pki.h"

static int write_config(const char *data, const char *listen, const char *store, eyni_error *err)
{
    eyni_config *cfg = eyni_config_new();
    if (!cfg)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/eyni.conf", data);
    int rc = eyni_config_set(cfg, "server.listen", listen, err);
    if (!rc)
        rc = eyni_config_set(cfg, "log.level", "info", err);
    /* Without --store the register is SQLite in the data folder (see cmd_env_open). */
    if (!rc && store)
        rc = eyni_config_set(cfg, "store.uri", store, err);
    if (!rc)
        rc = eyni_config_set(cfg, "fin.length", "7", err);
    /* Biometric data at rest is encrypted with this key; its id travels with each blob. */
    if (!rc)
        rc = eyni_config_set(cfg, "crypto.keydir", "keys", err);
    if (!rc)
        rc = eyni_config_set(cfg, "crypto.key_id", "1", err);
    static const char *const more[][2] = {
        {"country.code", "AZE"},          {"documents.dir", "documents"},
        {"documents.office", "CENTRAL"},  {"pki.csca_cert", "keys/csca.pem"},
        {"pki.ds_cert", "keys/ds.pem"},   {"pki.ds_key", "keys/ds.key"},
        {"pki.passphrase_file", "keys/pki.pass"}};
    for (size_t i = 0; !rc && i < sizeof more / sizeof more[0]; i++)
        rc = eyni_config_set(cfg, more[i][0], more[i][1], err);
    if (!rc)
        rc = eyni_config_write_file(cfg, path, err);
    eyni_config_free(cfg);
    return rc;
}

static int make_data_key(const char *data, eyni_error *err)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/keys", data);
    snprintf(path, sizeof path, "%s/data-1.key", dir);
    unsigned char key[32];
    int rc = eyni_dir_make(dir, err);
    if (rc == 0)
        rc = eyni_random_bytes(key, sizeof key, err);
    if (rc == 0)
        rc = eyni_file_write_atomic(path, key, sizeof key, 0600, err);
    memset(key, 0, sizeof key);
    return rc;
}

/* A country signing CA and a document signer for this installation. The keys are
 * encrypted with a random passphrase kept beside them (mode 0600); a national deployment
 * replaces them with keys from its own CSCA ceremony or an HSM (docs/documents.md). */
static int make_pki(const char *data, eyni_error *err)
{
    char pass_path[4200], path[4200], pass[65];
    unsigned char raw[32];
    eyni_pki_key *ck = NULL, *dk = NULL;
    eyni_pki_cert *csca = NULL, *ds = NULL;
    int rc = eyni_random_bytes(raw, sizeof raw, err);
    eyni_hex_encode(raw, sizeof raw, pass);
    snprintf(pass_path, sizeof pass_path, "%s/keys/pki.pass", data);
    if (!rc)
        rc = eyni_file_write_atomic(pass_path, pass, 64, 0600, err);
    time_t now = time(NULL), year = 365 * 24 * 3600;
    eyni_pki_cert_spec cs = {EYNI_PKI_CSCA, "AZ", "eyni", NULL, "eyni CSCA", NULL, now,
                             now + 15 * year, NULL, NULL};
    eyni_pki_cert_spec dss = {EYNI_PKI_DS, "AZ", "eyni", NULL, "eyni Document Signer", NULL, now,
                              now + 11 * year, "P,I,A", NULL};
    if (!rc)
        rc = eyni_pki_key_generate("ec-p384", &ck, err);
    if (!rc)
        rc = eyni_pki_cert_issue(&cs, ck, NULL, NULL, &csca, err);
    if (!rc)
        rc = eyni_pki_key_generate("ec-p256", &dk, err);
    if (!rc)
        rc = eyni_pki_cert_issue(&dss, dk, csca, ck, &ds, err);
    static const char *const names[] = {"csca.key", "csca.pem", "ds.key", "ds.pem"};
    for (int i = 0; !rc && i < 4; i++) {
        snprintf(path, sizeof path, "%s/keys/%s", data, names[i]);
        rc = i == 0 ? eyni_pki_key_save(ck, path, pass, err)
             : i == 1 ? eyni_pki_cert_save(csca, path, 1, err)
             : i == 2 ? eyni_pki_key_save(dk, path, pass, err)
                      : eyni_pki_cert_save(ds, path, 1, err);
    }
    memset(pass, 0, sizeof pass);
    eyni_pki_key_free(ck);
    eyni_pki_key_free(dk);
    eyni_pki_cert_free(csca);
    eyni_pki_cert_free(ds);
    return rc;
}

/* The central office and an opening balance of blanks per document type: the physical
 * stock on hand at go-live, to be reconciled against a count (eyni blank reconcile). */
static int opening_stock(cmd_env *e, long count, json_t *out, eyni_error *err)
{
    eyni_actor op;
    eyni_actor_local(&op, "ADMIN", "initialisation");
    json_t *office = json_pack("{s:s, s:s, s:s}", "code", "CENTRAL", "name", "Central office",
                               "kind", "central");
    json_t *res = NULL;
    int rc = eyni_register_office_create(e->reg, &op, office, &res, err);
    json_decref(office);
    json_decref(res);
    json_t *types = eyni_register_doctypes_json(), *stock = json_object();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(types, "types"), i, t)
    {
        if (rc || count <= 0)
            break;
        char first[32], last[32];
        snprintf(first, sizeof first, "OB%c%07d", (char)('A' + i), 1);
        snprintf(last, sizeof last, "OB%c%07ld", (char)('A' + i), count);
        json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "doc_type",
                               json_string_value(json_object_get(t, "name")), "first", first,
                               "last", last, "office", "CENTRAL", "printer", "opening balance",
                               "reference", "eyni init");
        rc = eyni_register_blank_receive(e->reg, &op, in, &res, err);
        if (!rc)
            json_object_set(stock, json_string_value(json_object_get(t, "name")),
                            json_object_get(res, "count"));
        json_decref(in);
        json_decref(res);
    }
    json_decref(types);
    json_object_set_new(out, "opening_stock", stock);
    return rc;
}

static int first_admin(cmd_env *e, const char *agency, json_t **out, eyni_error *err)
{
    eyni_actor op;
    eyni_actor_local(&op, agency, "initialisation");
    char token[EYNI_KEY_TOKEN_MAX], path[4200];
    json_t *info = NULL;
    int rc = eyni_register_key_create(e->reg, &op, agency, "admin", "initial administrator",
                                      token, &info, err);
    cmd_env_path(e, "operator.key", path, sizeof path);
    size_t n = strlen(token);
    token[n] = '\n';
    if (rc == 0)
        rc = eyni_file_write_atomic(path, token, n + 1, 0600, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:O}", "data", e->data, "operator_key_file", path, "key",
                         info);
    json_decref(info);
    return rc;
}

int cli_init(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"agency", required_argument, NULL, 'a'},
                                         {"opening-stock", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"store", required_argument, NULL, 'S'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *listen = "127.0.0.1:8080", *agency = "ADMIN", *store = NULL;
    long stock = 1000;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            data = optarg;
        else if (c == 'l')
            listen = optarg;
        else if (c == 'a')
            agency = optarg;
        else if (c == 's')
            stock = atol(optarg);
        else if (c == 'j')
            json = 1;
        else if (c == 'S')
            store = optarg;
        else
            return cli_usage("eyni init [--data DIR] [--listen HOST:PORT] [--agency CODE] "
                             "[--opening-stock N] [--store URI] [--json]");
    }
    data = cli_data_dir(data);
    eyni_error err;
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/eyni.conf", data);
    if (access(conf, F_OK) == 0) {
        eyni_error_set(&err, EYNI_EEXIST, "%s is already initialised", data);
        return cli_fail(&err);
    }
    cmd_env e;
    json_t *out = NULL;
    int rc = eyni_dir_make(data, &err);
    if (rc == 0)
        rc = make_data_key(data, &err);
    if (rc == 0)
        rc = make_pki(data, &err);
    if (rc == 0)
        rc = write_config(data, listen, store, &err);
    if (rc == 0)
        rc = cmd_env_open(&e, data, NULL, 1, &err);
    if (rc)
        return cli_fail(&err);
    rc = first_admin(&e, agency, &out, &err);
    if (rc == 0 && stock > 0)
        rc = opening_stock(&e, stock > 9999999 ? 9999999 : stock, out, &err);
    cmd_env_close(&e);
    if (rc)
        return cli_fail(&err);
    if (!json)
        fprintf(stderr, "eyni: initialised %s; the administrator key is in %s\n", data,
                json_string_value(json_object_get(out, "operator_key_file")));
    return cli_emit(out, json);
}

int cli_serve(int argc, char **argv)
{
    return cmd_serve(argc, argv);
}
