/* Profiles: construction, validation, CSV, JSON and the compact binary form. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dna_int.h"

void eyni_dna_profile_init(eyni_dna_profile *p)
{
    memset(p, 0, sizeof *p);
}

static int allele_valid(int locus, eyni_dna_allele a)
{
    const dna_locus_info *li = dna_locus_info_at(locus);
    if (locus == EYNI_DNA_LOCUS_AMEL)
        return a == EYNI_DNA_ALLELE_X || a == EYNI_DNA_ALLELE_Y;
    if (a == EYNI_DNA_ALLELE_DROPOUT)
        return 1;
    unsigned kind = EYNI_DNA_ALLELE_KIND(a), t = EYNI_DNA_ALLELE_TENTHS(a);
    if (kind != 0 && kind != EYNI_DNA_ALLELE_BELOW && kind != EYNI_DNA_ALLELE_ABOVE)
        return 0;
    return t >= 10 && t <= 999 && (int)(t % 10) < li->repeat;
}

int eyni_dna_profile_set(eyni_dna_profile *p, int locus, const char *allele1, const char *allele2,
                         eyni_error *err)
{
    const char *name = eyni_dna_locus_name(locus);
    if (!name)
        return eyni_error_set(err, EYNI_EINVAL, "unknown locus index %d", locus);
    const char *t1 = allele1 && *allele1 ? allele1 : NULL;
    const char *t2 = allele2 && *allele2 ? allele2 : NULL;
    if (!t1 && !t2)
        return 0; /* not typed */
    if (p->loci[locus].a)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: locus listed twice", name);
    eyni_dna_allele x = 0, y = 0;
    if (t1 && eyni_dna_allele_parse(locus, t1, &x, err))
        return err ? err->code : EYNI_EFORMAT;
    if (t2 && eyni_dna_allele_parse(locus, t2, &y, err))
        return err ? err->code : EYNI_EFORMAT;
    eyni_dna_genotype g = dna_genotype_make(x, y);
    if (g.a == EYNI_DNA_ALLELE_DROPOUT)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s: both alleles marked drop-out (leave the locus empty)", name);
    p->loci[locus] = g;
    return 0;
}

int eyni_dna_profile_count(const eyni_dna_profile *p, uint64_t mask)
{
    int n = 0;
    for (int l = 0; l < EYNI_DNA_NLOCI; l++)
        if ((mask >> l & 1) && p->loci[l].a)
            n++;
    return n;
}

static int text_valid(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    return n < cap && eyni_utf8_valid(s, n);
}

int eyni_dna_profile_validate(const eyni_dna_profile *p, eyni_error *err)
{
    if (p->kind != EYNI_DNA_REFERENCE && p->kind != EYNI_DNA_FORENSIC)
        return eyni_error_set(err, EYNI_EFORMAT, "profile: unknown kind %d", (int)p->kind);
    if (!text_valid(p->id, sizeof p->id) || !text_valid(p->case_id, sizeof p->case_id) ||
        !text_valid(p->scene, sizeof p->scene) || !text_valid(p->population, sizeof p->population))
        return eyni_error_set(err, EYNI_EFORMAT, "profile: text field too long or not UTF-8");
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        eyni_dna_genotype g = p->loci[l];
        if (!g.a && !g.b)
            continue;
        if (!g.a || g.a > g.b || !allele_valid(l, g.a) || !allele_valid(l, g.b) ||
            g.a == EYNI_DNA_ALLELE_DROPOUT)
            return eyni_error_set(err, EYNI_EFORMAT, "profile %s: %s: invalid genotype codes",
                                  p->id, eyni_dna_locus_name(l));
    }
    return 0;
}

/* ---- CSV ---------------------------------------------------------------------------- */

