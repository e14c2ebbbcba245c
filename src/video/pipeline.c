/*
 * Per-camera analysis: detection, tracking by overlap with each track's predicted box,
 * best shot by scene quality, embedding of best shots only, search, one alert per track.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "video_int.h"

#define SHOT_MARGIN 0.5  /* snapshot = face box grown by this fraction of its side each way */
#define SIZE_BONUS  30.0 /* rank points for a face with 60 px between the eyes */
#define VEL_SMOOTH  0.5  /* weight of the newest velocity measurement */
#define LOOK_SIDE   16   /* appearance: the face box sampled on a 16x16 grey grid */
#define LOOK_MIN    0.2f /* least correlation of appearance to join a track */
#define LOOK_WEIGHT 0.5f /* weight of appearance against overlap in the assignment */
#define SWITCH_COS  0.3f /* two embeddings of one track below this: it changed persons */
#define LOOK_CHANGE 0.5f /* a sighting less alike than this may be another face (see below) */
#define SEG_MIN_S   0.5  /* seconds between two such segments of one track at least */

typedef struct track {
    int64_t id;
    double first_t, last_t;
    float box[4]; /* last seen */
    float vel[4]; /* pixels per second of each box coordinate */
    int seen;     /* detections joined */
    /* best shot so far: a crop of the frame around the face, the detection moved into it */
    eyni_image *shot;
    eyni_face_det shot_det;
    float shot_box[4];
    double shot_t, shot_rank, shot_quality;
    int shot_embedded;
    double embedded_rank; /* rank of the last embedded shot */
    int shots;            /* embeddings made */
    int early_shots;      /* of which in the early window beyond the first */
    int64_t alerted;      /* person already alerted for this track, -1 none */
    double alert_t;       /* when */
    int64_t held;         /* person whose alert a dismissed look-alike held back, -1 none */
    /* the segment: from the last sighting that looked unlike the one before (a face that
     * walked in front of the tracked one, or the start); its shots compete afresh */
    double seg_t;
    int seg_shots; /* embeddings made before the segment began */
    int64_t best_person;
    float best_score, best_norm;
    float look[LOOK_SIDE * LOOK_SIDE]; /* appearance at the last sighting, zero-mean unit */
    float last_emb[EYNI_FACE_DIM];     /* the last embedding, to count person switches */
} track;

struct eyni_video_pipeline {
    const eyni_face_engine *fe;
    const eyni_video_wanted *wanted;
    eyni_video_opts o;
    char camera[EYNI_VIDEO_MAX_NAME];
    eyni_video_alert_fn fn;
    void *ctx;
    track tracks[EYNI_VIDEO_MAX_TRACKS];
    size_t live;
    int64_t next_id;
    double now; /* stream time of the frame being analysed */
    eyni_video_stats st;
};

float video_iou(const float a[4], const float b[4])
{
    float ix = fminf(a[2], b[2]) - fmaxf(a[0], b[0]);
    float iy = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    if (ix <= 0 || iy <= 0)
        return 0;
    float inter = ix * iy;
    float ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0 ? inter / ua : 0;
}

static void defaults(eyni_video_opts *o)
{
    if (o->threshold <= 0)
        o->threshold = EYNI_VIDEO_THRESHOLD_DEFAULT;
    if (o->min_face_score <= 0)
        o->min_face_score = 0.8f;
    if (o->track_iou <= 0)
        o->track_iou = 0.2f;
    if (o->track_max_gap <= 0)
        o->track_max_gap = 1.0;
    if (o->max_shots <= 0)
        o->max_shots = 3;
    if (o->min_gain <= 0)
        o->min_gain = 8;
    if (o->min_eye_distance <= 0)
        o->min_eye_distance = 12;
    if (o->tiles <= 0)
        o->tiles = EYNI_VIDEO_TILES_DEFAULT;
    if (o->tiles > 4)
        o->tiles = 4; /* 16 tiles already cost 17 detector runs a frame */
    if (o->tile_every <= 0)
        o->tile_every = 1;
    if (o->early_s <= 0)
        o->early_s = 1.0;
    if (o->max_early <= 0)
        o->max_early = 4;
    if (o->appearance == 0)
        o->appearance = EYNI_VIDEO_APPEARANCE_DEFAULT;
    if (o->alerts_per_hour <= 0)
        o->alerts_per_hour = EYNI_VIDEO_ALERTS_PER_HOUR_DEFAULT;
    if (o->tracks_per_hour <= 0)
        o->tracks_per_hour = EYNI_VIDEO_TRACKS_PER_HOUR_DEFAULT;
    if (o->shots_per_track <= 0)
        o->shots_per_track = EYNI_VIDEO_SHOTS_PER_TRACK_DEFAULT;
    if (o->min_raw <= 0)
        o->min_raw = EYNI_VIDEO_MIN_RAW_DEFAULT;
}

