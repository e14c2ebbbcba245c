/*
 * `eyni nist dump|validate|images FILE` and `eyni nist wsq encode|decode IN OUT`:
 * ANSI/NIST-ITL transactions and WSQ images from the command line; `eyni bench wsq DIR`
 * measures WSQ round trips over a folder of fingerprint images.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "eyni/image.h"
#include "eyni/nist.h"

#define NIST_USAGE                                                                                 \
    "eyni nist dump FILE [--json] | validate FILE [--json] | images FILE OUTDIR [--json] |\n"      \
    "       eyni nist wsq encode IN OUT [--bitrate R] [--ppi N] | wsq decode IN OUT.png"
#define MAX_POS 4

typedef struct args {
    const char *pos[MAX_POS];
    int npos;
    int json;
    double bitrate;
    int ppi;
    const char *data;
} args;

/* Flags anywhere; returns -1 on a bad flag or too many positional arguments. */
static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->bitrate = EYNI_WSQ_DEFAULT_BITRATE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a->json = 1;
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            a->data = argv[++i];
        } else if (strcmp(argv[i], "--bitrate") == 0 && i + 1 < argc) {
            char *end;
            a->bitrate = strtod(argv[++i], &end);
            if (*end || a->bitrate <= 0 || a->bitrate > 8)
                return -1;
        } else if (strcmp(argv[i], "--ppi") == 0 && i + 1 < argc) {
            a->ppi = atoi(argv[++i]);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return -1;
        } else if (a->npos < MAX_POS) {
            a->pos[a->npos++] = argv[i];
        } else {
            return -1;
        }
    }
    cli_data_dir(a->data);
    return 0;
}

/* ---- dump ----------------------------------------------------------------------------- */

/* Items of a text value: [[item, ...], ...] split at RS and US. */
static json_t *subfields(const unsigned char *v, size_t len)
{
    json_t *subs = json_array(), *items = json_array();
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && v[i] != 0x1E && v[i] != 0x1F)
            continue;
        json_t *s = json_stringn((const char *)v + start, i - start);
        json_array_append_new(items, s ? s : json_null());
        if (i == len || v[i] == 0x1E) {
            json_array_append_new(subs, items);
            items = i < len ? json_array() : NULL;
        }
        start = i + 1;
    }
    json_decref(items);
    return subs;
}

static json_t *field_json(const eyni_nist_record *r, size_t i)
{
    int num;
    const unsigned char *v;
    size_t len;
    const char *tag;
    eyni_nist_field_at(r, i, &num, &v, &len, &tag);
    json_t *f = json_pack("{s:s, s:i}", "tag", tag, "field", num);
    json_t *s = num == 999 ? NULL : json_stringn((const char *)v, len);
    if (s) {
        json_object_set_new(f, "value", s);
        if (memchr(v, 0x1E, len) || memchr(v, 0x1F, len))
            json_object_set_new(f, "subfields", subfields(v, len));
    } else {
        json_object_set_new(f, "bytes", json_integer((json_int_t)len));
        json_object_set_new(f, "format",
                            json_string(eyni_image_format_name(eyni_image_sniff(v, len))));
    }
    return f;
}

static json_t *record_json(const eyni_nist *t, size_t idx)
{
    const eyni_nist_record *r = eyni_nist_record_at(t, idx);
    int idc = eyni_nist_record_idc(r);
    json_t *o =
        json_pack("{s:i, s:i, s:o, s:b, s:I}", "index", (int)idx, "type", eyni_nist_record_type(r),
                  "idc", idc >= 0 ? json_integer(idc) : json_null(), "binary",
                  eyni_nist_record_is_binary(r), "length", (json_int_t)eyni_nist_record_length(r));
    json_t *fields = json_array();
    for (size_t i = 0; i < eyni_nist_field_count(r); i++)
        json_array_append_new(fields, field_json(r, i));
    json_object_set_new(o, "fields", fields);
    eyni_nist_binary_header h;
    if (eyni_nist_record_binary_header(r, &h) == 0) {
        json_t *fgp = json_array();
        for (int i = 0; i < 6 && h.fgp[0] >= 0; i++)
            json_array_append_new(fgp, json_integer(h.fgp[i]));
        json_object_set_new(o, "header",
                            json_pack("{s:I, s:i, s:i, s:o, s:i, s:i, s:i, s:i}", "len",
                                      (json_int_t)h.length, "idc", h.idc, "imp", h.imp, "fgp", fgp,
                                      "isr", h.isr, "hll", h.width, "vll", h.height, "gca", h.gca));
    }
    eyni_nist_image_info in;
    if (eyni_nist_record_image(t, r, &in, NULL) == 0)
        json_object_set_new(
            o, "image",
            json_pack("{s:s, s:s, s:i, s:i, s:i, s:f, s:i, s:I}", "compression", in.compression,
                      "format", eyni_image_format_name(eyni_image_sniff(in.data, in.len)), "width",
                      in.width, "height", in.height, "bits", in.bits, "ppi", in.ppi, "position",
                      in.position, "bytes", (json_int_t)in.len));
    return o;
}

