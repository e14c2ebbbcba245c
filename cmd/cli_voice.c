/* `eyni voice train|enrol|verify|identify`: speaker models and references on files. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_voice.h"
#include "eyni/onnx.h"
#include "eyni/voice.h"

#define MAX_GALLERY 100000

static const char *usage_text =
    "eyni voice train DIR [--out MODEL] [--components K] [--nap N] [--cohort N] [--seed S] [--fmr "
    "F] | "
    "enrol --model MODEL --out REF FILE... | verify --model MODEL --ref REF FILE [--fmr F] | "
    "identify --model MODEL --gallery DIR FILE [--fmr F] [--top N]   (+ --vad energy|silero "
    "--data DIR --json)";

/* ---- listing helpers (shared with the bench) ----------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcasecmp(name + n - e, ext) == 0;
}

int cli_voice_is_audio(const char *name)
{
    return has_ext(name, ".wav") || has_ext(name, ".flac");
}

void cli_voice_list_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int cli_voice_list(const char *dir, int want_dirs, int (*keep)(const char *), char ***out,
                   size_t *n_out, eyni_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: cannot open folder", dir);
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
            continue;
        if (keep && !keep(e->d_name))
            continue;
        if (n == MAX_GALLERY) {
            rc = eyni_error_set(err, EYNI_ELIMIT, "%s: more than %d entries", dir, MAX_GALLERY);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory listing %s", dir);
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name))) {
            rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory listing %s", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (rc) {
        cli_voice_list_free(v, n);
        return rc;
    }
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    *n_out = n;
    return 0;
}

/* ---- options ------------------------------------------------------------------------ */

typedef struct vopts {
    const char *model, *out, *ref, *gallery, *data, *vad_name;
    eyni_onnx_env *env;
    eyni_voice_vad *vad; /* --vad silero; NULL for the built-in detector */
    int json, components, top, nap, cohort;
    double fmr;
    unsigned long long seed;
    char **pos;
    int npos;
} vopts;

static int parse(int argc, char **argv, vopts *o)
{
    memset(o, 0, sizeof *o);
    o->top = 5;
    o->seed = 1;
    o->nap = -1;
    o->cohort = -1;
    o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
    if (!o->pos)
        return -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--model") == 0 && more)
            o->model = argv[++i];
        else if (strcmp(a, "--vad") == 0 && more)
            o->vad_name = argv[++i];
        else if (strcmp(a, "--out") == 0 && more)
            o->out = argv[++i];
        else if (strcmp(a, "--ref") == 0 && more)
            o->ref = argv[++i];
        else if (strcmp(a, "--gallery") == 0 && more)
            o->gallery = argv[++i];
        else if (strcmp(a, "--data") == 0 && more)
            o->data = argv[++i];
        else if (strcmp(a, "--components") == 0 && more)
            o->components = atoi(argv[++i]);
        else if (strcmp(a, "--cohort") == 0 && more)
            o->cohort = atoi(argv[++i]);
        else if (strcmp(a, "--nap") == 0 && more)
            o->nap = atoi(argv[++i]);
        else if (strcmp(a, "--top") == 0 && more)
            o->top = atoi(argv[++i]);
        else if (strcmp(a, "--fmr") == 0 && more)
            o->fmr = strtod(argv[++i], NULL);
        else if (strcmp(a, "--seed") == 0 && more)
            o->seed = strtoull(argv[++i], NULL, 10);
        else if (a[0] == '-' && a[1] == '-')
            return -1;
        else
            o->pos[o->npos++] = argv[i];
    }
    if (o->top < 1 || o->fmr < 0 || o->fmr >= 1)
        return -1;
    return 0;
}

static char *default_model(const vopts *o)
{
    const char *d = cli_data_dir(o->data);
    size_t n = strlen(d) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/voice/model.bin", d);
    return p;
}

static int load_model(const vopts *o, eyni_voice_model **m, eyni_error *err)
{
    char *def = o->model ? NULL : default_model(o);
    int rc = eyni_voice_model_read(o->model ? o->model : def, m, err);
    free(def);
    return rc;
}

static void hex_id(const unsigned char id[32], char out[65])
{
    eyni_hex_encode(id, 32, out);
}

/* ---- train -------------------------------------------------------------------------- */

