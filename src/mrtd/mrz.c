/* MRZ parsing and validation (Doc 9303 parts 3-7): layouts, check digits, field syntax. */
#include <string.h>

#include "mrtd_int.h"

static int char_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c == '<')
        return 0;
    return -1;
}

int eyni_mrz_check_digit(const char *s, size_t len)
{
    static const int weights[3] = {7, 3, 1};
    int sum = 0;
    for (size_t i = 0; i < len; i++) {
        int v = char_value(s[i]);
        if (v < 0)
            return -1;
        sum += v * weights[i % 3];
    }
    return sum % 10;
}

/* 1 when check is the digit of s[0..n); an all-filler field may carry '<' or '0'. */
static int check_field(const char *s, size_t n, char check, int filler_allowed)
{
    int d = eyni_mrz_check_digit(s, n);
    if (d < 0)
        return 0;
    if (check == '<') {
        for (size_t i = 0; i < n; i++)
            if (s[i] != '<')
                return 0;
        return filler_allowed;
    }
    return check >= '0' && check <= '9' && check - '0' == d;
}

const char *eyni_mrz_format_name(eyni_mrz_format f)
{
    static const char *const names[] = {"TD1", "TD2", "TD3", "MRV-A", "MRV-B"};
    return (unsigned)f < 5 ? names[f] : "?";
}

/* Copies n characters, trims trailing fillers. */
static void copy_trim(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    while (n > 0 && src[n - 1] == '<')
        n--;
    dst[n] = '\0';
}

/* Splits the input into lines: newline-separated or one concatenated string. */
static int split_lines(const char *text, size_t len, eyni_mrz *m, eyni_error *err)
{
    char flat[EYNI_MRZ_MAX_INPUT + 1];
    size_t n = 0, breaks[4], nbreaks = 0;
    if (len > EYNI_MRZ_MAX_INPUT)
        return eyni_error_set(err, EYNI_ELIMIT, "mrz: %zu characters, limit is %d", len,
                              EYNI_MRZ_MAX_INPUT);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t start = 0;
    while (start < len && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r'))
        start++;
    for (size_t i = start; i < len; i++) {
        char c = text[i];
        if (c == '\r')
            continue;
        if (c == '\n') {
            if (nbreaks == 3)
                return eyni_error_set(err, EYNI_EFORMAT, "mrz: more than three lines");
            breaks[nbreaks++] = n;
            continue;
        }
        if (char_value(c) < 0)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "mrz: character 0x%02x at position %zu is not in the MRZ set "
                                  "(A-Z 0-9 <)",
                                  (unsigned char)c, i);
        flat[n++] = c;
    }
    flat[n] = '\0';
    int width, lines;
    if (n == 90) {
        width = 30, lines = 3;
    } else if (n == 72) {
        width = 36, lines = 2;
    } else if (n == 88) {
        width = 44, lines = 2;
    } else {
        return eyni_error_set(err, EYNI_EFORMAT,
                              "mrz: %zu characters; TD1 has 90, TD2/MRV-B 72, TD3/MRV-A 88", n);
    }
    if (nbreaks > 0) {
        if (nbreaks != (size_t)lines - 1)
            return eyni_error_set(err, EYNI_EFORMAT, "mrz: %zu lines for a %d-line format",
                                  nbreaks + 1, lines);
        for (size_t i = 0; i < nbreaks; i++)
            if (breaks[i] != (i + 1) * (size_t)width)
                return eyni_error_set(err, EYNI_EFORMAT, "mrz: line %zu is not %d characters",
                                      i + 1, width);
    }
    for (int i = 0; i < lines; i++) {
        memcpy(m->lines[i], flat + i * width, (size_t)width);
        m->lines[i][width] = '\0';
    }
    m->nlines = lines;
    if (lines == 3)
        m->format = EYNI_MRZ_TD1;
    else if (flat[0] == 'V')
        m->format = width == 44 ? EYNI_MRZ_MRVA : EYNI_MRZ_MRVB;
    else
        m->format = width == 44 ? EYNI_MRZ_TD3 : EYNI_MRZ_TD2;
    return 0;
}

static void problem(eyni_mrz *m, const char *what)
{
    if (m->syntax_ok) {
        m->syntax_ok = 0;
        snprintf(m->problem, sizeof m->problem, "%s", what);
    }
}

static int all_in(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(set, s[i]))
            return 0;
    return 1;
}

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS  "0123456789"