/* Every embedded shot is compared with every entry: the rate per comparison that gives the
 * target false alerts per hour. Follows the gallery's size as wanted faces are added. */
float eyni_video_pipeline_norm_threshold(const eyni_video_pipeline *p)
{
    if (p->o.norm_threshold > 0)
        return eyni_video_wanted_has_cohort(p->wanted) ? p->o.norm_threshold : 0;
    size_t n = eyni_video_wanted_size(p->wanted);
    double per_hour = p->o.tracks_per_hour * p->o.shots_per_track * (double)(n ? n : 1);
    return eyni_video_wanted_norm_threshold(p->wanted, p->o.alerts_per_hour / per_hour);
}

/* Whether a match raises an alert: the normalised score with a cohort (and a raw floor),
 * else the raw score. */
static int alerting(const eyni_video_pipeline *p, const eyni_video_match *m)
{
    if (m->id < 0)
        return 0;
    if (!m->normalised)
        return m->score >= p->o.threshold;
    return m->score >= p->o.min_raw && m->norm >= eyni_video_pipeline_norm_threshold(p);
}

int eyni_video_pipeline_new(const eyni_face_engine *fe, const eyni_video_wanted *wanted,
                            const eyni_video_opts *opts, const char *camera, eyni_video_alert_fn fn,
                            void *ctx, eyni_video_pipeline **out, eyni_error *err)
{
    if (!fe || !wanted || !camera || strlen(camera) >= EYNI_VIDEO_MAX_NAME)
        return eyni_error_set(err, EYNI_EINVAL,
                              "video pipeline: engine, gallery and a camera "
                              "name of at most %d bytes are needed",
                              EYNI_VIDEO_MAX_NAME - 1);
    eyni_video_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return eyni_error_set(err, EYNI_ENOMEM, "video pipeline: out of memory");
    p->fe = fe;
    p->wanted = wanted;
    if (opts)
        p->o = *opts;
    defaults(&p->o);
    snprintf(p->camera, sizeof p->camera, "%s", camera);
    p->fn = fn;
    p->ctx = ctx;
    p->next_id = 1;
    *out = p;
    return 0;
}

static void track_clear(track *t)
{
    eyni_image_free(t->shot);
    memset(t, 0, sizeof *t);
}

void eyni_video_pipeline_free(eyni_video_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->live; i++)
        track_clear(&p->tracks[i]);
    free(p);
}

size_t eyni_video_pipeline_live(const eyni_video_pipeline *p)
{
    return p->live;
}

void eyni_video_pipeline_stats(const eyni_video_pipeline *p, eyni_video_stats *st)
{
    *st = p->st;
}

/* ---- best shot ------------------------------------------------------------------------ */

/* Copies the face with a margin out of the frame and moves the detection into the copy, so
 * the track keeps its best shot without keeping the frame. */
