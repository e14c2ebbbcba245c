/* Module-private declarations of src/image. */
#ifndef EYNI_IMAGE_INT_H
#define EYNI_IMAGE_INT_H

#include "eyni/image.h"

/* ENOMEM/ELIMIT unless width x height x channels is a size we accept. */
int image_check_size(const char *fmt, long long width, long long height, eyni_error *err);

int image_decode_png(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);
int image_decode_jpeg(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);
int image_decode_tiff(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);
int image_decode_pnm(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);
int image_decode_bmp(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);
int image_decode_jp2(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);
int image_decode_wsq(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err);

#endif
