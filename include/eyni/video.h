/*
 * eyni/video.h - faces in video streams against a wanted-persons gallery.
 *
 * Layers, each usable alone:
 *   source   - one video file or network stream (anything libavformat opens: files, HTTP,
 *              UDP/MPEG-TS, RTSP) decoded by libavcodec and converted to RGB by libswscale,
 *              sampled at a configured rate;
 *   pipeline - per camera: face detection, a tracker (one track per person passing), best
 *              shot by scene quality, embedding of best shots only, 1:N search against the
 *              wanted gallery, one alert per track and wanted person above the threshold;
 *   camera   - a source and a pipeline on two threads with a bounded frame queue between
 *              them (the oldest frame is dropped when full, never the newest), reconnection
 *              with exponential back-off, outages logged.
 *
 * The face engine is shared read-only between cameras, the wanted gallery too (faces may
 * be added while cameras search: it locks internally); alerts are
 * handed to a callback that must be thread-safe (it is called from camera threads).
 */
#ifndef EYNI_VIDEO_H
#define EYNI_VIDEO_H

#include "eyni/base.h"
#include "eyni/face.h"
#include "eyni/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_VIDEO_MAX_NAME                  64   /* camera name bytes */
#define EYNI_VIDEO_MAX_URL                   1024 /* source address bytes */
#define EYNI_VIDEO_MAX_LABEL                 128  /* wanted person label bytes */
#define EYNI_VIDEO_MAX_SIDE                  4096 /* decoded frames larger than this are refused */
#define EYNI_VIDEO_MAX_QUEUE                 64   /* frames queued per camera at most */
#define EYNI_VIDEO_MAX_TRACKS                128  /* live tracks per camera */
#define EYNI_VIDEO_MAX_WANTED                100000
#define EYNI_VIDEO_MAX_LOOKALIKES            100000 /* dismissed look-alikes in a gallery */
#define EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON 64     /* the oldest goes beyond this */

/* Default alert threshold: the cosine at which the measured face impostor rate is about
 * 2e-6 (see eyni_video_threshold_for_rate and docs/video.md). */
#define EYNI_VIDEO_THRESHOLD_DEFAULT 0.50f
#define EYNI_VIDEO_HIST_BINS         25
#define EYNI_VIDEO_HIST_LO           0.30f
#define EYNI_VIDEO_HIST_STEP         0.01f
/* Histogram of ended tracks' best normalised score (with a cohort). */
#define EYNI_VIDEO_NHIST_BINS 48
#define EYNI_VIDEO_NHIST_LO   0.0f
#define EYNI_VIDEO_NHIST_STEP 0.25f
/* With a cohort: the target false alerts per hour the normalised threshold is derived for,
 * and the scene it assumes (measured on the generated crowd, docs/video.md). */
#define EYNI_VIDEO_ALERTS_PER_HOUR_DEFAULT 1.0
#define EYNI_VIDEO_TRACKS_PER_HOUR_DEFAULT 8200.0
#define EYNI_VIDEO_SHOTS_PER_TRACK_DEFAULT 3.6
/* With a cohort, a raw score below this never alerts: the portrait FMR 1e-5 point. The
 * normalisation divides by spreads; an entry and a probe that both have narrow ones can lift a
 * raw 0.38 above the normalised threshold, and a look-alike pair the cohort does not know
 * (too few faces like them in it) scores 0.42-0.44 raw and 6.2-7.0 normalised, 11 false
 * alerts in an hour at the FMR 1e-4 point (measured, docs/video.md). */
#define EYNI_VIDEO_MIN_RAW_DEFAULT ((float)EYNI_FACE_THRESHOLD_FMR_1E5)
/* Detection tiles per row by default (see eyni_video_opts.tiles, docs/video.md). */
#define EYNI_VIDEO_TILES_DEFAULT 2
/* Track linking by overlap, motion and appearance by default: a face crossing another does not
 * take over its track (measured on the generated crowd, docs/video.md). */
#define EYNI_VIDEO_APPEARANCE_DEFAULT 1
/* Each wanted photo also enrolled blurred at this sigma per eye distance (docs/video.md). */
#define EYNI_VIDEO_BLURRED_COPY_DEFAULT (1.0f / 16)

