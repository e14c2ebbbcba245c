/* MRZ generation: transliteration of names, name truncation, field layout per format. */
#include <string.h>

#include "mrtd_int.h"

typedef struct translit {
    unsigned cp;
    const char *to;
} translit;

/* Doc 9303 part 3, transliteration of multinational Latin characters (upper case forms;
 * lower case letters are mapped to these first). Ə is national practice, not in the table. */
static const translit latin_table[] = {
    {0xC0, "A"},
    {0xC1, "A"},
    {0xC2, "A"},
    {0xC3, "A"},
    {0xC4, "AE"},
    {0xC5, "AA"},
    {0xC6, "AE"},
    {0xC7, "C"},
    {0xC8, "E"},
    {0xC9, "E"},
    {0xCA, "E"},
    {0xCB, "E"},
    {0xCC, "I"},
    {0xCD, "I"},
    {0xCE, "I"},
    {0xCF, "I"},
    {0xD0, "D"},
    {0xD1, "N"},
    {0xD2, "O"},
    {0xD3, "O"},
    {0xD4, "O"},
    {0xD5, "O"},
    {0xD6, "OE"},
    {0xD8, "OE"},
    {0xD9, "U"},
    {0xDA, "U"},
    {0xDB, "U"},
    {0xDC, "UE"},
    {0xDD, "Y"},
    {0xDE, "TH"},
    {0xDF, "SS"},
    {0x100, "A"},
    {0x102, "A"},
    {0x104, "A"},
    {0x106, "C"},
    {0x108, "C"},
    {0x10A, "C"},
    {0x10C, "C"},
    {0x10E, "D"},
    {0x110, "D"},
    {0x112, "E"},
    {0x114, "E"},
    {0x116, "E"},
    {0x118, "E"},
    {0x11A, "E"},
    {0x11C, "G"},
    {0x11E, "G"},
    {0x120, "G"},
    {0x122, "G"},
    {0x124, "H"},
    {0x126, "H"},
    {0x128, "I"},
    {0x12A, "I"},
    {0x12C, "I"},
    {0x12E, "I"},
    {0x130, "I"},
    {0x131, "I"},
    {0x132, "IJ"},
    {0x134, "J"},
    {0x136, "K"},
    {0x139, "L"},
    {0x13B, "L"},
    {0x13D, "L"},
    {0x13F, "L"},
    {0x141, "L"},
    {0x143, "N"},
    {0x145, "N"},
    {0x147, "N"},
    {0x14A, "N"},
    {0x14C, "O"},
    {0x14E, "O"},
    {0x150, "O"},
    {0x152, "OE"},
    {0x154, "R"},
    {0x156, "R"},
    {0x158, "R"},
    {0x15A, "S"},
    {0x15C, "S"},
    {0x15E, "S"},
    {0x160, "S"},
    {0x162, "T"},
    {0x164, "T"},
    {0x166, "T"},
    {0x168, "U"},
    {0x16A, "U"},
    {0x16C, "U"},
    {0x16E, "U"},
    {0x170, "U"},
    {0x172, "U"},
    {0x174, "W"},
    {0x176, "Y"},
    {0x178, "Y"},
    {0x179, "Z"},
    {0x17B, "Z"},
    {0x17D, "Z"},
    {0x18F, "A"},
    {0x1E9E, "SS"},
    /* Cyrillic (Doc 9303 recommended transliteration, as Russian passports write it). */
    {0x410, "A"},
    {0x411, "B"},
    {0x412, "V"},
    {0x413, "G"},
    {0x414, "D"},
    {0x415, "E"},
    {0x401, "E"},
    {0x416, "ZH"},
    {0x417, "Z"},
    {0x418, "I"},
    {0x419, "I"},
    {0x41A, "K"},
    {0x41B, "L"},
    {0x41C, "M"},
    {0x41D, "N"},
    {0x41E, "O"},
    {0x41F, "P"},
    {0x420, "R"},
    {0x421, "S"},
    {0x422, "T"},
    {0x423, "U"},
    {0x424, "F"},
    {0x425, "KH"},
    {0x426, "TS"},
    {0x427, "CH"},
    {0x428, "SH"},
    {0x429, "SHCH"},
    {0x42A, "IE"},
    {0x42B, "Y"},
    {0x42C, ""},
    {0x42D, "E"},
    {0x42E, "IU"},
    {0x42F, "IA"},
    {0x404, "IE"},
    {0x406, "I"},
    {0x407, "I"},
    {0x490, "G"},
    {0x40E, "U"},
};