static json_t *problems_json(const eyni_nist_problem *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}", "kind",
                                           eyni_nist_problem_name(p[i].kind), "record", p[i].record,
                                           "field", p[i].field, "message", p[i].msg));
    return a;
}

/* Separators shown as '|' (RS) and '^' (US); other controls as '.'. */
static void print_value(const unsigned char *v, size_t len)
{
    size_t n = len > 200 ? 200 : len;
    for (size_t i = 0; i < n; i++)
        putchar(v[i] == 0x1E ? '|' : v[i] == 0x1F ? '^' : v[i] < 0x20 ? '.' : v[i]);
    if (n < len)
        printf("... (%zu bytes)", len);
}

static void print_dump(const char *path, const eyni_nist *t)
{
    printf("%s: %zu records\n", path, eyni_nist_record_count(t));
    for (size_t i = 0; i < eyni_nist_record_count(t); i++) {
        const eyni_nist_record *r = eyni_nist_record_at(t, i);
        printf("record %zu: Type-%d IDC %d, %zu bytes%s\n", i, eyni_nist_record_type(r),
               eyni_nist_record_idc(r), eyni_nist_record_length(r),
               eyni_nist_record_is_binary(r) ? ", binary" : "");
        eyni_nist_binary_header h;
        if (eyni_nist_record_binary_header(r, &h) == 0)
            printf("  header: IMP %d, FGP %d, ISR %d, HLL %d, VLL %d, GCA %d\n", h.imp, h.fgp[0],
                   h.isr, h.width, h.height, h.gca);
        for (size_t k = 0; k < eyni_nist_field_count(r); k++) {
            int num;
            const unsigned char *v;
            size_t len;
            const char *tag;
            eyni_nist_field_at(r, k, &num, &v, &len, &tag);
            printf("  %s = ", tag);
            if (num == 999)
                printf("<%zu bytes %s>", len, eyni_image_format_name(eyni_image_sniff(v, len)));
            else
                print_value(v, len);
            putchar('\n');
        }
        eyni_nist_image_info in;
        if (eyni_nist_record_image(t, r, &in, NULL) == 0)
            printf("  image: %s %dx%d, %d bits, %.0f ppi, position %d, %zu bytes\n", in.compression,
                   in.width, in.height, in.bits, in.ppi, in.position, in.len);
    }
}

static int nist_dump(const args *a)
{
    eyni_nist *t = NULL;
    eyni_error err;
    if (eyni_nist_load(a->pos[1], &t, &err))
        return cli_fail(&err);
    size_t np;
    const eyni_nist_problem *p = eyni_nist_parse_problems(t, &np);
    if (!a->json) {
        print_dump(a->pos[1], t);
        for (size_t i = 0; i < np; i++)
            printf("problem: %s: %s\n", eyni_nist_problem_name(p[i].kind), p[i].msg);
        eyni_nist_free(t);
        return CLI_OK;
    }
    json_t *recs = json_array();
    for (size_t i = 0; i < eyni_nist_record_count(t); i++)
        json_array_append_new(recs, record_json(t, i));
    json_t *o = json_pack("{s:s, s:I, s:o, s:o}", "file", a->pos[1], "record_count",
                          (json_int_t)eyni_nist_record_count(t), "records", recs, "problems",
                          problems_json(p, np));
    eyni_nist_free(t);
    return cli_emit(o, 1);
}

