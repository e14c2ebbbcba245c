/* Netpbm PGM/PPM (P2, P3, P5, P6) with 8- or 16-bit samples. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

typedef struct cursor {
    const unsigned char *b;
    size_t n, i;
} cursor;

static void skip_space(cursor *c)
{
    while (c->i < c->n) {
        if (c->b[c->i] == '#') {
            while (c->i < c->n && c->b[c->i] != '\n')
                c->i++;
        } else if (isspace(c->b[c->i])) {
            c->i++;
        } else {
            break;
        }
    }
}

/* A decimal header field below 1,000,000; -1 when absent or too large. */
static long number(cursor *c)
{
    skip_space(c);
    long v = 0;
    size_t start = c->i;
    while (c->i < c->n && isdigit(c->b[c->i]) && v < 1000000)
        v = v * 10 + (c->b[c->i++] - '0');
    return c->i == start || v >= 1000000 ? -1 : v;
}

static int sample(cursor *c, int ascii, int wide, long maxval, unsigned char *out)
{
    long v;
    if (ascii) {
        v = number(c);
        if (v < 0)
            return -1;
    } else if (wide) {
        if (c->i + 2 > c->n)
            return -1;
        v = c->b[c->i] << 8 | c->b[c->i + 1];
        c->i += 2;
    } else {
        if (c->i + 1 > c->n)
            return -1;
        v = c->b[c->i++];
    }
    if (v > maxval)
        return -1;
    *out = (unsigned char)((v * 255 + maxval / 2) / maxval);
    return 0;
}

int image_decode_pnm(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    cursor c = {buf, len, 2};
    char kind = (char)buf[1];
    int channels = kind == '3' || kind == '6' ? 3 : 1, ascii = kind == '2' || kind == '3';
    long w = number(&c), h = number(&c), maxval = number(&c);
    if (w < 0 || h < 0 || maxval < 1 || maxval > 65535)
        return eyni_error_set(err, EYNI_EFORMAT, "PNM: bad header");
    int rc = image_check_size("PNM", w, h, err);
    if (rc)
        return rc;
    if (!ascii) {
        if (c.i >= c.n || !isspace(buf[c.i]))
            return eyni_error_set(err, EYNI_EFORMAT, "PNM: no whitespace after header");
        c.i++;
    }
    eyni_image *img = eyni_image_new((int)w, (int)h, channels, err);
    if (!img)
        return err ? err->code : EYNI_ENOMEM;
    size_t total = (size_t)w * (size_t)h * (size_t)channels;
    for (size_t k = 0; k < total; k++) {
        if (sample(&c, ascii, maxval > 255, maxval, img->data + k)) {
            eyni_image_free(img);
            return eyni_error_set(err, EYNI_EFORMAT, "PNM: truncated or bad sample at %zu of %zu",
                                  k, total);
        }
    }
    *out = img;
    return 0;
}
