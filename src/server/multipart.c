/* multipart/form-data request bodies: a JSON part ("request", the same document as a JSON
 * body minus the inline files) and file parts holding raw image or audio bytes, which the
 * document names by part name. The MIME framing is parsed by libmicrohttpd's post processor;
 * this file collects the parts it delivers, with caps, and hands them out by name. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server_int.h"

struct srv_parts {
    srv_part v[SRV_PARTS_MAX];
    int n;
    size_t part_max; /* bytes in one file part */
    int failed;      /* the iterator stopped the parse; err says why */
    eyni_error err;
};

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SRV_PART_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f || name[i] == '"')
            return 0;
    return 1;
}

srv_parts *srv_parts_new(size_t part_max)
{
    srv_parts *p = calloc(1, sizeof *p);
    if (p)
        p->part_max = part_max;
    return p;
}

void srv_parts_free(srv_parts *p)
{
    for (int i = 0; p && i < p->n; i++)
        free(p->v[i].data);
    free(p);
}

static srv_part *find(srv_parts *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0)
            return &p->v[i];
    return NULL;
}

/* A new part starts at offset 0; later pieces of it continue the part last started. */
static int start_part(srv_parts *p, const char *name, eyni_error *err)
{
    if (!name_ok(name))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "multipart: a part needs a name of 1..%d printable characters "
                              "(Content-Disposition: form-data; name=\"...\")",
                              SRV_PART_NAME_MAX);
    if (find(p, name))
        return eyni_error_set(err, EYNI_EFORMAT, "multipart: part '%s' appears twice", name);
    if (p->n == SRV_PARTS_MAX)
        return eyni_error_set(err, EYNI_ELIMIT, "multipart: more than %d parts", SRV_PARTS_MAX);
    srv_part *t = &p->v[p->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    return 0;
}

static int append(srv_part *t, size_t max, const char *data, size_t size, eyni_error *err)
{
    if (size > max - t->len)
        return eyni_error_set(err, EYNI_ELIMIT, "multipart: part '%s' is larger than %zu bytes",
                              t->name, max);
    if (t->len + size > t->cap) {
        size_t cap = t->cap ? t->cap : 65536;
        while (cap < t->len + size)
            cap *= 2;
        unsigned char *b = realloc(t->data, cap);
        if (!b)
            return eyni_error_set(err, EYNI_ENOMEM, "multipart: out of memory");
        t->data = b;
        t->cap = cap;
    }
    memcpy(t->data + t->len, data, size);
    t->len += size;
    return 0;
}

int srv_parts_add(srv_parts *p, const char *name, uint64_t off, const char *data, size_t size,
                  eyni_error *err)
{
    srv_part *last = p->n ? &p->v[p->n - 1] : NULL;
    /* an empty piece may announce a part before its first bytes arrive, also at offset 0 */
    int same = last && strcmp(last->name, name) == 0 && last->len == off;
    int rc = 0;
    if (off == 0 && !(same && last->len == 0))
        rc = start_part(p, name, err);
    else if (!same)
        rc = eyni_error_set(err, EYNI_EFORMAT, "multipart: piece of part '%.64s' out of order",
                            name);
    last = rc == 0 ? &p->v[p->n - 1] : NULL;
    size_t max = strcmp(name, SRV_REQUEST_PART) == 0 ? SRV_REQUEST_PART_MAX : p->part_max;
    return rc ? rc : size ? append(last, max, data, size, err) : 0;
}

const srv_part *srv_parts_use(srv_parts *p, const char *name, eyni_error *err)
{
    srv_part *t = find(p, name);
    if (!t || t->len == 0) {
        eyni_error_set(err, EYNI_EFORMAT, "multipart: %s part named '%.64s'", t ? "empty" : "no",
                       name);
        return NULL;
    }
    if (t->used) {
        eyni_error_set(err, EYNI_EFORMAT, "multipart: part '%.64s' is named twice", name);
        return NULL;
    }
    t->used = 1;
    return t;
}

int srv_parts_all_used(const srv_parts *p, eyni_error *err)
{
    for (int i = 0; i < p->n; i++)
        if (!p->v[i].used)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "multipart: part '%s' is not named by the request", p->v[i].name);
    return 0;
}

int srv_parts_request(srv_parts *p, json_t **out, eyni_error *err)
{
    if (!find(p, SRV_REQUEST_PART))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "multipart: no part named '" SRV_REQUEST_PART
                              "' (the JSON document of the request)");
    const srv_part *t = srv_parts_use(p, SRV_REQUEST_PART, err);
    int rc = t ? eyni_json_parse_object((const char *)t->data, t->len, out, err) : EYNI_EFORMAT;
    return rc && t ? eyni_error_prefix(err, "multipart part '" SRV_REQUEST_PART "': ") : rc;
}

/* ---- libmicrohttpd's post processor --------------------------------------------------- */

static enum MHD_Result on_piece(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *encoding, const char *data, uint64_t off, size_t size)
{
    (void)kind;
    (void)filename;
    (void)content_type;
    srv_parts *p = cls;
    int rc = 0;
    /* file bytes travel as they are; base64 belongs in the JSON body */
    if (encoding && *encoding && strcasecmp(encoding, "binary") && strcasecmp(encoding, "8bit") &&
        strcasecmp(encoding, "7bit"))
        rc = eyni_error_set(&p->err, EYNI_EFORMAT,
                            "multipart: part '%.64s' has Content-Transfer-Encoding %.32s; send "
                            "the bytes unencoded",
                            key ? key : "", encoding);
    if (rc == 0)
        rc = srv_parts_add(p, key ? key : "", off, data, size, &p->err);
    p->failed = rc != 0;
    return rc ? MHD_NO : MHD_YES;
}

int srv_is_multipart(srv_request *rq)
{
    const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
    return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

int srv_body_parts(srv_request *rq, size_t part_max, srv_parts **out, eyni_error *err)
{
    srv_parts *p = srv_parts_new(part_max);
    if (!p)
        return eyni_error_set(err, EYNI_ENOMEM, "multipart: out of memory");
    struct MHD_PostProcessor *pp = MHD_create_post_processor(rq->conn, 65536, on_piece, p);
    int rc = pp ? 0
                : eyni_error_set(err, EYNI_EFORMAT,
                                 "multipart/form-data without a usable boundary: the "
                                 "Content-Type header needs boundary=...");
    if (rc == 0 && (!rq->body || rq->body_len == 0))
        rc = eyni_error_set(err, EYNI_EFORMAT, "multipart: empty request body");
    if (rc == 0 && MHD_post_process(pp, rq->body, rq->body_len) != MHD_YES)
        rc = p->failed ? eyni_error_set(err, p->err.code, "%s", p->err.msg)
                       : eyni_error_set(err, EYNI_EFORMAT,
                                        "multipart: malformed body (part headers or boundary)");
    /* the post processor says here whether the body ended with its closing boundary */
    if (pp && MHD_destroy_post_processor(pp) != MHD_YES && rc == 0)
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "multipart: body ends inside a part (truncated, or no closing "
                            "boundary)");
    if (rc) {
        srv_parts_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int srv_body_doc(srv_request *rq, size_t part_max, json_t **in, srv_parts **parts, eyni_error *err)
{
    *parts = NULL;
    if (!srv_is_multipart(rq))
        return srv_body_json(rq, in, err);
    int rc = srv_body_parts(rq, part_max, parts, err);
    if (rc == 0)
        rc = srv_parts_request(*parts, in, err);
    return rc;
}
