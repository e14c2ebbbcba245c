/*
 * WSQ encoder following the FBI parameter settings for "encoder number one" (Part 3 of
 * IAFIS-IC-0110 v3.1): 9/7 biorthogonal filters, subband variances over a central window,
 * bit allocation that meets a target bit rate, dead-zone quantiser with Z = 1.2 Q, and
 * optimal Huffman tables (one for block 1, one for blocks 2 and 3).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsq_int.h"

#define WSQ_MIN_SIDE       32    /* five decomposition levels need this many pixels */
#define WSQ_VARIANCE_FLOOR 1.01  /* subbands below are not transmitted */
#define WSQ_SMALL_VARIANCE 20000 /* total below: variances over whole subbands */
#define WSQ_BIN_CENTRE     0.44
#define WSQ_MAX_BIN        0xFFFF /* largest quantised magnitude the coder sends (16-bit escape) */

/* Analysis filters of the specification, centre tap first. */
static const double lo_half[5] = {0.852698679009403, 0.377402855612654, -0.110624404418423,
                                  -0.023849465019380, 0.037828455506995};
static const double hi_half[4] = {0.788485616405664, -0.418092273222212, -0.040689417609558,
                                  0.064538882628938};

typedef struct bytes {
    unsigned char *p;
    size_t len, cap;
    int failed;
} bytes;

