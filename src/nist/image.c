/* Images held in records: where they are, how they are compressed, decoding and adding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nist_int.h"

/* Binary Type-4 GCA codes, numbered as the tagged records' CGA table. */
static const char *const gca_names[] = {"NONE", "WSQ20", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG"};

static long field_num(const eyni_nist_record *r, int number, long max)
{
    size_t len;
    const unsigned char *v = eyni_nist_field_get(r, number, &len);
    if (!v)
        return -1;
    size_t n = 0; /* the first item of a multi-item field */
    while (n < len && v[n] != NIST_US && v[n] != NIST_RS)
        n++;
    return nist_parse_uint(v, n, max);
}

/* ppmm from 1.011 (NSR) or 1.012 (NTR) of the transaction, as ppi. */
static double native_ppi(const eyni_nist *t, int field)
{
    char buf[16];
    if (!t || t->nrecs == 0 || eyni_nist_field_text(t->recs[0], field, buf, sizeof buf))
        return 0;
    char *end;
    double ppmm = strtod(buf, &end);
    return end != buf && ppmm > 0 && ppmm < 1000 ? ppmm * 25.4 : 0;
}

static int binary_image(const eyni_nist *t, const eyni_nist_record *r, eyni_nist_image_info *info,
                        eyni_error *err)
{
    nist_binary_header h;
    if (r->type == 7 || nist_binary_header_get(r, &h))
        return eyni_error_set(err, EYNI_ENOTFOUND, "NIST: Type-%d record has no image we know",
                              r->type);
    info->width = h.width;
    info->height = h.height;
    info->position = r->type == 8 ? -1 : h.fgp[0];
    info->bits = r->type == 3 || r->type == 4 ? 8 : 1;
    info->ppi = native_ppi(t, h.isr ? 12 : 11);
    if (r->type == 4 && h.gca < (int)(sizeof gca_names / sizeof gca_names[0]))
        snprintf(info->compression, sizeof info->compression, "%s", gca_names[h.gca]);
    else if (r->type == 8)
        snprintf(info->compression, sizeof info->compression, "%s",
                 h.gca == 0   ? "NONE"
                 : h.gca == 1 ? "G4FAX"
                              : "VECTOR");
    else
        snprintf(info->compression, sizeof info->compression, h.gca ? "CODE%d" : "NONE", h.gca);
    info->data = r->raw + h.header;
    info->len = r->rawlen - h.header;
    return 0;
}

int eyni_nist_record_image(const eyni_nist *t, const eyni_nist_record *r,
                           eyni_nist_image_info *info, eyni_error *err)
{
    memset(info, 0, sizeof *info);
    info->type = r->type;
    info->idc = eyni_nist_record_idc(r);
    info->position = -1;
    if (r->binary)
        return binary_image(t, r, info, err);
    size_t len;
    const unsigned char *data = eyni_nist_field_get(r, 999, &len);
    if (!data || !(r->type == 10 || (r->type >= 13 && r->type <= 17)))
        return eyni_error_set(err, EYNI_ENOTFOUND, "NIST: Type-%d record %d has no image", r->type,
                              info->idc);
    info->data = data;
    info->len = len;
    info->width = (int)field_num(r, 6, 1000000);
    info->height = (int)field_num(r, 7, 1000000);
    eyni_nist_field_text(r, 11, info->compression, sizeof info->compression);
    if (r->type == 10) {
        char csp[16];
        eyni_nist_field_text(r, 12, csp, sizeof csp);
        info->bits = strcmp(csp, "GRAY") == 0 ? 8 : 24;
    } else {
        info->bits = (int)field_num(r, 12, 64);
        info->position = (int)field_num(r, r->type == 17 ? 3 : 13, 255);
    }
    long slc = field_num(r, 8, 2), thps = field_num(r, 9, 1000000);
    info->ppi = thps > 0 && slc == 1 ? (double)thps : thps > 0 && slc == 2 ? thps * 2.54 : 0;
    return 0;
}

/* Uncompressed pixels: 8-bit grey, 24-bit RGB or 1-bit (set bits are black). */
static int raw_image(const eyni_nist_image_info *in, eyni_image **out, eyni_error *err)
{
    if (in->width <= 0 || in->height <= 0)
        return eyni_error_set(err, EYNI_EFORMAT, "NIST: Type-%d record %d: no image size", in->type,
                              in->idc);
    int ch = in->bits == 24 ? 3 : 1;
    size_t row = in->bits == 1 ? ((size_t)in->width + 7) / 8 : (size_t)in->width * (size_t)ch;
    if (in->bits != 1 && in->bits != 8 && in->bits != 24)
        return eyni_error_set(err, EYNI_EFORMAT, "NIST: Type-%d record %d: %d bits per pixel",
                              in->type, in->idc, in->bits);
    if (in->len / row < (size_t)in->height)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "NIST: Type-%d record %d: %zu bytes for a %dx%d image", in->type,
                              in->idc, in->len, in->width, in->height);
    eyni_image *img = eyni_image_new(in->width, in->height, ch, err);
    if (!img)
        return err ? err->code : EYNI_ENOMEM;
    for (int y = 0; y < in->height; y++) {
        const unsigned char *s = in->data + (size_t)y * row;
        unsigned char *d = img->data + (size_t)y * in->width * ch;
        if (in->bits == 1)
            for (int x = 0; x < in->width; x++)
                d[x] = (s[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
        else
            memcpy(d, s, row);
    }
    img->ppi = in->ppi;
    *out = img;
    return 0;
}

int eyni_nist_record_decode_image(const eyni_nist *t, const eyni_nist_record *r, eyni_image **out,
                                  eyni_error *err)
{
    eyni_nist_image_info in;
    int rc = eyni_nist_record_image(t, r, &in, err);
    if (rc)
        return rc;
    if (strcmp(in.compression, "NONE") == 0)
        return raw_image(&in, out, err);
    static const char *const decodable[] = {"WSQ20", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG"};
    int known = 0;
    for (size_t i = 0; i < sizeof decodable / sizeof decodable[0]; i++)
        known |= strcmp(in.compression, decodable[i]) == 0;
    if (!known)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "NIST: Type-%d record %d: no decoder for compression %s", in.type,
                              in.idc, in.compression);
    eyni_image *img = NULL;
    rc = eyni_image_decode(in.data, in.len, 0, &img, err);
    if (rc)
        return eyni_error_prefix(err, "NIST: Type-%d record %d (%s): ", in.type, in.idc,
                                 in.compression);
    /* the record's resolution rules over one embedded in the image (some WSQ say 255) */
    if (in.ppi > 0)
        img->ppi = in.ppi;
    *out = img;
    return 0;
}

/* ---- adding images ------------------------------------------------------------------- */

static int set_int(eyni_nist_record *r, int number, long v, eyni_error *err)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%ld", v);
    return eyni_nist_field_set_text(r, number, buf, err);
}

/* HLL, VLL, SLC, THPS, TVPS (fields 6-10): pixels per inch when known, else aspect 1:1. */
static int set_geometry(eyni_nist_record *r, int width, int height, double ppi, eyni_error *err)
{
    long scale = ppi > 0 ? lround(ppi) : 1;
    if (set_int(r, 6, width, err) || set_int(r, 7, height, err) ||
        set_int(r, 8, ppi > 0 ? 1 : 0, err) || set_int(r, 9, scale, err) ||
        set_int(r, 10, scale, err))
        return err->code;
    return 0;
}

/* Removes the last record (one being built that failed). */
static void drop_last(eyni_nist *t)
{
    nist_record_free(t->recs[--t->nrecs]);
}

eyni_nist_record *eyni_nist_add_finger_wsq(eyni_nist *t, const eyni_image *img,
                                           const eyni_nist_finger *f, double bitrate,
                                           eyni_error *err)
{
    if (img->channels != 1 || f->position < 0 || f->position > 255 || !f->src || !f->date) {
        eyni_error_set(err, EYNI_EINVAL,
                       "NIST: a fingerprint needs a grey image, a position, SRC and date");
        return NULL;
    }
    unsigned char *wsq = NULL;
    size_t wlen = 0;
    int ppi = img->ppi > 0 ? (int)lround(img->ppi) : -1;
    if (eyni_image_encode_wsq(img, bitrate, ppi, &wsq, &wlen, err))
        return NULL;
    eyni_nist_record *r = eyni_nist_record_add(t, 14, err);
    if (!r)
        goto fail;
    if (set_int(r, 3, f->impression, err) || eyni_nist_field_set_text(r, 4, f->src, err) ||
        eyni_nist_field_set_text(r, 5, f->date, err) ||
        set_geometry(r, img->width, img->height, img->ppi, err) ||
        eyni_nist_field_set_text(r, 11, "WSQ20", err) || set_int(r, 12, 8, err) ||
        set_int(r, 13, f->position, err) || eyni_nist_field_set(r, 999, wsq, wlen, err)) {
        drop_last(t);
        r = NULL;
    }
fail:
    free(wsq);
    return r;
}

eyni_nist_record *eyni_nist_add_face_jpeg(eyni_nist *t, const unsigned char *jpeg, size_t len,
                                          const char *src, const char *date, eyni_error *err)
{
    eyni_image *img = NULL;
    if (eyni_image_sniff(jpeg, len) != EYNI_IMAGE_JPEG) {
        eyni_error_set(err, EYNI_EINVAL, "NIST: face image is not a JPEG");
        return NULL;
    }
    if (!src || !date || eyni_image_decode(jpeg, len, 0, &img, err)) {
        if (!src || !date)
            eyni_error_set(err, EYNI_EINVAL, "NIST: a face record needs SRC and a date");
        return NULL;
    }
    eyni_nist_record *r = eyni_nist_record_add(t, 10, err);
    if (r &&
        (eyni_nist_field_set_text(r, 3, "FACE", err) || eyni_nist_field_set_text(r, 4, src, err) ||
         eyni_nist_field_set_text(r, 5, date, err) ||
         set_geometry(r, img->width, img->height, img->ppi, err) ||
         eyni_nist_field_set_text(r, 11, "JPEGB", err) ||
         eyni_nist_field_set_text(r, 12, img->channels == 1 ? "GRAY" : "SRGB", err) ||
         eyni_nist_field_set(r, 999, jpeg, len, err))) {
        drop_last(t);
        r = NULL;
    }
    eyni_image_free(img);
    return r;
}

eyni_nist_record *eyni_nist_add_type4_wsq(eyni_nist *t, const eyni_image *img, int position,
                                          int impression, double bitrate, eyni_error *err)
{
    if (img->channels != 1 || img->width > 65535 || img->height > 65535 || position < 0 ||
        position > 255 || impression < 0 || impression > 255) {
        eyni_error_set(err, EYNI_EINVAL,
                       "NIST: Type-4 takes a grey image up to 65535 pixels "
                       "a side and a position 0-255");
        return NULL;
    }
    unsigned char *wsq = NULL;
    size_t wlen = 0;
    int ppi = img->ppi > 0 ? (int)lround(img->ppi) : -1;
    if (eyni_image_encode_wsq(img, bitrate, ppi, &wsq, &wlen, err))
        return NULL;
    int idc = nist_next_idc(t);
    eyni_nist_record *r = nist_record_new(4, 1);
    size_t n = 18 + wlen;
    if (!r || n > 0xFFFFFFFFu || !(r->raw = malloc(n)) || nist_append_record(t, r)) {
        nist_record_free(r);
        free(wsq);
        eyni_error_set(err, EYNI_ENOMEM, "NIST: cannot add a Type-4 record");
        return NULL;
    }
    unsigned char *h = r->raw;
    h[0] = (unsigned char)(n >> 24);
    h[1] = (unsigned char)(n >> 16);
    h[2] = (unsigned char)(n >> 8);
    h[3] = (unsigned char)n;
    h[4] = (unsigned char)(idc > 255 ? 255 : idc);
    h[5] = (unsigned char)impression;
    h[6] = (unsigned char)position;
    memset(h + 7, 255, 5); /* unused finger positions */
    h[12] = 0;             /* ISR 0: the native scanning resolution of 1.011 */
    h[13] = (unsigned char)(img->width >> 8);
    h[14] = (unsigned char)img->width;
    h[15] = (unsigned char)(img->height >> 8);
    h[16] = (unsigned char)img->height;
    h[17] = 1; /* GCA 1: WSQ */
    memcpy(h + 18, wsq, wlen);
    r->rawlen = n;
    free(wsq);
    return r;
}
