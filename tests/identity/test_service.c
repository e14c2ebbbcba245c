/* The identity service on real faces (LFW) and fingerprints (FVC2002): enrolment with
 * de-duplication, adjudication, verification, identification, bad input, restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/face.h"
#include "eyni/identity.h"
#include "eyni/image.h"
#include "reg_fixture.h"
#include "id_fixture.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

typedef struct fx {
    eyni_register *reg;
    eyni_identity *id;
    char fin1[EYNI_FIN_MAX + 1];
} fx;

static eyni_actor clerk(void)
{
    eyni_actor a;
    eyni_actor_local(&a, "TEST", "enrolment test");
    return a;
}

static json_t *enrol(fx *f, const char *surname, eyni_sample_in *s, int n, int expect)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":\"1970-01-01\","
             "\"sex\":\"M\",\"citizenship\":\"AZE\"}",
             surname);
    json_error_t je;
    json_t *person = json_loads(body, 0, &je), *out = NULL;
    eyni_actor a = clerk();
    eyni_error err;
    int rc = eyni_identity_enrol(f->id, &a, person, s, n, &out, &err);
    if (rc != expect)
        fail_msg("enrol %s: rc %d (%s), expected %d", surname, rc, err.msg, expect);
    json_decref(person);
    fixture_free_samples(s, n);
    return out;
}

static int persons_named(fx *f, const char *surname)
{
    eyni_actor a = clerk();
    eyni_person_query q = {NULL, surname, NULL, NULL, 0, 0};
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_person_search(f->reg, &a, &q, &out, &err), 0);
    int n = (int)json_integer_value(json_object_get(out, "count"));
    json_decref(out);
    return n;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->reg = fixture_open_keyed("identity");
    f->id = fixture_identity(f->reg);
    eyni_sample_in s[2] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0001.jpg"),
                           fixture_sample("finger", 2, FVC "101_1.tif")};
    json_t *out = enrol(f, "Blair", s, 2, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "unique");
    snprintf(f->fin1, sizeof f->fin1, "%s", json_string_value(json_object_get(out, "fin")));
    json_decref(out);
    eyni_sample_in t[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg"),
                           fixture_sample("finger", 2, FVC "102_1.tif")};
    out = enrol(f, "Chavez", t, 2, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "unique");
    json_decref(out);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    eyni_register_close(f->reg);
    free(f);
    return 0;
}

static void reenrolment_under_another_name_is_refused(void **state)
{
    fx *f = *state;
    eyni_sample_in s[2] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0002.jpg"),
                           fixture_sample("finger", 2, FVC "101_2.tif")};
    json_t *out = enrol(f, "Impostorov", s, 2, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "duplicate");
    assert_string_equal(json_string_value(json_object_get(out, "duplicate_of")), f->fin1);
    assert_true(json_is_null(json_object_get(out, "fin")));
    json_t *top = json_array_get(json_object_get(out, "candidates"), 0);
    assert_true(json_real_value(json_object_get(top, "score")) >= 9.0);
    json_decref(out);
    assert_int_equal(persons_named(f, "Impostorov"), 0);
}

static void possible_duplicates_are_adjudicated_both_ways(void **state)
{
    fx *f = *state;
    eyni_sample_in s[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0003.jpg")};
    json_t *out = enrol(f, "Facialov", s, 1, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "possible");
    long long case_id = json_integer_value(json_object_get(out, "case"));
    json_decref(out);
    eyni_actor adj;
    eyni_actor_local(&adj, "TEST", "adjudication");
    eyni_error err;
    assert_int_equal(eyni_register_case_decide(f->reg, &adj, case_id, "different", NULL,
                                               "twin brother, documents checked", &out, &err),
                     0);
    const char *newfin = json_string_value(json_object_get(out, "fin"));
    assert_non_null(newfin);
    char fin2[EYNI_FIN_MAX + 1];
    snprintf(fin2, sizeof fin2, "%s", newfin);
    json_decref(out);
    assert_int_equal(persons_named(f, "Facialov"), 1);
    /* The new person is searchable at once. */
    eyni_sample_in p[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0003.jpg")};
    eyni_actor a = clerk();
    assert_int_equal(eyni_identity_identify(f->id, &a, p, 1, 5, 0, &out, &err), 0);
    fixture_free_samples(p, 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(out, "candidates"), 0), "fin")),
                        fin2);
    json_decref(out);
    eyni_sample_in t[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0004.jpg")};
    out = enrol(f, "Samov", t, 1, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "possible");
    case_id = json_integer_value(json_object_get(out, "case"));
    json_decref(out);
    assert_int_equal(eyni_register_case_decide(f->reg, &adj, case_id, "same", f->fin1,
                                               "same person", &out, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "duplicate_of")), f->fin1);
    json_decref(out);
    assert_int_equal(persons_named(f, "Samov"), 0);
}

/* The same applicant twice while the first case waits (in no gallery): both cases name the
 * same registered candidates. Once the first is decided "different" the second cannot give
 * the person a second FIN - the re-check finds the new FIN and adds it to the case. */
