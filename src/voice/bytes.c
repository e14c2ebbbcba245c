/* Little-endian byte buffers for the model and reference formats, and a seeded PRNG. */
#include <stdlib.h>
#include <string.h>

#include "voice_int.h"

void wb_bytes(wbuf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void wb_u32(wbuf *b, uint32_t v)
{
    unsigned char q[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    wb_bytes(b, q, 4);
}

void wb_u64(wbuf *b, uint64_t v)
{
    wb_u32(b, (uint32_t)v);
    wb_u32(b, (uint32_t)(v >> 32));
}

void wb_f64(wbuf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    wb_u64(b, u);
}

void wb_f32(wbuf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    wb_u32(b, u);
}

const unsigned char *rb_bytes(rbuf *b, size_t n)
{
    if (b->bad || n > b->len - b->pos) {
        b->bad = 1;
        return NULL;
    }
    const unsigned char *p = b->p + b->pos;
    b->pos += n;
    return p;
}

uint32_t rb_u32(rbuf *b)
{
    const unsigned char *q = rb_bytes(b, 4);
    if (!q)
        return 0;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

uint64_t rb_u64(rbuf *b)
{
    uint64_t lo = rb_u32(b);
    uint64_t hi = rb_u32(b);
    return lo | hi << 32;
}

double rb_f64(rbuf *b)
{
    uint64_t u = rb_u64(b);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

float rb_f32(rbuf *b)
{
    uint32_t u = rb_u32(b);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

uint64_t vrng_next(vrng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

size_t vrng_below(vrng *r, size_t n)
{
    return n ? (size_t)(vrng_next(r) % n) : 0;
}
