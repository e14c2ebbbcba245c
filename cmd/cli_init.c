/* `eyni init`: a new data directory with its configuration, database, data-encryption key
 * and a first administrator API key; `eyni serve`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"

static int write_config(const char *data, const char *listen, eyni_error *err)
{
    eyni_config *cfg = eyni_config_new();
    if (!cfg)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/eyni.conf", data);
    int rc = eyni_config_set(cfg, "server.listen", listen, err);
    if (!rc)
        rc = eyni_config_set(cfg, "log.level", "info", err);
    if (!rc)
        rc = eyni_config_set(cfg, "fin.length", "7", err);
    /* Biometric data at rest is encrypted with this key; its id travels with each blob. */
    if (!rc)
        rc = eyni_config_set(cfg, "crypto.keydir", "keys", err);
    if (!rc)
        rc = eyni_config_set(cfg, "crypto.key_id", "1", err);
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
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *listen = "127.0.0.1:8080", *agency = "ADMIN";
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            data = optarg;
        else if (c == 'l')
            listen = optarg;
        else if (c == 'a')
            agency = optarg;
        else if (c == 'j')
            json = 1;
        else
            return cli_usage("eyni init [--data DIR] [--listen HOST:PORT] [--agency CODE] [--json]");
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
        rc = write_config(data, listen, &err);
    if (rc == 0)
        rc = cmd_env_open(&e, data, NULL, 1, &err);
    if (rc)
        return cli_fail(&err);
    rc = first_admin(&e, agency, &out, &err);
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
