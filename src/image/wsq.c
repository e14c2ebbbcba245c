/*
 * WSQ decoder (FBI IAFIS-IC-0110 v3.1) and the wavelet machinery the encoder shares.
 *
 * The image is normalised ((pixel - M) / R), split by 20 two-dimensional analysis steps into
 * 64 subbands (60 transmitted), scalar-quantised with a dead zone per subband and entropy
 * coded in three blocks with JPEG-style Huffman tables. Decoding reverses each stage:
 * Huffman decode, inverse quantisation with the bin-centre offset C, synthesis over the
 * symmetrically extended signal, then pixel = coefficient * R + M, rounded and clamped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wsq_int.h"

/* ---- layout ----------------------------------------------------------------------- */

/* Split step k analyses quadrant quad of step parent (quadrants: 0 TL, 1 TR, 2 BL, 3 BR). */
static const signed char split_tree[WSQ_SPLITS][2] = {
    {-1, 0}, {0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2},  {4, 0},  {4, 1},  {4, 2},  {4, 3},
    {5, 0},  {5, 1}, {5, 2}, {5, 3}, {1, 0}, {14, 0}, {14, 1}, {14, 2}, {14, 3}, {15, 0}};

/* Subband n is quadrant quad of split step s, in the specification's numbering. */
static const signed char band_tree[WSQ_SUBBANDS][2] = {
    {19, 0}, {19, 1}, {19, 2}, {19, 3}, {15, 1}, {15, 2}, {15, 3}, {16, 0}, {16, 1}, {16, 2},
    {16, 3}, {17, 0}, {17, 1}, {17, 2}, {17, 3}, {18, 0}, {18, 1}, {18, 2}, {18, 3}, {6, 0},
    {6, 1},  {6, 2},  {6, 3},  {7, 0},  {7, 1},  {7, 2},  {7, 3},  {8, 0},  {8, 1},  {8, 2},
    {8, 3},  {9, 0},  {9, 1},  {9, 2},  {9, 3},  {10, 0}, {10, 1}, {10, 2}, {10, 3}, {11, 0},
    {11, 1}, {11, 2}, {11, 3}, {12, 0}, {12, 1}, {12, 2}, {12, 3}, {13, 0}, {13, 1}, {13, 2},
    {13, 3}, {1, 3},  {2, 0},  {2, 1},  {2, 2},  {2, 3},  {3, 0},  {3, 1},  {3, 2},  {3, 3},
    {0, 3},  {0, 3},  {0, 3},  {0, 3}};

/*
 * Quadrant q of a region. The low-pass half takes the extra sample of an odd length; a
 * step whose rows (columns) are inverted stores the high-pass half first.
 */
static wsq_rect quadrant(wsq_rect r, int inv_row, int inv_col, int q)
{
    int w1 = inv_row ? r.w / 2 : (r.w + 1) / 2;
    int h1 = inv_col ? r.h / 2 : (r.h + 1) / 2;
    wsq_rect o = {r.x, r.y, w1, h1};
    if (q & 1) {
        o.x += w1;
        o.w = r.w - w1;
    }
    if (q & 2) {
        o.y += h1;
        o.h = r.h - h1;
    }
    return o;
}

void wsq_layout_build(int width, int height, wsq_layout *l)
{
    memset(l, 0, sizeof *l);
    l->split[0] = (wsq_rect){0, 0, width, height};
    for (int k = 1; k < WSQ_SPLITS; k++) {
        int p = split_tree[k][0], q = split_tree[k][1];
        l->split[k] = quadrant(l->split[p], l->inv_row[p], l->inv_col[p], q);
        /* The high-pass halves of a step are inverted when they are split again. */
        l->inv_row[k] = (q & 1) != 0;
        l->inv_col[k] = (q & 2) != 0;
    }
    for (int n = 0; n < WSQ_SUBBANDS; n++) {
        int s = band_tree[n][0], q = band_tree[n][1];
        l->band[n] = quadrant(l->split[s], l->inv_row[s], l->inv_col[s], q);
    }
    /* 60..63 split the never-transmitted high-high quadrant; give them its four parts. */
    wsq_rect hh = l->band[60];
    for (int q = 0; q < 4; q++)
        l->band[60 + q] = quadrant(hh, 1, 1, q);
}

