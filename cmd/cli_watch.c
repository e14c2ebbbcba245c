/* `eyni watchlist create|list|entries|add|remove|import|check` and `eyni ban add|lift|check`,
 * as the local operator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

/* Flags copied into the request object under their JSON names. */
static const struct {
    const char *flag, *field;
} text_flags[] = {
    {"code", "code"},         {"name", "name"},
    {"kind", "kind"},         {"legal-basis", "legal_basis"},
    {"handling", "handling"}, {"valid-from", "valid_from"},
    {"valid-to", "valid_to"}, {"surname", "surname"},
    {"given-name", "given_name"}, {"birth-date", "birth_date"},
    {"nationality", "nationality"}, {"fin", "fin"},
    {"plate", "plate"},       {"vin", "vin"},
    {"number", "number"},     {"issuing-state", "issuing_state"},
    {"doc-type", "doc_type"}, {"status", "status"},
    {"reason", "reason"},     {"direction", "direction"},
    {"starts", "starts"},     {"ends", "ends"},
    {"authority", "authority"}, {"date", "date"},
};
#define NTEXT (int)(sizeof text_flags / sizeof text_flags[0])

enum { OPT_DATA = 1000, OPT_JSON, OPT_VARIANT, OPT_VISIBLE, OPT_PURPOSE };

typedef struct watch_args {
    const char *data, *purpose;
    int json;
    json_t *in, *variants, *visible;
    const char *pos[2];
} watch_args;

static int parse(int argc, char **argv, watch_args *w)
{
    struct option opts[NTEXT + 6];
    for (int i = 0; i < NTEXT; i++)
        opts[i] = (struct option){text_flags[i].flag, required_argument, NULL, i};
    const struct option extra[] = {{"data", required_argument, NULL, OPT_DATA},
                                   {"json", no_argument, NULL, OPT_JSON},
                                   {"variant", required_argument, NULL, OPT_VARIANT},
                                   {"visible-to", required_argument, NULL, OPT_VISIBLE},
                                   {"purpose", required_argument, NULL, OPT_PURPOSE},
                                   {NULL, 0, NULL, 0}};
    memcpy(opts + NTEXT, extra, sizeof extra);
    w->in = json_object();
    w->variants = json_array();
    w->visible = json_array();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c >= 0 && c < NTEXT)
            json_object_set_new(w->in, text_flags[c].field, json_string(optarg));
        else if (c == OPT_DATA)
            w->data = optarg;
        else if (c == OPT_JSON)
            w->json = 1;
        else if (c == OPT_VARIANT)
            json_array_append_new(w->variants, json_string(optarg));
        else if (c == OPT_VISIBLE)
            json_array_append_new(w->visible, json_string(optarg));
        else if (c == OPT_PURPOSE)
            w->purpose = optarg;
        else
            return -1;
    }
    for (int i = 0; i < 2 && optind + i < argc; i++)
        w->pos[i] = argv[optind + i];
    return 0;
}

static void free_args(watch_args *w)
{
    json_decref(w->in);
    json_decref(w->variants);
    json_decref(w->visible);
}

/* Moves the identity, vehicle or document fields of w->in into a check query. */
static json_t *check_query(const watch_args *w)
{
    static const char *const parts[3][6] = {
        {"person", "surname", "given_name", "birth_date", "fin", NULL},
        {"vehicle", "plate", "vin", NULL},
        {"document", "number", "issuing_state", NULL}};
    json_t *q = json_object();
    for (int p = 0; p < 3; p++) {
        json_t *part = json_object();
        for (int k = 1; parts[p][k]; k++) {
            json_t *v = json_object_get(w->in, parts[p][k]);
            if (v)
                json_object_set(part, parts[p][k], v);
        }
        if (json_object_size(part))
            json_object_set(q, parts[p][0], part);
        json_decref(part);
    }
    return q;
}

