/* Transaction and record objects: allocation, accessors, building and problem lists. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nist_int.h"

int nist_type_is_binary(int type)
{
    return type >= 3 && type <= 8;
}

long nist_parse_uint(const unsigned char *s, size_t len, long max)
{
    if (len == 0 || len > 18)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
        if (v > max)
            return -1;
    }
    return v;
}

const char *eyni_nist_problem_name(eyni_nist_problem_kind kind)
{
    switch (kind) {
    case EYNI_NIST_SYNTAX:
        return "syntax";
    case EYNI_NIST_LENGTH:
        return "wrong-length";
    case EYNI_NIST_MISSING_FIELD:
        return "missing-field";
    case EYNI_NIST_CNT:
        return "cnt-mismatch";
    case EYNI_NIST_DATE:
        return "bad-date";
    case EYNI_NIST_COMPRESSION:
        return "bad-compression";
    case EYNI_NIST_VALUE:
        return "bad-value";
    default:
        return "unknown";
    }
}

void nist_problem_add(eyni_nist_problem **list, size_t *count, size_t *cap, size_t *dropped,
                      eyni_nist_problem_kind kind, int record, int field, const char *fmt, ...)
{
    if (*count >= EYNI_NIST_MAX_PROBLEMS) {
        (*dropped)++;
        return;
    }
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        eyni_nist_problem *n = realloc(*list, ncap * sizeof *n);
        if (!n) {
            (*dropped)++;
            return;
        }
        *list = n;
        *cap = ncap;
    }
    eyni_nist_problem *p = &(*list)[(*count)++];
    p->kind = kind;
    p->record = record;
    p->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    /* messages quote file bytes: keep them printable ASCII so they are valid UTF-8 */
    for (char *c = p->msg; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7E)
            *c = '?';
}

eyni_nist *nist_alloc(void)
{
    return calloc(1, sizeof(eyni_nist));
}

eyni_nist_record *nist_record_new(int type, int binary)
{
    eyni_nist_record *r = calloc(1, sizeof *r);
    if (r) {
        r->type = type;
        r->binary = binary;
    }
    return r;
}

void nist_record_free(eyni_nist_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i].val);
    free(r->fields);
    free(r->raw);
    free(r);
}

void eyni_nist_free(eyni_nist *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrecs; i++)
        nist_record_free(t->recs[i]);
    free(t->recs);
    free(t->problems);
    free(t);
}

int nist_append_record(eyni_nist *t, eyni_nist_record *r)
{
    if (t->nrecs >= EYNI_NIST_MAX_RECORDS)
        return EYNI_ELIMIT;
    if (t->nrecs == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 8;
        eyni_nist_record **n = realloc(t->recs, ncap * sizeof *n);
        if (!n)
            return EYNI_ENOMEM;
        t->recs = n;
        t->cap = ncap;
    }
    t->recs[t->nrecs++] = r;
    return 0;
}

static int field_insert(eyni_nist_record *r, size_t at, int num, const char *tag,
                        const unsigned char *val, size_t len)
{
    if (r->nfields >= EYNI_NIST_MAX_FIELDS)
        return EYNI_ELIMIT;
    if (r->nfields == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        nist_field *n = realloc(r->fields, ncap * sizeof *n);
        if (!n)
            return EYNI_ENOMEM;
        r->fields = n;
        r->cap = ncap;
    }
    nist_field f = {.num = num, .len = len};
    f.val = malloc(len ? len : 1);
    if (!f.val)
        return EYNI_ENOMEM;
    if (len)
        memcpy(f.val, val, len);
    if (tag)
        snprintf(f.tag, sizeof f.tag, "%s", tag);
    else
        snprintf(f.tag, sizeof f.tag, "%d.%03d", r->type, num);
    memmove(r->fields + at + 1, r->fields + at, (r->nfields - at) * sizeof *r->fields);
    r->fields[at] = f;
    r->nfields++;
    return 0;
}

int nist_field_append(eyni_nist_record *r, int num, const char *tag, const unsigned char *val,
                      size_t len)
{
    return field_insert(r, r->nfields, num, tag, val, len);
}

