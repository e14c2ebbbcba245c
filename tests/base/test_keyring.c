#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/base.h"
#include "testutil.h"

static char *make_keys(int n)
{
    char *dir = eyni_test_tmpdir("keyring");
    for (int i = 1; i <= n; i++) {
        char path[4200];
        unsigned char k[32];
        eyni_error err;
        snprintf(path, sizeof path, "%s/data-%d.key", dir, i);
        assert_int_equal(eyni_random_bytes(k, sizeof k, &err), 0);
        assert_int_equal(eyni_file_write_atomic(path, k, sizeof k, 0600, &err), 0);
    }
    return dir;
}

static void sealed_blobs_open_only_for_their_record(void **state)
{
    char *dir = make_keys(1);
    eyni_keyring *kr;
    eyni_error err;
    assert_int_equal(eyni_keyring_load(dir, 1, &kr, &err), 0);
    const char msg[] = "minutiae template bytes";
    unsigned char *blob, *back;
    size_t n, m;
    assert_int_equal(eyni_keyring_seal(kr, "ABC1234/finger/2", 16, msg, sizeof msg, &blob, &n, &err),
                     0);
    assert_int_equal(n, sizeof msg + EYNI_SEAL_OVERHEAD);
    assert_null(memmem(blob, n, "minutiae", 8));
    assert_int_equal(eyni_keyring_open(kr, "ABC1234/finger/2", 16, blob, n, &back, &m, &err), 0);
    assert_int_equal(m, sizeof msg);
    assert_memory_equal(back, msg, m);
    free(back);
    /* Another record's associated data, a flipped bit, or a cut blob: refused. */
    assert_int_equal(eyni_keyring_open(kr, "ZZZ9999/finger/2", 16, blob, n, &back, &m, &err),
                     EYNI_ECRYPTO);
    blob[25] ^= 1;
    assert_int_equal(eyni_keyring_open(kr, "ABC1234/finger/2", 16, blob, n, &back, &m, &err),
                     EYNI_ECRYPTO);
    blob[25] ^= 1;
    assert_int_equal(eyni_keyring_open(kr, "ABC1234/finger/2", 16, blob, 10, &back, &m, &err),
                     EYNI_ECRYPTO);
    free(blob);
    eyni_keyring_free(kr);
    free(dir);
}

static void rotation_keeps_old_blobs_readable(void **state)
{
    char *dir = make_keys(2);
    eyni_keyring *old, *now;
    eyni_error err;
    assert_int_equal(eyni_keyring_load(dir, 1, &old, &err), 0);
    assert_int_equal(eyni_keyring_load(dir, 2, &now, &err), 0);
    assert_int_equal(eyni_keyring_active(now), 2);
    unsigned char *b1, *b2, *p;
    size_t n1, n2, m;
    assert_int_equal(eyni_keyring_seal(old, "x", 1, "old", 3, &b1, &n1, &err), 0);
    assert_int_equal(eyni_keyring_seal(now, "x", 1, "new", 3, &b2, &n2, &err), 0);
    assert_int_equal(b1[7], 1);
    assert_int_equal(b2[7], 2);
    assert_int_equal(eyni_keyring_open(now, "x", 1, b1, n1, &p, &m, &err), 0);
    assert_memory_equal(p, "old", 3);
    free(p);
    free(b1);
    free(b2);
    eyni_keyring_free(old);
    eyni_keyring_free(now);
    assert_int_equal(eyni_keyring_load(dir, 3, &now, &err), EYNI_ENOTFOUND);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sealed_blobs_open_only_for_their_record),
        cmocka_unit_test(rotation_keeps_old_blobs_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
