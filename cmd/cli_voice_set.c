/* Loading a speech set laid out as DIR/<speaker>/<audio files>. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_voice.h"
#include "eyni/onnx.h"

static int grow(cli_voice_set *s, size_t *cap)
{
    if (s->n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    eyni_voice_audio **a = realloc(s->audio, nc * sizeof *a);
    if (!a)
        return -1;
    s->audio = a;
    int *sp = realloc(s->speaker, nc * sizeof *sp);
    if (!sp)
        return -1;
    s->speaker = sp;
    char **p = realloc(s->path, nc * sizeof *p);
    if (!p)
        return -1;
    s->path = p;
    char **f = realloc(s->file, nc * sizeof *f);
    if (!f)
        return -1;
    s->file = f;
    *cap = nc;
    return 0;
}

static int load_speaker(const char *dir, int si, cli_voice_set *s, size_t *cap, eyni_error *err)
{
    char **files = NULL;
    size_t nf = 0;
    int rc = cli_voice_list(dir, 0, cli_voice_is_audio, &files, &nf, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < nf; i++) {
        size_t len = strlen(dir) + strlen(files[i]) + 2;
        char *path = malloc(len);
        if (!path || grow(s, cap)) {
            free(path);
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory loading %s", dir);
            break;
        }
        snprintf(path, len, "%s/%s", dir, files[i]);
        eyni_voice_audio *a = NULL;
        eyni_error e2 = {0};
        if (eyni_voice_audio_read_vad(path, s->vad, &a, NULL, &e2) != 0) {
            fprintf(stderr, "eyni: skipped %s\n", e2.msg);
            s->rejected++;
            free(path);
            continue;
        }
        s->audio[s->n] = a;
        s->speaker[s->n] = si;
        s->path[s->n] = path;
        s->file[s->n] = path + strlen(dir) + 1;
        s->seconds += eyni_voice_audio_seconds(a);
        s->n++;
    }
    cli_voice_list_free(files, nf);
    return rc;
}

int cli_voice_vad_open(const char *name, eyni_onnx_env **env, eyni_voice_vad **vad, eyni_error *err)
{
    *env = NULL;
    *vad = NULL;
    if (!name || !strcmp(name, "energy"))
        return 0;
    if (strcmp(name, "silero") != 0)
        return eyni_error_set(err, EYNI_EINVAL, "--vad must be energy or silero, not '%.32s'",
                              name);
    int rc = eyni_onnx_env_new("eyni-voice", env, err);
    if (rc == 0)
        rc = eyni_voice_vad_open(*env, NULL, vad, err);
    if (rc) {
        eyni_onnx_env_free(*env);
        *env = NULL;
    }
    return rc;
}

void cli_voice_vad_close(eyni_onnx_env *env, eyni_voice_vad *vad)
{
    eyni_voice_vad_free(vad);
    eyni_onnx_env_free(env);
}

int cli_voice_set_load(const char *dir, const eyni_voice_vad *vad, cli_voice_set *s,
                       eyni_error *err)
{
    memset(s, 0, sizeof *s);
    s->vad = vad;
    int rc = cli_voice_list(dir, 1, NULL, &s->speakers, &s->n_speakers, err);
    if (rc)
        return rc;
    if (s->n_speakers < 2) {
        cli_voice_set_free(s);
        return eyni_error_set(err, EYNI_EINVAL, "%s: need at least two speaker folders", dir);
    }
    size_t cap = 0;
    for (size_t i = 0; i < s->n_speakers && rc == 0; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, s->speakers[i]);
        rc = load_speaker(sub, (int)i, s, &cap, err);
        fprintf(stderr, "loading %s: %zu recordings\n", sub, s->n);
    }
    if (rc)
        cli_voice_set_free(s);
    return rc;
}

void cli_voice_set_free(cli_voice_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        eyni_voice_audio_free(s->audio[i]);
        free(s->path[i]);
    }
    free(s->audio);
    free(s->speaker);
    free(s->path);
    free(s->file);
    cli_voice_list_free(s->speakers, s->n_speakers);
    memset(s, 0, sizeof *s);
}