int nist_next_idc(const eyni_nist *t)
{
    int idc = 1;
    for (size_t i = 1; i < t->nrecs; i++) {
        int v = eyni_nist_record_idc(t->recs[i]);
        if (t->recs[i]->type != 2 && v >= idc)
            idc = v + 1;
    }
    return idc;
}

const eyni_nist_problem *eyni_nist_parse_problems(const eyni_nist *t, size_t *count)
{
    *count = t->nproblems;
    return t->problems;
}

size_t eyni_nist_record_count(const eyni_nist *t)
{
    return t ? t->nrecs : 0;
}

eyni_nist_record *eyni_nist_record_at(const eyni_nist *t, size_t i)
{
    return t && i < t->nrecs ? t->recs[i] : NULL;
}

int eyni_nist_record_type(const eyni_nist_record *r)
{
    return r->type;
}

int eyni_nist_record_is_binary(const eyni_nist_record *r)
{
    return r->binary;
}

int eyni_nist_record_idc(const eyni_nist_record *r)
{
    if (r->binary)
        return r->rawlen >= 5 ? r->raw[4] : -1;
    if (r->type == 1)
        return -1; /* 1.002 is the version, not an IDC */
    size_t len;
    const unsigned char *v = eyni_nist_field_get(r, 2, &len);
    return v ? (int)nist_parse_uint(v, len, 255) : -1;
}

size_t eyni_nist_field_count(const eyni_nist_record *r)
{
    return r->binary ? 0 : r->nfields;
}

int eyni_nist_field_at(const eyni_nist_record *r, size_t i, int *number,
                       const unsigned char **value, size_t *len, const char **tag)
{
    if (r->binary || i >= r->nfields)
        return EYNI_ENOTFOUND;
    if (number)
        *number = r->fields[i].num;
    if (value)
        *value = r->fields[i].val;
    if (len)
        *len = r->fields[i].len;
    if (tag)
        *tag = r->fields[i].tag;
    return 0;
}

const unsigned char *eyni_nist_field_get(const eyni_nist_record *r, int number, size_t *len)
{
    for (size_t i = 0; !r->binary && i < r->nfields; i++)
        if (r->fields[i].num == number) {
            if (len)
                *len = r->fields[i].len;
            return r->fields[i].val;
        }
    return NULL;
}

int eyni_nist_field_text(const eyni_nist_record *r, int number, char *buf, size_t cap)
{
    size_t len;
    const unsigned char *v = eyni_nist_field_get(r, number, &len);
    if (cap)
        buf[0] = 0;
    if (!v)
        return EYNI_ENOTFOUND;
    if (cap) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, v, n);
        buf[n] = 0;
    }
    return 0;
}

const unsigned char *eyni_nist_record_bytes(const eyni_nist_record *r, size_t *len)
{
    if (!r->binary)
        return NULL;
    *len = r->rawlen;
    return r->raw;
}

int nist_binary_header_get(const eyni_nist_record *r, nist_binary_header *h)
{
    memset(h, 0, sizeof *h);
    const unsigned char *b = r->raw;
    size_t n = r->rawlen;
    h->header = r->type == 7 ? 5 : r->type == 8 ? 12 : 18;
    if (!r->binary || n < h->header)
        return EYNI_EFORMAT;
    h->idc = b[4];
    h->fgp[0] = -1;
    if (r->type == 8) {
        h->imp = b[5]; /* SIG: signature type */
        h->gca = b[6]; /* SRT: 0 uncompressed, 1 compressed, 2 vector */
        h->isr = b[7];
        h->width = b[8] << 8 | b[9];
        h->height = b[10] << 8 | b[11];
    } else if (r->type != 7) {
        h->imp = b[5];
        for (int i = 0; i < 6; i++)
            h->fgp[i] = b[6 + i];
        h->isr = b[12];
        h->width = b[13] << 8 | b[14];
        h->height = b[15] << 8 | b[16];
        h->gca = b[17];
    }
    return 0;
}