/* ---- one-dimensional filter bank ----------------------------------------------------- */

/* Whole-sample symmetric extension: index j of the mirrored signal of length n. */
static int reflect(int j, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * n - 2;
    j %= period;
    if (j < 0)
        j += period;
    return j >= n ? period - j : j;
}

#define PAD        WSQ_MAX_TAPS           /* samples of symmetric extension on each side */
#define SUB_PAD    (WSQ_MAX_TAPS / 2 + 2) /* the same, counted in subband samples */
#define LINE_EXTRA (2 * PAD + 4)          /* scratch per line beyond its n samples */

/* Low-pass outputs sit on even samples, high-pass outputs on odd ones. */
static void analyse_1d(const double *x, int n, double *lo, double *hi, double *ext,
                       const wsq_filters *f)
{
    int c0 = f->lo_len / 2, c1 = f->hi_len / 2;
    for (int j = -PAD; j < n + PAD; j++)
        ext[j + PAD] = x[reflect(j, n)];
    const double *xc = ext + PAD;
    for (int i = 0; i < (n + 1) / 2; i++) {
        const double *xs = xc + 2 * i - c0;
        double s = 0;
        for (int k = 0; k < f->lo_len; k++)
            s += f->lo[k] * xs[k];
        lo[i] = s;
    }
    for (int i = 0; i < n / 2; i++) {
        const double *xs = xc + 2 * i + 1 - c1;
        double s = 0;
        for (int k = 0; k < f->hi_len; k++)
            s += f->hi[k] * xs[k];
        hi[i] = s;
    }
}

/*
 * Synthesis with g0[d] = (-1)^d hi[d] and g1[d] = (-1)^d lo[d]; the subbands are extended
 * by the same symmetry the analysis saw, which makes this the exact inverse.
 */
static void synthesise_1d(const double *lo, const double *hi, int n, double *x, double *ext,
                          const wsq_filters *f)
{
    if (n == 1) {
        double g = 0;
        for (int k = 0; k < f->lo_len; k++)
            g += f->lo[k];
        x[0] = g != 0 ? lo[0] / g : 0;
        return;
    }
    int c0 = f->lo_len / 2, c1 = f->hi_len / 2, nl = (n + 1) / 2, nh = n / 2;
    double g0[WSQ_MAX_TAPS], g1[WSQ_MAX_TAPS];
    for (int d = -c1; d <= c1; d++)
        g0[d + c1] = (d & 1) ? -f->hi[d + c1] : f->hi[d + c1];
    for (int d = -c0; d <= c0; d++)
        g1[d + c0] = (d & 1) ? -f->lo[d + c0] : f->lo[d + c0];
    /* low-pass sample i sits at 2i, high-pass sample i at 2i + 1 */
    double *le = ext + SUB_PAD, *he = ext + 3 * SUB_PAD + nl;
    for (int i = -SUB_PAD; i < nl + SUB_PAD; i++)
        le[i] = lo[reflect(2 * i, n) / 2];
    for (int i = -SUB_PAD; i < nh + SUB_PAD; i++)
        he[i] = hi[(reflect(2 * i + 1, n) - 1) / 2];
    for (int m = 0; m < n; m++) {
        double s = 0;
        for (int d = -c1 + ((m + c1) & 1); d <= c1; d += 2)
            s += g0[d + c1] * le[(m - d) / 2];
        for (int d = -c0 + ((m - 1 + c0) & 1); d <= c0; d += 2)
            s += g1[d + c0] * he[(m - 1 - d) / 2];
        x[m] = s;
    }
}

