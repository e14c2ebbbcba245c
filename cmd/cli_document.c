/* `eyni document issue|set-status|show|types`, as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "eyni/border.h"

typedef struct doc_args {
    const char *data, *fin, *type, *office, *reason, *face;
    int json, replace;
    const char *pos[2];
} doc_args;

static int parse(int argc, char **argv, doc_args *d)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},   {"json", no_argument, NULL, 'j'},
        {"fin", required_argument, NULL, 'f'},    {"type", required_argument, NULL, 't'},
        {"office", required_argument, NULL, 'o'}, {"reason", required_argument, NULL, 'r'},
        {"replace", no_argument, NULL, 'R'},      {"face", required_argument, NULL, 'F'},
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
        default: return -1;
        }
    }
    for (int i = 0; i < 2 && optind + i < argc; i++)
        d->pos[i] = argv[optind + i];
    return 0;
}

/* The applicant is present: the live face is checked against the register first. */
static int issue_with_face(doc_args *d, cmd_env *e, eyni_actor *a, const json_t *in, json_t **out,
                           eyni_error *err)
{
    unsigned char *face = NULL;
    size_t len = 0;
    eyni_identity_opts o;
    memset(&o, 0, sizeof o);
    o.log = e->log;
    eyni_identity *id = NULL;
    int rc = eyni_file_read(d->face, EYNI_IDENTITY_MAX_SAMPLE_BYTES, &face, &len, err);
    if (rc == 0)
        rc = eyni_identity_opts_from_config(e->cfg, &o, err);
    o.node_key = e->node_key;
    if (rc == 0)
        rc = eyni_identity_open(e->reg, &o, &id, err);
    if (rc == 0)
        rc = eyni_document_apply(id, a, in, face, len, out, err);
    eyni_identity_close(id);
    free(face);
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
        int rc = d->face ? issue_with_face(d, e, &a, in, out, err)
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
        "eyni document issue --fin FIN --type TYPE [--office ID] [--replace] [--face IMG] | set-status "
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
