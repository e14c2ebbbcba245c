/*
 * eyni/video_desk.h - the central desk of video watching, kept in the register's store:
 * cameras, the wanted-persons face gallery, and alerts (snapshot, camera, time, matched
 * person, score, the operator's decision) with a retention period.
 *
 * Everything is authorised by role (watch.manage: police and the local operator) and
 * audited. Face templates and snapshots are personal data: they are sealed with the data
 * keyring (crypto.keydir) and refused when no key is configured.
 */
#ifndef EYNI_VIDEO_DESK_H
#define EYNI_VIDEO_DESK_H

#include "eyni/face.h"
#include "eyni/register.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_DESK_MAX_SNAPSHOT      (1024 * 1024) /* JPEG bytes kept per alert */
#define EYNI_DESK_RETENTION_DEFAULT 90            /* days alerts are kept unless configured */
#define EYNI_DESK_MAX_URL           1100          /* a camera address, masked or whole */

/* {"name": A-Za-z0-9-_ up to 64, "url": up to 1024, "sample_fps": 0.2..30 (default 5)}. A
 * password in the address (scheme://user:pass@host/...) is stored only sealed (ECRYPTO without
 * a data key): the camera is listed, here and everywhere, as user:***. */
int eyni_desk_camera_add(eyni_register *reg, const eyni_actor *a, const json_t *in, json_t **out,
                         eyni_error *err);
/* Every camera: {"cameras": [{"id","name","url","sample_fps","created_at"}]}. */
int eyni_desk_camera_list(eyni_register *reg, const eyni_actor *a, json_t **out, eyni_error *err);

/* One camera with its live statistics ("stats": null until the service has reported):
 * frames_decoded, frames_analysed, frames_dropped, connects, reconnects, outages,
 * outage_seconds, tracks, alerts, running, connected, last_error, updated_at. */
int eyni_desk_camera_get(eyni_register *reg, const eyni_actor *a, long long id, json_t **out,
                         eyni_error *err);
/* Removes a camera (audited; its name into name when not NULL). The running service stops its
 * worker at the next look; the camera's alerts, snapshots and decisions are kept. */
int eyni_desk_camera_remove(eyni_register *reg, const eyni_actor *a, long long id, char *name,
                            size_t cap, eyni_error *err);

/* url with the password of its user:pass@ part as ***: 1 when one was masked, else 0 and out is
 * url as it is (cut to cap). */
int eyni_desk_url_masked(const char *url, char *out, size_t cap);
/* The whole address of camera id, the password included (for the video service to connect). */
int eyni_desk_camera_url(eyni_register *reg, const eyni_actor *a, long long id, char *out,
                         size_t cap, eyni_error *err);
/* Seals the addresses that still hold a clear password (stored before schema version 18) and
 * masks them; *n gets how many. The video service runs it when it starts. */
int eyni_desk_camera_seal_urls(eyni_register *reg, const eyni_actor *a, long long *n,
                               eyni_error *err);

/* What the video service reports about one camera every poll. */
typedef struct eyni_desk_camera_stats {
    int running, connected;
    long long decoded, analysed, dropped, connects, outages, tracks, alerts;
    double outage_seconds;
    const char *last_error; /* NULL or "" when none */
} eyni_desk_camera_stats;

int eyni_desk_camera_stats_put(eyni_register *reg, const eyni_actor *a, long long id,
                               const eyni_desk_camera_stats *s, eyni_error *err);

/* Whether a may work the video desk (watch.manage): checked before work done on its behalf,
 * such as embedding a photo, that the recording call would refuse only afterwards. */
int eyni_desk_require(eyni_register *reg, const eyni_actor *a, eyni_error *err);
/* Adds a face to the wanted gallery: a label, an optional FIN, the legal reason, the
 * photo's embedding and that of its blurred copy (NULL: none; eyni_video_embed_subject). */
int eyni_desk_wanted_add(eyni_register *reg, const eyni_actor *a, const char *label,
                         const char *fin, const char *reason, const float emb[EYNI_FACE_DIM],
                         const float *blurred, long long *id, eyni_error *err);
/* Calls fn for every wanted face in force with id > after, in id order (for building the
 * service's gallery; audited when any face was read); blurred is NULL for a face stored
 * without. */
typedef int (*eyni_desk_wanted_fn)(long long id, const char *label, const float emb[EYNI_FACE_DIM],
                                   const float *blurred, void *ctx);