/* Analyses (forward) or synthesises one line of n samples at stride in place. */
static void line(float *p, int n, size_t stride, int inv, int forward, double *tmp,
                 const wsq_filters *f)
{
    if (n <= 0)
        return;
    double *x = tmp, *lo = tmp + n, *hi = tmp + 2 * n, *ext = tmp + 3 * n;
    int nl = (n + 1) / 2, nh = n / 2;
    /* inverted: high-pass half first */
    size_t lo_at = inv ? (size_t)nh : 0, hi_at = inv ? 0 : (size_t)nl;
    if (forward) {
        for (int i = 0; i < n; i++)
            x[i] = p[i * stride];
        analyse_1d(x, n, lo, hi, ext, f);
        for (int i = 0; i < nl; i++)
            p[(lo_at + i) * stride] = (float)lo[i];
        for (int i = 0; i < nh; i++)
            p[(hi_at + i) * stride] = (float)hi[i];
    } else {
        for (int i = 0; i < nl; i++)
            lo[i] = p[(lo_at + i) * stride];
        for (int i = 0; i < nh; i++)
            hi[i] = p[(hi_at + i) * stride];
        synthesise_1d(lo, hi, n, x, ext, f);
        for (int i = 0; i < n; i++)
            p[i * stride] = (float)x[i];
    }
}

static void step(float *plane, int width, wsq_rect r, int inv_row, int inv_col, int forward,
                 double *tmp, const wsq_filters *f)
{
    float *base = plane + (size_t)r.y * width + r.x;
    if (forward)
        for (int y = 0; y < r.h; y++)
            line(base + (size_t)y * width, r.w, 1, inv_row, 1, tmp, f);
    for (int x = 0; x < r.w; x++)
        line(base + x, r.h, (size_t)width, inv_col, forward, tmp, f);
    if (!forward)
        for (int y = 0; y < r.h; y++)
            line(base + (size_t)y * width, r.w, 1, inv_row, 0, tmp, f);
}

static int transform(float *plane, int width, int height, const wsq_layout *l, const wsq_filters *f,
                     int forward, eyni_error *err)
{
    int n = width > height ? width : height;
    double *tmp = malloc(sizeof(double) * (4 * (size_t)n + LINE_EXTRA + 4 * SUB_PAD));
    if (!tmp)
        return eyni_error_set(err, EYNI_ENOMEM, "WSQ: out of memory for the transform");
    if (forward)
        for (int k = 0; k < WSQ_SPLITS; k++)
            step(plane, width, l->split[k], l->inv_row[k], l->inv_col[k], 1, tmp, f);
    else
        for (int k = WSQ_SPLITS - 1; k >= 0; k--)
            step(plane, width, l->split[k], l->inv_row[k], l->inv_col[k], 0, tmp, f);
    free(tmp);
    return 0;
}

int wsq_analyse(float *plane, int width, int height, const wsq_layout *l, const wsq_filters *f,
                eyni_error *err)
{
    return transform(plane, width, height, l, f, 1, err);
}

int wsq_synthesise(float *plane, int width, int height, const wsq_layout *l, const wsq_filters *f,
                   eyni_error *err)
{
    return transform(plane, width, height, l, f, 0, err);
}

/* ---- decoder ------------------------------------------------------------------------ */

typedef struct huff_table {
    int defined;
    unsigned char bits[WSQ_MAX_HUFF_LEN + 1]; /* codes of each length */
    unsigned char vals[256];
    int mincode[WSQ_MAX_HUFF_LEN + 1];
    int maxcode[WSQ_MAX_HUFF_LEN + 1]; /* -1 when no code has that length */
    int valptr[WSQ_MAX_HUFF_LEN + 1];
} huff_table;

typedef struct wsq_dec {
    const unsigned char *buf;
    size_t len, pos;
    int have_dtt, have_dqt, have_sof;
    wsq_filters f;
    double bin_centre;
    double q[WSQ_SUBBANDS], z[WSQ_SUBBANDS];
    huff_table huff[WSQ_HUFF_TABLES];
    int width, height;
    double m_shift, r_scale;
    double ppi;
    wsq_layout layout;
    int *coef; /* quantised coefficients of the transmitted subbands, in order */
    size_t ncoef, expected;
    unsigned char byte; /* bit reader over the entropy-coded segment */
    int nbits;
} wsq_dec;

