/* The wanted list file ("ID<TAB>LABEL<TAB>PHOTO" lines) and loading it into a gallery. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "video_int.h"

/* Copies field [s, e) into out (cap bytes) or fails naming the line. */
static int field(const char *s, const char *e, char *out, size_t cap, size_t line, const char *what,
                 eyni_error *err)
{
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= cap)
        return eyni_error_set(err, EYNI_EFORMAT, "wanted list line %zu: %s must be 1..%zu bytes",
                              line, what, cap - 1);
    if (!eyni_utf8_valid(s, n) || memchr(s, '\t', n))
        return eyni_error_set(err, EYNI_EFORMAT, "wanted list line %zu: %s is not plain text", line,
                              what);
    memcpy(out, s, n);
    out[n] = 0;
    return 0;
}

static int parse_line(const char *s, const char *e, size_t line, eyni_video_list_item *it,
                      eyni_error *err)
{
    const char *t1 = memchr(s, '\t', (size_t)(e - s));
    const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(e - t1 - 1)) : NULL;
    if (!t2)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "wanted list line %zu: expected ID<TAB>LABEL<TAB>PHOTO", line);
    char num[24];
    int rc = field(s, t1, num, sizeof num, line, "the id", err);
    if (rc)
        return rc;
    char *end;
    errno = 0;
    long long id = strtoll(num, &end, 10);
    if (*end || errno || id <= 0 || num[0] == '+' || num[0] == ' ')
        return eyni_error_set(err, EYNI_EFORMAT,
                              "wanted list line %zu: id must be a positive "
                              "integer",
                              line);
    it->id = id;
    if ((rc = field(t1 + 1, t2, it->label, sizeof it->label, line, "the label", err)))
        return rc;
    return field(t2 + 1, e, it->photo, sizeof it->photo, line, "the photo path", err);
}

int eyni_video_list_parse(const char *buf, size_t len, eyni_video_list_item **items, size_t *n,
                          eyni_error *err)
{
    *items = NULL;
    *n = 0;
    if (len > EYNI_VIDEO_MAX_LIST_BYTES)
        return eyni_error_set(err, EYNI_ELIMIT, "wanted list larger than %d bytes",
                              EYNI_VIDEO_MAX_LIST_BYTES);
    eyni_video_list_item *v = NULL;
    size_t cnt = 0, cap = 0, line = 0;
    const char *p = buf, *end = buf + len;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *le = e > p && e[-1] == '\r' ? e - 1 : e;
        if (le > p && *p != '#') {
            if (cnt == cap) {
                cap = cap ? cap * 2 : 16;
                eyni_video_list_item *nv =
                    cnt >= EYNI_VIDEO_MAX_WANTED ? NULL : realloc(v, cap * sizeof *v);
                if (!nv) {
                    rc = cnt >= EYNI_VIDEO_MAX_WANTED
                             ? eyni_error_set(err, EYNI_ELIMIT, "wanted list: more than %d lines",
                                              EYNI_VIDEO_MAX_WANTED)
                             : eyni_error_set(err, EYNI_ENOMEM, "wanted list: out of memory");
                    break;
                }
                v = nv;
            }
            rc = parse_line(p, le, line, &v[cnt], err);
            cnt += rc == 0;
        }
        p = nl ? nl + 1 : end;
    }
    if (rc) {
        free(v);
        return rc;
    }
    *items = v;
    *n = cnt;
    return 0;
}

/* Reads and parses a list file; photo paths are made relative to the list's folder. */
static int read_list(const char *path, eyni_video_list_item **items, size_t *n, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_file_read(path, EYNI_VIDEO_MAX_LIST_BYTES, &buf, &len, err);
    if (rc == 0)
        rc = eyni_video_list_parse((const char *)buf, len, items, n, err);
    free(buf);
    if (rc)
        return eyni_error_prefix(err, "%s: ", path);
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".";
    for (size_t i = 0; i < *n; i++) {
        eyni_video_list_item *it = &(*items)[i];
        if (it->photo[0] == '/')
            continue;
        char full[sizeof it->photo];
        int w = snprintf(full, sizeof full, "%.*s/%s", dirlen, dir, it->photo);
        if (w < 0 || (size_t)w >= sizeof full) {
            free(*items);
            *items = NULL;
            return eyni_error_set(err, EYNI_EFORMAT, "%s: line of %s: the photo path is too long",
                                  path, it->label);
        }
        memcpy(it->photo, full, sizeof full);
    }
    return 0;
}

