/*
 * eyni/face.h - face detection, landmarks, alignment, embedding, liveness, portrait quality.
 *
 * One eyni_face_engine holds the ONNX sessions (loaded once, SHA-256 pinned). After
 * creation it is immutable: every function taking a const engine may be called from many
 * threads at once. Images may be grey or RGB of any size up to the eyni_image limits.
 *
 * Typical use by a service:
 *   eyni_face_engine_new(env, NULL, &fe, &err);
 *   eyni_face_detect(fe, img, dets, EYNI_FACE_MAX_FACES, &n, &err);
 *   eyni_face_quality_check(fe, img, &q, &err);    // verdict + reasons + best face
 *   eyni_face_embed(fe, img, &q.face, emb, &err);  // 512 floats, unit length
 *   eyni_face_template_encode(emb, buf, sizeof buf, &len, &err);
 *   s = eyni_face_compare(a, b);  if (s >= EYNI_FACE_THRESHOLD_FMR_1E4) ...
 */
#ifndef EYNI_FACE_H
#define EYNI_FACE_H

#include "eyni/base.h"
#include "eyni/image.h"
#include "eyni/onnx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_FACE_DIM            512 /* embedding length */
#define EYNI_FACE_MAX_FACES      64  /* detections returned at most */
#define EYNI_FACE_LANDMARKS      68  /* iBUG 68-point layout */
#define EYNI_FACE_ALIGNED        112 /* side of the aligned crop */
#define EYNI_FACE_TEMPLATE_BYTES 524 /* "EYF1", version, dim, scale, 512 int8 */

/*
 * Score thresholds (cosine of unit embeddings) at a target false-match rate, measured on
 * the impostor distribution of all 1,822 lfw-a-gray-dev images against each other
 * (1,655,267 impostor pairs; 1e-5 rests on 16 pairs); docs/face.md tells how.
 */
#define EYNI_FACE_THRESHOLD_FMR_1E3 0.3394
#define EYNI_FACE_THRESHOLD_FMR_1E4 0.4145
#define EYNI_FACE_THRESHOLD_FMR_1E5 0.4713

typedef struct eyni_face_engine eyni_face_engine;

typedef struct eyni_face_opts {
    const char *model_dir; /* NULL: eyni_onnx_model_dir() */
    int intra_threads;     /* ONNX Runtime threads per operator; 0 = 1 */
    int inter_threads;     /* 0 = 1 */
    int mirror;            /* 1: embedding = mean of the face and its mirror image */
    float min_score;       /* detection score floor; 0 = 0.7 */
} eyni_face_opts;

typedef struct eyni_face_point {
    float x, y;
} eyni_face_point;

/* One face: box in image pixels, detector score, landmarks and the five alignment points
 * (left eye centre, right eye centre, nose tip, left and right mouth corner; "left" is the
 * image left). */
typedef struct eyni_face_det {
    float x1, y1, x2, y2;
    float score;
    eyni_face_point lm[EYNI_FACE_LANDMARKS];
    eyni_face_point five[5];
} eyni_face_det;

int eyni_face_engine_new(eyni_onnx_env *env, const eyni_face_opts *opts, eyni_face_engine **out,
                         eyni_error *err);
void eyni_face_engine_free(eyni_face_engine *fe);

/* Every face, largest first (at most cap, *n set). *n == 0 is not an error. */
int eyni_face_detect(const eyni_face_engine *fe, const eyni_image *img, eyni_face_det *dets,
                     size_t cap, size_t *n, eyni_error *err);
/* Index of the subject in dets[0..n): of the faces at least half as tall as the largest,
 * the one nearest the image centre (a bystander at the edge is not the subject). */
size_t eyni_face_primary(const eyni_image *img, const eyni_face_det *dets, size_t n);
/* The 112x112 crop aligned by a similarity transform of the five points to the ArcFace
 * template (RGB). Caller frees *out. */
int eyni_face_align(const eyni_image *img, const eyni_face_det *det, eyni_image **out,
                    eyni_error *err);
/* Unit-length embedding of one detected face. */
int eyni_face_embed(const eyni_face_engine *fe, const eyni_image *img, const eyni_face_det *det,
                    float emb[EYNI_FACE_DIM], eyni_error *err);
/* Cosine similarity of two unit embeddings, in -1..1; higher is more alike. */
float eyni_face_compare(const float *a, const float *b);
/* Estimated false-match rate of a score, interpolated (log-linear) on the measured
 * impostor table; above the highest impostor score it stays at the smallest rate measured
 * (about 1e-6), which is a floor of what the data can show, not a claim. */