/* ---- wanted-persons gallery ------------------------------------------------------------ */

typedef struct eyni_video_wanted eyni_video_wanted;

int eyni_video_wanted_new(eyni_video_wanted **out, eyni_error *err);
void eyni_video_wanted_free(eyni_video_wanted *w);
/* Adds one unit embedding under id with a label (several per id are allowed: each is its
 * own gallery entry, hits are reported by id). */
int eyni_video_wanted_add(eyni_video_wanted *w, int64_t id, const char *label,
                          const float emb[EYNI_FACE_DIM], eyni_error *err);
/* Detects the subject of a photo and adds its embedding, and (unless turned off) that of the
 * photo blurred as a crowd camera blurs it; ENOTFOUND when there is no face. */
int eyni_video_wanted_add_image(eyni_video_wanted *w, const eyni_face_engine *fe, int64_t id,
                                const char *label, const eyni_image *img, eyni_error *err);
/* The blurred copy's sigma per eye distance for the wanted and cohort photos added from now
 * on (the cohort must be made with the same copies); <= 0: none. */
void eyni_video_wanted_set_blurred_copy(eyni_video_wanted *w, float rel);
/* The embedding of the subject of a photo (eyni_face_primary) and, when rel > 0 and the
 * blur would be at least half a pixel, of the photo after a Gaussian blur of rel times the
 * subject's eye distance: *copies is 1 or 2 (blurred filled); 1 when there is no face. */
int eyni_video_embed_subject(const eyni_face_engine *fe, const eyni_image *img, float rel,
                             float emb[EYNI_FACE_DIM], float blurred[EYNI_FACE_DIM], int *copies,
                             eyni_error *err);
size_t eyni_video_wanted_size(const eyni_video_wanted *w);
/* Drops every entry of person id (its photos and their blurred copies) while cameras search;
 * *removed (may be NULL) is how many entries went, 0 when the id was not in the gallery. */
int eyni_video_wanted_remove(eyni_video_wanted *w, int64_t id, size_t *removed, eyni_error *err);
/*
 * Look-alikes: faces an operator dismissed as not being wanted person id (the embedding of the
 * alert's shot). A later match of that person is held back when the probe is at least as close
 * to one of them as to the person's entry (eyni_video_match.lookalike): the passer-by who
 * resembles a wanted photo is alerted once, not on every pass, while the person himself, closer
 * to his own photo, still is. key names the dismissal (the alert id): one added twice is kept
 * once (returns 0 either way). A person keeps at most EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON (the
 * oldest goes); removing the person drops them.
 */
int eyni_video_wanted_add_lookalike(eyni_video_wanted *w, int64_t id, int64_t key,
                                    const float emb[EYNI_FACE_DIM], eyni_error *err);
size_t eyni_video_wanted_lookalikes(const eyni_video_wanted *w);
/* Forgets every look-alike (before loading them again, e.g. after alerts were purged). */
void eyni_video_wanted_clear_lookalikes(eyni_video_wanted *w);
/* Keeps only the look-alikes whose key is in keys (n, sorted ascending): the desk revoked the
 * others (a dismissal as look-alike that was wrong). Returns how many were forgotten. */
size_t eyni_video_wanted_keep_lookalikes(eyni_video_wanted *w, const int64_t *keys, size_t n);
/* The cohort face most like entry i (its cosine in *score): the look-alike a desk is likeliest
 * to meet for that photo (the bench's worst case of what look-alikes cost); 0 when there is no
 * such entry or no cohort. */
int eyni_video_wanted_nearest_cohort(const eyni_video_wanted *w, size_t i, float out[EYNI_FACE_DIM],
                                     float *score);
/* Copies the label of a person id into out; 0 when the id is unknown. */
int eyni_video_wanted_label(const eyni_video_wanted *w, int64_t id, char *out, size_t cap);
/*
 * Enrolment check of a wanted photo: the portrait quality of eyni_face_quality_check, and the
 * reasons among it that spoil matching in video (eyes closed, blurred, several faces, a face
 * the detector doubts, bad exposure or contrast). Framing and pose reasons are not warned
 * about: wanted photos are seldom portraits, and turned news photos were measured to match
 * well (docs/video.md). The operator is told at add time; the photo is still accepted.
 */