static int keep_shot(track *t, const eyni_image *frame, const eyni_face_det *d, eyni_error *err)
{
    float w = d->x2 - d->x1, h = d->y2 - d->y1;
    int x0 = (int)fmaxf(0, d->x1 - SHOT_MARGIN * w), y0 = (int)fmaxf(0, d->y1 - SHOT_MARGIN * h);
    int x1 = (int)fminf((float)frame->width, d->x2 + SHOT_MARGIN * w);
    int y1 = (int)fminf((float)frame->height, d->y2 + SHOT_MARGIN * h);
    if (x1 - x0 < 8 || y1 - y0 < 8)
        return 0;
    eyni_image *c = eyni_image_new(x1 - x0, y1 - y0, frame->channels, err);
    if (!c)
        return err ? err->code : EYNI_ENOMEM;
    size_t row = (size_t)(x1 - x0) * frame->channels;
    for (int y = y0; y < y1; y++)
        memcpy(c->data + (size_t)(y - y0) * row,
               frame->data + ((size_t)y * frame->width + x0) * frame->channels, row);
    eyni_face_det m = *d;
    m.x1 -= x0, m.x2 -= x0, m.y1 -= y0, m.y2 -= y0;
    for (int i = 0; i < EYNI_FACE_LANDMARKS; i++)
        m.lm[i].x -= x0, m.lm[i].y -= y0;
    for (int i = 0; i < 5; i++)
        m.five[i].x -= x0, m.five[i].y -= y0;
    eyni_image_free(t->shot);
    t->shot = c;
    t->shot_det = m;
    t->shot_box[0] = d->x1, t->shot_box[1] = d->y1, t->shot_box[2] = d->x2, t->shot_box[3] = d->y2;
    t->shot_embedded = 0;
    return 0;
}

static void raise_alert(eyni_video_pipeline *p, track *t, const eyni_video_match *m,
                        const float *emb)
{
    int64_t person = m->id;
    unsigned char *jpeg = NULL;
    size_t len = 0;
    eyni_error e = {0};
    char label[EYNI_VIDEO_MAX_LABEL] = "";
    eyni_video_wanted_label(p->wanted, person, label, sizeof label);
    if (eyni_image_encode_jpeg(t->shot, 85, &jpeg, &len, &e))
        jpeg = NULL, len = 0; /* an alert without a picture beats no alert */
    eyni_video_alert a = {.camera = p->camera,
                          .track_id = t->id,
                          .person_id = person,
                          .label = label,
                          .score = m->score,
                          .norm = m->normalised ? m->norm : -1,
                          .threshold = m->normalised ? eyni_video_pipeline_norm_threshold(p)
                                                     : p->o.threshold,
                          .fmr = m->fmr,
                          .first_seen = t->first_t,
                          .shot_time = t->shot_t,
                          .alert_time = p->now,
                          .quality = t->shot_quality,
                          .jpeg = jpeg,
                          .jpeg_len = len,
                          .probe = emb};
    memcpy(a.box, t->shot_box, sizeof a.box);
    eyni_time_now_iso(a.wall_time);
    t->alerted = person;
    t->alert_t = p->now;
    p->st.alerts++;
    if (p->fn)
        p->fn(p->ctx, &a);
    free(jpeg);
}

static void report_held(eyni_video_pipeline *p, const track *t, const eyni_video_match *m)
{
    p->st.held_lookalike++;
    if (!p->o.held_fn)
        return;
    eyni_video_held h = {.camera = p->camera,
                         .track_id = t->id,
                         .person_id = m->id,
                         .score = m->score,
                         .lookalike_key = m->lookalike_key,
                         .lookalike_score = m->lookalike};
    eyni_time_now_iso(h.wall_time);
    p->o.held_fn(p->o.held_ctx, &h);
}

