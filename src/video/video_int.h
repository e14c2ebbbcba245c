/* Module-private declarations of the video module. */
#ifndef EYNI_VIDEO_INT_H
#define EYNI_VIDEO_INT_H

#include "eyni/video.h"

/* IoU of two boxes given as x1, y1, x2, y2. */
float video_iou(const float a[4], const float b[4]);

/* Faces of a frame with a detector score of at least min_score, at most cap: the whole frame,
 * then (tiles >= 2) a tiles x tiles grid of overlapping tiles for the small faces. */
int video_detect(const eyni_face_engine *fe, const eyni_image *frame, int tiles, float min_score,
                 eyni_face_det *out, size_t cap, size_t *n, eyni_error *err);

#endif
