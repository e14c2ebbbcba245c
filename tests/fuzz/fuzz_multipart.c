/* Fuzz the collection of multipart parts and their use by a request: any order of pieces
 * (names, offsets, sizes) as the post processor might deliver them, then the "request"
 * document and the part names its samples give. libmicrohttpd parses the MIME framing
 * itself; this is the code that sits between its callbacks and the handlers. Invariants:
 * no part exceeds its cap, a used part is never empty and never handed out twice. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/server_int.h"

#define PART_MAX 300 /* small, so the cap is reached often */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds pieces: [name length 0..7][name][offset byte: 0xff continues the last part][size]
 * [bytes]; stops at the first refusal, as the post processor would. */
static int feed(srv_parts *p, const uint8_t *d, size_t n)
{
    size_t i = 0;
    char name[8] = "", last[8] = "";
    uint64_t lastlen = 0;
    eyni_error err;
    while (i + 3 <= n) {
        size_t nl = d[i++] % 8;
        if (i + nl + 2 > n)
            break;
        memcpy(name, d + i, nl);
        name[nl] = '\0';
        i += nl;
        uint64_t off = d[i] == 0xff && !strcmp(name, last) ? lastlen : d[i] % 4;
        size_t len = d[i + 1];
        i += 2;
        if (len > n - i)
            len = n - i;
        if (srv_parts_add(p, name, off, (const char *)d + i, len, &err))
            return -1;
        i += len;
        lastlen = !strcmp(name, last) && off == lastlen ? lastlen + len : off + len;
        memcpy(last, name, sizeof last);
    }
    return 0;
}

static void use_samples(srv_parts *p, const json_t *in)
{
    eyni_error err;
    const json_t *arr = json_object_get(in, "samples");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(arr, i), "part"));
        if (!name)
            continue;
        const srv_part *t = srv_parts_use(p, name, &err);
        if (t && (t->len == 0 || t->len > PART_MAX || !t->used))
            abort();
        if (t && srv_parts_use(p, name, &err))
            abort(); /* handed out twice */
    }
    srv_parts_all_used(p, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srv_parts *p = srv_parts_new(PART_MAX);
    if (!p)
        return 0;
    json_t *in = NULL;
    eyni_error err;
    if (feed(p, data, size) == 0 && srv_parts_request(p, &in, &err) == 0)
        use_samples(p, in);
    json_decref(in);
    srv_parts_free(p);
    return 0;
}