static void a_second_pending_application_cannot_get_a_second_fin(void **state)
{
    fx *f = *state;
    eyni_sample_in s[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0003.jpg")};
    json_t *out = enrol(f, "Twiceov", s, 1, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "possible");
    long long first = json_integer_value(json_object_get(out, "case"));
    json_decref(out);
    eyni_sample_in t[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0003.jpg")};
    out = enrol(f, "Twiceova", t, 1, 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "possible");
    long long second = json_integer_value(json_object_get(out, "case"));
    json_decref(out);
    eyni_actor adj;
    eyni_actor_local(&adj, "TEST", "adjudication");
    eyni_error err;
    assert_int_equal(eyni_identity_case_decide(f->id, &adj, first, "different", NULL,
                                               "not the registered persons", &out, &err),
                     0);
    char fin[EYNI_FIN_MAX + 1];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(out, "fin")));
    json_decref(out);
    assert_int_equal(eyni_identity_case_decide(f->id, &adj, second, "different", NULL,
                                               "not the registered persons", &out, &err),
                     EYNI_ECONFLICT);
    assert_non_null(strstr(err.msg, fin));
    assert_int_equal(persons_named(f, "Twiceova"), 0);
    /* the new FIN is now a candidate of the open case, and "same" with it settles it */
    assert_int_equal(eyni_register_case_get(f->reg, &adj, second, &out, &err), 0);
    char *text = json_dumps(json_object_get(out, "candidates"), 0);
    assert_non_null(strstr(text, fin));
    free(text);
    json_decref(out);
    assert_int_equal(eyni_identity_case_decide(f->id, &adj, second, "same", fin,
                                               "the applicant of case before", &out, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "duplicate_of")), fin);
    json_decref(out);
    assert_int_equal(persons_named(f, "Twiceova"), 0);
    assert_int_equal(persons_named(f, "Twiceov"), 1);
}

static json_t *verify(fx *f, const char *fin, eyni_sample_in *s, int n, int expect)
{
    eyni_actor a = clerk();
    json_t *out = NULL;
    eyni_error err;
    int rc = eyni_identity_verify(f->id, &a, fin, s, n, &out, &err);
    if (rc != expect)
        fail_msg("verify: rc %d (%s)", rc, err.msg);
    fixture_free_samples(s, n);
    return out;
}

static void verification_accepts_genuine_and_rejects_impostors(void **state)
{
    fx *f = *state;
    eyni_sample_in g[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0005.jpg")};
    json_t *out = verify(f, f->fin1, g, 1, 0);
    assert_true(json_is_true(json_object_get(out, "match")));
    assert_true(json_real_value(json_object_get(out, "far_target")) > 0);
    json_decref(out);
    eyni_sample_in i[1] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg")};
    out = verify(f, f->fin1, i, 1, 0);
    assert_true(json_is_false(json_object_get(out, "match")));
    json_decref(out);
    eyni_sample_in fg[1] = {fixture_sample("finger", 2, FVC "101_5.tif")};
    out = verify(f, f->fin1, fg, 1, 0);
    assert_true(json_is_true(json_object_get(out, "match")));
    json_decref(out);
    eyni_sample_in fi[1] = {fixture_sample("finger", 2, FVC "103_1.tif")};
    out = verify(f, f->fin1, fi, 1, 0);
    assert_true(json_is_false(json_object_get(out, "match")));
    json_decref(out);
    /* An unknown FIN is not found; a known one without fingers has nothing to compare. */
    eyni_sample_in u[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0005.jpg")};
    assert_null(verify(f, "0000000", u, 1, EYNI_ENOTFOUND));
    eyni_sample_in x[1] = {fixture_sample("finger", 7, FVC "101_5.tif")};
    assert_null(verify(f, f->fin1, x, 1, EYNI_ECONFLICT));
}

static void bad_samples_are_refused_and_nothing_stored(void **state)
{
    fx *f = *state;
    /* A fingerprint is not a face. */
    eyni_sample_in s1[1] = {fixture_sample("face", 0, FVC "104_1.tif")};
    assert_null(enrol(f, "Badinput", s1, 1, EYNI_EQUALITY));
    /* A blank (all white) fingerprint image. */
    eyni_image *white = eyni_image_new(300, 300, 1, NULL);
    memset(white->data, 255, 300 * 300);
    unsigned char *png;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_image_encode_png(white, &png, &len, &err), 0);
    eyni_image_free(white);
    eyni_sample_in s3[1] = {{"finger", 3, png, len}};
    json_error_t je;
    json_t *person = json_loads("{\"surname\":\"Badinput\",\"given_name\":\"T\",\"birth_date\":"
                                "\"1970-01-01\",\"sex\":\"M\"}",
                                0, &je);
    eyni_actor a = clerk();
    json_t *out = NULL;
    int rc = eyni_identity_enrol(f->id, &a, person, s3, 1, &out, &err);
    assert_true(rc == EYNI_EQUALITY || rc == EYNI_EFORMAT);
    /* Position 11 is not a finger. */
    eyni_sample_in s4[1] = {fixture_sample("finger", 11, FVC "104_2.tif")};
    assert_int_equal(eyni_identity_enrol(f->id, &a, person, s4, 1, &out, &err), EYNI_EFORMAT);
    fixture_free_samples(s4, 1);
    /* Garbage is not an image. */
    eyni_sample_in s5[1] = {{"face", 0, (const unsigned char *)"not an image", 12}};
    assert_int_equal(eyni_identity_enrol(f->id, &a, person, s5, 1, &out, &err), EYNI_EFORMAT);
    json_decref(person);
    free(png);
    assert_int_equal(persons_named(f, "Badinput"), 0);
}

static void galleries_are_rebuilt_after_restart(void **state)
{
    fx *f = *state;
    json_t *before = eyni_identity_stats(f->id);
    eyni_identity_close(f->id);
    f->id = fixture_identity(f->reg);
    json_t *after = eyni_identity_stats(f->id);
    assert_int_equal(json_integer_value(json_object_get(before, "samples")),
                     json_integer_value(json_object_get(after, "samples")));
    assert_true(json_integer_value(json_object_get(after, "face")) >= 2);
    json_decref(before);
    json_decref(after);
    eyni_sample_in p[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0003.jpg"),
                           fixture_sample("finger", 2, FVC "102_4.tif")};
    eyni_actor a = clerk();
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_identity_identify(f->id, &a, p, 2, 3, 0, &out, &err), 0);
    fixture_free_samples(p, 2);
    json_t *top = json_array_get(json_object_get(out, "candidates"), 0);
    assert_true(json_real_value(json_object_get(top, "score")) >= 9.0);
    assert_non_null(json_object_get(json_object_get(top, "scores"), "finger"));
    json_decref(out);
}

