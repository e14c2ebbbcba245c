/*
 * eyni/mrtd.h - machine readable travel documents (ICAO Doc 9303): the MRZ (TD1, TD2, TD3,
 * MRV-A, MRV-B), BER-TLV, the LDS data groups, ISO/IEC 19794-5 / 39794-5 face records and
 * 19794-4 finger images, EF.SOD (CMS SignedData over the LDS Security Object), Passive
 * Authentication of a chip read into a folder, and building a complete signed chip.
 *
 * Decoders never trust outside bytes: every length is checked and capped by the named
 * limits below. Decoded structures that point into the caller's buffer say so.
 */
#ifndef EYNI_MRTD_H
#define EYNI_MRTD_H

#include "eyni/base.h"
#include "eyni/pki.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- MRZ ---------------------------------------------------------------------------- */

#define EYNI_MRZ_MAX_INPUT 256 /* characters of MRZ text accepted, whitespace included */

typedef enum eyni_mrz_format {
    EYNI_MRZ_TD1 = 0,  /* 3 x 30: ID cards */
    EYNI_MRZ_TD2 = 1,  /* 2 x 36 */
    EYNI_MRZ_TD3 = 2,  /* 2 x 44: passports */
    EYNI_MRZ_MRVA = 3, /* 2 x 44 visa */
    EYNI_MRZ_MRVB = 4  /* 2 x 36 visa */
} eyni_mrz_format;

/* Check results: 1 correct, 0 wrong, -1 not present in this format. */
typedef struct eyni_mrz {
    eyni_mrz_format format;
    char lines[3][45];
    int nlines;
    char document_code[3];
    char issuer[4];
    char primary[45];         /* surname(s), '<' between components turned into spaces */
    char secondary[45];       /* given name(s) */
    int name_truncated;       /* name field ends in a letter: the name may have been cut */
    char document_number[32]; /* all characters, incl. the TD1/TD2 long-number extension */
    int document_number_long;
    char nationality[4];
    char birth_date[7];  /* YYMMDD ('<' for unknown parts) */
    char sex[2];         /* M, F, X or '<' */
    char expiry_date[7]; /* YYMMDD */
    char optional1[32];  /* TD1 line 1 / TD2 / visas optional data; TD3 personal number */
    char optional2[16];  /* TD1 line 2 optional data */
    int document_number_check, birth_date_check, expiry_date_check, optional_check, composite_check;
    int syntax_ok;     /* characters and fixed fields are well-formed (dates, sex, codes) */
    char problem[128]; /* first syntax problem, empty when syntax_ok */
    int valid;         /* syntax_ok and every present check digit correct */
} eyni_mrz;

/* Doc 9303 7-3-1 check digit of s[0..len) ('<' = 0, A = 10 ... Z = 35); -1 when s holds a
 * character outside the MRZ set. */
int eyni_mrz_check_digit(const char *s, size_t len);
/*
 * Parses MRZ text: lines separated by newlines (CR LF accepted) or concatenated; the total
 * length decides the format (90 TD1, 72 TD2/MRV-B, 88 TD3/MRV-A; a leading 'V' makes it a
 * visa). EFORMAT when the text cannot be an MRZ (length, line structure, characters outside
 * A-Z 0-9 '<'); otherwise 0 with the field values and check results in *out, also when
 * check digits are wrong (then out->valid is 0).
 */
int eyni_mrz_parse(const char *text, size_t len, eyni_mrz *out, eyni_error *err);
/* Adds the MRZ as a JSON object (format, valid, fields, checks) - the `eyni mrz check` and
 * `eyni mrtd verify` shape. Returns NULL when out of memory. */
json_t *eyni_mrz_to_json(const eyni_mrz *mrz);
const char *eyni_mrz_format_name(eyni_mrz_format f);

