/* What the `eyni` commands and `eynid` share: loading the configuration of a data
 * directory and opening the register and logger it describes. */
#ifndef EYNI_CMD_COMMON_H
#define EYNI_CMD_COMMON_H

#include "eyni/base.h"
#include "eyni/identity.h"
#include "eyni/register.h"

typedef struct cmd_env {
    char data[4096];
    eyni_config *cfg;
    eyni_log *log;
    eyni_register *reg;
    char node_key[EYNI_KEY_TOKEN_MAX]; /* gallery.node_key's file read; "" when unset */
} cmd_env;

/* Configuration in increasing precedence: defaults, DATA/eyni.conf, EYNI_* environment,
 * then the "key=value" overrides given by flags (NULL-terminated, may be NULL). With
 * open_register the register is opened too; a data directory without eyni.conf is
 * ENOTFOUND with a hint to run `eyni init`. */
int cmd_env_open(cmd_env *e, const char *data_dir, const char *const *overrides, int open_register,
                 eyni_error *err);
void cmd_env_close(cmd_env *e);
/* Path of a file inside the data directory (relative names resolve against it). */
void cmd_env_path(const cmd_env *e, const char *name, char *out, size_t cap);
/* Path of the speaker model for the identity service: voice.model, by default
 * voice/model.bin (where `eyni voice train` writes), resolved against the data directory. */
const char *cmd_env_voice_model(const cmd_env *e, char *out, size_t cap);
/* The identity service over e's register, configured from e (identity.*, gallery.*); with
 * voice the speaker model too (loading it costs time, so commands without voice skip it). */
int cmd_env_identity(const cmd_env *e, int voice, eyni_identity **id, eyni_error *err);

/* Runs the HTTP server until SIGINT/SIGTERM (shared by `eyni serve` and `eynid`). */
/* A throw-away keyed register for a benchmark: /tmp/eyni-bench-<tag>-XXXXXX (path in dir) with
 * a fresh data key and SQLite, pool connections. */
int cmd_bench_register(const char *tag, int pool, char *dir, size_t cap, eyni_register **reg,
                       eyni_error *err);
int cmd_serve(int argc, char **argv);
/* Ends the process with code after an orderly shutdown (everything of ours closed). Skips
 * the C++ static destructors: ONNX Runtime keeps a process-lifetime thread pool that can
 * still be awake while they run (seen as a heap-use-after-free at exit under ASan when a
 * server is stopped soon after a search). Leak checking still runs under the sanitizers. */
_Noreturn void cmd_exit(int code);

#endif
