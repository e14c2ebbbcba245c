/* Module-private declarations of the video module. */
#ifndef EYNI_VIDEO_INT_H
#define EYNI_VIDEO_INT_H

#include "eyni/video.h"

/* IoU of two boxes given as x1, y1, x2, y2. */
float video_iou(const float a[4], const float b[4]);

#endif
