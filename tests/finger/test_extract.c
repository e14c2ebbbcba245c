/* Extraction, matching and quality on real FVC2002 impressions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/finger.h"
#include "testutil.h"

#define FVC "fvc2002-b-real/"

static eyni_image *load(const char *rel)
{
    char *p = eyni_test_path(rel);
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_load(p, 1, &img, &err))
        fail_msg("%s", err.msg);
    free(p);
    return img;
}

static eyni_finger_template *extract(const eyni_image *img, double ppi, eyni_finger_quality *q)
{
    eyni_finger_template *t = NULL;
    eyni_finger_opts o = {ppi, 1};
    eyni_error err;
    if (eyni_finger_extract(img, &o, &t, q, &err))
        fail_msg("%s", err.msg);
    return t;
}

static eyni_finger_template *extract_file(const char *rel, double ppi)
{
    eyni_image *img = load(rel);
    eyni_finger_template *t = extract(img, ppi, NULL);
    eyni_image_free(img);
    return t;
}

static void minutiae_are_plausible_and_inside(void **state)
{
    eyni_image *img = load(FVC "DB1_B/images/101_1.tif");
    eyni_finger_quality q;
    eyni_finger_template *t = extract(img, 500, &q);
    assert_true(t->n_minutiae >= 15 && t->n_minutiae <= 120);
    assert_int_equal(t->width, img->width);
    assert_int_equal(t->res_x, 197);
    int endings = 0, bifs = 0;
    for (int i = 0; i < t->n_minutiae; i++) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        assert_true(m->x >= 0 && m->x < t->width && m->y >= 0 && m->y < t->height);
        assert_true(m->angle >= 0 && m->angle < 2 * M_PI);
        assert_true(m->quality >= 1 && m->quality <= 100);
        endings += m->type == EYNI_FINGER_ENDING;
        bifs += m->type == EYNI_FINGER_BIFURCATION;
    }
    assert_true(endings > 0 && bifs > 0);
    /* 101_1 is a loop whose innermost recurve (read off the image) is near (162, 218). */
    int core = 0;
    for (int i = 0; i < t->n_singular; i++)
        core |=
            t->singular[i].type == 1 && hypot(t->singular[i].x - 162, t->singular[i].y - 218) < 30;
    assert_true(core);
    assert_true(q.score >= 50 && q.score <= 100);
    assert_int_equal(t->quality, q.score);
    assert_int_equal(t->position, 1);
    eyni_finger_template_free(t);
    eyni_image_free(img);
}

/* The FVC genuine/impostor separation on a handful of real pairs, per sensor. */
static void genuine_pairs_outscore_impostors(void **state)
{
    const char *dbs[3] = {"DB1_B", "DB2_B", "DB3_B"};
    const double ppi[3] = {500, 569, 500};
    for (int d = 0; d < 3; d++) {
        char rel[128];
        eyni_finger_template *t[4];
        const char *names[4] = {"102_1", "102_2", "104_1", "106_2"};
        for (int i = 0; i < 4; i++) {
            snprintf(rel, sizeof rel, FVC "%s/images/%s.tif", dbs[d], names[i]);
            t[i] = extract_file(rel, ppi[d]);
        }
        double gen = eyni_finger_compare(t[0], t[1]);
        double imp = fmax(fmax(eyni_finger_compare(t[0], t[2]), eyni_finger_compare(t[0], t[3])),
                          fmax(eyni_finger_compare(t[1], t[2]), eyni_finger_compare(t[2], t[3])));
        assert_true(gen > imp);
        /* At the FMR 1e-3 operating point: twelve fixed impostor pairs against the 1e-2
         * threshold would each exceed it by design in one case out of a hundred. */
        assert_true(imp < EYNI_FINGER_THRESHOLD_FMR_1E3);
        /* Symmetric, and a template matches itself best. */
        assert_true(eyni_finger_compare(t[0], t[2]) == eyni_finger_compare(t[2], t[0]));
        assert_true(eyni_finger_compare(t[0], t[0]) > gen);
        for (int i = 0; i < 4; i++)
            eyni_finger_template_free(t[i]);
    }
}

