/*
 * eyni/dnareg.h - the DNA service of the register: reference profiles of registered persons
 * (linked to a FIN) and forensic profiles of unknown samples (case id, crime scene, date
 * collected, submitting agency), sealed at rest with the data keyring, and an in-memory
 * eyni_dna_db that follows the store through an ordered change log.
 *
 * Every call takes the acting principal, checks its role (EYNI_OP_DNA_*) and stated
 * purpose, and is audited: adds, removals, reads and searches alike. Requests and replies
 * are JSON so that the HTTP API and the command line share one validation (docs/dna.md).
 */
#ifndef EYNI_DNAREG_H
#define EYNI_DNAREG_H

#include "eyni/base.h"
#include "eyni/dna.h"
#include "eyni/register.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eyni_dnareg eyni_dnareg;

typedef struct eyni_dnareg_opts {
    const char *freq_path;  /* frequency table CSV (several populations); NULL: no LR */
    const char *population; /* default population; NULL: "ALL" when present, else the first */
    double theta;           /* 0: EYNI_DNA_DEFAULT_THETA */
    int threads;            /* search workers; 0: 2 */
    eyni_log *log;          /* may be NULL */
} eyni_dnareg_opts;

/* Least typed autosomal loci of a stored profile. A reference sample is single-source and
 * fully typed (no drop-out marker); a crime-scene sample may be partial. */
#define EYNI_DNAREG_MIN_REFERENCE_LOCI 8
#define EYNI_DNAREG_MIN_FORENSIC_LOCI  6

/* Reads dna.freq, dna.population, dna.theta and dna.threads. */
int eyni_dnareg_opts_from_config(const eyni_config *cfg, eyni_dnareg_opts *o, eyni_error *err);
/* Loads the frequency table and rebuilds the in-memory database from the store (which
 * needs the data keyring). reg must outlive the service. */
int eyni_dnareg_open(eyni_register *reg, const eyni_dnareg_opts *o, eyni_dnareg **out,
                     eyni_error *err);
void eyni_dnareg_close(eyni_dnareg *s);
/* Applies changes other processes made to the store since the last call. Every operation
 * below does this first, so the in-memory database never lags the store it answers for. */
int eyni_dnareg_sync(eyni_dnareg *s, eyni_error *err);
/* {"references": n, "forensic": n, "last_change": id} */
json_t *eyni_dnareg_stats(eyni_dnareg *s);

/*
 * Adds a profile. in:
 *   reference: {"kind":"reference", "fin", "profile", "population"?}
 *   forensic:  {"kind":"forensic", "sample_id", "case_id", "scene"?, "collected_on"?
 *               (YYYY-MM-DD), "population"?, "profile"}
 * "profile" is a profile object as in eyni_dna_profile_from_json ({"loci": {...}}; its
 * kind/id, when given, must agree). EEXIST when the FIN or sample id already has an active
 * profile; ENOTFOUND for an unknown FIN; EFORMAT for a bad profile (nothing is stored).
 * *out: {"kind", "id", "loci", "record"}.
 */
int eyni_dnareg_add(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                    eyni_error *err);
/* For an enrolment that carries a DNA reference: checks the caller may add one and that the
 * profile would be accepted, before the person exists (stores and audits nothing but a
 * refusal of the role). The enrolment then adds it with eyni_dnareg_add for the new FIN. */
int eyni_dnareg_check_reference(eyni_dnareg *s, const eyni_actor *a, const json_t *profile,
                                eyni_error *err);
/* After the enrolment: stores the reference for reply's new FIN when its status is
 * "unique" and reports the outcome as reply["dna"] = {"stored", "loci" | "reason"} (the
 * enrolment stands either way; a refused store is reported, not raised). */
void eyni_dnareg_add_enrolled(eyni_dnareg *s, const eyni_actor *a, const json_t *profile,
                              json_t *reply);
/* Marks the active profile (kind, id) removed with a reason; it stays in the store. */
int eyni_dnareg_remove(eyni_dnareg *s, const eyni_actor *a, const char *kind, const char *id,
                       const char *reason, eyni_error *err);
/* The stored profile with its record (case, scene, collected_on, agency, created_*). */
int eyni_dnareg_get(eyni_dnareg *s, const eyni_actor *a, const char *kind, const char *id,
                    json_t **out, eyni_error *err);

/*
 * Stringency search. in: {"profile": {...}} or {"sample_id": stored forensic sample} or
 * {"fin": stored reference}; "stringency" (high|moderate|low, default moderate),
 * "min_loci" (default 8), "targets" (reference|forensic|both, default both), "max"
 * (1..1000, default 100), "population". The probe never matches itself.
 * *out: {"probe", "stringency", "population", "hits": [{"kind","id","case_id"?,
 * "loci_compared","loci_mismatched","lr","log10_lr"}]}.
 */
int eyni_dnareg_search(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                       eyni_error *err);
/* Familial search: the probe as above; "relation" (parent|sibling|half-sibling, default
 * parent), "top" (1..1000, default 20), "min_loci", "population"; ranks reference profiles. */
int eyni_dnareg_familial(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                         eyni_error *err);
/* Kinship between two stored profiles. in: {"a": {"kind","id"}, "b": {"kind","id"},
 * "relation" (parent|sibling|half-sibling|all, default all), "population"}. */
int eyni_dnareg_kinship(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                        eyni_error *err);
/* Random match probability of a stored profile. in: {"kind", "id", "formula" ("4.1" or
 * "4.10"), "theta", "population"}. */
int eyni_dnareg_rmp(eyni_dnareg *s, const eyni_actor *a, const json_t *in, json_t **out,
                    eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
