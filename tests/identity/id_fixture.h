/* Shared pieces of the identity tests: samples read from the test data, and an identity
 * service over a register. */
#ifndef ID_FIXTURE_H
#define ID_FIXTURE_H

#include <stdlib.h>

#include "eyni/identity.h"
#include "testutil.h"

/* The file rel (below the test data) as one sample; free with fixture_free_samples. */
static inline eyni_sample_in fixture_sample(const char *modality, int position, const char *rel)
{
    char *p = eyni_test_path(rel);
    unsigned char *buf;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_file_read(p, 1 << 22, &buf, &len, &err), 0);
    free(p);
    return (eyni_sample_in){modality, position, buf, len};
}

static inline void fixture_free_samples(eyni_sample_in *s, int n)
{
    for (int i = 0; i < n; i++)
        free((void *)s[i].data);
}

static inline eyni_identity *fixture_identity(eyni_register *r)
{
    eyni_identity *id = NULL;
    eyni_error err;
    if (eyni_identity_open(r, NULL, &id, &err))
        fail_msg("%s", err.msg);
    return id;
}

#endif
