/*
 * Decode check of portrait images inside face records (JPEG via libjpeg-turbo, JPEG 2000
 * via OpenJPEG). Kept minimal and private: the image module owns general decoding; here we
 * only need to know that the bytes are a whole picture and its size. Any decoder warning
 * (corrupt data, premature end) counts as a failure: a chip image must be clean.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <openjpeg.h>

#include "mrtd_int.h"

typedef struct jpeg_guard {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX];
} jpeg_guard;

static void jpeg_fail(j_common_ptr c)
{
    jpeg_guard *g = (jpeg_guard *)c->err;
    c->err->format_message(c, g->msg);
    longjmp(g->jmp, 1);
}

static void jpeg_message(j_common_ptr c, int level)
{
    /* level -1 is a corrupt-data warning: treat it as fatal. */
    if (level < 0)
        jpeg_fail(c);
}

static int check_jpeg(const unsigned char *img, size_t len, unsigned *w, unsigned *h, char *problem,
                      size_t cap)
{
    struct jpeg_decompress_struct d;
    jpeg_guard g;
    JSAMPLE *volatile row = NULL; /* volatile: read after longjmp */
    memset(&d, 0, sizeof d);
    d.err = jpeg_std_error(&g.mgr);
    g.mgr.error_exit = jpeg_fail;
    g.mgr.emit_message = jpeg_message;
    g.msg[0] = '\0';
    if (setjmp(g.jmp)) {
        snprintf(problem, cap, "JPEG does not decode: %s", g.msg);
        free(row);
        jpeg_destroy_decompress(&d);
        return 0;
    }
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, img, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    if ((unsigned long long)d.image_width * d.image_height > EYNI_FACE_MAX_IMAGE_PIXELS) {
        snprintf(problem, cap, "JPEG of %ux%u exceeds the pixel limit", d.image_width,
                 d.image_height);
        jpeg_destroy_decompress(&d);
        return 0;
    }
    jpeg_start_decompress(&d);
    row = malloc((size_t)d.output_width * (size_t)d.output_components);
    if (!row) {
        snprintf(problem, cap, "out of memory decoding JPEG");
        jpeg_destroy_decompress(&d);
        return 0;
    }
    while (d.output_scanline < d.output_height) {
        JSAMPROW r = row;
        jpeg_read_scanlines(&d, &r, 1);
    }
    jpeg_finish_decompress(&d);
    *w = d.image_width;
    *h = d.image_height;
    free(row);
    jpeg_destroy_decompress(&d);
    return 1;
}

typedef struct mem_stream {
    const unsigned char *p;
    size_t len, pos;
} mem_stream;

static OPJ_SIZE_T ms_read(void *buf, OPJ_SIZE_T n, void *user)
{
    mem_stream *m = user;
    if (m->pos >= m->len)
        return (OPJ_SIZE_T)-1;
    size_t k = m->len - m->pos < n ? m->len - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return k;
}

static OPJ_OFF_T ms_skip(OPJ_OFF_T n, void *user)
{
    mem_stream *m = user;
    if (n < 0 || (size_t)n > m->len - m->pos)
        return -1;
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL ms_seek(OPJ_OFF_T n, void *user)
{
    mem_stream *m = user;
    if (n < 0 || (size_t)n > m->len)
        return OPJ_FALSE;
    m->pos = (size_t)n;
    return OPJ_TRUE;
}

typedef struct opj_note {
    char msg[160];
} opj_note;

static void opj_error(const char *msg, void *user)
{
    opj_note *n = user;
    if (!n->msg[0]) {
        snprintf(n->msg, sizeof n->msg, "%s", msg);
        size_t l = strlen(n->msg);
        while (l > 0 && (n->msg[l - 1] == '\n'))
            n->msg[--l] = '\0';
    }
}

static void opj_quiet(const char *msg, void *user)
{
}

static int check_jp2(const unsigned char *img, size_t len, int raw_codestream, unsigned *w,
                     unsigned *h, char *problem, size_t cap)
{
    mem_stream ms = {img, len, 0};
    opj_note note = {{0}};
    opj_image_t *image = NULL;
    int ok = 0;
    opj_codec_t *codec = opj_create_decompress(raw_codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
    opj_stream_t *st = opj_stream_create(64 * 1024, OPJ_TRUE);
    opj_dparameters_t params;
    if (!codec || !st) {
        snprintf(problem, cap, "out of memory decoding JPEG 2000");
        goto done;
    }
    opj_stream_set_user_data(st, &ms, NULL);
    opj_stream_set_user_data_length(st, len);
    opj_stream_set_read_function(st, ms_read);
    opj_stream_set_skip_function(st, ms_skip);
    opj_stream_set_seek_function(st, ms_seek);
    opj_set_error_handler(codec, opj_error, &note);
    opj_set_warning_handler(codec, opj_quiet, NULL);
    opj_set_info_handler(codec, opj_quiet, NULL);
    opj_set_default_decoder_parameters(&params);
    if (!opj_setup_decoder(codec, &params) || !opj_read_header(st, codec, &image)) {
        snprintf(problem, cap, "JPEG 2000 header does not decode: %s",
                 note.msg[0] ? note.msg : "unreadable");
        goto done;
    }
    if ((unsigned long long)(image->x1 - image->x0) * (image->y1 - image->y0) >
        EYNI_FACE_MAX_IMAGE_PIXELS) {
        snprintf(problem, cap, "JPEG 2000 image exceeds the pixel limit");
        goto done;
    }
    if (!opj_decode(codec, st, image) || !opj_end_decompress(codec, st)) {
        snprintf(problem, cap, "JPEG 2000 does not decode: %s",
                 note.msg[0] ? note.msg : "corrupt code-stream");
        goto done;
    }
    *w = image->x1 - image->x0;
    *h = image->y1 - image->y0;
    ok = 1;
done:
    opj_image_destroy(image);
    if (st)
        opj_stream_destroy(st);
    if (codec)
        opj_destroy_codec(codec);
    return ok;
}

int mrtd_image_check(const unsigned char *img, size_t len, unsigned *w, unsigned *h, char *problem,
                     size_t cap)
{
    static const unsigned char jp2_sig[12] = {0,   0,   0,    0x0C, 'j',  'P',
                                              ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
    static const unsigned char j2k_sig[4] = {0xFF, 0x4F, 0xFF, 0x51};
    *w = *h = 0;
    problem[0] = '\0';
    if (len >= 3 && img[0] == 0xFF && img[1] == 0xD8 && img[2] == 0xFF)
        return check_jpeg(img, len, w, h, problem, cap);
    if (len >= sizeof jp2_sig && memcmp(img, jp2_sig, sizeof jp2_sig) == 0)
        return check_jp2(img, len, 0, w, h, problem, cap);
    if (len >= sizeof j2k_sig && memcmp(img, j2k_sig, sizeof j2k_sig) == 0)
        return check_jp2(img, len, 1, w, h, problem, cap);
    snprintf(problem, cap, "image is neither JPEG nor JPEG 2000 (bad signature)");
    return 0;
}
