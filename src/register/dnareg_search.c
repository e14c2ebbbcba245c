/* Searches of the register's DNA service: stringency and familial search over the
 * in-memory database, kinship and match statistics of stored profiles. All audited. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnareg_int.h"

/* A probe: a profile given in the request, or a stored one by sample_id / fin. */
typedef struct probe {
    eyni_dna_profile p;
    char object[EYNI_DNA_MAX_ID + 32]; /* audit object */
    int stored;
} probe;

static int probe_of(eyni_dnareg *s, const json_t *in, probe *pr, eyni_error *err)
{
    const json_t *prof = json_object_get(in, "profile");
    const char *sample = json_string_value(json_object_get(in, "sample_id"));
    const char *fin = json_string_value(json_object_get(in, "fin"));
    if ((prof != NULL) + (json_object_get(in, "sample_id") != NULL) +
            (json_object_get(in, "fin") != NULL) !=
        1)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "give exactly one probe: 'profile', "
                              "'sample_id' (stored sample) or 'fin' (stored reference)");
    memset(pr, 0, sizeof *pr);
    if (prof) {
        int rc = eyni_dna_profile_from_json(prof, "profile", &pr->p, err);
        if (rc == 0)
            rc = eyni_dna_profile_validate(&pr->p, err);
        pr->p.kind = EYNI_DNA_FORENSIC;
        if (rc == 0 && !pr->p.id[0])
            snprintf(pr->p.id, sizeof pr->p.id, "probe");
        snprintf(pr->object, sizeof pr->object, "dna/probe");
        return rc;
    }
    json_t *ref = json_pack("{s:s, s:s?}", "kind", sample ? "forensic" : "reference", "id",
                            sample ? sample : fin);
    dreg_row row;
    int rc = ref ? dreg_stored(s, ref, sample ? "sample_id" : "fin", &row, err)
                 : eyni_error_set(err, EYNI_EFORMAT, "sample_id / fin must be text");
    json_decref(ref);
    if (rc == 0) {
        pr->p = row.p;
        pr->stored = 1;
        snprintf(pr->object, sizeof pr->object, "dna/%s/%s", dreg_kind_name(row.p.kind), row.p.id);
    }
    memset(&row, 0, sizeof row);
    return rc;
}

static int int_field(const json_t *in, const char *key, long long def, long long lo, long long hi,
                     long long *out, eyni_error *err)
{
    const json_t *v = json_object_get(in, key);
    *out = def;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return eyni_error_set(err, EYNI_EFORMAT, "'%s' must be an integer %lld..%lld", key, lo, hi);
    *out = json_integer_value(v);
    return 0;
}

static int choice(const json_t *in, const char *key, const char *const *names, int def, int *out,
                  eyni_error *err)
{
    const json_t *v = json_object_get(in, key);
    *out = def;
    if (!v)
        return 0;
    for (int i = 0; names[i] && json_is_string(v); i++)
        if (strcmp(json_string_value(v), names[i]) == 0) {
            *out = i;
            return 0;
        }
    return eyni_error_set(err, EYNI_EFORMAT, "'%s' is not one of the accepted values", key);
}

static const char *const stringencies[] = {"high", "moderate", "low", NULL};
static const char *const target_names[] = {"reference", "forensic", "both", NULL};
static const char *const relations[] = {"parent", "sibling", "half-sibling", "all", NULL};

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Hits as JSON, leaving out the probe itself; forensic hits name their case. Read lock
 * held by the caller (the case comes from the database). */
static json_t *hits_json(const eyni_dnareg *s, const probe *pr, const eyni_dna_hit *h, size_t n,
                         int have_lr, size_t *shown)
{
    json_t *arr = json_array();
    *shown = 0;
    for (size_t i = 0; arr && i < n; i++) {
        if (pr->stored && h[i].kind == pr->p.kind && strcmp(h[i].id, pr->p.id) == 0)
            continue;
        json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:o, s:o}", "kind", dreg_kind_name(h[i].kind),
                              "id", h[i].id, "loci_compared", h[i].loci_compared, "loci_mismatched",
                              h[i].loci_mismatched, "lr", have_lr ? num(h[i].lr) : json_null(),
                              "log10_lr", have_lr ? num(h[i].log10_lr) : json_null());
        eyni_dna_profile c;
        eyni_error ignore;
        if (h[i].kind == EYNI_DNA_FORENSIC &&
            eyni_dna_db_get(s->db, h[i].kind, h[i].id, &c, &ignore) == 0)
            json_object_set_new(o, "case_id", json_string(c.case_id));
        json_array_append_new(arr, o);
        (*shown)++;
    }
    return arr;
}