static int watch_run(const char *verb, watch_args *w, cmd_env *e, eyni_actor *a, json_t **out,
                     eyni_error *err)
{
    const char *list = w->pos[0];
    if (!strcmp(verb, "create")) {
        json_object_set(w->in, "visible_to", w->visible);
        return eyni_register_watchlist_create(e->reg, a, w->in, out, err);
    }
    if (!strcmp(verb, "list"))
        return eyni_register_watchlist_list(e->reg, a, out, err);
    if (!list && strcmp(verb, "check") != 0)
        return eyni_error_set(err, EYNI_EINVAL, "eyni watchlist %s needs a list code", verb);
    if (!strcmp(verb, "entries"))
        return eyni_register_watch_entries(e->reg, a, list, out, err);
    if (!strcmp(verb, "add")) {
        if (json_array_size(w->variants))
            json_object_set(w->in, "variants", w->variants);
        return eyni_register_watch_add(e->reg, a, list, w->in, out, err);
    }
    if (!strcmp(verb, "remove")) {
        long long id = w->pos[1] ? atoll(w->pos[1]) : 0;
        int rc = eyni_register_watch_remove(
            e->reg, a, list, id, json_string_value(json_object_get(w->in, "reason")), err);
        if (rc == 0)
            *out = json_pack("{s:s, s:I, s:b}", "list", list, "entry", (json_int_t)id, "removed", 1);
        return rc;
    }
    if (!strcmp(verb, "import")) {
        unsigned char *csv;
        size_t len;
        if (!w->pos[1])
            return eyni_error_set(err, EYNI_EINVAL, "eyni watchlist import LIST FILE.csv");
        int rc = eyni_file_read(w->pos[1], (size_t)256 << 20, &csv, &len, err);
        if (rc == 0)
            rc = eyni_register_watch_import(e->reg, a, list, (const char *)csv, len, out, err);
        if (rc == 0)
            free(csv);
        return rc;
    }
    if (!strcmp(verb, "check")) {
        json_t *q = check_query(w);
        int rc = eyni_register_watch_check(e->reg, a, q, out, err);
        json_decref(q);
        return rc;
    }
    return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
}

static int ban_run(const char *verb, watch_args *w, cmd_env *e, eyni_actor *a, json_t **out,
                   eyni_error *err)
{
    if (!strcmp(verb, "add")) {
        json_object_del(w->in, "reason");
        json_object_del(w->in, "date");
        if (!json_object_get(w->in, "legal_basis"))
            return eyni_error_set(err, EYNI_EINVAL, "a ban needs --legal-basis");
        return eyni_register_ban_create(e->reg, a, w->in, out, err);
    }
    if (!strcmp(verb, "lift")) {
        long long id = w->pos[0] ? atoll(w->pos[0]) : 0;
        int rc = eyni_register_ban_lift(e->reg, a, id,
                                        json_string_value(json_object_get(w->in, "reason")), err);
        if (rc == 0)
            *out = json_pack("{s:I, s:b}", "id", (json_int_t)id, "lifted", 1);
        return rc;
    }
    if (!strcmp(verb, "check")) {
        char today[32];
        eyni_time_now_iso(today);
        today[10] = '\0';
        const char *date = json_string_value(json_object_get(w->in, "date"));
        const char *dir = json_string_value(json_object_get(w->in, "direction"));
        return eyni_register_ban_check(e->reg, a, w->in, date ? date : today, dir ? dir : "entry",
                                       out, err);
    }
    return eyni_error_set(err, EYNI_EINVAL, "unknown verb '%s'", verb);
}

typedef int (*run_fn)(const char *, watch_args *, cmd_env *, eyni_actor *, json_t **,
                      eyni_error *);

static int watch_main(int argc, char **argv, run_fn fn, const char *usage)
{
    watch_args w;
    memset(&w, 0, sizeof w);
    if (argc < 2 || parse(argc - 1, argv + 1, &w)) {
        free_args(&w);
        return cli_usage(usage);
    }
    eyni_error err;
    cmd_env e;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(w.data), NULL, 1, &err);
    if (rc == 0) {
        eyni_actor a;
        eyni_actor_local(&a, eyni_config_get(e.cfg, "cli.agency", "LOCAL"),
                         w.purpose ? w.purpose : "command line");
        rc = fn(argv[1], &w, &e, &a, &out, &err);
        cmd_env_close(&e);
    }
    free_args(&w);
    return rc ? cli_fail(&err) : cli_emit(out, w.json);
}

int cli_watchlist(int argc, char **argv)
{
    return watch_main(argc, argv, watch_run,
                      "eyni watchlist create --code C --name N --kind person|vehicle|document "
                      "--legal-basis B --valid-from D [--visible-to AGENCY|*]... | list | "
                      "entries LIST | add LIST --reason R (--surname S --given-name G "
                      "[--variant V]... | --plate P [--vin V] | --number N [--issuing-state S]) | "
                      "remove LIST ENTRY --reason R | import LIST FILE.csv | check (--surname S "
                      "--given-name G | --plate P | --number N) [--data DIR] [--json]");
}

int cli_ban(int argc, char **argv)
{
    return watch_main(argc, argv, ban_run,
                      "eyni ban add --surname S --given-name G [--fin F --birth-date D] "
                      "--direction entry|exit|both --starts D [--ends D] --legal-basis B "
                      "--authority A | lift ID --reason R | check (--fin F | --surname S "
                      "--given-name G) [--date D] [--direction entry|exit] [--data DIR] [--json]");
}