/* Embeds the kept shot and compares it with the wanted gallery. */
static int embed_shot(eyni_video_pipeline *p, track *t, eyni_error *err)
{
    float emb[EYNI_FACE_DIM];
    eyni_video_match m;
    int rc = eyni_face_embed(p->fe, t->shot, &t->shot_det, emb, err);
    if (rc == 0)
        rc = eyni_video_wanted_match(p->wanted, emb, &m, err);
    if (rc)
        return rc;
    if (p->o.shot_fn)
        p->o.shot_fn(p->o.shot_ctx, t->id, t->shot_t, &m,
                     m.normalised ? eyni_video_pipeline_norm_threshold(p) : p->o.threshold);
    if (t->shots > 0 && eyni_face_compare(emb, t->last_emb) < SWITCH_COS)
        p->st.track_switches++;
    memcpy(t->last_emb, emb, sizeof emb);
    t->shot_embedded = 1;
    t->embedded_rank = t->shot_rank;
    t->shots++;
    p->st.embeddings++;
    if (m.score > t->best_score || t->best_person < 0) {
        t->best_score = m.score;
        t->best_person = m.id;
    }
    if (m.normalised && m.norm > t->best_norm)
        t->best_norm = m.norm;
    if (!alerting(p, &m) || t->alerted == m.id)
        return 0;
    /* closer to a face the desk said is not this person than to the person's own entry */
    if (m.lookalike >= m.score) {
        if (t->held != m.id)
            report_held(p, t, &m);
        t->held = m.id;
        return 0;
    }
    raise_alert(p, t, &m, emb);
    return 0;
}

/* Scores a new sighting; keeps it when it beats the track's best shot and embeds it when it
 * is the track's first usable shot or a clear gain, keeping one embedding for the end. */
static int consider_shot(eyni_video_pipeline *p, track *t, const eyni_image *frame,
                         const eyni_face_det *d, eyni_error *err)
{
    eyni_face_quality q;
    int rc = eyni_face_quality_of(p->fe, frame, d, &q, err);
    if (rc)
        return rc;
    if (q.eye_distance < p->o.min_eye_distance)
        return 0;
    double rank = q.score + SIZE_BONUS * fmin(1.0, q.eye_distance / 60.0);
    if (t->shot && rank <= t->shot_rank)
        return 0;
    if ((rc = keep_shot(t, frame, d, err)) || !t->shot)
        return rc;
    t->shot_rank = rank;
    t->shot_quality = q.score;
    t->shot_t = p->now;
    /* Early in a track every better shot is compared at once: the alert should come within
     * a second of the person appearing, not when the track ends. Later only a clear gain is
     * worth an embedding, and one is kept back for the end of the track. */
    int first = t->shots == t->seg_shots;
    int early = (t->alerted < 0 || t->alert_t < t->seg_t) && p->now - t->seg_t <= p->o.early_s &&
                t->shots - t->seg_shots < p->o.max_early;
    int late = t->shots - t->early_shots; /* the early window does not eat the later budget */
    int gain = rank >= t->embedded_rank + p->o.min_gain && late < p->o.max_shots - 1;
    if (!first && early && !gain)
        t->early_shots++;
    return first || early || gain ? embed_shot(p, t, err) : 0;
}

/* ---- tracking ------------------------------------------------------------------------- */

/* A sighting that looks unlike the track's last one is most often another face that came in
 * front at the same place (the overlap joined it to the track); the tracked face's best shot
 * would otherwise outrank every shot of the newcomer, which would never be compared. So the
 * best shot so far is compared if it was not yet, and the shots compete afresh: the next one
 * is kept and embedded, and the early window opens again. At most one segment begins per
 * SEG_MIN_S, so a flickering track cannot ask for an embedding every frame. */
static int new_segment(eyni_video_pipeline *p, track *t, eyni_error *err)
{
    if (p->now - t->seg_t < SEG_MIN_S)
        return 0;
    int rc = 0;
    if (t->shot && !t->shot_embedded)
        rc = embed_shot(p, t, err);
    t->shot_rank = -1e9;
    t->embedded_rank = -1e9;
    t->seg_t = p->now;
    t->seg_shots = t->shots;
    p->st.segments++;
    return rc;
}

static void predict(const track *t, double now, float out[4])
{
    double dt = now - t->last_t;
    for (int i = 0; i < 4; i++)
        out[i] = t->box[i] + (float)(t->vel[i] * dt);
}

