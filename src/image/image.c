/* Image objects, format sniffing, decode dispatch and colour conversion. */
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

int image_check_size(const char *fmt, long long width, long long height, eyni_error *err)
{
    if (width <= 0 || height <= 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: image has no pixels (%lldx%lld)", fmt,
                              width, height);
    if (width > EYNI_IMAGE_MAX_SIDE || height > EYNI_IMAGE_MAX_SIDE ||
        width * height > EYNI_IMAGE_MAX_PIXELS)
        return eyni_error_set(err, EYNI_ELIMIT,
                              "%s: image of %lldx%lld exceeds the limit (%d per side, %d pixels)",
                              fmt, width, height, EYNI_IMAGE_MAX_SIDE, EYNI_IMAGE_MAX_PIXELS);
    return 0;
}

eyni_image *eyni_image_new(int width, int height, int channels, eyni_error *err)
{
    if (channels != 1 && channels != 3) {
        eyni_error_set(err, EYNI_EINVAL, "image: %d channels, need 1 or 3", channels);
        return NULL;
    }
    if (image_check_size("image", width, height, err))
        return NULL;
    eyni_image *img = calloc(1, sizeof *img);
    if (img)
        img->data = calloc((size_t)width * (size_t)height, (size_t)channels);
    if (!img || !img->data) {
        free(img);
        eyni_error_set(err, EYNI_ENOMEM, "image: out of memory for %dx%d", width, height);
        return NULL;
    }
    img->width = width;
    img->height = height;
    img->channels = channels;
    return img;
}

void eyni_image_free(eyni_image *img)
{
    if (!img)
        return;
    free(img->data);
    free(img);
}

eyni_image *eyni_image_clone(const eyni_image *img, eyni_error *err)
{
    eyni_image *c = eyni_image_new(img->width, img->height, img->channels, err);
    if (!c)
        return NULL;
    memcpy(c->data, img->data, (size_t)img->width * (size_t)img->height * (size_t)img->channels);
    c->ppi = img->ppi;
    return c;
}

eyni_image_format eyni_image_sniff(const unsigned char *b, size_t n)
{
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return EYNI_IMAGE_PNG;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return EYNI_IMAGE_JPEG;
    if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0))
        return EYNI_IMAGE_TIFF;
    if (n >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '3' || b[1] == '5' || b[1] == '6'))
        return EYNI_IMAGE_PNM;
    if (n >= 2 && b[0] == 'B' && b[1] == 'M')
        return EYNI_IMAGE_BMP;
    if (n >= 12 && memcmp(b, "\0\0\0\x0cjP  \r\n\x87\n", 12) == 0)
        return EYNI_IMAGE_JP2;
    if (n >= 4 && memcmp(b, "\xff\x4f\xff\x51", 4) == 0)
        return EYNI_IMAGE_JP2;
    if (n >= 4 && b[0] == 0xFF && b[1] == 0xA0 && b[2] == 0xFF)
        return EYNI_IMAGE_WSQ; /* SOI followed by a WSQ marker */
    return EYNI_IMAGE_UNKNOWN;
}

const char *eyni_image_format_name(eyni_image_format f)
{
    switch (f) {
    case EYNI_IMAGE_PNG: return "PNG";
    case EYNI_IMAGE_JPEG: return "JPEG";
    case EYNI_IMAGE_TIFF: return "TIFF";
    case EYNI_IMAGE_PNM: return "PNM";
    case EYNI_IMAGE_BMP: return "BMP";
    case EYNI_IMAGE_JP2: return "JPEG 2000";
    case EYNI_IMAGE_WSQ: return "WSQ";
    default: return "unknown";
    }
}

int eyni_image_convert(const eyni_image *in, int channels, eyni_image **out, eyni_error *err)
{
    eyni_image *o = eyni_image_new(in->width, in->height, channels, err);
    if (!o)
        return err ? err->code : EYNI_ENOMEM;
    size_t n = (size_t)in->width * (size_t)in->height;
    const unsigned char *s = in->data;
    if (in->channels == channels) {
        memcpy(o->data, s, n * (size_t)channels);
    } else if (channels == 1) {
        /* BT.601 luma in fixed point: 0.299 R + 0.587 G + 0.114 B. */
        for (size_t i = 0; i < n; i++)
            o->data[i] = (unsigned char)((77 * s[3 * i] + 150 * s[3 * i + 1] +
                                          29 * s[3 * i + 2] + 128) >> 8);
    } else {
        for (size_t i = 0; i < n; i++)
            memset(o->data + 3 * i, s[i], 3);
    }
    o->ppi = in->ppi;
    *out = o;
    return 0;
}

typedef int (*decoder)(const unsigned char *, size_t, eyni_image **, eyni_error *);

int eyni_image_decode(const unsigned char *buf, size_t len, int channels, eyni_image **out,
                      eyni_error *err)
{
    if (channels != 0 && channels != 1 && channels != 3)
        return eyni_error_set(err, EYNI_EINVAL, "image: %d channels requested", channels);
    if (!buf || len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "image: empty input");
    if (len > EYNI_IMAGE_MAX_BYTES)
        return eyni_error_set(err, EYNI_ELIMIT, "image: %zu bytes exceeds %d", len,
                              EYNI_IMAGE_MAX_BYTES);
    eyni_image_format f = eyni_image_sniff(buf, len);
    decoder dec = NULL;
    switch (f) {
    case EYNI_IMAGE_PNG: dec = image_decode_png; break;
    case EYNI_IMAGE_JPEG: dec = image_decode_jpeg; break;
    case EYNI_IMAGE_TIFF: dec = image_decode_tiff; break;
    case EYNI_IMAGE_PNM: dec = image_decode_pnm; break;
    case EYNI_IMAGE_BMP: dec = image_decode_bmp; break;
    case EYNI_IMAGE_JP2: dec = image_decode_jp2; break;
    case EYNI_IMAGE_WSQ: dec = image_decode_wsq; break;
    default:
        return eyni_error_set(err, EYNI_EFORMAT, "not an image: no PNG, JPEG, TIFF, PNM, BMP, "
                                                 "JPEG 2000 or WSQ signature");
    }
    eyni_image *img = NULL;
    int rc = dec(buf, len, &img, err);
    if (rc)
        return rc;
    if (channels && channels != img->channels) {
        eyni_image *conv = NULL;
        rc = eyni_image_convert(img, channels, &conv, err);
        eyni_image_free(img);
        if (rc)
            return rc;
        img = conv;
    }
    *out = img;
    return 0;
}

int eyni_image_load(const char *path, int channels, eyni_image **out, eyni_error *err)
{
    unsigned char *buf;
    size_t len;
    int rc = eyni_file_read(path, EYNI_IMAGE_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    rc = eyni_image_decode(buf, len, channels, out, err);
    free(buf);
    if (rc)
        eyni_error_prefix(err, "%s: ", path);
    return rc;
}
