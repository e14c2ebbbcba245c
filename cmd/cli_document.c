/* `eyni document issue|set-status|show|types`, as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "eyni/border.h"

typedef struct doc_args {
    const char *data, *fin, *type, *office, *reason, *face, *case_id;
    int json, replace;
    const char *pos[2];
    const char *fingers[10]; /* POSITION=IMG */
    int nfingers;
    int too_many;
} doc_args;

static int parse(int argc, char **argv, doc_args *d)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},   {"json", no_argument, NULL, 'j'},
        {"fin", required_argument, NULL, 'f'},    {"type", required_argument, NULL, 't'},
        {"office", required_argument, NULL, 'o'}, {"reason", required_argument, NULL, 'r'},
        {"replace", no_argument, NULL, 'R'},      {"face", required_argument, NULL, 'F'},
        {"finger", required_argument, NULL, 'G'}, {"case", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': d->data = optarg; break;
        case 'j': d->json = 1; break;
        case 'f': d->fin = optarg; break;
        case 't': d->type = optarg; break;
        case 'o': d->office = optarg; break;
        case 'r': d->reason = optarg; break;
        case 'R': d->replace = 1; break;
        case 'F': d->face = optarg; break;
        case 'C': d->case_id = optarg; break;
        case 'G': /* --finger POSITION=IMG, read in read_live */
            if (d->nfingers == 10)
                d->too_many = 1;
            else
                d->fingers[d->nfingers++] = optarg;
            break;
        default: return -1;
        }
    }
    for (int i = 0; i < 2 && optind + i < argc; i++)
        d->pos[i] = argv[optind + i];
    return 0;
}

/* The applicant's live samples from files: --face IMG and --finger POSITION=IMG. */
static int read_live(const doc_args *d, eyni_application_live *l, eyni_error *err)
{
    int rc = d->too_many ? eyni_error_set(err, EYNI_EINVAL, "at most 10 --finger") : 0;
    for (int i = -1; rc == 0 && i < d->nfingers; i++) {
        const char *path = i < 0 ? d->face : d->fingers[i];
        long pos = 0;
        if (i >= 0) {
            char *end;
            pos = strtol(path, &end, 10);
            if (end == path || *end != '=')
                return eyni_error_set(err, EYNI_EINVAL, "--finger needs POSITION=IMG, got '%.40s'",
                                      path);
            path = end + 1;
        }
        if (!path)
            continue;
        size_t len = 0;
        rc = eyni_file_read(path, EYNI_IDENTITY_MAX_SAMPLE_BYTES, &l->bufs[l->n], &len, err);
        if (rc == 0) {
            l->v[l->n] = (eyni_sample_in){i < 0 ? "face" : "finger", (int)pos, l->bufs[l->n], len};
            l->n++;
        }
    }
    return rc;
}

/* The applicant is present: the live samples are checked against the register first. */
static int issue_with_samples(doc_args *d, cmd_env *e, eyni_actor *a, const json_t *in,
                              json_t **out, eyni_error *err)
{
    eyni_application_live live;
    memset(&live, 0, sizeof live);
    long long case_id = 0;
    char *end = NULL;
    if (d->case_id)
        case_id = strtoll(d->case_id, &end, 10);
    int rc = d->case_id && (end == d->case_id || *end || case_id < 1)
                 ? eyni_error_set(err, EYNI_EINVAL, "--case needs a case number")
                 : 0;
    eyni_identity *id = NULL;
    if (rc == 0)
        rc = read_live(d, &live, err);
    if (rc == 0)
        rc = cmd_env_identity(e, 0, &id, err);
    if (rc == 0)
        rc = eyni_document_apply(id, a, in, live.v, live.n, case_id, out, err);
    eyni_identity_close(id);
    eyni_application_live_free(&live);
    return rc;
}

static int run(const char *verb, doc_args *d, cmd_env *e, json_t **out, eyni_error *err)
{
    eyni_actor a;
    eyni_actor_local(&a, eyni_config_get(e->cfg, "cli.agency", "LOCAL"), "document issuance");
    if (!strcmp(verb, "issue")) {
        const char *office = d->office ? d->office : eyni_config_get(e->cfg, "documents.office", NULL);
        json_t *in = json_pack("{s:s?, s:s?, s:s?, s:b, s:s?}", "fin", d->fin, "type", d->type,
                               "office", office, "replace", d->replace, "reason", d->reason);
        int rc = d->face || d->nfingers || d->case_id
                     ? issue_with_samples(d, e, &a, in, out, err)
                     : eyni_register_document_issue(e->reg, &a, in, out, err);
        json_decref(in);
        return rc;
    }
    if (!strcmp(verb, "set-status"))
        return eyni_register_document_set_status(e->reg, &a, d->pos[0], d->pos[1],
                                                 d->reason ? d->reason : "reported at the desk",
                                                 out, err);
    if (!strcmp(verb, "show"))
        return eyni_register_document_get(e->reg, &a, d->pos[0], out, err);
    return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
}

int cli_document(int argc, char **argv)
{
    static const char usage[] =
        "eyni document issue --fin FIN --type TYPE [--office ID] [--replace] [--face IMG] "
        "[--finger POSITION=IMG]... [--case N] | set-status "
        "NUMBER STATUS [--reason R] | show NUMBER | types [--data DIR] [--json]";
    doc_args d;
    memset(&d, 0, sizeof d);
    if (argc < 2 || parse(argc - 1, argv + 1, &d))
        return cli_usage(usage);
    if (!strcmp(argv[1], "types"))
        return cli_emit(eyni_register_doctypes_json(), d.json);
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(d.data), NULL, 1, &err);
    if (rc == 0) {
        rc = run(argv[1], &d, &e, &out, &err);
        cmd_env_close(&e);
    }
    return rc ? cli_fail(&err) : cli_emit(out, d.json);
}