static void track_update(track *t, const eyni_face_det *d, double now)
{
    float b[4] = {d->x1, d->y1, d->x2, d->y2};
    double dt = now - t->last_t;
    if (dt > 0 && t->seen > 0)
        for (int i = 0; i < 4; i++) {
            float v = (float)((b[i] - t->box[i]) / dt);
            t->vel[i] = t->seen == 1 ? v : (float)(VEL_SMOOTH * v + (1 - VEL_SMOOTH) * t->vel[i]);
        }
    memcpy(t->box, b, sizeof b);
    t->last_t = now;
    t->seen++;
}

/* A track that ends gets its best shot compared if that was never done. */
static int track_end(eyni_video_pipeline *p, size_t i, eyni_error *err)
{
    track *t = &p->tracks[i];
    int rc = 0;
    if (t->shot && !t->shot_embedded && t->shots - t->early_shots < p->o.max_shots)
        rc = embed_shot(p, t, err);
    if (t->shots > 0) {
        int bin = (int)floorf((t->best_score - EYNI_VIDEO_HIST_LO) / EYNI_VIDEO_HIST_STEP);
        bin = bin < 0 ? 0 : bin >= EYNI_VIDEO_HIST_BINS ? EYNI_VIDEO_HIST_BINS - 1 : bin;
        p->st.score_hist[bin]++;
        bin = (int)floorf((t->best_norm - EYNI_VIDEO_NHIST_LO) / EYNI_VIDEO_NHIST_STEP);
        bin = bin < 0 ? 0 : bin >= EYNI_VIDEO_NHIST_BINS ? EYNI_VIDEO_NHIST_BINS - 1 : bin;
        p->st.norm_hist[bin]++;
    }
    track_clear(t);
    p->tracks[i] = p->tracks[--p->live];
    memset(&p->tracks[p->live], 0, sizeof p->tracks[p->live]);
    return rc;
}

/* The face box sampled on a small grey grid, zero mean and unit length: two sightings of one
 * face correlate near 1, two different faces far less. Cheap enough for every detection. */
static void face_look(const eyni_image *f, const eyni_face_det *d, float out[LOOK_SIDE * LOOK_SIDE])
{
    float w = d->x2 - d->x1, h = d->y2 - d->y1, mean = 0, norm = 0;
    for (int y = 0; y < LOOK_SIDE; y++)
        for (int x = 0; x < LOOK_SIDE; x++) {
            int px = (int)(d->x1 + (x + 0.5f) * w / LOOK_SIDE);
            int py = (int)(d->y1 + (y + 0.5f) * h / LOOK_SIDE);
            px = px < 0 ? 0 : px >= f->width ? f->width - 1 : px;
            py = py < 0 ? 0 : py >= f->height ? f->height - 1 : py;
            const unsigned char *q = f->data + ((size_t)py * f->width + px) * f->channels;
            float v = f->channels == 3 ? (q[0] + q[1] + q[2]) / 3.0f : q[0];
            out[y * LOOK_SIDE + x] = v;
            mean += v;
        }
    mean /= LOOK_SIDE * LOOK_SIDE;
    for (int i = 0; i < LOOK_SIDE * LOOK_SIDE; i++)
        out[i] -= mean, norm += out[i] * out[i];
    norm = norm > 1e-6f ? 1 / sqrtf(norm) : 0;
    for (int i = 0; i < LOOK_SIDE * LOOK_SIDE; i++)
        out[i] *= norm;
}

static float look_corr(const float *a, const float *b)
{
    float s = 0;
    for (int i = 0; i < LOOK_SIDE * LOOK_SIDE; i++)
        s += a[i] * b[i];
    return s;
}

/* How well detection i continues track j: the overlap with its predicted box and, with
 * appearance on, how alike the two look; -1 when it cannot be the same face. */
static float link_score(const eyni_video_pipeline *p, const float box[4], const float pred[4],
                        const float *look, const track *t)
{
    float v = video_iou(box, pred);
    if (v < p->o.track_iou)
        return -1;
    if (p->o.appearance < 0)
        return v;
    float c = look_corr(look, t->look);
    return c < LOOK_MIN ? -1 : v + LOOK_WEIGHT * c;
}