double eyni_face_score_fmr(float score);

/*
 * Presentation-attack score in 0..1 (1 = live) from fr_liveness.onnx for the face in det,
 * computed on the box enlarged 2.7 times. Not validated on attack data: see docs/face.md.
 */
int eyni_face_liveness(const eyni_face_engine *fe, const eyni_image *img, const eyni_face_det *det,
                       float *live, eyni_error *err);

/* ---- portrait quality (ICAO 9303 / ISO/IEC 19794-5 in spirit) ------------------------ */

typedef enum eyni_face_reason {
    EYNI_FACE_NO_FACE = 1u << 0,
    EYNI_FACE_MULTIPLE_FACES = 1u << 1,
    EYNI_FACE_TOO_SMALL = 1u << 2, /* inter-eye distance below the minimum */
    EYNI_FACE_TOO_LARGE = 1u << 3, /* face leaves no margin around the head */
    EYNI_FACE_NOT_CENTRED = 1u << 4,
    EYNI_FACE_ROLL = 1u << 5,  /* head tilted in the image plane */
    EYNI_FACE_YAW = 1u << 6,   /* head turned left/right */
    EYNI_FACE_PITCH = 1u << 7, /* head nodding up/down */
    EYNI_FACE_BLURRED = 1u << 8,
    EYNI_FACE_UNDEREXPOSED = 1u << 9,
    EYNI_FACE_OVEREXPOSED = 1u << 10,
    EYNI_FACE_LOW_CONTRAST = 1u << 11,
    EYNI_FACE_LOW_CONFIDENCE = 1u << 12, /* detector not sure this is a face */
    EYNI_FACE_EYES_CLOSED = 1u << 13     /* either eye judged closed by fr_eye.onnx */
} eyni_face_reason;

#define EYNI_FACE_REASON_COUNT 14

typedef struct eyni_face_quality {
    int ok;                      /* 1 when reasons == 0 */
    unsigned reasons;            /* OR of eyni_face_reason */
    double score;                /* 0..100, higher is better */
    int faces;                   /* faces found */
    eyni_face_det face;          /* the subject (eyni_face_primary), valid when faces > 0 */
    double eye_distance;         /* pixels between eye centres */
    double roll, yaw, pitch;     /* degrees, estimated from landmarks */
    double sharpness;            /* variance of the Laplacian on the aligned face */
    double brightness;           /* mean grey of the face, 0..255 */
    double contrast;             /* standard deviation of grey on the face */
    double centre_dx, centre_dy; /* face centre offset as a fraction of image width/height */
    double face_height;          /* eye-to-chin estimate as a fraction of the image height */
    double eye_open[2];          /* probability each eye (image left, right) is open */
} eyni_face_quality;

/* Stable name of one reason bit ("multiple_faces", ...); NULL for an unknown bit. */
const char *eyni_face_reason_name(unsigned bit);
/* A sentence an operator can act on ("ask the person to look straight at the camera"). */
const char *eyni_face_reason_advice(unsigned bit);
/* Checks a portrait. A bad portrait is not an error: q->ok == 0 and q->reasons say why. */
int eyni_face_quality_check(const eyni_face_engine *fe, const eyni_image *img, eyni_face_quality *q,
                            eyni_error *err);
/* Quality of one detected face in a scene (video frame, crowd): the portrait measures
 * without the framing reasons (not centred, too large, other faces); too small still
 * counts by the eye distance. Used to pick a track's best shot. */
int eyni_face_quality_of(const eyni_face_engine *fe, const eyni_image *img,
                         const eyni_face_det *det, eyni_face_quality *q, eyni_error *err);

/* ---- templates ----------------------------------------------------------------------- */

/* int8 form used by galleries: q[i] = round(emb[i] * 127 / max|emb|), scale = max|emb|/127. */
void eyni_face_quantize(const float emb[EYNI_FACE_DIM], int8_t q[EYNI_FACE_DIM], float *scale);
/* Serialises: "EYF1", version, dim, float scale (little endian), 512 int8; exactly
 * EYNI_FACE_TEMPLATE_BYTES. cap must be at least that. */
int eyni_face_template_encode(const float emb[EYNI_FACE_DIM], unsigned char *buf, size_t cap,
                              size_t *len, eyni_error *err);
/* Parses untrusted bytes back into a unit embedding; EFORMAT on any inconsistency. */
int eyni_face_template_decode(const unsigned char *buf, size_t len, float emb[EYNI_FACE_DIM],
                              eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif
