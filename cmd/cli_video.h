/* Shared pieces of `eyni watch` and `eyni bench video`. */
#ifndef EYNI_CLI_VIDEO_H
#define EYNI_CLI_VIDEO_H

#include "eyni/video.h"

typedef struct cli_video_engine {
    eyni_onnx_env *env;
    eyni_face_engine *fe;
    eyni_video_wanted *wanted;
} cli_video_engine;

/* Face engine (one thread per camera) and the wanted gallery from a list file (or empty). */
/* blurred_copy: sigma per eye distance of each wanted photo's blurred copy; 0 = the default,
 * < 0 = none. */
int cli_video_engine_open(cli_video_engine *v, const char *wanted_list, float blurred_copy,
                          eyni_error *err);
void cli_video_engine_close(cli_video_engine *v);
json_t *cli_video_alert_json(const eyni_video_alert *a);
json_t *cli_video_stats_json(const char *name, const eyni_video_camera_stats *s);
/* The server-backed subcommands (add-camera, list, events, add-wanted). */
int cli_watch_desk(int argc, char **argv);

#endif