/* YYMMDD with unknown parts as '<' (Doc 9303 part 3: unknown day or month). */
static int date_ok(const char *d)
{
    if (!all_in(d, 2, DIGITS))
        return 0;
    for (int i = 2; i < 6; i += 2) {
        if (d[i] == '<' && d[i + 1] == '<')
            continue;
        if (!all_in(d + i, 2, DIGITS))
            return 0;
        int v = (d[i] - '0') * 10 + d[i + 1] - '0';
        if (v < 1 || v > (i == 2 ? 12 : 31))
            return 0;
    }
    return 1;
}

static void parse_name(eyni_mrz *m, const char *field, size_t n)
{
    char buf[45];
    copy_trim(buf, sizeof buf, field, n);
    m->name_truncated = field[n - 1] != '<';
    char *sep = strstr(buf, "<<");
    if (sep) {
        *sep = '\0';
        const char *given = sep + 2;
        while (*given == '<')
            given++;
        snprintf(m->secondary, sizeof m->secondary, "%s", given);
    }
    snprintf(m->primary, sizeof m->primary, "%s", buf);
    for (char *p = m->primary; *p; p++)
        if (*p == '<')
            *p = ' ';
    for (char *p = m->secondary; *p; p++)
        if (*p == '<')
            *p = ' ';
    if (!all_in(field, n, LETTERS "<"))
        problem(m, "name holds digits");
    if (buf[0] == '\0')
        problem(m, "name is empty");
}

/* Line 1 of TD2/TD3/visas and the first five characters of TD1. */
static void parse_header(eyni_mrz *m, const char *l)
{
    copy_trim(m->document_code, sizeof m->document_code, l, 2);
    memcpy(m->issuer, l + 2, 3);
    m->issuer[3] = '\0';
    if (!all_in(l, 1, LETTERS) || !all_in(l + 1, 1, LETTERS "<"))
        problem(m, "document code must start with a letter");
    if (!all_in(l + 2, 3, LETTERS "<") || l[2] == '<')
        problem(m, "issuing state is not a three-letter code");
}

/*
 * Document number of 9 characters plus check digit at num[9]; when the check position is '<'
 * the number continues in the optional data (TD1/TD2): the characters up to the first filler
 * there, the last of which is the check digit. Returns the optional data left after it.
 */
static const char *parse_docnum(eyni_mrz *m, const char *num, const char *opt, size_t optlen,
                                size_t *rest_len, int allow_long)
{
    *rest_len = optlen;
    if (num[9] == '<' && allow_long) {
        size_t run = 0;
        while (run < optlen && opt[run] != '<')
            run++;
        m->document_number_long = 1;
        if (run == 0) {
            copy_trim(m->document_number, sizeof m->document_number, num, 9);
            m->document_number_check = 0;
            return opt;
        }
        char full[32];
        memcpy(full, num, 9);
        memcpy(full + 9, opt, run - 1);
        full[9 + run - 1] = '\0';
        snprintf(m->document_number, sizeof m->document_number, "%s", full);
        m->document_number_check = check_field(full, strlen(full), opt[run - 1], 0);
        size_t skip = run < optlen ? run + 1 : run;
        *rest_len = optlen - skip;
        return opt + skip;
    }
    copy_trim(m->document_number, sizeof m->document_number, num, 9);
    m->document_number_check = check_field(num, 9, num[9], 0);
    return opt;
}

/* Fields shared by line 2 of TD2/TD3/visas: birth date at p, sex, expiry. */
static void parse_dates(eyni_mrz *m, const char *p)
{
    memcpy(m->birth_date, p, 6);
    m->birth_date[6] = '\0';
    m->birth_date_check = check_field(p, 6, p[6], 0);
    m->sex[0] = p[7];
    m->sex[1] = '\0';
    memcpy(m->expiry_date, p + 8, 6);
    m->expiry_date[6] = '\0';
    m->expiry_date_check = check_field(p + 8, 6, p[14], 0);
    if (!date_ok(m->birth_date))
        problem(m, "birth date is not YYMMDD");
    if (!date_ok(m->expiry_date))
        problem(m, "expiry date is not YYMMDD");
    if (!strchr("MFX<", p[7]))
        problem(m, "sex is not M, F, X or <");
}

static void parse_nationality(eyni_mrz *m, const char *p)
{
    memcpy(m->nationality, p, 3);
    m->nationality[3] = '\0';
    if (!all_in(p, 3, LETTERS "<") || p[0] == '<')
        problem(m, "nationality is not a three-letter code");
}

