/* Face engine on real LFW and ORL images: detection, alignment, matching, quality. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/face.h"
#include "testutil.h"

typedef struct fixture {
    eyni_onnx_env *env;
    eyni_face_engine *fe;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    eyni_error err;
    if (eyni_onnx_env_new("test-face", &f->env, &err) ||
        eyni_face_engine_new(f->env, NULL, &f->fe, &err))
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    eyni_face_engine_free(f->fe);
    eyni_onnx_env_free(f->env);
    free(f);
    return 0;
}

static eyni_image *load(const char *rel)
{
    char *p = eyni_test_path(rel);
    eyni_image *img = NULL;
    eyni_error err;
    if (eyni_image_load(p, 0, &img, &err))
        fail_msg("%s", err.msg);
    free(p);
    return img;
}

#define LFW(name, n) "lfw-a-gray-dev/images/" name "/" name "_000" #n ".jpg"

/* Embedding of the subject of an image; fails the test when there is no face. */
static void embed(const fixture *f, const eyni_image *img, float *emb)
{
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    eyni_error err;
    if (eyni_face_detect(f->fe, img, d, EYNI_FACE_MAX_FACES, &n, &err))
        fail_msg("%s", err.msg);
    assert_true(n >= 1);
    if (eyni_face_embed(f->fe, img, &d[eyni_face_primary(img, d, n)], emb, &err))
        fail_msg("%s", err.msg);
}

static float score_files(const fixture *f, const char *a, const char *b)
{
    float ea[EYNI_FACE_DIM], eb[EYNI_FACE_DIM];
    eyni_image *ia = load(a), *ib = load(b);
    embed(f, ia, ea);
    embed(f, ib, eb);
    eyni_image_free(ia);
    eyni_image_free(ib);
    return eyni_face_compare(ea, eb);
}

