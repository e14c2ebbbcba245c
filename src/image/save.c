/* Writing images to files, choosing the encoder by the file's extension. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image_int.h"

static int encode_pnm(const eyni_image *img, unsigned char **buf, size_t *len, eyni_error *err)
{
    char head[64];
    int h = snprintf(head, sizeof head, "P%c\n%d %d\n255\n", img->channels == 1 ? '5' : '6',
                     img->width, img->height);
    size_t n = (size_t)img->width * (size_t)img->height * (size_t)img->channels;
    unsigned char *b = malloc((size_t)h + n);
    if (!b)
        return eyni_error_set(err, EYNI_ENOMEM, "PNM encode: out of memory");
    memcpy(b, head, (size_t)h);
    memcpy(b + h, img->data, n);
    *buf = b;
    *len = (size_t)h + n;
    return 0;
}

int eyni_image_save(const eyni_image *img, const char *path, eyni_error *err)
{
    const char *dot = strrchr(path, '.');
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc;
    if (dot && strcasecmp(dot, ".png") == 0)
        rc = eyni_image_encode_png(img, &buf, &len, err);
    else if (dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0))
        rc = eyni_image_encode_jpeg(img, 92, &buf, &len, err);
    else if (dot && (strcasecmp(dot, ".pgm") == 0 || strcasecmp(dot, ".ppm") == 0))
        rc = encode_pnm(img, &buf, &len, err);
    else
        return eyni_error_set(err, EYNI_EINVAL, "%s: unknown image extension (png, jpg, pgm)",
                              path);
    if (rc == 0)
        rc = eyni_file_write_atomic(path, buf, len, 0644, err);
    free(buf);
    return rc;
}