static int need(wsq_dec *d, size_t n, const char *what, eyni_error *err)
{
    if (d->len - d->pos < n)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: truncated %s at byte %zu", what, d->pos);
    return 0;
}

static unsigned u8(wsq_dec *d)
{
    return d->buf[d->pos++];
}

static unsigned u16(wsq_dec *d)
{
    unsigned v = (unsigned)d->buf[d->pos] << 8 | d->buf[d->pos + 1];
    d->pos += 2;
    return v;
}

static unsigned long u32(wsq_dec *d)
{
    unsigned long v = (unsigned long)u16(d) << 16;
    return v | u16(d);
}

/* A value stored as a decimal scale byte and an unsigned integer: v / 10^scale. */
static double scaled(unsigned scale, double v)
{
    while (scale-- > 0)
        v /= 10.0;
    return v;
}

/* Reads a segment's length field and checks the segment fits; returns its payload size. */
static int segment(wsq_dec *d, const char *what, size_t *payload, eyni_error *err)
{
    if (need(d, 2, what, err))
        return err->code;
    unsigned ld = u16(d);
    if (ld < 2 || need(d, ld - 2, what, err))
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: %s segment of %u bytes does not fit", what,
                              ld);
    *payload = ld - 2;
    return 0;
}

static int read_dtt(wsq_dec *d, eyni_error *err)
{
    size_t n;
    if (segment(d, "transform table", &n, err))
        return err->code;
    if (n < 2)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: transform table too short");
    int lo_len = (int)u8(d), hi_len = (int)u8(d);
    if (lo_len % 2 == 0 || hi_len % 2 == 0 || lo_len > WSQ_MAX_TAPS || hi_len > WSQ_MAX_TAPS)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "WSQ: filters of %d and %d taps; this decoder takes odd lengths "
                              "up to %d",
                              lo_len, hi_len, WSQ_MAX_TAPS);
    int na = (lo_len + 1) / 2, nb = (hi_len + 1) / 2;
    if (n != 2 + 6 * (size_t)(na + nb))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "WSQ: transform table of %zu bytes for %d+%d "
                              "taps",
                              n + 2, lo_len, hi_len);
    d->f.lo_len = lo_len;
    d->f.hi_len = hi_len;
    /* Each half filter runs from the centre tap outwards; the other half mirrors it. */
    for (int k = 0; k < na + nb; k++) {
        unsigned sign = u8(d), scale = u8(d);
        double v = scaled(scale, (double)u32(d));
        if (sign)
            v = -v;
        double *full = k < na ? d->f.lo : d->f.hi;
        int c = k < na ? lo_len / 2 : hi_len / 2, i = k < na ? k : k - na;
        full[c + i] = full[c - i] = v;
    }
    d->have_dtt = 1;
    return 0;
}

static int read_dqt(wsq_dec *d, eyni_error *err)
{
    size_t n;
    if (segment(d, "quantisation table", &n, err))
        return err->code;
    if (n != 3 + 6 * WSQ_SUBBANDS)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: quantisation table of %zu bytes", n + 2);
    unsigned scale = u8(d);
    d->bin_centre = scaled(scale, u16(d));
    for (int k = 0; k < WSQ_SUBBANDS; k++) {
        scale = u8(d);
        d->q[k] = scaled(scale, u16(d));
        scale = u8(d);
        d->z[k] = scaled(scale, u16(d));
    }
    d->have_dqt = 1;
    return 0;
}

/* Canonical code assignment as in JPEG; rejects tables whose codes overflow their length. */
static int huff_build(huff_table *t, eyni_error *err)
{
    int code = 0, k = 0;
    for (int l = 1; l <= WSQ_MAX_HUFF_LEN; l++) {
        t->valptr[l] = k;
        t->mincode[l] = code;
        code += t->bits[l];
        k += t->bits[l];
        t->maxcode[l] = t->bits[l] ? code - 1 : -1;
        if (code > (1 << l))
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: Huffman table overflows at length %d",
                                  l);
        code <<= 1;
    }
    t->defined = 1;
    return 0;
}