static void put(bytes *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap < b->len + n)
            ncap *= 2;
        unsigned char *np = realloc(b->p, ncap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put8(bytes *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put16(bytes *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put32(bytes *b, unsigned long v)
{
    put16(b, (unsigned)(v >> 16) & 0xFFFF);
    put16(b, (unsigned)v & 0xFFFF);
}

/*
 * v as scale byte + unsigned integer of at most max: the largest decimal scale that fits.
 * Returns the value a decoder will see, so the encoder works with exactly that.
 */
static double storable(double v, unsigned long max, unsigned *scale, unsigned long *ival)
{
    v = fabs(v);
    unsigned s = 0;
    while (v > 0 && s < 20 && v * pow(10, s + 1) < (double)max)
        s++;
    double iv = floor(v * pow(10, s) + 0.5);
    if (iv > (double)max)
        iv = (double)max;
    *scale = s;
    *ival = (unsigned long)iv;
    return iv / pow(10, s);
}

static void put_scaled16(bytes *b, double v, double *stored)
{
    unsigned s;
    unsigned long iv;
    double r = storable(v, 0xFFFF, &s, &iv);
    if (stored)
        *stored = r;
    put8(b, s);
    put16(b, (unsigned)iv);
}

/* ---- parameters ------------------------------------------------------------------- */

static void filters_build(wsq_filters *f, bytes *b)
{
    f->lo_len = 9;
    f->hi_len = 7;
    put16(b, WSQ_DTT);
    put16(b, 2 + 2 + 6 * 9);
    put8(b, 9);
    put8(b, 7);
    for (int k = 0; k < 9; k++) {
        double v = k < 5 ? lo_half[k] : hi_half[k - 5];
        unsigned s;
        unsigned long iv;
        double r = storable(v, 0xFFFFFFFFul, &s, &iv);
        put8(b, v < 0);
        put8(b, s);
        put32(b, iv);
        if (v < 0)
            r = -r;
        double *full = k < 5 ? f->lo : f->hi;
        int c = k < 5 ? 4 : 3, i = k < 5 ? k : k - 5;
        full[c + i] = full[c - i] = r;
    }
}

/* Variance of a subband over the window the specification names (or all of it). */
static double band_variance(const float *plane, int width, wsq_rect r, int whole)
{
    int x0 = whole ? 0 : r.w / 8, y0 = whole ? 0 : (9 * r.h) / 32;
    int w = whole ? r.w : (3 * r.w) / 4, h = whole ? r.h : (7 * r.h) / 16;
    if (w * h < 2 && !whole)
        return band_variance(plane, width, r, 1); /* window too small on small images */
    if (w * h < 2) {
        /* one coefficient has no spread: its energy keeps it from being dropped */
        double v = w > 0 && h > 0 ? plane[(size_t)r.y * width + r.x] : 0;
        return v * v;
    }
    double s = 0, s2 = 0;
    for (int y = 0; y < h; y++) {
        const float *row = plane + (size_t)(r.y + y0 + y) * width + r.x + x0;
        for (int x = 0; x < w; x++) {
            s += row[x];
            s2 += (double)row[x] * row[x];
        }
    }
    double n = (double)w * h;
    return (s2 - s * s / n) / (n - 1);
}

/* Bin widths per Part 3: relative widths, then the scale q that meets the bit rate. */
static void allocate_bits(const double *var, double rate, double *qbin)
{
    double weight[WSQ_CODED_SUBBANDS], rel[WSQ_CODED_SUBBANDS], area[WSQ_CODED_SUBBANDS];
    int in[WSQ_CODED_SUBBANDS];
    static const double a_high[8] = {1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08};
    for (int k = 0; k < WSQ_CODED_SUBBANDS; k++) {
        weight[k] = k >= 52 ? a_high[k - 52] : 1.0;
        area[k] = k < 4 ? 1.0 / 1024 : k < 51 ? 1.0 / 256 : 1.0 / 16;
        in[k] = var[k] >= WSQ_VARIANCE_FLOOR;
        rel[k] = in[k] ? (k < 4 ? 1.0 : 10.0 / (weight[k] * log(var[k]))) : 0;
    }
    double q = 1;
    for (int removed = 1; removed;) {
        double s = 0, logp = 0;
        for (int k = 0; k < WSQ_CODED_SUBBANDS; k++)
            if (in[k]) {
                s += area[k];
                logp += area[k] * log(sqrt(var[k]) / rel[k]);
            }
        if (s <= 0)
            break;
        q = pow(2.0, rate / s - 1.0) / 2.5 / exp(logp / s);
        removed = 0;
        /* a bin wider than five standard deviations codes nothing: drop the subband */
        for (int k = 0; k < WSQ_CODED_SUBBANDS; k++)
            if (in[k] && rel[k] / q >= 5.0 * sqrt(var[k])) {
                in[k] = 0;
                removed = 1;
            }
    }
    for (int k = 0; k < WSQ_SUBBANDS; k++)
        qbin[k] = k < WSQ_CODED_SUBBANDS && in[k] ? rel[k] / q : 0;
}

/* ---- entropy coding --------------------------------------------------------------- */

typedef struct sym {
    unsigned char sym, nextra;
    uint16_t extra;
} sym;

typedef struct symlist {
    sym *s;
    size_t n, cap;
    int failed;
} symlist;

static void emit(symlist *l, int s, int nextra, unsigned extra)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4096;
        sym *ns = realloc(l->s, ncap * sizeof *ns);
        if (!ns) {
            l->failed = 1;
            return;
        }
        l->s = ns;
        l->cap = ncap;
    }
    l->s[l->n++] = (sym){(unsigned char)s, (unsigned char)nextra, (uint16_t)extra};
}

static void emit_run(symlist *l, size_t run)
{
    while (run > 0) {
        size_t r = run > 0xFFFF ? 0xFFFF : run;
        if (r <= 100)
            emit(l, (int)r, 0, 0);
        else if (r <= 0xFF)
            emit(l, 105, 8, (unsigned)r);
        else
            emit(l, 106, 16, (unsigned)r);
        run -= r;
    }
}

static void emit_coef(symlist *l, int v)
{
    if (v >= -73 && v <= 74)
        emit(l, v + 180, 0, 0);
    else if (v > 0)
        emit(l, v <= 0xFF ? 101 : 103, v <= 0xFF ? 8 : 16, (unsigned)v);
    else
        emit(l, -v <= 0xFF ? 102 : 104, -v <= 0xFF ? 8 : 16, (unsigned)-v);
}

static void symbols(const int *q, size_t n, symlist *l)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (q[i] == 0) {
            run++;
            continue;
        }
        emit_run(l, run);
        run = 0;
        emit_coef(l, q[i]);
    }
    emit_run(l, run);
}

typedef struct huff_code {
    unsigned char bits[WSQ_MAX_HUFF_LEN + 1];
    unsigned char vals[256];
    int nvals;
    unsigned code[256];
    int size[256];
} huff_code;

/*
 * Optimal code lengths limited to 16 bits (the procedure of JPEG Annex K.2): a pseudo
 * symbol 256 of frequency 1 takes the all-ones code, which is then removed.
 */
