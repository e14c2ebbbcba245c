/* eyni: the command line front end. Dispatches to one function per command. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cli_version(int argc, char **argv);

static const command commands[] = {
    {"version", cli_version, "print the version"},
    {"init", cli_init, "create a data directory, database and administrator key"},
    {"serve", cli_serve, "run the HTTP/JSON server (same as eynid)"},
    {"person", cli_person, "add, show, find, update persons in the register"},
    {"key", cli_key, "create, revoke, list API keys"},
    {"audit", cli_audit, "list and verify the audit log"},
    {"office", cli_office, "add and list offices"},
    {"blank", cli_blank, "document blank stock: receive, send, accept, take, reconcile"},
    {"watchlist", cli_watchlist, "watchlists of persons, vehicles and invalid documents"},
    {"watch", cli_watch, "faces in video streams against the wanted list; alerts"},
    {"ban", cli_ban, "entry and exit bans"},
    {"document", cli_document, "issue documents and change their status"},
    {"enrol", cli_enrol, "enrol a person with face and fingerprints (FIN uniqueness check)"},
    {"verify", cli_verify, "1:1 verification of a FIN against live samples"},
    {"identify", cli_identify, "1:N identification against the register"},
    {"adjudicate", cli_adjudicate, "list, show and decide possible-duplicate cases"},
    {"border", cli_border, "traveller check at a checkpoint; crossing records"},
    {"face", cli_face, "detect, compare and check the quality of faces"},
    {"bench", cli_bench, "measure accuracy and speed (finger, face, voice)"},
    {"mrz", cli_mrz, "check, build and transliterate ICAO 9303 machine readable zones"},
    {"mrtd", cli_mrtd, "verify (passive authentication), decode and build chip data"},
    {"pki", cli_pki, "document PKI: keys, CSCA, document signers, CRLs, master lists"},
    {"nist", cli_nist, "ANSI/NIST-ITL transactions: dump, validate, images; WSQ encode/decode"},
    {"dna", cli_dna, "STR profiles: rmp, kinship, search, simulate, freq"},
    {"voice", cli_voice, "speaker models: train, enrol, verify, identify"},
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
    umask(077); /* databases, keys and chip files hold personal data: owner only */
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)
        return help();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd_exit(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "eyni: unknown command '%s'\n", argv[1]);
    return help();
}