static void detects_one_face_with_ordered_landmarks(void **state)
{
    fixture *f = *state;
    eyni_image *img = load(LFW("Abel_Pacheco", 1));
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    eyni_error err;
    assert_int_equal(eyni_face_detect(f->fe, img, d, EYNI_FACE_MAX_FACES, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(d[0].score > 0.9f);
    /* LFW-a centres the subject: the box holds the image centre */
    assert_true(d[0].x1 < 125 && d[0].x2 > 125 && d[0].y1 < 125 && d[0].y2 > 125);
    const eyni_face_point *p = d[0].five;
    assert_true(p[0].x < p[1].x);                    /* left eye left of right */
    assert_true(p[2].y > p[0].y && p[2].y > p[1].y); /* nose below the eyes */
    assert_true(p[3].y > p[2].y && p[4].y > p[2].y); /* mouth below the nose */
    assert_true(p[3].x < p[4].x);
    double eyes = hypot(p[1].x - p[0].x, p[1].y - p[0].y);
    assert_true(eyes > 25 && eyes < 70);
    for (int i = 0; i < 5; i++)
        assert_true(p[i].x > d[0].x1 && p[i].x < d[0].x2 && p[i].y > d[0].y1 && p[i].y < d[0].y2);
    eyni_image_free(img);
}

static void genuine_pairs_score_above_impostors(void **state)
{
    fixture *f = *state;
    float g1 = score_files(f, LFW("Akhmed_Zakayev", 1), LFW("Akhmed_Zakayev", 3));
    float g2 = score_files(f, LFW("Abdullah_Gul", 1), LFW("Abdullah_Gul", 2));
    float i1 = score_files(f, LFW("Akhmed_Zakayev", 1), LFW("Abel_Pacheco", 1));
    float i2 = score_files(f, LFW("Abdullah_Gul", 1), LFW("Abel_Pacheco", 1));
    assert_true(g1 > EYNI_FACE_THRESHOLD_FMR_1E4);
    assert_true(g2 > EYNI_FACE_THRESHOLD_FMR_1E4);
    assert_true(i1 < EYNI_FACE_THRESHOLD_FMR_1E3);
    assert_true(i2 < EYNI_FACE_THRESHOLD_FMR_1E3);
    assert_true(eyni_face_score_fmr(g1) < 1e-4);
    assert_true(eyni_face_score_fmr(i1) > 1e-3);
}

static void orl_grey_faces_match_by_person(void **state)
{
    fixture *f = *state;
    float g = score_files(f, "orl-att-faces/s1/1.pgm", "orl-att-faces/s1/2.pgm");
    float i = score_files(f, "orl-att-faces/s1/1.pgm", "orl-att-faces/s2/1.pgm");
    assert_true(g > i + 0.2f);
    assert_true(g > EYNI_FACE_THRESHOLD_FMR_1E3);
}

/* The face moved, turned 20 degrees and set in a larger canvas still matches itself. */
static void shifted_and_rotated_face_still_matches(void **state)
{
    fixture *f = *state;
    eyni_image *img = load(LFW("Akhmed_Zakayev", 1));
    float e0[EYNI_FACE_DIM], e1[EYNI_FACE_DIM];
    embed(f, img, e0);
    double t = 20 * M_PI / 180, cx = 125, cy = 125, ox = 190, oy = 140;
    /* destination (x, y) -> source: rotate about the face centre placed at (ox, oy) */
    double m[6] = {cos(t), -sin(t), 0, sin(t), cos(t), 0};
    m[2] = cx - m[0] * ox - m[1] * oy;
    m[5] = cy - m[3] * ox - m[4] * oy;
    eyni_image *moved = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_warp_affine(img, m, 420, 330, 128, &moved, &err), 0);
    embed(f, moved, e1);
    float s = eyni_face_compare(e0, e1);
    assert_true(s > 0.6f);
    eyni_image_free(moved);
    eyni_image_free(img);
}

static void aligned_crop_puts_eyes_on_the_template(void **state)
{
    fixture *f = *state;
    eyni_image *img = load(LFW("Abel_Pacheco", 1));
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    eyni_error err;
    assert_int_equal(eyni_face_detect(f->fe, img, d, EYNI_FACE_MAX_FACES, &n, &err), 0);
    eyni_image *al = NULL;
    assert_int_equal(eyni_face_align(img, &d[0], &al, &err), 0);
    assert_int_equal(al->width, EYNI_FACE_ALIGNED);
    assert_int_equal(al->channels, 3);
    /* running the detector on the aligned crop finds eyes near the template's */
    eyni_face_det d2[EYNI_FACE_MAX_FACES];
    assert_int_equal(eyni_face_detect(f->fe, al, d2, EYNI_FACE_MAX_FACES, &n, &err), 0);
    assert_true(n >= 1);
    assert_true(fabs(d2[0].five[0].x - 38.3) < 8 && fabs(d2[0].five[0].y - 51.7) < 8);
    assert_true(fabs(d2[0].five[1].x - 73.5) < 8 && fabs(d2[0].five[1].y - 51.5) < 8);
    eyni_image_free(al);
    eyni_image_free(img);
}

static eyni_image *canvas(int w, int h, unsigned char v)
{
    eyni_error err;
    eyni_image *c = eyni_image_new(w, h, 1, &err);
    assert_non_null(c);
    memset(c->data, v, (size_t)w * h);
    return c;
}

static void paste(eyni_image *dst, const eyni_image *src, int x0, int y0)
{
    for (int y = 0; y < src->height; y++)
        memcpy(dst->data + (size_t)(y + y0) * dst->width + x0, src->data + (size_t)y * src->width,
               (size_t)src->width);
}

static void quality(const fixture *f, const eyni_image *img, eyni_face_quality *q)
{
    eyni_error err;
    if (eyni_face_quality_check(f->fe, img, q, &err))
        fail_msg("%s", err.msg);
}

static void quality_flags_two_faces(void **state)
{
    fixture *f = *state;
    eyni_image *a = load(LFW("Abel_Pacheco", 1)), *b = load(LFW("Akhmed_Zakayev", 1));
    eyni_image *two = canvas(500, 250, 128);
    paste(two, a, 0, 0);
    paste(two, b, 250, 0);
    eyni_face_quality q;
    quality(f, two, &q);
    assert_int_equal(q.faces, 2);
    assert_false(q.ok);
    assert_true(q.reasons & EYNI_FACE_MULTIPLE_FACES);
    assert_string_equal(eyni_face_reason_name(EYNI_FACE_MULTIPLE_FACES), "multiple_faces");
    eyni_image_free(two);
    eyni_image_free(a);
    eyni_image_free(b);
}

static void quality_flags_a_tiny_face(void **state)
{
    fixture *f = *state;
    eyni_image *a = load(LFW("Abel_Pacheco", 1)), *small = NULL;
    eyni_error err;
    assert_int_equal(eyni_image_resize(a, 110, 110, &small, &err), 0);
    eyni_image *c = canvas(330, 330, 128);
    paste(c, small, 110, 90);
    eyni_face_quality q;
    quality(f, c, &q);
    assert_int_equal(q.faces, 1);
    assert_true(q.reasons & EYNI_FACE_TOO_SMALL);
    assert_true(q.eye_distance < 30);
    eyni_image_free(c);
    eyni_image_free(small);
    eyni_image_free(a);
}

static void box_blur(eyni_image *img, int r)
{
    unsigned char *tmp = malloc((size_t)img->width * img->height);
    for (int pass = 0; pass < 2; pass++) {
        memcpy(tmp, img->data, (size_t)img->width * img->height);
        for (int y = 0; y < img->height; y++)
            for (int x = 0; x < img->width; x++) {
                int sum = 0, n = 0;
                for (int k = -r; k <= r; k++) {
                    int xx = pass ? x : x + k, yy = pass ? y + k : y;
                    if (xx >= 0 && yy >= 0 && xx < img->width && yy < img->height) {
                        sum += tmp[(size_t)yy * img->width + xx];
                        n++;
                    }
                }
                img->data[(size_t)y * img->width + x] = (unsigned char)(sum / n);
            }
    }
    free(tmp);
}

static void quality_flags_a_blurred_face(void **state)
{
    fixture *f = *state;
    eyni_image *a = load(LFW("Akhmed_Zakayev", 1));
    eyni_face_quality sharp, blurred;
    quality(f, a, &sharp);
    assert_false(sharp.reasons & EYNI_FACE_BLURRED);
    box_blur(a, 4);
    quality(f, a, &blurred);
    assert_int_equal(blurred.faces, 1);
    assert_true(blurred.reasons & EYNI_FACE_BLURRED);
    assert_true(blurred.sharpness < sharp.sharpness / 4);
    assert_true(blurred.score < sharp.score);
    eyni_image_free(a);
}

static void quality_flags_dark_and_empty_pictures(void **state)
{
    fixture *f = *state;
    eyni_image *a = load(LFW("Akhmed_Zakayev", 1));
    for (size_t i = 0; i < (size_t)a->width * a->height; i++)
        a->data[i] = (unsigned char)(a->data[i] / 5);
    eyni_face_quality q;
    quality(f, a, &q);
    assert_true(q.faces == 0 || (q.reasons & EYNI_FACE_UNDEREXPOSED));
    eyni_image *blank = canvas(300, 400, 200);
    quality(f, blank, &q);
    assert_int_equal(q.faces, 0);
    assert_int_equal(q.reasons, EYNI_FACE_NO_FACE);
    assert_true(q.score == 0);
    eyni_image_free(blank);
    eyni_image_free(a);
}

static void liveness_is_a_probability_for_the_box(void **state)
{
    fixture *f = *state;
    eyni_image *a = load(LFW("Abel_Pacheco", 1));
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t n = 0;
    eyni_error err;
    float live = -1;
    assert_int_equal(eyni_face_detect(f->fe, a, d, EYNI_FACE_MAX_FACES, &n, &err), 0);
    assert_int_equal(eyni_face_liveness(f->fe, a, &d[0], &live, &err), 0);
    assert_true(live >= 0 && live <= 1);
    eyni_face_det empty = {0};
    assert_int_equal(eyni_face_liveness(f->fe, a, &empty, &live, &err), EYNI_EINVAL);
    eyni_image_free(a);
}

static void templates_round_trip_and_reject_corruption(void **state)
{
    fixture *f = *state;
    eyni_image *a = load(LFW("Abel_Pacheco", 1));
    float e[EYNI_FACE_DIM], back[EYNI_FACE_DIM];
    embed(f, a, e);
    unsigned char buf[EYNI_FACE_TEMPLATE_BYTES];
    size_t len = 0;
    eyni_error err;
    assert_int_equal(eyni_face_template_encode(e, buf, sizeof buf, &len, &err), 0);
    assert_int_equal(len, EYNI_FACE_TEMPLATE_BYTES);
    assert_int_equal(eyni_face_template_decode(buf, len, back, &err), 0);
    assert_true(eyni_face_compare(e, back) > 0.999f);
    assert_int_equal(eyni_face_template_decode(buf, len - 1, back, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_face_template_decode(buf, 0, back, &err), EYNI_EFORMAT);
    unsigned char bad[EYNI_FACE_TEMPLATE_BYTES];
    memcpy(bad, buf, len);
    bad[0] = 'X';
    assert_int_equal(eyni_face_template_decode(bad, len, back, &err), EYNI_EFORMAT);
    memcpy(bad, buf, len);
    bad[7] = 0; /* dimension 0 */
    assert_int_equal(eyni_face_template_decode(bad, len, back, &err), EYNI_EFORMAT);
    memcpy(bad, buf, len);
    memset(bad + 8, 0xff, 4); /* NaN scale */
    assert_int_equal(eyni_face_template_decode(bad, len, back, &err), EYNI_EFORMAT);
    memcpy(bad, buf, len);
    memset(bad + 12, 0, EYNI_FACE_DIM);
    assert_int_equal(eyni_face_template_decode(bad, len, back, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_face_template_encode(e, buf, 10, &len, &err), EYNI_ELIMIT);
    eyni_image_free(a);
}

static void score_to_fmr_falls_with_the_score(void **state)
{
    double prev = 1;
    for (float s = -1; s <= 1; s += 0.01f) {
        double r = eyni_face_score_fmr(s);
        assert_true(r <= prev + 1e-12 && r > 0 && r <= 1);
        prev = r;
    }
    assert_true(eyni_face_score_fmr(EYNI_FACE_THRESHOLD_FMR_1E3) <= 1.2e-3);
    assert_true(eyni_face_score_fmr(EYNI_FACE_THRESHOLD_FMR_1E4) <= 1.2e-4);
    assert_true(EYNI_FACE_THRESHOLD_FMR_1E3 < EYNI_FACE_THRESHOLD_FMR_1E4);
    assert_true(EYNI_FACE_THRESHOLD_FMR_1E4 < EYNI_FACE_THRESHOLD_FMR_1E5);
}

/* Broken inputs fail with a clear error before reaching the models; odd sizes work. */
static void broken_and_odd_images(void **state)
{
    fixture *f = *state;
    eyni_image *img = NULL;
    eyni_error err;
    char *p = eyni_test_path(LFW("Abel_Pacheco", 1));
    unsigned char *buf = NULL;
    size_t len = 0;
    assert_int_equal(eyni_file_read(p, 1 << 20, &buf, &len, &err), 0);
    assert_true(eyni_image_decode(buf, len / 3, 0, &img, &err) < 0); /* truncated */
    assert_true(strlen(err.msg) > 0);
    assert_true(eyni_image_decode(buf, 0, 0, &img, &err) < 0); /* empty */
    const char text[] = "Name,Surname\nnot,an image\n";
    assert_int_equal(eyni_image_decode((const unsigned char *)text, sizeof text, 0, &img, &err),
                     EYNI_EFORMAT);
    const char huge[] = "P5\n20000 20000\n255\n\x01\x02";
    assert_int_equal(eyni_image_decode((const unsigned char *)huge, sizeof huge - 1, 0, &img, &err),
                     EYNI_ELIMIT);
    assert_null(img);
    free(buf);
    free(p);
    /* a 1x1 and a very wide image: no face, no error */
    eyni_face_det d[EYNI_FACE_MAX_FACES];
    size_t n = 7;
    eyni_image *dot = canvas(1, 1, 0), *wide = canvas(4000, 3, 90);
    assert_int_equal(eyni_face_detect(f->fe, dot, d, EYNI_FACE_MAX_FACES, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(eyni_face_detect(f->fe, wide, d, EYNI_FACE_MAX_FACES, &n, &err), 0);
    assert_int_equal(n, 0);
    eyni_image_free(dot);
    eyni_image_free(wide);
}

static void engine_refuses_a_missing_model_dir(void **state)
{
    fixture *f = *state;
    eyni_face_engine *fe = NULL;
    eyni_error err;
    eyni_face_opts o = {.model_dir = "/nonexistent"};
    assert_int_equal(eyni_face_engine_new(f->env, &o, &fe, &err), EYNI_ENOTFOUND);
    assert_null(fe);
    assert_non_null(strstr(err.msg, "fr_detect.onnx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detects_one_face_with_ordered_landmarks),
        cmocka_unit_test(genuine_pairs_score_above_impostors),
        cmocka_unit_test(orl_grey_faces_match_by_person),
        cmocka_unit_test(shifted_and_rotated_face_still_matches),
        cmocka_unit_test(aligned_crop_puts_eyes_on_the_template),
        cmocka_unit_test(quality_flags_two_faces),
        cmocka_unit_test(quality_flags_a_tiny_face),
        cmocka_unit_test(quality_flags_a_blurred_face),
        cmocka_unit_test(quality_flags_dark_and_empty_pictures),
        cmocka_unit_test(liveness_is_a_probability_for_the_box),
        cmocka_unit_test(templates_round_trip_and_reject_corruption),
        cmocka_unit_test(score_to_fmr_falls_with_the_score),
        cmocka_unit_test(broken_and_odd_images),
        cmocka_unit_test(engine_refuses_a_missing_model_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
