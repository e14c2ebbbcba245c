/* `eyni dna` against the register's stored profiles (cmd/cli_dna_store.c). */
#ifndef EYNI_CLI_DNA_H
#define EYNI_CLI_DNA_H

#include "eyni/base.h"

/* 1 when argv ("dna", subcommand, ...) is meant for the register: add and remove always;
 * search and kinship with --data (and no --db file); rmp with --data and --fin/--sample. */
int cli_dna_wants_store(int argc, char **argv);
/* Runs such a command; returns the process exit code. */
int cli_dna_store(int argc, char **argv);

/* The one profile of a file as a request's "profile" object (without its own kind/id). */
int cli_dna_profile_file(const char *path, json_t **out, eyni_error *err);

#endif
