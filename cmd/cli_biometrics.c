/* `eyni person biometrics update|delete|list`: re-capture and legal erasure of an enrolled
 * person's samples, and their records, as the local operator (docs/identity.md). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_samples.h"
#include "common.h"
#include "eyni/identity.h"

static const char usage[] =
    "eyni person biometrics update --fin FIN (--face IMG | --finger POSITION=IMG | --voice "
    "AUDIO)... --reason TEXT [--purpose P] [--data DIR] [--json]\n"
    "       eyni person biometrics delete --fin FIN [--modality face|finger|voice "
    "[--position 1..10]] --reason TEXT [--purpose P] [--data DIR] [--json]\n"
    "       eyni person biometrics list --fin FIN [--purpose P] [--data DIR] [--json]";

enum {
    OPT_FACE = 1000,
    OPT_FINGER,
    OPT_VOICE,
    OPT_FIN,
    OPT_REASON,
    OPT_MODALITY,
    OPT_POSITION,
    OPT_PURPOSE,
    OPT_DATA,
    OPT_JSON
};

typedef struct bio_args {
    const char *fin, *reason, *modality, *position, *purpose, *data;
    int json;
    cli_samples s;
} bio_args;

static int parse(int argc, char **argv, bio_args *x, eyni_error *err)
{
    static const struct option opts[] = {{"face", required_argument, NULL, OPT_FACE},
                                         {"finger", required_argument, NULL, OPT_FINGER},
                                         {"voice", required_argument, NULL, OPT_VOICE},
                                         {"fin", required_argument, NULL, OPT_FIN},
                                         {"reason", required_argument, NULL, OPT_REASON},
                                         {"modality", required_argument, NULL, OPT_MODALITY},
                                         {"position", required_argument, NULL, OPT_POSITION},
                                         {"purpose", required_argument, NULL, OPT_PURPOSE},
                                         {"data", required_argument, NULL, OPT_DATA},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {NULL, 0, NULL, 0}};
    const char **text[] = {
        [OPT_FIN - OPT_FACE] = &x->fin,           [OPT_REASON - OPT_FACE] = &x->reason,
        [OPT_MODALITY - OPT_FACE] = &x->modality, [OPT_POSITION - OPT_FACE] = &x->position,
        [OPT_PURPOSE - OPT_FACE] = &x->purpose,   [OPT_DATA - OPT_FACE] = &x->data};
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == OPT_FACE || c == OPT_VOICE)
            rc = cli_samples_add(&x->s, c == OPT_FACE ? "face" : "voice", 0, optarg, err);
        else if (c == OPT_FINGER)
            rc = cli_samples_add_finger(&x->s, optarg, err);
        else if (c == OPT_JSON)
            x->json = 1;
        else if (c >= OPT_FIN && c <= OPT_DATA)
            *text[c - OPT_FACE] = optarg;
        else
            rc = eyni_error_set(err, EYNI_EINVAL, "unknown option");
    }
    if (rc == 0 && optind < argc)
        rc = eyni_error_set(err, EYNI_EINVAL, "unexpected argument '%.40s'", argv[optind]);
    return rc;
}

static int position_of(const char *text, int *out, eyni_error *err)
{
    char *end;
    long v = text ? strtol(text, &end, 10) : 0;
    if (text && (*end || end == text || v < 1 || v > 10))
        return eyni_error_set(err, EYNI_EFORMAT, "--position '%.20s' is not 1..10", text);
    *out = (int)v;
    return 0;
}

static int list(bio_args *x, cmd_env *e, const eyni_actor *a, json_t **out, eyni_error *err)
{
    eyni_identity *id = NULL;
    int rc = x->s.n || x->reason || x->modality || x->position
                 ? eyni_error_set(err, EYNI_EINVAL, "list takes --fin only")
                 : cmd_env_identity(e, 1, &id, err);
    if (rc == 0)
        rc = eyni_identity_biometrics_list(id, a, x->fin, out, err);
    eyni_identity_close(id);
    return rc;
}

static int run(const char *verb, bio_args *x, cmd_env *e, json_t **out, eyni_error *err)
{
    eyni_actor a;
    eyni_actor_local(&a, eyni_config_get(e->cfg, "cli.agency", "LOCAL"),
                     x->purpose ? x->purpose : "command line");
    int update = !strcmp(verb, "update"), position = 0;
    if (!strcmp(verb, "list"))
        return list(x, e, &a, out, err);
    if (!update && strcmp(verb, "delete"))
        return eyni_error_set(err, EYNI_EINVAL, "eyni person biometrics update|delete|list");
    if (update && x->s.n == 0)
        return eyni_error_set(err, EYNI_EINVAL, "give at least one --face, --finger or --voice");
    if (!update && (x->s.n || (x->position && !x->modality)))
        return eyni_error_set(err, EYNI_EINVAL, "delete takes --modality [--position], no samples");
    int rc = update ? 0 : position_of(x->position, &position, err);
    eyni_identity *id = NULL;
    if (rc == 0)
        rc = cmd_env_identity(e, 1, &id, err);
    if (rc == 0)
        rc = update ? eyni_identity_biometrics_update(id, &a, x->fin, x->s.v, x->s.n, x->reason,
                                                      out, err)
                    : eyni_identity_biometrics_erase(id, &a, x->fin, x->modality, position,
                                                     x->reason, out, err);
    eyni_identity_close(id);
    return rc;
}

int cli_person_biometrics(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(usage);
    bio_args x;
    memset(&x, 0, sizeof x);
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = parse(argc - 1, argv + 1, &x, &err);
    if (rc == 0)
        rc = cmd_env_open(&e, cli_data_dir(x.data), NULL, 1, &err);
    if (rc == 0) {
        rc = run(argv[1], &x, &e, &out, &err);
        cmd_env_close(&e);
    }
    cli_samples_free(&x.s);
    if (rc)
        return cli_fail(&err);
    return cli_emit(out, x.json);
}