typedef struct search_req {
    probe pr;
    const eyni_dna_freq *freq;
    int mode; /* stringency, or relation for familial */
    int targets;
    long long min_loci, max;
} search_req;

static int parse_search(eyni_dnareg *s, const json_t *in, int familial, search_req *q,
                        eyni_error *err)
{
    static const char *const keys[] = {"profile",  "sample_id", "fin", "stringency",
                                       "min_loci", "targets",   "max", "population",
                                       "relation", "top",       NULL};
    const char *pop = NULL;
    int rc = json_is_object(in) ? eyni_json_check_keys(in, keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "request must be an object");
    if (rc == 0 && familial && (json_object_get(in, "stringency") || json_object_get(in, "max")))
        rc = eyni_error_set(err, EYNI_EFORMAT, "familial search takes 'relation' and 'top'");
    if (rc == 0 && !familial && (json_object_get(in, "relation") || json_object_get(in, "top")))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'relation' and 'top' belong to familial search");
    if (rc == 0)
        rc = familial ? choice(in, "relation", relations, 0, &q->mode, err)
                      : choice(in, "stringency", stringencies, 1, &q->mode, err);
    if (rc == 0 && familial && q->mode == 3)
        rc = eyni_error_set(err, EYNI_EFORMAT, "relation must be parent, sibling or half-sibling");
    if (rc == 0)
        rc = choice(in, "targets", target_names, familial ? 0 : 2, &q->targets, err);
    if (rc == 0)
        rc = int_field(in, "min_loci", 8, 1, EYNI_DNA_LOCUS_AMEL, &q->min_loci, err);
    if (rc == 0)
        rc = int_field(in, familial ? "top" : "max", familial ? 20 : 100, 1, 1000, &q->max, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "population", EYNI_DNA_MAX_POP, &pop, err);
    if (rc == 0)
        rc = dreg_freq(s, pop, familial, &q->freq, err);
    if (rc == 0)
        rc = probe_of(s, in, &q->pr, err);
    return rc;
}

static unsigned target_bits(int t)
{
    return t == 2 ? 3u : 1u << (t == 1 ? EYNI_DNA_FORENSIC : EYNI_DNA_REFERENCE);
}

/* Runs the search under the read lock and builds the reply. */
static int run(eyni_dnareg *s, search_req *q, int familial, json_t **out, size_t *shown,
               eyni_error *err)
{
    eyni_dna_hit *hits = NULL;
    size_t n = 0;
    /* Room for the probe itself, which is dropped from the answer. */
    size_t want = (size_t)q->max + (q->pr.stored ? 1 : 0);
    pthread_rwlock_rdlock(&s->lock);
    int rc;
    if (familial) {
        eyni_dna_familial_opts o;
        eyni_dna_familial_opts_init(&o);
        o.relation = (eyni_dna_relation)q->mode;
        o.targets = target_bits(q->targets);
        o.min_loci = (int)q->min_loci;
        o.top = want;
        o.threads = s->opts.threads;
        o.freq = q->freq;
        o.loci = EYNI_DNA_LOCI_AUTOSOMAL;
        rc = eyni_dna_db_familial(s->db, &q->pr.p, &o, &hits, &n, err);
    } else {
        eyni_dna_search_opts o;
        eyni_dna_search_opts_init(&o);
        o.stringency = (eyni_dna_stringency)q->mode;
        o.targets = target_bits(q->targets);
        o.min_loci = (int)q->min_loci;
        o.max_results = want;
        o.threads = s->opts.threads;
        o.freq = q->freq;
        o.theta = s->opts.theta;
        o.loci = EYNI_DNA_LOCI_AUTOSOMAL;
        rc = eyni_dna_db_search(s->db, &q->pr.p, &o, &hits, &n, err);
    }
    json_t *arr = rc == 0 ? hits_json(s, &q->pr, hits, n, q->freq != NULL, shown) : NULL;
    size_t total =
        eyni_dna_db_count(s->db, EYNI_DNA_REFERENCE) + eyni_dna_db_count(s->db, EYNI_DNA_FORENSIC);
    pthread_rwlock_unlock(&s->lock);
    free(hits);
    if (rc)
        return rc;
    /* The probe was asked for one extra row; never answer more than max. */
    while (json_array_size(arr) > (size_t)q->max)
        json_array_remove(arr, json_array_size(arr) - 1);
    *shown = json_array_size(arr);
    *out = json_pack("{s:s, s:s, s:s?, s:I, s:o}", "probe", q->pr.object + 4,
                     familial ? "relation" : "stringency",
                     familial ? relations[q->mode] : stringencies[q->mode], "population",
                     q->freq ? eyni_dna_freq_population(q->freq) : NULL, "database",
                     (json_int_t)total, "hits", arr);
    return *out ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
}