static dna_csv *csv_new(const char *buf, size_t len, const char *name, eyni_error *err)
{
    dna_csv *c = malloc(sizeof *c);
    if (!c) {
        eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    dna_csv_open(c, buf, len, name);
    return c;
}

/* A "locus" column value to an index, refusing unknown names. */
static int locus_of(dna_csv *c, int col, eyni_error *err)
{
    const char *s = dna_csv_field(c, col);
    int l = eyni_dna_locus_find(s);
    if (l < 0)
        eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: unknown locus '%.40s'", c->name, c->line, s);
    return l;
}

/* Header columns a long-layout row may fill besides its two alleles. */
static void mark_known(const dna_csv *c, unsigned char known[DNA_CSV_MAX_FIELDS])
{
    static const char *const names[] = {"id",    "kind",       "case_id", "scene",
                                        "locus", "population", "allele1", "allele2"};
    memset(known, 0, DNA_CSV_MAX_FIELDS);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        int i = dna_csv_column(c, names[k]);
        if (i >= 0)
            known[i] = 1;
    }
}

/* Alleles from columns a1, a2; any other non-empty cell is a third allele. */
static int set_row_alleles(dna_csv *c, eyni_dna_profile *p, int l, int a1, int a2,
                           const unsigned char *known, eyni_error *err)
{
    for (size_t i = 0; i < c->nfields; i++)
        if (!known[i] && *dna_csv_field(c, (int)i))
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "%s:%zu: three alleles at %s (a single-source profile has at "
                                  "most two)",
                                  c->name, c->line, eyni_dna_locus_name(l));
    if (eyni_dna_profile_set(p, l, dna_csv_field(c, a1), dna_csv_field(c, a2), err))
        return eyni_error_prefix(err, "%s:%zu: ", c->name, c->line);
    return 0;
}

static int empty_error(const char *name, eyni_error *err)
{
    return eyni_error_set(err, EYNI_EFORMAT, "%s: empty file (no header)", name);
}

int eyni_dna_profile_parse_csv(const char *buf, size_t len, const char *name, eyni_dna_profile *out,
                               eyni_error *err)
{
    int rc;
    eyni_dna_profile p;
    eyni_dna_profile_init(&p);
    dna_csv *c = csv_new(buf, len, name, err);
    if (!c)
        return EYNI_ENOMEM;
    if ((rc = dna_csv_next(c, err)) <= 0) {
        rc = rc < 0 ? rc : empty_error(c->name, err);
        goto fail;
    }
    int lc = dna_csv_column(c, "locus"), a1 = dna_csv_column(c, "allele1"),
        a2 = dna_csv_column(c, "allele2");
    if (lc < 0 || a1 < 0 || a2 < 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: header must be locus,allele1,allele2", c->name);
        goto fail;
    }
    unsigned char known[DNA_CSV_MAX_FIELDS];
    mark_known(c, known);
    while ((rc = dna_csv_next(c, err)) > 0) {
        int l = locus_of(c, lc, err);
        if (l < 0 || (rc = set_row_alleles(c, &p, l, a1, a2, known, err)) != 0) {
            rc = l < 0 ? EYNI_EFORMAT : rc;
            goto fail;
        }
    }
    if (rc < 0)
        goto fail;
    if (eyni_dna_profile_count(&p, EYNI_DNA_LOCI_ALL) == 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: profile has no typed locus", c->name);
        goto fail;
    }
    free(c);
    *out = p;
    return 0;
fail:
    free(c);
    return rc;
}

typedef struct profile_vec {
    eyni_dna_profile *v;
    size_t n, cap;
} profile_vec;

static eyni_dna_profile *vec_push(profile_vec *pv, const char *name, eyni_error *err)
{
    if (pv->n >= EYNI_DNA_MAX_PROFILES) {
        eyni_error_set(err, EYNI_ELIMIT, "%s: more than %u profiles", name, EYNI_DNA_MAX_PROFILES);
        return NULL;
    }
    if (pv->n == pv->cap) {
        size_t cap = pv->cap ? pv->cap * 2 : 64;
        eyni_dna_profile *v = realloc(pv->v, cap * sizeof *v);
        if (!v) {
            eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory for %zu profiles", name, cap);
            return NULL;
        }
        pv->v = v;
        pv->cap = cap;
    }
    eyni_dna_profile *p = &pv->v[pv->n++];
    eyni_dna_profile_init(p);
    return p;
}