/*
 * Transliterates a UTF-8 name into the MRZ character set per Doc 9303 part 3 (table of
 * multinational Latin characters: Ç->C, Ğ->G, İ/ı->I, Ş->S, Ö->OE, Ü->UE, Ä->AE, ß->SS ...),
 * letters upper-cased, space and hyphen to '<', apostrophes and periods dropped. Ə/ə, absent
 * from the ICAO table, becomes A as Azerbaijani documents write it. Cyrillic follows Doc 9303's
 * recommended table (Ж->ZH, Щ->SHCH, Ю->IU, Ь dropped). EINVAL naming the first character
 * with no transliteration.
 */
int eyni_mrz_transliterate(const char *utf8, char *out, size_t cap, eyni_error *err);

typedef struct eyni_mrz_fields {
    eyni_mrz_format format;
    const char *document_code;   /* "P", "PD", "I", "ID", "AC", "V" ... */
    const char *issuer;          /* three letters */
    const char *primary;         /* UTF-8 surname(s) */
    const char *secondary;       /* UTF-8 given name(s), may be empty */
    const char *document_number; /* A-Z 0-9, up to 22 characters in TD1/TD2 */
    const char *nationality;
    const char *birth_date; /* YYMMDD */
    const char *sex;        /* "M", "F", "X" */
    const char *expiry_date;
    const char *optional1; /* optional data / personal number (may be NULL) */
    const char *optional2; /* TD1 line 2 optional data (may be NULL) */
} eyni_mrz_fields;

/*
 * Builds the MRZ lines (joined by '\n') into out. Names are transliterated and, when too
 * long, truncated per Doc 9303 part 3: given names are cut first, component by component,
 * then the surname, so the field ends in a letter. Document numbers over nine characters
 * use the TD1/TD2 extension in the optional data; TD3 allows only nine. EINVAL naming the
 * field that does not fit or holds characters outside the MRZ set.
 */
int eyni_mrz_build(const eyni_mrz_fields *f, char *out, size_t cap, eyni_error *err);

typedef struct eyni_mrtd_doctype {
    const char *code;        /* document code in the MRZ */
    eyni_mrz_format format;  /* size used */
    const char *description; /* what the country issues with it */
} eyni_mrtd_doctype;
/* The national document type table (NULL-terminated by code == NULL). */
const eyni_mrtd_doctype *eyni_mrtd_doctypes(void);

/* ---- BER-TLV ------------------------------------------------------------------------ */

#define EYNI_TLV_MAX_LEN   (16u * 1024 * 1024) /* one value */
#define EYNI_TLV_MAX_DEPTH 16

typedef struct eyni_tlv {
    unsigned tag;               /* tag bytes big-endian: 0x61, 0x5F1F, 0x7F61 */
    int constructed;            /* bit 6 of the first tag byte */
    const unsigned char *value; /* points into the parsed buffer */
    size_t len;
    size_t header_len;
} eyni_tlv;

/* Reads one TLV at buf[*pos..len) and advances *pos past it. Definite lengths only, tags of
 * at most three bytes. EFORMAT naming the offset on truncation or bad encoding. */
int eyni_tlv_read(const unsigned char *buf, size_t len, size_t *pos, eyni_tlv *out,
                  eyni_error *err);
/* Finds the first TLV with tag among the TLVs directly in buf (one level). ENOTFOUND. */
int eyni_tlv_find(const unsigned char *buf, size_t len, unsigned tag, eyni_tlv *out,
                  eyni_error *err);
/* Checks that buf is a well-formed TLV tree (recursing into constructed values). */
int eyni_tlv_validate(const unsigned char *buf, size_t len, eyni_error *err);

/* ---- LDS data groups ---------------------------------------------------------------- */

#define EYNI_LDS_MAX_FILE (4u * 1024 * 1024) /* one elementary file */
#define EYNI_LDS_MAX_DG   16
#define EYNI_LDS_MAX_BIO  8 /* biometric instances per data group */