static void huff_lengths(const long *freq_in, huff_code *h)
{
    long freq[257];
    int codesize[257], others[257], count[33] = {0};
    memcpy(freq, freq_in, 256 * sizeof *freq);
    freq[256] = 1;
    for (int i = 0; i < 257; i++) {
        codesize[i] = 0;
        others[i] = -1;
    }
    for (;;) {
        int c1 = -1, c2 = -1;
        for (int i = 0; i < 257; i++)
            if (freq[i] > 0 && (c1 < 0 || freq[i] <= freq[c1]))
                c1 = i;
        for (int i = 0; i < 257; i++)
            if (freq[i] > 0 && i != c1 && (c2 < 0 || freq[i] <= freq[c2]))
                c2 = i;
        if (c2 < 0)
            break;
        freq[c1] += freq[c2];
        freq[c2] = 0;
        for (codesize[c1]++; others[c1] >= 0; codesize[c1]++)
            c1 = others[c1];
        others[c1] = c2;
        for (codesize[c2]++; others[c2] >= 0; codesize[c2]++)
            c2 = others[c2];
    }
    for (int i = 0; i < 257; i++)
        if (codesize[i])
            count[codesize[i] > 32 ? 32 : codesize[i]]++;
    for (int i = 32; i > WSQ_MAX_HUFF_LEN; i--) {
        while (count[i] > 0) {
            int j = i - 2;
            while (count[j] == 0)
                j--;
            count[i] -= 2;
            count[i - 1]++;
            count[j + 1] += 2;
            count[j]--;
        }
    }
    int i = WSQ_MAX_HUFF_LEN;
    while (i > 0 && count[i] == 0)
        i--;
    if (i > 0)
        count[i]--; /* the pseudo symbol's code */
    memset(h->bits, 0, sizeof h->bits);
    for (int l = 1; l <= WSQ_MAX_HUFF_LEN; l++)
        h->bits[l] = (unsigned char)count[l];
    /* symbols by increasing code length, each length in symbol order */
    h->nvals = 0;
    for (int l = 1; l <= 32; l++)
        for (int s = 0; s < 256; s++)
            if (codesize[s] == l)
                h->vals[h->nvals++] = (unsigned char)s;
    /* canonical codes */
    memset(h->size, 0, sizeof h->size);
    unsigned code = 0;
    int k = 0;
    for (int l = 1; l <= WSQ_MAX_HUFF_LEN; l++) {
        for (int c = 0; c < h->bits[l]; c++, k++) {
            h->code[h->vals[k]] = code++;
            h->size[h->vals[k]] = l;
        }
        code <<= 1;
    }
}

static void huff_from(const symlist *const *lists, int nlists, huff_code *h)
{
    long freq[256] = {0};
    for (int i = 0; i < nlists; i++)
        for (size_t j = 0; j < lists[i]->n; j++)
            freq[lists[i]->s[j].sym]++;
    huff_lengths(freq, h);
}

static void put_dht(bytes *b, int id, const huff_code *h)
{
    put16(b, WSQ_DHT);
    put16(b, (unsigned)(2 + 1 + WSQ_MAX_HUFF_LEN + h->nvals));
    put8(b, (unsigned)id);
    for (int l = 1; l <= WSQ_MAX_HUFF_LEN; l++)
        put8(b, h->bits[l]);
    put(b, h->vals, (size_t)h->nvals);
}

typedef struct bitw {
    bytes *b;
    unsigned acc;
    int n;
} bitw;

static void bits_put(bitw *w, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        w->acc = w->acc << 1 | ((v >> i) & 1);
        if (++w->n == 8) {
            put8(w->b, w->acc);
            if (w->acc == 0xFF)
                put8(w->b, 0); /* a literal 0xFF is followed by a zero byte */
            w->acc = 0;
            w->n = 0;
        }
    }
}

static void put_block(bytes *b, int id, const huff_code *h, const symlist *l)
{
    put16(b, WSQ_SOB);
    put16(b, 3);
    put8(b, (unsigned)id);
    bitw w = {b, 0, 0};
    for (size_t i = 0; i < l->n; i++) {
        const sym *s = &l->s[i];
        bits_put(&w, h->code[s->sym], h->size[s->sym]);
        if (s->nextra)
            bits_put(&w, s->extra, s->nextra);
    }
    if (w.n)
        bits_put(&w, 0xFF, 8 - w.n); /* pad with ones */
}

/* ---- the encoder -------------------------------------------------------------------- */

