/* Output, errors and exit codes shared by every `eyni` command. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_fail(const eyni_error *err)
{
    fprintf(stderr, "eyni: %s\n", err->msg[0] ? err->msg : eyni_error_name(err->code));
    switch (err->code) {
    case EYNI_EINVAL:
    case EYNI_EFORMAT:
    case EYNI_ELIMIT:
    case EYNI_ENOTFOUND:
    case EYNI_EEXIST:
    case EYNI_EQUALITY:
    case EYNI_ECONFLICT:
        return CLI_BADINPUT;
    default:
        return CLI_FAILURE;
    }
}

int cli_usage(const char *usage)
{
    fprintf(stderr, "usage: %s\n", usage);
    return CLI_BADINPUT;
}

static void print_human(const json_t *v, int indent)
{
    const char *k;
    const json_t *m;
    json_object_foreach((json_t *)v, k, m)
    {
        if (json_is_object(m)) {
            printf("%*s%s:\n", indent, "", k);
            print_human(m, indent + 2);
        } else {
            char *s = json_is_string(m) ? strdup(json_string_value(m))
                                        : json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%*s%s: %s\n", indent, "", k, s ? s : "?");
            free(s);
        }
    }
}

int cli_emit(json_t *obj, int json)
{
    if (!obj) {
        fprintf(stderr, "eyni: out of memory building output\n");
        return CLI_FAILURE;
    }
    int rc = 0;
    if (json)
        rc = eyni_json_print(obj);
    else
        print_human(obj, 0);
    json_decref(obj);
    return rc ? CLI_FAILURE : CLI_OK;
}

const char *cli_data_dir(const char *flag)
{
    if (flag && *flag)
        return flag;
    const char *home = getenv("EYNI_HOME");
    return home && *home ? home : "./var/eyni";
}