int eyni_desk_wanted_each(eyni_register *reg, const eyni_actor *a, long long after,
                          eyni_desk_wanted_fn fn, void *ctx, eyni_error *err);
/* The wanted faces without their templates: {"wanted":[{"id","label","fin","reason",
 * "added_at","added_by"} + "removed_at","removed_by","removal_reason" once removed]}, those in
 * force only unless removed is set; audited. */
int eyni_desk_wanted_list(eyni_register *reg, const eyni_actor *a, int removed, json_t **out,
                          eyni_error *err);
/* Removes a wanted face when its legal reason ends: the record stays, its templates are
 * emptied; audited with the reason. ENOTFOUND when unknown or already removed. */
int eyni_desk_wanted_remove(eyni_register *reg, const eyni_actor *a, long long id,
                            const char *reason, eyni_error *err);
/* Calls fn(id) for every wanted face removed at or after *since (an ISO time, "" for all),
 * oldest removal first, and moves *since (cap bytes) to the last removal seen: the service
 * drops them from its gallery. A removal at exactly *since is given again (harmless). */
int eyni_desk_wanted_removed(eyni_register *reg, const eyni_actor *a, char *since, size_t cap,
                             int (*fn)(long long id, void *ctx), void *ctx, eyni_error *err);

/*
 * Watchlists as a source of wanted faces (video.watchlists = CODE[,CODE...]): the person
 * entries of those lists with a face enrolled (eyni border watch-biometrics) are looked for by
 * the cameras while the entry and its list are in force. In the gallery and in alerts an entry
 * is the wanted id EYNI_DESK_WATCH_ID_BASE + entry id (listed alerts also carry "watch_entry").
 */
#define EYNI_DESK_WATCH_ID_BASE  (1LL << 48)
#define EYNI_DESK_MAX_WATCHLISTS 512 /* bytes of the list of codes */

/* Whether codes is a comma-separated list of list codes (A-Z a-z 0-9 - _, spaces ignored) that
 * fits EYNI_DESK_MAX_WATCHLISTS bytes. */
int eyni_desk_watch_codes_valid(const char *codes);
/* The ids of the entries in force on the lists named in codes (comma-separated) that have a
 * face, as a JSON array of integers in *ids. */
int eyni_desk_watch_in_force(eyni_register *reg, const eyni_actor *a, const char *codes,
                             json_t **ids, eyni_error *err);
/* The entries in force on the lists named in codes that the actor's agency may see (what the
 * cameras look for, for the desk's list), as a JSON array of {id (the gallery's), watch_entry,
 * list, label, reason, added_at, faces} in *out; audited as video.watchlist.list. */
int eyni_desk_watch_listed(eyni_register *reg, const eyni_actor *a, const char *codes, json_t **out,
                           eyni_error *err);
/* Calls fn for every face of a watchlist entry: a label ("Given Surname (CODE)"), the face
 * template and the enrolled photo (NULL when none was kept); audited as video.watchlist.load. */
typedef int (*eyni_desk_watch_face_fn)(long long entry, const char *label,
                                       const float emb[EYNI_FACE_DIM], const unsigned char *photo,
                                       size_t photo_len, void *ctx);
int eyni_desk_watch_entry_faces(eyni_register *reg, const eyni_actor *a, long long entry,
                                eyni_desk_watch_face_fn fn, void *ctx, eyni_error *err);

/* Who may see an alert: everyone with the role when it matched a wanted face; when it matched
 * a watchlist entry's face, the agencies that may read the entry's list (its owner, those in
 * visible, ",A,B," or ",*,") and operators, as for every watchlist read. The alert list, its
 * snapshot and decisions keep to that rule; the service and the server push an alert and the
 * decisions on it to that audience only. */
typedef struct eyni_desk_audience {
    int restricted; /* 0: every desk operator; 1: only owner, visible and operators */
    char owner[40];
    char visible[1200];
} eyni_desk_audience;
/* The audience of alert id; an unknown alert, or one whose entry is gone, is restricted to
 * operators (owner and visible empty). Not audited: it names agencies, no person. */
int eyni_desk_alert_audience(eyni_register *reg, long long id, eyni_desk_audience *out,
                             eyni_error *err);