/* Optional text column into a profile field. */
static int take_text(dna_csv *c, int col, char *dst, size_t cap, const char *what, eyni_error *err)
{
    if (col < 0)
        return 0;
    if (dna_copy_text(dst, cap, dna_csv_field(c, col), what, c->name, err))
        return eyni_error_prefix(err, "line %zu: ", c->line);
    return 0;
}

static int row_meta(dna_csv *c, eyni_dna_profile *p, int kind_col, int case_col, int scene_col,
                    int pop_col, eyni_error *err)
{
    if (kind_col >= 0 && dna_kind_parse(dna_csv_field(c, kind_col), &p->kind))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s:%zu: kind '%.20s' is neither reference nor forensic", c->name,
                              c->line, dna_csv_field(c, kind_col));
    if (take_text(c, case_col, p->case_id, sizeof p->case_id, "case id", err) ||
        take_text(c, scene_col, p->scene, sizeof p->scene, "scene", err) ||
        take_text(c, pop_col, p->population, sizeof p->population, "population", err))
        return err ? err->code : EYNI_EFORMAT;
    return 0;
}

/* Long layout: id,locus,allele1,allele2 rows, one id's rows together. */
static int parse_long(dna_csv *c, profile_vec *pv, eyni_error *err)
{
    int idc = dna_csv_column(c, "id"), lc = dna_csv_column(c, "locus"),
        a1 = dna_csv_column(c, "allele1"), a2 = dna_csv_column(c, "allele2");
    int kc = dna_csv_column(c, "kind"), cc = dna_csv_column(c, "case_id"),
        sc = dna_csv_column(c, "scene"), pc = dna_csv_column(c, "population");
    if (lc < 0 || a1 < 0 || a2 < 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: header needs [id,]locus,allele1,allele2",
                              c->name);
    int rc;
    unsigned char known[DNA_CSV_MAX_FIELDS];
    mark_known(c, known);
    eyni_dna_profile *cur = NULL;
    if (idc < 0 && !(cur = vec_push(pv, c->name, err))) /* one profile without id */
        return err ? err->code : EYNI_ENOMEM;
    while ((rc = dna_csv_next(c, err)) > 0) {
        const char *id = idc < 0 ? NULL : dna_csv_field(c, idc);
        if (id && !*id)
            return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: empty id", c->name, c->line);
        if (id && (!cur || strcmp(cur->id, id) != 0)) {
            if (!(cur = vec_push(pv, c->name, err)))
                return err ? err->code : EYNI_ENOMEM;
            if (dna_copy_text(cur->id, sizeof cur->id, id, "id", c->name, err) ||
                row_meta(c, cur, kc, cc, sc, pc, err))
                return err ? err->code : EYNI_EFORMAT;
        }
        int l = locus_of(c, lc, err);
        if (l < 0)
            return EYNI_EFORMAT;
        if ((rc = set_row_alleles(c, cur, l, a1, a2, known, err)) != 0)
            return rc;
    }
    if (rc == 0 && idc < 0 && eyni_dna_profile_count(cur, EYNI_DNA_LOCI_ALL) == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: profile has no typed locus", c->name);
    return rc;
}

/* Wide layout (NIST): Sample,Pop,<locus>,,<locus>,, ... one row per person. */
static int parse_wide(dna_csv *c, profile_vec *pv, int idc, eyni_error *err)
{
    int col_locus[DNA_CSV_MAX_FIELDS];
    int pc = dna_csv_column(c, "pop");
    if (pc < 0)
        pc = dna_csv_column(c, "population");
    int kc = dna_csv_column(c, "kind");
    size_t ncols = c->nfields;
    int seen = 0;
    for (size_t i = 0; i < ncols; i++) {
        const char *h = dna_csv_field(c, (int)i);
        col_locus[i] = -1;
        if ((int)i == idc || (int)i == pc || (int)i == kc || !*h)
            continue;
        int l = eyni_dna_locus_find(h);
        if (l < 0)
            return eyni_error_set(err, EYNI_EFORMAT, "%s:1: unknown locus '%.40s' in header",
                                  c->name, h);
        if (i + 1 >= ncols || *dna_csv_field(c, (int)i + 1))
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "%s:1: locus %s needs two columns (the second unheaded)", c->name,
                                  h);
        col_locus[i] = l;
        seen |= 1;
    }
    if (!seen)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: header names no locus", c->name);
    int rc;
    while ((rc = dna_csv_next(c, err)) > 0) {
        if (c->nfields > ncols)
            return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: %zu cells, header has %zu", c->name,
                                  c->line, c->nfields, ncols);
        eyni_dna_profile *p = vec_push(pv, c->name, err);
        if (!p)
            return err ? err->code : EYNI_ENOMEM;
        const char *id = dna_csv_field(c, idc);
        if (!*id)
            return eyni_error_set(err, EYNI_EFORMAT, "%s:%zu: empty id", c->name, c->line);
        if (dna_copy_text(p->id, sizeof p->id, id, "id", c->name, err) ||
            row_meta(c, p, kc, -1, -1, pc, err))
            return err ? err->code : EYNI_EFORMAT;
        for (size_t i = 0; i < ncols; i++) {
            if (col_locus[i] < 0)
                continue;
            if (eyni_dna_profile_set(p, col_locus[i], dna_csv_field(c, (int)i),
                                     dna_csv_field(c, (int)i + 1), err))
                return eyni_error_prefix(err, "%s:%zu: ", c->name, c->line);
        }
    }
    return rc;
}

