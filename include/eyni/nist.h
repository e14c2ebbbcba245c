/*
 * eyni/nist.h - ANSI/NIST-ITL 1-2011 (Update 2015) transactions, traditional encoding.
 *
 * A transaction is a Type-1 record followed by the records its CNT field (1.003) lists.
 * Tagged records (Types 1, 2, 9-17, 18-22, 98, 99) are "T.FFF:value" fields separated by
 * GS (0x1D) and ended by FS (0x1C); subfields are separated by RS (0x1E) and items by US
 * (0x1F); field 999 holds binary image data up to the FS. Binary records (Types 3-8) have
 * fixed-width big-endian headers starting with a 4-byte LEN and a 1-byte IDC.
 *
 * The reader accepts what it can and keeps every field it does not know, in file order;
 * damage it recovers from (wrong lengths, CNT disagreeing with the records, stray bytes) is
 * listed as problems instead of failing. The writer recomputes every record's length and
 * the Type-1 CNT field and keeps the original spelling of both when it is still right, so
 * read-then-write of a correct file is byte-identical. Validation is separate from parsing.
 */
#ifndef EYNI_NIST_H
#define EYNI_NIST_H

#include "eyni/base.h"
#include "eyni/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_NIST_MAX_BYTES    (256 * 1024 * 1024) /* largest transaction accepted */
#define EYNI_NIST_MAX_RECORDS  1000                /* CNT values are two-digit IDCs, ~100 */
#define EYNI_NIST_MAX_FIELDS   10000               /* fields in one tagged record */
#define EYNI_NIST_MAX_PROBLEMS 1000                /* further problems are counted, not kept */
#define EYNI_NIST_VERSION      "0502"              /* 1.002 written by eyni_nist_new */

typedef struct eyni_nist eyni_nist;               /* a transaction */
typedef struct eyni_nist_record eyni_nist_record; /* owned by its transaction */

/* ---- problems ----------------------------------------------------------------------- */

typedef enum eyni_nist_problem_kind {
    EYNI_NIST_SYNTAX = 1,    /* "syntax": bad tag, separator or stray bytes */
    EYNI_NIST_LENGTH,        /* "wrong-length": a LEN field disagrees with the record */
    EYNI_NIST_MISSING_FIELD, /* "missing-field": a mandatory field is absent or empty */
    EYNI_NIST_CNT,           /* "cnt-mismatch": 1.003 disagrees with the records present */
    EYNI_NIST_DATE,          /* "bad-date": not a real YYYYMMDD date (or GMT timestamp) */
    EYNI_NIST_COMPRESSION,   /* "bad-compression": unknown code, or data of another kind */
    EYNI_NIST_VALUE          /* "bad-value": a field's value breaks its format */
} eyni_nist_problem_kind;

typedef struct eyni_nist_problem {
    eyni_nist_problem_kind kind;
    int record; /* index in the transaction (0 = Type-1), -1 for the whole transaction */
    int field;  /* field number, 0 when the problem is not about one field */
    char msg[200];
} eyni_nist_problem;

/* Stable short name of a problem kind ("wrong-length", ...). */
const char *eyni_nist_problem_name(eyni_nist_problem_kind kind);

/* ---- reading and writing ------------------------------------------------------------ */

/*
 * Parses a transaction. Fails (EFORMAT) only when the bytes do not start with a Type-1
 * record or hold nothing usable; everything else is parsed as far as possible and listed
 * by eyni_nist_parse_problems. *out is freed with eyni_nist_free.
 */
int eyni_nist_read(const unsigned char *buf, size_t len, eyni_nist **out, eyni_error *err);
/* Reads a file (at most EYNI_NIST_MAX_BYTES); messages start with the path. */
int eyni_nist_load(const char *path, eyni_nist **out, eyni_error *err);
void eyni_nist_free(eyni_nist *t);
/* Problems the reader recovered from; the array lives as long as t. */
const eyni_nist_problem *eyni_nist_parse_problems(const eyni_nist *t, size_t *count);

/* Serialises t with recomputed lengths and CNT; *buf is malloc'd and owned by the caller. */
int eyni_nist_write(const eyni_nist *t, unsigned char **buf, size_t *len, eyni_error *err);

/*
 * Parse problems plus semantic checks: mandatory fields per record type, CNT against the
 * records, IDC agreement, dates, image compression codes against the image data, image
 * sizes. *problems is malloc'd (free it); *count may be 0 with *problems NULL.
 */
int eyni_nist_validate(const eyni_nist *t, eyni_nist_problem **problems, size_t *count,
                       eyni_error *err);

/* ---- inspecting --------------------------------------------------------------------- */

size_t eyni_nist_record_count(const eyni_nist *t);
/* Record i (0 is the Type-1 record); NULL when out of range. */
eyni_nist_record *eyni_nist_record_at(const eyni_nist *t, size_t i);
int eyni_nist_record_type(const eyni_nist_record *r);
/* The IDC: field x.002 of tagged records, byte 5 of binary ones; -1 when absent. */
int eyni_nist_record_idc(const eyni_nist_record *r);
int eyni_nist_record_is_binary(const eyni_nist_record *r);
/* Length the record has when written (a Type-1 record counted with its stored CNT). */
size_t eyni_nist_record_length(const eyni_nist_record *r);

