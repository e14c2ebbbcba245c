/* The locus table, allele codes and the profile's small helpers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dna_int.h"

/* Repeat unit lengths: tetranucleotide except D22S1045 (tri) and the Penta loci (penta).
 * A micro-variant fraction must be shorter than the repeat unit (9.3 yes, 9.4 no). */
static const dna_locus_info loci[EYNI_DNA_NLOCI] = {
    {"CSF1PO", 4, 1},  {"D3S1358", 4, 1},  {"D5S818", 4, 1},  {"D7S820", 4, 1},  {"D8S1179", 4, 1},
    {"D13S317", 4, 1}, {"D16S539", 4, 1},  {"D18S51", 4, 1},  {"D21S11", 4, 1},  {"FGA", 4, 1},
    {"TH01", 4, 1},    {"TPOX", 4, 1},     {"vWA", 4, 1},     {"D1S1656", 4, 1}, {"D2S441", 4, 1},
    {"D2S1338", 4, 1}, {"D10S1248", 4, 1}, {"D12S391", 4, 1}, {"D19S433", 4, 1}, {"D22S1045", 3, 1},
    {"D6S1043", 4, 0}, {"F13A01", 4, 0},   {"F13B", 4, 0},    {"FESFPS", 4, 0},  {"LPL", 4, 0},
    {"Penta_C", 5, 0}, {"Penta_D", 5, 0},  {"Penta_E", 5, 0}, {"SE33", 4, 0},    {"AMEL", 0, 0},
};

static const struct {
    const char *alias;
    int locus;
} aliases[] = {
    {"THO1", 10}, {"FESFPS", 23}, {"F13A1", 21}, {"AMELOGENIN", 29},
    {"AM", 29},   {"ACTBP2", 28}, {"CSF1P0", 0},
};

const dna_locus_info *dna_locus_info_at(int locus)
{
    return locus >= 0 && locus < EYNI_DNA_NLOCI ? &loci[locus] : NULL;
}

const char *eyni_dna_locus_name(int locus)
{
    return locus >= 0 && locus < EYNI_DNA_NLOCI ? loci[locus].name : NULL;
}

int eyni_dna_locus_is_codis(int locus)
{
    return locus >= 0 && locus < EYNI_DNA_NLOCI && loci[locus].codis;
}

/* Upper-case letters and digits only: "Penta D", "penta_d" and "PENTA-D" are one key. */
static void locus_key(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        unsigned char ch = (unsigned char)*in;
        if (isalnum(ch))
            out[n++] = (char)toupper(ch);
    }
    out[n] = '\0';
}

int eyni_dna_locus_find(const char *name)
{
    char key[32], k2[32];
    if (!name || strlen(name) >= sizeof key)
        return -1;
    locus_key(name, key, sizeof key);
    if (!key[0])
        return -1;
    for (int i = 0; i < EYNI_DNA_NLOCI; i++) {
        locus_key(loci[i].name, k2, sizeof k2);
        if (strcmp(key, k2) == 0)
            return i;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(key, aliases[i].alias) == 0)
            return aliases[i].locus;
    return -1;
}

/* Repeat number "16", "9.3", "24.2" -> tenths; -1 when not such a number. */
static int parse_tenths(const char *s, const char *end)
{
    int whole = 0, digits = 0, frac = 0;
    const char *q = s;
    while (q < end && isdigit((unsigned char)*q) && digits < 3) {
        whole = whole * 10 + (*q - '0');
        q++;
        digits++;
    }
    if (digits == 0 || (q < end && isdigit((unsigned char)*q)))
        return -1;
    if (q < end) {
        if (*q != '.' || q + 2 != end || !isdigit((unsigned char)q[1]))
            return -1;
        frac = q[1] - '0';
    }
    return whole * 10 + frac;
}

