/*
 * eyni/identity.h - the national biometric identification service: multimodal enrolment
 * with FIN uniqueness (de-duplication), 1:1 verification and 1:N identification.
 *
 * An eyni_identity joins the register (persons, sealed samples, cases) with the engines
 * (face, fingerprint) and their in-memory galleries. Galleries are built by replaying the
 * register's change log and follow it after every enrolment, re-capture and erasure (the
 * log's "add" and "remove" changes), so they match the store exactly, also after a
 * crash. All calls are thread-safe; enrolments are serialised so two
 * applications of one person can never both come out unique.
 *
 * Scores from different modalities are put on one scale before fusion: each comparison
 * score becomes the false-match rate it corresponds to on the engine's measured impostor
 * distribution, and its evidence is -log10(FMR) (floored at 1e-6: 6 units at most per
 * comparison). Fused evidence is the sum over modalities and fingers - the product rule
 * for independent comparisons - so 8 units mean "as unlikely by chance as 1 in 10^8".
 */
#ifndef EYNI_IDENTITY_H
#define EYNI_IDENTITY_H

#include "eyni/base.h"
#include "eyni/finger.h"
#include "eyni/register.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_IDENTITY_MAX_SAMPLES      48 /* samples in one request (voice: several recordings) */
#define EYNI_IDENTITY_MAX_SAMPLE_BYTES (8 * 1024 * 1024)
#define EYNI_IDENTITY_EVIDENCE_MAX     6.0 /* evidence of one comparison, -log10(1e-6) */

typedef struct eyni_identity eyni_identity;

typedef struct eyni_identity_opts {
    const char *model_dir;   /* NULL: $EYNI_MODEL_DIR or the cache */
    const char *voice_model; /* speaker model file (eyni voice train); NULL or missing: voice
                                samples are refused (EMODEL) and face/finger work as before */
    const char *voice_vad;   /* "energy" (NULL) or "silero": the voice activity detector; use
                                the one the speaker model was trained with */
    int threads;             /* search threads; 0 = 2 */
    double duplicate_at;     /* fused evidence from which an applicant is a duplicate; 0 = 9 */
    double possible_at;      /* from which a case is opened for an adjudicator; 0 = 5.5 */
    double verify_fmr;       /* false-match rate a verification is decided at; 0 = 1e-4 */
    int finger_min_quality;  /* fingerprint quality gate 0..100; 0 = 20 */
    const char *csca_cert;   /* trusted CSCA for passive authentication at checkpoints */
    eyni_log *log;
    /* Gallery sharding (PostgreSQL only; docs/operations.md): shards > 1 splits the
     * galleries into that many shards by eyni_identity_shard_of; this node loads only
     * node_shards ("0-3,5"; NULL: all) and asks the live nodes of the `nodes` table for the
     * others, calling them with node_key (an API key of role node). */
    int shards;              /* gallery.shards; 0 or 1: no sharding */
    const char *node_shards; /* gallery.node_shards */
    const char *node_key;    /* the key itself (the caller reads gallery.node_key's file) */
    int peer_timeout_ms;     /* gallery.peer_timeout_ms; 0 = 5000 */
    int node_ttl_ms;         /* gallery.node_ttl_ms: a node silent longer is down; 0 = 5000 */
} eyni_identity_opts;

#define EYNI_IDENTITY_MAX_SHARDS 1024

/* The shard of a FIN: the first 8 bytes of SHA-256 of the FIN's characters read as a
 * big-endian unsigned integer, modulo shards. Stable across versions and machines. */
int eyni_identity_shard_of(const char *fin, int shards);
/* Parses a shard set "0-3,5,7" (ascending or not, no duplicates) of 0..shards-1 into
 * held[shards] (1 = in the set). EFORMAT names what is wrong. */
int eyni_identity_shards_parse(const char *text, int shards, unsigned char *held, eyni_error *err);
/* Checks a peer node's answer to a shard search: {"shards": [searched], "hits": [{"fin",
 * "face", "finger": {"1".."10": score}, "voice"}]}; searched[shards] gets 1 for each shard
 * the peer searched among asked[shards]; *hits is the checked hit list (new reference). */
int eyni_identity_peer_reply_check(const char *body, size_t len, int shards,
                                   const unsigned char *asked, unsigned char *searched,
                                   json_t **hits, eyni_error *err);

/* A captured sample: modality "face", "finger" or "voice", the ISO/ANSI finger position
 * (1..10) for fingers (0 otherwise), and the file bytes as received: an image any format
 * eyni_image_decode reads, or for voice a WAV/FLAC recording. */