/* Tagged records: fields in file order. Binary records have none. */
size_t eyni_nist_field_count(const eyni_nist_record *r);
/* Field i: its number, value bytes (not NUL-terminated) and the tag as spelt ("1.001"). */
int eyni_nist_field_at(const eyni_nist_record *r, size_t i, int *number,
                       const unsigned char **value, size_t *len, const char **tag);
/* First field with that number; NULL when absent. */
const unsigned char *eyni_nist_field_get(const eyni_nist_record *r, int number, size_t *len);
/* Copies a text field into buf (NUL-terminated, cut to cap-1); ENOTFOUND when absent. */
int eyni_nist_field_text(const eyni_nist_record *r, int number, char *buf, size_t cap);

/* Binary records (Types 3-8): the whole record as stored, LEN included. */
const unsigned char *eyni_nist_record_bytes(const eyni_nist_record *r, size_t *len);

/* The fixed header of a binary record. Type-8 puts SIG in imp and SRT in gca; Type-7 has
 * only LEN and IDC. */
typedef struct eyni_nist_binary_header {
    size_t length; /* LEN as stored */
    size_t header; /* header bytes before the image: 18 (Types 3-6), 12 (8), 5 (7) */
    int idc, imp, isr, gca;
    int fgp[6]; /* finger positions, 255 = unused; -1 for Types 7 and 8 */
    int width, height;
} eyni_nist_binary_header;
/* EINVAL for a tagged record, EFORMAT when the record is shorter than its header. */
int eyni_nist_record_binary_header(const eyni_nist_record *r, eyni_nist_binary_header *h);

/* ---- images -------------------------------------------------------------------------- */

typedef struct eyni_nist_image_info {
    int type, idc;
    char compression[16]; /* "NONE", "WSQ20", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG", ... */
    int width, height;    /* HLL, VLL */
    int bits;             /* bits per pixel: BPX, 8 for grey Type-4, 1 for Types 3/5/6/8 */
    double ppi;           /* from SLC/THPS (tagged) or ISR + 1.011 (binary); 0 unknown */
    int position;         /* first finger/palm position (FGP), IMP, or -1 */
    const unsigned char *data;
    size_t len;
} eyni_nist_image_info;

/* The image of a record (Types 3-8, 10, 13-17, 19, 20, 21); ENOTFOUND when it has none. */
int eyni_nist_record_image(const eyni_nist *t, const eyni_nist_record *r,
                           eyni_nist_image_info *info, eyni_error *err);
/* Decodes it: compressed data through eyni_image_decode (WSQ, JPEG, JPEG 2000, PNG),
 * uncompressed 8-bit grey or 24-bit RGB from its HLL x VLL. */
int eyni_nist_record_decode_image(const eyni_nist *t, const eyni_nist_record *r, eyni_image **out,
                                  eyni_error *err);

/* ---- building ----------------------------------------------------------------------- */

/*
 * A transaction holding a Type-1 record with 1.002 = EYNI_NIST_VERSION, 1.004 = tot,
 * 1.005 = date (YYYYMMDD), 1.007 = dai, 1.008 = ori, 1.009 = tcn and 1.011/1.012 = "00.00";
 * 1.001 and 1.003 are filled by the writer.
 */
eyni_nist *eyni_nist_new(const char *tot, const char *date, const char *dai, const char *ori,
                         const char *tcn, eyni_error *err);
/* Appends a tagged record of that type with x.001 and x.002 (the next free IDC) set. */
eyni_nist_record *eyni_nist_record_add(eyni_nist *t, int type, eyni_error *err);
/* Sets field number (replacing one with that number or inserting in numeric order). */
int eyni_nist_field_set(eyni_nist_record *r, int number, const void *value, size_t len,
                        eyni_error *err);
int eyni_nist_field_set_text(eyni_nist_record *r, int number, const char *value, eyni_error *err);

typedef struct eyni_nist_finger {
    int position;     /* FGP: 0 unknown, 1-10 fingers, 11-15 plain/slap positions */
    int impression;   /* IMP: 0 live-scan plain, 1 live-scan rolled, ... */
    const char *src;  /* originating agency (ORI), for 14.004 */
    const char *date; /* capture date YYYYMMDD, for 14.005 */
} eyni_nist_finger;

/* Appends a Type-14 record with img (grey) compressed in WSQ at bitrate (default 0.75). */
eyni_nist_record *eyni_nist_add_finger_wsq(eyni_nist *t, const eyni_image *img,
                                           const eyni_nist_finger *f, double bitrate,
                                           eyni_error *err);
/* Appends a Type-10 face record holding JPEG bytes already encoded (10.011 = "JPEGB");
 * the JPEG is decoded once to check it and take its size and colour space. */
eyni_nist_record *eyni_nist_add_face_jpeg(eyni_nist *t, const unsigned char *jpeg, size_t len,
                                          const char *src, const char *date, eyni_error *err);
/* Appends a legacy Type-4 record (binary) with a WSQ image. */
eyni_nist_record *eyni_nist_add_type4_wsq(eyni_nist *t, const eyni_image *img, int position,
                                          int impression, double bitrate, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
