/* The register's DNA service: the frequency table, the in-memory DNA database that follows
 * the store's change log, and adding, removing and reading stored profiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnareg_int.h"

int eyni_dnareg_opts_from_config(const eyni_config *cfg, eyni_dnareg_opts *o, eyni_error *err)
{
    long long threads;
    int rc = eyni_config_get_int(cfg, "dna.threads", 2, 1, EYNI_DNA_MAX_THREADS, &threads, err);
    if (rc)
        return rc;
    o->threads = (int)threads;
    o->freq_path = eyni_config_get(cfg, "dna.freq", NULL);
    o->population = eyni_config_get(cfg, "dna.population", NULL);
    const char *t = eyni_config_get(cfg, "dna.theta", NULL);
    o->theta = EYNI_DNA_DEFAULT_THETA;
    if (t) {
        char *end;
        double v = strtod(t, &end);
        if (end == t || *end || !(v >= 0 && v < 0.5))
            return eyni_error_set(err, EYNI_EINVAL, "config dna.theta = '%.32s' is not in [0, 0.5)",
                                  t);
        o->theta = v;
    }
    return 0;
}

/* Applies one change of the store's log to the in-memory database (write lock held). */
static int apply_change(long long change, const char *op, const eyni_dna_profile *p, void *ctx,
                        eyni_error *err)
{
    eyni_dnareg *s = ctx;
    (void)change;
    if (strcmp(op, "add") == 0)
        return eyni_dna_db_add(s->db, p, err);
    if (strcmp(op, "remove") == 0)
        return eyni_dna_db_remove(s->db, p->kind, p->id, err);
    return eyni_error_set(err, EYNI_EINTERNAL, "unknown DNA change '%s'", op);
}

int eyni_dnareg_sync(eyni_dnareg *s, eyni_error *err)
{
    long long newest = 0;
    /* The cheap look first, so searches do not queue behind a write lock for nothing. */
    int rc = dreg_last_change(s->reg, &newest, err);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&s->lock);
    int behind = newest > s->last_change;
    pthread_rwlock_unlock(&s->lock);
    if (!behind)
        return 0;
    pthread_rwlock_wrlock(&s->lock);
    long long last = s->last_change;
    rc = dreg_changes_each(s->reg, s->last_change, apply_change, s, &last, err);
    s->last_change = last; /* what was applied stays applied, even when a later row failed */
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

static int load_freq(eyni_dnareg *s, eyni_error *err)
{
    if (!s->opts.freq_path)
        return 0;
    int rc = eyni_dna_freqset_load(s->opts.freq_path, 0, &s->freqs, err);
    if (rc == 0 && dreg_freq(s, NULL, 1, &s->freq, err))
        rc = eyni_error_prefix(err, "dna.population: ");
    return rc ? eyni_error_prefix(err, "dna.freq: ") : 0;
}

int eyni_dnareg_open(eyni_register *reg, const eyni_dnareg_opts *o, eyni_dnareg **out,
                     eyni_error *err)
{
    eyni_dnareg *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "DNA service: out of memory");
    s->reg = reg;
    if (o)
        s->opts = *o;
    if (s->opts.threads <= 0)
        s->opts.threads = 2;
    if (!(s->opts.theta > 0 && s->opts.theta < 0.5))
        s->opts.theta = EYNI_DNA_DEFAULT_THETA;
    pthread_rwlock_init(&s->lock, NULL);
    s->db = eyni_dna_db_new();
    int rc = s->db ? load_freq(s, err) : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0)
        rc = eyni_dnareg_sync(s, err);
    if (rc) {
        eyni_dnareg_close(s);
        return rc;
    }
    eyni_log_write(s->opts.log, EYNI_LOG_INFO, "dna",
                   "%zu reference and %zu forensic profiles loaded up to change %lld; %s",
                   eyni_dna_db_count(s->db, EYNI_DNA_REFERENCE),
                   eyni_dna_db_count(s->db, EYNI_DNA_FORENSIC), s->last_change,
                   s->freq ? "frequency table loaded" : "no frequency table (dna.freq)");
    *out = s;
    return 0;
}