#define EYNI_VIDEO_ENROL_WARN                                                                      \
    (EYNI_FACE_EYES_CLOSED | EYNI_FACE_BLURRED | EYNI_FACE_MULTIPLE_FACES |                        \
     EYNI_FACE_LOW_CONFIDENCE | EYNI_FACE_UNDEREXPOSED | EYNI_FACE_OVEREXPOSED |                   \
     EYNI_FACE_LOW_CONTRAST | EYNI_FACE_NO_FACE)

/* Fills q and *warn with the warning reasons (0 when the photo is fine for matching). */
int eyni_video_enrol_check(const eyni_face_engine *fe, const eyni_image *img, eyni_face_quality *q,
                           unsigned *warn, eyni_error *err);

/* Best entry for a probe (by normalised score when there is a cohort; *score is the raw
 * cosine): *id = -1 and *score = -1 when the gallery is empty. */
int eyni_video_wanted_best(const eyni_video_wanted *w, const float probe[EYNI_FACE_DIM],
                           int64_t *id, float *score, eyni_error *err);

/* One search: the best entry by normalised score when there is a cohort (norm and fmr from
 * the cohort's tail; normalised = 1), else by raw score (norm = -1, fmr from the portrait
 * impostor table). id = -1 and score = -1 when the gallery is empty. */
typedef struct eyni_video_match {
    int64_t id;
    float score; /* raw cosine */
    float norm;  /* normalised score (docs/video.md), -1 without a cohort */
    double fmr;  /* estimated false-match rate of one comparison at this score */
    int normalised;
    float lookalike;       /* best cosine with a look-alike dismissed for id, -1 none; a match with
                              lookalike >= score is held back (eyni_video_wanted_add_lookalike) */
    int64_t lookalike_key; /* the key of that look-alike (the alert that taught it), -1 none */
} eyni_video_match;

int eyni_video_wanted_match(const eyni_video_wanted *w, const float probe[EYNI_FACE_DIM],
                            eyni_video_match *m, eyni_error *err);

/*
 * Cohort normalisation. A cohort is a set of faces of people who are not wanted (and never
 * the people watched for: docs/video.md says how the test cohort is kept apart). Each
 * wanted entry is scored against it when added, each probe when searched; the normalised
 * score is the raw score in units of the spread above the mean of the highest cohort scores,
 * averaged over entry and probe, so an enrolment photo that resembles many people needs a
 * higher raw score to alert. The cohort also calibrates itself (every photo against the
 * others), giving the normalised threshold for a false-match rate per comparison.
 * ident[i] groups the photos of one person (>= 0). EINVAL when there are too few different
 * persons to calibrate (fewer than 20 pairs of different persons). Replaces an earlier cohort;
 * entries already added are redone.
 */
#define EYNI_VIDEO_MAX_COHORT 20000

int eyni_video_wanted_set_cohort(eyni_video_wanted *w, const float *emb, const int *ident, size_t n,
                                 eyni_error *err);
/* Reads a list file in the wanted list's format (the label names the person) and sets the
 * cohort from its photos; photos without a face are skipped and counted in *skipped. */
int eyni_video_wanted_load_cohort(eyni_video_wanted *w, const eyni_face_engine *fe,
                                  const char *path, size_t *skipped, eyni_error *err);
int eyni_video_wanted_has_cohort(const eyni_video_wanted *w);
/* The normalised score whose estimated false-match rate per comparison is fmr; 0 without a
 * cohort. */
float eyni_video_wanted_norm_threshold(const eyni_video_wanted *w, double fmr);

typedef struct eyni_video_entry_info {
    int64_t id;
    char label[EYNI_VIDEO_MAX_LABEL];
    float cohort_mean, cohort_spread; /* of its highest cohort scores; 0 and 1 without one */
} eyni_video_entry_info;

/* Entry i (0..size-1); 0 when there is no such entry. */
int eyni_video_wanted_entry(const eyni_video_wanted *w, size_t i, eyni_video_entry_info *out);

