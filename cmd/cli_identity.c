/* `eyni enrol|verify|identify|adjudicate`: the identity service from the command line, as
 * the local operator. Contract in DESIGN.md and the identity issue. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_dna.h"
#include "cli_samples.h"
#include "common.h"
#include "eyni/dnareg.h"
#include "eyni/identity.h"

enum {
    OPT_FACE = 1000,
    OPT_FINGER,
    OPT_VOICE,
    OPT_DATA,
    OPT_JSON,
    OPT_FIN,
    OPT_TOP,
    OPT_MIN,
    OPT_PURPOSE,
    OPT_NOTE,
    OPT_STATUS,
    OPT_DNA,
    OPT_GALLERY
};

static const struct {
    const char *flag, *field;
} person_flags[] = {{"surname", "surname"},         {"given-name", "given_name"},
                    {"patronymic", "patronymic"},   {"birth-date", "birth_date"},
                    {"birth-place", "birth_place"}, {"sex", "sex"},
                    {"citizenship", "citizenship"}};
#define NPERSON (int)(sizeof person_flags / sizeof person_flags[0])

typedef struct id_args {
    const char *data, *fin, *purpose, *note, *status, *dna, *gallery;
    int json, top;
    double min;
    json_t *person;
    cli_samples s;
    const char *pos[3];
} id_args;

static int parse(int argc, char **argv, id_args *x, eyni_error *err)
{
    struct option opts[NPERSON + 14];
    for (int i = 0; i < NPERSON; i++)
        opts[i] = (struct option){person_flags[i].flag, required_argument, NULL, i};
    const struct option extra[] = {{"face", required_argument, NULL, OPT_FACE},
                                   {"finger", required_argument, NULL, OPT_FINGER},
                                   {"voice", required_argument, NULL, OPT_VOICE},
                                   {"data", required_argument, NULL, OPT_DATA},
                                   {"json", no_argument, NULL, OPT_JSON},
                                   {"fin", required_argument, NULL, OPT_FIN},
                                   {"top", required_argument, NULL, OPT_TOP},
                                   {"min-score", required_argument, NULL, OPT_MIN},
                                   {"purpose", required_argument, NULL, OPT_PURPOSE},
                                   {"note", required_argument, NULL, OPT_NOTE},
                                   {"status", required_argument, NULL, OPT_STATUS},
                                   {"dna", required_argument, NULL, OPT_DNA},
                                   {"gallery", required_argument, NULL, OPT_GALLERY},
                                   {NULL, 0, NULL, 0}};
    memcpy(opts + NPERSON, extra, sizeof extra);
    x->person = json_object();
    x->top = 10;
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c >= 0 && c < NPERSON)
            json_object_set_new(x->person, person_flags[c].field, json_string(optarg));
        else if (c == OPT_FACE)
            rc = cli_samples_add(&x->s, "face", 0, optarg, err);
        else if (c == OPT_FINGER)
            rc = cli_samples_add_finger(&x->s, optarg, err);
        else if (c == OPT_VOICE)
            rc = cli_samples_add(&x->s, "voice", 0, optarg, err);
        else if (c == OPT_DATA)
            x->data = optarg;
        else if (c == OPT_JSON)
            x->json = 1;
        else if (c == OPT_FIN)
            x->fin = optarg;
        else if (c == OPT_TOP)
            x->top = atoi(optarg);
        else if (c == OPT_MIN)
            x->min = atof(optarg);
        else if (c == OPT_PURPOSE)
            x->purpose = optarg;
        else if (c == OPT_NOTE)
            x->note = optarg;
        else if (c == OPT_STATUS)
            x->status = optarg;
        else if (c == OPT_DNA)
            x->dna = optarg;
        else if (c == OPT_GALLERY)
            x->gallery = optarg;
        else
            rc = eyni_error_set(err, EYNI_EINVAL, "unknown option");
    }
    for (int i = 0; i < 3 && optind + i < argc; i++)
        x->pos[i] = argv[optind + i];
    return rc;
}

static void free_args(id_args *x)
{
    cli_samples_free(&x->s);
    json_decref(x->person);
}

typedef int (*id_fn)(id_args *, cmd_env *, eyni_actor *, json_t **, eyni_error *);

static int run(int argc, char **argv, id_fn fn, const char *usage)
{
    id_args x;
    memset(&x, 0, sizeof x);
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = parse(argc, argv, &x, &err);
    if (rc) {
        free_args(&x);
        fprintf(stderr, "usage: %s\n", usage);
        return cli_fail(&err);
    }
    rc = cmd_env_open(&e, cli_data_dir(x.data), NULL, 1, &err);
    if (rc == 0) {
        eyni_actor a;
        eyni_actor_local(&a, eyni_config_get(e.cfg, "cli.agency", "LOCAL"),
                         x.purpose ? x.purpose : "command line");
        rc = fn(&x, &e, &a, &out, &err);
        cmd_env_close(&e);
    }
    free_args(&x);
    if (rc)
        return cli_fail(&err);
    /* Negative results that are not errors: a refused duplicate, a rejected verification,
     * an identification without candidates. */
    const char *status = json_string_value(json_object_get(out, "status"));
    int negative =
        (status && !strcmp(status, "duplicate")) || json_is_false(json_object_get(out, "match")) ||
        (json_object_get(out, "count") && !json_integer_value(json_object_get(out, "count")));
    /* A sharded register answered without some shards: say so where a person reads. */
    const json_t *missing = json_object_get(out, "shards_not_searched");
    if (json_array_size(missing)) {
        char *list = json_dumps(missing, JSON_COMPACT);
        fprintf(stderr,
                "eyni: gallery shards %s were not searched (their nodes are down): the "
                "candidates cover the other shards only\n",
                list ? list : "?");
        free(list);
    }
    rc = cli_emit(out, x.json);
    return rc == CLI_OK && negative ? CLI_NEGATIVE : rc;
}

