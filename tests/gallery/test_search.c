/* Gallery: add, update, remove, exact search (AVX2 == portable) and real LFW identities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/face.h"
#include "eyni/gallery.h"
#include "testutil.h"

#define DIM 512

/* Deterministic unit vector (xorshift), for the mechanics tests. */
static void rand_unit(uint64_t seed, float *v)
{
    uint64_t x = seed * 2654435761u + 88172645463325252ULL;
    double ss = 0;
    for (int i = 0; i < DIM; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[i] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
        ss += (double)v[i] * v[i];
    }
    for (int i = 0; i < DIM; i++)
        v[i] = (float)(v[i] / sqrt(ss));
}

static eyni_gallery *filled(size_t n)
{
    eyni_gallery *g = NULL;
    eyni_error err;
    assert_int_equal(eyni_gallery_new(DIM, &g, &err), 0);
    float v[DIM];
    for (size_t i = 0; i < n; i++) {
        rand_unit(i, v);
        assert_int_equal(eyni_gallery_add(g, (int64_t)i * 7 + 3, v, &err), 0);
    }
    return g;
}

static void each_vector_finds_itself_first(void **state)
{
    eyni_gallery *g = filled(3000);
    eyni_error err;
    eyni_gallery_hit hits[5];
    size_t n = 0;
    float v[DIM];
    eyni_gallery_search_opts o = {.threads = 2};
    for (size_t i = 0; i < 3000; i += 97) {
        rand_unit(i, v);
        assert_int_equal(eyni_gallery_search(g, v, 5, &o, hits, &n, &err), 0);
        assert_int_equal(n, 5);
        assert_int_equal(hits[0].id, (int64_t)i * 7 + 3);
        assert_true(fabsf(hits[0].score - 1.0f) < 0.01f);
        for (int k = 1; k < 5; k++)
            assert_true(hits[k].score <= hits[k - 1].score);
    }
    assert_int_equal(eyni_gallery_size(g), 3000);
    assert_int_equal(eyni_gallery_bytes_per_person(g), 548);
    eyni_gallery_free(g);
}

static void avx2_and_portable_kernels_agree(void **state)
{
    eyni_gallery *g = filled(2500);
    eyni_error err;
    eyni_gallery_hit a[20], b[20];
    size_t na = 0, nb = 0;
    float v[DIM];
    rand_unit(99999, v);
    eyni_gallery_search_opts pa = {1, EYNI_GALLERY_PORTABLE}, pb = {3, EYNI_GALLERY_AUTO};
    assert_int_equal(eyni_gallery_search(g, v, 20, &pa, a, &na, &err), 0);
    assert_int_equal(eyni_gallery_search(g, v, 20, &pb, b, &nb, &err), 0);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].id, b[i].id);
        assert_true(a[i].score == b[i].score); /* integer dot products: bit-exact */
    }
    /* scores match the float dot product within the int8 error */
    float w[DIM];
    rand_unit((uint64_t)(a[0].id - 3) / 7, w);
    double s = 0;
    for (int i = 0; i < DIM; i++)
        s += (double)v[i] * w[i];
    assert_true(fabs(s - a[0].score) < 0.02);
    eyni_gallery_free(g);
}

static void remove_and_update_by_id(void **state)
{
    eyni_gallery *g = filled(1000);
    eyni_error err;
    eyni_gallery_hit hits[3];
    size_t n = 0;
    float v[DIM];
    rand_unit(10, v);
    int64_t id10 = 10 * 7 + 3;
    assert_true(eyni_gallery_contains(g, id10));
    assert_int_equal(eyni_gallery_add(g, id10, v, &err), EYNI_EEXIST);
    assert_int_equal(eyni_gallery_remove(g, id10, &err), 0);
    assert_false(eyni_gallery_contains(g, id10));
    assert_int_equal(eyni_gallery_remove(g, id10, &err), EYNI_ENOTFOUND);
    assert_int_equal(eyni_gallery_search(g, v, 3, NULL, hits, &n, &err), 0);
    assert_true(hits[0].id != id10 && hits[0].score < 0.5f);
    /* every other id is still reachable after the swap-with-last and index shifts */
    for (size_t i = 0; i < 1000; i++)
        if (i != 10)
            assert_true(eyni_gallery_contains(g, (int64_t)i * 7 + 3));
    /* update: id 3 now carries vector 10 */
    assert_int_equal(eyni_gallery_update(g, 3, v, &err), 0);
    assert_int_equal(eyni_gallery_search(g, v, 3, NULL, hits, &n, &err), 0);
    assert_int_equal(hits[0].id, 3);
    assert_int_equal(eyni_gallery_update(g, 123456789, v, &err), EYNI_ENOTFOUND);
    for (size_t i = 0; i < 1000; i++)
        if (i != 10)
            assert_int_equal(eyni_gallery_remove(g, (int64_t)i * 7 + 3, &err), 0);
    assert_int_equal(eyni_gallery_size(g), 0);
    assert_int_equal(eyni_gallery_search(g, v, 3, NULL, hits, &n, &err), 0);
    assert_int_equal(n, 0);
    eyni_gallery_free(g);
}