typedef struct eyni_video_cohort_info {
    size_t faces;
    double pairs;      /* impostor pairs of the self-calibration */
    double tail_start; /* the exponential tail fitted to the highest pairs: start, */
    double tail_scale; /* scale (mean excess) */
    double tail_rate;  /* and the share of pairs at or above its start */
} eyni_video_cohort_info;

void eyni_video_wanted_cohort_info(const eyni_video_wanted *w, eyni_video_cohort_info *out);

/*
 * Threshold calibration. Each embedded best shot is compared with every gallery entry, so
 * the expected false alerts per hour are about
 *   tracks_per_hour * shots_per_track * gallery_size * FMR(threshold),
 * with FMR from the face engine's measured impostor table (eyni_face_score_fmr). Returns the
 * lowest threshold whose expected rate is at most target_per_hour (never below the
 * FMR 1e-4 point). The table ends near 1e-6, so targets needing less are not supported by
 * data: the answer is then the top of the table and *capped is set to 1.
 */
float eyni_video_threshold_for_rate(double target_per_hour, double tracks_per_hour,
                                    double shots_per_track, size_t gallery_size, int *capped);

/*
 * A wanted list file: one person per line, "ID<TAB>LABEL<TAB>PHOTO" (ID a positive integer,
 * LABEL 1..127 bytes of UTF-8 without tabs, PHOTO a path, relative to the list's folder
 * when not absolute); '#' lines and blank lines are skipped. Untrusted: EFORMAT names the
 * line. *items is malloc'd (free with free()).
 */
#define EYNI_VIDEO_MAX_LIST_BYTES (4 * 1024 * 1024)

typedef struct eyni_video_list_item {
    int64_t id;
    char label[EYNI_VIDEO_MAX_LABEL];
    char photo[1024];
} eyni_video_list_item;

int eyni_video_list_parse(const char *buf, size_t len, eyni_video_list_item **items, size_t *n,
                          eyni_error *err);
/* Reads a list file and adds every photo to w (paths relative to the file's folder). */
int eyni_video_wanted_load_list(eyni_video_wanted *w, const eyni_face_engine *fe, const char *path,
                                eyni_error *err);

/* ---- source ----------------------------------------------------------------------------- */

typedef struct eyni_video_source eyni_video_source;

typedef struct eyni_video_source_opts {
    double sample_fps; /* frames handed out per second of stream time; 0 = every frame */
    int timeout_ms;    /* network read/open timeout; 0 = 5000 */
    int max_side;      /* frames wider or taller are EFORMAT; 0 = EYNI_VIDEO_MAX_SIDE */
} eyni_video_source_opts;

/* Opens url (a path or any libavformat address) and its best video stream. EIO when it
 * cannot be reached, EFORMAT when it is not video libavformat/libavcodec can read. */
int eyni_video_source_open(const char *url, const eyni_video_source_opts *opts,
                           eyni_video_source **out, eyni_error *err);
void eyni_video_source_free(eyni_video_source *s);
/*
 * Next sampled frame as an RGB image (caller frees) and its time in seconds from the start
 * of the stream. Returns 0 with a frame, 1 at the end of the stream, or an error (EFORMAT
 * for undecodable data, EIO for a read failure or timeout). A change of resolution is
 * followed (the converter is rebuilt) and counted.
 */
int eyni_video_source_read(eyni_video_source *s, eyni_image **frame, double *t, eyni_error *err);
/* Number of decoded frames, of decode errors skipped and of resolution changes so far. */
void eyni_video_source_counts(const eyni_video_source *s, uint64_t *decoded, uint64_t *errors,
                              uint64_t *resizes);
/* Interrupts a blocking open/read from another thread (the read then returns EIO). */
void eyni_video_source_interrupt(eyni_video_source *s);

/* ---- pipeline --------------------------------------------------------------------------- */

