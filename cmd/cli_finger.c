/* `eyni finger extract|compare|quality` and `eyni bench finger DIR`. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eyni/finger.h"

#define USAGE                                                                                      \
    "eyni finger extract IMG [-o FILE.iso] [--ansi] [--ppi N] [--position N] [--json]\n"           \
    "       eyni finger compare A B [--ppi N] [--json]   (images or ISO/ANSI records)\n"           \
    "       eyni finger quality IMG [--ppi N] [--json]"

typedef struct fopts {
    const char *in[2];
    int nin;
    const char *out;
    int json, ansi, position;
    double ppi;
} fopts;

static int parse(int argc, char **argv, fopts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--ansi") == 0)
            o->ansi = 1;
        else if (strcmp(a, "-o") == 0 && more)
            o->out = argv[++i];
        else if (strcmp(a, "--ppi") == 0 && more)
            o->ppi = atof(argv[++i]);
        else if (strcmp(a, "--position") == 0 && more)
            o->position = atoi(argv[++i]);
        else if (strcmp(a, "--data") == 0 && more)
            (void)cli_data_dir(argv[++i]);
        else if (a[0] == '-' || o->nin == 2)
            return -1;
        else
            o->in[o->nin++] = a;
    }
    return 0;
}

/* A template from an image or a record, told by the first bytes. */
static int load_any(const char *path, const fopts *o, eyni_finger_template **t,
                    eyni_finger_quality *q, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_file_read(path, EYNI_IMAGE_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    if (len >= 4 && memcmp(buf, "FMR", 4) == 0) {
        rc = eyni_finger_template_read(buf, len, path, t, NULL, err);
        if (!rc && q)
            memset(q, 0, sizeof *q), q->score = (*t)->quality;
    } else {
        eyni_image *img = NULL;
        rc = eyni_image_decode(buf, len, 1, &img, err);
        if (rc) {
            eyni_error_prefix(err, "%s: ", path);
        } else {
            eyni_finger_opts fo = {o->ppi, o->position};
            rc = eyni_finger_extract(img, &fo, t, q, err);
            if (rc)
                eyni_error_prefix(err, "%s: ", path);
        }
        eyni_image_free(img);
    }
    free(buf);
    return rc;
}

static json_t *quality_json(const eyni_finger_quality *q)
{
    return json_pack("{s:i,s:f,s:f,s:f,s:f,s:i,s:f}", "score", q->score, "foreground",
                     q->foreground, "coherence", q->coherence, "clarity", q->clarity, "freq_valid",
                     q->freq_valid, "minutiae", q->minutiae, "reliability", q->reliability);
}

static int cmd_extract(const fopts *o)
{
    eyni_finger_template *t = NULL;
    eyni_finger_quality q;
    eyni_error err;
    unsigned char *rec = NULL;
    size_t len = 0;
    int rc = load_any(o->in[0], o, &t, &q, &err);
    if (!rc)
        rc = eyni_finger_template_write(t, o->ansi ? EYNI_FINGER_ANSI : EYNI_FINGER_ISO, &rec, &len,
                                        &err);
    if (!rc && o->out)
        rc = eyni_file_write_atomic(o->out, rec, len, 0644, &err);
    if (rc) {
        eyni_finger_template_free(t);
        free(rec);
        return cli_fail(&err);
    }
    json_t *mins = json_array();
    for (int i = 0; i < t->n_minutiae; i++) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        json_array_append_new(mins,
                              json_pack("{s:i,s:i,s:f,s:s,s:i}", "x", m->x, "y", m->y, "angle_deg",
                                        m->angle * 180 / M_PI, "type",
                                        m->type == EYNI_FINGER_ENDING ? "ending" : "bifurcation",
                                        "quality", m->quality));
    }
    json_t *sing = json_array();
    for (int i = 0; i < t->n_singular; i++)
        json_array_append_new(sing, json_pack("{s:i,s:i,s:s}", "x", t->singular[i].x, "y",
                                              t->singular[i].y, "type",
                                              t->singular[i].type == 1 ? "core" : "delta"));
    json_t *obj = json_pack("{s:i,s:i,s:i,s:o,s:o,s:o,s:I}", "width", t->width, "height", t->height,
                            "quality", t->quality, "quality_features", quality_json(&q), "minutiae",
                            mins, "singular", sing, "record_bytes", (json_int_t)len);
    if (o->out)
        json_object_set_new(obj, "output", json_string(o->out));
    eyni_finger_template_free(t);
    free(rec);
    return cli_emit(obj, o->json);
}

static int cmd_compare(const fopts *o)
{
    eyni_finger_template *a = NULL, *b = NULL;
    eyni_error err;
    int rc = load_any(o->in[0], o, &a, NULL, &err);
    if (!rc)
        rc = load_any(o->in[1], o, &b, NULL, &err);
    if (rc) {
        eyni_finger_template_free(a);
        return cli_fail(&err);
    }
    double s = eyni_finger_compare(a, b);
    int match = s >= EYNI_FINGER_THRESHOLD_FMR_1E4;
    json_t *obj = json_pack("{s:f,s:b,s:f,s:s}", "score", s, "match", match, "threshold",
                            EYNI_FINGER_THRESHOLD_FMR_1E4, "scale",
                            "0..1 similarity; threshold is the FMR 1e-4 operating point");
    eyni_finger_template_free(a);
    eyni_finger_template_free(b);
    int out = cli_emit(obj, o->json);
    return out ? out : match ? CLI_OK : CLI_NEGATIVE;
}

static int cmd_quality(const fopts *o)
{
    eyni_finger_template *t = NULL;
    eyni_finger_quality q;
    eyni_error err;
    if (load_any(o->in[0], o, &t, &q, &err))
        return cli_fail(&err);
    eyni_finger_template_free(t);
    return cli_emit(quality_json(&q), o->json);
}

int cli_finger(int argc, char **argv)
{
    fopts o;
    if (argc < 2 || parse(argc - 1, argv + 1, &o))
        return cli_usage(USAGE);
    if (strcmp(argv[1], "extract") == 0 && o.nin == 1)
        return cmd_extract(&o);
    if (strcmp(argv[1], "compare") == 0 && o.nin == 2)
        return cmd_compare(&o);
    if (strcmp(argv[1], "quality") == 0 && o.nin == 1)
        return cmd_quality(&o);
    return cli_usage(USAGE);
}
