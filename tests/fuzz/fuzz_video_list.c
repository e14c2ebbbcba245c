/* Fuzz the wanted list parser (the one outside text the video module reads itself; video
 * containers and streams are parsed by FFmpeg's libavformat/libavcodec). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/video.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_video_list_item *items = NULL;
    size_t n = 0;
    eyni_error err;
    if (eyni_video_list_parse((const char *)data, size, &items, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            if (items[i].id <= 0 || !items[i].label[0] || !items[i].photo[0] ||
                strchr(items[i].label, '\t'))
                __builtin_trap(); /* an accepted line keeps the promised shape */
        free(items);
    } else if (items || n) {
        __builtin_trap(); /* a refusal leaves nothing behind */
    }
    return 0;
}
