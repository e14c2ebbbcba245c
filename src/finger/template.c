/*
 * ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 finger minutiae records.
 *
 * Both start with "FMR\0" " 20\0". ISO then has a 4-byte record length and a 14-byte
 * header; ANSI has a 2-byte length (or 0 followed by 4 bytes), a 4-byte CBEFF product id
 * and the same fields. Finger views are identical except for the angle unit: ISO 360/256
 * degrees, ANSI 2 degrees. Everything is big-endian. Singular points are not serialised;
 * the extended data block of the first view is kept verbatim.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finger_int.h"

#define ISO_HEADER    24
#define ANSI_HEADER   26
#define VIEW_HEADER   4
#define MINUTIA_BYTES 6

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static int iso_angle(double a)
{
    return (int)lrint(ang_norm(a) * 128 / M_PI) & 255;
}

static int ansi_angle(double a)
{
    return (int)lrint(ang_norm(a) * 90 / M_PI) % 180;
}

static size_t record_size(const eyni_finger_template *t, eyni_finger_format fmt)
{
    return (fmt == EYNI_FINGER_ISO ? ISO_HEADER : ANSI_HEADER) + VIEW_HEADER +
           (size_t)t->n_minutiae * MINUTIA_BYTES + 2 + t->extended_len;
}

static int check_for_write(const eyni_finger_template *t, eyni_error *err)
{
    if (t->n_minutiae < 0 || t->n_minutiae > EYNI_FINGER_MAX_MINUTIAE)
        return eyni_error_set(err, EYNI_EINVAL, "finger: %d minutiae do not fit a record",
                              t->n_minutiae);
    if (t->width < 0 || t->width > 0xffff || t->height < 0 || t->height > 0xffff || t->res_x < 0 ||
        t->res_x > 0xffff || t->res_y < 0 || t->res_y > 0xffff)
        return eyni_error_set(err, EYNI_EINVAL, "finger: image size or resolution out of range");
    if (t->extended_len > EYNI_FINGER_MAX_EXTENDED)
        return eyni_error_set(err, EYNI_EINVAL, "finger: extended data too long");
    for (int i = 0; i < t->n_minutiae; i++) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        if (m->x < 0 || m->x > 0x3fff || m->y < 0 || m->y > 0x3fff || m->type < 0 || m->type > 3 ||
            m->quality < 0 || m->quality > 255)
            return eyni_error_set(err, EYNI_EINVAL, "finger: minutia %d out of range", i);
    }
    return 0;
}

int eyni_finger_template_write(const eyni_finger_template *t, eyni_finger_format fmt,
                               unsigned char **buf, size_t *len, eyni_error *err)
{
    if (fmt != EYNI_FINGER_ISO && fmt != EYNI_FINGER_ANSI)
        return eyni_error_set(err, EYNI_EINVAL, "finger: unknown record format %d", (int)fmt);
    int rc = check_for_write(t, err);
    if (rc)
        return rc;
    size_t n = record_size(t, fmt);
    unsigned char *b = calloc(1, n), *p = b;
    if (!b)
        return eyni_error_set(err, EYNI_ENOMEM, "finger: out of memory writing a record");
    memcpy(p, "FMR\0 20\0", 8);
    p += 8;
    if (fmt == EYNI_FINGER_ISO) {
        put32(p, (uint32_t)n);
        p += 4;
    } else {
        put16(p, (unsigned)n); /* records are < 64 KiB: the short form always applies */
        put32(p + 2, t->cbeff_product);
        p += 6;
    }
    put16(p, (unsigned)((t->certification & 15) << 12 | (t->capture_device & 0xfff)));
    put16(p + 2, (unsigned)t->width);
    put16(p + 4, (unsigned)t->height);
    put16(p + 6, (unsigned)t->res_x);
    put16(p + 8, (unsigned)t->res_y);
    p[10] = 1;
    p[11] = 0;
    p += 12;
    p[0] = (unsigned char)t->position;
    p[1] = (unsigned char)((t->view & 15) << 4 | (t->impression & 15));
    p[2] = (unsigned char)t->quality;
    p[3] = (unsigned char)t->n_minutiae;
    p += 4;
    for (int i = 0; i < t->n_minutiae; i++, p += MINUTIA_BYTES) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        put16(p, (unsigned)(m->type << 14 | m->x));
        put16(p + 2, (unsigned)m->y);
        p[4] = (unsigned char)(fmt == EYNI_FINGER_ISO ? iso_angle(m->angle) : ansi_angle(m->angle));
        p[5] = (unsigned char)m->quality;
    }
    put16(p, (unsigned)t->extended_len);
    memcpy(p + 2, t->extended, t->extended_len);
    *buf = b;
    *len = n;
    return 0;
}