static int read_dht(wsq_dec *d, eyni_error *err)
{
    size_t n;
    if (segment(d, "Huffman table", &n, err))
        return err->code;
    size_t end = d->pos + n;
    while (d->pos < end) {
        if (end - d->pos < 1 + WSQ_MAX_HUFF_LEN)
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: truncated Huffman table");
        unsigned id = u8(d);
        if (id >= WSQ_HUFF_TABLES)
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: Huffman table id %u", id);
        huff_table *t = &d->huff[id];
        memset(t, 0, sizeof *t);
        size_t total = 0;
        for (int l = 1; l <= WSQ_MAX_HUFF_LEN; l++)
            total += t->bits[l] = (unsigned char)u8(d);
        if (total > 256 || end - d->pos < total)
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: Huffman table %u lists %zu values", id,
                                  total);
        memcpy(t->vals, d->buf + d->pos, total);
        d->pos += total;
        if (huff_build(t, err))
            return err->code;
    }
    return 0;
}

/* "PPI n" of a NIST_COM comment gives the resolution. */
static void read_comment(wsq_dec *d, size_t n)
{
    const char *s = (const char *)d->buf + d->pos;
    if (n > 8 && memcmp(s, "NIST_COM", 8) == 0) {
        for (size_t i = 0; i + 4 < n; i++) {
            if ((i == 0 || s[i - 1] == '\n') && memcmp(s + i, "PPI ", 4) == 0) {
                long v = 0;
                for (size_t j = i + 4; j < n && s[j] >= '0' && s[j] <= '9' && v < 100000; j++)
                    v = v * 10 + (s[j] - '0');
                d->ppi = (double)v;
            }
        }
    }
    d->pos += n;
}

static int read_sof(wsq_dec *d, eyni_error *err)
{
    size_t n;
    if (segment(d, "frame header", &n, err))
        return err->code;
    if (n != 15)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: frame header of %zu bytes", n + 2);
    d->pos += 2; /* black and white levels: informative only */
    d->height = (int)u16(d);
    d->width = (int)u16(d);
    unsigned scale = u8(d);
    d->m_shift = scaled(scale, u16(d));
    scale = u8(d);
    d->r_scale = scaled(scale, u16(d));
    d->pos += 3; /* encoder and software numbers */
    if (image_check_size("WSQ", d->width, d->height, err))
        return err->code;
    d->have_sof = 1;
    return 0;
}

/* 1: a bit; 0: a marker is next (pos at its 0xFF); -1: the data ended. */
static int get_bit(wsq_dec *d, int *bit)
{
    if (d->nbits == 0) {
        if (d->pos >= d->len)
            return -1;
        unsigned char b = d->buf[d->pos];
        if (b == 0xFF) {
            if (d->pos + 1 >= d->len)
                return -1;
            if (d->buf[d->pos + 1] != 0)
                return 0;
            d->pos += 2; /* stuffed zero after a literal 0xFF */
        } else {
            d->pos++;
        }
        d->byte = b;
        d->nbits = 8;
    }
    *bit = (d->byte >> --d->nbits) & 1;
    return 1;
}

static int get_bits(wsq_dec *d, int n, unsigned *v, eyni_error *err)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        int b;
        if (get_bit(d, &b) != 1)
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: coded data cut inside a value");
        *v = *v << 1 | (unsigned)b;
    }
    return 0;
}

/* 1 with *sym, 0 at a marker, negative on error. */
static int huff_decode(wsq_dec *d, const huff_table *t, int *sym, eyni_error *err)
{
    int code = 0;
    for (int l = 1; l <= WSQ_MAX_HUFF_LEN; l++) {
        int b, r = get_bit(d, &b);
        if (r == 0)
            return 0;
        if (r < 0)
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: coded data ends without a marker");
        code = code << 1 | b;
        if (t->maxcode[l] >= 0 && code <= t->maxcode[l] && code >= t->mincode[l]) {
            *sym = t->vals[t->valptr[l] + code - t->mincode[l]];
            return 1;
        }
    }
    return eyni_error_set(err, EYNI_EFORMAT, "WSQ: invalid Huffman code at byte %zu", d->pos);
}

