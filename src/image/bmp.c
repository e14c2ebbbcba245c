/* Uncompressed Windows BMP: 8-bit palette, 24-bit and 32-bit, bottom-up or top-down. */
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

typedef struct bmp_info {
    uint32_t offset, header;
    int32_t width, height;
    uint16_t bpp;
    uint32_t compression, colours;
    double ppi;
} bmp_info;

static int read_info(const unsigned char *b, size_t n, bmp_info *bi, eyni_error *err)
{
    if (n < 54)
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: file shorter than its header");
    bi->offset = le32(b + 10);
    bi->header = le32(b + 14);
    if (bi->header < 40 || bi->header > n - 14)
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: unsupported header size %u", bi->header);
    bi->width = (int32_t)le32(b + 18);
    bi->height = (int32_t)le32(b + 22);
    bi->bpp = le16(b + 28);
    bi->compression = le32(b + 30);
    bi->ppi = le32(b + 38) * 0.0254;
    bi->colours = le32(b + 46);
    if (bi->compression != 0 && !(bi->compression == 3 && bi->bpp == 32))
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: compression %u not supported",
                              bi->compression);
    if (bi->bpp != 8 && bi->bpp != 24 && bi->bpp != 32)
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: %u bits per pixel not supported", bi->bpp);
    if (bi->height == INT32_MIN)
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: bad height");
    return 0;
}

/* The palette is grey when every entry has R == G == B. */
static int palette_grey(const unsigned char *pal, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        if (pal[4 * i] != pal[4 * i + 1] || pal[4 * i] != pal[4 * i + 2])
            return 0;
    return 1;
}

int image_decode_bmp(const unsigned char *b, size_t n, eyni_image **out, eyni_error *err)
{
    bmp_info bi = {0};
    int rc = read_info(b, n, &bi, err);
    if (rc)
        return rc;
    long long w = bi.width, h = bi.height < 0 ? -(long long)bi.height : bi.height;
    rc = image_check_size("BMP", w, h, err);
    if (rc)
        return rc;
    uint32_t ncol = bi.bpp == 8 ? (bi.colours ? bi.colours : 256) : 0;
    size_t pal_off = 14 + (size_t)bi.header;
    if (ncol > 256 || pal_off + 4ull * ncol > n)
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: palette outside the file");
    const unsigned char *pal = b + pal_off;
    size_t stride = ((size_t)w * bi.bpp / 8 + 3) & ~(size_t)3;
    if (bi.offset > n || stride * (size_t)h > n - bi.offset)
        return eyni_error_set(err, EYNI_EFORMAT, "BMP: pixel data truncated");
    int grey = bi.bpp == 8 && palette_grey(pal, ncol);
    eyni_image *img = eyni_image_new((int)w, (int)h, grey ? 1 : 3, err);
    if (!img)
        return err ? err->code : EYNI_ENOMEM;
    for (long long y = 0; y < h; y++) {
        long long src_y = bi.height > 0 ? h - 1 - y : y;
        const unsigned char *row = b + bi.offset + (size_t)src_y * stride;
        unsigned char *dst = img->data + (size_t)y * (size_t)w * (size_t)img->channels;
        for (long long x = 0; x < w; x++) {
            if (bi.bpp == 8) {
                unsigned idx = row[x];
                if (idx >= ncol) {
                    eyni_image_free(img);
                    return eyni_error_set(err, EYNI_EFORMAT, "BMP: palette index %u of %u", idx,
                                          ncol);
                }
                const unsigned char *p = pal + 4 * idx;
                if (grey) {
                    dst[x] = p[0];
                } else {
                    dst[3 * x] = p[2];
                    dst[3 * x + 1] = p[1];
                    dst[3 * x + 2] = p[0];
                }
            } else {
                const unsigned char *p = row + (size_t)x * (bi.bpp / 8);
                dst[3 * x] = p[2];
                dst[3 * x + 1] = p[1];
                dst[3 * x + 2] = p[0];
            }
        }
    }
    img->ppi = bi.ppi;
    *out = img;
    return 0;
}
