/* JPEG through libjpeg-turbo; library errors unwind by longjmp into an eyni_error. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "image_int.h"

typedef struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jerr;

static void on_error(j_common_ptr cinfo)
{
    jerr *e = (jerr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo)
{
    /* libjpeg counts warnings (e.g. premature end of data) itself; a truncated file must
     * not pass as an image, so the decoder fails on any after reading. Nothing is printed. */
    (void)cinfo;
}

static double jfif_ppi(const struct jpeg_decompress_struct *c)
{
    if (c->density_unit == 1)
        return c->X_density;
    if (c->density_unit == 2)
        return c->X_density * 2.54;
    return 0;
}

int image_decode_jpeg(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    struct jpeg_decompress_struct c;
    jerr je;
    eyni_image *volatile img = NULL;
    c.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = on_error;
    je.pub.output_message = on_message;
    if (setjmp(je.jump)) {
        jpeg_destroy_decompress(&c);
        eyni_image_free(img);
        return eyni_error_set(err, EYNI_EFORMAT, "JPEG: %s", je.msg);
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, buf, (unsigned long)len);
    jpeg_read_header(&c, TRUE);
    int rc = image_check_size("JPEG", c.image_width, c.image_height, err);
    if (rc) {
        jpeg_destroy_decompress(&c);
        return rc;
    }
    int grey = c.jpeg_color_space == JCS_GRAYSCALE;
    c.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    img = eyni_image_new((int)c.image_width, (int)c.image_height, grey ? 1 : 3, err);
    if (!img) {
        jpeg_destroy_decompress(&c);
        return err ? err->code : EYNI_ENOMEM;
    }
    jpeg_start_decompress(&c);
    size_t stride = (size_t)img->width * (size_t)img->channels;
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = img->data + c.output_scanline * stride;
        jpeg_read_scanlines(&c, &row, 1);
    }
    long warnings = c.err->num_warnings;
    jpeg_finish_decompress(&c);
    img->ppi = jfif_ppi(&c);
    jpeg_destroy_decompress(&c);
    if (warnings > 0) {
        eyni_image_free(img);
        return eyni_error_set(err, EYNI_EFORMAT, "JPEG: corrupt or truncated data (%ld warnings)",
                              warnings);
    }
    *out = img;
    return 0;
}

int eyni_image_encode_jpeg(const eyni_image *img, int quality, unsigned char **buf, size_t *len,
                           eyni_error *err)
{
    struct jpeg_compress_struct c;
    jerr je;
    unsigned char *mem = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = on_error;
    je.pub.output_message = on_message;
    if (setjmp(je.jump)) {
        jpeg_destroy_compress(&c);
        free(mem);
        return eyni_error_set(err, EYNI_EIO, "JPEG encode: %s", je.msg);
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &size);
    c.image_width = (JDIMENSION)img->width;
    c.image_height = (JDIMENSION)img->height;
    c.input_components = img->channels;
    c.in_color_space = img->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality < 1 ? 1 : quality > 100 ? 100 : quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    size_t stride = (size_t)img->width * (size_t)img->channels;
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = img->data + c.next_scanline * stride;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *buf = mem;
    *len = size;
    return 0;
}
