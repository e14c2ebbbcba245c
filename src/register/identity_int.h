/* Module-private pieces of the identity service (identity*.c). */
#ifndef EYNI_IDENTITY_INT_H
#define EYNI_IDENTITY_INT_H

#include <pthread.h>

#include "eyni/face.h"
#include "eyni/finger.h"
#include "eyni/gallery.h"
#include "eyni/identity.h"
#include "eyni/onnx.h"
#include "eyni/voice.h"
#include "register_int.h"

#define ID_POSITIONS 11 /* finger galleries by ISO position 0..10 */
/* Key of the store section enrolments run in (one at a time across nodes). */
#define ID_ENROL_SECTION 0x656e726f6cLL /* "enrol" */
#define ID_SEARCH_K      64             /* gallery hits considered per probe */
#define ID_URL_MAX       256            /* a node's address */

/* Which person a gallery entry (a biometric row id) belongs to. Ids arrive in increasing
 * order from the change log, so the table stays sorted and is searched by bisection. */
typedef struct id_owner {
    int64_t biometric;
    char fin[EYNI_FIN_MAX + 1];
    char modality;
} id_owner;

/* A person's voice reference: every voice sample on record pooled into one set of
 * statistics (one recording of a spoken digit is too little to recognise a speaker by;
 * twenty are enough, see docs/voice.md). */
typedef struct id_voice {
    char fin[EYNI_FIN_MAX + 1];
    eyni_voice_ref *ref;
} id_voice;

struct eyni_identity {
    eyni_register *reg;
    eyni_identity_opts opts;
    eyni_onnx_env *env;
    eyni_face_engine *face;
    eyni_gallery *faces;
    eyni_finger_gallery *fingers[ID_POSITIONS];
    eyni_voice_model *voice; /* NULL: voice samples are refused with voice_why */
    eyni_voice_vad *vad;     /* silero-vad, or NULL for the built-in detector */
    char voice_why[512];
    id_voice *voices;
    size_t n_voices, cap_voices;
    size_t voice_unusable;                 /* stored voice samples the loaded model cannot read */
    char (*voice_stale)[EYNI_FIN_MAX + 1]; /* persons who lost a voice sample this sync */
    size_t n_stale, cap_stale;
    id_owner *owners;
    size_t n_owners, cap_owners;
    long long last_change;
    pthread_rwlock_t lock;  /* galleries and owners: many searches or one writer */
    pthread_mutex_t enrol;  /* one de-duplication + record at a time */
    struct id_watch *watch; /* watchlist galleries (watch_gallery.c) */
    int shards;             /* gallery shards; 0: not sharded */
    unsigned char held[EYNI_IDENTITY_MAX_SHARDS]; /* shards this node loads */
    struct id_node *node;                         /* this node's row in `nodes` and its heartbeat */
    int curl;                                     /* libcurl initialised for calls to peers */
};

/* A sample turned into a template, with its quality verdict. */
typedef struct id_probe {
    char modality[8];
    int position;
    float emb[EYNI_FACE_DIM];     /* face */
    eyni_finger_template *finger; /* finger */
    eyni_voice_audio *audio;      /* voice: the checked recording until pooled */
    eyni_voice_probe *voice;      /* voice: all of a request's recordings pooled, held
                                     by the first voice sample */
    unsigned char *tpl;           /* serialised template */
    size_t tlen;
    int quality;
    json_t *report; /* quality report for the caller */
} id_probe;

/* identity_probe.c */
int id_probes_make(eyni_identity *id, const eyni_sample_in *s, int n, id_probe **out,
                   eyni_error *err);
void id_probes_free(id_probe *p, int n);
/* The quality report of one sample, also when it fails its gate ("ok": false, "message"),
 * with a finger's minutiae as "points". Errors only for samples that cannot be read. */
int id_probe_report(eyni_identity *id, const eyni_sample_in *s, json_t **out, eyni_error *err);

/* identity_search.c: fused candidates (best first) for the probes. */
/* With sharding the other shards are searched by peers for the samples s: *not_searched
 * (NULL when not sharded) names the shards nobody could search. */