typedef struct eyni_video_alert {
    const char *camera;
    int64_t track_id;          /* per camera, from 1 */
    int64_t person_id;         /* wanted gallery id */
    const char *label;         /* wanted gallery label */
    float score;               /* best cosine of the track against this person */
    float norm;                /* its normalised score with a cohort, else -1 */
    float threshold;           /* the threshold it passed: normalised with a cohort, else raw */
    double fmr;                /* estimated false-match rate of one comparison at the score:
                                  the cohort's tail, else eyni_face_score_fmr(score) */
    double first_seen;         /* stream seconds when the track began */
    double shot_time;          /* stream seconds of the shot that matched */
    double alert_time;         /* stream seconds of the frame that raised the alert */
    float box[4];              /* face box of the shot in frame pixels */
    double quality;            /* scene quality score of the shot, 0..100 */
    char wall_time[32];        /* UTC when the alert was raised */
    const unsigned char *jpeg; /* snapshot: the face with a margin, JPEG */
    size_t jpeg_len;
    const float *probe; /* the shot's embedding (EYNI_FACE_DIM): kept so that a dismissal as
                           a look-alike can be remembered */
} eyni_video_alert;

/* Called for every alert; the pointers live only during the call. */
typedef void (*eyni_video_alert_fn)(void *ctx, const eyni_video_alert *a);

/* Every embedded shot's search, for diagnostics (the bench explains the passes it missed and
 * can keep every shot for threshold studies): the track, the stream time of the shot, the
 * match and the threshold then in force (normalised with a cohort, else raw). Called on the
 * camera's analyser thread. */
typedef void (*eyni_video_shot_fn)(void *ctx, int64_t track, double t, const eyni_video_match *m,
                                   float threshold);

/* A match a look-alike held back (no alert): reported once per track and person, so that a
 * look-alike that silences the wanted person himself can be found. */
typedef struct eyni_video_held {
    const char *camera;
    int64_t track_id;
    int64_t person_id;
    float score;           /* raw cosine with the person's entry */
    int64_t lookalike_key; /* the look-alike that held it (its alert id at the desk) */
    float lookalike_score; /* raw cosine with that look-alike */
    char wall_time[32];    /* UTC */
} eyni_video_held;
typedef void (*eyni_video_held_fn)(void *ctx, const eyni_video_held *h);

typedef struct eyni_video_opts {
    float threshold;      /* alert score; 0 = EYNI_VIDEO_THRESHOLD_DEFAULT */
    float min_face_score; /* detections below are ignored; 0 = 0.8 */
    float track_iou;      /* least IoU with a track's predicted box to join it; 0 = 0.2 */
    double track_max_gap; /* seconds a track may go unseen before it ends; 0 = 1.0 */
    int max_shots;        /* embeddings per track at most; 0 = 3 */
    double min_gain;      /* quality points a new best shot must gain to be embedded; 0 = 8 */
    int min_eye_distance; /* px; smaller faces are tracked but not embedded; 0 = 12 */
    int tiles;            /* 1: detect on the whole frame only; n >= 2: also on an n x n grid
                             of overlapping tiles (small faces); 0 = EYNI_VIDEO_TILES_DEFAULT */
    int tile_every;       /* tiles on every n-th analysed frame only (the whole frame on every
                             one); 0 = 1 */
    double early_s;       /* for this long after a track begins (and until it alerts) every better
                                   shot is embedded at once; 0 = 1.0 */
    int max_early;        /* embeddings in that early window at most; 0 = 4 */
    int appearance;       /* tracks link by overlap and motion plus appearance (1) or by
                             overlap and motion only (-1); 0 = EYNI_VIDEO_APPEARANCE_DEFAULT */
    /* With a cohort in the gallery, alerts follow the normalised score (threshold is then
     * unused): at norm_threshold when set, else at the normalised score whose estimated rate
     * gives alerts_per_hour false alerts in a scene of tracks_per_hour tracks embedded
     * shots_per_track times each, against the gallery's current size. */
    float norm_threshold;       /* 0 = derived */
    double alerts_per_hour;     /* 0 = EYNI_VIDEO_ALERTS_PER_HOUR_DEFAULT */
    double tracks_per_hour;     /* 0 = EYNI_VIDEO_TRACKS_PER_HOUR_DEFAULT */
    double shots_per_track;     /* 0 = EYNI_VIDEO_SHOTS_PER_TRACK_DEFAULT */
    float min_raw;              /* 0 = EYNI_VIDEO_MIN_RAW_DEFAULT */
    eyni_video_shot_fn shot_fn; /* NULL: none */
    void *shot_ctx;
    eyni_video_held_fn held_fn; /* NULL: held matches are only counted (held_lookalike) */
    void *held_ctx;
} eyni_video_opts;