static int train(const vopts *o)
{
    eyni_error err = {0};
    if (o->npos != 1)
        return cli_usage(usage_text);
    cli_voice_set audio = {0};
    int rc = cli_voice_set_load(o->pos[0], o->vad, &audio, &err);
    if (rc)
        return cli_fail(&err);
    eyni_voice_train_opts to;
    eyni_voice_train_opts_default(&to);
    if (o->components)
        to.components = o->components;
    if (o->fmr > 0)
        to.target_fmr = o->fmr;
    if (o->nap >= 0)
        to.nap_rank = o->nap;
    if (o->cohort >= 0)
        to.cohort = o->cohort;
    to.seed = o->seed;
    eyni_log *log = eyni_log_new(EYNI_LOG_INFO, 0, stderr);
    to.log = log;
    eyni_voice_model *m = NULL;
    double t0 = eyni_time_ms();
    rc = eyni_voice_train((const eyni_voice_audio *const *)audio.audio, audio.speaker, audio.n, &to,
                          &m, &err);
    double secs = (eyni_time_ms() - t0) / 1000;
    eyni_log_free(log);
    char *def = o->out ? NULL : default_model(o);
    const char *path = o->out ? o->out : def;
    if (rc == 0 && !o->out) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/voice", cli_data_dir(o->data));
        rc = eyni_dir_make(dir, &err);
    }
    if (rc == 0)
        rc = eyni_voice_model_write(m, path, &err);
    int code = CLI_OK;
    if (rc) {
        code = cli_fail(&err);
    } else {
        eyni_voice_model_info info;
        eyni_voice_model_get_info(m, &info);
        char id[65];
        hex_id(info.id, id);
        json_t *j = json_pack(
            "{s:s,s:s,s:i,s:i,s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:f}", "model", path, "id", id,
            "components", info.components, "dim", info.dim, "recordings", (json_int_t)audio.n,
            "speakers", (json_int_t)audio.n_speakers, "rejected", (json_int_t)audio.rejected,
            "calib_eer", info.calib_eer, "threshold", eyni_voice_model_threshold(m, 0),
            "target_fmr", info.target_fmr, "calib_genuine", (json_int_t)info.calib_genuine,
            "calib_impostor", (json_int_t)info.calib_impostor, "train_seconds", secs);
        code = cli_emit(j, o->json);
    }
    free(def);
    eyni_voice_model_free(m);
    cli_voice_set_free(&audio);
    return code;
}

/* ---- enrol / verify / identify ---------------------------------------------------- */

static int read_audio(const vopts *o, const char *path, eyni_voice_audio **a, eyni_error *err)
{
    eyni_voice_reason why;
    return eyni_voice_audio_read_vad(path, o->vad, a, &why, err);
}

static int enrol(const vopts *o)
{
    if (!o->out || o->npos < 1)
        return cli_usage(usage_text);
    eyni_error err = {0};
    eyni_voice_model *m = NULL;
    eyni_voice_audio **a = calloc((size_t)o->npos, sizeof *a);
    eyni_voice_ref *r = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    int rc = a ? load_model(o, &m, &err) : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < o->npos; i++)
        rc = read_audio(o, o->pos[i], &a[i], &err);
    if (rc == 0)
        rc = eyni_voice_enrol(m, (const eyni_voice_audio *const *)a, (size_t)o->npos, &r, &err);
    if (rc == 0)
        rc = eyni_voice_ref_save(r, &blob, &len, &err);
    if (rc == 0)
        rc = eyni_file_write_atomic(o->out, blob, len, 0600, &err);
    int code;
    if (rc) {
        code = cli_fail(&err);
    } else {
        size_t recs;
        double secs;
        eyni_voice_ref_get_counts(r, &recs, &secs);
        code =
            cli_emit(json_pack("{s:s,s:I,s:f,s:I}", "ref", o->out, "recordings", (json_int_t)recs,
                               "speech_seconds", secs, "bytes", (json_int_t)len),
                     o->json);
    }
    for (int i = 0; a && i < o->npos; i++)
        eyni_voice_audio_free(a[i]);
    free(a);
    free(blob);
    eyni_voice_ref_free(r);
    eyni_voice_model_free(m);
    return code;
}

static int load_ref(const eyni_voice_model *m, const char *path, eyni_voice_ref **r,
                    eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_file_read(path, EYNI_VOICE_MAX_REF, &buf, &len, err);
    if (rc == 0)
        rc = eyni_voice_ref_load(m, buf, len, path, r, err);
    free(buf);
    return rc;
}

static int probe_file(const vopts *o, const eyni_voice_model *m, const char *path,
                      eyni_voice_probe **p, eyni_error *err)
{
    eyni_voice_audio *a = NULL;
    int rc = read_audio(o, path, &a, err);
    if (rc == 0)
        rc = eyni_voice_probe_new(m, a, p, err);
    eyni_voice_audio_free(a);
    return rc;
}

