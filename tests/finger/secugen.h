/* The SecuGen ISO/IEC 19794-2 records shipped beside the FVC2002 images, read the same way by
 * every finger test. */
#ifndef TESTS_FINGER_SECUGEN_H
#define TESTS_FINGER_SECUGEN_H

#include <stdio.h>
#include <stdlib.h>

#include "eyni/finger.h"
#include "testutil.h"

/* The record of finger/impression in DB<db>_B; fails the test when it does not load as ISO. */
static inline eyni_finger_template *test_secugen(int db, int finger, int impression)
{
    char rel[128];
    snprintf(rel, sizeof rel, "fvc2002-b-real/DB%d_B/iso19794-2_templates/%d_%d.iso", db, finger,
             impression);
    char *p = eyni_test_path(rel);
    unsigned char *buf = NULL;
    size_t len = 0;
    eyni_error err;
    eyni_finger_template *t = NULL;
    eyni_finger_format fmt = 0;
    if (eyni_file_read(p, 1 << 20, &buf, &len, &err) ||
        eyni_finger_template_read(buf, len, rel, &t, &fmt, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(fmt, EYNI_FINGER_ISO);
    free(buf);
    free(p);
    return t;
}

#endif
