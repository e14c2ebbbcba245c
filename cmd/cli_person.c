/* `eyni person add|show|find|update|history`: the register from the command line, acting
 * as the local operator (audited as local:<user>). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

/* Flags that carry person fields: flag name -> JSON field, integer or text. */
typedef struct field_flag {
    const char *flag;
    const char *field;
    int integer;
} field_flag;

static const field_flag fields[] = {
    {"surname", "surname", 0},           {"given-name", "given_name", 0},
    {"patronymic", "patronymic", 0},     {"birth-date", "birth_date", 0},
    {"birth-place", "birth_place", 0},   {"sex", "sex", 0},
    {"citizenship", "citizenship", 0},   {"marital-status", "marital_status", 0},
    {"blood-group", "blood_group", 0},   {"eye-colour", "eye_colour", 0},
    {"height", "height_cm", 1},          {"reason", "reason", 0},
};
#define NFIELDS (int)(sizeof fields / sizeof fields[0])

enum { OPT_DATA = 1000, OPT_JSON, OPT_PURPOSE, OPT_ADDRESS, OPT_SINCE, OPT_FIN, OPT_LIMIT,
       OPT_OFFSET };

typedef struct person_args {
    const char *data, *purpose, *address, *since, *fin;
    int json, limit, offset;
    json_t *in;
    char *positional;
} person_args;

static int parse(int argc, char **argv, person_args *pa, eyni_error *err)
{
    struct option opts[NFIELDS + 9];
    for (int i = 0; i < NFIELDS; i++)
        opts[i] = (struct option){fields[i].flag, required_argument, NULL, i};
    const struct option extra[] = {{"data", required_argument, NULL, OPT_DATA},
                                   {"json", no_argument, NULL, OPT_JSON},
                                   {"purpose", required_argument, NULL, OPT_PURPOSE},
                                   {"address", required_argument, NULL, OPT_ADDRESS},
                                   {"address-since", required_argument, NULL, OPT_SINCE},
                                   {"fin", required_argument, NULL, OPT_FIN},
                                   {"limit", required_argument, NULL, OPT_LIMIT},
                                   {"offset", required_argument, NULL, OPT_OFFSET},
                                   {NULL, 0, NULL, 0}};
    memcpy(opts + NFIELDS, extra, sizeof extra);
    pa->in = json_object();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c >= 0 && c < NFIELDS) {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (fields[c].integer && (*end || end == optarg))
                return eyni_error_set(err, EYNI_EINVAL, "--%s needs a number", fields[c].flag);
            json_object_set_new(pa->in, fields[c].field,
                                fields[c].integer ? json_integer(v) : json_string(optarg));
        } else if (c == OPT_DATA) pa->data = optarg;
        else if (c == OPT_JSON) pa->json = 1;
        else if (c == OPT_PURPOSE) pa->purpose = optarg;
        else if (c == OPT_ADDRESS) pa->address = optarg;
        else if (c == OPT_SINCE) pa->since = optarg;
        else if (c == OPT_FIN) pa->fin = optarg;
        else if (c == OPT_LIMIT) pa->limit = atoi(optarg);
        else if (c == OPT_OFFSET) pa->offset = atoi(optarg);
        else return eyni_error_set(err, EYNI_EINVAL, "unknown option (see `eyni person`)");
    }
    if (optind < argc)
        pa->positional = argv[optind];
    if (pa->address || pa->since)
        json_object_set_new(pa->in, "residence",
                            json_pack("{s:s?, s:s?}", "address", pa->address, "since", pa->since));
    return 0;
}

static const char usage[] =
    "eyni person add|update FIN|show FIN|history FIN|find|biometrics update|delete|list "
    "[--surname S --given-name G "
    "--birth-date YYYY-MM-DD --sex M|F|X --patronymic P --birth-place P --citizenship AZE "
    "--marital-status S --blood-group G --eye-colour C --height CM --address A "
    "--address-since D --reason R --fin F --limit N] [--purpose P] [--data DIR] [--json]";

static int run(const char *verb, person_args *pa, cmd_env *e, json_t **out, eyni_error *err)
{
    eyni_actor a;
    eyni_actor_local(&a, eyni_config_get(e->cfg, "cli.agency", "LOCAL"),
                     pa->purpose ? pa->purpose : "command line");
    if (strcmp(verb, "add") == 0)
        return eyni_register_person_create(e->reg, &a, pa->in, out, err);
    if (strcmp(verb, "find") == 0) {
        eyni_person_query q = {pa->fin,
                               json_string_value(json_object_get(pa->in, "surname")),
                               json_string_value(json_object_get(pa->in, "given_name")),
                               json_string_value(json_object_get(pa->in, "birth_date")),
                               pa->limit, pa->offset};
        return eyni_register_person_search(e->reg, &a, &q, out, err);
    }
    if (!pa->positional)
        return eyni_error_set(err, EYNI_EINVAL, "eyni person %s needs a FIN", verb);
    if (strcmp(verb, "show") == 0)
        return eyni_register_person_get(e->reg, &a, pa->positional, out, err);
    if (strcmp(verb, "history") == 0)
        return eyni_register_person_history(e->reg, &a, pa->positional, out, err);
    if (strcmp(verb, "update") == 0)
        return eyni_register_person_update(e->reg, &a, pa->positional, pa->in, out, err);
    return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
}

int cli_person(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "biometrics"))
        return cli_person_biometrics(argc - 1, argv + 1);
    person_args pa;
    memset(&pa, 0, sizeof pa);
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = parse(argc - 1, argv + 1, &pa, &err);
    if (rc == 0)
        rc = cmd_env_open(&e, cli_data_dir(pa.data), NULL, 1, &err);
    if (rc == 0) {
        rc = run(argv[1], &pa, &e, &out, &err);
        cmd_env_close(&e);
    }
    json_decref(pa.in);
    if (rc)
        return cli_fail(&err);
    return cli_emit(out, pa.json);
}
