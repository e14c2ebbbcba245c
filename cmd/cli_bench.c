/* `eyni bench KIND DIR`: dispatch to each engine's benchmark (declared in cli.h). */
#include <string.h>

#include "cli.h"

typedef struct bench {
    const char *name;
    int (*run)(int argc, char **argv);
} bench;

static const bench benches[] = {
    {"dedup", cli_bench_dedup},
    {"nodes", cli_bench_nodes},
    {"mrtd", cli_bench_mrtd},
    {"wsq", cli_bench_wsq},
    {"dna", cli_bench_dna},
    {"voice", cli_bench_voice},
    {"face", cli_bench_face},
    {"finger", bench_finger},
    {"border", cli_bench_border},
    {"video", cli_bench_video},
    {"finger-1n", cli_bench_finger_1n},
    {NULL, NULL},
};

int cli_bench(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("eyni bench (finger|face|voice) DIR [--json]");
    for (size_t i = 0; benches[i].name; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].run(argc - 1, argv + 1);
    fprintf(stderr, "eyni bench: no benchmark named '%s' in this build\n", argv[1]);
    return CLI_BADINPUT;
}
