/* `eyni nist import FILE` and `eyni nist export FIN [-o FILE]`: ANSI/NIST-ITL transactions
 * into and out of the register, as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "eyni/exchange.h"

typedef struct ex_args {
    const char *data, *out, *ori, *pos;
    int json;
    json_t *person;
} ex_args;

static int parse(int argc, char **argv, ex_args *x)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},       {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},     {"ori", required_argument, NULL, 'O'},
        {"surname", required_argument, NULL, 's'},    {"given-name", required_argument, NULL, 'g'},
        {"birth-date", required_argument, NULL, 'b'}, {"sex", required_argument, NULL, 'x'},
        {"citizenship", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    static const char *const fields[] = {"surname", "given_name", "birth_date", "sex",
                                         "citizenship"};
    static const char keys[] = "sgbxc";
    x->person = json_object();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        const char *k = strchr(keys, c);
        if (k && c)
            json_object_set_new(x->person, fields[k - keys], json_string(optarg));
        else if (c == 'd')
            x->data = optarg;
        else if (c == 'j')
            x->json = 1;
        else if (c == 'o')
            x->out = optarg;
        else if (c == 'O')
            x->ori = optarg;
        else
            return -1;
    }
    x->pos = optind < argc ? argv[optind] : NULL;
    return x->pos ? 0 : -1;
}

static int run(const char *verb, ex_args *x, cmd_env *e, json_t **out, eyni_error *err)
{
    eyni_actor a;
    eyni_actor_local(&a, eyni_config_get(e->cfg, "cli.agency", "LOCAL"), "ANSI/NIST exchange");
    eyni_identity *id = NULL;
    int rc = cmd_env_identity(e, 0, &id, err);
    unsigned char *buf = NULL;
    size_t len = 0;
    if (rc == 0 && !strcmp(verb, "import")) {
        rc = eyni_file_read(x->pos, (size_t)256 << 20, &buf, &len, err);
        if (rc == 0)
            rc = eyni_exchange_import(id, &a, buf, len, x->person, out, err);
    } else if (rc == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s", x->out ? x->out : "");
        if (!x->out)
            snprintf(path, sizeof path, "%s.an2", x->pos);
        rc = eyni_exchange_export(id, &a, x->pos, x->ori, &buf, &len, err);
        if (rc == 0)
            rc = eyni_file_write_atomic(path, buf, len, 0600, err);
        if (rc == 0)
            *out = json_pack("{s:s, s:s, s:I}", "fin", x->pos, "file", path, "bytes",
                             (json_int_t)len);
    }
    free(buf);
    eyni_identity_close(id);
    return rc;
}

int cli_exchange(int argc, char **argv)
{
    ex_args x;
    memset(&x, 0, sizeof x);
    if (parse(argc, argv, &x)) {
        json_decref(x.person);
        return cli_usage("eyni nist import FILE [--surname S --given-name G --birth-date D --sex X] "
                         "| export FIN [-o FILE] [--ori ORI] [--data DIR] [--json]");
    }
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(x.data), NULL, 1, &err);
    if (rc == 0) {
        rc = run(argv[0], &x, &e, &out, &err);
        cmd_env_close(&e);
    }
    json_decref(x.person);
    if (rc)
        return cli_fail(&err);
    const char *status = json_string_value(json_object_get(out, "status"));
    int negative = status && !strcmp(status, "duplicate");
    rc = cli_emit(out, x.json);
    return rc == CLI_OK && negative ? CLI_NEGATIVE : rc;
}
