/* `eyni dna add|remove` and `eyni dna search|kinship|rmp --data DIR`: the register's stored
 * DNA profiles, through the same service (roles, purpose, audit) as the HTTP API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_dna.h"
#include "common.h"
#include "eyni/dnareg.h"

#define STORE_USAGE                                                                                \
    "eyni dna add --data DIR (--fin FIN | --sample ID --case CASE [--scene TEXT]\n"                \
    "               [--collected YYYY-MM-DD]) --profile FILE [--population P]\n"                   \
    "       eyni dna remove --data DIR (--fin FIN | --sample ID) --reason TEXT\n"                  \
    "       eyni dna search --data DIR (--probe FILE | --sample ID | --fin FIN)\n"                 \
    "               [--stringency high|moderate|low] [--min-loci N] [--max N]\n"                   \
    "               [--targets reference|forensic|both] [--familial "                              \
    "parent|sibling|half-sibling]\n"                                                               \
    "       eyni dna kinship --data DIR KIND:ID KIND:ID [--relation "                              \
    "parent|sibling|half-sibling|all]\n"                                                           \
    "       eyni dna rmp --data DIR (--fin FIN | --sample ID) [--formula 4.1|4.10] [--theta T]\n"  \
    "  (all take --population P, --freq CSV (instead of dna.freq), --purpose TEXT, --json)"

typedef struct store_args {
    const char *data, *fin, *sample, *case_id, *scene, *collected, *profile, *population;
    const char *reason, *probe, *stringency, *targets, *familial, *relation, *formula, *theta;
    const char *min_loci, *max, *freq, *purpose;
    const char *pos[2];
    int npos, json;
} store_args;

static int parse(int argc, char **argv, store_args *a)
{
    static const struct {
        const char *name;
        size_t off;
    } opts[] = {
        {"--data", offsetof(store_args, data)},
        {"--fin", offsetof(store_args, fin)},
        {"--sample", offsetof(store_args, sample)},
        {"--case", offsetof(store_args, case_id)},
        {"--scene", offsetof(store_args, scene)},
        {"--collected", offsetof(store_args, collected)},
        {"--profile", offsetof(store_args, profile)},
        {"--population", offsetof(store_args, population)},
        {"--reason", offsetof(store_args, reason)},
        {"--probe", offsetof(store_args, probe)},
        {"--stringency", offsetof(store_args, stringency)},
        {"--targets", offsetof(store_args, targets)},
        {"--familial", offsetof(store_args, familial)},
        {"--relation", offsetof(store_args, relation)},
        {"--formula", offsetof(store_args, formula)},
        {"--theta", offsetof(store_args, theta)},
        {"--min-loci", offsetof(store_args, min_loci)},
        {"--max", offsetof(store_args, max)},
        {"--freq", offsetof(store_args, freq)},
        {"--purpose", offsetof(store_args, purpose)},
    };
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        int done = 0;
        if (strcmp(argv[i], "--json") == 0) {
            a->json = done = 1;
        }
        for (size_t k = 0; !done && k < sizeof opts / sizeof opts[0]; k++) {
            if (strcmp(argv[i], opts[k].name) != 0)
                continue;
            if (i + 1 >= argc) {
                fprintf(stderr, "eyni dna: %s needs a value\n", argv[i]);
                return -1;
            }
            *(const char **)((char *)a + opts[k].off) = argv[++i];
            done = 1;
        }
        if (done)
            continue;
        if (argv[i][0] == '-' || a->npos == 2) {
            fprintf(stderr, "eyni dna: unexpected argument %s\n", argv[i]);
            return -1;
        }
        a->pos[a->npos++] = argv[i];
    }
    return 0;
}

static int set_str(json_t *o, const char *key, const char *v)
{
    return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

/* A whole number flag into the request. */
static int set_int(json_t *o, const char *key, const char *v, eyni_error *err)
{
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end)
        return eyni_error_set(err, EYNI_EINVAL, "%s must be a whole number", key);
    json_object_set_new(o, key, json_integer(n));
    return 0;
}