typedef struct eyni_video_stats {
    uint64_t frames;     /* frames analysed */
    uint64_t faces;      /* detections */
    uint64_t tracks;     /* tracks started */
    uint64_t embeddings; /* best shots embedded */
    uint64_t alerts;
    uint64_t track_switches; /* embeddings of a track unlike its previous one (cosine < 0.3):
                                the track went over to another person */
    uint64_t segments;       /* sightings unlike the last that restarted a track's best shot */
    uint64_t held_lookalike; /* tracks whose alert was held back: the face was at least as
                                close to a dismissed look-alike as to the wanted photo */
    double analyse_ms;       /* total time spent analysing */
    /* Ended tracks by their best score against the gallery: bin i counts scores in
     * [EYNI_VIDEO_HIST_LO + i * EYNI_VIDEO_HIST_STEP, + STEP), the first bin also everything
     * lower, the last everything higher. On footage without wanted persons the tracks at or
     * above a threshold are the false alerts it would give: the calibration curve. */
    uint64_t score_hist[EYNI_VIDEO_HIST_BINS];
    /* The same for the best normalised score (with a cohort), bins of EYNI_VIDEO_NHIST_*. */
    uint64_t norm_hist[EYNI_VIDEO_NHIST_BINS];
} eyni_video_stats;

typedef struct eyni_video_pipeline eyni_video_pipeline;

/* fe and wanted must outlive the pipeline. opts may be NULL. */
int eyni_video_pipeline_new(const eyni_face_engine *fe, const eyni_video_wanted *wanted,
                            const eyni_video_opts *opts, const char *camera, eyni_video_alert_fn fn,
                            void *ctx, eyni_video_pipeline **out, eyni_error *err);
void eyni_video_pipeline_free(eyni_video_pipeline *p);
/* Analyses one frame taken at stream time t (seconds, increasing). */
int eyni_video_pipeline_frame(eyni_video_pipeline *p, const eyni_image *frame, double t,
                              eyni_error *err);
/* Ends every live track (embedding a best shot not yet compared), e.g. at end of stream. */
int eyni_video_pipeline_flush(eyni_video_pipeline *p, eyni_error *err);
/* The normalised score alerts are raised at now (0 without a cohort in the gallery). */
float eyni_video_pipeline_norm_threshold(const eyni_video_pipeline *p);
/* Live tracks right now. */
size_t eyni_video_pipeline_live(const eyni_video_pipeline *p);
void eyni_video_pipeline_stats(const eyni_video_pipeline *p, eyni_video_stats *st);

/* ---- camera (threads, queue, reconnection) ----------------------------------------------- */

typedef struct eyni_video_camera eyni_video_camera;

typedef struct eyni_video_camera_config {
    char name[EYNI_VIDEO_MAX_NAME];
    char url[EYNI_VIDEO_MAX_URL];
    double sample_fps;  /* analysed frames per second; 0 = 5 */
    int queue;          /* frames queued between reader and analyser; 0 = 4 */
    int live;           /* 1: a stream (reconnect when it ends); 0: a file, stop at end */
    int backoff_min_ms; /* first reconnection delay; 0 = 500 */
    int backoff_max_ms; /* cap of the doubling delay; 0 = 30000 */
    int timeout_ms;     /* network timeout; 0 = 5000 */
    int pace;           /* 1: hand frames on at the stream's own speed (a recording played
                           as if it were a live camera, for soaks) */
    eyni_video_opts pipeline;
} eyni_video_camera_config;