int eyni_dna_profiles_parse_csv(const char *buf, size_t len, const char *name,
                                eyni_dna_profile **out, size_t *n, eyni_error *err)
{
    profile_vec pv = {0};
    int rc;
    dna_csv *c = csv_new(buf, len, name, err);
    if (!c)
        return EYNI_ENOMEM;
    if ((rc = dna_csv_next(c, err)) <= 0) {
        rc = rc < 0 ? rc : empty_error(c->name, err);
        goto fail;
    }
    int idc = dna_csv_column(c, "sample");
    if (dna_csv_column(c, "locus") >= 0)
        rc = parse_long(c, &pv, err);
    else
        rc = parse_wide(c, &pv, idc >= 0 ? idc : dna_csv_column(c, "id"), err);
    if (rc < 0)
        goto fail;
    if (pv.n == 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: no profiles", c->name);
        goto fail;
    }
    free(c);
    *out = pv.v;
    *n = pv.n;
    return 0;
fail:
    free(c);
    free(pv.v);
    return rc;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t nc = (*cap + n + 1) * 2;
        char *b = realloc(*buf, nc);
        if (!b)
            return -1;
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 0;
}

char *eyni_dna_profile_to_csv(const eyni_dna_profile *p)
{
    char *buf = NULL, line[64], x[EYNI_DNA_ALLELE_MAX_TEXT], y[EYNI_DNA_ALLELE_MAX_TEXT];
    size_t len = 0, cap = 0;
    if (append(&buf, &len, &cap, "locus,allele1,allele2\n"))
        goto fail;
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        if (!p->loci[l].a)
            continue;
        eyni_dna_allele_format(p->loci[l].a, x);
        eyni_dna_allele_format(p->loci[l].b, y);
        snprintf(line, sizeof line, "%s,%s,%s\n", eyni_dna_locus_name(l), x, y);
        if (append(&buf, &len, &cap, line))
            goto fail;
    }
    return buf;
