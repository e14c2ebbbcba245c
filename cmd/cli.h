/*
 * Shared pieces of the `eyni` command line. Every command is a function
 * `int cli_<name>(int argc, char **argv)` where argv[0] is the command's own name; it
 * returns the process exit code: 0 success, 1 negative result, 2 bad input, 3 failure.
 */
#ifndef EYNI_CLI_H
#define EYNI_CLI_H

#include "eyni/base.h"

enum { CLI_OK = 0, CLI_NEGATIVE = 1, CLI_BADINPUT = 2, CLI_FAILURE = 3 };

/* Maps an error to an exit code and prints its one-line message on stderr. */
int cli_fail(const eyni_error *err);
/* Prints usage text on stderr and returns CLI_BADINPUT. */
int cli_usage(const char *usage);
/* Prints obj: one JSON object when json, else "key: value" lines. Takes ownership. */
int cli_emit(json_t *obj, int json);
/* The data directory: --data, else $EYNI_HOME, else ./var/eyni. */
const char *cli_data_dir(const char *flag);

/* Subcommands (each in cmd/cli_<name>.c). */
int cli_bench(int argc, char **argv);
int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_person(int argc, char **argv);
int cli_person_biometrics(int argc, char **argv); /* person biometrics update|delete */
int cli_key(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_office(int argc, char **argv);
int cli_blank(int argc, char **argv);
int cli_watchlist(int argc, char **argv);
int cli_watch(int argc, char **argv);
int cli_ban(int argc, char **argv);
int cli_document(int argc, char **argv);
int cli_enrol(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_identify(int argc, char **argv);
int cli_adjudicate(int argc, char **argv);
int cli_bench_dedup(int argc, char **argv);
int cli_bench_nodes(int argc, char **argv);
int cli_border(int argc, char **argv);
int cli_border_stay(int argc, char **argv); /* border visa|residence ... */
int cli_exchange(int argc, char **argv);
int cli_mrz(int argc, char **argv);
int cli_mrtd(int argc, char **argv);
int cli_pki(int argc, char **argv);

/* Benchmarks (listed in cmd/cli_bench.c). */
int cli_bench_mrtd(int argc, char **argv);
int cli_nist(int argc, char **argv);
int cli_bench_wsq(int argc, char **argv);
int cli_dna(int argc, char **argv);
int cli_bench_dna(int argc, char **argv);
int cli_voice(int argc, char **argv);
int cli_bench_voice(int argc, char **argv);
int cli_face(int argc, char **argv);
int cli_bench_face(int argc, char **argv);
int cli_finger(int argc, char **argv);
int cli_bench_video(int argc, char **argv);


/* Benchmarks (each registered in cmd/cli_bench.c). */
int bench_finger(int argc, char **argv);
int cli_bench_border(int argc, char **argv);
int cli_bench_finger_1n(int argc, char **argv);

#endif
