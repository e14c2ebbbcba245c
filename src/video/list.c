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

int eyni_video_wanted_load_list(eyni_video_wanted *w, const eyni_face_engine *fe, const char *path,
                                eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0, n = 0;
    eyni_video_list_item *items = NULL;
    int rc = eyni_file_read(path, EYNI_VIDEO_MAX_LIST_BYTES, &buf, &len, err);
    if (rc == 0)
        rc = eyni_video_list_parse((const char *)buf, len, &items, &n, err);
    free(buf);
    if (rc)
        return eyni_error_prefix(err, "%s: ", path);
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".";
    for (size_t i = 0; i < n && rc == 0; i++) {
        char full[2048];
        if (items[i].photo[0] == '/')
            snprintf(full, sizeof full, "%s", items[i].photo);
        else
            snprintf(full, sizeof full, "%.*s/%s", dirlen, dir, items[i].photo);
        eyni_image *img = NULL;
        rc = eyni_image_load(full, 3, &img, err);
        if (rc == 0)
            rc = eyni_video_wanted_add_image(w, fe, items[i].id, items[i].label, img, err);
        eyni_image_free(img);
    }
    free(items);
    return rc;
}