int eyni_video_wanted_load_list(eyni_video_wanted *w, const eyni_face_engine *fe, const char *path,
                                eyni_error *err)
{
    eyni_video_list_item *items = NULL;
    size_t n = 0;
    int rc = read_list(path, &items, &n, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        eyni_image *img = NULL;
        rc = eyni_image_load(items[i].photo, 3, &img, err);
        if (rc == 0)
            rc = eyni_video_wanted_add_image(w, fe, items[i].id, items[i].label, img, err);
        eyni_image_free(img);
    }
    free(items);
    return rc;
}

/* The embeddings of the main face of a photo and of its blurred copy (*copies 1 or 2 of them);
 * 1 when it has no face. */
static int embed_photo(const eyni_face_engine *fe, const char *photo, float rel, float *emb,
                       int *copies, eyni_error *err)
{
    eyni_image *img = NULL;
    int rc = eyni_image_load(photo, 3, &img, err);
    if (rc == 0)
        rc = eyni_video_embed_subject(fe, img, rel, emb, emb + EYNI_FACE_DIM, copies, err);
    eyni_image_free(img);
    return rc;
}

/* Identity index of each item: the first item with the same label gives it. */
static void identities(const eyni_video_list_item *items, size_t n, int *ident)
{
    for (size_t i = 0; i < n; i++) {
        ident[i] = (int)i;
        for (size_t k = i; k-- > 0;)
            if (strcmp(items[k].label, items[i].label) == 0) {
                ident[i] = ident[k];
                break;
            }
    }
}

int eyni_video_wanted_load_cohort(eyni_video_wanted *w, const eyni_face_engine *fe,
                                  const char *path, size_t *skipped, eyni_error *err)
{
    eyni_video_list_item *items = NULL;
    size_t n = 0, kept = 0;
    *skipped = 0;
    int rc = read_list(path, &items, &n, err);
    if (rc)
        return rc;
    /* each photo gives two faces, itself and the blurred copy the wanted photos get: the
     * normalisation then knows how alike blurred faces look to each other */
    if (n > EYNI_VIDEO_MAX_COHORT / 2)
        rc = eyni_error_set(err, EYNI_ELIMIT, "more than %d cohort photos",
                            EYNI_VIDEO_MAX_COHORT / 2);
    float *emb = rc ? NULL : malloc((n ? 2 * n : 1) * EYNI_FACE_DIM * sizeof *emb);
    int *ident = rc ? NULL : malloc((n ? 2 * n : 1) * sizeof *ident), *all = NULL;
    if (rc == 0 && (!emb || !ident || !(all = malloc((n ? n : 1) * sizeof *all))))
        rc = eyni_error_set(err, EYNI_ENOMEM, "cohort: out of memory");
    if (rc == 0)
        identities(items, n, all);
    float rel = video_wanted_blurred_copy(w);
    for (size_t i = 0; i < n && rc == 0; i++) {
        int copies = 0;
        int r = embed_photo(fe, items[i].photo, rel, emb + kept * EYNI_FACE_DIM, &copies, err);
        if (r == 1)
            ++*skipped;
        else if (r == 0)
            for (int k = 0; k < copies; k++)
                ident[kept++] = all[i];
        else
            rc = r;
    }
    if (rc == 0)
        rc = eyni_video_wanted_set_cohort(w, emb, ident, kept, err);
    free(items);
    free(emb);
    free(ident);
    free(all);
    if (rc)
        eyni_error_prefix(err, "%s: ", path);
    return rc;
}
