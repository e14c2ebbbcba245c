/*
 * Module-private pieces of the WSQ codec (FBI IAFIS-IC-0110 v3.1) shared by the decoder
 * (wsq.c) and the encoder (wsq_encode.c): markers, the 64-subband layout, the wavelet
 * filter bank and the byte-level helpers.
 */
#ifndef EYNI_WSQ_INT_H
#define EYNI_WSQ_INT_H

#include <stddef.h>

#include "image_int.h"

enum {
    WSQ_SOI = 0xFFA0,
    WSQ_EOI = 0xFFA1,
    WSQ_SOF = 0xFFA2,
    WSQ_SOB = 0xFFA3,
    WSQ_DTT = 0xFFA4,
    WSQ_DQT = 0xFFA5,
    WSQ_DHT = 0xFFA6,
    WSQ_DRI = 0xFFA7,
    WSQ_COM = 0xFFA8,
    WSQ_RST0 = 0xFFB0,
    WSQ_RST7 = 0xFFB7
};

#define WSQ_SPLITS         20 /* two-dimensional analysis steps of the decomposition */
#define WSQ_SUBBANDS       64 /* subbands of the decomposition */
#define WSQ_CODED_SUBBANDS 60 /* subbands 60..63 are never transmitted */
#define WSQ_BLOCK2_FIRST   19 /* subbands 0..18 form block 1, 19..51 block 2, 52..59 block 3 */
#define WSQ_BLOCK3_FIRST   52
#define WSQ_MAX_TAPS       31 /* longest filter we accept (the FBI filters have 9 and 7) */
#define WSQ_HUFF_TABLES    8
#define WSQ_MAX_HUFF_LEN   16

typedef struct wsq_rect {
    int x, y, w, h;
} wsq_rect;

/* Where every split step and every subband lies in the coefficient plane. */
typedef struct wsq_layout {
    wsq_rect split[WSQ_SPLITS];
    unsigned char inv_row[WSQ_SPLITS]; /* high-pass half stored first along rows */
    unsigned char inv_col[WSQ_SPLITS]; /* ... along columns */
    wsq_rect band[WSQ_SUBBANDS];
} wsq_layout;

/* Odd-length, symmetric analysis filters, full taps centred at index len/2. */
typedef struct wsq_filters {
    int lo_len, hi_len;
    double lo[WSQ_MAX_TAPS];
    double hi[WSQ_MAX_TAPS];
} wsq_filters;

void wsq_layout_build(int width, int height, wsq_layout *l);
/* Forward (analysis) and inverse (synthesis) transform of a width x height plane in place. */
int wsq_analyse(float *plane, int width, int height, const wsq_layout *l, const wsq_filters *f,
                eyni_error *err);
int wsq_synthesise(float *plane, int width, int height, const wsq_layout *l, const wsq_filters *f,
                   eyni_error *err);

#endif
