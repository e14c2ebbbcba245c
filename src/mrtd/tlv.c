/* BER-TLV (ISO/IEC 7816-4 / X.690 subset used by the LDS) reading and writing. */
#include <stdlib.h>
#include <string.h>

#include "mrtd_int.h"

int eyni_tlv_read(const unsigned char *buf, size_t len, size_t *pos, eyni_tlv *out, eyni_error *err)
{
    size_t p = *pos;
    if (p >= len)
        return eyni_error_set(err, EYNI_EFORMAT, "tlv: no tag at offset %zu (end of data)", p);
    unsigned tag = buf[p++];
    int constructed = (tag & 0x20) != 0;
    if ((tag & 0x1F) == 0x1F) {
        /* Multi-byte tag: continuation bytes have bit 8 set; we accept up to three bytes. */
        for (int k = 0;; k++) {
            if (p >= len)
                return eyni_error_set(err, EYNI_EFORMAT, "tlv: tag truncated at offset %zu", p);
            if (k == 2)
                return eyni_error_set(err, EYNI_EFORMAT,
                                      "tlv: tag longer than three bytes at offset %zu", *pos);
            unsigned b = buf[p++];
            tag = (tag << 8) | b;
            if (!(b & 0x80))
                break;
        }
    }
    if (p >= len)
        return eyni_error_set(err, EYNI_EFORMAT, "tlv: length missing at offset %zu", p);
    size_t l = buf[p++];
    if (l == 0x80)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "tlv: indefinite length at offset %zu is not allowed", p - 1);
    if (l > 0x80) {
        size_t nb = l & 0x7F;
        if (nb > 4)
            return eyni_error_set(err, EYNI_EFORMAT, "tlv: %zu-byte length at offset %zu", nb,
                                  p - 1);
        if (nb > len - p)
            return eyni_error_set(err, EYNI_EFORMAT, "tlv: length truncated at offset %zu", p);
        l = (size_t)mrtd_be(buf + p, (int)nb);
        p += nb;
    }
    if (l > EYNI_TLV_MAX_LEN)
        return eyni_error_set(err, EYNI_ELIMIT,
                              "tlv: value of %zu bytes at offset %zu exceeds "
                              "the %u-byte limit",
                              l, *pos, EYNI_TLV_MAX_LEN);
    if (l > len - p)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "tlv: tag %X at offset %zu claims %zu bytes, %zu remain", tag, *pos,
                              l, len - p);
    out->tag = tag;
    out->constructed = constructed;
    out->value = buf + p;
    out->len = l;
    out->header_len = p - *pos;
    *pos = p + l;
    return 0;
}

int eyni_tlv_find(const unsigned char *buf, size_t len, unsigned tag, eyni_tlv *out,
                  eyni_error *err)
{
    size_t pos = 0;
    while (pos < len) {
        eyni_tlv t = {0};
        int rc = eyni_tlv_read(buf, len, &pos, &t, err);
        if (rc)
            return rc;
        if (t.tag == tag) {
            *out = t;
            return 0;
        }
    }
    return eyni_error_set(err, EYNI_ENOTFOUND, "tlv: tag %X not present", tag);
}

static int validate(const unsigned char *buf, size_t len, int depth, eyni_error *err)
{
    if (depth > EYNI_TLV_MAX_DEPTH)
        return eyni_error_set(err, EYNI_ELIMIT, "tlv: nesting deeper than %d", EYNI_TLV_MAX_DEPTH);
    size_t pos = 0;
    while (pos < len) {
        eyni_tlv t = {0};
        int rc = eyni_tlv_read(buf, len, &pos, &t, err);
        if (rc)
            return rc;
        if (t.constructed && (rc = validate(t.value, t.len, depth + 1, err)) != 0)
            return rc;
    }
    return 0;
}

int eyni_tlv_validate(const unsigned char *buf, size_t len, eyni_error *err)
{
    return validate(buf, len, 0, err);
}

unsigned long long mrtd_be(const unsigned char *p, int n)
{
    unsigned long long v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

void mrtd_oid_text(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    unsigned long long v = 0;
    int first = 1;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 24 < cap; i++) {
        if (v > (1ull << 56)) {
            snprintf(out, cap, "invalid");
            return;
        }
        v = (v << 7) | (p[i] & 0x7F);
        if (p[i] & 0x80)
            continue;
        if (first) {
            unsigned long long a = v < 80 ? v / 40 : 2;
            o += (size_t)snprintf(out + o, cap - o, "%llu.%llu", a, v - a * 40);
            first = 0;
        } else {
            o += (size_t)snprintf(out + o, cap - o, ".%llu", v);
        }
        v = 0;
    }
}

/* ---- writer ------------------------------------------------------------------------- */

void mbuf_put(mbuf *b, const void *data, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void mbuf_byte(mbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    mbuf_put(b, &c, 1);
}

void mbuf_be(mbuf *b, unsigned long long v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        mbuf_byte(b, (unsigned)(v >> (8 * i)) & 0xFF);
}

void mbuf_tl(mbuf *b, unsigned tag, size_t n)
{
    if (tag > 0xFFFF)
        mbuf_be(b, tag, 3);
    else if (tag > 0xFF)
        mbuf_be(b, tag, 2);
    else
        mbuf_byte(b, tag);
    if (n < 0x80) {
        mbuf_byte(b, (unsigned)n);
    } else if (n <= 0xFF) {
        mbuf_byte(b, 0x81);
        mbuf_byte(b, (unsigned)n);
    } else if (n <= 0xFFFF) {
        mbuf_byte(b, 0x82);
        mbuf_be(b, n, 2);
    } else if (n <= 0xFFFFFF) {
        mbuf_byte(b, 0x83);
        mbuf_be(b, n, 3);
    } else {
        mbuf_byte(b, 0x84);
        mbuf_be(b, n, 4);
    }
}

void mbuf_tlv(mbuf *b, unsigned tag, const void *value, size_t n)
{
    mbuf_tl(b, tag, n);
    mbuf_put(b, value, n);
}

int mbuf_finish(mbuf *b, unsigned char **out, size_t *outlen, const char *what, eyni_error *err)
{
    if (b->failed) {
        mbuf_free(b);
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", what);
    }
    *out = b->p;
    *outlen = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return 0;
}

void mbuf_free(mbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
