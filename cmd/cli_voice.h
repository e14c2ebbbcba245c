/* Helpers shared by `eyni voice` and `eyni bench voice` (command line only). */
#ifndef EYNI_CLI_VOICE_H
#define EYNI_CLI_VOICE_H

#include <stddef.h>

#include "eyni/voice.h"

/* Sorted names in dir: sub-folders (want_dirs) or regular files, filtered by keep. */
int cli_voice_list(const char *dir, int want_dirs, int (*keep)(const char *), char ***out,
                   size_t *n_out, eyni_error *err);
void cli_voice_list_free(char **v, size_t n);
int cli_voice_is_audio(const char *name);

/* DIR/<speaker>/<audio files>, decoded; refused files are counted and reported on stderr. */
typedef struct cli_voice_set {
    size_t n;
    eyni_voice_audio **audio;
    int *speaker; /* index into speakers */
    char **path;  /* full path of each recording */
    char **file;  /* its file name (points into path) */
    size_t n_speakers;
    char **speakers;
    size_t rejected;
    double seconds;            /* total duration of the loaded recordings */
    const eyni_voice_vad *vad; /* detector the set was read with (NULL: energy) */
} cli_voice_set;

/* Reads the set with vad deciding the speech frames (NULL: the built-in detector). */
int cli_voice_set_load(const char *dir, const eyni_voice_vad *vad, cli_voice_set *s,
                       eyni_error *err);

/* --vad energy|silero: silero-vad through ONNX Runtime (the model fetched by
 * scripts/fetch-artifacts.sh), or the built-in detector (*vad and *env stay NULL). */
int cli_voice_vad_open(const char *name, struct eyni_onnx_env **env, eyni_voice_vad **vad,
                       eyni_error *err);
void cli_voice_vad_close(struct eyni_onnx_env *env, eyni_voice_vad *vad);
void cli_voice_set_free(cli_voice_set *s);

#endif
