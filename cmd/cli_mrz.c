/* `eyni mrz check|build|translit`: ICAO 9303 machine readable zones. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/mrtd.h"

#define MRZ_USAGE                                                                                  \
    "eyni mrz check TEXT|- [--json] [--data DIR]\n"                                                \
    "       eyni mrz build --format TD1|TD2|TD3|MRV-A|MRV-B --code C --issuer XXX\n"               \
    "             --surname S [--given G] --number N --nationality XXX --birth YYMMDD\n"           \
    "             --sex M|F|X --expiry YYMMDD [--optional X] [--optional2 X] [--json]\n"           \
    "       eyni mrz translit NAME [--json]"

static int check(int argc, char **argv)
{
    const char *text = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            cli_data_dir(argv[++i]);
        else if (!text)
            text = argv[i];
        else
            return cli_usage(MRZ_USAGE);
    }
    if (!text)
        return cli_usage(MRZ_USAGE);
    char buf[EYNI_MRZ_MAX_INPUT + 2];
    if (strcmp(text, "-") == 0) {
        size_t n = fread(buf, 1, sizeof buf - 1, stdin);
        buf[n] = '\0';
        text = buf;
    }
    eyni_mrz m;
    eyni_error err;
    if (eyni_mrz_parse(text, strlen(text), &m, &err) != 0)
        return cli_fail(&err);
    int rc = cli_emit(eyni_mrz_to_json(&m), json);
    return rc ? rc : m.valid ? CLI_OK : CLI_NEGATIVE;
}

static int parse_format(const char *s, eyni_mrz_format *f)
{
    static const char *const names[] = {"TD1", "TD2", "TD3", "MRV-A", "MRV-B"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *f = (eyni_mrz_format)i;
            return 0;
        }
    return -1;
}

static int build(int argc, char **argv)
{
    eyni_mrz_fields f;
    memset(&f, 0, sizeof f);
    int json = 0, have_format = 0;
    struct {
        const char *flag;
        const char **dst;
    } opts[] = {{"--code", &f.document_code},     {"--issuer", &f.issuer},
                {"--surname", &f.primary},        {"--given", &f.secondary},
                {"--number", &f.document_number}, {"--nationality", &f.nationality},
                {"--birth", &f.birth_date},       {"--sex", &f.sex},
                {"--expiry", &f.expiry_date},     {"--optional", &f.optional1},
                {"--optional2", &f.optional2}};
    for (int i = 1; i < argc; i++) {
        int done = 0;
        if (strcmp(argv[i], "--json") == 0) {
            json = done = 1;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (parse_format(argv[++i], &f.format))
                return cli_usage(MRZ_USAGE);
            have_format = done = 1;
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            cli_data_dir(argv[++i]);
            done = 1;
        }
        for (size_t k = 0; !done && k < sizeof opts / sizeof opts[0]; k++)
            if (strcmp(argv[i], opts[k].flag) == 0 && i + 1 < argc) {
                *opts[k].dst = argv[++i];
                done = 1;
            }
        if (!done)
            return cli_usage(MRZ_USAGE);
    }
    if (!have_format || !f.primary)
        return cli_usage(MRZ_USAGE);
    char out[160];
    eyni_error err;
    if (eyni_mrz_build(&f, out, sizeof out, &err) != 0)
        return cli_fail(&err);
    eyni_mrz m;
    if (eyni_mrz_parse(out, strlen(out), &m, &err) != 0)
        return cli_fail(&err);
    json_t *o = eyni_mrz_to_json(&m);
    if (o)
        json_object_set_new(o, "mrz", json_string(out));
    return cli_emit(o, json);
}

static int translit(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(MRZ_USAGE);
    int json = argc > 2 && strcmp(argv[2], "--json") == 0;
    char out[256];
    eyni_error err;
    if (eyni_mrz_transliterate(argv[1], out, sizeof out, &err) != 0)
        return cli_fail(&err);
    return cli_emit(json_pack("{s:s,s:s}", "input", argv[1], "mrz", out), json);
}

int cli_mrz(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(MRZ_USAGE);
    if (strcmp(argv[1], "check") == 0)
        return check(argc - 1, argv + 1);
    if (strcmp(argv[1], "build") == 0)
        return build(argc - 1, argv + 1);
    if (strcmp(argv[1], "translit") == 0)
        return translit(argc - 1, argv + 1);
    return cli_usage(MRZ_USAGE);
}