fail:
    free(buf);
    return NULL;
}

/* ---- JSON --------------------------------------------------------------------------- */

/* A JSON allele may be a string or a number (9.3 -> "9.3"). */
static int json_allele_text(const json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v)) {
        if (json_string_length(v) >= cap)
            return -1;
        snprintf(buf, cap, "%s", json_string_value(v));
        return 0;
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > 999)
            return -1;
        snprintf(buf, cap, "%lld", (long long)i);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        /* One decimal at most: 9.35 is not an allele and must not round to one. */
        if (!(d >= 0 && d < 1000) || fabs(d * 10 - round(d * 10)) > 1e-6)
            return -1;
        snprintf(buf, cap, "%.1f", d);
        size_t n = strlen(buf);
        if (n > 2 && buf[n - 1] == '0' && buf[n - 2] == '.')
            buf[n - 2] = '\0';
        return 0;
    }
    return -1;
}

static int json_locus(eyni_dna_profile *p, const char *name, const char *key, const json_t *v,
                      eyni_error *err)
{
    int l = eyni_dna_locus_find(key);
    if (l < 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: unknown locus '%.40s'", name, key);
    if (json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return eyni_error_set(err, EYNI_EFORMAT, "%s: %s: alleles must be an array", name, key);
    size_t n = json_array_size(v);
    if (n > 2)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s: three alleles at %s (a single-source profile has at most two)",
                              name, eyni_dna_locus_name(l));
    char t[2][16] = {"", ""};
    for (size_t i = 0; i < n; i++)
        if (json_allele_text(json_array_get(v, i), t[i], sizeof t[i]))
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "%s: %s: impossible allele (not a string "
                                  "or repeat number)",
                                  name, eyni_dna_locus_name(l));
    if (eyni_dna_profile_set(p, l, t[0], t[1], err))
        return eyni_error_prefix(err, "%s: ", name);
    return 0;
}

static int json_text(const json_t *obj, const char *key, char *dst, size_t cap, const char *name,
                     eyni_error *err)
{
    const char *s;
    if (eyni_json_get_string(obj, key, cap - 1, &s, err))
        return eyni_error_prefix(err, "%s: ", name);
    if (s)
        memcpy(dst, s, strlen(s) + 1);
    return 0;
}

int eyni_dna_profile_from_json(const json_t *obj, const char *name, eyni_dna_profile *out,
                               eyni_error *err)
{
    static const char *const keys[] = {"kind",       "id",   "case_id", "scene",
                                       "population", "loci", NULL};
    eyni_dna_profile p;
    eyni_dna_profile_init(&p);
    if (!json_is_object(obj))
        return eyni_error_set(err, EYNI_EFORMAT, "%s: profile is not an object", name);
    if (eyni_json_check_keys(obj, keys, err))
        return eyni_error_prefix(err, "%s: ", name);
    char kind[16] = "";
    if (json_text(obj, "kind", kind, sizeof kind, name, err) ||
        json_text(obj, "id", p.id, sizeof p.id, name, err) ||
        json_text(obj, "case_id", p.case_id, sizeof p.case_id, name, err) ||
        json_text(obj, "scene", p.scene, sizeof p.scene, name, err) ||
        json_text(obj, "population", p.population, sizeof p.population, name, err))
        return err ? err->code : EYNI_EFORMAT;
    if (dna_kind_parse(kind, &p.kind))
        return eyni_error_set(err, EYNI_EFORMAT, "%s: kind '%s' is neither reference nor forensic",
                              name, kind);
    const json_t *loci = json_object_get(obj, "loci");
    if (!json_is_object(loci))
        return eyni_error_set(err, EYNI_EFORMAT, "%s: \"loci\" object missing", name);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)loci, key, v)
    {
        if (json_locus(&p, name, key, v, err))
            return err ? err->code : EYNI_EFORMAT;
    }
    if (eyni_dna_profile_count(&p, EYNI_DNA_LOCI_ALL) == 0)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: profile '%s' has no typed locus", name, p.id);
    *out = p;
    return 0;
}