typedef struct enc {
    int width, height;
    wsq_layout layout;
    wsq_filters f;
    float *plane;
    double q[WSQ_SUBBANDS], z[WSQ_SUBBANDS];
    int *coef;
    size_t block_len[3];
    symlist blocks[3];
} enc;

static void put_header(bytes *b, const eyni_image *img, double rate, int ppi, double *m, double *r)
{
    put16(b, WSQ_SOI);
    char com[256];
    int n = snprintf(com, sizeof com,
                     "NIST_COM 9\nPIX_WIDTH %d\nPIX_HEIGHT %d\nPIX_DEPTH 8\nPPI %d\nLOSSY 1\n"
                     "COLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE %f",
                     img->width, img->height, ppi, rate);
    put16(b, WSQ_COM);
    put16(b, (unsigned)(2 + n));
    put(b, com, (size_t)n);
    /* M is the mean, R maps the extreme pixel to +-128 */
    double sum = 0;
    int lo = 255, hi = 0;
    size_t npix = (size_t)img->width * img->height;
    for (size_t i = 0; i < npix; i++) {
        sum += img->data[i];
        lo = img->data[i] < lo ? img->data[i] : lo;
        hi = img->data[i] > hi ? img->data[i] : hi;
    }
    double mean = sum / (double)npix;
    double range = fmax(hi - mean, mean - lo) / 128.0;
    bytes sof = {0};
    put16(&sof, WSQ_SOF);
    put16(&sof, 17);
    put8(&sof, 0);
    put8(&sof, 255);
    put16(&sof, (unsigned)img->height);
    put16(&sof, (unsigned)img->width);
    put_scaled16(&sof, mean, m);
    put_scaled16(&sof, range > 0 ? range : 1.0, r);
    put8(&sof, 2);  /* encoder number */
    put16(&sof, 0); /* software implementation number */
    put(b, sof.p, sof.len);
    b->failed |= sof.failed;
    free(sof.p);
}

static void quantise(enc *e)
{
    size_t i = 0;
    for (int k = 0; k < WSQ_CODED_SUBBANDS; k++) {
        if (e->q[k] == 0.0)
            continue;
        const wsq_rect *bd = &e->layout.band[k];
        double q = e->q[k], hz = e->z[k] / 2;
        int blk = k < WSQ_BLOCK2_FIRST ? 0 : k < WSQ_BLOCK3_FIRST ? 1 : 2;
        for (int y = 0; y < bd->h; y++) {
            const float *row = e->plane + (size_t)(bd->y + y) * e->width + bd->x;
            for (int x = 0; x < bd->w; x++, i++) {
                double a = row[x];
                long p = 0;
                if (a > hz)
                    p = (long)floor((a - hz) / q) + 1;
                else if (a < -hz)
                    p = (long)ceil((a + hz) / q) - 1;
                e->coef[i] = (int)(p > WSQ_MAX_BIN    ? WSQ_MAX_BIN
                                   : p < -WSQ_MAX_BIN ? -WSQ_MAX_BIN
                                                      : p);
            }
        }
        e->block_len[blk] += (size_t)bd->w * bd->h;
    }
}

/*
 * Bins narrow enough to overflow the 16-bit magnitudes the entropy coder can send (high
 * bit rates on smooth images) are widened to fit; the bit rate is a target, not a promise.
 */
static void limit_bins(enc *e)
{
    for (int k = 0; k < WSQ_CODED_SUBBANDS; k++) {
        if (e->q[k] == 0.0)
            continue;
        const wsq_rect *bd = &e->layout.band[k];
        double peak = 0;
        for (int y = 0; y < bd->h; y++) {
            const float *row = e->plane + (size_t)(bd->y + y) * e->width + bd->x;
            for (int x = 0; x < bd->w; x++)
                peak = fmax(peak, fabs(row[x]));
        }
        double widest = peak / (WSQ_MAX_BIN - 1.0);
        if (e->q[k] < widest)
            e->q[k] = widest;
    }
}

static void put_dqt(bytes *b, enc *e)
{
    put16(b, WSQ_DQT);
    put16(b, 2 + 3 + 6 * WSQ_SUBBANDS);
    put_scaled16(b, WSQ_BIN_CENTRE, NULL);
    for (int k = 0; k < WSQ_SUBBANDS; k++) {
        put_scaled16(b, e->q[k], &e->q[k]);
        put_scaled16(b, 1.2 * e->q[k], &e->z[k]);
    }
}

