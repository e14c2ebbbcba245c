/*
 * Validation: the problems the reader recovered from, then what a receiving agency checks
 * before accepting a transaction - mandatory fields, CNT against the records present, IDC
 * agreement, dates, and image compression codes against the bytes they describe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nist_int.h"

typedef struct plist {
    eyni_nist_problem *p;
    size_t n, cap, dropped;
} plist;

#define ADD(pl, kind, rec, fld, ...)                                                               \
    nist_problem_add(&(pl)->p, &(pl)->n, &(pl)->cap, &(pl)->dropped, kind, rec, fld, __VA_ARGS__)

/* Mandatory fields of the traditional encoding per record type (0-terminated). */
typedef struct mandatory {
    int type;
    int fields[16];
} mandatory;

static const mandatory mandatory_fields[] = {
    {1, {1, 2, 3, 4, 5, 7, 8, 9, 11, 12}},
    {2, {1, 2}},
    {9, {1, 2, 3, 4}},
    {10, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
    {13, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
    {14, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
    {15, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
    {16, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
    {17, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
    {18, {1, 2, 3, 4}},
    {99, {1, 2, 4, 5, 100, 101, 103, 104}},
};

/* Compression codes of the 2011 standard (Table 15), in binary GCA order. */
static const char *const cga_codes[] = {"NONE", "WSQ20", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG"};

static int is_image_type(int type)
{
    return type == 10 || (type >= 13 && type <= 17);
}

static void check_mandatory(plist *pl, const eyni_nist_record *r, int idx)
{
    for (size_t m = 0; m < sizeof mandatory_fields / sizeof mandatory_fields[0]; m++) {
        if (mandatory_fields[m].type != r->type)
            continue;
        for (const int *f = mandatory_fields[m].fields; *f; f++) {
            size_t len;
            if (!eyni_nist_field_get(r, *f, &len) || len == 0)
                ADD(pl, EYNI_NIST_MISSING_FIELD, idx, *f, "record %d: mandatory field %d.%03d %s",
                    idx, r->type, *f, eyni_nist_field_get(r, *f, &len) ? "is empty" : "is missing");
        }
    }
    /* image data may instead be referenced outside the transaction (x.994 EFR) */
    if (is_image_type(r->type) && !eyni_nist_field_get(r, 999, NULL) &&
        !eyni_nist_field_get(r, 994, NULL))
        ADD(pl, EYNI_NIST_MISSING_FIELD, idx, 999,
            "record %d: Type-%d record without image "
            "data (%d.999)",
            idx, r->type, r->type);
    if (!r->binary && (r->nfields < 2 || r->fields[0].num != 1 || r->fields[1].num != 2))
        ADD(pl, EYNI_NIST_SYNTAX, idx, 0, "record %d: fields %d.001 and %d.002 must come first",
            idx, r->type, r->type);
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYYMMDD" naming a real day (years 1900-2999, as the standard's dates allow). */
static int date_ok(const unsigned char *v, size_t len)
{
    if (len < 8)
        return 0;
    long y = nist_parse_uint(v, 4, 9999), m = nist_parse_uint(v + 4, 2, 99),
         d = nist_parse_uint(v + 6, 2, 99);
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return 0;
    return d <= days[m - 1] + (m == 2 && leap((int)y));
}

static void check_dates(plist *pl, const eyni_nist_record *r, int idx)
{
    size_t len;
    const unsigned char *v;
    int date_field = r->type == 1 || is_image_type(r->type) || r->type == 99 ? 5 : 0;
    if (date_field && (v = eyni_nist_field_get(r, date_field, &len)) && len &&
        (len != 8 || !date_ok(v, len)))
        ADD(pl, EYNI_NIST_DATE, idx, date_field, "record %d: %d.%03d '%.*s' is not a YYYYMMDD date",
            idx, r->type, date_field, (int)(len < 20 ? len : 20), (const char *)v);
    /* 1.014 GMT: YYYYMMDDhhmmssZ */
    if (r->type == 1 && (v = eyni_nist_field_get(r, 14, &len))) {
        int ok = len == 15 && date_ok(v, 8) && v[14] == 'Z' && nist_parse_uint(v + 8, 2, 23) >= 0 &&
                 nist_parse_uint(v + 10, 2, 59) >= 0 && nist_parse_uint(v + 12, 2, 60) >= 0;
        if (!ok)
            ADD(pl, EYNI_NIST_DATE, idx, 14, "record %d: 1.014 '%.*s' is not YYYYMMDDhhmmssZ", idx,
                (int)(len < 20 ? len : 20), (const char *)v);
    }
}

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)be16(p) << 16 | be16(p + 2);
}

/*
 * Width and height from the headers of a WSQ, JPEG, PNG or JPEG 2000 image (no decoding);
 * 0 when they cannot be found. Every read is bounds-checked.
 */
static int image_dims(const unsigned char *d, size_t n, eyni_image_format f, int *w, int *h)
{
    if (f == EYNI_IMAGE_PNG && n >= 24) {
        *w = (int)(be32(d + 16) & 0x7FFFFFFF);
        *h = (int)(be32(d + 20) & 0x7FFFFFFF);
        return 1;
    }
    if (f == EYNI_IMAGE_WSQ || f == EYNI_IMAGE_JPEG) {
        /* marker segments after SOI: WSQ's SOF is 0xFFA2, JPEG's SOFn 0xFFC0-0xFFCF
         * other than DHT (C4), JPG (C8) and DAC (CC) */
        for (size_t p = 2; p + 10 <= n;) {
            if (d[p] != 0xFF)
                return 0;
            unsigned m = d[p + 1];
            if (m == 0xFF) {
                p++;
                continue;
            }
            int sof = f == EYNI_IMAGE_WSQ
                          ? m == 0xA2
                          : m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
            if (sof) {
                size_t at = f == EYNI_IMAGE_WSQ ? p + 6 : p + 5; /* WSQ: after A and B */
                *h = (int)be16(d + at);
                *w = (int)be16(d + at + 2);
                return 1;
            }
            if (m == 0xA3 || m == 0xDA)
                return 0; /* image data before a frame header */
            p += 2 + be16(d + p + 2);
        }
        return 0;
    }
    if (f == EYNI_IMAGE_JP2) {
        /* raw codestream: SIZ follows SOC; JP2 file: the ihdr box near the start */
        if (n >= 24 && be16(d) == 0xFF4F && be16(d + 2) == 0xFF51) {
            *w = (int)(be32(d + 8) - be32(d + 16));
            *h = (int)(be32(d + 12) - be32(d + 20));
            return 1;
        }
        for (size_t p = 0; p + 12 <= n && p < 4096; p++)
            if (memcmp(d + p, "ihdr", 4) == 0) {
                *h = (int)(be32(d + p + 4) & 0x7FFFFFFF);
                *w = (int)(be32(d + p + 8) & 0x7FFFFFFF);
                return 1;
            }
    }
    return 0;
}

/* The format the image bytes are in must be the one the compression code names. */
static void check_compression(plist *pl, const eyni_nist *t, const eyni_nist_record *r, int idx)
{
    eyni_nist_image_info in;
    if (!(is_image_type(r->type) || r->type == 4))
        return;
    if (eyni_nist_record_image(t, r, &in, NULL))
        return; /* no image: reported as a missing field */
    int field = r->binary ? 0 : 11;
    int code = -1;
    for (int i = 0; i < (int)(sizeof cga_codes / sizeof cga_codes[0]); i++)
        if (strcmp(in.compression, cga_codes[i]) == 0)
            code = i;
    if (code < 0) {
        ADD(pl, EYNI_NIST_COMPRESSION, idx, field,
            "record %d: compression '%s' is not one of "
            "NONE, WSQ20, JPEGB, JPEGL, JP2, JP2L, PNG",
            idx, in.compression);
        return;
    }
    eyni_image_format f = eyni_image_sniff(in.data, in.len);
    static const eyni_image_format expect[] = {EYNI_IMAGE_UNKNOWN, EYNI_IMAGE_WSQ, EYNI_IMAGE_JPEG,
                                               EYNI_IMAGE_JPEG,    EYNI_IMAGE_JP2, EYNI_IMAGE_JP2,
                                               EYNI_IMAGE_PNG};
    if (code > 0 && f != expect[code])
        ADD(pl, EYNI_NIST_COMPRESSION, idx, field,
            "record %d: compression %s but the image data is %s", idx, in.compression,
            eyni_image_format_name(f));
    if (code == 0 && in.width > 0 && in.height > 0 && in.bits > 0) {
        unsigned long long need = ((unsigned long long)in.width * (unsigned)in.bits + 7) / 8 *
                                  (unsigned long long)in.height;
        if (need != in.len)
            ADD(pl, EYNI_NIST_COMPRESSION, idx, field,
                "record %d: uncompressed %dx%d at %d bits "
                "needs %llu bytes, has %zu",
                idx, in.width, in.height, in.bits, need, in.len);
    }
    if (in.width <= 0 || in.height <= 0)
        ADD(pl, EYNI_NIST_VALUE, idx, r->binary ? 0 : 6, "record %d: image size %dx%d", idx,
            in.width, in.height);
    int w, h;
    if (code > 0 && in.width > 0 && image_dims(in.data, in.len, f, &w, &h) &&
        (w != in.width || h != in.height))
        ADD(pl, EYNI_NIST_VALUE, idx, r->binary ? 0 : 6,
            "record %d: HLL x VLL say %dx%d, the %s image is %dx%d", idx, in.width, in.height,
            eyni_image_format_name(f), w, h);
}

static void check_cnt(plist *pl, const eyni_nist *t)
{
    size_t len;
    const unsigned char *v = eyni_nist_field_get(t->recs[0], 3, &len);
    if (!v)
        return; /* reported as missing */
    size_t n = t->nrecs - 1;
    nist_cnt_entry *e = calloc(EYNI_NIST_MAX_RECORDS, sizeof *e);
    if (!e) {
        pl->dropped++;
        return;
    }
    long got = -1, declared = nist_cnt_parse(v, len, e, EYNI_NIST_MAX_RECORDS, &got);
    if (got < 0) {
        ADD(pl, EYNI_NIST_CNT, 0, 3,
            "record 0: CNT (1.003) is not 1<US>n followed by "
            "type<US>IDC subfields");
    } else {
        if (declared != got || (size_t)got != n)
            ADD(pl, EYNI_NIST_CNT, 0, 3,
                "record 0: CNT declares %ld records and lists %ld; "
                "the transaction has %zu",
                declared, got, n);
        for (size_t i = 0; i < n && i < (size_t)got; i++) {
            const eyni_nist_record *r = t->recs[i + 1];
            int idc = eyni_nist_record_idc(r);
            if (e[i].type != r->type || e[i].idc != idc)
                ADD(pl, EYNI_NIST_CNT, (int)i + 1, 3,
                    "record %zu: CNT lists Type-%ld IDC %ld, "
                    "the record is Type-%d IDC %d",
                    i + 1, e[i].type, e[i].idc, r->type, idc);
        }
    }
    free(e);
}

static void check_record(plist *pl, const eyni_nist *t, const eyni_nist_record *r, int idx)
{
    if (!r->binary) {
        check_mandatory(pl, r, idx);
        size_t len;
        const unsigned char *v = eyni_nist_field_get(r, 2, &len);
        if (v && r->type != 1 && nist_parse_uint(v, len, 99) < 0)
            ADD(pl, EYNI_NIST_VALUE, idx, 2, "record %d: IDC '%.*s' is not 0-99", idx,
                (int)(len < 12 ? len : 12), (const char *)v);
        if (r->type == 1 && (v = eyni_nist_field_get(r, 2, &len)) &&
            (len != 4 || nist_parse_uint(v, len, 9999) < 0))
            ADD(pl, EYNI_NIST_VALUE, idx, 2, "record 0: version 1.002 is not four digits");
        for (int fld = 11; r->type == 1 && fld <= 12; fld++) {
            /* NSR/NTR: pixels per millimetre as NN.NN (00.00 when there is no image) */
            v = eyni_nist_field_get(r, fld, &len);
            if (v && (len != 5 || v[2] != '.' || nist_parse_uint(v, 2, 99) < 0 ||
                      nist_parse_uint(v + 3, 2, 99) < 0))
                ADD(pl, EYNI_NIST_VALUE, idx, fld,
                    "record 0: 1.%03d '%.*s' is not NN.NN pixels "
                    "per millimetre",
                    fld, (int)(len < 12 ? len : 12), (const char *)v);
        }
        check_dates(pl, r, idx);
    } else {
        nist_binary_header h;
        if (nist_binary_header_get(r, &h) == 0 && r->type == 4) {
            for (int i = 0; i < 6; i++)
                if (h.fgp[i] > 15 && h.fgp[i] != 255)
                    ADD(pl, EYNI_NIST_VALUE, idx, 0, "record %d: finger position %d", idx,
                        h.fgp[i]);
        }
    }
    check_compression(pl, t, r, idx);
}

int eyni_nist_validate(const eyni_nist *t, eyni_nist_problem **problems, size_t *count,
                       eyni_error *err)
{
    plist pl = {0};
    for (size_t i = 0; i < t->nproblems; i++) {
        const eyni_nist_problem *p = &t->problems[i];
        ADD(&pl, p->kind, p->record, p->field, "%s", p->msg);
    }
    if (t->nrecs > 0) {
        check_cnt(&pl, t);
        for (size_t i = 0; i < t->nrecs; i++)
            check_record(&pl, t, t->recs[i], (int)i);
    }
    if (pl.dropped + t->dropped > 0 && pl.n < EYNI_NIST_MAX_PROBLEMS)
        ADD(&pl, EYNI_NIST_VALUE, -1, 0, "%zu further problems not listed",
            pl.dropped + t->dropped);
    if (pl.dropped && !pl.p)
        return eyni_error_set(err, EYNI_ENOMEM, "NIST: out of memory validating");
    *problems = pl.p;
    *count = pl.n;
    return 0;
}