void eyni_dnareg_close(eyni_dnareg *s)
{
    if (!s)
        return;
    eyni_dna_db_free(s->db);
    eyni_dna_freqset_free(s->freqs);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

json_t *eyni_dnareg_stats(eyni_dnareg *s)
{
    pthread_rwlock_rdlock(&s->lock);
    json_t *o = json_pack("{s:I, s:I, s:I}", "references",
                          (json_int_t)eyni_dna_db_count(s->db, EYNI_DNA_REFERENCE), "forensic",
                          (json_int_t)eyni_dna_db_count(s->db, EYNI_DNA_FORENSIC), "last_change",
                          (json_int_t)s->last_change);
    pthread_rwlock_unlock(&s->lock);
    return o;
}

int dreg_freq(const eyni_dnareg *s, const char *population, int required, const eyni_dna_freq **out,
              eyni_error *err)
{
    *out = NULL;
    if (!s->freqs)
        return required || population
                   ? eyni_error_set(err, EYNI_EINVAL,
                                    "no allele frequency table configured (dna.freq)")
                   : 0;
    int named = population != NULL;
    if (!population)
        population = s->opts.population;
    *out = eyni_dna_freqset_find(s->freqs, population ? population : "ALL");
    if (!*out && !population)
        *out = eyni_dna_freqset_at(s->freqs, 0);
    if (!*out)
        return eyni_error_set(err, EYNI_EINVAL, "no allele frequencies for %spopulation '%.32s'",
                              named ? "" : "the default ", population);
    return 0;
}

/* ---- adding ------------------------------------------------------------------------- */

/* Identifiers become URL segments, audit objects and associated data: letters, digits and
 * . _ - only (a case id may also hold '/'). */
static int text_id(const char *s, int slash)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > EYNI_DNA_MAX_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '.' || c == '_' || c == '-' || (slash && c == '/')))
            return 0;
    }
    return 1;
}

int dreg_id_valid(const char *s)
{
    return text_id(s, 0);
}

/* The profile object of a request; its own kind/id, when present, must agree. */
static int profile_of(const json_t *in, eyni_dna_kind kind, const char *id, eyni_dna_profile *p,
                      eyni_error *err)
{
    const json_t *j = json_object_get(in, "profile");
    if (!json_is_object(j))
        return eyni_error_set(err, EYNI_EFORMAT, "'profile' must be a profile object");
    int rc = eyni_dna_profile_from_json(j, "profile", p, err);
    if (rc)
        return rc;
    const char *jk = json_string_value(json_object_get(j, "kind"));
    if ((jk && strcmp(jk, dreg_kind_name(kind)) != 0) || (p->id[0] && strcmp(p->id, id) != 0))
        return eyni_error_set(err, EYNI_EFORMAT, "profile's kind/id disagree with the request");
    p->kind = kind;
    snprintf(p->id, sizeof p->id, "%s", id);
    return eyni_dna_profile_validate(p, err);
}

static int check_loci(const eyni_dna_profile *p, eyni_error *err)
{
    int typed = eyni_dna_profile_count(p, EYNI_DNA_LOCI_AUTOSOMAL);
    int need = p->kind == EYNI_DNA_REFERENCE ? EYNI_DNAREG_MIN_REFERENCE_LOCI
                                             : EYNI_DNAREG_MIN_FORENSIC_LOCI;
    if (typed < need)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "a %s profile needs at least %d typed autosomal "
                              "loci, this one has %d",
                              dreg_kind_name(p->kind), need, typed);
    for (int l = 0; p->kind == EYNI_DNA_REFERENCE && l < EYNI_DNA_NLOCI; l++)
        if (p->loci[l].b == EYNI_DNA_ALLELE_DROPOUT)
            return eyni_error_set(err, EYNI_EFORMAT,
                                  "a reference profile is fully typed: drop-out "
                                  "marker at %s",
                                  eyni_dna_locus_name(l));
    return 0;
}

/* Text fields of a forensic request into the profile; collected_on checked as a date. */
static int forensic_fields(const json_t *in, eyni_dna_profile *p, const char **collected,
                           eyni_error *err)
{
    const char *case_id = NULL, *scene = NULL;
    int rc = eyni_json_get_string(in, "case_id", EYNI_DNA_MAX_ID, &case_id, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "scene", EYNI_DNA_MAX_NOTE, &scene, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "collected_on", 10, collected, err);
    if (rc == 0 && !text_id(case_id, 1))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "case_id is required: 1..%d characters of "
                            "letters, digits, . _ - /",
                            EYNI_DNA_MAX_ID);
    if (rc == 0 && *collected && eyni_date_parse(*collected, NULL, NULL, NULL, err))
        rc = eyni_error_prefix(err, "collected_on: ");
    if (rc == 0 && *collected) {
        char today[32];
        eyni_time_now_iso(today);
        if (strncmp(*collected, today, 10) > 0)
            rc = eyni_error_set(err, EYNI_EFORMAT, "collected_on lies in the future");
    }
    if (rc == 0) {
        snprintf(p->case_id, sizeof p->case_id, "%s", case_id);
        snprintf(p->scene, sizeof p->scene, "%s", scene ? scene : "");
    }
    return rc;
}

