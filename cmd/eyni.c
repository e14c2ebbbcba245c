/* eyni: the command line front end. Dispatches to one function per command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cli_version(int argc, char **argv);

static const command commands[] = {
    {"version", cli_version, "print the version"},
    {"bench", cli_bench, "measure accuracy and speed (finger, face, voice)"},
    {"finger", cli_finger, "fingerprint extract, compare, quality"},
};

static int cli_version(int argc, char **argv)
{
    printf("eyni 0.1.0\n");
    return CLI_OK;
}

static int help(void)
{
    fprintf(stderr, "usage: eyni COMMAND [ARGS]   (every command takes --data DIR and --json)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stderr, "  %-10s %s\n", commands[i].name, commands[i].summary);
    return CLI_BADINPUT;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)
        return help();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "eyni: unknown command '%s'\n", argv[1]);
    return help();
}
