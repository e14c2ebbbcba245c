/* Fuzz what a sharded node reads from outside: a peer node's answer to a shard search, and
 * a shard set (from the configuration or another node's row in `nodes`). Whatever the
 * answer check accepts must only name shards that were asked for. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { SHARDS = 8 };
    unsigned char asked[SHARDS] = {1, 0, 1, 1, 0, 0, 1, 0}, searched[SHARDS] = {0};
    eyni_error err;
    json_t *hits = NULL;
    if (eyni_identity_peer_reply_check((const char *)data, size, SHARDS, asked, searched, &hits,
                                       &err) == 0) {
        for (int s = 0; s < SHARDS; s++)
            if (searched[s] && !asked[s])
                abort();
        if (!json_is_array(hits))
            abort();
        json_decref(hits);
    }
    char text[256];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    for (size_t i = 0; i < n; i++)
        text[i] = data[i] ? (char)data[i] : ' ';
    text[n] = '\0';
    unsigned char held[64];
    eyni_identity_shards_parse(text, 64, held, &err);
    return 0;
}