int eyni_dna_allele_parse(int locus, const char *text, eyni_dna_allele *out, eyni_error *err)
{
    const dna_locus_info *li = dna_locus_info_at(locus);
    if (!li)
        return eyni_error_set(err, EYNI_EINVAL, "unknown locus index %d", locus);
    if (!text || !*text)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: empty allele", li->name);
    size_t n = strlen(text);
    if (n > 6)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: impossible allele '%.16s' (too long)",
                              li->name, text);
    if (locus == EYNI_DNA_LOCUS_AMEL) {
        if (n == 1 && (text[0] == 'X' || text[0] == 'x')) {
            *out = EYNI_DNA_ALLELE_X;
            return 0;
        }
        if (n == 1 && (text[0] == 'Y' || text[0] == 'y')) {
            *out = EYNI_DNA_ALLELE_Y;
            return 0;
        }
        return eyni_error_set(err, EYNI_EFORMAT, "AMEL: impossible allele '%s' (want X or Y)",
                              text);
    }
    if (n == 1 && (text[0] == 'F' || text[0] == 'f')) {
        *out = EYNI_DNA_ALLELE_DROPOUT;
        return 0;
    }
    unsigned kind = 0;
    const char *s = text;
    if (*s == '<' || *s == '>') {
        kind = *s == '<' ? EYNI_DNA_ALLELE_BELOW : EYNI_DNA_ALLELE_ABOVE;
        s++;
    }
    int t = parse_tenths(s, text + n);
    if (t < 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: impossible allele '%s' (not a number)",
                              li->name, text);
    if (t < 10 || t > 999)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s: impossible allele '%s' (repeats must be 1 to 99)", li->name,
                              text);
    if (t % 10 >= li->repeat)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s: impossible allele '%s' (micro-variant .%d not below the "
                              "repeat length %d)",
                              li->name, text, t % 10, li->repeat);
    *out = (eyni_dna_allele)(kind | (unsigned)t);
    return 0;
}

void eyni_dna_allele_format(eyni_dna_allele a, char buf[EYNI_DNA_ALLELE_MAX_TEXT])
{
    unsigned kind = EYNI_DNA_ALLELE_KIND(a), t = EYNI_DNA_ALLELE_TENTHS(a);
    const char *pre = kind == EYNI_DNA_ALLELE_BELOW   ? "<"
                      : kind == EYNI_DNA_ALLELE_ABOVE ? ">"
                                                      : "";
    if (a == EYNI_DNA_ALLELE_DROPOUT)
        snprintf(buf, EYNI_DNA_ALLELE_MAX_TEXT, "F");
    else if (a == EYNI_DNA_ALLELE_X || a == EYNI_DNA_ALLELE_Y)
        snprintf(buf, EYNI_DNA_ALLELE_MAX_TEXT, "%c", a == EYNI_DNA_ALLELE_X ? 'X' : 'Y');
    else if (t % 10)
        snprintf(buf, EYNI_DNA_ALLELE_MAX_TEXT, "%s%u.%u", pre, t / 10, t % 10);
    else
        snprintf(buf, EYNI_DNA_ALLELE_MAX_TEXT, "%s%u", pre, t / 10);
}

eyni_dna_genotype dna_genotype_make(eyni_dna_allele x, eyni_dna_allele y)
{
    eyni_dna_genotype g;
    if (!x) {
        x = y;
        y = 0;
    }
    if (!y)
        y = x; /* one allele written once: a homozygote */
    g.a = x < y ? x : y;
    g.b = x < y ? y : x;
    return g;
}

int dna_strcaseeq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

int dna_copy_text(char *dst, size_t cap, const char *src, const char *what, const char *name,
                  eyni_error *err)
{
    size_t n = strlen(src);
    if (n >= cap)
        return eyni_error_set(err, EYNI_ELIMIT, "%s: %s '%.24s...' longer than %zu bytes", name,
                              what, src, cap - 1);
    if (!eyni_utf8_valid(src, n))
        return eyni_error_set(err, EYNI_EFORMAT, "%s: %s is not valid UTF-8 text", name, what);
    memcpy(dst, src, n + 1);
    return 0;
}

const char *dna_kind_name(eyni_dna_kind k)
{
    return k == EYNI_DNA_FORENSIC ? "forensic" : "reference";
}

int dna_kind_parse(const char *s, eyni_dna_kind *k)
{
    if (!*s || dna_strcaseeq(s, "reference")) {
        *k = EYNI_DNA_REFERENCE;
        return 0;
    }
    if (dna_strcaseeq(s, "forensic")) {
        *k = EYNI_DNA_FORENSIC;
        return 0;
    }
    return -1;
}