/* Coefficients past the expected count (padding that decodes) are dropped. */
static void put(wsq_dec *d, int v, size_t run)
{
    if (run == 0) {
        if (d->ncoef < d->expected)
            d->coef[d->ncoef] = v;
        d->ncoef++;
        return;
    }
    d->ncoef += run; /* the array starts zeroed */
}

static int symbol(wsq_dec *d, int sym, eyni_error *err)
{
    unsigned v;
    if (sym >= 1 && sym <= 100) {
        put(d, 0, (size_t)sym);
    } else if (sym == 101 || sym == 102) {
        if (get_bits(d, 8, &v, err))
            return err->code;
        put(d, sym == 101 ? (int)v : -(int)v, 0);
    } else if (sym == 103 || sym == 104) {
        if (get_bits(d, 16, &v, err))
            return err->code;
        put(d, sym == 103 ? (int)v : -(int)v, 0);
    } else if (sym == 105 || sym == 106) {
        if (get_bits(d, sym == 105 ? 8 : 16, &v, err))
            return err->code;
        put(d, 0, v);
    } else if (sym > 106 && sym < 255) {
        put(d, sym - 180, 0);
    } else {
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: invalid coefficient symbol %d", sym);
    }
    return 0;
}

static size_t transmitted(const wsq_dec *d)
{
    size_t n = 0;
    for (int k = 0; k < WSQ_CODED_SUBBANDS; k++)
        if (d->q[k] != 0.0)
            n += (size_t)d->layout.band[k].w * (size_t)d->layout.band[k].h;
    return n;
}

/* Sizes the subbands once the frame and quantisation tables are known. */
static int prepare(wsq_dec *d, eyni_error *err)
{
    if (d->coef)
        return 0;
    wsq_layout_build(d->width, d->height, &d->layout);
    d->expected = transmitted(d);
    d->coef = calloc(d->expected ? d->expected : 1, sizeof *d->coef);
    if (!d->coef)
        return eyni_error_set(err, EYNI_ENOMEM, "WSQ: out of memory for coefficients");
    return 0;
}

static int read_block(wsq_dec *d, eyni_error *err)
{
    size_t n;
    if (segment(d, "block header", &n, err))
        return err->code;
    if (n != 1)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: block header of %zu bytes", n + 2);
    unsigned id = u8(d);
    if (!d->have_sof || !d->have_dqt || !d->have_dtt)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "WSQ: block before the frame, transform and quantisation tables");
    if (id >= WSQ_HUFF_TABLES || !d->huff[id].defined)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: block uses undefined Huffman table %u", id);
    if (prepare(d, err))
        return err->code;
    d->nbits = 0;
    for (;;) {
        int sym = 0, r = huff_decode(d, &d->huff[id], &sym, err);
        if (r < 0)
            return r;
        if (r == 0) {
            unsigned m = (unsigned)d->buf[d->pos] << 8 | d->buf[d->pos + 1];
            if (m < WSQ_RST0 || m > WSQ_RST7)
                break;
            d->pos += 2; /* restart: the bits left in the last byte were padding */
            d->nbits = 0;
            continue;
        }
        if (symbol(d, sym, err))
            return err->code;
    }
    d->nbits = 0;
    return 0;
}