static int encode(enc *e, const eyni_image *img, double rate, int ppi, bytes *out, eyni_error *err)
{
    double m, r;
    put_header(out, img, rate, ppi, &m, &r);
    size_t npix = (size_t)e->width * e->height;
    for (size_t i = 0; i < npix; i++)
        e->plane[i] = (float)((img->data[i] - m) / r);
    filters_build(&e->f, out);
    wsq_layout_build(e->width, e->height, &e->layout);
    if (wsq_analyse(e->plane, e->width, e->height, &e->layout, &e->f, err))
        return err->code;
    double var[WSQ_CODED_SUBBANDS], total = 0;
    for (int k = 0; k < WSQ_CODED_SUBBANDS; k++)
        total += var[k] = band_variance(e->plane, e->width, e->layout.band[k], 0);
    if (total < WSQ_SMALL_VARIANCE)
        for (int k = 0; k < WSQ_CODED_SUBBANDS; k++)
            var[k] = band_variance(e->plane, e->width, e->layout.band[k], 1);
    allocate_bits(var, rate, e->q);
    limit_bins(e);
    put_dqt(out, e); /* stores Q and Z as the decoder will read them */
    quantise(e);
    const int *q = e->coef;
    for (int blk = 0; blk < 3; blk++) {
        symbols(q, e->block_len[blk], &e->blocks[blk]);
        q += e->block_len[blk];
        if (e->blocks[blk].failed)
            return eyni_error_set(err, EYNI_ENOMEM, "WSQ: out of memory for symbols");
    }
    huff_code *h = malloc(2 * sizeof *h);
    if (!h)
        return eyni_error_set(err, EYNI_ENOMEM, "WSQ: out of memory");
    const symlist *l0[1] = {&e->blocks[0]}, *l12[2] = {&e->blocks[1], &e->blocks[2]};
    huff_from(l0, 1, &h[0]);
    huff_from(l12, 2, &h[1]);
    put_dht(out, 0, &h[0]);
    if (e->block_len[0])
        put_block(out, 0, &h[0], &e->blocks[0]);
    put_dht(out, 1, &h[1]);
    for (int blk = 1; blk < 3; blk++)
        if (e->block_len[blk])
            put_block(out, 1, &h[1], &e->blocks[blk]);
    put16(out, WSQ_EOI);
    free(h);
    return 0;
}

int eyni_image_encode_wsq(const eyni_image *img, double bitrate, int ppi, unsigned char **buf,
                          size_t *len, eyni_error *err)
{
    if (!img || img->channels != 1)
        return eyni_error_set(err, EYNI_EINVAL, "WSQ: the encoder takes grey images");
    if (img->width < WSQ_MIN_SIDE || img->height < WSQ_MIN_SIDE || img->width > 0xFFFF ||
        img->height > 0xFFFF)
        return eyni_error_set(err, EYNI_EINVAL, "WSQ: %dx%d image; sides must be %d to 65535",
                              img->width, img->height, WSQ_MIN_SIDE);
    if (bitrate <= 0)
        bitrate = EYNI_WSQ_DEFAULT_BITRATE;
    if (bitrate > 8)
        return eyni_error_set(err, EYNI_EINVAL, "WSQ: bit rate %g above 8 bits per pixel", bitrate);
    if (ppi == 0)
        ppi = img->ppi > 0 ? (int)lround(img->ppi) : -1;
    enc *e = calloc(1, sizeof *e);
    bytes out = {0};
    int rc = EYNI_ENOMEM;
    if (!e)
        goto fail;
    e->width = img->width;
    e->height = img->height;
    size_t npix = (size_t)img->width * img->height;
    e->plane = malloc(npix * sizeof *e->plane);
    e->coef = calloc(npix, sizeof *e->coef);
    if (!e->plane || !e->coef)
        goto fail;
    rc = encode(e, img, bitrate, ppi, &out, err);
    if (!rc && out.failed)
        rc = EYNI_ENOMEM;
fail:
    if (rc == EYNI_ENOMEM)
        eyni_error_set(err, rc, "WSQ: out of memory encoding %dx%d", img->width, img->height);
    if (e) {
        free(e->plane);
        free(e->coef);
        for (int i = 0; i < 3; i++)
            free(e->blocks[i].s);
        free(e);
    }
    if (rc) {
        free(out.p);
        return rc;
    }
    *buf = out.p;
    *len = out.len;
    return 0;
}
