/* Fuzz the DNA service's request parsing end to end: one JSON body as an add, a search, a
 * familial search, a kinship and an RMP request on an in-memory keyed register. Whatever
 * an add acknowledges must read back. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/dnareg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

/* The key folder goes when the fuzzing process ends. */
static void remove_keys(void)
{
    char path[96];
    snprintf(path, sizeof path, "%s/data-1.key", dir);
    unlink(path);
    rmdir(dir);
}

/* A data key for the sealed profiles, made once per fuzzing process. */
static const char *key_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/eyni-fuzz-dna-XXXXXX");
        char path[96];
        unsigned char k[32] = {1, 2, 3, 4, 5, 6, 7, 8};
        eyni_error err;
        if (!mkdtemp(dir) || snprintf(path, sizeof path, "%s/data-1.key", dir) < 0 ||
            eyni_file_write_atomic(path, k, sizeof k, 0600, &err))
            __builtin_trap();
        atexit(remove_keys);
    }
    return dir;
}

typedef int (*query_fn)(eyni_dnareg *, const eyni_actor *, const json_t *, json_t **, eyni_error *);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_register_opts o = {
        "sqlite::memory:", 1, 0, NULL, NULL, key_dir(), 1, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    eyni_dnareg *dna = NULL;
    eyni_error err;
    if (eyni_register_open(&o, &reg, &err) || eyni_dnareg_open(reg, NULL, &dna, &err))
        __builtin_trap(); /* the fixture itself must work */
    json_t *in = NULL;
    if (eyni_json_parse_object((const char *)data, size, &in, &err) == 0) {
        eyni_actor a;
        eyni_actor_local(&a, "FUZZ", "fuzzing");
        json_t *out = NULL;
        if (eyni_dnareg_add(dna, &a, in, &out, &err) == 0) {
            json_t *back = NULL;
            if (eyni_dnareg_get(dna, &a, json_string_value(json_object_get(out, "kind")),
                                json_string_value(json_object_get(out, "id")), &back, &err))
                __builtin_trap(); /* what was acknowledged must be readable */
            json_decref(back);
        }
        json_decref(out);
        query_fn fns[] = {eyni_dnareg_search, eyni_dnareg_familial, eyni_dnareg_kinship,
                          eyni_dnareg_rmp};
        for (int i = 0; i < 4; i++) {
            out = NULL;
            if (fns[i](dna, &a, in, &out, &err) == 0)
                json_decref(out);
        }
        json_decref(in);
    }
    eyni_dnareg_close(dna);
    eyni_register_close(reg);
    return 0;
}