static int read_stream(wsq_dec *d, eyni_error *err)
{
    if (d->len < 2 || d->buf[0] != 0xFF || d->buf[1] != 0xA0)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: no start-of-image marker");
    d->pos = 2;
    for (;;) {
        if (need(d, 2, "marker", err))
            return err->code;
        unsigned m = u16(d);
        int rc = 0;
        size_t n;
        switch (m) {
        case WSQ_EOI:
            return 0;
        case WSQ_DTT:
            rc = read_dtt(d, err);
            break;
        case WSQ_DQT:
            rc = read_dqt(d, err);
            break;
        case WSQ_DHT:
            rc = read_dht(d, err);
            break;
        case WSQ_SOF:
            if (d->have_sof)
                return eyni_error_set(err, EYNI_EFORMAT, "WSQ: second frame header");
            rc = read_sof(d, err);
            break;
        case WSQ_SOB:
            rc = read_block(d, err);
            break;
        case WSQ_COM:
            rc = segment(d, "comment", &n, err);
            if (!rc)
                read_comment(d, n);
            break;
        case WSQ_DRI:
            /* restart markers are honoured wherever they appear; the interval is not needed */
            rc = segment(d, "restart interval", &n, err);
            d->pos += rc ? 0 : n;
            break;
        default:
            return eyni_error_set(err, EYNI_EFORMAT, "WSQ: unexpected marker 0x%04X at byte %zu", m,
                                  d->pos - 2);
        }
        if (rc)
            return rc;
    }
}

/* Inverse quantisation: a bin p != 0 goes to (p -+ C) * Q +- Z/2. */
static void dequantise(const wsq_dec *d, float *plane)
{
    size_t i = 0;
    for (int k = 0; k < WSQ_CODED_SUBBANDS; k++) {
        if (d->q[k] == 0.0)
            continue;
        const wsq_rect *b = &d->layout.band[k];
        double q = d->q[k], hz = d->z[k] / 2.0, c = d->bin_centre;
        for (int y = 0; y < b->h; y++) {
            float *row = plane + (size_t)(b->y + y) * d->width + b->x;
            for (int x = 0; x < b->w; x++, i++) {
                int p = d->coef[i];
                row[x] = p == 0  ? 0.0f
                         : p > 0 ? (float)(q * (p - c) + hz)
                                 : (float)(q * (p + c) - hz);
            }
        }
    }
}

static int reconstruct(wsq_dec *d, eyni_image **out, eyni_error *err)
{
    if (!d->have_sof || !d->have_dqt || !d->have_dtt)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "WSQ: missing frame header, transform or quantisation table");
    /* an image whose every subband was dropped has no blocks at all */
    if (prepare(d, err))
        return err->code;
    if (d->ncoef < d->expected)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: %zu of %zu coefficients coded", d->ncoef,
                              d->expected);
    size_t npix = (size_t)d->width * (size_t)d->height;
    float *plane = calloc(npix, sizeof *plane);
    if (!plane)
        return eyni_error_set(err, EYNI_ENOMEM, "WSQ: out of memory for %dx%d", d->width,
                              d->height);
    dequantise(d, plane);
    eyni_image *img = NULL;
    int rc = wsq_synthesise(plane, d->width, d->height, &d->layout, &d->f, err);
    if (rc)
        goto fail;
    img = eyni_image_new(d->width, d->height, 1, err);
    if (!img) {
        rc = err ? err->code : EYNI_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < npix; i++) {
        double v = plane[i] * d->r_scale + d->m_shift + 0.5;
        img->data[i] = v < 0 ? 0 : v > 255 ? 255 : (unsigned char)v;
    }
    img->ppi = d->ppi > 0 ? d->ppi : 0;
    *out = img;
fail:
    free(plane);
    return rc;
}

int image_decode_wsq(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    wsq_dec *d = calloc(1, sizeof *d);
    if (!d)
        return eyni_error_set(err, EYNI_ENOMEM, "WSQ: out of memory");
    d->buf = buf;
    d->len = len;
    int rc = read_stream(d, err);
    if (!rc)
        rc = reconstruct(d, out, err);
    free(d->coef);
    free(d);
    return rc;
}

int eyni_image_decode_wsq(const unsigned char *buf, size_t len, eyni_image **out, eyni_error *err)
{
    if (!buf || len == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "WSQ: empty input");
    if (len > EYNI_IMAGE_MAX_BYTES)
        return eyni_error_set(err, EYNI_ELIMIT, "WSQ: %zu bytes exceeds %d", len,
                              EYNI_IMAGE_MAX_BYTES);
    return image_decode_wsq(buf, len, out, err);
}
