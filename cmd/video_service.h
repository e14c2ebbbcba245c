/* The video watch service inside eynid: cameras from the store, alerts into the store and
 * onto the event stream. */
#ifndef EYNI_CMD_VIDEO_SERVICE_H
#define EYNI_CMD_VIDEO_SERVICE_H

#include "common.h"
#include "eyni/events.h"

typedef struct video_service video_service;

/* Starts the watcher thread (returns at once; cameras start as they are registered).
 * video.enabled = 0 in the configuration turns it off (*out = NULL). */
int video_service_start(cmd_env *e, eyni_events *ev, video_service **out, eyni_error *err);
void video_service_stop(video_service *s);
/* video.blurred_copy: the sigma per eye distance of the blurred copies of wanted photos (made
 * by `eyni watch add-wanted`) and of the cohort (made by eynid), so both agree; 0 = none
 * (*rel = -1); default EYNI_VIDEO_BLURRED_COPY_DEFAULT. */
int video_service_blurred_copy(const eyni_config *cfg, float *rel, eyni_error *err);

#endif