int eyni_nist_record_binary_header(const eyni_nist_record *r, eyni_nist_binary_header *out)
{
    nist_binary_header h;
    if (!r->binary)
        return EYNI_EINVAL;
    if (nist_binary_header_get(r, &h))
        return EYNI_EFORMAT;
    memset(out, 0, sizeof *out);
    out->length =
        (size_t)r->raw[0] << 24 | (size_t)r->raw[1] << 16 | (size_t)r->raw[2] << 8 | r->raw[3];
    out->header = h.header;
    out->idc = h.idc;
    out->imp = h.imp;
    out->isr = h.isr;
    out->gca = h.gca;
    for (int i = 0; i < 6; i++)
        out->fgp[i] = r->type == 7 || r->type == 8 ? -1 : h.fgp[i];
    out->width = h.width;
    out->height = h.height;
    return 0;
}

/* ---- building ----------------------------------------------------------------------- */

int eyni_nist_field_set(eyni_nist_record *r, int number, const void *value, size_t len,
                        eyni_error *err)
{
    if (r->binary || number < 1 || number > 99999)
        return eyni_error_set(err, EYNI_EINVAL, "NIST: cannot set field %d of a Type-%d record",
                              number, r->type);
    size_t at = r->nfields;
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].num == number) {
            unsigned char *v = malloc(len ? len : 1);
            if (!v)
                return eyni_error_set(err, EYNI_ENOMEM, "NIST: out of memory");
            if (len)
                memcpy(v, value, len);
            free(r->fields[i].val);
            r->fields[i].val = v;
            r->fields[i].len = len;
            return 0;
        }
        /* keep 999 (the image) last and otherwise numeric order */
        if (at == r->nfields && r->fields[i].num > number)
            at = i;
    }
    int rc = field_insert(r, at, number, NULL, value, len);
    if (rc)
        return eyni_error_set(err, rc, "NIST: cannot add field %d.%03d", r->type, number);
    return 0;
}

int eyni_nist_field_set_text(eyni_nist_record *r, int number, const char *value, eyni_error *err)
{
    return eyni_nist_field_set(r, number, value, strlen(value), err);
}

eyni_nist *eyni_nist_new(const char *tot, const char *date, const char *dai, const char *ori,
                         const char *tcn, eyni_error *err)
{
    eyni_nist *t = nist_alloc();
    eyni_nist_record *r = nist_record_new(1, 0);
    if (!t || !r || nist_append_record(t, r)) {
        nist_record_free(r);
        eyni_nist_free(t);
        eyni_error_set(err, EYNI_ENOMEM, "NIST: out of memory");
        return NULL;
    }
    const char *vals[] = {"0",
                          EYNI_NIST_VERSION,
                          "1\x1f"
                          "0",
                          tot,
                          date,
                          dai,
                          ori,
                          tcn,
                          "00.00",
                          "00.00"};
    const int nums[] = {1, 2, 3, 4, 5, 7, 8, 9, 11, 12};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (!vals[i] || eyni_nist_field_set_text(r, nums[i], vals[i], err)) {
            if (!vals[i])
                eyni_error_set(err, EYNI_EINVAL, "NIST: field 1.%03d needs a value", nums[i]);
            eyni_nist_free(t);
            return NULL;
        }
    }
    return t;
}

eyni_nist_record *eyni_nist_record_add(eyni_nist *t, int type, eyni_error *err)
{
    if (type < 2 || type > 99 || nist_type_is_binary(type)) {
        eyni_error_set(err, EYNI_EINVAL, "NIST: cannot add a tagged Type-%d record", type);
        return NULL;
    }
    int idc = type == 2 ? 0 : nist_next_idc(t);
    char buf[16];
    snprintf(buf, sizeof buf, "%02d", idc > 99 ? 99 : idc);
    eyni_nist_record *r = nist_record_new(type, 0);
    if (!r || nist_append_record(t, r)) {
        nist_record_free(r);
        eyni_error_set(err, EYNI_ELIMIT, "NIST: cannot add record %zu", t->nrecs);
        return NULL;
    }
    if (eyni_nist_field_set_text(r, 1, "0", err) || eyni_nist_field_set_text(r, 2, buf, err)) {
        t->nrecs--;
        nist_record_free(r);
        return NULL;
    }
    return r;
}
