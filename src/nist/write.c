/*
 * Writer: recomputes every LEN and the Type-1 CNT field. A LEN or CNT whose original
 * spelling (leading zeros, IDC width) still states the right values is kept, so reading
 * and writing a correct file gives back the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nist_int.h"

typedef struct outbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} outbuf;

static void put(outbuf *o, const void *b, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n > o->cap) {
        size_t ncap = o->cap ? o->cap : 4096;
        while (ncap < o->len + n)
            ncap *= 2;
        unsigned char *np = realloc(o->p, ncap);
        if (!np) {
            o->failed = 1;
            return;
        }
        o->p = np;
        o->cap = ncap;
    }
    memcpy(o->p + o->len, b, n);
    o->len += n;
}

static void putc1(outbuf *o, unsigned char c)
{
    put(o, &c, 1);
}

static size_t digits(size_t v)
{
    size_t d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/*
 * The CNT value for the records of t: the original when it states exactly these types
 * and IDCs, else a fresh one. *own is set when the returned buffer must be freed.
 */
static unsigned char *cnt_value(const eyni_nist *t, size_t *len, int *own)
{
    *own = 0;
    const eyni_nist_record *r0 = t->recs[0];
    size_t olen;
    const unsigned char *orig = eyni_nist_field_get(r0, 3, &olen);
    size_t n = t->nrecs - 1;
    if (orig) {
        nist_cnt_entry *e = calloc(n ? n : 1, sizeof *e);
        long got = -1, declared = e ? nist_cnt_parse(orig, olen, e, n, &got) : -1;
        int same = declared == (long)n && got == (long)n;
        for (size_t i = 0; same && i < n; i++)
            same = e[i].type == t->recs[i + 1]->type &&
                   e[i].idc == eyni_nist_record_idc(t->recs[i + 1]);
        free(e);
        if (same) {
            *len = olen;
            return (unsigned char *)orig;
        }
    }
    char *s = malloc(16 + 16 * (n + 1));
    if (!s)
        return NULL;
    int k = sprintf(s, "1%c%zu", NIST_US, n);
    for (size_t i = 1; i < t->nrecs; i++) {
        int idc = eyni_nist_record_idc(t->recs[i]);
        k += sprintf(s + k, "%c%d%c%02d", NIST_RS, t->recs[i]->type, NIST_US, idc < 0 ? 0 : idc);
    }
    *len = (size_t)k;
    *own = 1;
    return (unsigned char *)s;
}

/* Length of a tagged record when its LEN value has lendigits digits. */
static size_t tagged_length(const eyni_nist_record *r, size_t cnt_len, size_t len_taglen,
                            size_t lendigits)
{
    size_t total = 0;
    int seen_len = 0, seen_cnt = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const nist_field *f = &r->fields[i];
        size_t vlen = f->len;
        if (f->num == 1 && !seen_len) {
            seen_len = 1;
            vlen = lendigits;
        } else if (r->type == 1 && f->num == 3) {
            vlen = cnt_len;
            seen_cnt = 1;
        }
        total += strlen(f->tag) + 1 + vlen + 1;
    }
    if (!seen_len)
        total += len_taglen + 1 + lendigits + 1;
    if (r->type == 1 && !seen_cnt && cnt_len)
        total += strlen("1.003") + 1 + cnt_len + 1; /* the writer adds a missing CNT */
    return total;
}

/*
 * The LEN field of a tagged record: its tag, its value text and the record length. The
 * original spelling is kept when it still states the right length. Returns the record's
 * LEN field, or NULL when it has none first (the writer then puts one in front).
 */