static int nist_validate(const args *a)
{
    eyni_nist *t = NULL;
    eyni_error err;
    if (eyni_nist_load(a->pos[1], &t, &err))
        return cli_fail(&err);
    eyni_nist_problem *p = NULL;
    size_t np = 0;
    int rc = eyni_nist_validate(t, &p, &np, &err);
    eyni_nist_free(t);
    if (rc)
        return cli_fail(&err);
    if (!a->json)
        for (size_t i = 0; i < np; i++)
            fprintf(stderr, "%s: %s\n", eyni_nist_problem_name(p[i].kind), p[i].msg);
    json_t *o = json_pack("{s:s, s:b, s:I, s:o}", "file", a->pos[1], "valid", np == 0,
                          "problem_count", (json_int_t)np, "problems", problems_json(p, np));
    free(p);
    rc = cli_emit(o, a->json);
    return rc ? rc : np ? CLI_NEGATIVE : CLI_OK;
}

/* Writes every record's image as OUTDIR/rec<NN>-type<T>.png. */
static int nist_images(const args *a)
{
    eyni_nist *t = NULL;
    eyni_error err;
    if (eyni_nist_load(a->pos[1], &t, &err))
        return cli_fail(&err);
    if (eyni_dir_make(a->pos[2], &err)) {
        eyni_nist_free(t);
        return cli_fail(&err);
    }
    json_t *list = json_array();
    int failed = 0;
    for (size_t i = 1; i < eyni_nist_record_count(t); i++) {
        const eyni_nist_record *r = eyni_nist_record_at(t, i);
        eyni_nist_image_info in;
        if (eyni_nist_record_image(t, r, &in, NULL))
            continue;
        eyni_image *img = NULL;
        char path[4096];
        snprintf(path, sizeof path, "%s/rec%02zu-type%d.png", a->pos[2], i, in.type);
        if (eyni_nist_record_decode_image(t, r, &img, &err) == 0 &&
            eyni_image_save(img, path, &err) == 0) {
            json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:i, s:i}", "record", (int)i,
                                                  "file", path, "compression", in.compression,
                                                  "width", img->width, "height", img->height));
        } else {
            fprintf(stderr, "record %zu: %s\n", i, err.msg);
            failed++;
        }
        eyni_image_free(img);
    }
    eyni_nist_free(t);
    return cli_emit(json_pack("{s:o, s:i}", "images", list, "failed", failed), a->json);
}

/* ---- WSQ utilities --------------------------------------------------------------------- */

static int wsq_encode_file(const args *a)
{
    eyni_image *img = NULL;
    eyni_error err;
    unsigned char *buf = NULL;
    size_t len;
    if (eyni_image_load(a->pos[2], 1, &img, &err) ||
        eyni_image_encode_wsq(img, a->bitrate, a->ppi, &buf, &len, &err) ||
        eyni_file_write_atomic(a->pos[3], buf, len, 0644, &err)) {
        eyni_image_free(img);
        free(buf);
        return cli_fail(&err);
    }
    json_t *o = json_pack("{s:s, s:I, s:f, s:f}", "output", a->pos[3], "bytes", (json_int_t)len,
                          "ratio", (double)img->width * img->height / (double)len, "bits_per_pixel",
                          8.0 * (double)len / img->width / img->height);
    eyni_image_free(img);
    free(buf);
    return cli_emit(o, a->json);
}

static int wsq_decode_file(const args *a)
{
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_load(a->pos[2], 0, &img, &err) || eyni_image_save(img, a->pos[3], &err)) {
        eyni_image_free(img);
        return cli_fail(&err);
    }
    json_t *o = json_pack("{s:s, s:i, s:i, s:f}", "output", a->pos[3], "width", img->width,
                          "height", img->height, "ppi", img->ppi);
    eyni_image_free(img);
    return cli_emit(o, a->json);
}

int cli_nist(int argc, char **argv)
{
    /* Import into and export from the register are the identity service's side. */
    if (argc > 1 && (!strcmp(argv[1], "import") || !strcmp(argv[1], "export")))
        return cli_exchange(argc - 1, argv + 1);
    args a;
    if (parse_args(argc, argv, &a) || a.npos < 2)
        return cli_usage(NIST_USAGE);
    const char *cmd = a.pos[0];
    if (strcmp(cmd, "dump") == 0 && a.npos == 2)
        return nist_dump(&a);
    if (strcmp(cmd, "validate") == 0 && a.npos == 2)
        return nist_validate(&a);
    if (strcmp(cmd, "images") == 0 && a.npos == 3)
        return nist_images(&a);
    if (strcmp(cmd, "wsq") == 0 && a.npos == 4 && strcmp(a.pos[1], "encode") == 0)
        return wsq_encode_file(&a);
    if (strcmp(cmd, "wsq") == 0 && a.npos == 4 && strcmp(a.pos[1], "decode") == 0)
        return wsq_decode_file(&a);
    return cli_usage(NIST_USAGE);
}

