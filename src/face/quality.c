/*
 * Portrait quality in the spirit of ICAO 9303 part 3 / ISO/IEC 19794-5 (full frontal):
 * exactly one face, enough pixels between the eyes, head straight (roll, yaw, pitch from
 * the landmarks), sharp, correctly exposed, centred and of a sensible size in the frame.
 */
#include <math.h>
#include <string.h>

#include "face_int.h"

#define Q_MIN_EYE_DISTANCE 60.0 /* ISO/IEC 19794-5 token frontal: 60 px between eye centres */
#define Q_MAX_ROLL         8.0  /* degrees */
#define Q_MAX_YAW          12.0
#define Q_MAX_PITCH        15.0
#define Q_MIN_SHARPNESS    40.0 /* variance of the Laplacian on the aligned 112x112 crop */
#define Q_MIN_BRIGHTNESS   60.0
#define Q_MAX_BRIGHTNESS   200.0
#define Q_MIN_CONTRAST     20.0
#define Q_MAX_CENTRE_DX    0.10 /* face centre off the vertical mid-line, fraction of width */
#define Q_EYES_MIN_Y       0.25 /* eye line as a fraction of height from the top */
#define Q_EYES_MAX_Y       0.60
#define Q_MIN_FACE_HEIGHT  0.15 /* eye-to-chin over image height */
#define Q_MAX_FACE_HEIGHT  0.55
#define Q_MIN_DET_SCORE    0.90f
#define Q_MIN_EYE_OPEN     0.5
/* Eye-nose over eye-mouth distance on the ArcFace template: a level head. */
#define Q_LEVEL_NOSE_RATIO 0.494

typedef struct reason_text {
    unsigned bit;
    const char *name;
    const char *advice;
    double weight; /* points off the score of 100 */
} reason_text;

static const reason_text REASONS[EYNI_FACE_REASON_COUNT] = {
    {EYNI_FACE_NO_FACE, "no_face", "no face found: check the camera framing", 100},
    {EYNI_FACE_MULTIPLE_FACES, "multiple_faces",
     "more than one face in the picture: only the applicant may be visible", 60},
    {EYNI_FACE_TOO_SMALL, "face_too_small", "face too small: move the camera closer or zoom in",
     40},
    {EYNI_FACE_TOO_LARGE, "face_too_large",
     "face too large: leave space around the head and shoulders", 30},
    {EYNI_FACE_NOT_CENTRED, "not_centred", "face not centred: centre the head in the frame", 20},
    {EYNI_FACE_ROLL, "head_tilted", "head tilted: ask the person to hold the head upright", 25},
    {EYNI_FACE_YAW, "head_turned", "head turned: ask the person to look straight at the camera",
     30},
    {EYNI_FACE_PITCH, "head_nodding", "head tipped up or down: ask the person to look level", 25},
    {EYNI_FACE_BLURRED, "blurred", "picture blurred: hold still and check the focus", 40},
    {EYNI_FACE_UNDEREXPOSED, "underexposed", "face too dark: add light on the face", 30},
    {EYNI_FACE_OVEREXPOSED, "overexposed", "face too bright: reduce the light or the flash", 30},
    {EYNI_FACE_LOW_CONTRAST, "low_contrast", "too little contrast on the face: check lighting", 20},
    {EYNI_FACE_LOW_CONFIDENCE, "low_confidence",
     "face barely recognisable: remove obstructions (hair, hands, glasses glare)", 30},
    {EYNI_FACE_EYES_CLOSED, "eyes_closed", "eyes closed: ask the person to keep the eyes open", 30},
};

const char *eyni_face_reason_name(unsigned bit)
{
    for (int i = 0; i < EYNI_FACE_REASON_COUNT; i++)
        if (REASONS[i].bit == bit)
            return REASONS[i].name;
    return NULL;
}

const char *eyni_face_reason_advice(unsigned bit)
{
    for (int i = 0; i < EYNI_FACE_REASON_COUNT; i++)
        if (REASONS[i].bit == bit)
            return REASONS[i].advice;
    return NULL;
}

static double deg(double rad)
{
    return rad * 180.0 / M_PI;
}

/* Roll from the eye line; yaw from how far the nose tip sits between the jaw contour's two
 * ends; pitch from the nose tip's height between the eye line and the mouth. */
static void pose(const eyni_face_det *d, eyni_face_quality *q)
{
    const eyni_face_point *f = d->five;
    q->roll = deg(atan2(f[1].y - f[0].y, f[1].x - f[0].x));
    double dl = hypot(f[2].x - d->lm[0].x, f[2].y - d->lm[0].y);
    double dr = hypot(d->lm[16].x - f[2].x, d->lm[16].y - f[2].y);
    double r = dl + dr > 0 ? (dr - dl) / (dr + dl) : 0;
    q->yaw = deg(asin(fmax(-1, fmin(1, r))));
    double ey = (f[0].y + f[1].y) / 2, my = (f[3].y + f[4].y) / 2;
    double ratio = my - ey > 1e-6 ? (f[2].y - ey) / (my - ey) : Q_LEVEL_NOSE_RATIO;
    q->pitch = deg(asin(fmax(-1, fmin(1, 2 * (ratio - Q_LEVEL_NOSE_RATIO)))));
}

/* Sharpness, brightness and contrast on the central part of the aligned face, so that the
 * figures do not depend on the image size or the background. */