/* LDS tag of EF.COM (n = 0, 0x60) or of DG n (1..16); 0 for anything else. EF.SOD is 0x77. */
unsigned eyni_lds_dg_tag(int dg);
/* Data group number of an LDS tag, 0 for none. */
int eyni_lds_tag_dg(unsigned tag);

typedef struct eyni_lds_com {
    char lds_version[5];     /* "0107" */
    char unicode_version[7]; /* "040000" */
    int dgs[EYNI_LDS_MAX_DG];
    int ndgs;
} eyni_lds_com;

int eyni_lds_com_decode(const unsigned char *buf, size_t len, eyni_lds_com *out, eyni_error *err);
/* Buffers returned by the encoders are malloc'ed; the caller frees them. */
int eyni_lds_com_encode(const eyni_lds_com *com, unsigned char **out, size_t *outlen,
                        eyni_error *err);

/* DG1: the MRZ (tag 5F1F) as on the data page, lines concatenated. */
int eyni_lds_dg1_decode(const unsigned char *buf, size_t len, eyni_mrz *out, eyni_error *err);
int eyni_lds_dg1_encode(const eyni_mrz *mrz, unsigned char **out, size_t *outlen, eyni_error *err);

/* One biometric instance of DG2/DG3/DG4 (CBEFF biometric information template). */
typedef struct eyni_lds_bio {
    int type;                 /* CBEFF biometric type: 2 face, 8 finger, 0x10 iris */
    int subtype;              /* -1 when absent */
    int format_owner;         /* 0x0101 ISO/IEC JTC1 SC37 */
    int format_type;          /* 0x0008 face 19794-5, 0x0007 finger 19794-4, ... */
    const unsigned char *bdb; /* biometric data block, points into the buffer */
    size_t bdb_len;
} eyni_lds_bio;

typedef struct eyni_lds_biogroup {
    eyni_lds_bio bio[EYNI_LDS_MAX_BIO];
    int count;
} eyni_lds_biogroup;

/* Decodes DG2 (tag 0x75), DG3 (0x63) or DG4 (0x76). */
int eyni_lds_bio_decode(const unsigned char *buf, size_t len, eyni_lds_biogroup *out,
                        eyni_error *err);
/* Encodes a DG2/DG3/DG4 with the given instances (bdb pointers are read, not kept). */
int eyni_lds_bio_encode(int dg, const eyni_lds_biogroup *group, unsigned char **out, size_t *outlen,
                        eyni_error *err);

/* ISO/IEC 19794-5:2005 face record ("FAC\0" "010\0") and its first image. */
typedef struct eyni_face_record {
    int standard; /* 2005 for 19794-5, 2011 when read from a 39794-5 DER record */
    unsigned images;
    int gender, eye_colour, hair_colour, expression; /* 19794-5 codes */
    unsigned feature_points;
    int face_image_type;        /* 0 basic, 1 full frontal, 2 token frontal */
    int image_data_type;        /* 0 JPEG, 1 JPEG 2000 (19794-5 codes) */
    unsigned width, height;     /* from the record */
    const unsigned char *image; /* points into the buffer */
    size_t image_len;
    const char *image_format; /* "JPEG", "JPEG 2000" or "unknown", from the bytes */
    int image_ok;             /* the image decodes */
    unsigned decoded_width, decoded_height;
    int size_matches;        /* decoded size equals the record's width/height */
    char image_problem[160]; /* why the image does not decode */
} eyni_face_record;

#define EYNI_FACE_MAX_IMAGE_PIXELS (12u * 1000 * 1000) /* portraits are far smaller */

/* Decodes a 19794-5 record and decodes its first image (JPEG / JPEG 2000) to check it;
 * an undecodable image is reported in out->image_ok, not as an error. */
int eyni_face_record_decode(const unsigned char *buf, size_t len, eyni_face_record *out,
                            eyni_error *err);
/* Decodes an ISO/IEC 39794-5 (DER, ICAO LDS2 profile) face record's first image. */
int eyni_face_record39794_decode(const unsigned char *buf, size_t len, eyni_face_record *out,
                                 eyni_error *err);