/* The same impression rotated by 30 degrees about its centre and shifted. */
static void rotated_and_shifted_impression_still_matches(void **state)
{
    eyni_image *img = load(FVC "DB1_B/images/103_1.tif");
    double a = 30 * M_PI / 180, c = cos(a), s = sin(a);
    int w = img->width + 120, h = img->height + 120;
    double cx = w / 2.0, cy = h / 2.0, sx = img->width / 2.0 - 25, sy = img->height / 2.0 + 15;
    double m[6] = {c, -s, sx - c * cx + s * cy, s, c, sy - s * cx - c * cy};
    eyni_image *rot = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_warp_affine(img, m, w, h, 255, &rot, &err), 0);
    eyni_finger_template *t0 = extract(img, 500, NULL), *t1 = extract(rot, 500, NULL);
    eyni_finger_template *imp = extract_file(FVC "DB1_B/images/105_1.tif", 500);
    double same = eyni_finger_compare(t0, t1), other = eyni_finger_compare(t0, imp);
    assert_true(same > 3 * EYNI_FINGER_THRESHOLD_FMR_1E4);
    assert_true(same > 4 * other);
    eyni_finger_template_free(t0);
    eyni_finger_template_free(t1);
    eyni_finger_template_free(imp);
    eyni_image_free(rot);
    eyni_image_free(img);
}

/* Smudging (heavy blur) and cropping to a corner both lower the quality score. */
static void quality_ranks_smudged_and_cropped_lower(void **state)
{
    eyni_image *img = load(FVC "DB1_B/images/104_1.tif");
    eyni_finger_quality q0, q1, q2;
    eyni_finger_template_free(extract(img, 500, &q0));
    eyni_error err;
    eyni_image *small = NULL, *smudged = NULL, *crop = NULL;
    assert_int_equal(eyni_image_resize(img, img->width / 6, img->height / 6, &small, &err), 0);
    assert_int_equal(eyni_image_resize(small, img->width, img->height, &smudged, &err), 0);
    eyni_finger_template *ts = NULL;
    eyni_finger_opts o = {500, 0};
    int rc = eyni_finger_extract(smudged, &o, &ts, &q1, &err);
    if (rc == 0)
        assert_true(q1.score < q0.score - 20);
    else
        assert_int_equal(rc, EYNI_EQUALITY);
    double m[6] = {1, 0, 0, 0, 1, 0};
    assert_int_equal(eyni_image_warp_affine(img, m, 130, 130, 255, &crop, &err), 0);
    eyni_finger_template *tc = NULL;
    rc = eyni_finger_extract(crop, &o, &tc, &q2, &err);
    if (rc == 0)
        assert_true(q2.score < q0.score - 20);
    else
        assert_int_equal(rc, EYNI_EQUALITY);
    eyni_finger_template_free(ts);
    eyni_finger_template_free(tc);
    eyni_image_free(small);
    eyni_image_free(smudged);
    eyni_image_free(crop);
    eyni_image_free(img);
}

static void bad_images_get_clear_errors(void **state)
{
    eyni_error err;
    eyni_finger_template *t = NULL;
    eyni_image *white = NULL;
    eyni_finger_opts o = {500, 0};
    /* all white */
    white = eyni_image_new(300, 300, 1, &err);
    memset(white->data, 255, 300 * 300);
    assert_int_equal(eyni_finger_extract(white, &o, &t, NULL, &err), EYNI_EQUALITY);
    assert_non_null(strstr(err.msg, "no fingerprint"));
    /* tiny */
    eyni_image *tiny = eyni_image_new(20, 20, 1, &err);
    assert_int_equal(eyni_finger_extract(tiny, &o, &t, NULL, &err), EYNI_EINVAL);
    /* absurd resolution */
    white->ppi = 5000;
    assert_int_equal(eyni_finger_extract(white, &o, &t, NULL, &err), EYNI_EINVAL);
    assert_null(t);
    /* corrupt, truncated, empty bytes never reach the extractor */
    unsigned char *buf = NULL;
    size_t len = 0;
    char *p = eyni_test_path(FVC "DB1_B/images/101_1.tif");
    assert_int_equal(eyni_file_read(p, 1 << 24, &buf, &len, &err), 0);
    eyni_image *img = NULL;
    assert_true(eyni_image_decode(buf, len / 3, 1, &img, &err) < 0);
    assert_true(eyni_image_decode(buf, 0, 1, &img, &err) < 0);
    memset(buf + 8, 0xff, 64);
    assert_true(eyni_image_decode(buf, len, 1, &img, &err) < 0 || img != NULL);
    eyni_image_free(img);
    /* oversized: refused before pixels are allocated */
    assert_null(eyni_image_new(EYNI_IMAGE_MAX_SIDE + 1, 10, 1, &err));
    free(buf);
    free(p);
    eyni_image_free(white);
    eyni_image_free(tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minutiae_are_plausible_and_inside),
        cmocka_unit_test(genuine_pairs_outscore_impostors),
        cmocka_unit_test(rotated_and_shifted_impression_still_matches),
        cmocka_unit_test(quality_ranks_smudged_and_cropped_lower),
        cmocka_unit_test(bad_images_get_clear_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
