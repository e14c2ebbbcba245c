/*
 * eyni/image.h - decoding, encoding and geometry of 8-bit images.
 *
 * Decoders take untrusted bytes: the format is told by its signature, not the file name;
 * headers are checked against EYNI_IMAGE_MAX_SIDE / EYNI_IMAGE_MAX_PIXELS before any pixel
 * memory is allocated, and every library error becomes an eyni_error.
 */
#ifndef EYNI_IMAGE_H
#define EYNI_IMAGE_H

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_IMAGE_MAX_SIDE 16384
#define EYNI_IMAGE_MAX_PIXELS (40 * 1000 * 1000)
#define EYNI_IMAGE_MAX_BYTES (64 * 1024 * 1024)

typedef enum eyni_image_format {
    EYNI_IMAGE_UNKNOWN = 0,
    EYNI_IMAGE_PNG,
    EYNI_IMAGE_JPEG,
    EYNI_IMAGE_TIFF,
    EYNI_IMAGE_PNM,
    EYNI_IMAGE_BMP,
    EYNI_IMAGE_JP2, /* JPEG 2000, JP2 file or raw codestream */
    EYNI_IMAGE_WSQ
} eyni_image_format;

/* Pixels are 8-bit, rows packed (stride == width * channels), grey (1) or RGB (3). */
typedef struct eyni_image {
    int width;
    int height;
    int channels;
    double ppi;          /* resolution stated by the file, 0 when unknown */
    unsigned char *data; /* width * height * channels bytes */
} eyni_image;

/* A zeroed image; NULL (and err set) on bad size or no memory. */
eyni_image *eyni_image_new(int width, int height, int channels, eyni_error *err);
void eyni_image_free(eyni_image *img);
eyni_image *eyni_image_clone(const eyni_image *img, eyni_error *err);

/* Format from the first bytes; EYNI_IMAGE_UNKNOWN when no signature matches. */
eyni_image_format eyni_image_sniff(const unsigned char *buf, size_t len);
const char *eyni_image_format_name(eyni_image_format f);

/*
 * Decodes PNG, JPEG, TIFF, PGM/PPM, BMP, JPEG 2000 or WSQ from memory. channels: 0 keeps the
 * file's (grey stays grey, everything else becomes RGB), 1 forces grey, 3 forces RGB.
 * On failure *out is untouched and err names the format and the problem.
 */
int eyni_image_decode(const unsigned char *buf, size_t len, int channels, eyni_image **out,
                      eyni_error *err);
/* Reads and decodes a file (at most EYNI_IMAGE_MAX_BYTES); messages start with the path. */
int eyni_image_load(const char *path, int channels, eyni_image **out, eyni_error *err);

/* Encoders; *buf is malloc'd and owned by the caller. */
int eyni_image_encode_png(const eyni_image *img, unsigned char **buf, size_t *len,
                          eyni_error *err);
int eyni_image_encode_jpeg(const eyni_image *img, int quality, unsigned char **buf, size_t *len,
                           eyni_error *err);
/*
 * WSQ (FBI IAFIS-IC-0110 v3.1) grey-scale fingerprint compression. The decoder takes any
 * conformant stream with odd-length filters; eyni_image_decode also dispatches WSQ here.
 * The encoder takes a grey image of at least 32x32 pixels and a target bit rate in bits per
 * pixel (EYNI_WSQ_DEFAULT_BITRATE when <= 0); ppi is written to the NIST_COM comment (0 takes
 * img->ppi, -1 when both are unknown). *buf is malloc'd and owned by the caller.
 */
#define EYNI_WSQ_DEFAULT_BITRATE 0.75
int eyni_image_decode_wsq(const unsigned char *buf, size_t len, eyni_image **out,
                          eyni_error *err);
int eyni_image_encode_wsq(const eyni_image *img, double bitrate, int ppi, unsigned char **buf,
                          size_t *len, eyni_error *err);
/* Writes by extension: .png, .jpg/.jpeg, .pgm/.ppm. */
int eyni_image_save(const eyni_image *img, const char *path, eyni_error *err);

/* Grey (ITU-R BT.601 luma) or RGB copy of any image. */
int eyni_image_convert(const eyni_image *in, int channels, eyni_image **out, eyni_error *err);
/* Resize to width x height: area averaging when shrinking, bilinear when enlarging. */
int eyni_image_resize(const eyni_image *in, int width, int height, eyni_image **out,
                      eyni_error *err);
/* Gaussian blur of standard deviation sigma pixels (0 < sigma <= 64), edges replicated. */
int eyni_image_blur(const eyni_image *in, float sigma, eyni_image **out, eyni_error *err);
/*
 * Affine warp into a width x height image. m maps destination to source coordinates:
 * xs = m[0]*x + m[1]*y + m[2], ys = m[3]*x + m[4]*y + m[5]. Bilinear sampling; outside
 * pixels take the value fill.
 */
int eyni_image_warp_affine(const eyni_image *in, const double m[6], int width, int height,
                           unsigned char fill, eyni_image **out, eyni_error *err);
/* Inverts a 2x3 affine matrix; EINVAL when singular. */
int eyni_image_affine_invert(const double m[6], double inv[6], eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