static void parse_td1(eyni_mrz *m)
{
    const char *l1 = m->lines[0], *l2 = m->lines[1];
    parse_header(m, l1);
    size_t rest;
    const char *opt = parse_docnum(m, l1 + 5, l1 + 15, 15, &rest, 1);
    copy_trim(m->optional1, sizeof m->optional1, opt, rest);
    parse_dates(m, l2);
    parse_nationality(m, l2 + 15);
    copy_trim(m->optional2, sizeof m->optional2, l2 + 18, 11);
    char comp[64];
    memcpy(comp, l1 + 5, 25);
    memcpy(comp + 25, l2, 7);
    memcpy(comp + 32, l2 + 8, 7);
    memcpy(comp + 39, l2 + 18, 11);
    m->composite_check = check_field(comp, 50, l2[29], 0);
    parse_name(m, m->lines[2], 30);
}

/* TD2, TD3 and the two visa layouts share line 2 up to position 28. */
static void parse_two_line(eyni_mrz *m, int width)
{
    const char *l1 = m->lines[0], *l2 = m->lines[1];
    int visa = m->format == EYNI_MRZ_MRVA || m->format == EYNI_MRZ_MRVB;
    parse_header(m, l1);
    parse_name(m, l1 + 5, (size_t)width - 5);
    parse_nationality(m, l2 + 10);
    parse_dates(m, l2 + 13);
    size_t rest;
    if (m->format == EYNI_MRZ_TD3) {
        parse_docnum(m, l2, l2 + 28, 14, &rest, 0);
        copy_trim(m->optional1, sizeof m->optional1, l2 + 28, 14);
        m->optional_check = check_field(l2 + 28, 14, l2[42], 1);
    } else {
        size_t optlen = (size_t)width - 28 - (visa ? 0 : 1);
        const char *opt = parse_docnum(m, l2, l2 + 28, optlen, &rest, !visa);
        copy_trim(m->optional1, sizeof m->optional1, opt, rest);
    }
    if (visa)
        return;
    char comp[64];
    memcpy(comp, l2, 10);
    memcpy(comp + 10, l2 + 13, 7);
    memcpy(comp + 17, l2 + 21, (size_t)width - 1 - 21);
    m->composite_check = check_field(comp, 17 + (size_t)width - 22, l2[width - 1], 0);
}

int eyni_mrz_parse(const char *text, size_t len, eyni_mrz *out, eyni_error *err)
{
    eyni_mrz m;
    memset(&m, 0, sizeof m);
    if (!text)
        return eyni_error_set(err, EYNI_EINVAL, "mrz: no text");
    int rc = split_lines(text, len, &m, err);
    if (rc)
        return rc;
    m.syntax_ok = 1;
    m.document_number_check = m.birth_date_check = m.expiry_date_check = -1;
    m.optional_check = m.composite_check = -1;
    if (m.format == EYNI_MRZ_TD1)
        parse_td1(&m);
    else
        parse_two_line(&m, m.format == EYNI_MRZ_TD3 || m.format == EYNI_MRZ_MRVA ? 44 : 36);
    m.valid = m.syntax_ok && m.document_number_check != 0 && m.birth_date_check != 0 &&
              m.expiry_date_check != 0 && m.optional_check != 0 && m.composite_check != 0;
    *out = m;
    return 0;
}

static json_t *check_json(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

json_t *eyni_mrz_to_json(const eyni_mrz *m)
{
    json_t *checks =
        json_pack("{s:o,s:o,s:o,s:o,s:o}", "document_number", check_json(m->document_number_check),
                  "birth_date", check_json(m->birth_date_check), "expiry_date",
                  check_json(m->expiry_date_check), "optional_data", check_json(m->optional_check),
                  "composite", check_json(m->composite_check));
    json_t *fields = json_pack(
        "{s:s,s:s,s:s,s:s,s:b,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s}", "document_code", m->document_code,
        "issuer", m->issuer, "primary_identifier", m->primary, "secondary_identifier", m->secondary,
        "name_possibly_truncated", m->name_truncated, "document_number", m->document_number,
        "document_number_long", m->document_number_long, "nationality", m->nationality,
        "birth_date", m->birth_date, "sex", m->sex, "expiry_date", m->expiry_date, "optional_data",
        m->optional1, "optional_data_2", m->optional2);
    json_t *lines = json_array();
    for (int i = 0; lines && i < m->nlines; i++)
        json_array_append_new(lines, json_string(m->lines[i]));
    if (!checks || !fields || !lines) {
        json_decref(checks);
        json_decref(fields);
        json_decref(lines);
        return NULL;
    }
    return json_pack("{s:b,s:s,s:b,s:s?,s:o,s:o,s:o}", "valid", m->valid, "format",
                     eyni_mrz_format_name(m->format), "syntax_ok", m->syntax_ok, "problem",
                     m->problem[0] ? m->problem : NULL, "fields", fields, "checks", checks, "lines",
                     lines);
}
