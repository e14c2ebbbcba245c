/* Module-private declarations of the face engine. */
#ifndef EYNI_FACE_INT_H
#define EYNI_FACE_INT_H

#include "eyni/face.h"

/* Detector geometry: fr_detect.onnx takes 1x3x240x320 and emits 4420 decoded boxes. */
#define FACE_DET_W        320
#define FACE_DET_H        240
#define FACE_DET_PRIORS   4420
#define FACE_DET_NMS_IOU  0.3f
#define FACE_LM_SIDE      64
#define FACE_LIVE_SIDE    128
#define FACE_LIVE_ENLARGE 2.7

struct eyni_face_engine {
    eyni_onnx_session *detect;
    eyni_onnx_session *landmark;
    eyni_onnx_session *feature;
    eyni_onnx_session *liveness;
    int mirror;
    float min_score;
};

/* Runs one float input -> one float output model with fixed shapes. */
int face_run1(eyni_onnx_session *s, const char *in_name, float *in, const int64_t *shape,
              size_t rank, const char *out_name, float *out, size_t out_count, eyni_error *err);
/* Samples the rectangle (x0, y0, w, h) of img into an ow x oh image with `channels`
 * channels (grey or RGB), bilinear, outside pixels grey 127. */
int face_crop(const eyni_image *img, double x0, double y0, double w, double h, int ow, int oh,
              int channels, unsigned char fill, eyni_image **out, eyni_error *err);
/* Fills five[] from the 68 landmarks. */
void face_five_points(eyni_face_det *d);
/* Landmarks of one box (det->x1..y2 set); fills det->lm and det->five. */
int face_landmarks(const eyni_face_engine *fe, const eyni_image *grey, eyni_face_det *det,
                   eyni_error *err);

#endif
