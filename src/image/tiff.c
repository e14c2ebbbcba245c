/* TIFF from memory through libtiff, with per-call error handlers (no global state). */
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "image_int.h"

typedef struct memsrc {
    const unsigned char *buf;
    size_t len, pos;
    char msg[200];
} memsrc;

static tmsize_t mem_read(thandle_t h, void *dst, tmsize_t n)
{
    memsrc *m = (memsrc *)h;
    if (n < 0)
        return 0;
    size_t left = m->len - m->pos, k = (size_t)n < left ? (size_t)n : left;
    memcpy(dst, m->buf + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *src, tmsize_t n)
{
    return 0;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    memsrc *m = (memsrc *)h;
    unsigned long long base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    unsigned long long to = base + off;
    if (to > m->len)
        to = m->len;
    m->pos = (size_t)to;
    return (toff_t)to;
}

static int mem_close(thandle_t h)
{
    return 0;
}

static toff_t mem_size(thandle_t h)
{
    return ((memsrc *)h)->len;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    return 0;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
}

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    memsrc *m = user;
    if (!m->msg[0])
        vsnprintf(m->msg, sizeof m->msg, fmt, ap);
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    return 1; /* unknown tags and the like are not errors; stay quiet */
}

static double tiff_ppi(TIFF *t)
{
    float xres = 0;
    uint16_t unit = RESUNIT_INCH;
    if (!TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres) || xres <= 0)
        return 0;
    TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
    if (unit == RESUNIT_CENTIMETER)
        return xres * 2.54;
    return unit == RESUNIT_INCH ? xres : 0;
}

/* 8-bit single-sample images are read by scanline (fingerprints keep exact values);
 * anything else goes through TIFFReadRGBAImage. */
static int read_pixels(TIFF *t, memsrc *m, eyni_image *img, int grey8, eyni_error *err)
{
    if (grey8) {
        uint16_t photometric = PHOTOMETRIC_MINISBLACK;
        TIFFGetFieldDefaulted(t, TIFFTAG_PHOTOMETRIC, &photometric);
        if (TIFFScanlineSize(t) < img->width)
            return eyni_error_set(err, EYNI_EFORMAT, "TIFF: scanline shorter than the width");
        unsigned char *line = malloc((size_t)TIFFScanlineSize(t));
        if (!line)
            return eyni_error_set(err, EYNI_ENOMEM, "TIFF: out of memory");
        for (int y = 0; y < img->height; y++) {
            if (TIFFReadScanline(t, line, (uint32_t)y, 0) < 0) {
                free(line);
                return eyni_error_set(err, EYNI_EFORMAT, "TIFF: row %d: %s", y,
                                      m->msg[0] ? m->msg : "unreadable");
            }
            unsigned char *row = img->data + (size_t)y * (size_t)img->width;
            for (int x = 0; x < img->width; x++)
                row[x] = photometric == PHOTOMETRIC_MINISWHITE ? (unsigned char)(255 - line[x])
                                                               : line[x];
        }
        free(line);
        return 0;
    }
    size_t n = (size_t)img->width * (size_t)img->height;
    uint32_t *rgba = malloc(n * sizeof *rgba);
    if (!rgba)
        return eyni_error_set(err, EYNI_ENOMEM, "TIFF: out of memory");
    if (!TIFFReadRGBAImageOriented(t, (uint32_t)img->width, (uint32_t)img->height, rgba,
                                   ORIENTATION_TOPLEFT, 0)) {
        free(rgba);
        return eyni_error_set(err, EYNI_EFORMAT, "TIFF: %s", m->msg[0] ? m->msg : "unreadable");
    }
    for (size_t i = 0; i < n; i++) {
        img->data[3 * i] = (unsigned char)TIFFGetR(rgba[i]);
        img->data[3 * i + 1] = (unsigned char)TIFFGetG(rgba[i]);
        img->data[3 * i + 2] = (unsigned char)TIFFGetB(rgba[i]);
    }
    free(rgba);
    return 0;
}

int image_decode_tiff(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    memsrc m = {buf, len, 0, ""};
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts)
        return eyni_error_set(err, EYNI_ENOMEM, "TIFF: out of memory");
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &m);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &m);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)EYNI_IMAGE_MAX_PIXELS * 4);
    TIFF *t = TIFFClientOpenExt("memory", "rm", &m, mem_read, mem_write, mem_seek, mem_close,
                                mem_size, mem_map, mem_unmap, opts);
    TIFFOpenOptionsFree(opts);
    if (!t)
        return eyni_error_set(err, EYNI_EFORMAT, "TIFF: %s", m.msg[0] ? m.msg : "unreadable");
    uint32_t w = 0, h = 0;
    uint16_t bps = 1, spp = 1;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    int rc = image_check_size("TIFF", w, h, err);
    int grey8 = bps == 8 && spp == 1;
    eyni_image *img = rc ? NULL : eyni_image_new((int)w, (int)h, grey8 ? 1 : 3, err);
    if (!rc && !img)
        rc = err ? err->code : EYNI_ENOMEM;
    if (!rc)
        rc = read_pixels(t, &m, img, grey8, err);
    if (!rc)
        img->ppi = tiff_ppi(t);
    TIFFClose(t);
    if (rc) {
        eyni_image_free(img);
        return rc;
    }
    *out = img;
    return 0;
}