typedef struct eyni_video_camera_stats {
    eyni_video_stats pipeline;
    uint64_t decoded;       /* frames decoded */
    uint64_t sampled;       /* frames handed to the queue */
    uint64_t dropped;       /* frames dropped because the queue was full */
    uint64_t decode_errors; /* undecodable packets skipped */
    uint64_t resizes;       /* resolution changes followed */
    uint64_t connects;      /* successful opens */
    uint64_t outages;       /* times the source failed or ended and was retried */
    double outage_s;        /* seconds without a source (open failures and back-off included),
                               the current outage counted so far */
    int queued;             /* frames waiting now */
    int connected;          /* 1 while a source is open */
    int running;            /* 0 once a file camera has finished or stop was called */
    char last_error[256];
} eyni_video_camera_stats;

/* Starts the reader and analyser threads. log may be NULL. */
int eyni_video_camera_start(const eyni_video_camera_config *cfg, const eyni_face_engine *fe,
                            const eyni_video_wanted *wanted, eyni_video_alert_fn fn, void *ctx,
                            eyni_log *log, eyni_video_camera **out, eyni_error *err);
/* Waits until a file camera has analysed everything (returns at once for a stopped one). */
void eyni_video_camera_wait(eyni_video_camera *c);
/* Stops both threads and frees the camera. */
void eyni_video_camera_stop(eyni_video_camera *c);
void eyni_video_camera_stats_get(eyni_video_camera *c, eyni_video_camera_stats *st);

/* ---- alert webhook ------------------------------------------------------------------------ */

#define EYNI_VIDEO_WEBHOOK_MAX_QUEUE  4096
#define EYNI_VIDEO_WEBHOOK_MAX_SECRET 64
#define EYNI_VIDEO_WEBHOOK_MIN_SECRET 16

typedef struct eyni_video_webhook eyni_video_webhook;

typedef struct eyni_video_webhook_opts {
    char url[EYNI_VIDEO_MAX_URL]; /* http:// or https:// only */
    int queue;                    /* alerts waiting at most; 0 = 64 */
    int retries;                  /* further attempts after a failed POST, 0..10 */
    int backoff_ms;               /* delay before the first retry, doubling; 0 = 500 */
    int timeout_ms;               /* per attempt (connect and transfer); 0 = 5000 */
    /* HMAC-SHA256 key shared with the receiver; secret_len 0 sends unsigned. Signed POSTs
     * carry X-Eyni-Timestamp (Unix seconds) and X-Eyni-Signature: sha256=<hex of the HMAC of
     * "<timestamp>.<body>">, so the receiver can tell our alerts from forged or replayed ones. */
    unsigned char secret[EYNI_VIDEO_WEBHOOK_MAX_SECRET];
    size_t secret_len; /* 0, or EYNI_VIDEO_WEBHOOK_MIN_SECRET..MAX_SECRET bytes */
} eyni_video_webhook_opts;

typedef struct eyni_video_webhook_stats {
    uint64_t queued;   /* alerts handed to the webhook */
    uint64_t sent;     /* delivered (the receiver answered 2xx) */
    uint64_t failed;   /* given up after every retry */
    uint64_t dropped;  /* pushed out of a full queue before any attempt */
    uint64_t attempts; /* POSTs made, retries included */
    int waiting;       /* in the queue now */
    int in_flight;     /* 1 while one is being delivered */
    char last_error[256];
} eyni_video_webhook_stats;

/* Starts the sender thread. EINVAL for a URL that is not http(s), ELIMIT for limits. */
int eyni_video_webhook_start(const eyni_video_webhook_opts *opts, eyni_log *log,
                             eyni_video_webhook **out, eyni_error *err);
/* Queues one JSON body (copied) and returns at once; a full queue drops its oldest. */
int eyni_video_webhook_post(eyni_video_webhook *w, const char *json, eyni_error *err);
/* Waits up to timeout_ms until nothing is queued or in flight; 1 when idle. */
int eyni_video_webhook_drain(eyni_video_webhook *w, int timeout_ms);
void eyni_video_webhook_stats_get(eyni_video_webhook *w, eyni_video_webhook_stats *st);
/* Stops the thread (an attempt in flight ends within its timeout); unsent alerts are freed. */
void eyni_video_webhook_stop(eyni_video_webhook *w);

#ifdef __cplusplus
}
#endif
#endif