typedef struct eyni_sample_in {
    const char *modality;
    int position;
    const unsigned char *data;
    size_t len;
} eyni_sample_in;

/* Loads the engines and builds the galleries from reg (which must outlive the service). */
int eyni_identity_open(eyni_register *reg, const eyni_identity_opts *opts, eyni_identity **out,
                       eyni_error *err);
void eyni_identity_close(eyni_identity *id);
/* Reads identity.duplicate_at, identity.possible_at, identity.verify_fmr,
 * identity.finger_min_quality, identity.threads, voice.vad and voice.model (as written: the
 * caller resolves it against the data directory) from cfg into opts. */
int eyni_identity_opts_from_config(const eyni_config *cfg, eyni_identity_opts *opts,
                                   eyni_error *err);
/*
 * Benchmarks at register scale: adds entries that belong to nobody to the in-memory
 * galleries - n_faces unit vectors of EYNI_FACE_DIM floats and n_fingers templates at finger
 * position 1..10 - under ids -(base + i + 1) (callers adding in parallel give disjoint
 * ranges). Searches scan them like enrolled samples; they are never candidates, never
 * stored, and vanish at close. EYNI_EEXIST when an id is reused.
 */
int eyni_identity_add_distractors(eyni_identity *id, size_t base, const float *faces,
                                  size_t n_faces, eyni_finger_template *const *fingers,
                                  size_t n_fingers, int position, eyni_error *err);
/* Applies register changes made since the last call (e.g. by another process). */
int eyni_identity_sync(eyni_identity *id, eyni_error *err);
/* Keeps the galleries current with changes other nodes make, in a thread of its own:
 * woken by the store's notification (PostgreSQL), and catching up from the change log at
 * least every poll_ms (the only mechanism on SQLite). Stop before closing id. */
typedef struct eyni_identity_follower eyni_identity_follower;
int eyni_identity_follow(eyni_identity *id, int poll_ms, eyni_identity_follower **out,
                         eyni_error *err);
/* With sharding: records this node in the `nodes` table under url (the address peers
 * call, e.g. "http://127.0.0.1:8181") with its shards, and keeps its heartbeat there from a
 * thread of its own until eyni_identity_close, which removes the row. */
int eyni_identity_node_join(eyni_identity *id, const char *url, eyni_error *err);
/* The search a peer asks for (POST /v1/node/search; actor of role node): the samples
 * searched in this node's galleries for the shards listed (a JSON array of shard numbers);
 * {"shards": [searched], "hits": [...], "last_change"}. Audited with on_behalf_of, the
 * person the asking node serves. */
int eyni_identity_shard_search(eyni_identity *id, const eyni_actor *a, const json_t *shards,
                               const char *on_behalf_of, const eyni_sample_in *samples, int n,
                               json_t **out, eyni_error *err);
/* {"poll_ms", "wakes", "errors"} */
json_t *eyni_identity_follow_stats(eyni_identity_follower *f);
void eyni_identity_follow_stop(eyni_identity_follower *f);
/* Samples in the galleries: {"face", "finger", "voice" (persons with a voice reference),
 * "voice_model" (loaded or not), "voice_unusable", "samples", "last_change"}. */
json_t *eyni_identity_stats(eyni_identity *id);

/*
 * Enrols a person: every sample must pass its quality gate (EQUALITY naming the sample and
 * the reasons; nothing is stored), then a 1:N search on every modality against everyone
 * enrolled, fusion, and the decision: {"status": "unique" | "duplicate" | "possible",
 * "fin" (unique), "duplicate_of", "case" (possible), "enrolment", "candidates": [{"fin",
 * "score", "scores": {"face", "finger"}}], "quality": [...]}. With sharding also
 * "shards_not_searched"; when it is not empty only a duplicate is recorded, anything else is
 * refused (ECONFLICT naming the shards, audited) so nobody is declared unique unsearched.
 */
int eyni_identity_enrol(eyni_identity *id, const eyni_actor *a, const json_t *person,
                        const eyni_sample_in *samples, int n, json_t **out, eyni_error *err);
/* 1:1: {"match", "score", "far_target", "threshold", "scores"}; ENOTFOUND for an unknown
 * FIN, ECONFLICT when the person has no enrolled sample of the given modalities. */
int eyni_identity_verify(eyni_identity *id, const eyni_actor *a, const char *fin,
                         const eyni_sample_in *samples, int n, json_t **out, eyni_error *err);
