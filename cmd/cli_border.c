/* `eyni border check|crossings`: the traveller check and crossing records, as the local
 * operator at a checkpoint. Contract in the border control issue. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "eyni/border.h"

typedef struct border_args {
    const char *data, *mrz, *chip, *face, *plate, *checkpoint, *direction, *request_id;
    const char *fin, *document, *day, *list, *entry;
    int json, in_country, overstays, counts;
    eyni_sample_in fingers[10];
    unsigned char *bufs[11];
    int nfingers, nbufs;
} border_args;

static int read_file(border_args *b, const char *path, const unsigned char **data, size_t *len,
                     eyni_error *err)
{
    int rc = eyni_file_read(path, EYNI_IDENTITY_MAX_SAMPLE_BYTES, &b->bufs[b->nbufs], len, err);
    if (rc == 0)
        *data = b->bufs[b->nbufs++];
    return rc;
}

static int parse(int argc, char **argv, border_args *b, eyni_error *err)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"mrz", required_argument, NULL, 'm'},
                                         {"chip", required_argument, NULL, 'c'},
                                         {"face", required_argument, NULL, 'f'},
                                         {"finger", required_argument, NULL, 'F'},
                                         {"plate", required_argument, NULL, 'p'},
                                         {"checkpoint", required_argument, NULL, 'k'},
                                         {"direction", required_argument, NULL, 'D'},
                                         {"request-id", required_argument, NULL, 'r'},
                                         {"fin", required_argument, NULL, 'n'},
                                         {"document", required_argument, NULL, 'o'},
                                         {"day", required_argument, NULL, 'y'},
                                         {"in-country", no_argument, NULL, 'i'},
                                         {"overstays", no_argument, NULL, 'O'},
                                         {"counts", no_argument, NULL, 'C'},
                                         {"list", required_argument, NULL, 'l'},
                                         {"entry", required_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            b->data = optarg;
            break;
        case 'j':
            b->json = 1;
            break;
        case 'm':
            b->mrz = optarg;
            break;
        case 'c':
            b->chip = optarg;
            break;
        case 'f':
            b->face = optarg;
            break;
        case 'p':
            b->plate = optarg;
            break;
        case 'k':
            b->checkpoint = optarg;
            break;
        case 'D':
            b->direction = optarg;
            break;
        case 'r':
            b->request_id = optarg;
            break;
        case 'n':
            b->fin = optarg;
            break;
        case 'o':
            b->document = optarg;
            break;
        case 'y':
            b->day = optarg;
            break;
        case 'i':
            b->in_country = 1;
            break;
        case 'l':
            b->list = optarg;
            break;
        case 'O':
            b->overstays = 1;
            break;
        case 'C':
            b->counts = 1;
            break;
        case 'e':
            b->entry = optarg;
            break;
        case 'F': {
            char *end;
            long pos = strtol(optarg, &end, 10);
            if (end == optarg || *end != '=' || b->nfingers == 10)
                rc = eyni_error_set(err, EYNI_EINVAL, "--finger needs POSITION=IMG (at most 10)");
            else {
                eyni_sample_in *s = &b->fingers[b->nfingers];
                rc = read_file(b, end + 1, &s->data, &s->len, err);
                s->modality = "finger";
                s->position = (int)pos;
                b->nfingers += rc == 0;
            }
            break;
        }
        default:
            rc = eyni_error_set(err, EYNI_EINVAL, "unknown option");
        }
    }
    return rc;
}

static int do_check(border_args *b, cmd_env *e, eyni_actor *a, int field, json_t **out,
                    eyni_error *err)
{
    eyni_border_request r;
    memset(&r, 0, sizeof r);
    r.mrz = b->mrz;
    r.chip_dir = b->chip;
    r.fingers = b->fingers;
    r.nfingers = b->nfingers;
    r.plate = b->plate;
    r.checkpoint =
        b->checkpoint ? b->checkpoint : eyni_config_get(e->cfg, "border.checkpoint", "LOCAL");
    r.direction = b->direction ? b->direction : "entry";
    r.request_id = b->request_id;
    int rc = b->face ? read_file(b, b->face, &r.face, &r.face_len, err) : 0;
    eyni_identity *id = NULL;
    if (rc == 0)
        rc = cmd_env_identity(e, 0, &id, err);
    if (rc == 0)
        rc = field ? eyni_border_field_check(id, a, &r, out, err)
                   : eyni_border_check(id, a, &r, out, err);
    eyni_identity_close(id);
    return rc;
}

/* Face and fingers of a watchlist person entry, into the watchlist galleries. */
static int do_watch_biometrics(border_args *b, cmd_env *e, eyni_actor *a, json_t **out,
                               eyni_error *err)
{
    eyni_sample_in s[11];
    int n = 0;
    char *end = NULL;
    long long entry = b->entry ? strtoll(b->entry, &end, 10) : 0;
    if (!b->list || !b->entry || *end || entry <= 0)
        return eyni_error_set(err, EYNI_EINVAL, "watch-biometrics needs --list L --entry N");
    int rc = 0;
    if (b->face) {
        s[n] = (eyni_sample_in){"face", 0, NULL, 0};
        rc = read_file(b, b->face, &s[n].data, &s[n].len, err);
        n++;
    }
    for (int i = 0; rc == 0 && i < b->nfingers; i++)
        s[n++] = b->fingers[i];
    if (rc == 0 && n == 0)
        rc = eyni_error_set(err, EYNI_EINVAL, "give --face IMG and/or --finger POSITION=IMG");
    eyni_identity *id = NULL;
    if (rc == 0)
        rc = cmd_env_identity(e, 0, &id, err);
    if (rc == 0)
        rc = eyni_border_watch_biometrics_add(id, a, b->list, entry, s, n, out, err);
    eyni_identity_close(id);
    return rc;
}