static int search_common(eyni_dnareg *s, const eyni_actor *a, const json_t *in, int familial,
                         json_t **out, eyni_error *err)
{
    search_req q;
    memset(&q, 0, sizeof q);
    int rc = reg_require(s->reg, a, EYNI_OP_DNA_SEARCH, "dna", err);
    if (rc == 0)
        rc = eyni_dnareg_sync(s, err);
    if (rc == 0)
        rc = parse_search(s, in, familial, &q, err);
    size_t shown = 0;
    json_t *reply = NULL;
    if (rc == 0)
        rc = run(s, &q, familial, &reply, &shown, err);
    char detail[128];
    snprintf(detail, sizeof detail, "%s=%s min_loci=%lld hits=%zu",
             familial ? "familial" : "stringency",
             familial ? relations[q.mode] : stringencies[q.mode], q.min_loci, shown);
    /* Nothing leaves unless the search is on record. */
    if (rc == 0)
        rc = dreg_audit(s, a, familial ? "dna.familial" : "dna.search", q.pr.object, detail, err);
    if (rc == 0)
        *out = reply;
    else
        json_decref(reply);
    memset(&q, 0, sizeof q);
    return rc;
}

int eyni_dnareg_search(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                       eyni_error *err)
{
    return search_common(s, a, in, 0, out, err);
}

int eyni_dnareg_familial(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                         eyni_error *err)
{
    return search_common(s, a, in, 1, out, err);
}

/* ---- kinship and match statistics ----------------------------------------------------- */

static json_t *genotype_json(eyni_dna_genotype g)
{
    char x[EYNI_DNA_ALLELE_MAX_TEXT], y[EYNI_DNA_ALLELE_MAX_TEXT];
    eyni_dna_allele_format(g.a, x);
    eyni_dna_allele_format(g.b, y);
    return json_pack("[ss]", x, y);
}

static json_t *stat_json(const eyni_dna_stat *st, const char *value_name)
{
    json_t *loci = json_object();
    for (int i = 0; i < st->nloci; i++) {
        const eyni_dna_locus_stat *l = &st->loci[i];
        json_object_set_new(loci, eyni_dna_locus_name(l->locus),
                            json_pack("{s:o, s:f, s:f, s:o}", "genotype",
                                      genotype_json(l->genotype), "p", l->p, "q", l->q, value_name,
                                      num(l->value)));
    }
    return json_pack("{s:o, s:o, s:i, s:o}", value_name, num(st->value), "log10", num(st->log10),
                     "nloci", st->nloci, "loci", loci);
}

