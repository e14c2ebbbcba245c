/*
 * Reader of traditional-encoding transactions. The Type-1 record comes first; its CNT field
 * tells the type of each later record, which binary records need (they carry no type).
 * Tagged records announce their type in their tags. A LEN field that disagrees with the
 * separators is reported and the record boundary recovered from the separators instead.
 */
#include <stdlib.h>
#include <string.h>

#include "nist_int.h"

typedef struct reader {
    const unsigned char *buf;
    size_t len;
    eyni_nist *t;
} reader;

#define PROBLEM(rd, kind, rec, fld, ...)                                                           \
    nist_problem_add(&(rd)->t->problems, &(rd)->t->nproblems, &(rd)->t->pcap, &(rd)->t->dropped,   \
                     kind, rec, fld, __VA_ARGS__)

/*
 * Parses "T.F:" at p (limit end). Returns the offset just past the colon, or 0 when there
 * is no tag; *type and *num get the numbers and tag the spelling.
 */
static size_t parse_tag(const unsigned char *p, size_t n, int *type, int *num, char *tag)
{
    size_t i = 0;
    long t = 0, f = 0;
    while (i < n && i < 3 && p[i] >= '0' && p[i] <= '9')
        t = t * 10 + (p[i++] - '0');
    if (i == 0 || i >= n || p[i] != '.')
        return 0;
    size_t j = ++i;
    while (i < n && i - j < 6 && p[i] >= '0' && p[i] <= '9')
        f = f * 10 + (p[i++] - '0');
    if (i == j || i >= n || p[i] != ':' || i > NIST_TAG_MAX)
        return 0;
    memcpy(tag, p, i);
    tag[i] = 0;
    *type = (int)t;
    *num = (int)f;
    return i + 1;
}

/* Offset of the first GS or FS in p[0..n), or n. */
static size_t find_sep(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == NIST_GS || p[i] == NIST_FS)
            return i;
    return n;
}

/* 1 when p looks like the start of a tagged record: "T.001:" or "T.01:". */
static int looks_tagged(const unsigned char *p, size_t n)
{
    int type, num;
    char tag[NIST_TAG_MAX + 1];
    return parse_tag(p, n, &type, &num, tag) && num == 1;
}

/* Field 999 of an image record holds binary data running to the record's FS. */
static int binary_field(int type, int num)
{
    return num == 999 && type != 1 && type != 2;
}

/*
 * Where a record whose LEN cannot be trusted ends: for text-only records the first FS; for
 * records with binary data the last FS before the next record start (or the data's end).
 */
static size_t recover_end(const reader *rd, size_t pos, int with_binary)
{
    const unsigned char *b = rd->buf;
    if (!with_binary) {
        for (size_t i = pos; i < rd->len; i++)
            if (b[i] == NIST_FS)
                return i + 1;
        return rd->len;
    }
    for (size_t i = pos; i + 1 < rd->len; i++)
        if (b[i] == NIST_FS && looks_tagged(b + i + 1, rd->len - i - 1))
            return i + 1;
    return rd->len;
}

/* 1 when the record's fields (from p) include a binary 999 field. */
static int has_binary_field(const unsigned char *p, size_t n, int type)
{
    size_t i = 0;
    while (i < n) {
        int t, num;
        char tag[NIST_TAG_MAX + 1];
        size_t k = parse_tag(p + i, n - i, &t, &num, tag);
        if (!k)
            return 0;
        if (binary_field(type, num))
            return 1;
        size_t s = find_sep(p + i + k, n - i - k);
        if (i + k + s >= n || p[i + k + s] == NIST_FS)
            return 0;
        i += k + s + 1;
    }
    return 0;
}

