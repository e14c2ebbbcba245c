/* PNG through libpng's simplified API; resolution from the pHYs chunk. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walks the chunk list (bounds-checked) for pHYs in pixels per metre. */
static double png_ppi(const unsigned char *buf, size_t len)
{
    size_t off = 8;
    while (off + 12 <= len) {
        uint32_t n = be32(buf + off);
        if (n > len - off - 12)
            return 0;
        if (memcmp(buf + off + 4, "pHYs", 4) == 0 && n == 9 && buf[off + 16] == 1)
            return be32(buf + off + 8) * 0.0254;
        if (memcmp(buf + off + 4, "IDAT", 4) == 0)
            return 0;
        off += 12 + n;
    }
    return 0;
}

int image_decode_png(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&pi, buf, len))
        return eyni_error_set(err, EYNI_EFORMAT, "PNG: %s", pi.message);
    int rc = image_check_size("PNG", pi.width, pi.height, err);
    if (rc) {
        png_image_free(&pi);
        return rc;
    }
    int grey = (pi.format & PNG_FORMAT_FLAG_COLOR) == 0;
    /* Alpha is composited onto white: documents and sensors have no transparency. */
    pi.format = grey ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    eyni_image *img = eyni_image_new((int)pi.width, (int)pi.height, grey ? 1 : 3, err);
    if (!img) {
        png_image_free(&pi);
        return err ? err->code : EYNI_ENOMEM;
    }
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&pi, &white, img->data, 0, NULL)) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "PNG: %s", pi.message);
        png_image_free(&pi);
        eyni_image_free(img);
        return rc;
    }
    img->ppi = png_ppi(buf, len);
    *out = img;
    return 0;
}

int eyni_image_encode_png(const eyni_image *img, unsigned char **buf, size_t *len,
                          eyni_error *err)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)img->width;
    pi.height = (png_uint_32)img->height;
    pi.format = img->channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&pi, NULL, &size, 0, img->data, 0, NULL))
        return eyni_error_set(err, EYNI_EIO, "PNG encode: %s", pi.message);
    unsigned char *mem = malloc(size);
    if (!mem)
        return eyni_error_set(err, EYNI_ENOMEM, "PNG encode: out of memory");
    if (!png_image_write_to_memory(&pi, mem, &size, 0, img->data, 0, NULL)) {
        free(mem);
        return eyni_error_set(err, EYNI_EIO, "PNG encode: %s", pi.message);
    }
    *buf = mem;
    *len = size;
    return 0;
}
