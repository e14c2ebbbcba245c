/* Compact int8 face templates and their byte form. */
#include <math.h>
#include <string.h>

#include "face_int.h"

#define TEMPLATE_VERSION 1
/* A unit vector's largest component is at most 1, so a valid scale is at most 1/127. */
#define TEMPLATE_MAX_SCALE (1.0f / 127.0f)

void eyni_face_quantize(const float emb[EYNI_FACE_DIM], int8_t q[EYNI_FACE_DIM], float *scale)
{
    float mx = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        mx = fmaxf(mx, fabsf(emb[i]));
    float s = mx > 0 ? mx / 127.0f : 1.0f / 127.0f;
    for (int i = 0; i < EYNI_FACE_DIM; i++) {
        long v = lroundf(emb[i] / s);
        q[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
    *scale = s;
}

int eyni_face_template_encode(const float emb[EYNI_FACE_DIM], unsigned char *buf, size_t cap,
                              size_t *len, eyni_error *err)
{
    if (cap < EYNI_FACE_TEMPLATE_BYTES)
        return eyni_error_set(err, EYNI_ELIMIT, "face template needs %d bytes, buffer has %zu",
                              EYNI_FACE_TEMPLATE_BYTES, cap);
    int8_t q[EYNI_FACE_DIM];
    float s;
    uint32_t bits;
    eyni_face_quantize(emb, q, &s);
    memcpy(&bits, &s, 4);
    memcpy(buf, "EYF1", 4);
    buf[4] = TEMPLATE_VERSION;
    buf[5] = 0;
    buf[6] = EYNI_FACE_DIM & 0xff;
    buf[7] = EYNI_FACE_DIM >> 8;
    for (int i = 0; i < 4; i++)
        buf[8 + i] = (unsigned char)(bits >> (8 * i));
    memcpy(buf + 12, q, EYNI_FACE_DIM);
    *len = EYNI_FACE_TEMPLATE_BYTES;
    return 0;
}

int eyni_face_template_decode(const unsigned char *buf, size_t len, float emb[EYNI_FACE_DIM],
                              eyni_error *err)
{
    if (!buf || len != EYNI_FACE_TEMPLATE_BYTES)
        return eyni_error_set(err, EYNI_EFORMAT, "face template: %zu bytes, expected %d", len,
                              EYNI_FACE_TEMPLATE_BYTES);
    if (memcmp(buf, "EYF1", 4) != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "face template: bad magic");
    if (buf[4] != TEMPLATE_VERSION || buf[5] != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "face template: unsupported version %u", buf[4]);
    if ((buf[6] | buf[7] << 8) != EYNI_FACE_DIM)
        return eyni_error_set(err, EYNI_EFORMAT, "face template: dimension %d, expected %d",
                              buf[6] | buf[7] << 8, EYNI_FACE_DIM);
    uint32_t bits = 0;
    float s;
    for (int i = 0; i < 4; i++)
        bits |= (uint32_t)buf[8 + i] << (8 * i);
    memcpy(&s, &bits, 4);
    if (!isfinite(s) || !(s > 0) || s > TEMPLATE_MAX_SCALE * 1.0001f)
        return eyni_error_set(err, EYNI_EFORMAT, "face template: scale out of range");
    double ss = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++) {
        emb[i] = (int8_t)buf[12 + i] * s;
        ss += (double)emb[i] * emb[i];
    }
    if (ss < 1e-6)
        return eyni_error_set(err, EYNI_EFORMAT, "face template: all-zero embedding");
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        emb[i] *= inv;
    return 0;
}
