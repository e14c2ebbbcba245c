/* UTF-8 validation and the diacritic- and case-insensitive search key of names. */
#include <string.h>

#include "eyni/base.h"

/* Decodes one code point at s[*i]; returns it, or -1 for any malformed sequence. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    long cp;
    size_t need;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        cp = c & 0x1F;
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        cp = c & 0x0F;
        need = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
        cp = c & 0x07;
        need = 3;
    } else {
        return -1;
    }
    if (*i + need >= len)
        return -1;
    for (size_t k = 1; k <= need; k++) {
        unsigned char d = s[*i + k];
        if ((d & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (d & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *i += need + 1;
    return cp;
}

int eyni_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        long cp = utf8_next(u, len, &i);
        if (cp < 0 || cp == 0x7F || (cp < 0x20 && cp != '\t' && cp != '\n'))
            return 0;
    }
    return 1;
}

/* Base letters of U+00C0..U+00FF and U+0100..U+017F; '*' = two letters, '.' = dropped. */
static const char latin1[] = "aaaaaa*ceeeeiiiidnooooo.ouuuuy**"
                             "aaaaaa*ceeeeiiiidnooooo.ouuuuy*y";
static const char latin_ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkk"
                                  "llllllllllnnnnnnnnnoooooo**rrrrrrsssssssstttttt"
                                  "uuuuuuuuuuuuwwyyyzzzzzzs";

static const char *two_letters(long cp)
{
    switch (cp) {
    case 0xC6: case 0xE6: return "ae";
    case 0xDE: case 0xFE: return "th";
    case 0xDF: return "ss";
    case 0x132: case 0x133: return "ij";
    case 0x152: case 0x153: return "oe";
    default: return "";
    }
}

typedef struct sink {
    char *out;
    size_t cap, n;
    int cut;
} sink;

static void put(sink *k, const char *s, size_t n)
{
    if (k->n + n + 1 > k->cap) {
        k->cut = 1;
        return;
    }
    memcpy(k->out + k->n, s, n);
    k->n += n;
}

/* Appends the folded form of one code point; sep tracks a pending word separator. */
static void fold_one(sink *k, long cp, const unsigned char *raw, size_t rawlen, int *sep)
{
    char c = 0;
    const char *two = NULL;
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z')
            c = (char)(cp - 'A' + 'a');
        else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
            c = (char)cp;
        else if (cp == ' ' || cp == '-' || cp == '\'' || cp == '\t' || cp == '.' || cp == ',') {
            *sep = k->n > 0;
            return;
        }
    } else if (cp >= 0xC0 && cp <= 0x17F) {
        c = cp <= 0xFF ? latin1[cp - 0xC0] : latin_ext_a[cp - 0x100];
        if (c == '*')
            two = two_letters(cp);
        if (c == '.')
            return;
    } else if (cp == 0x259 || cp == 0x18F) { /* Azerbaijani schwa */
        c = 'e';
    } else if (cp == 0x2BC || cp == 0x2019) { /* apostrophes in names */
        *sep = k->n > 0;
        return;
    } else if (cp >= 0x370) { /* other scripts are kept as written */
        if (*sep)
            put(k, " ", 1);
        *sep = 0;
        put(k, (const char *)raw, rawlen);
        return;
    }
    if (!c)
        return;
    if (*sep)
        put(k, " ", 1);
    *sep = 0;
    if (two)
        put(k, two, 2);
    else
        put(k, &c, 1);
}

int eyni_text_fold(const char *in, char *out, size_t cap, eyni_error *err)
{
    if (cap == 0)
        return eyni_error_set(err, EYNI_EINVAL, "text fold: empty output buffer");
    const unsigned char *u = (const unsigned char *)in;
    size_t len = strlen(in), i = 0;
    sink k = {out, cap, 0, 0};
    int sep = 0;
    while (i < len) {
        size_t start = i;
        long cp = utf8_next(u, len, &i);
        if (cp < 0) {
            out[0] = '\0';
            return eyni_error_set(err, EYNI_EINVAL, "text is not valid UTF-8 at byte %zu", start);
        }
        fold_one(&k, cp, u + start, i - start, &sep);
    }
    out[k.n] = '\0';
    if (k.cut)
        return eyni_error_set(err, EYNI_ELIMIT, "folded text longer than %zu bytes", cap - 1);
    return 0;
}
