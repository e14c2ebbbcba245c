/* `eyni border visa issue|revoke|list` and `eyni border residence add|list`: visas for
 * foreign travellers and residence registration, as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "eyni/border.h"

static const char usage[] =
    "eyni border visa issue --number N --type A|C|D [--format MRV-A|MRV-B] --passport P"
    " --nationality XXX --surname S --given-name G --birth-date D --sex M|F|X --valid-from D"
    " --valid-until D --entries N (0 = multiple) --stay-days N\n"
    "       eyni border visa revoke NUMBER --reason R\n"
    "       eyni border visa list (--passport P [--nationality XXX] | --number N)\n"
    "       eyni border residence add (--fin F | --passport P --nationality XXX --surname S"
    " [--given-name G]) --address A --since D [--until D] [--reason R]\n"
    "       eyni border residence list (--fin F | --passport P)\n"
    "       [--data DIR] [--json]";

enum {
    K_NUMBER,
    K_TYPE,
    K_FORMAT,
    K_PASSPORT,
    K_NAT,
    K_SURNAME,
    K_GIVEN,
    K_BIRTH,
    K_SEX,
    K_FROM,
    K_UNTIL,
    K_ENTRIES,
    K_STAY,
    K_FIN,
    K_ADDRESS,
    K_SINCE,
    K_REASON,
    K_DATA,
    K_N
};

typedef struct stay_args {
    const char *v[K_N];
    int json;
} stay_args;

static int parse(int argc, char **argv, stay_args *s, eyni_error *err)
{
    static const struct option opts[] = {{"number", required_argument, NULL, K_NUMBER},
                                         {"type", required_argument, NULL, K_TYPE},
                                         {"format", required_argument, NULL, K_FORMAT},
                                         {"passport", required_argument, NULL, K_PASSPORT},
                                         {"nationality", required_argument, NULL, K_NAT},
                                         {"surname", required_argument, NULL, K_SURNAME},
                                         {"given-name", required_argument, NULL, K_GIVEN},
                                         {"birth-date", required_argument, NULL, K_BIRTH},
                                         {"sex", required_argument, NULL, K_SEX},
                                         {"valid-from", required_argument, NULL, K_FROM},
                                         {"valid-until", required_argument, NULL, K_UNTIL},
                                         {"until", required_argument, NULL, K_UNTIL},
                                         {"entries", required_argument, NULL, K_ENTRIES},
                                         {"stay-days", required_argument, NULL, K_STAY},
                                         {"fin", required_argument, NULL, K_FIN},
                                         {"address", required_argument, NULL, K_ADDRESS},
                                         {"since", required_argument, NULL, K_SINCE},
                                         {"reason", required_argument, NULL, K_REASON},
                                         {"data", required_argument, NULL, K_DATA},
                                         {"json", no_argument, NULL, K_N},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == K_N)
            s->json = 1;
        else if (c >= 0 && c < K_N)
            s->v[c] = optarg;
        else
            return eyni_error_set(err, EYNI_EINVAL, "unknown option");
    }
    return 0;
}

/* A whole number for a count option; EINVAL naming the option otherwise. */
static int count(const char *s, const char *name, json_int_t *out, eyni_error *err)
{
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || end == s || *end)
        return eyni_error_set(err, EYNI_EINVAL, "--%s needs a whole number", name);
    *out = v;
    return 0;
}

static int visa(const char *verb, int argc, char **argv, stay_args *s, cmd_env *e, eyni_actor *a,
                json_t **out, eyni_error *err)
{
    const char **v = s->v;
    if (!strcmp(verb, "issue")) {
        json_int_t entries = 0, stay = 0;
        int rc = count(v[K_ENTRIES], "entries", &entries, err);
        if (rc == 0)
            rc = count(v[K_STAY], "stay-days", &stay, err);
        json_t *in =
            rc ? NULL
               : json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?,"
                           " s:s?, s:s?, s:I, s:I}",
                           "number", v[K_NUMBER], "type", v[K_TYPE], "format", v[K_FORMAT],
                           "passport_number", v[K_PASSPORT], "nationality", v[K_NAT], "surname",
                           v[K_SURNAME], "given_name", v[K_GIVEN], "birth_date", v[K_BIRTH], "sex",
                           v[K_SEX], "valid_from", v[K_FROM], "valid_until", v[K_UNTIL], "entries",
                           entries, "stay_days", stay);
        if (rc == 0)
            rc = eyni_border_visa_issue(e->reg, a, in, out, err);
        json_decref(in);
        return rc;
    }
    if (!strcmp(verb, "revoke")) {
        const char *number = optind < argc ? argv[optind] : NULL;
        int rc = number ? eyni_border_visa_revoke(e->reg, a, number, v[K_REASON], err)
                        : eyni_error_set(err, EYNI_EINVAL, "revoke needs the visa number");
        if (rc == 0)
            *out = json_pack("{s:s, s:s}", "number", number, "status", "revoked");
        return rc;
    }
    if (!strcmp(verb, "list"))
        return eyni_border_visas(e->reg, a, v[K_PASSPORT], v[K_NAT], v[K_NUMBER], out, err);
    return eyni_error_set(err, EYNI_EINVAL, "unknown visa verb '%s'", verb);
}

static int residence(const char *verb, stay_args *s, cmd_env *e, eyni_actor *a, json_t **out,
                     eyni_error *err)
{
    const char **v = s->v;
    if (!strcmp(verb, "list"))
        return eyni_border_residences(e->reg, a, v[K_FIN], v[K_PASSPORT], out, err);
    if (strcmp(verb, "add") != 0)
        return eyni_error_set(err, EYNI_EINVAL, "unknown residence verb '%s'", verb);
    json_t *in =
        json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "fin", v[K_FIN],
                  "document_number", v[K_PASSPORT], "nationality", v[K_NAT], "surname",
                  v[K_SURNAME], "given_name", v[K_GIVEN], "address", v[K_ADDRESS], "since",
                  v[K_SINCE], "until", v[K_UNTIL], "reason", v[K_REASON]);
    int rc = eyni_border_residence_register(e->reg, a, in, out, err);
    json_decref(in);
    return rc;
}

/* argv[0] is "visa" or "residence", argv[1] the verb. */
int cli_border_stay(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(usage);
    stay_args s;
    memset(&s, 0, sizeof s);
    eyni_error err;
    int rc = parse(argc - 1, argv + 1, &s, &err);
    cmd_env e;
    json_t *out = NULL;
    if (rc == 0 && (rc = cmd_env_open(&e, cli_data_dir(s.v[K_DATA]), NULL, 1, &err)) == 0) {
        eyni_actor a;
        eyni_actor_local(&a, eyni_config_get(e.cfg, "cli.agency", "LOCAL"), "border control");
        rc = !strcmp(argv[0], "visa") ? visa(argv[1], argc - 1, argv + 1, &s, &e, &a, &out, &err)
                                      : residence(argv[1], &s, &e, &a, &out, &err);
        cmd_env_close(&e);
    }
    return rc ? cli_fail(&err) : cli_emit(out, s.json);
}