/* Distractors (register-scale benchmarks) are scanned by every search but never become
 * candidates and never count as stored samples; bad positions and reused ids are refused. */
static void distractors_are_searched_but_never_candidates(void **state)
{
    fx *f = *state;
    enum { N = 40 };
    static float faces[N][EYNI_FACE_DIM];
    eyni_finger_template *model = NULL, *fingers[N];
    eyni_error err;
    eyni_image *img = NULL;
    char *path = eyni_test_path(FVC "103_1.tif");
    assert_int_equal(eyni_image_load(path, 1, &img, &err), 0);
    free(path);
    eyni_finger_opts o = {500, 2};
    assert_int_equal(eyni_finger_extract(img, &o, &model, NULL, &err), 0);
    eyni_image_free(img);
    for (int i = 0; i < N; i++) {
        memset(faces[i], 0, sizeof faces[i]);
        faces[i][i] = 1; /* unit vectors */
        assert_int_equal(eyni_finger_synthesize((uint64_t)i + 1, model, &fingers[i], &err), 0);
    }
    json_t *before = eyni_identity_stats(f->id);
    assert_int_equal(eyni_identity_add_distractors(f->id, 0, NULL, 0, fingers, N, 11, &err),
                     EYNI_EINVAL);
    assert_int_equal(eyni_identity_add_distractors(f->id, 0, &faces[0][0], N, fingers, N, 2, &err),
                     0);
    assert_int_equal(eyni_identity_add_distractors(f->id, 0, NULL, 0, fingers, 1, 2, &err),
                     EYNI_EEXIST);
    json_t *after = eyni_identity_stats(f->id);
    assert_int_equal(json_integer_value(json_object_get(after, "face")),
                     json_integer_value(json_object_get(before, "face")) + N);
    assert_int_equal(json_integer_value(json_object_get(after, "finger")),
                     json_integer_value(json_object_get(before, "finger")) + N);
    assert_int_equal(json_integer_value(json_object_get(after, "samples")),
                     json_integer_value(json_object_get(before, "samples")));
    eyni_sample_in p[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0003.jpg"),
                           fixture_sample("finger", 2, FVC "102_4.tif")};
    eyni_actor a = clerk();
    json_t *out = NULL;
    assert_int_equal(eyni_identity_identify(f->id, &a, p, 2, 10, 0, &out, &err), 0);
    fixture_free_samples(p, 2);
    json_t *cands = json_object_get(out, "candidates"), *c;
    size_t i;
    assert_true(json_array_size(cands) >= 1);
    json_array_foreach(cands, i, c) assert_true(json_string_length(json_object_get(c, "fin")) > 0);
    assert_true(json_real_value(json_object_get(json_array_get(cands, 0), "score")) >= 9.0);
    json_decref(out);
    json_decref(before);
    json_decref(after);
    for (int k = 0; k < N; k++)
        eyni_finger_template_free(fingers[k]);
    eyni_finger_template_free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reenrolment_under_another_name_is_refused),
        cmocka_unit_test(possible_duplicates_are_adjudicated_both_ways),
        cmocka_unit_test(a_second_pending_application_cannot_get_a_second_fin),
        cmocka_unit_test(verification_accepts_genuine_and_rejects_impostors),
        cmocka_unit_test(bad_samples_are_refused_and_nothing_stored),
        cmocka_unit_test(galleries_are_rebuilt_after_restart),
        cmocka_unit_test(distractors_are_searched_but_never_candidates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