/* The one profile of a file, without its own kind/id (the flags name it). */
int cli_dna_profile_file(const char *path, json_t **out, eyni_error *err)
{
    eyni_dna_profile *v = NULL;
    size_t n = 0;
    int rc = eyni_dna_profiles_load(path, &v, &n, err);
    if (rc == 0 && n != 1)
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s holds %zu profiles, need exactly one", path, n);
    if (rc == 0) {
        *out = eyni_dna_profile_to_json(&v[0]);
        json_object_del(*out, "kind");
        json_object_del(*out, "id");
    }
    free(v);
    return rc;
}

static int req_add(const store_args *a, json_t *in, eyni_error *err)
{
    if (!a->profile || (!a->fin == !a->sample))
        return eyni_error_set(err, EYNI_EINVAL, "add needs --profile and one of --fin or --sample");
    json_t *p = NULL;
    int rc = cli_dna_profile_file(a->profile, &p, err);
    if (rc)
        return rc;
    json_object_set_new(in, "profile", p);
    set_str(in, "kind", a->fin ? "reference" : "forensic");
    set_str(in, "fin", a->fin);
    set_str(in, "sample_id", a->sample);
    set_str(in, "case_id", a->case_id);
    set_str(in, "scene", a->scene);
    set_str(in, "collected_on", a->collected);
    set_str(in, "population", a->population);
    return 0;
}

static int req_search(const store_args *a, json_t *in, eyni_error *err)
{
    if ((a->probe != NULL) + (a->sample != NULL) + (a->fin != NULL) != 1)
        return eyni_error_set(err, EYNI_EINVAL, "search needs one of --probe, --sample or --fin");
    if (a->probe) {
        json_t *p = NULL;
        int rc = cli_dna_profile_file(a->probe, &p, err);
        if (rc)
            return rc;
        json_object_set_new(in, "profile", p);
    }
    set_str(in, "sample_id", a->sample);
    set_str(in, "fin", a->fin);
    set_str(in, "population", a->population);
    set_str(in, "targets", a->targets);
    if (a->familial) {
        set_str(in, "relation", a->familial);
        if (set_int(in, "top", a->max, err))
            return EYNI_EINVAL;
    } else {
        set_str(in, "stringency", a->stringency);
        if (set_int(in, "max", a->max, err))
            return EYNI_EINVAL;
    }
    return set_int(in, "min_loci", a->min_loci, err);
}

/* "reference:FIN" or "forensic:ID" -> {"kind", "id"}. */
static json_t *designator(const char *s)
{
    const char *colon = s ? strchr(s, ':') : NULL;
    if (!colon)
        return NULL;
    char kind[16];
    snprintf(kind, sizeof kind, "%.*s", (int)(colon - s < 15 ? colon - s : 15), s);
    return json_pack("{s:s, s:s}", "kind", kind, "id", colon + 1);
}

static int req_kinship(const store_args *a, json_t *in, eyni_error *err)
{
    json_t *x = a->npos == 2 ? designator(a->pos[0]) : NULL;
    json_t *y = a->npos == 2 ? designator(a->pos[1]) : NULL;
    if (!x || !y) {
        json_decref(x);
        json_decref(y);
        return eyni_error_set(err, EYNI_EINVAL,
                              "kinship needs two stored profiles, each "
                              "written reference:FIN or forensic:ID");
    }
    json_object_set_new(in, "a", x);
    json_object_set_new(in, "b", y);
    set_str(in, "relation", a->relation);
    set_str(in, "population", a->population);
    return 0;
}

static int req_rmp(const store_args *a, json_t *in, eyni_error *err)
{
    if (!a->fin == !a->sample)
        return eyni_error_set(err, EYNI_EINVAL, "rmp --data needs one of --fin or --sample");
    set_str(in, "kind", a->fin ? "reference" : "forensic");
    set_str(in, "id", a->fin ? a->fin : a->sample);
    set_str(in, "formula", a->formula);
    set_str(in, "population", a->population);
    if (a->theta) {
        char *end;
        double t = strtod(a->theta, &end);
        if (end == a->theta || *end)
            return eyni_error_set(err, EYNI_EINVAL, "--theta must be a number");
        json_object_set_new(in, "theta", json_real(t));
    }
    return 0;
}