/* Which layout the length fields describe; 0 when neither fits. */
static eyni_finger_format sniff(const unsigned char *b, size_t len, size_t *reclen, size_t *hdr)
{
    if (len >= ISO_HEADER && be32(b + 8) == len) {
        *reclen = len;
        *hdr = ISO_HEADER;
        return EYNI_FINGER_ISO;
    }
    if (len >= ANSI_HEADER && be16(b + 8) == len) {
        *reclen = len;
        *hdr = ANSI_HEADER;
        return EYNI_FINGER_ANSI;
    }
    if (len >= ANSI_HEADER + 4 && be16(b + 8) == 0 && be32(b + 10) == len) {
        *reclen = len;
        *hdr = ANSI_HEADER + 4;
        return EYNI_FINGER_ANSI;
    }
    return 0;
}

static int read_view(const unsigned char *b, size_t len, size_t *pos, eyni_finger_format fmt,
                     eyni_finger_template *t, int keep, const char *name, eyni_error *err)
{
    size_t p = *pos;
    if (len - p < VIEW_HEADER)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: finger view header truncated", name);
    int n = b[p + 3];
    if (len - p - VIEW_HEADER < (size_t)n * MINUTIA_BYTES + 2)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: %d minutiae do not fit in the record", name,
                              n);
    if (keep) {
        t->position = b[p];
        t->view = b[p + 1] >> 4;
        t->impression = b[p + 1] & 15;
        t->quality = b[p + 2];
        t->n_minutiae = n;
    }
    p += VIEW_HEADER;
    for (int i = 0; i < n; i++, p += MINUTIA_BYTES) {
        unsigned a = b[p + 4];
        if (fmt == EYNI_FINGER_ANSI && a > 179)
            return eyni_error_set(err, EYNI_EFORMAT, "%s: minutia %d angle %u exceeds 179", name, i,
                                  a);
        if (!keep)
            continue;
        eyni_finger_minutia *m = &t->minutiae[i];
        m->type = b[p] >> 6;
        m->x = (int)(be16(b + p) & 0x3fff);
        m->y = (int)(be16(b + p + 2) & 0x3fff);
        m->angle = fmt == EYNI_FINGER_ISO ? a * M_PI / 128 : a * M_PI / 90;
        m->quality = b[p + 5];
    }
    size_t ext = be16(b + p);
    p += 2;
    if (ext > len - p)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s: extended data (%zu bytes) overruns the "
                              "record",
                              name, ext);
    if (keep) {
        if (ext > EYNI_FINGER_MAX_EXTENDED)
            return eyni_error_set(err, EYNI_ELIMIT, "%s: extended data of %zu bytes exceeds %d",
                                  name, ext, EYNI_FINGER_MAX_EXTENDED);
        memcpy(t->extended, b + p, ext);
        t->extended_len = ext;
    }
    *pos = p + ext;
    return 0;
}

int eyni_finger_template_read(const unsigned char *b, size_t len, const char *name,
                              eyni_finger_template **out, eyni_finger_format *fmt_out,
                              eyni_error *err)
{
    name = name ? name : "template";
    if (len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: empty", name);
    if (len > EYNI_FINGER_MAX_RECORD)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: %zu bytes exceeds the %d byte limit", name,
                              len, EYNI_FINGER_MAX_RECORD);
    if (len < 8 || memcmp(b, "FMR\0 20\0", 8) != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: not a finger minutiae record (FMR 20)", name);
    size_t reclen = 0, hdr = 0;
    eyni_finger_format fmt = sniff(b, len, &reclen, &hdr);
    if (!fmt)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s: record length field does not match the "
                              "%zu bytes given (truncated or corrupt)",
                              name, len);
    eyni_finger_template *t = calloc(1, sizeof *t);
    if (!t)
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", name);
    const unsigned char *h = b + hdr - 12; /* capture equipment .. reserved */
    if (fmt == EYNI_FINGER_ANSI)
        t->cbeff_product = be32(h - 4);
    t->certification = h[0] >> 4;
    t->capture_device = (int)(be16(h) & 0xfff);
    t->width = (int)be16(h + 2);
    t->height = (int)be16(h + 4);
    t->res_x = (int)be16(h + 6);
    t->res_y = (int)be16(h + 8);
    int views = h[10];
    int rc;
    if (views < 1 || views > EYNI_FINGER_MAX_VIEWS) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: %d finger views (expected 1..%d)", name, views,
                            EYNI_FINGER_MAX_VIEWS);
        goto fail;
    }
    size_t pos = hdr;
    for (int v = 0; v < views; v++) {
        rc = read_view(b, reclen, &pos, fmt, t, v == 0, name, err);
        if (rc)
            goto fail;
    }
    if (pos != reclen) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: %zu trailing bytes after the finger views",
                            name, reclen - pos);
        goto fail;
    }
    *out = t;
    if (fmt_out)
        *fmt_out = fmt;
    return 0;
fail:
    free(t);
    return rc;
}