/* Greedy assignment: the best linked pair first (overlap and motion, plus appearance when
 * on: a face that crosses in front of another does not take over its track). */
static void assign(eyni_video_pipeline *p, const eyni_face_det *d,
                   float (*looks)[LOOK_SIDE * LOOK_SIDE], size_t n, int *det_track)
{
    int used[EYNI_VIDEO_MAX_TRACKS] = {0};
    float pred[EYNI_VIDEO_MAX_TRACKS][4];
    for (size_t j = 0; j < p->live; j++)
        predict(&p->tracks[j], p->now, pred[j]);
    for (size_t i = 0; i < n; i++)
        det_track[i] = -1;
    for (;;) {
        float best = 0;
        int bi = -1, bj = -1;
        for (size_t i = 0; i < n; i++) {
            if (det_track[i] >= 0)
                continue;
            float b[4] = {d[i].x1, d[i].y1, d[i].x2, d[i].y2};
            for (size_t j = 0; j < p->live; j++) {
                float v = used[j] ? -1 : link_score(p, b, pred[j], looks[i], &p->tracks[j]);
                if (v >= best)
                    best = v, bi = (int)i, bj = (int)j;
            }
        }
        if (bi < 0)
            return;
        det_track[bi] = bj;
        used[bj] = 1;
    }
}

int eyni_video_pipeline_frame(eyni_video_pipeline *p, const eyni_image *frame, double t,
                              eyni_error *err)
{
    double t0 = eyni_time_ms();
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    float looks[EYNI_FACE_MAX_FACES][LOOK_SIDE * LOOK_SIDE];
    size_t n = 0;
    int det_track[EYNI_FACE_MAX_FACES];
    p->now = t;
    int tiles = p->st.frames % (uint64_t)p->o.tile_every == 0 ? p->o.tiles : 1;
    int rc =
        video_detect(p->fe, frame, tiles, p->o.min_face_score, d, EYNI_FACE_MAX_FACES, &n, err);
    if (rc)
        return rc;
    p->st.frames++;
    p->st.faces += n;
    for (size_t i = 0; i < n; i++)
        face_look(frame, &d[i], looks[i]);
    assign(p, d, looks, n, det_track);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int j = det_track[i];
        if (j < 0) {
            if (p->live == EYNI_VIDEO_MAX_TRACKS)
                continue; /* a full tracker ignores newcomers rather than growing */
            j = (int)p->live++;
            track *nt = &p->tracks[j];
            memset(nt, 0, sizeof *nt);
            nt->id = p->next_id++;
            nt->first_t = nt->last_t = nt->seg_t = t;
            nt->alerted = nt->best_person = nt->held = -1;
            nt->best_score = -1;
            nt->best_norm = -1e9f;
            p->st.tracks++;
        }
        if (det_track[i] >= 0 && look_corr(looks[i], p->tracks[j].look) < LOOK_CHANGE)
            rc = new_segment(p, &p->tracks[j], err);
        track_update(&p->tracks[j], &d[i], t);
        memcpy(p->tracks[j].look, looks[i], sizeof looks[i]);
        if (rc == 0)
            rc = consider_shot(p, &p->tracks[j], frame, &d[i], err);
    }
    for (size_t j = p->live; rc == 0 && j-- > 0;)
        if (t - p->tracks[j].last_t > p->o.track_max_gap || p->tracks[j].last_t > t)
            rc = track_end(p, j, err);
    p->st.analyse_ms += eyni_time_ms() - t0;
    return rc;
}

int eyni_video_pipeline_flush(eyni_video_pipeline *p, eyni_error *err)
{
    int rc = 0;
    while (p->live > 0 && rc == 0)
        rc = track_end(p, p->live - 1, err);
    while (p->live > 0)
        track_clear(&p->tracks[--p->live]);
    return rc;
}