/* Wraps a JPEG or JPEG 2000 portrait in a 19794-5 record (full frontal, no feature points);
 * the image is decoded first to learn its size and refuse broken images. */
int eyni_face_record_encode(const unsigned char *image, size_t len, int gender, unsigned char **out,
                            size_t *outlen, eyni_error *err);

/* ISO/IEC 19794-4:2005 finger image record. */
typedef struct eyni_finger_image {
    int position;   /* 19794-4 finger position code, 1..10 */
    int quality;    /* 0..100, 254 not computed */
    int impression; /* 0 live-scan plain, 1 live-scan rolled, ... */
    unsigned width, height;
    const unsigned char *data; /* compressed image bytes */
    size_t len;
} eyni_finger_image;

#define EYNI_FINGER_RECORD_MAX 10

typedef struct eyni_finger_record {
    int compression; /* 0 none, 1 bit packed, 2 WSQ, 3 JPEG, 4 JPEG lossless, 5 JP2, 6 PNG */
    unsigned resolution_ppi;
    int pixel_depth;
    eyni_finger_image fingers[EYNI_FINGER_RECORD_MAX];
    int count;
} eyni_finger_record;

int eyni_finger_record_decode(const unsigned char *buf, size_t len, eyni_finger_record *out,
                              eyni_error *err);
int eyni_finger_record_encode(const eyni_finger_record *rec, unsigned char **out, size_t *outlen,
                              eyni_error *err);

/* DG11 additional personal details and DG12 additional document details (text fields are
 * UTF-8; NULL or "" when absent). */
typedef struct eyni_lds_dg11 {
    char full_name[128];
    char personal_number[32];
    char birth_date[9]; /* YYYYMMDD */
    char birth_place[128];
    char address[256];
    char telephone[32];
    char profession[64];
    char title[64];
    char other_names[128];
} eyni_lds_dg11;

typedef struct eyni_lds_dg12 {
    char issuing_authority[128];
    char issue_date[9]; /* YYYYMMDD */
    char endorsements[256];
    char personalization_time[15]; /* YYYYMMDDhhmmss */
    char personalization_device[64];
} eyni_lds_dg12;

int eyni_lds_dg11_decode(const unsigned char *buf, size_t len, eyni_lds_dg11 *out, eyni_error *err);
int eyni_lds_dg11_encode(const eyni_lds_dg11 *dg, unsigned char **out, size_t *outlen,
                         eyni_error *err);
int eyni_lds_dg12_decode(const unsigned char *buf, size_t len, eyni_lds_dg12 *out, eyni_error *err);
int eyni_lds_dg12_encode(const eyni_lds_dg12 *dg, unsigned char **out, size_t *outlen,
                         eyni_error *err);

/* DG14 (security infos: protocol OIDs) and DG15 (Active Authentication public key). */
typedef struct eyni_lds_dg14 {
    char protocols[16][64]; /* dotted OIDs of the SecurityInfo entries */
    int count;
} eyni_lds_dg14;
int eyni_lds_dg14_decode(const unsigned char *buf, size_t len, eyni_lds_dg14 *out, eyni_error *err);
typedef struct eyni_lds_dg15 {
    char key_type[32]; /* "EC", "RSA" */
    int bits;
} eyni_lds_dg15;
int eyni_lds_dg15_decode(const unsigned char *buf, size_t len, eyni_lds_dg15 *out, eyni_error *err);

/* ---- EF.SOD --------------------------------------------------------------------------- */

typedef struct eyni_sod eyni_sod;

/* Parses EF.SOD (tag 0x77 around CMS SignedData whose eContent is the LDSSecurityObject,
 * hashes SHA-1/224/256/384/512). Does not verify anything. */