/* Splits p[0..n) (one record, FS included when present) into fields. */
static int parse_fields(reader *rd, eyni_nist_record *r, int idx, const unsigned char *p, size_t n)
{
    size_t i = 0;
    size_t body = n && p[n - 1] == NIST_FS ? n - 1 : n;
    if (body == n)
        PROBLEM(rd, EYNI_NIST_SYNTAX, idx, 0, "record %d (Type-%d) does not end with FS", idx,
                r->type);
    while (i < body) {
        int type, num;
        char tag[NIST_TAG_MAX + 1];
        size_t k = parse_tag(p + i, body - i, &type, &num, tag);
        if (!k) {
            PROBLEM(rd, EYNI_NIST_SYNTAX, idx, 0,
                    "record %d (Type-%d): %zu bytes at offset %zu are not a field", idx, r->type,
                    body - i, i);
            return 0;
        }
        if (type != r->type)
            PROBLEM(rd, EYNI_NIST_SYNTAX, idx, num, "record %d: tag %s in a Type-%d record", idx,
                    tag, r->type);
        size_t vlen = binary_field(r->type, num) ? body - i - k : find_sep(p + i + k, body - i - k);
        if (p + i + k + vlen < p + body && p[i + k + vlen] == NIST_FS)
            PROBLEM(rd, EYNI_NIST_SYNTAX, idx, num, "record %d: FS inside the record after %s", idx,
                    tag);
        int rc = nist_field_append(r, num, tag, p + i + k, vlen);
        if (rc)
            return rc;
        i += k + vlen + 1;
        if (i == body)
            PROBLEM(rd, EYNI_NIST_SYNTAX, idx, num, "record %d: empty field after %s", idx, tag);
    }
    return 0;
}

/* Parses the tagged record at *pos; advances *pos past it. */
static int read_tagged(reader *rd, size_t *pos, int idx, int *type_out)
{
    const unsigned char *p = rd->buf + *pos;
    size_t avail = rd->len - *pos;
    int type, num;
    char tag[NIST_TAG_MAX + 1];
    size_t k = parse_tag(p, avail, &type, &num, tag);
    size_t s = find_sep(p + k, avail - k);
    long declared = nist_parse_uint(p + k, s, (long)EYNI_NIST_MAX_BYTES);
    size_t end;
    if (declared >= (long)k + (long)s + 1 && (size_t)declared <= avail &&
        p[declared - 1] == NIST_FS) {
        end = (size_t)declared;
    } else {
        end = recover_end(rd, *pos, has_binary_field(p, avail, type)) - *pos;
        PROBLEM(rd, EYNI_NIST_LENGTH, idx, 1,
                "record %d (Type-%d): LEN %.*s, but the record is %zu bytes long", idx, type,
                (int)(s < 12 ? s : 12), (const char *)(p + k), end);
    }
    eyni_nist_record *r = nist_record_new(type, 0);
    if (!r)
        return EYNI_ENOMEM;
    int rc = nist_append_record(rd->t, r);
    if (rc) {
        nist_record_free(r);
        return rc;
    }
    *type_out = type;
    *pos += end;
    return parse_fields(rd, r, idx, p, end);
}

/* Parses the binary record at *pos of the type CNT announced. */
static int read_binary(reader *rd, size_t *pos, int idx, int type)
{
    const unsigned char *p = rd->buf + *pos;
    size_t avail = rd->len - *pos;
    size_t min = type == 7 ? 5 : type == 8 ? 12 : 18;
    size_t n = avail >= 4 ? (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3] : 0;
    if (n < min || n > avail) {
        PROBLEM(rd, EYNI_NIST_LENGTH, idx, 1,
                "record %d (Type-%d): binary LEN %zu, but %zu bytes remain", idx, type, n, avail);
        n = avail;
        if (n < min)
            PROBLEM(rd, EYNI_NIST_SYNTAX, idx, 0,
                    "record %d (Type-%d): %zu bytes, shorter than its %zu-byte header", idx, type,
                    n, min);
    }
    eyni_nist_record *r = nist_record_new(type, 1);
    if (!r || !(r->raw = malloc(n ? n : 1))) {
        nist_record_free(r);
        return EYNI_ENOMEM;
    }
    memcpy(r->raw, p, n);
    r->rawlen = n;
    int rc = nist_append_record(rd->t, r);
    if (rc) {
        nist_record_free(r);
        return rc;
    }
    *pos += n;
    return 0;
}