/* 1:N: {"candidates": [...]} best first, at most top (1..100), with fused score at least
 * min_score. With sharding also "shards" and "shards_not_searched": the shards whose
 * holders were all down or too slow (then the candidates cover the other shards only). */
int eyni_identity_identify(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *samples,
                           int n, int top, double min_score, json_t **out, eyni_error *err);
/* 1:N against a named gallery: "register" (or NULL: as eyni_identity_identify), a
 * watchlist's code, or "watchlists" (every list the caller may see; needs the watchlist read
 * power besides matching). Watchlist candidates are entries, not FINs: {"list", "entry",
 * "list_name", "handling", "legal_basis", "record", "modality", "score", "scores"} with the
 * evidence of the entry's strongest comparison, above the watch search's own bar (it grows
 * with the gallery's size). ENOTFOUND for a list that does not exist or is not visible. */
int eyni_identity_identify_gallery(eyni_identity *id, const eyni_actor *a, const char *gallery,
                                   const eyni_sample_in *samples, int n, int top, double min_score,
                                   json_t **out, eyni_error *err);

/* An adjudicator's decision on case cid (eyni_register_case_decide), with the galleries
 * following it. "different" issues a FIN, so first the applicant's samples are searched
 * again inside the enrolment section: a registered person matching from the case
 * threshold who is not among the case's candidates (enrolled since, e.g. the same applicant
 * at another desk decided first) refuses the decision with ECONFLICT and joins the case's
 * candidates (audited case.recheck). A document application's case is re-checked the same
 * way before "different" clears it (the FIN applied for is the applicant's own, no new
 * match); nothing is issued by the decision itself (eyni_document_apply). */
int eyni_identity_case_decide(eyni_identity *id, const eyni_actor *a, long long cid,
                              const char *decision, const char *fin, const char *note,
                              json_t **out, eyni_error *err);

/*
 * Re-capture of an enrolled person's samples (docs/identity.md): every sample passes its
 * quality gate, then inside the enrolment section the new samples are searched against
 * everyone enrolled; another person matching from identity.possible_at refuses the update
 * (ECONFLICT naming the FIN, audited) so a re-capture can never take over someone else's
 * identity. Otherwise, in one transaction, the person's samples in force of each modality
 * and finger position sent are marked replaced (who, when, reason) and leave the galleries
 * (change "remove"), the new ones are stored and added, and the galleries follow before the
 * section is left. {"fin", "replaced", "added", "samples": [{"modality", "position"}],
 * "continuity": {"score", "scores"} (the new samples against the person's old ones; score 0
 * when they do not match at all), "quality"}. reason (1..EYNI_TEXT_MAX bytes) is required;
 * ENOTFOUND for an unknown FIN; with sharding, shards nobody searched refuse (ECONFLICT).
 */
int eyni_identity_biometrics_update(eyni_identity *id, const eyni_actor *a, const char *fin,
                                    const eyni_sample_in *samples, int n, const char *reason,
                                    json_t **out, eyni_error *err);
/*
 * Legal erasure (court order): every sample of fin of modality ("face", "finger", "voice";
 * NULL: all three) and finger position (1..10; 0: all; only with "finger") - in force or
 * replaced - loses its sealed template and its image for good; the row stays as a tombstone
 * saying who erased it, when and why (reason required). Samples in force leave the
 * galleries here and, through the change log, on every node. One transaction, audited
 * biometric.erase. {"fin", "modality", "position", "erased", "removed_from_galleries"};
 * ENOTFOUND for an unknown FIN or when nothing of that kind is stored.
 */
int eyni_identity_biometrics_erase(eyni_identity *id, const eyni_actor *a, const char *fin,
                                   const char *modality, int position, const char *reason,
                                   json_t **out, eyni_error *err);
/* A person's biometric samples as records, oldest first, without templates or images:
 * {"fin", "samples": [{"id", "modality", "position", "quality", "engine", "created_at",
 * "created_by", "status": "in_force" | "replaced" | "erased", "replaced_at", "removed_by",
 * "removed_reason", "erased_at"}], "count"}. Power person.history; audited biometric.list. */
int eyni_identity_biometrics_list(eyni_identity *id, const eyni_actor *a, const char *fin,
                                  json_t **out, eyni_error *err);

/* Quality of samples before an enrolment, without storing anything: {"quality": [per
 * sample the gate's report ("ok", "score", "reasons" with advice for a face; "minutiae" and
 * their "points" for a finger) and "message" when it would be refused]}. */
int eyni_identity_quality(eyni_identity *id, const eyni_actor *a, const eyni_sample_in *samples,
                          int n, json_t **out, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