/* Lower case Latin-1 / Latin Extended-A letters to their upper case code point. */
static unsigned to_upper(unsigned cp)
{
    if (cp >= 'a' && cp <= 'z')
        return cp - 32;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
        return cp - 0x20;
    if (cp == 0xFF)
        return 0x178;
    if (cp == 0x259)
        return 0x18F;
    if (cp >= 0x430 && cp <= 0x44F)
        return cp - 0x20; /* Cyrillic а-я */
    if (cp >= 0x450 && cp <= 0x45F)
        return cp - 0x50; /* ё, є, і, ї, ў ... */
    if (cp == 0x491)
        return 0x490;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp == 0x131 ? cp : cp & ~1u;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1u) ? cp : cp - 1;
    return cp;
}

static int utf8_next(const unsigned char *s, size_t *i, unsigned *cp)
{
    unsigned c = s[*i];
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
    unsigned v = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
    for (int k = 1; k <= n; k++) {
        if ((s[*i + (size_t)k] & 0xC0) != 0x80)
            return -1;
        v = (v << 6) | (s[*i + (size_t)k] & 0x3F);
    }
    *i += (size_t)n + 1;
    *cp = v;
    return 0;
}

static const char *lookup(unsigned cp)
{
    for (size_t i = 0; i < sizeof latin_table / sizeof latin_table[0]; i++)
        if (latin_table[i].cp == cp)
            return latin_table[i].to;
    return NULL;
}

int eyni_mrz_transliterate(const char *utf8, char *out, size_t cap, eyni_error *err)
{
    size_t len = strlen(utf8), n = 0;
    if (!eyni_utf8_valid(utf8, len))
        return eyni_error_set(err, EYNI_EINVAL, "name is not valid UTF-8");
    const unsigned char *s = (const unsigned char *)utf8;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        if (utf8_next(s, &i, &cp) != 0)
            return eyni_error_set(err, EYNI_EINVAL, "name is not valid UTF-8");
        cp = to_upper(cp);
        char one[2] = {0, 0};
        const char *to;
        if ((cp >= 'A' && cp <= 'Z') || cp == '<') {
            one[0] = (char)cp;
            to = one;
        } else if (cp == ' ' || cp == '-' || cp == '\t') {
            /* Runs of separators collapse to one filler; none at the start. */
            to = n == 0 || out[n - 1] == '<' ? "" : "<";
        } else if (cp == '\'' || cp == 0x2019 || cp == '.' || cp == ',' || cp == 0x2BC) {
            to = "";
        } else if (!(to = lookup(cp))) {
            return eyni_error_set(err, EYNI_EINVAL,
                                  "name character U+%04X has no MRZ transliteration", cp);
        }
        size_t k = strlen(to);
        if (n + k + 1 > cap)
            return eyni_error_set(err, EYNI_ELIMIT, "transliterated name exceeds %zu characters",
                                  cap - 1);
        memcpy(out + n, to, k);
        n += k;
    }
    while (n > 0 && out[n - 1] == '<')
        n--;
    out[n] = '\0';
    return 0;
}

/*
 * Name field of width w: PRIMARY<<SECONDARY padded with fillers. When too long, given-name
 * components are reduced to initials from the last one forward; if that is not enough the
 * field is cut at w, keeping a letter in the last position (Doc 9303 part 3 truncation).
 */
static int name_field(const char *primary, const char *secondary, size_t w, char *out,
                      eyni_error *err)
{
    char p[128], s[128], full[260];
    int rc = eyni_mrz_transliterate(primary, p, sizeof p, err);
    if (rc == 0)
        rc = eyni_mrz_transliterate(secondary ? secondary : "", s, sizeof s, err);
    if (rc)
        return rc;
    if (!p[0])
        return eyni_error_set(err, EYNI_EINVAL, "primary identifier (surname) is empty");
    for (;;) {
        snprintf(full, sizeof full, "%s%s%s", p, s[0] ? "<<" : "", s);
        if (strlen(full) <= w)
            break;
        /* Shorten the last given-name component that is still longer than an initial. */
        char *comp = NULL;
        for (char *q = s; *q; q++)
            if ((q == s || q[-1] == '<') && q[1] && q[1] != '<')
                comp = q;
        if (!comp)
            break;
        char *end = comp + 1;
        while (*end && *end != '<')
            end++;
        memmove(comp + 1, end, strlen(end) + 1);
    }
    size_t n = strlen(full);
    if (n > w) {
        n = w;
        while (n > 0 && full[n - 1] == '<')
            n--;
    }
    memset(out, '<', w);
    memcpy(out, full, n);
    out[w] = '\0';
    return 0;
}

