/* A bounded CSV row reader for profile, genotype and frequency files. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dna_int.h"

void dna_csv_open(dna_csv *c, const char *buf, size_t len, const char *name)
{
    memset(c, 0, offsetof(dna_csv, store));
    c->buf = buf;
    c->len = len;
    c->name = name ? name : "csv";
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3;
}

static int row_blank(const dna_csv *c)
{
    for (size_t i = 0; i < c->nfields; i++) {
        const char *f = c->fields[i];
        while (*f == ' ' || *f == '\t')
            f++;
        if (*f)
            return 0;
    }
    return 1;
}

/* Reads one physical record (quoted fields may span lines) into store. */
static int read_row(dna_csv *c, eyni_error *err)
{
    size_t out = 0, flen = 0;
    int quoted = 0, after_quote = 0;
    c->nfields = 0;
    c->line++;
    c->fields[c->nfields++] = c->store;
    while (c->pos < c->len) {
        char ch = c->buf[c->pos++];
        if (ch == '\0')
            return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: NUL byte in CSV", c->name, c->line);
        if (quoted) {
            if (ch == '"') {
                if (c->pos < c->len && c->buf[c->pos] == '"') {
                    c->pos++;
                } else {
                    quoted = 0;
                    after_quote = 1;
                    continue;
                }
            }
        } else if (ch == '"' && flen == 0 && !after_quote) {
            quoted = 1;
            continue;
        } else if (ch == ',') {
            if (c->nfields >= DNA_CSV_MAX_FIELDS)
                return eyni_error_set(err, EYNI_ELIMIT, "%s:%zu: more than %d columns", c->name,
                                      c->line, DNA_CSV_MAX_FIELDS);
            c->store[out++] = '\0';
            c->fields[c->nfields++] = c->store + out;
            flen = 0;
            after_quote = 0;
            continue;
        } else if (ch == '\n' || ch == '\r') {
            if (ch == '\r' && c->pos < c->len && c->buf[c->pos] == '\n')
                c->pos++;
            break;
        } else if (after_quote) {
            return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: text after a closing quote", c->name,
                                  c->line);
        }
        if (flen >= DNA_CSV_MAX_FIELD || out + 1 >= DNA_CSV_MAX_LINE)
            return eyni_error_set(err, EYNI_ELIMIT, "%s:%zu: field or line too long", c->name,
                                  c->line);
        c->store[out++] = ch;
        flen++;
    }
    if (quoted)
        return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: unterminated quote", c->name, c->line);
    c->store[out] = '\0';
    return 1;
}

int dna_csv_next(dna_csv *c, eyni_error *err)
{
    while (c->pos < c->len) {
        int rc = read_row(c, err);
        if (rc < 0)
            return rc;
        if (!row_blank(c))
            return 1;
    }
    return 0;
}

const char *dna_csv_field(dna_csv *c, int i)
{
    if (i < 0 || (size_t)i >= c->nfields)
        return "";
    char *f = c->fields[i];
    while (*f == ' ' || *f == '\t')
        f++;
    size_t n = strlen(f);
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
        f[--n] = '\0';
    c->fields[i] = f;
    return f;
}

int dna_csv_column(const dna_csv *c, const char *name)
{
    for (size_t i = 0; i < c->nfields; i++) {
        const char *f = c->fields[i];
        while (*f == ' ' || *f == '\t')
            f++;
        size_t n = strlen(f), m = strlen(name);
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
            n--;
        if (n == m && strncasecmp(f, name, n) == 0)
            return (int)i;
    }
    return -1;
}