static int parse_add(const json_t *in, eyni_dna_profile *p, const char **collected, eyni_error *err)
{
    static const char *const keys[] = {"kind",       "fin",     "sample_id",
                                       "case_id",    "scene",   "collected_on",
                                       "population", "profile", NULL};
    const char *kind_s = NULL, *id = NULL, *pop = NULL;
    eyni_dna_kind kind = EYNI_DNA_REFERENCE;
    *collected = NULL;
    int rc = json_is_object(in) ? eyni_json_check_keys(in, keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "request must be an object");
    if (rc == 0)
        rc = eyni_json_get_string(in, "kind", 16, &kind_s, err);
    if (rc == 0 && dreg_kind_parse(kind_s, &kind))
        rc = eyni_error_set(err, EYNI_EFORMAT, "kind must be reference or forensic");
    const char *idkey = kind == EYNI_DNA_REFERENCE ? "fin" : "sample_id";
    if (rc == 0)
        rc = eyni_json_get_string(in, idkey, EYNI_DNA_MAX_ID, &id, err);
    if (rc == 0 && !dreg_id_valid(id))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "%s is required: 1..%d characters of letters, "
                            "digits, . _ -",
                            idkey, EYNI_DNA_MAX_ID);
    if (rc == 0 && kind == EYNI_DNA_REFERENCE &&
        (json_object_get(in, "sample_id") || json_object_get(in, "case_id") ||
         json_object_get(in, "scene") || json_object_get(in, "collected_on")))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a reference profile has no sample or case fields");
    if (rc == 0 && kind == EYNI_DNA_FORENSIC && json_object_get(in, "fin"))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a forensic sample is not linked to a FIN");
    if (rc == 0)
        rc = eyni_json_get_string(in, "population", EYNI_DNA_MAX_POP, &pop, err);
    if (rc == 0)
        rc = profile_of(in, kind, id, p, err);
    if (rc == 0 && kind == EYNI_DNA_FORENSIC)
        rc = forensic_fields(in, p, collected, err);
    if (rc == 0 && pop)
        snprintf(p->population, sizeof p->population, "%s", pop);
    if (rc == 0)
        rc = check_loci(p, err);
    return rc;
}

int eyni_dnareg_add(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                    eyni_error *err)
{
    const char *kind_s = json_string_value(json_object_get(in, "kind"));
    eyni_dna_kind kind = EYNI_DNA_REFERENCE;
    if (dreg_kind_parse(kind_s, &kind))
        return eyni_error_set(err, EYNI_EFORMAT, "kind must be reference or forensic");
    int rc = reg_require(s->reg, a,
                         kind == EYNI_DNA_REFERENCE ? EYNI_OP_DNA_REFERENCE_ADD
                                                    : EYNI_OP_DNA_FORENSIC_ADD,
                         kind == EYNI_DNA_REFERENCE ? "dna/reference" : "dna/forensic", err);
    eyni_dna_profile p;
    const char *collected = NULL;
    long long row = 0;
    if (rc == 0)
        rc = parse_add(in, &p, &collected, err);
    if (rc == 0)
        rc = dreg_insert(s->reg, a, &p, collected, &row, err);
    /* The store is the truth; the in-memory database catches up before answering. */
    if (rc == 0)
        rc = eyni_dnareg_sync(s, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:i, s:I}", "kind", dreg_kind_name(p.kind), "id", p.id, "loci",
                         eyni_dna_profile_count(&p, EYNI_DNA_LOCI_AUTOSOMAL), "record",
                         (json_int_t)row);
    return rc;
}

int eyni_dnareg_check_reference(eyni_dnareg *s, const eyni_actor *a, const json_t *profile,
                                eyni_error *err)
{
    int rc = reg_require(s->reg, a, EYNI_OP_DNA_REFERENCE_ADD, "dna/reference", err);
    /* The FIN does not exist yet: a well-formed stand-in lets the profile be checked. */
    json_t *in = rc ? NULL
                    : json_pack("{s:s, s:s, s:O}", "kind", "reference", "fin", "ENROLMENT",
                                "profile", profile);
    eyni_dna_profile p;
    const char *collected = NULL;
    if (rc == 0)
        rc = in ? parse_add(in, &p, &collected, err)
                : eyni_error_set(err, EYNI_EFORMAT, "'dna' must be a profile object");
    json_decref(in);
    return rc;
}