/* Copies an MRZ field left-aligned, padded with fillers; EINVAL when too long or not in
 * the MRZ set. Spaces become fillers. */
static int pad_field(char *dst, const char *src, size_t w, const char *name, eyni_error *err)
{
    size_t n = src ? strlen(src) : 0;
    if (n > w)
        return eyni_error_set(err, EYNI_EINVAL, "%s '%s' is longer than %zu characters", name, src,
                              w);
    for (size_t i = 0; i < n; i++) {
        char c = src[i] == ' ' ? '<' : src[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<'))
            return eyni_error_set(err, EYNI_EINVAL, "%s '%s' holds '%c', outside A-Z 0-9 <", name,
                                  src, src[i]);
        dst[i] = c;
    }
    memset(dst + n, '<', w - n);
    return 0;
}

static char digit(const char *s, size_t n)
{
    return (char)('0' + eyni_mrz_check_digit(s, n));
}

/* Document number into num[0..10) and, when longer than nine, its extension (rest, check
 * digit, filler) in front of the optional data. */
static int docnum_field(const eyni_mrz_fields *f, char *num, char *opt, size_t optw, int allow_long,
                        eyni_error *err)
{
    const char *d = f->document_number ? f->document_number : "";
    size_t n = strlen(d);
    char ext[40] = "";
    if (n == 0)
        return eyni_error_set(err, EYNI_EINVAL, "document number is empty");
    if (n <= 9) {
        if (pad_field(num, d, 9, "document number", err))
            return err->code;
        num[9] = digit(num, 9);
    } else {
        if (!allow_long)
            return eyni_error_set(err, EYNI_EINVAL,
                                  "document number '%s' is longer than 9 characters", d);
        char full[40];
        if (n >= sizeof full - 1 || pad_field(full, d, n, "document number", err))
            return eyni_error_set(err, EYNI_EINVAL, "document number '%s' is invalid", d);
        memcpy(num, full, 9);
        num[9] = '<';
        snprintf(ext, sizeof ext, "%.*s%c<", (int)(n - 9), d + 9, digit(full, n));
    }
    char optional[64];
    const char *o = f->optional1 ? f->optional1 : "";
    snprintf(optional, sizeof optional, "%s%s", ext, o);
    size_t len = strlen(optional);
    if (ext[0] && !o[0] && len == optw + 1)
        optional[--len] = '\0'; /* the filler after the check digit may fall off the end */
    return pad_field(opt, optional, optw, "optional data (with document number extension)", err);
}

static int dates_field(const eyni_mrz_fields *f, char *p, eyni_error *err)
{
    if (pad_field(p, f->birth_date, 6, "birth date", err) ||
        pad_field(p + 7, f->sex, 1, "sex", err) ||
        pad_field(p + 8, f->expiry_date, 6, "expiry date", err))
        return err->code;
    p[6] = digit(p, 6);
    p[14] = digit(p + 8, 6);
    return 0;
}

static int build_td1(const eyni_mrz_fields *f, char l[3][45], eyni_error *err)
{
    if (pad_field(l[0], f->document_code, 2, "document code", err) ||
        pad_field(l[0] + 2, f->issuer, 3, "issuer", err) ||
        docnum_field(f, l[0] + 5, l[0] + 15, 15, 1, err) || dates_field(f, l[1], err) ||
        pad_field(l[1] + 15, f->nationality, 3, "nationality", err) ||
        pad_field(l[1] + 18, f->optional2, 11, "optional data 2", err) ||
        name_field(f->primary, f->secondary, 30, l[2], err))
        return err->code;
    char comp[64];
    memcpy(comp, l[0] + 5, 25);
    memcpy(comp + 25, l[1], 7);
    memcpy(comp + 32, l[1] + 8, 7);
    memcpy(comp + 39, l[1] + 18, 11);
    l[1][29] = digit(comp, 50);
    l[0][30] = l[1][30] = '\0';
    return 0;
}

static int build_two_line(const eyni_mrz_fields *f, char l[3][45], size_t w, eyni_error *err)
{
    int visa = f->format == EYNI_MRZ_MRVA || f->format == EYNI_MRZ_MRVB;
    char *a = l[0], *b = l[1];
    if (pad_field(a, f->document_code, 2, "document code", err) ||
        pad_field(a + 2, f->issuer, 3, "issuer", err) ||
        name_field(f->primary, f->secondary, w - 5, a + 5, err) ||
        pad_field(b + 10, f->nationality, 3, "nationality", err) || dates_field(f, b + 13, err))
        return err->code;
    if (f->format == EYNI_MRZ_TD3) {
        eyni_mrz_fields g = *f;
        g.optional1 = NULL;
        char unused[16];
        if (docnum_field(&g, b, unused, 14, 0, err) ||
            pad_field(b + 28, f->optional1, 14, "personal number", err))
            return err->code;
        int empty = !f->optional1 || !f->optional1[0];
        b[42] = empty ? '<' : digit(b + 28, 14);
    } else if (docnum_field(f, b, b + 28, w - 28 - (visa ? 0 : 1), !visa, err)) {
        return err->code;
    }
    if (!visa) {
        char comp[64];
        memcpy(comp, b, 10);
        memcpy(comp + 10, b + 13, 7);
        memcpy(comp + 17, b + 21, w - 22);
        b[w - 1] = digit(comp, 17 + w - 22);
    }
    a[w] = b[w] = '\0';
    return 0;
}

int eyni_mrz_build(const eyni_mrz_fields *f, char *out, size_t cap, eyni_error *err)
{
    char l[3][45];
    memset(l, '<', sizeof l);
    int rc;
    if (f->format == EYNI_MRZ_TD1)
        rc = build_td1(f, l, err);
    else if ((unsigned)f->format <= EYNI_MRZ_MRVB)
        rc = build_two_line(f, l, f->format == EYNI_MRZ_TD3 || f->format == EYNI_MRZ_MRVA ? 44 : 36,
                            err);
    else
        return eyni_error_set(err, EYNI_EINVAL, "mrz: unknown format %d", (int)f->format);
    if (rc)
        return rc;
    int n = f->format == EYNI_MRZ_TD1 ? snprintf(out, cap, "%s\n%s\n%s", l[0], l[1], l[2])
                                      : snprintf(out, cap, "%s\n%s", l[0], l[1]);
    if (n < 0 || (size_t)n >= cap)
        return eyni_error_set(err, EYNI_EINVAL, "mrz: output buffer of %zu bytes too small", cap);
    /* The result must read back as valid: catches bad dates, sex or codes. */
    eyni_mrz check;
    rc = eyni_mrz_parse(out, (size_t)n, &check, err);
    if (rc)
        return rc;
    if (!check.valid || check.format != f->format)
        return eyni_error_set(err, EYNI_EINVAL, "mrz: built zone is not valid: %s",
                              check.problem[0] ? check.problem : "wrong format for the code");
    return 0;
}

static const eyni_mrtd_doctype doctypes[] = {
    {"P", EYNI_MRZ_TD3, "ordinary passport"},
    {"PD", EYNI_MRZ_TD3, "diplomatic passport"},
    {"PS", EYNI_MRZ_TD3, "service passport"},
    {"PT", EYNI_MRZ_TD3, "travel document for stateless persons"},
    {"PR", EYNI_MRZ_TD3, "return certificate"},
    {"PM", EYNI_MRZ_TD3, "seafarer's passport"},
    {"ID", EYNI_MRZ_TD1, "national identity card"},
    {"IR", EYNI_MRZ_TD1, "residence permit card"},
    {"IM", EYNI_MRZ_TD1, "immigrant card (permanent residence)"},
    {"IS", EYNI_MRZ_TD1, "seafarer's identity document"},
    {"AC", EYNI_MRZ_TD1, "crew member certificate"},
    {"I", EYNI_MRZ_TD2, "identity document, TD2 size"},
    {"VA", EYNI_MRZ_MRVA, "visa, MRV-A size"},
    {"VB", EYNI_MRZ_MRVB, "visa, MRV-B size"},
    {NULL, EYNI_MRZ_TD3, NULL},
};

const eyni_mrtd_doctype *eyni_mrtd_doctypes(void)
{
    return doctypes;
}