/* With --dna FILE the reference profile is checked before the enrolment and stored with
 * the new person (reported under "dna"). */
static int open_dna(id_args *x, cmd_env *e, eyni_actor *a, json_t **profile, eyni_dnareg **dna,
                    eyni_error *err)
{
    eyni_dnareg_opts o;
    memset(&o, 0, sizeof o);
    int rc = cli_dna_profile_file(x->dna, profile, err);
    if (rc == 0)
        rc = eyni_dnareg_opts_from_config(e->cfg, &o, err);
    o.log = e->log;
    if (rc == 0)
        rc = eyni_dnareg_open(e->reg, &o, dna, err);
    if (rc == 0)
        rc = eyni_dnareg_check_reference(*dna, a, *profile, err);
    return rc;
}

static int do_enrol(id_args *x, cmd_env *e, eyni_actor *a, json_t **out, eyni_error *err)
{
    eyni_identity *id = NULL;
    eyni_dnareg *dna = NULL;
    json_t *profile = NULL;
    int rc = x->dna ? open_dna(x, e, a, &profile, &dna, err) : 0;
    if (rc == 0)
        rc = cmd_env_identity(e, 1, &id, err);
    if (rc == 0)
        rc = eyni_identity_enrol(id, a, x->person, x->s.v, x->s.n, out, err);
    if (rc == 0 && dna)
        eyni_dnareg_add_enrolled(dna, a, profile, *out);
    eyni_identity_close(id);
    eyni_dnareg_close(dna);
    json_decref(profile);
    return rc;
}

static int do_verify(id_args *x, cmd_env *e, eyni_actor *a, json_t **out, eyni_error *err)
{
    eyni_identity *id = NULL;
    int rc = cmd_env_identity(e, 1, &id, err);
    if (rc == 0)
        rc = eyni_identity_verify(id, a, x->fin, x->s.v, x->s.n, out, err);
    eyni_identity_close(id);
    return rc;
}

static int do_identify(id_args *x, cmd_env *e, eyni_actor *a, json_t **out, eyni_error *err)
{
    eyni_identity *id = NULL;
    int rc = cmd_env_identity(e, 1, &id, err);
    if (rc == 0)
        rc = eyni_identity_identify_gallery(id, a, x->gallery, x->s.v, x->s.n, x->top, x->min, out,
                                            err);
    eyni_identity_close(id);
    return rc;
}

/* "different" issues a FIN: the identity service searches the applicant once more first. */
static int decide(id_args *x, cmd_env *e, eyni_actor *a, long long cid, json_t **out,
                  eyni_error *err)
{
    const char *d = x->pos[2];
    if (!d || strcmp(d, "different") != 0)
        return eyni_register_case_decide(e->reg, a, cid, d, x->fin, x->note, out, err);
    eyni_identity *id = NULL;
    int rc = cmd_env_identity(e, 1, &id, err);
    if (rc == 0)
        rc = eyni_identity_case_decide(id, a, cid, d, x->fin, x->note, out, err);
    eyni_identity_close(id);
    return rc;
}

static int do_adjudicate(id_args *x, cmd_env *e, eyni_actor *a, json_t **out, eyni_error *err)
{
    const char *verb = x->pos[0] ? x->pos[0] : "";
    long long id = x->pos[1] ? atoll(x->pos[1]) : 0;
    if (!strcmp(verb, "list"))
        return eyni_register_case_list(e->reg, a, x->status, x->top, out, err);
    if (!strcmp(verb, "show"))
        return eyni_register_case_get(e->reg, a, id, out, err);
    if (!strcmp(verb, "decide"))
        return decide(x, e, a, id, out, err);
    return eyni_error_set(err, EYNI_EINVAL,
                          "eyni adjudicate list|show ID|decide ID same|different");
}

int cli_enrol(int argc, char **argv)
{
    return run(argc, argv, do_enrol,
               "eyni enrol --surname S --given-name G --birth-date YYYY-MM-DD --sex M|F|X "
               "[--citizenship C] [--face IMG]... [--finger POSITION=IMG]... [--voice WAV|FLAC]... "
               "[--dna PROFILE] "
               "[--data DIR] [--json]");
}

int cli_verify(int argc, char **argv)
{
    return run(argc, argv, do_verify,
               "eyni verify --fin FIN (--face IMG | --finger POSITION=IMG | --voice AUDIO)... "
               "[--data DIR] [--json]");
}

int cli_identify(int argc, char **argv)
{
    return run(argc, argv, do_identify,
               "eyni identify (--face IMG | --finger POSITION=IMG | --voice AUDIO)... [--top K] "
               "[--min-score S] [--gallery register|watchlists|LIST] "
               "[--data DIR] [--json]");
}

int cli_adjudicate(int argc, char **argv)
{
    return run(argc, argv, do_adjudicate,
               "eyni adjudicate list [--status open|decided] | show CASE | decide CASE "
               "same|different [--fin FIN] --note WHY [--data DIR] [--json]");
}