int eyni_sod_parse(const unsigned char *buf, size_t len, eyni_sod **out, eyni_error *err);
void eyni_sod_free(eyni_sod *sod);
/* "SHA-256" etc. */
const char *eyni_sod_digest_name(const eyni_sod *sod);
/* The hash the SOD holds for data group dg; ENOTFOUND when it lists none. */
int eyni_sod_hash(const eyni_sod *sod, int dg, const unsigned char **hash, size_t *len);
/* Data groups listed, ascending, into dgs[EYNI_LDS_MAX_DG]; returns the count. */
int eyni_sod_dgs(const eyni_sod *sod, int *dgs);
/* Checks the CMS signature with the embedded (or given) signer certificate. 0 and *ok. */
int eyni_sod_verify_signature(const eyni_sod *sod, int *ok, char *reason, size_t cap,
                              eyni_error *err);
/* The document signer certificate embedded in the SOD (borrowed), NULL when absent. */
X509 *eyni_sod_signer_get0(const eyni_sod *sod);

typedef struct eyni_sod_dg {
    int dg;
    const unsigned char *data;
    size_t len;
} eyni_sod_dg;

/* Builds EF.SOD over the data groups (SHA-256, LDSSecurityObject v0), signed by the DS key
 * with its certificate embedded; signed attributes contentType, messageDigest and
 * signingTime. */
int eyni_sod_build(const eyni_sod_dg *dgs, int n, const eyni_pki_cert *ds_cert,
                   const eyni_pki_key *ds_key, unsigned char **out, size_t *outlen,
                   eyni_error *err);

/* ---- Passive Authentication --------------------------------------------------------- */

typedef struct eyni_mrtd_verify_opts {
    const char *masterlist;        /* CSCA master list file (optional) */
    const char *masterlist_root;   /* certificate that must sign the master list (optional) */
    const char *const *csca_files; /* further trusted CSCA certificate files */
    size_t ncsca;
    const char *const *crl_files;
    size_t ncrl;
    const eyni_pki_certs *anchors; /* CSCAs the caller already trusts (e.g. a master list
                                      loaded and verified once at start-up), optional */
    time_t at;                     /* verification time, 0 = now */
} eyni_mrtd_verify_opts;

/*
 * Passive Authentication of the chip files in dir (EF_COM.bin, EF_SOD.bin, Datagroup<N>.bin
 * or ef011E.bin, ef011D.bin, ef0101.bin..ef0110.bin, any case): each data group's hash
 * against the SOD, the SOD signature, and - when trust anchors are given (master list or
 * CSCA files) - the DS certificate's path to a CSCA with dates and CRLs. *report receives
 * the JSON verdict (hashes_ok, data_groups, signature_ok, chain_ok (null without anchors),
 * dg1_mrz, passed, reasons). Returns an error only when the folder cannot be read or holds
 * no EF.SOD.
 */
int eyni_mrtd_verify_dir(const char *dir, const eyni_mrtd_verify_opts *opts, json_t **report,
                         int *passed, eyni_error *err);

/* ---- Building a chip ---------------------------------------------------------------- */

typedef struct eyni_mrtd_chip {
    eyni_mrz mrz;              /* DG1 (from eyni_mrz_parse of a built MRZ) */
    const unsigned char *face; /* JPEG or JPEG 2000 portrait for DG2 */
    size_t face_len;
    int gender;                        /* 19794-5 code: 0 unknown, 1 male, 2 female */
    const eyni_finger_record *fingers; /* DG3 (optional) */
    const eyni_lds_dg11 *dg11;         /* optional */
    const eyni_lds_dg12 *dg12;         /* optional */
} eyni_mrtd_chip;

/* Encodes EF.COM, DG1, DG2, the optional DG3/DG11/DG12 and EF.SOD signed by the DS, and
 * writes them into dir (created) as EF_COM.bin, Datagroup<N>.bin, EF_SOD.bin. */
int eyni_mrtd_chip_write(const eyni_mrtd_chip *chip, const eyni_pki_cert *ds_cert,
                         const eyni_pki_key *ds_key, const char *dir, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