/* ---- bench wsq ------------------------------------------------------------------------- */

typedef struct wsq_stats {
    int images;
    double se, pixels, bytes, encode_ms, decode_ms;
} wsq_stats;

static int is_image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (strcmp(dot, ".tif") == 0 || strcmp(dot, ".png") == 0 ||
                   strcmp(dot, ".bmp") == 0 || strcmp(dot, ".pgm") == 0);
}

static int bench_one(const char *path, double rate, wsq_stats *s, eyni_error *err)
{
    eyni_image *img = NULL, *back = NULL;
    unsigned char *buf = NULL;
    size_t len;
    int rc = eyni_image_load(path, 1, &img, err);
    double t0 = eyni_time_ms();
    if (!rc)
        rc = eyni_image_encode_wsq(img, rate, 500, &buf, &len, err);
    double t1 = eyni_time_ms();
    if (!rc)
        rc = eyni_image_decode_wsq(buf, len, &back, err);
    double t2 = eyni_time_ms();
    if (!rc) {
        size_t n = (size_t)img->width * img->height;
        for (size_t i = 0; i < n; i++) {
            double d = (double)img->data[i] - back->data[i];
            s->se += d * d;
        }
        s->pixels += (double)n;
        s->bytes += (double)len;
        s->encode_ms += t1 - t0;
        s->decode_ms += t2 - t1;
        s->images++;
    }
    eyni_image_free(img);
    eyni_image_free(back);
    free(buf);
    return rc;
}

static json_t *stats_json(const wsq_stats *s)
{
    return json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "images", s->images, "rmse",
                     s->pixels ? sqrt(s->se / s->pixels) : 0.0, "compression_ratio",
                     s->bytes ? s->pixels / s->bytes : 0.0, "bits_per_pixel",
                     s->pixels ? 8 * s->bytes / s->pixels : 0.0, "encode_ms",
                     s->images ? s->encode_ms / s->images : 0.0, "decode_ms",
                     s->images ? s->decode_ms / s->images : 0.0);
}

/* Images in dir itself, or in dir/<sub>/images/ (the FVC layout), grouped by <sub>. */
static int bench_dir(const char *dir, double rate, wsq_stats *s, eyni_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return eyni_error_set(err, EYNI_ENOTFOUND, "%s: cannot open folder", dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        if (!is_image_name(e->d_name))
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *names);
        if (!nn)
            break;
        names = nn;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!rc && names[i] && bench_one(path, rate, s, err))
            rc = eyni_error_prefix(err, "%s: ", path);
        free(names[i]);
    }
    free(names);
    return rc;
}

int cli_bench_wsq(int argc, char **argv)
{
    args a;
    if (parse_args(argc, argv, &a) || a.npos != 1)
        return cli_usage("eyni bench wsq DIR [--bitrate R] [--json]");
    eyni_error err;
    wsq_stats all = {0};
    json_t *dbs = json_object();
    DIR *d = opendir(a.pos[0]);
    if (!d) {
        json_decref(dbs);
        eyni_error_set(&err, EYNI_ENOTFOUND, "%s: cannot open folder", a.pos[0]);
        return cli_fail(&err);
    }
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        char sub[4096];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s/images", a.pos[0], e->d_name);
        if (e->d_name[0] == '.' || stat(sub, &st) || !S_ISDIR(st.st_mode))
            continue;
        wsq_stats s = {0};
        fprintf(stderr, "bench wsq: %s\n", sub);
        rc = bench_dir(sub, a.bitrate, &s, &err);
        json_object_set_new(dbs, e->d_name, stats_json(&s));
        all.images += s.images;
        all.se += s.se;
        all.pixels += s.pixels;
        all.bytes += s.bytes;
        all.encode_ms += s.encode_ms;
        all.decode_ms += s.decode_ms;
    }
    closedir(d);
    if (!rc && all.images == 0)
        rc = bench_dir(a.pos[0], a.bitrate, &all, &err);
    if (rc) {
        json_decref(dbs);
        return cli_fail(&err);
    }
    json_t *o =
        json_pack("{s:f, s:o, s:o}", "bitrate", a.bitrate, "dbs", dbs, "overall", stats_json(&all));
    return cli_emit(o, a.json);
}