int eyni_dnareg_kinship(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                        eyni_error *err)
{
    static const char *const keys[] = {"a", "b", "relation", "population", NULL};
    const char *pop = NULL;
    const eyni_dna_freq *f = NULL;
    int rel = 3;
    dreg_row x, y;
    int rc = reg_require(s->reg, a, EYNI_OP_DNA_SEARCH, "dna/kinship", err);
    if (rc == 0)
        rc = json_is_object(in) ? eyni_json_check_keys(in, keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "request must be an object");
    if (rc == 0)
        rc = choice(in, "relation", relations, 3, &rel, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "population", EYNI_DNA_MAX_POP, &pop, err);
    if (rc == 0)
        rc = dreg_freq(s, pop, 1, &f, err);
    if (rc == 0)
        rc = dreg_stored(s, json_object_get(in, "a"), "a", &x, err);
    if (rc == 0)
        rc = dreg_stored(s, json_object_get(in, "b"), "b", &y, err);
    json_t *res = rc == 0 ? json_object() : NULL;
    for (int r = 0; rc == 0 && r < 3; r++) {
        if (rel != 3 && rel != r)
            continue;
        eyni_dna_stat st;
        rc = eyni_dna_kinship(f, &x.p, &y.p, EYNI_DNA_LOCI_AUTOSOMAL, (eyni_dna_relation)r, &st,
                              err);
        if (rc == 0)
            json_object_set_new(res, eyni_dna_relation_name((eyni_dna_relation)r),
                                stat_json(&st, "index"));
    }
    char obj[2 * EYNI_DNA_MAX_ID + 64];
    if (rc == 0)
        snprintf(obj, sizeof obj, "dna/%s/%s", dreg_kind_name(x.p.kind), x.p.id);
    char detail[EYNI_DNA_MAX_ID + 48];
    if (rc == 0)
        snprintf(detail, sizeof detail, "with %s/%s", dreg_kind_name(y.p.kind), y.p.id);
    if (rc == 0)
        rc = dreg_audit(s, a, "dna.kinship", obj, detail, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "a_kind", dreg_kind_name(x.p.kind), "a",
                         x.p.id, "b_kind", dreg_kind_name(y.p.kind), "b", y.p.id, "population",
                         eyni_dna_freq_population(f), "relations", res);
    else
        json_decref(res);
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    return rc;
}

static int rmp_params(const json_t *in, eyni_dna_formula *formula, double *theta, double def,
                      eyni_error *err)
{
    const json_t *fj = json_object_get(in, "formula"), *tj = json_object_get(in, "theta");
    *formula = EYNI_DNA_NRC_4_10;
    *theta = def;
    const char *fs = json_string_value(fj);
    if (fj && (!fs || (strcmp(fs, "4.1") && strcmp(fs, "4.10"))))
        return eyni_error_set(err, EYNI_EFORMAT, "formula must be \"4.1\" or \"4.10\"");
    if (fs && strcmp(fs, "4.1") == 0)
        *formula = EYNI_DNA_NRC_4_1;
    if (tj &&
        (!json_is_number(tj) || !(json_number_value(tj) >= 0) || json_number_value(tj) >= 0.5))
        return eyni_error_set(err, EYNI_EFORMAT, "theta must be a number in [0, 0.5)");
    if (tj)
        *theta = json_number_value(tj);
    return 0;
}

int eyni_dnareg_rmp(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                    eyni_error *err)
{
    static const char *const keys[] = {"kind", "id", "formula", "theta", "population", NULL};
    const char *pop = NULL;
    const eyni_dna_freq *f = NULL;
    eyni_dna_formula formula;
    double theta;
    dreg_row x;
    eyni_dna_stat st;
    int rc = reg_require(s->reg, a, EYNI_OP_DNA_SEARCH, "dna/rmp", err);
    if (rc == 0)
        rc = json_is_object(in) ? eyni_json_check_keys(in, keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "request must be an object");
    if (rc == 0)
        rc = rmp_params(in, &formula, &theta, s->opts.theta, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "population", EYNI_DNA_MAX_POP, &pop, err);
    if (rc == 0)
        rc = dreg_freq(s, pop, 1, &f, err);
    if (rc == 0)
        rc = dreg_stored(s, in, "profile", &x, err);
    if (rc == 0)
        rc = eyni_dna_rmp(f, &x.p, EYNI_DNA_LOCI_AUTOSOMAL, formula, theta, &st, err);
    char obj[EYNI_DNA_MAX_ID + 32];
    if (rc == 0)
        snprintf(obj, sizeof obj, "dna/%s/%s", dreg_kind_name(x.p.kind), x.p.id);
    if (rc == 0)
        rc = dreg_audit(s, a, "dna.rmp", obj, NULL, err);
    if (rc == 0) {
        *out = stat_json(&st, "rmp");
        json_object_set_new(*out, "lr", st.value > 0 ? num(1 / st.value) : json_null());
        json_object_set_new(*out, "formula",
                            json_string(formula == EYNI_DNA_NRC_4_1 ? "4.1" : "4.10"));
        json_object_set_new(*out, "theta", json_real(theta));
        json_object_set_new(*out, "population", json_string(eyni_dna_freq_population(f)));
        json_object_set_new(*out, "kind", json_string(dreg_kind_name(x.p.kind)));
        json_object_set_new(*out, "id", json_string(x.p.id));
    }
    memset(&x, 0, sizeof x);
    return rc;
}