static int do_crossings(border_args *b, cmd_env *e, eyni_actor *a, json_t **out, eyni_error *err)
{
    json_t *q = json_pack("{s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b}", "fin", b->fin, "document",
                          b->document, "checkpoint", b->checkpoint, "day", b->day, "in_country",
                          b->in_country, "overstays", b->overstays, "counts", b->counts);
    int rc = eyni_border_crossings(e->reg, a, q, out, err);
    json_decref(q);
    return rc;
}

int cli_border(int argc, char **argv)
{
    static const char usage[] =
        "eyni border check --mrz TEXT [--chip DIR] [--face IMG] [--finger POSITION=IMG]... "
        "[--plate P] [--checkpoint ID] [--direction entry|exit] [--request-id ID] | crossings "
        "[--fin F] [--document N] [--checkpoint ID] [--day D] [--in-country | --overstays | "
        "--counts] [--data DIR] "
        "[--json] | field --mrz TEXT [--face IMG] [--finger POSITION=IMG]... [--checkpoint UNIT] | "
        "watch-biometrics --list L --entry N [--face IMG] [--finger POSITION=IMG]... | "
        "visa ... | residence ...";
    border_args b;
    memset(&b, 0, sizeof b);
    eyni_error err;
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "visa") || !strcmp(argv[1], "residence"))
        return cli_border_stay(argc - 1, argv + 1);
    int rc = parse(argc - 1, argv + 1, &b, &err);
    cmd_env e;
    json_t *out = NULL;
    int check = !strcmp(argv[1], "check"), bio = !strcmp(argv[1], "watch-biometrics");
    int field = !strcmp(argv[1], "field");
    if (rc == 0 && !check && !bio && !field && strcmp(argv[1], "crossings") != 0)
        rc = eyni_error_set(&err, EYNI_EINVAL, "unknown verb '%s'", argv[1]);
    if (rc == 0 && (rc = cmd_env_open(&e, cli_data_dir(b.data), NULL, 1, &err)) == 0) {
        eyni_actor a;
        eyni_actor_local(&a, eyni_config_get(e.cfg, "cli.agency", "LOCAL"), "border control");
        rc = check || field ? do_check(&b, &e, &a, field, &out, &err)
             : bio          ? do_watch_biometrics(&b, &e, &a, &out, &err)
                            : do_crossings(&b, &e, &a, &out, &err);
        cmd_env_close(&e);
    }
    for (int i = 0; i < b.nbufs; i++)
        free(b.bufs[i]);
    if (rc)
        return cli_fail(&err);
    const char *decision = json_string_value(json_object_get(out, "decision"));
    int negative = decision && strcmp(decision, "clear") != 0; /* before out is freed */
    rc = cli_emit(out, b.json);
    return rc == CLI_OK && negative ? CLI_NEGATIVE : rc;
}