/* 0 when somebody holds fin (EYNI_ENOTFOUND before any search is spent otherwise). */
int id_person_known(eyni_identity *id, const char *fin, eyni_error *err);
int id_search(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *s, const id_probe *p,
              int n, json_t **candidates, json_t **not_searched, eyni_error *err);
/* The probes as register samples to store or seal: templates and images are borrowed from
 * p and s (free the array only); NULL when out of memory. */
reg_sample *id_reg_samples(const eyni_sample_in *s, const id_probe *p, int n);
/* Evidence (-log10 FMR) of one comparison score. */
double id_face_evidence(float score);
double id_finger_evidence(double score);
double id_voice_evidence(const eyni_voice_model *m, double score);

/* identity_voice.c */
int id_voice_open(eyni_identity *id, eyni_error *err);
void id_voice_close(eyni_identity *id);
/* Pools a stored voice sample into its owner's reference (change log replay). */
int id_voice_add(eyni_identity *id, const char *fin, const unsigned char *tpl, size_t tlen,
                 eyni_error *err);
/* A voice sample of fin was removed: its reference is dropped now and pooled again from
 * the samples still in force by id_voice_refresh, at the end of the sync. */
int id_voice_stale(eyni_identity *id, const char *fin, eyni_error *err);
int id_voice_refresh(eyni_identity *id, eyni_error *err);
/* Quality gate and template of one voice sample. */
int id_voice_probe(eyni_identity *id, const eyni_sample_in *s, id_probe *p, const char *name,
                   eyni_error *err);
/* Pools the request's voice recordings into one probe (on the first voice sample). */
int id_voice_pool(eyni_identity *id, id_probe *p, int n, eyni_error *err);
/* Best voice score per person for one probe: calls fn for the best ID_SEARCH_K. */
int id_voice_search(eyni_identity *id, const id_probe *p,
                    void (*fn)(const char *fin, double score, void *ctx), void *ctx,
                    eyni_error *err);

/* watch_gallery.c: galleries of watchlist biometrics, rebuilt from the store and searched
 * 1:N; *out lists the entries in force that the actor may see (caller decrefs). */
int id_watch_open(eyni_identity *id, eyni_error *err);
void id_watch_close(eyni_identity *id);
int id_watch_sync(eyni_identity *id, eyni_error *err);
size_t id_watch_size(eyni_identity *id);
int id_watch_search(eyni_identity *id, const eyni_actor *a, const float *face,
                    const id_probe *fingers, int nfingers, json_t **out, eyni_error *err);

/* identity_shard.c */
typedef struct id_peer {
    char url[ID_URL_MAX];
    unsigned char *held; /* [shards] */
    int failed;          /* did not answer this request */
} id_peer;
/* Checks the gallery.* options and, with shards > 1, the store and the node key. */
int id_shard_open(eyni_identity *id, eyni_error *err);
/* 1 when this node loads the samples of fin. */
int id_shard_mine(const eyni_identity *id, const char *fin);
void id_shards_text(const unsigned char *set, int shards, char *out, size_t cap);
/* The shards listed in missing (a JSON array of numbers) as id_shards_text writes them. */
void id_missing_text(const eyni_identity *id, const json_t *missing, char *out, size_t cap);
void id_node_leave(eyni_identity *id);
/* The other nodes of the `nodes` table with a heartbeat younger than node_ttl_ms. */
int id_peers_live(eyni_identity *id, id_peer **out, int *n, eyni_error *err);
void id_peers_free(id_peer *p, int n);
long long id_now_ms(void);

/* identity_fanout.c: searches the shards this node does not hold on the peers that hold
 * them; *hits lists their raw hits ({"fin", "face", "finger", "voice"}), *not_searched the
 * shards no live holder searched. */
int id_fanout(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *s, int n, json_t **hits,
              json_t **not_searched, eyni_error *err);

/* identity.c */
const char *id_owner_of(const eyni_identity *id, int64_t biometric);

#endif