void eyni_dnareg_add_enrolled(eyni_dnareg *s, const eyni_actor *a, const json_t *profile,
                              json_t *reply)
{
    const char *status = json_string_value(json_object_get(reply, "status"));
    const char *fin = json_string_value(json_object_get(reply, "fin"));
    json_t *res = NULL;
    if (!status || strcmp(status, "unique") != 0 || !fin) {
        /* No person was created: the reference waits for the adjudicated FIN. */
        res = json_pack("{s:b, s:s}", "stored", 0, "reason",
                        "no new person: add the reference for the FIN once it exists");
    } else {
        json_t *in =
            json_pack("{s:s, s:s, s:O}", "kind", "reference", "fin", fin, "profile", profile);
        json_t *added = NULL;
        eyni_error err;
        if (in && eyni_dnareg_add(s, a, in, &added, &err) == 0)
            res = json_pack("{s:b, s:O}", "stored", 1, "loci", json_object_get(added, "loci"));
        else
            res = json_pack("{s:b, s:s}", "stored", 0, "reason", in ? err.msg : "out of memory");
        json_decref(added);
        json_decref(in);
    }
    json_object_set_new(reply, "dna", res);
}

int eyni_dnareg_remove(eyni_dnareg *s, const eyni_actor *a, const char *kind_s, const char *id,
                       const char *reason, eyni_error *err)
{
    eyni_dna_kind kind;
    int rc = reg_require(s->reg, a, EYNI_OP_DNA_REMOVE, "dna", err);
    if (rc == 0 && (dreg_kind_parse(kind_s, &kind) || !dreg_id_valid(id)))
        rc = eyni_error_set(err, EYNI_EFORMAT,
                            "a profile is named by kind (reference or "
                            "forensic) and id");
    if (rc == 0 && (!reason || !reason[0] || strlen(reason) > EYNI_TEXT_MAX ||
                    !eyni_utf8_valid(reason, strlen(reason))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "removing a profile needs a reason (text)");
    if (rc == 0)
        rc = dreg_remove(s->reg, a, kind, id, reason, err);
    if (rc == 0)
        rc = eyni_dnareg_sync(s, err);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

int dreg_audit(eyni_dnareg *s, const eyni_actor *a, const char *action, const char *object,
               const char *detail, eyni_error *err)
{
    return eyni_register_audit_event(s->reg, a, action, object, "ok", detail, err);
}

int dreg_stored(eyni_dnareg *s, const json_t *ref, const char *name, dreg_row *row, eyni_error *err)
{
    eyni_dna_kind kind;
    const char *kind_s = json_string_value(json_object_get(ref, "kind"));
    const char *id = json_string_value(json_object_get(ref, "id"));
    if (!json_is_object(ref) || dreg_kind_parse(kind_s, &kind) || !dreg_id_valid(id))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "%s must be {\"kind\": reference|forensic, "
                              "\"id\": FIN or sample id}",
                              name);
    return dreg_load(s->reg, kind, id, row, err);
}

json_t *dreg_row_json(const dreg_row *r)
{
    json_t *o = eyni_dna_profile_to_json(&r->p);
    if (!o)
        return NULL;
    json_object_set_new(o, "record", json_integer(r->id));
    json_object_set_new(o, "loci_typed", json_integer(r->loci));
    json_object_set_new(o, "agency", json_string(r->agency));
    json_object_set_new(o, "created_at", json_string(r->created_at));
    json_object_set_new(o, "created_by", json_string(r->created_by));
    if (r->collected_on[0])
        json_object_set_new(o, "collected_on", json_string(r->collected_on));
    return o;
}

int eyni_dnareg_get(eyni_dnareg *s, const eyni_actor *a, const char *kind, const char *id,
                    json_t **out, eyni_error *err)
{
    char obj[EYNI_DNA_MAX_ID + 32];
    snprintf(obj, sizeof obj, "dna/%.16s/%.64s", kind ? kind : "", id ? id : "");
    int rc = reg_require(s->reg, a, EYNI_OP_DNA_READ, obj, err);
    json_t *ref = rc ? NULL : json_pack("{s:s?, s:s?}", "kind", kind, "id", id);
    dreg_row row;
    if (rc == 0)
        rc = dreg_stored(s, ref, "profile", &row, err);
    json_decref(ref);
    if (rc == 0)
        rc = dreg_audit(s, a, "dna.read", obj, NULL, err);
    if (rc == 0)
        *out = dreg_row_json(&row);
    if (rc == 0 && !*out)
        rc = eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    memset(&row, 0, sizeof row);
    return rc;
}