static int run(const char *cmd, const store_args *a, eyni_dnareg *s, const eyni_actor *who,
               json_t **out, eyni_error *err)
{
    if (strcmp(cmd, "remove") == 0) {
        if (!a->fin == !a->sample)
            return eyni_error_set(err, EYNI_EINVAL, "remove needs one of --fin or --sample");
        int rc = eyni_dnareg_remove(s, who, a->fin ? "reference" : "forensic",
                                    a->fin ? a->fin : a->sample, a->reason, err);
        if (rc == 0)
            *out = json_pack("{s:s, s:s, s:s}", "kind", a->fin ? "reference" : "forensic", "id",
                             a->fin ? a->fin : a->sample, "status", "removed");
        return rc;
    }
    json_t *in = json_object();
    int rc = EYNI_EINVAL;
    if (strcmp(cmd, "add") == 0) {
        if ((rc = req_add(a, in, err)) == 0)
            rc = eyni_dnareg_add(s, who, in, out, err);
    } else if (strcmp(cmd, "search") == 0) {
        if ((rc = req_search(a, in, err)) == 0)
            rc = a->familial ? eyni_dnareg_familial(s, who, in, out, err)
                             : eyni_dnareg_search(s, who, in, out, err);
    } else if (strcmp(cmd, "kinship") == 0) {
        if ((rc = req_kinship(a, in, err)) == 0)
            rc = eyni_dnareg_kinship(s, who, in, out, err);
    } else if ((rc = req_rmp(a, in, err)) == 0) {
        rc = eyni_dnareg_rmp(s, who, in, out, err);
    }
    json_decref(in);
    return rc;
}

int cli_dna_store(int argc, char **argv)
{
    store_args a;
    if (argc < 2 || parse(argc, argv, &a))
        return cli_usage(STORE_USAGE);
    cmd_env e;
    eyni_error err;
    eyni_dnareg *s = NULL;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(a.data), NULL, 1, &err);
    if (rc)
        return cli_fail(&err);
    eyni_dnareg_opts o;
    memset(&o, 0, sizeof o);
    rc = eyni_dnareg_opts_from_config(e.cfg, &o, &err);
    o.log = e.log;
    if (a.freq)
        o.freq_path = a.freq;
    if (rc == 0)
        rc = eyni_dnareg_open(e.reg, &o, &s, &err);
    if (rc == 0) {
        eyni_actor who;
        eyni_actor_local(&who, eyni_config_get(e.cfg, "cli.agency", "LOCAL"),
                         a.purpose ? a.purpose : "command line");
        rc = run(argv[1], &a, s, &who, &out, &err);
    }
    eyni_dnareg_close(s);
    cmd_env_close(&e);
    if (rc)
        return cli_fail(&err);
    json_t *hits = json_object_get(out, "hits");
    int none = hits && json_array_size(hits) == 0;
    int code = cli_emit(out, a.json);
    return code == CLI_OK && none ? CLI_NEGATIVE : code;
}

int cli_dna_wants_store(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (strcmp(cmd, "add") == 0 || strcmp(cmd, "remove") == 0)
        return 1;
    int data = 0, stored = 0;
    for (int i = 2; i < argc; i++) {
        data |= strcmp(argv[i], "--data") == 0;
        if (strcmp(argv[i], "--db") == 0)
            return 0; /* a profile file as the database: the file-based search */
        stored |= strcmp(argv[i], "--fin") == 0 || strcmp(argv[i], "--sample") == 0;
    }
    if (strcmp(cmd, "search") == 0 || strcmp(cmd, "kinship") == 0)
        return data;
    return strcmp(cmd, "rmp") == 0 && data && stored;
}
