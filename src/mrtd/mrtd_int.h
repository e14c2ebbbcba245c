/* Module-private helpers of src/mrtd. */
#ifndef EYNI_MRTD_INT_H
#define EYNI_MRTD_INT_H

#include <stddef.h>

#include "eyni/mrtd.h"

/* Growable byte buffer for the encoders; on allocation failure it remembers the failure
 * and every later append is a no-op, so callers check once at the end. */
typedef struct mbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} mbuf;

void mbuf_put(mbuf *b, const void *data, size_t n);
void mbuf_byte(mbuf *b, unsigned v);
void mbuf_be(mbuf *b, unsigned long long v, int bytes);
/* Appends tag and length header for a value of n bytes. */
void mbuf_tl(mbuf *b, unsigned tag, size_t n);
/* Appends a complete TLV. */
void mbuf_tlv(mbuf *b, unsigned tag, const void *value, size_t n);
/* Hands the bytes to the caller or reports ENOMEM naming what. */
int mbuf_finish(mbuf *b, unsigned char **out, size_t *outlen, const char *what, eyni_error *err);
void mbuf_free(mbuf *b);

/* Decodes the image bytes (JPEG or JPEG 2000 by signature) to check they are a whole,
 * readable picture; fills width/height or a problem text. Returns 1 ok, 0 not. */
int mrtd_image_check(const unsigned char *img, size_t len, unsigned *w, unsigned *h, char *problem,
                     size_t cap);

/* Big-endian unsigned integer of n bytes. */
unsigned long long mrtd_be(const unsigned char *p, int n);

/* Dotted text of a DER OID body into out. */
void mrtd_oid_text(const unsigned char *p, size_t n, char *out, size_t cap);

#endif