static int texture(const eyni_image *img, const eyni_face_det *d, eyni_face_quality *q,
                   eyni_error *err)
{
    eyni_image *al = NULL;
    int rc = eyni_face_align(img, d, &al, err);
    if (rc)
        return rc;
    enum { S = EYNI_FACE_ALIGNED, LO = 24, HI = 100 };
    double sum = 0, sum2 = 0, lsum = 0, lsum2 = 0;
    size_t n = 0, ln = 0;
    for (int y = LO; y < HI; y++)
        for (int x = 16; x < S - 16; x++) {
            const unsigned char *p = al->data + ((size_t)y * S + x) * 3;
            double g = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            sum += g;
            sum2 += g * g;
            n++;
            const unsigned char *u = p - S * 3, *dn = p + S * 3, *l = p - 3, *r = p + 3;
            double lap = u[1] + dn[1] + l[1] + r[1] - 4.0 * p[1];
            lsum += lap;
            lsum2 += lap * lap;
            ln++;
        }
    eyni_image_free(al);
    q->brightness = sum / n;
    q->contrast = sqrt(fmax(0, sum2 / n - q->brightness * q->brightness));
    double lm = lsum / ln;
    q->sharpness = lsum2 / ln - lm * lm;
    return 0;
}

static unsigned judge(const eyni_image *img, const eyni_face_det *d, eyni_face_quality *q)
{
    unsigned r = 0;
    const eyni_face_point *f = d->five;
    q->eye_distance = hypot(f[1].x - f[0].x, f[1].y - f[0].y);
    double ey = (f[0].y + f[1].y) / 2, cx = (d->x1 + d->x2) / 2;
    q->centre_dx = (cx - img->width / 2.0) / img->width;
    q->centre_dy = ey / img->height;
    q->face_height = (d->lm[8].y - ey) / img->height;
    if (q->eye_distance < Q_MIN_EYE_DISTANCE || q->face_height < Q_MIN_FACE_HEIGHT)
        r |= EYNI_FACE_TOO_SMALL;
    if (q->face_height > Q_MAX_FACE_HEIGHT)
        r |= EYNI_FACE_TOO_LARGE;
    if (fabs(q->centre_dx) > Q_MAX_CENTRE_DX || q->centre_dy < Q_EYES_MIN_Y ||
        q->centre_dy > Q_EYES_MAX_Y)
        r |= EYNI_FACE_NOT_CENTRED;
    if (fabs(q->roll) > Q_MAX_ROLL)
        r |= EYNI_FACE_ROLL;
    if (fabs(q->yaw) > Q_MAX_YAW)
        r |= EYNI_FACE_YAW;
    if (fabs(q->pitch) > Q_MAX_PITCH)
        r |= EYNI_FACE_PITCH;
    if (q->sharpness < Q_MIN_SHARPNESS)
        r |= EYNI_FACE_BLURRED;
    if (q->brightness < Q_MIN_BRIGHTNESS)
        r |= EYNI_FACE_UNDEREXPOSED;
    if (q->brightness > Q_MAX_BRIGHTNESS)
        r |= EYNI_FACE_OVEREXPOSED;
    if (q->contrast < Q_MIN_CONTRAST)
        r |= EYNI_FACE_LOW_CONTRAST;
    if (d->score < Q_MIN_DET_SCORE)
        r |= EYNI_FACE_LOW_CONFIDENCE;
    if (q->eye_open[0] < Q_MIN_EYE_OPEN || q->eye_open[1] < Q_MIN_EYE_OPEN)
        r |= EYNI_FACE_EYES_CLOSED;
    return r;
}

/* 100 less the weight of every reason found; ok only when none was. */
static void score_reasons(eyni_face_quality *q)
{
    double score = 100;
    for (int i = 0; i < EYNI_FACE_REASON_COUNT; i++)
        if (q->reasons & REASONS[i].bit)
            score -= REASONS[i].weight;
    q->score = score < 0 ? 0 : score;
    q->ok = q->reasons == 0;
}

int eyni_face_quality_check(const eyni_face_engine *fe, const eyni_image *img, eyni_face_quality *q,
                            eyni_error *err)
{
    eyni_face_det dets[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    memset(q, 0, sizeof *q);
    int rc = eyni_face_detect(fe, img, dets, EYNI_FACE_MAX_FACES, &n, err);
    if (rc)
        return rc;
    q->faces = (int)n;
    if (n == 0) {
        q->reasons = EYNI_FACE_NO_FACE;
    } else {
        q->face = dets[eyni_face_primary(img, dets, n)];
        pose(&q->face, q);
        if ((rc = texture(img, &q->face, q, err)) ||
            (rc = face_eyes_open(fe, img, &q->face, q->eye_open, err)))
            return rc;
        q->reasons = judge(img, &q->face, q);
        if (n > 1)
            q->reasons |= EYNI_FACE_MULTIPLE_FACES;
    }
    score_reasons(q);
    return 0;
}

/*
 * Quality of one face found in a scene (a video frame): the same measures as a portrait,
 * but the reasons that describe the framing of a whole portrait (centring, a face filling
 * the image, other faces around) are left out, since in a crowd they say nothing about
 * whether this face is fit to be compared.
 */
int eyni_face_quality_of(const eyni_face_engine *fe, const eyni_image *img,
                         const eyni_face_det *det, eyni_face_quality *q, eyni_error *err)
{
    memset(q, 0, sizeof *q);
    q->faces = 1;
    q->face = *det;
    pose(det, q);
    int rc = texture(img, det, q, err);
    if (rc == 0)
        rc = face_eyes_open(fe, img, det, q->eye_open, err);
    if (rc)
        return rc;
    q->reasons = judge(img, det, q) &
                 ~(unsigned)(EYNI_FACE_NOT_CENTRED | EYNI_FACE_TOO_LARGE | EYNI_FACE_TOO_SMALL);
    /* judge() measures size against the portrait; in a scene only the eye distance counts */
    if (q->eye_distance < Q_MIN_EYE_DISTANCE)
        q->reasons |= EYNI_FACE_TOO_SMALL;
    score_reasons(q);
    return 0;
}