static void bad_arguments_are_errors(void **state)
{
    eyni_gallery *g = NULL;
    eyni_error err;
    assert_int_equal(eyni_gallery_new(0, &g, &err), EYNI_EINVAL);
    assert_int_equal(eyni_gallery_new(DIM, &g, &err), 0);
    float v[DIM] = {0}, hitsbuf[4];
    assert_int_equal(eyni_gallery_add(g, 1, v, &err), EYNI_EINVAL); /* zero vector */
    v[0] = NAN;
    assert_int_equal(eyni_gallery_add(g, 1, v, &err), EYNI_EINVAL);
    int8_t q[DIM] = {0};
    q[0] = -128;
    assert_int_equal(eyni_gallery_add_int8(g, 1, q, 0.01f, &err), EYNI_EINVAL);
    q[0] = 5;
    assert_int_equal(eyni_gallery_add_int8(g, 1, q, -1.0f, &err), EYNI_EINVAL);
    v[0] = 1;
    eyni_gallery_hit hits[2];
    size_t n;
    assert_int_equal(eyni_gallery_search(g, v, 0, NULL, hits, &n, &err), EYNI_EINVAL);
    (void)hitsbuf;
    eyni_gallery_free(g);
}

static void ivf_finds_the_same_best_and_knows_when_stale(void **state)
{
    eyni_gallery *g = filled(4000);
    eyni_gallery_ivf *ix = NULL;
    eyni_error err;
    eyni_gallery_ivf_opts io = {.nlist = 32, .threads = 2};
    assert_int_equal(eyni_gallery_ivf_build(g, &io, &ix, &err), 0);
    assert_int_equal(eyni_gallery_ivf_nlist(ix), 32);
    eyni_gallery_hit a[3], b[3];
    size_t na = 0, nb = 0;
    float v[DIM];
    for (size_t i = 0; i < 4000; i += 131) {
        rand_unit(i, v);
        assert_int_equal(eyni_gallery_ivf_search(ix, g, v, 3, 4, NULL, a, &na, &err), 0);
        assert_int_equal(eyni_gallery_search(g, v, 3, NULL, b, &nb, &err), 0);
        assert_int_equal(a[0].id, b[0].id);
        assert_true(a[0].score == b[0].score); /* the index prunes, it never rescores */
    }
    /* every list probed = the exact answer, in full */
    rand_unit(77777, v);
    assert_int_equal(eyni_gallery_ivf_search(ix, g, v, 3, 32, NULL, a, &na, &err), 0);
    assert_int_equal(eyni_gallery_search(g, v, 3, NULL, b, &nb, &err), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(a[i].id, b[i].id);
    assert_int_equal(eyni_gallery_remove(g, 3, &err), 0);
    assert_int_equal(eyni_gallery_ivf_search(ix, g, v, 3, 4, NULL, a, &na, &err), EYNI_ECONFLICT);
    eyni_gallery_ivf_free(ix);
    io.nlist = 8000;
    assert_int_equal(eyni_gallery_ivf_build(g, &io, &ix, &err), EYNI_EINVAL);
    eyni_gallery_free(g);
}

/* Real faces: enrol the first LFW image of 8 people, find each by a later image. */
static void lfw_people_are_found_by_another_photo(void **state)
{
    static const char *people[] = {"Abdullah_Gul", "Akhmed_Zakayev", "Amber_Tamblyn",
                                   "Abel_Pacheco", "Adrien_Brody",   "Al_Sharpton",
                                   "Alex_Penelas", "Andre_Agassi"};
    eyni_onnx_env *env = NULL;
    eyni_face_engine *fe = NULL;
    eyni_gallery *g = NULL;
    eyni_error err;
    if (eyni_onnx_env_new("test-gallery", &env, &err) ||
        eyni_face_engine_new(env, NULL, &fe, &err) || eyni_gallery_new(EYNI_FACE_DIM, &g, &err))
        fail_msg("%s", err.msg);
    float emb[2][8][EYNI_FACE_DIM];
    for (int p = 0; p < 8; p++)
        for (int k = 0; k < 2; k++) {
            char rel[256];
            snprintf(rel, sizeof rel, "lfw-a-gray-dev/images/%s/%s_%04d.jpg", people[p], people[p],
                     k + 1);
            char *path = eyni_test_path(rel);
            eyni_image *img = NULL;
            eyni_face_det d[EYNI_FACE_MAX_FACES];
            size_t n = 0;
            if (eyni_image_load(path, 0, &img, &err) ||
                eyni_face_detect(fe, img, d, EYNI_FACE_MAX_FACES, &n, &err))
                fail_msg("%s", err.msg);
            assert_true(n > 0);
            if (eyni_face_embed(fe, img, &d[eyni_face_primary(img, d, n)], emb[k][p], &err))
                fail_msg("%s", err.msg);
            eyni_image_free(img);
            free(path);
        }
    for (int p = 0; p < 8; p++)
        assert_int_equal(eyni_gallery_add(g, 100 + p, emb[0][p], &err), 0);
    for (int p = 0; p < 8; p++) {
        eyni_gallery_hit hits[2];
        size_t n = 0;
        assert_int_equal(eyni_gallery_search(g, emb[1][p], 2, NULL, hits, &n, &err), 0);
        assert_int_equal(hits[0].id, 100 + p);
        assert_true(hits[0].score > EYNI_FACE_THRESHOLD_FMR_1E3);
        assert_true(hits[1].score < hits[0].score);
    }
    eyni_gallery_free(g);
    eyni_face_engine_free(fe);
    eyni_onnx_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_vector_finds_itself_first),
        cmocka_unit_test(avx2_and_portable_kernels_agree),
        cmocka_unit_test(remove_and_update_by_id),
        cmocka_unit_test(bad_arguments_are_errors),
        cmocka_unit_test(ivf_finds_the_same_best_and_knows_when_stale),
        cmocka_unit_test(lfw_people_are_found_by_another_photo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
