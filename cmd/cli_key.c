/* `eyni key create|revoke|list` and `eyni audit list|verify`, as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

typedef struct admin_args {
    const char *data, *agency, *role, *label, *actor, *object, *action;
    int json, limit;
    long long after;
    const char *positional;
} admin_args;

static int parse(int argc, char **argv, admin_args *a)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},   {"json", no_argument, NULL, 'j'},
        {"agency", required_argument, NULL, 'a'}, {"role", required_argument, NULL, 'r'},
        {"label", required_argument, NULL, 'L'},  {"actor", required_argument, NULL, 'A'},
        {"object", required_argument, NULL, 'o'}, {"action", required_argument, NULL, 'x'},
        {"limit", required_argument, NULL, 'n'},  {"after", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->data = optarg; break;
        case 'j': a->json = 1; break;
        case 'a': a->agency = optarg; break;
        case 'r': a->role = optarg; break;
        case 'L': a->label = optarg; break;
        case 'A': a->actor = optarg; break;
        case 'o': a->object = optarg; break;
        case 'x': a->action = optarg; break;
        case 'n': a->limit = atoi(optarg); break;
        case 'f': a->after = atoll(optarg); break;
        default: return -1;
        }
    }
    a->positional = optind < argc ? argv[optind] : NULL;
    return 0;
}

static int key_run(const char *verb, admin_args *k, cmd_env *e, json_t **out, eyni_error *err)
{
    eyni_actor op;
    eyni_actor_local(&op, eyni_config_get(e->cfg, "cli.agency", "LOCAL"), "key management");
    if (strcmp(verb, "create") == 0) {
        char token[EYNI_KEY_TOKEN_MAX];
        json_t *info = NULL;
        int rc = eyni_register_key_create(e->reg, &op, k->agency, k->role, k->label, token, &info,
                                          err);
        if (rc == 0)
            *out = json_pack("{s:o, s:s}", "key", info, "token", token);
        return rc;
    }
    if (strcmp(verb, "list") == 0)
        return eyni_register_key_list(e->reg, &op, out, err);
    if (strcmp(verb, "revoke") == 0) {
        if (!k->positional)
            return eyni_error_set(err, EYNI_EINVAL, "eyni key revoke needs a key id");
        int rc = eyni_register_key_revoke(e->reg, &op, k->positional, err);
        if (rc == 0)
            *out = json_pack("{s:s, s:b}", "id", k->positional, "revoked", 1);
        return rc;
    }
    return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
}

static int audit_run(const char *verb, admin_args *k, cmd_env *e, json_t **out, eyni_error *err)
{
    eyni_actor op;
    eyni_actor_local(&op, eyni_config_get(e->cfg, "cli.agency", "LOCAL"), "audit review");
    if (strcmp(verb, "list") == 0) {
        eyni_audit_query q = {k->actor, k->object, k->action, k->after, k->limit};
        return eyni_register_audit_list(e->reg, &op, &q, out, err);
    }
    if (strcmp(verb, "verify") == 0)
        return eyni_register_audit_verify(e->reg, &op, out, err);
    return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
}

typedef int (*admin_fn)(const char *, admin_args *, cmd_env *, json_t **, eyni_error *);

static int admin_main(int argc, char **argv, admin_fn fn, const char *usage)
{
    admin_args a;
    memset(&a, 0, sizeof a);
    if (argc < 2 || parse(argc - 1, argv + 1, &a))
        return cli_usage(usage);
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(a.data), NULL, 1, &err);
    if (rc == 0) {
        rc = fn(argv[1], &a, &e, &out, &err);
        cmd_env_close(&e);
    }
    if (rc)
        return cli_fail(&err);
    /* An audit chain that does not verify is a negative result, not a crash. */
    int negative = json_is_false(json_object_get(out, "ok"));
    rc = cli_emit(out, a.json);
    return rc == CLI_OK && negative ? CLI_NEGATIVE : rc;
}

int cli_key(int argc, char **argv)
{
    return admin_main(argc, argv, key_run,
                      "eyni key create --agency CODE --role ROLE [--label L] | revoke ID | list "
                      "[--data DIR] [--json]");
}

int cli_audit(int argc, char **argv)
{
    return admin_main(argc, argv, audit_run,
                      "eyni audit list [--actor A] [--object O] [--action X] [--after ID] "
                      "[--limit N] | verify [--data DIR] [--json]");
}