static int read_all(reader *rd, eyni_error *err)
{
    size_t pos = 0;
    int type = 0;
    if (!looks_tagged(rd->buf, rd->len) || rd->buf[0] != '1' || rd->buf[1] != '.')
        return eyni_error_set(err, EYNI_EFORMAT, "NIST: does not start with a Type-1 record");
    int rc = read_tagged(rd, &pos, 0, &type);
    if (rc)
        goto fail;
    nist_cnt_entry *cnt = calloc(EYNI_NIST_MAX_RECORDS, sizeof *cnt);
    if (!cnt) {
        rc = EYNI_ENOMEM;
        goto fail;
    }
    size_t vlen;
    const unsigned char *v = eyni_nist_field_get(rd->t->recs[0], 3, &vlen);
    long ncnt = -1;
    if (v)
        nist_cnt_parse(v, vlen, cnt, EYNI_NIST_MAX_RECORDS, &ncnt);
    if (ncnt < 0)
        PROBLEM(rd, EYNI_NIST_CNT, 0, 3, "record 0: CNT (1.003) is missing or malformed");
    for (int idx = 1; pos < rd->len && rc == 0; idx++) {
        if (idx >= EYNI_NIST_MAX_RECORDS) {
            rc = EYNI_ELIMIT;
            break;
        }
        if (looks_tagged(rd->buf + pos, rd->len - pos)) {
            rc = read_tagged(rd, &pos, idx, &type);
            continue;
        }
        long t = idx - 1 < ncnt ? cnt[idx - 1].type : -1;
        if (!nist_type_is_binary((int)t)) {
            /* CNT does not say: take the common fingerprint layout and say so */
            PROBLEM(rd, EYNI_NIST_CNT, idx, 0,
                    "record %d is binary but CNT lists %s; read as Type-4", idx,
                    t < 0 ? "nothing for it" : "a tagged type");
            t = 4;
        }
        rc = read_binary(rd, &pos, idx, (int)t);
    }
    free(cnt);
    if (rc == EYNI_ELIMIT)
        return eyni_error_set(err, rc, "NIST: more than %d records", EYNI_NIST_MAX_RECORDS);
fail:
    if (rc)
        return eyni_error_set(err, rc, "NIST: out of memory or too many fields");
    return 0;
}

int eyni_nist_read(const unsigned char *buf, size_t len, eyni_nist **out, eyni_error *err)
{
    if (!buf || len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "NIST: empty input");
    if (len > EYNI_NIST_MAX_BYTES)
        return eyni_error_set(err, EYNI_ELIMIT, "NIST: %zu bytes exceeds %d", len,
                              EYNI_NIST_MAX_BYTES);
    reader rd = {buf, len, nist_alloc()};
    if (!rd.t)
        return eyni_error_set(err, EYNI_ENOMEM, "NIST: out of memory");
    int rc = read_all(&rd, err);
    if (rc) {
        eyni_nist_free(rd.t);
        return rc;
    }
    *out = rd.t;
    return 0;
}

int eyni_nist_load(const char *path, eyni_nist **out, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_NIST_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    rc = eyni_nist_read(buf, len, out, err);
    free(buf);
    if (rc)
        eyni_error_prefix(err, "%s: ", path);
    return rc;
}

long nist_cnt_parse(const unsigned char *v, size_t len, nist_cnt_entry *entries, size_t max,
                    long *n)
{
    *n = -1;
    long declared = -1;
    size_t count = 0, i = 0;
    for (int sub = 0; i <= len; sub++) {
        size_t j = i;
        while (j < len && v[j] != NIST_RS)
            j++;
        size_t us = i;
        while (us < j && v[us] != NIST_US)
            us++;
        if (us == j)
            return -1;
        long a = nist_parse_uint(v + i, us - i, 99);
        long b = nist_parse_uint(v + us + 1, j - us - 1, 99999);
        if (a < 0 || b < 0)
            return -1;
        if (sub == 0) {
            if (a != 1)
                return -1;
            declared = b;
        } else {
            if (count >= max)
                return -1;
            entries[count].type = a;
            entries[count++].idc = b;
        }
        i = j + 1;
    }
    *n = (long)count;
    return declared;
}
