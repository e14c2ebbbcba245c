/* `eyni office add|list` and `eyni blank receive|send|accept|take|set-state|show|reconcile`,
 * as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

typedef struct blank_args {
    const char *data, *office, *from, *to, *first, *last, *doc_type, *number, *reason;
    const char *code, *name, *kind, *printer, *reference;
    json_t *serials, *missing;
    int json, overdue;
    const char *pos[2];
} blank_args;

static int parse(int argc, char **argv, blank_args *b)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},      {"json", no_argument, NULL, 'j'},
        {"office", required_argument, NULL, 'o'},    {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},        {"first", required_argument, NULL, '1'},
        {"last", required_argument, NULL, '2'},      {"doc-type", required_argument, NULL, 'y'},
        {"number", required_argument, NULL, 'n'},    {"reason", required_argument, NULL, 'r'},
        {"code", required_argument, NULL, 'c'},      {"name", required_argument, NULL, 'N'},
        {"kind", required_argument, NULL, 'k'},      {"printer", required_argument, NULL, 'p'},
        {"reference", required_argument, NULL, 'R'}, {"serial", required_argument, NULL, 's'},
        {"missing", required_argument, NULL, 'm'},   {"overdue-days", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0}};
    b->serials = json_array();
    b->missing = json_array();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': b->data = optarg; break;
        case 'j': b->json = 1; break;
        case 'o': b->office = optarg; break;
        case 'f': b->from = optarg; break;
        case 't': b->to = optarg; break;
        case '1': b->first = optarg; break;
        case '2': b->last = optarg; break;
        case 'y': b->doc_type = optarg; break;
        case 'n': b->number = optarg; break;
        case 'r': b->reason = optarg; break;
        case 'c': b->code = optarg; break;
        case 'N': b->name = optarg; break;
        case 'k': b->kind = optarg; break;
        case 'p': b->printer = optarg; break;
        case 'R': b->reference = optarg; break;
        case 's': json_array_append_new(b->serials, json_string(optarg)); break;
        case 'm': json_array_append_new(b->missing, json_string(optarg)); break;
        case 'O': b->overdue = atoi(optarg); break;
        default: return -1;
        }
    }
    for (int i = 0; i < 2 && optind + i < argc; i++)
        b->pos[i] = argv[optind + i];
    return 0;
}

static json_t *send_body(const blank_args *b)
{
    json_t *in = json_pack("{s:s?, s:s?, s:s?}", "from", b->from, "to", b->to, "reference",
                           b->reference);
    if (json_array_size(b->serials))
        json_object_set(in, "serials", b->serials);
    else if (b->first || b->last) {
        json_object_set_new(in, "first", b->first ? json_string(b->first) : json_null());
        json_object_set_new(in, "last", b->last ? json_string(b->last) : json_null());
    }
    return in;
}

static int blank_run(const char *verb, blank_args *b, cmd_env *e, eyni_actor *a, json_t **out,
                     eyni_error *err)
{
    json_t *in = NULL;
    int rc;
    if (strcmp(verb, "receive") == 0) {
        in = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "doc_type", b->doc_type, "first",
                       b->first, "last", b->last, "office", b->office, "printer", b->printer,
                       "reference", b->reference);
        rc = eyni_register_blank_receive(e->reg, a, in, out, err);
    } else if (strcmp(verb, "send") == 0) {
        in = send_body(b);
        rc = eyni_register_blank_send(e->reg, a, in, out, err);
    } else if (strcmp(verb, "accept") == 0) {
        in = json_array_size(b->missing) ? json_pack("{s:O}", "missing", b->missing) : NULL;
        rc = eyni_register_blank_accept(e->reg, a, b->pos[0] ? atoll(b->pos[0]) : 0, in, out, err);
    } else if (strcmp(verb, "take") == 0) {
        char serial[64];
        rc = eyni_register_blank_take(e->reg, a, b->office, b->doc_type, b->number, serial, err);
        if (rc == 0)
            *out = json_pack("{s:s, s:s}", "serial", serial, "document_number", b->number);
    } else if (strcmp(verb, "set-state") == 0) {
        rc = eyni_register_blank_set_state(e->reg, a, b->pos[0], b->pos[1], b->reason, out, err);
    } else if (strcmp(verb, "show") == 0) {
        rc = eyni_register_blank_get(e->reg, a, b->pos[0], out, err);
    } else if (strcmp(verb, "reconcile") == 0) {
        rc = eyni_register_blank_reconcile(e->reg, a, b->office, b->from, b->to, b->overdue, out,
                                           err);
    } else {
        rc = eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
    }
    json_decref(in);
    return rc;
}

static int office_run(const char *verb, blank_args *b, cmd_env *e, eyni_actor *a, json_t **out,
                      eyni_error *err)
{
    if (strcmp(verb, "list") == 0)
        return eyni_register_office_list(e->reg, a, out, err);
    if (strcmp(verb, "add") != 0)
        return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
    json_t *in = json_pack("{s:s?, s:s?, s:s?}", "code", b->code, "name", b->name, "kind", b->kind);
    int rc = eyni_register_office_create(e->reg, a, in, out, err);
    json_decref(in);
    return rc;
}

typedef int (*run_fn)(const char *, blank_args *, cmd_env *, eyni_actor *, json_t **,
                      eyni_error *);

static int stock_main(int argc, char **argv, run_fn fn, const char *usage)
{
    blank_args b;
    memset(&b, 0, sizeof b);
    if (argc < 2 || parse(argc - 1, argv + 1, &b)) {
        json_decref(b.serials);
        json_decref(b.missing);
        return cli_usage(usage);
    }
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(b.data), NULL, 1, &err);
    if (rc == 0) {
        eyni_actor a;
        eyni_actor_local(&a, eyni_config_get(e.cfg, "cli.agency", "LOCAL"), "blank stock");
        rc = fn(argv[1], &b, &e, &a, &out, &err);
        cmd_env_close(&e);
    }
    json_decref(b.serials);
    json_decref(b.missing);
    return rc ? cli_fail(&err) : cli_emit(out, b.json);
}

int cli_blank(int argc, char **argv)
{
    return stock_main(argc, argv, blank_run,
                      "eyni blank receive --doc-type T --first S --last S --office O "
                      "[--printer P --reference R] | send --from O --to O (--first S --last S | "
                      "--serial S...) | accept TRANSFER [--missing S...] | take --office O "
                      "--doc-type T --number N | set-state SERIAL STATE --reason R | show SERIAL "
                      "| reconcile [--office O --from D --to D --overdue-days N] [--data DIR] "
                      "[--json]");
}

int cli_office(int argc, char **argv)
{
    return stock_main(argc, argv, office_run,
                      "eyni office add --code C --name N --kind K | list [--data DIR] [--json]");
}
