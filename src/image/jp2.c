/* JPEG 2000 (JP2 files and raw J2K codestreams) from memory through OpenJPEG. */
#include <openjpeg.h>
#include <stdlib.h>
#include <string.h>

#include "image_int.h"

typedef struct memsrc {
    const unsigned char *buf;
    size_t len, pos;
    char msg[200];
} memsrc;

static OPJ_SIZE_T mem_read(void *dst, OPJ_SIZE_T n, void *user)
{
    memsrc *m = user;
    size_t left = m->len - m->pos, k = n < left ? n : left;
    if (k == 0)
        return (OPJ_SIZE_T)-1;
    memcpy(dst, m->buf + m->pos, k);
    m->pos += k;
    return k;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user)
{
    memsrc *m = user;
    if (n < 0 || (size_t)n > m->len - m->pos)
        return -1;
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T to, void *user)
{
    memsrc *m = user;
    if (to < 0 || (size_t)to > m->len)
        return OPJ_FALSE;
    m->pos = (size_t)to;
    return OPJ_TRUE;
}

static void on_error(const char *msg, void *user)
{
    memsrc *m = user;
    if (!m->msg[0]) {
        snprintf(m->msg, sizeof m->msg, "%s", msg);
        size_t n = strlen(m->msg);
        if (n && m->msg[n - 1] == '\n')
            m->msg[n - 1] = '\0';
    }
}

static void on_quiet(const char *msg, void *user)
{
}

/* Scales a component sample of any precision to 8 bits. */
static unsigned char to8(const opj_image_comp_t *c, OPJ_INT32 v)
{
    if (c->sgnd)
        v += 1 << (c->prec - 1);
    if (c->prec > 8)
        v >>= c->prec - 8;
    else if (c->prec < 8)
        v <<= 8 - c->prec;
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static int convert(const opj_image_t *im, eyni_image **out, eyni_error *err)
{
    if (im->numcomps < 1 || !im->comps[0].data)
        return eyni_error_set(err, EYNI_EFORMAT, "JPEG 2000: no image components");
    int channels = im->numcomps >= 3 ? 3 : 1;
    const opj_image_comp_t *c0 = &im->comps[0];
    for (int k = 0; k < channels; k++) {
        const opj_image_comp_t *c = &im->comps[k];
        if (c->w != c0->w || c->h != c0->h || !c->data || c->prec < 1 || c->prec > 16)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "JPEG 2000: subsampled or unusual components not supported");
    }
    int rc = image_check_size("JPEG 2000", c0->w, c0->h, err);
    if (rc)
        return rc;
    eyni_image *img = eyni_image_new((int)c0->w, (int)c0->h, channels, err);
    if (!img)
        return err ? err->code : EYNI_ENOMEM;
    size_t n = (size_t)c0->w * c0->h;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < channels; k++)
            img->data[i * (size_t)channels + (size_t)k] = to8(&im->comps[k], im->comps[k].data[i]);
    *out = img;
    return 0;
}

int image_decode_jp2(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    memsrc m = {buf, len, 0, ""};
    int is_jp2 = len >= 12 && memcmp(buf + 4, "jP  ", 4) == 0;
    opj_codec_t *codec = opj_create_decompress(is_jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_stream_t *st = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_image_t *im = NULL;
    int rc = 0;
    if (!codec || !st) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "JPEG 2000: out of memory");
        goto done;
    }
    opj_set_error_handler(codec, on_error, &m);
    opj_set_warning_handler(codec, on_quiet, &m);
    opj_set_info_handler(codec, on_quiet, &m);
    opj_stream_set_user_data(st, &m, NULL);
    opj_stream_set_user_data_length(st, len);
    opj_stream_set_read_function(st, mem_read);
    opj_stream_set_skip_function(st, mem_skip);
    opj_stream_set_seek_function(st, mem_seek);
    opj_dparameters_t p;
    opj_set_default_decoder_parameters(&p);
    if (!opj_setup_decoder(codec, &p) || !opj_read_header(st, codec, &im)) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "JPEG 2000: %s", m.msg[0] ? m.msg : "bad header");
        goto done;
    }
    /* Refuse huge canvases before the decoder allocates them. */
    rc = image_check_size("JPEG 2000", (long long)im->x1 - im->x0, (long long)im->y1 - im->y0,
                          err);
    if (rc)
        goto done;
    if (!opj_decode(codec, st, im) || !opj_end_decompress(codec, st)) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "JPEG 2000: %s",
                            m.msg[0] ? m.msg : "corrupt codestream");
        goto done;
    }
    rc = convert(im, out, err);
done:
    opj_image_destroy(im);
    opj_stream_destroy(st);
    opj_destroy_codec(codec);
    return rc;
}
