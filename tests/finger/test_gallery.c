/* 1:N gallery: enrol SecuGen records of FVC2002 DB1, search, remove. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/finger.h"
#include "testutil.h"

static eyni_finger_template *record(int finger, int impression)
{
    char rel[128];
    snprintf(rel, sizeof rel, "fvc2002-b-real/DB1_B/iso19794-2_templates/%d_%d.iso", finger,
             impression);
    char *p = eyni_test_path(rel);
    unsigned char *buf = NULL;
    size_t len = 0;
    eyni_error err;
    eyni_finger_template *t = NULL;
    if (eyni_file_read(p, 1 << 20, &buf, &len, &err) ||
        eyni_finger_template_read(buf, len, rel, &t, NULL, &err))
        fail_msg("%s", err.msg);
    free(buf);
    free(p);
    return t;
}

static void search_finds_each_mate_first(void **state)
{
    eyni_finger_gallery *g = NULL;
    eyni_error err;
    assert_int_equal(eyni_finger_gallery_new(&g, &err), 0);
    for (int f = 101; f <= 110; f++) {
        eyni_finger_template *t = record(f, 1);
        assert_int_equal(eyni_finger_gallery_add(g, f, t, &err), 0);
        assert_int_equal(eyni_finger_gallery_add(g, f, t, &err), EYNI_EEXIST);
        eyni_finger_template_free(t);
    }
    assert_int_equal(eyni_finger_gallery_size(g), 10);
    int found = 0;
    for (int f = 101; f <= 110; f++) {
        eyni_finger_template *probe = record(f, 2);
        eyni_finger_hit hits[3];
        int n = 0;
        assert_int_equal(eyni_finger_gallery_search(g, probe, 3, 2, hits, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_true(hits[0].score >= hits[1].score && hits[1].score >= hits[2].score);
        found += hits[0].id == f;
        /* Same score as the 1:1 comparison. */
        eyni_finger_template *mate = record((int)hits[0].id, 1);
        assert_true(fabs(eyni_finger_compare(probe, mate) - hits[0].score) < 1e-9);
        eyni_finger_template_free(mate);
        eyni_finger_template_free(probe);
    }
    assert_true(found >= 9);
    assert_int_equal(eyni_finger_gallery_remove(g, 105, &err), 0);
    assert_int_equal(eyni_finger_gallery_remove(g, 105, &err), EYNI_ENOTFOUND);
    eyni_finger_template *probe = record(105, 2);
    eyni_finger_hit hits[10];
    int n = 0;
    assert_int_equal(eyni_finger_gallery_search(g, probe, 10, 3, hits, &n, &err), 0);
    assert_int_equal(n, 9);
    for (int i = 0; i < n; i++)
        assert_true(hits[i].id != 105);
    assert_int_equal(eyni_finger_gallery_search(g, probe, 0, 1, hits, &n, &err), EYNI_EINVAL);
    eyni_finger_template_free(probe);
    eyni_finger_gallery_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_finds_each_mate_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
