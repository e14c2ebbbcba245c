/* Fuzz the configuration file reader and the UTF-8 name folding. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "eyni/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/eyni-fuzz-config-%ld", (long)getpid());
    eyni_error err;
    if (eyni_file_write_atomic(path, data, size, 0600, &err) != 0)
        return 0;
    eyni_config *cfg = eyni_config_new();
    if (cfg) {
        eyni_config_load_file(cfg, path, &err);
        eyni_config_free(cfg);
    }
    unlink(path);
    char text[128], folded[64];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    for (size_t i = 0; i < n; i++)
        text[i] = data[i] ? (char)data[i] : ' ';
    text[n] = '\0';
    eyni_text_fold(text, folded, sizeof folded, &err);
    return 0;
}