json_t *eyni_dna_profile_to_json(const eyni_dna_profile *p)
{
    json_t *o = json_object(), *loci = json_object();
    char x[EYNI_DNA_ALLELE_MAX_TEXT], y[EYNI_DNA_ALLELE_MAX_TEXT];
    if (!o || !loci)
        goto fail;
    json_object_set_new(o, "kind", json_string(dna_kind_name(p->kind)));
    json_object_set_new(o, "id", json_string(p->id));
    if (p->case_id[0])
        json_object_set_new(o, "case_id", json_string(p->case_id));
    if (p->scene[0])
        json_object_set_new(o, "scene", json_string(p->scene));
    if (p->population[0])
        json_object_set_new(o, "population", json_string(p->population));
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        if (!p->loci[l].a)
            continue;
        eyni_dna_allele_format(p->loci[l].a, x);
        eyni_dna_allele_format(p->loci[l].b, y);
        json_object_set_new(loci, eyni_dna_locus_name(l), json_pack("[ss]", x, y));
    }
    json_object_set_new(o, "loci", loci);
    return o;
fail:
    json_decref(o);
    json_decref(loci);
    return NULL;
}

int eyni_dna_profiles_parse_json(const char *buf, size_t len, const char *name,
                                 eyni_dna_profile **out, size_t *n, eyni_error *err)
{
    json_t *root = NULL;
    profile_vec pv = {0};
    int rc = eyni_json_parse_object(buf, len, &root, err);
    if (rc) {
        eyni_error_prefix(err, "%s: ", name);
        return rc;
    }
    const json_t *arr = json_object_get(root, "profiles");
    if (arr && !json_is_array(arr)) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: \"profiles\" must be an array", name);
        goto fail;
    }
    size_t count = arr ? json_array_size(arr) : 1;
    if (arr && json_object_size(root) != 1) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: only \"profiles\" expected at top level", name);
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        eyni_dna_profile *p = vec_push(&pv, name, err);
        if (!p) {
            rc = err ? err->code : EYNI_ENOMEM;
            goto fail;
        }
        if ((rc = eyni_dna_profile_from_json(arr ? json_array_get(arr, i) : root, name, p, err)))
            goto fail;
    }
    if (pv.n == 0) {
        rc = eyni_error_set(err, EYNI_EFORMAT, "%s: no profiles", name);
        goto fail;
    }
    json_decref(root);
    *out = pv.v;
    *n = pv.n;
    return 0;
fail:
    json_decref(root);
    free(pv.v);
    return rc;
}

int eyni_dna_profiles_load(const char *path, eyni_dna_profile **out, size_t *n, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = eyni_file_read(path, EYNI_DNA_MAX_FILE, &buf, &len, err);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    if (i == len)
        rc = empty_error(path, err);
    else if (buf[i] == '{')
        rc = eyni_dna_profiles_parse_json((const char *)buf, len, path, out, n, err);
    else
        rc = eyni_dna_profiles_parse_csv((const char *)buf, len, path, out, n, err);
    free(buf);
    return rc;
}

/* ---- binary ------------------------------------------------------------------------- */

static int put_str(uint8_t *buf, size_t cap, size_t *pos, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n > max || *pos + 1 + n > cap)
        return -1;
    buf[(*pos)++] = (uint8_t)n;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return 0;
}

