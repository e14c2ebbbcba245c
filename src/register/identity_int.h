/* Module-private pieces of the identity service (identity*.c). */
#ifndef EYNI_IDENTITY_INT_H
#define EYNI_IDENTITY_INT_H

#include <pthread.h>

#include "eyni/face.h"
#include "eyni/finger.h"
#include "eyni/gallery.h"
#include "eyni/identity.h"
#include "eyni/onnx.h"
#include "register_int.h"

#define ID_POSITIONS 11 /* finger galleries by ISO position 0..10 */
/* Key of the store section enrolments run in (one at a time across nodes). */
#define ID_ENROL_SECTION 0x656e726f6cLL /* "enrol" */
#define ID_SEARCH_K 64  /* gallery hits considered per probe */

/* Which person a gallery entry (a biometric row id) belongs to. Ids arrive in increasing
 * order from the change log, so the table stays sorted and is searched by bisection. */
typedef struct id_owner {
    int64_t biometric;
    char fin[EYNI_FIN_MAX + 1];
    char modality;
} id_owner;

struct eyni_identity {
    eyni_register *reg;
    eyni_identity_opts opts;
    eyni_onnx_env *env;
    eyni_face_engine *face;
    eyni_gallery *faces;
    eyni_finger_gallery *fingers[ID_POSITIONS];
    id_owner *owners;
    size_t n_owners, cap_owners;
    long long last_change;
    pthread_rwlock_t lock;  /* galleries and owners: many searches or one writer */
    pthread_mutex_t enrol;  /* one de-duplication + record at a time */
};

/* A sample turned into a template, with its quality verdict. */
typedef struct id_probe {
    char modality[8];
    int position;
    float emb[EYNI_FACE_DIM];          /* face */
    eyni_finger_template *finger;      /* finger */
    unsigned char *tpl;                /* serialised template */
    size_t tlen;
    int quality;
    json_t *report;                    /* quality report for the caller */
} id_probe;

/* identity_probe.c */
int id_probes_make(eyni_identity *id, const eyni_sample_in *s, int n, id_probe **out,
                   eyni_error *err);
void id_probes_free(id_probe *p, int n);

/* identity_search.c: fused candidates (best first) for the probes. */
int id_search(eyni_identity *id, const id_probe *p, int n, json_t **candidates,
              eyni_error *err);
/* Evidence (-log10 FMR) of one comparison score. */
double id_face_evidence(float score);
double id_finger_evidence(double score);

/* identity.c */
const char *id_owner_of(const eyni_identity *id, int64_t biometric);

#endif
