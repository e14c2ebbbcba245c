/* The video watch service inside eynid: cameras from the store, alerts into the store and
 * onto the event stream. */
#ifndef EYNI_CMD_VIDEO_SERVICE_H
#define EYNI_CMD_VIDEO_SERVICE_H

#include "common.h"
#include "eyni/events.h"
#include "eyni/server.h"
#include "eyni/video.h"

typedef struct video_service video_service;

/* Starts the watcher thread (returns at once; cameras start as they are registered).
 * video.enabled = 0 in the configuration turns it off (*out = NULL). */
int video_service_start(cmd_env *e, eyni_events *ev, video_service **out, eyni_error *err);
void video_service_stop(video_service *s);
/* video.blurred_copy: the sigma per eye distance of the blurred copies of wanted photos (made
 * by `eyni watch add-wanted`) and of the cohort (made by eynid), so both agree; 0 = none
 * (*rel = -1); default EYNI_VIDEO_BLURRED_COPY_DEFAULT. */
int video_service_blurred_copy(const eyni_config *cfg, float *rel, eyni_error *err);
/* A wanted photo's embedding, its blurred copy's (*copy 0 when the face is too small for
 * one: rel is video.blurred_copy) and the enrolment check's verdict in *quality ({"score",
 * "reasons", "warnings":[{"reason","advice"}]}); EQUALITY when it shows no face. Shared by
 * `eyni watch add-wanted` and POST /v1/watch/wanted. */
int video_wanted_photo(const eyni_face_engine *fe, const eyni_image *img, float rel,
                       float emb[EYNI_FACE_DIM], float blurred[EYNI_FACE_DIM], int *copy,
                       json_t **quality, eyni_error *err);
/* What the server embeds wanted photos with (fn NULL when the service is off: s NULL). */
eyni_server_wanted_embedder video_service_embedder(video_service *s);

#endif