int eyni_dna_profile_encode(const eyni_dna_profile *p, uint8_t *buf, size_t cap, size_t *len,
                            eyni_error *err)
{
    size_t pos = 0;
    if (eyni_dna_profile_validate(p, err))
        return err ? err->code : EYNI_EFORMAT;
    if (cap < 6)
        goto small;
    memcpy(buf, "EDN1", 4);
    pos = 4;
    buf[pos++] = (uint8_t)p->kind;
    if (put_str(buf, cap, &pos, p->id, EYNI_DNA_MAX_ID) ||
        put_str(buf, cap, &pos, p->case_id, EYNI_DNA_MAX_ID) ||
        put_str(buf, cap, &pos, p->scene, EYNI_DNA_MAX_NOTE) ||
        put_str(buf, cap, &pos, p->population, EYNI_DNA_MAX_POP))
        goto small;
    int nl = eyni_dna_profile_count(p, EYNI_DNA_LOCI_ALL);
    if (pos + 1 + (size_t)nl * 5 > cap)
        goto small;
    buf[pos++] = (uint8_t)nl;
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        if (!p->loci[l].a)
            continue;
        buf[pos++] = (uint8_t)l;
        buf[pos++] = (uint8_t)(p->loci[l].a & 0xFF);
        buf[pos++] = (uint8_t)(p->loci[l].a >> 8);
        buf[pos++] = (uint8_t)(p->loci[l].b & 0xFF);
        buf[pos++] = (uint8_t)(p->loci[l].b >> 8);
    }
    *len = pos;
    return 0;
small:
    return eyni_error_set(err, EYNI_ELIMIT, "profile %s: buffer of %zu bytes too small", p->id,
                          cap);
}

static int get_str(const uint8_t *buf, size_t len, size_t *pos, char *dst, size_t max)
{
    if (*pos >= len)
        return -1;
    size_t n = buf[(*pos)++];
    if (n > max || *pos + n > len || memchr(buf + *pos, 0, n))
        return -1;
    memcpy(dst, buf + *pos, n);
    dst[n] = '\0';
    *pos += n;
    return 0;
}

int eyni_dna_profile_decode(const uint8_t *buf, size_t len, eyni_dna_profile *out, eyni_error *err)
{
    eyni_dna_profile p;
    eyni_dna_profile_init(&p);
    size_t pos = 5;
    if (len < 6 || memcmp(buf, "EDN1", 4) != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "DNA binary profile: bad magic or truncated");
    if (buf[4] > EYNI_DNA_FORENSIC)
        return eyni_error_set(err, EYNI_EFORMAT, "DNA binary profile: unknown kind %u", buf[4]);
    p.kind = (eyni_dna_kind)buf[4];
    if (get_str(buf, len, &pos, p.id, EYNI_DNA_MAX_ID) ||
        get_str(buf, len, &pos, p.case_id, EYNI_DNA_MAX_ID) ||
        get_str(buf, len, &pos, p.scene, EYNI_DNA_MAX_NOTE) ||
        get_str(buf, len, &pos, p.population, EYNI_DNA_MAX_POP) || pos >= len)
        return eyni_error_set(err, EYNI_EFORMAT, "DNA binary profile: truncated text field");
    size_t nl = buf[pos++];
    if (nl > EYNI_DNA_NLOCI || len - pos != nl * 5)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "DNA binary profile: %zu loci do not fit %zu remaining bytes", nl,
                              len - pos);
    for (size_t i = 0; i < nl; i++, pos += 5) {
        unsigned l = buf[pos];
        if (l >= EYNI_DNA_NLOCI || p.loci[l].a)
            return eyni_error_set(err, EYNI_EFORMAT, "DNA binary profile: bad or repeated locus %u",
                                  l);
        p.loci[l].a = (eyni_dna_allele)(buf[pos + 1] | buf[pos + 2] << 8);
        p.loci[l].b = (eyni_dna_allele)(buf[pos + 3] | buf[pos + 4] << 8);
        if (!p.loci[l].a)
            return eyni_error_set(err, EYNI_EFORMAT, "DNA binary profile: empty locus %u", l);
    }
    if (eyni_dna_profile_validate(&p, err))
        return err ? err->code : EYNI_EFORMAT;
    *out = p;
    return 0;
}