static int verify(const vopts *o)
{
    if (!o->ref || o->npos != 1)
        return cli_usage(usage_text);
    eyni_error err = {0};
    eyni_voice_model *m = NULL;
    eyni_voice_ref *r = NULL;
    eyni_voice_probe *p = NULL;
    int match = 0;
    double score = 0;
    int rc = load_model(o, &m, &err);
    if (rc == 0)
        rc = load_ref(m, o->ref, &r, &err);
    if (rc == 0)
        rc = probe_file(o, m, o->pos[0], &p, &err);
    if (rc == 0)
        rc = eyni_voice_verify(m, r, p, o->fmr, &match, &score, &err);
    int code;
    if (rc) {
        code = cli_fail(&err);
    } else {
        double fmr = o->fmr > 0 ? o->fmr : 0;
        eyni_voice_model_info info;
        eyni_voice_model_get_info(m, &info);
        code = cli_emit(json_pack("{s:b,s:f,s:f,s:f}", "match", match, "score", score, "threshold",
                                  eyni_voice_model_threshold(m, fmr), "fmr",
                                  fmr > 0 ? fmr : info.target_fmr),
                        o->json);
        if (code == CLI_OK && !match)
            code = CLI_NEGATIVE;
    }
    eyni_voice_probe_free(p);
    eyni_voice_ref_free(r);
    eyni_voice_model_free(m);
    return code;
}

static int is_ref(const char *name)
{
    return has_ext(name, ".ref");
}

typedef struct gallery {
    char **names;
    size_t n;
    eyni_voice_ref **refs;
} gallery;

static void gallery_free(gallery *g)
{
    for (size_t i = 0; g->refs && i < g->n; i++)
        eyni_voice_ref_free(g->refs[i]);
    free(g->refs);
    cli_voice_list_free(g->names, g->n);
}

static int gallery_load(const eyni_voice_model *m, const char *dir, gallery *g, eyni_error *err)
{
    memset(g, 0, sizeof *g);
    int rc = cli_voice_list(dir, 0, is_ref, &g->names, &g->n, err);
    if (rc)
        return rc;
    if (g->n == 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: no .ref files", dir);
    g->refs = calloc(g->n, sizeof *g->refs);
    if (!g->refs)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory loading %s", dir);
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, g->names[i]);
        rc = load_ref(m, path, &g->refs[i], err);
        g->names[i][strlen(g->names[i]) - 4] = '\0'; /* the id is the name without .ref */
    }
    return rc;
}

static int identify(const vopts *o)
{
    if (!o->gallery || o->npos != 1)
        return cli_usage(usage_text);
    eyni_error err = {0};
    eyni_voice_model *m = NULL;
    eyni_voice_probe *p = NULL;
    gallery g = {0};
    eyni_voice_candidate *c = calloc((size_t)o->top, sizeof *c);
    size_t nc = 0;
    int rc = c ? load_model(o, &m, &err) : eyni_error_set(&err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        rc = gallery_load(m, o->gallery, &g, &err);
    if (rc == 0)
        rc = probe_file(o, m, o->pos[0], &p, &err);
    if (rc == 0)
        rc = eyni_voice_identify(m, (const eyni_voice_ref *const *)g.refs, g.n, p, o->fmr, c,
                                 (size_t)o->top, &nc, &err);
    int code;
    if (rc) {
        code = cli_fail(&err);
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < nc; i++)
            json_array_append_new(list, json_pack("{s:s,s:f,s:b}", "id", g.names[c[i].index],
                                                  "score", c[i].score, "match", c[i].match));
        int hit = nc > 0 && c[0].match;
        code = cli_emit(json_pack("{s:b,s:s?,s:f,s:I,s:o}", "match", hit, "best",
                                  hit ? g.names[c[0].index] : NULL, "threshold",
                                  eyni_voice_model_threshold(m, o->fmr), "gallery", (json_int_t)g.n,
                                  "candidates", list),
                        o->json);
        if (code == CLI_OK && !hit)
            code = CLI_NEGATIVE;
    }
    free(c);
    gallery_free(&g);
    eyni_voice_probe_free(p);
    eyni_voice_model_free(m);
    return code;
}

int cli_voice(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(usage_text);
    vopts o;
    if (parse(argc, argv, &o) != 0) {
        free(o.pos);
        return cli_usage(usage_text);
    }
    eyni_error err;
    if (cli_voice_vad_open(o.vad_name, &o.env, &o.vad, &err) != 0) {
        free(o.pos);
        return cli_fail(&err);
    }
    int rc;
    if (strcmp(argv[1], "train") == 0)
        rc = train(&o);
    else if (strcmp(argv[1], "enrol") == 0)
        rc = enrol(&o);
    else if (strcmp(argv[1], "verify") == 0)
        rc = verify(&o);
    else if (strcmp(argv[1], "identify") == 0)
        rc = identify(&o);
    else
        rc = cli_usage(usage_text);
    cli_voice_vad_close(o.env, o.vad);
    free(o.pos);
    return rc;
}
