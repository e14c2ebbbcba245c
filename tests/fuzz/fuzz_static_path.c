/* Fuzz the console's path check: whatever it accepts must stay inside the web folder (no
 * "..", no hidden names, no empty segments, no escapes or control characters). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = malloc(size + 1);
    if (!path)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    if (srv_static_path_ok(path)) {
        if (path[0] != '/' || strstr(path, "/.") || strstr(path, "//") || strchr(path, '\\') ||
            strchr(path, '%'))
            __builtin_trap();
        for (const char *p = path; *p; p++)
            if ((unsigned char)*p < 0x20)
                __builtin_trap();
    }
    free(path);
    return 0;
}