/* One alert as the service records it (the actor is the service itself). */
typedef struct eyni_desk_alert {
    const char *camera;
    long long track;
    long long wanted_id;
    const char *label;
    double score, fmr, stream_time;
    int normalised;      /* 1: norm is the cohort-normalised score and threshold its scale */
    double norm;         /* stored only when normalised */
    double threshold;    /* the alert threshold in force (normalised or raw score); 0 = none */
    const char *seen_at; /* UTC ISO time */
    const unsigned char *jpeg;
    size_t jpeg_len;
    const float *probe; /* the shot's embedding (EYNI_FACE_DIM) or NULL: kept sealed so that a
                           dismissal as a look-alike can be remembered */
} eyni_desk_alert;

int eyni_desk_alert_record(eyni_register *reg, const eyni_actor *a, const eyni_desk_alert *al,
                           long long *id, eyni_error *err);
/* Alerts with id > after, newest last; decision filter "open"/"acknowledged"/"dismissed" or
 * NULL; limit 1..1000. {"events": [...]} without snapshots. */
int eyni_desk_alert_list(eyni_register *reg, const eyni_actor *a, long long after,
                         const char *decision, int limit, json_t **out, eyni_error *err);
/* decision: "acknowledged" or "dismissed"; an alert is decided once (ECONFLICT after).
 * lookalike (with "dismissed" only): the face is not the wanted person; the running cameras
 * remember it and hold back that person's alerts for faces closer to it than to his photo
 * (eyni_video_wanted_add_lookalike). EINVAL for an alert stored without its face. */
int eyni_desk_alert_decide(eyni_register *reg, const eyni_actor *a, long long id,
                           const char *decision, const char *note, int lookalike, eyni_error *err);
/* Calls fn for every alert dismissed as a look-alike after *since (an ISO time, "" for all)
 * whose wanted face (or watchlist entry) is in force, oldest decision first, with the face's
 * embedding, and moves *since (cap bytes) to the last decision seen. Audited when any face was
 * read. */
typedef int (*eyni_desk_lookalike_fn)(long long alert_id, long long wanted_id,
                                      const float emb[EYNI_FACE_DIM], void *ctx);
int eyni_desk_lookalikes(eyni_register *reg, const eyni_actor *a, char *since, size_t cap,
                         eyni_desk_lookalike_fn fn, void *ctx, eyni_error *err);
/* An alert dismissed as a look-alike wrongly (the person himself, whom the cameras would now
 * hold back): the mark is taken off (the alert stays dismissed), audited as
 * video.lookalike.revoke with the reason (required); ECONFLICT when the alert is not marked or
 * not visible to the actor. The running cameras forget the face at the service's next look. */
int eyni_desk_lookalike_revoke(eyni_register *reg, const eyni_actor *a, long long id,
                               const char *reason, eyni_error *err);
/* A match a look-alike held back (no alert), as the service records it: listed alerts that
 * taught a look-alike carry "held" (how many passes it held back) and "held_last" (when the
 * last was seen). Audited as video.held; purged with the alerts. */
typedef struct eyni_desk_held {
    const char *camera;
    long long track;
    long long wanted_id;
    double score;           /* raw cosine with the wanted entry */
    long long lookalike;    /* the alert whose face held it back */
    double lookalike_score; /* raw cosine with that face */
    const char *seen_at;    /* ISO time */
} eyni_desk_held;
int eyni_desk_held_record(eyni_register *reg, const eyni_actor *a, const eyni_desk_held *h,
                          eyni_error *err);
/* The ids of the alerts marked as look-alikes now, ascending, as a JSON array in *ids (the
 * service keeps only those among the faces it holds). */
int eyni_desk_lookalike_marked(eyni_register *reg, const eyni_actor *a, json_t **ids,
                               eyni_error *err);
/* Calls fn for every decision taken after *since (an ISO time) by a local actor (the command
 * line on the store's machine: no server announced it), oldest first, and moves *since (cap
 * bytes) to the last one seen: the service announces them to the desks. */
typedef int (*eyni_desk_decision_fn)(long long alert_id, const char *decision,
                                     const char *decided_by, int lookalike, void *ctx);
int eyni_desk_local_decisions(eyni_register *reg, const eyni_actor *a, char *since, size_t cap,
                              eyni_desk_decision_fn fn, void *ctx, eyni_error *err);
/* The snapshot JPEG of an alert (caller frees). */
int eyni_desk_alert_snapshot(eyni_register *reg, const eyni_actor *a, long long id,
                             unsigned char **jpeg, size_t *len, eyni_error *err);
/* Deletes alerts seen more than days ago; *n gets how many. */
int eyni_desk_purge(eyni_register *reg, const eyni_actor *a, int days, long long *n,
                    eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
