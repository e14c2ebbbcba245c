/* Module-private pieces of the register's DNA service (dna_store.c, dnareg.c). */
#ifndef EYNI_DNAREG_INT_H
#define EYNI_DNAREG_INT_H

#include <pthread.h>

#include "eyni/dnareg.h"
#include "register_int.h"

struct eyni_dnareg {
    eyni_register *reg;
    eyni_dnareg_opts opts;
    eyni_dna_freqset *freqs;   /* NULL when dna.freq is not set */
    const eyni_dna_freq *freq; /* the default population of freqs */
    eyni_dna_db *db;           /* active profiles, as of last_change */
    long long last_change;
    pthread_rwlock_t lock; /* db and last_change: many searches or one writer */
};

/* One stored profile with the facts kept beside it. */
typedef struct dreg_row {
    long long id;
    eyni_dna_profile p; /* kind, id (FIN or sample id), case_id, scene, population, alleles */
    char collected_on[16];
    char agency[40];
    char created_at[32];
    char created_by[48];
    int loci;
} dreg_row;

/* The name of a kind in the store and the API ("reference"/"forensic"). */
const char *dreg_kind_name(eyni_dna_kind k);
/* -1 when s is neither. */
int dreg_kind_parse(const char *s, eyni_dna_kind *k);

/* One write transaction: checks the FIN (reference) or the free sample id, seals the
 * profile, inserts it with its change-log entry and the audit line. */
int dreg_insert(eyni_register *reg, const eyni_actor *a, const eyni_dna_profile *p,
                const char *collected_on, long long *id, eyni_error *err);
/* Marks the active profile removed (change log and audit in the same transaction). */
int dreg_remove(eyni_register *reg, const eyni_actor *a, eyni_dna_kind kind, const char *id,
                const char *reason, eyni_error *err);
/* The active profile (kind, id), opened; ENOTFOUND when there is none. */
int dreg_load(eyni_register *reg, eyni_dna_kind kind, const char *id, dreg_row *out,
              eyni_error *err);
/* Newest change id (0 for none). */
int dreg_last_change(eyni_register *reg, long long *last, eyni_error *err);
/* Replays the change log after `after` in order: op "add" or "remove" with the profile
 * (opened; valid during the call only). *last gets the newest change applied. */
typedef int (*dreg_change_fn)(long long change, const char *op, const eyni_dna_profile *p,
                              void *ctx, eyni_error *err);
int dreg_changes_each(eyni_register *reg, long long after, dreg_change_fn fn, void *ctx,
                      long long *last, eyni_error *err);

/* dnareg.c */
/* The table of population (NULL: the default); EINVAL when it is absent, or when none is
 * configured and one is required or named (else *out is NULL and the answer has no LR). */
int dreg_freq(const eyni_dnareg *s, const char *population, int required, const eyni_dna_freq **out,
              eyni_error *err);
/* 1 for a FIN or sample id: 1..EYNI_DNA_MAX_ID of letters, digits, . _ - */
int dreg_id_valid(const char *s);
/* Audits a successful read or search (its own transaction). */
int dreg_audit(eyni_dnareg *s, const eyni_actor *a, const char *action, const char *object,
               const char *detail, eyni_error *err);
/* The stored profile named by ref {"kind","id"}; name labels errors. */
int dreg_stored(eyni_dnareg *s, const json_t *ref, const char *name, dreg_row *row,
                eyni_error *err);
json_t *dreg_row_json(const dreg_row *r);

#endif