static const nist_field *len_value(const eyni_nist_record *r, size_t cnt_len, char *ltag,
                                   char *lenval, size_t *length)
{
    const nist_field *lf = r->nfields && r->fields[0].num == 1 ? &r->fields[0] : NULL;
    if (lf)
        snprintf(ltag, NIST_TAG_MAX + 1, "%s", lf->tag);
    else
        snprintf(ltag, NIST_TAG_MAX + 1, "%d.001", r->type);
    size_t total;
    if (lf && lf->len < 20 &&
        nist_parse_uint(lf->val, lf->len, (long)EYNI_NIST_MAX_BYTES) ==
            (long)(total = tagged_length(r, cnt_len, strlen(ltag), lf->len))) {
        memcpy(lenval, lf->val, lf->len);
        lenval[lf->len] = 0;
    } else {
        size_t d = 1;
        while (digits(total = tagged_length(r, cnt_len, strlen(ltag), d)) != d)
            d++;
        snprintf(lenval, 24, "%zu", total);
    }
    if (length)
        *length = total;
    return lf;
}

static void write_tagged(outbuf *o, const eyni_nist *t, const eyni_nist_record *r)
{
    size_t cnt_len = 0;
    int own = 0;
    unsigned char *cnt = NULL;
    if (r->type == 1) {
        cnt = cnt_value(t, &cnt_len, &own);
        if (!cnt) {
            o->failed = 1;
            return;
        }
    }
    char ltag[NIST_TAG_MAX + 1], lenval[24];
    const nist_field *lf = len_value(r, cnt_len, ltag, lenval, NULL);
    /* a Type-1 record without CNT gets one after its leading 1.001/1.002 */
    size_t cnt_at = SIZE_MAX;
    if (r->type == 1 && !eyni_nist_field_get(r, 3, NULL))
        for (cnt_at = 0; cnt_at < r->nfields && r->fields[cnt_at].num < 3;)
            cnt_at++;
    size_t nout = 0;
    if (!lf) {
        put(o, ltag, strlen(ltag));
        putc1(o, ':');
        put(o, lenval, strlen(lenval));
        nout++;
    }
    for (size_t i = 0; i <= r->nfields; i++) {
        if (i == cnt_at) {
            if (nout++)
                putc1(o, NIST_GS);
            put(o, "1.003:", 6);
            put(o, cnt, cnt_len);
        }
        if (i == r->nfields)
            break;
        const nist_field *f = &r->fields[i];
        if (nout++)
            putc1(o, NIST_GS);
        put(o, f->tag, strlen(f->tag));
        putc1(o, ':');
        if (f == lf)
            put(o, lenval, strlen(lenval));
        else if (r->type == 1 && f->num == 3)
            put(o, cnt, cnt_len);
        else
            put(o, f->val, f->len);
    }
    putc1(o, NIST_FS);
    if (own)
        free(cnt);
}

static void write_binary(outbuf *o, const eyni_nist_record *r)
{
    size_t n = r->rawlen;
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    if (n < 4) {
        put(o, r->raw, n);
        return;
    }
    put(o, len, 4);
    put(o, r->raw + 4, n - 4);
}

size_t eyni_nist_record_length(const eyni_nist_record *r)
{
    if (r->binary)
        return r->rawlen;
    /* with the CNT value as stored; the writer may rewrite CNT for the records present */
    size_t cnt_len = 0, total = 0;
    if (r->type == 1)
        eyni_nist_field_get(r, 3, &cnt_len);
    char ltag[NIST_TAG_MAX + 1], lenval[24];
    len_value(r, cnt_len, ltag, lenval, &total);
    return total;
}

int eyni_nist_write(const eyni_nist *t, unsigned char **buf, size_t *len, eyni_error *err)
{
    if (!t || t->nrecs == 0 || t->recs[0]->type != 1 || t->recs[0]->binary)
        return eyni_error_set(err, EYNI_EINVAL, "NIST: a transaction starts with a Type-1 record");
    outbuf o = {0};
    for (size_t i = 0; i < t->nrecs; i++) {
        if (t->recs[i]->binary)
            write_binary(&o, t->recs[i]);
        else
            write_tagged(&o, t, t->recs[i]);
    }
    if (o.failed) {
        free(o.p);
        return eyni_error_set(err, EYNI_ENOMEM, "NIST: out of memory writing %zu records",
                              t->nrecs);
    }
    *buf = o.p;
    *len = o.len;
    return 0;
}
