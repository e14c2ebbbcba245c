/* Model files and reference blobs: deterministic training, byte-exact round trips, and
 * rejection of corrupt, truncated, foreign and inconsistent files. */
#include "vt.h"

typedef struct fixture {
    eyni_voice_model *m;
    unsigned char *bytes;
    size_t len;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->m = vt_train(4, 20, 2, 7);
    eyni_error err = {0};
    if (eyni_voice_model_save(f->m, &f->bytes, &f->len, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    eyni_voice_model_free(f->m);
    free(f->bytes);
    free(f);
    return 0;
}

static void training_is_deterministic(void **state)
{
    fixture *f = *state;
    eyni_voice_model *again = vt_train(4, 20, 2, 7);
    unsigned char *b;
    size_t len;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_model_save(again, &b, &len, &err), 0);
    assert_int_equal(len, f->len);
    assert_memory_equal(b, f->bytes, len);
    free(b);
    eyni_voice_model_free(again);
}

static void model_round_trip_is_exact(void **state)
{
    fixture *f = *state;
    char *dir = eyni_test_tmpdir("voice-model");
    char path[4096];
    snprintf(path, sizeof path, "%s/model.bin", dir);
    eyni_error err = {0};
    assert_int_equal(eyni_voice_model_write(f->m, path, &err), 0);
    eyni_voice_model *m2 = NULL;
    assert_int_equal(eyni_voice_model_read(path, &m2, &err), 0);
    unsigned char *b;
    size_t len;
    assert_int_equal(eyni_voice_model_save(m2, &b, &len, &err), 0);
    assert_int_equal(len, f->len);
    assert_memory_equal(b, f->bytes, len);
    eyni_voice_model_info i1, i2;
    eyni_voice_model_get_info(f->m, &i1);
    eyni_voice_model_get_info(m2, &i2);
    assert_memory_equal(i1.id, i2.id, 32);
    assert_int_equal(i2.components, 4);
    assert_true(i2.calib_impostor > 0 && i2.calib_genuine > 0);
    /* Scores agree between the trained model and its reloaded copy. */
    eyni_voice_ref *r1 = vt_enrol(f->m, "lucas", 5);
    eyni_voice_ref *r2 = vt_enrol(m2, "lucas", 5);
    eyni_voice_probe *p1 = vt_probe(f->m, "lucas", 2, 0), *p2 = vt_probe(m2, "lucas", 2, 0);
    double s1, s2;
    assert_int_equal(eyni_voice_score(f->m, r1, p1, &s1, &err), 0);
    assert_int_equal(eyni_voice_score(m2, r2, p2, &s2, &err), 0);
    assert_true(s1 == s2);
    eyni_voice_probe_free(p1);
    eyni_voice_probe_free(p2);
    eyni_voice_ref_free(r1);
    eyni_voice_ref_free(r2);
    free(b);
    eyni_voice_model_free(m2);
    free(dir);
}

static void expect_model_error(const unsigned char *b, size_t len, int code, const char *what)
{
    eyni_voice_model *m = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_model_load(b, len, "m.bin", &m, &err), code);
    assert_null(m);
    if (!strstr(err.msg, what) || !strstr(err.msg, "m.bin"))
        fail_msg("message '%s' lacks '%s'", err.msg, what);
}

/* Writes v at off and re-seals the checksum, so the parser's own checks are reached. */
static unsigned char *patched(const fixture *f, size_t off, const void *v, size_t n)
{
    unsigned char *b = malloc(f->len);
    assert_non_null(b);
    memcpy(b, f->bytes, f->len);
    memcpy(b + off, v, n);
    eyni_sha256(b, f->len - 32, b + f->len - 32);
    return b;
}

static void corrupt_models_are_rejected(void **state)
{
    fixture *f = *state;
    unsigned char *b = malloc(f->len);
    assert_non_null(b);
    memcpy(b, f->bytes, f->len);
    b[f->len / 2] ^= 0x10;
    expect_model_error(b, f->len, EYNI_EFORMAT, "checksum");
    expect_model_error(f->bytes, f->len - 1, EYNI_EFORMAT, "checksum");
    expect_model_error(f->bytes, 10, EYNI_EFORMAT, "too short");
    expect_model_error(f->bytes, 0, EYNI_EFORMAT, "too short");
    expect_model_error(f->bytes, (size_t)EYNI_VOICE_MAX_MODEL + 1, EYNI_ELIMIT, "larger");
    free(b);

    uint32_t v2 = 2, huge = 0x7fffffff, zero = 0;
    b = patched(f, 8, &v2, 4); /* version */
    expect_model_error(b, f->len, EYNI_EFORMAT, "version 2");
    free(b);
    b = patched(f, 0, "EYNIVREF", 8); /* magic */
    expect_model_error(b, f->len, EYNI_EFORMAT, "magic");
    free(b);
    b = patched(f, 56, &huge, 4); /* components */
    expect_model_error(b, f->len, EYNI_EFORMAT, "sizes");
    free(b);
    b = patched(f, 56, &v2, 4); /* fewer components than the body holds */
    expect_model_error(b, f->len, EYNI_EFORMAT, "size");
    free(b);
    b = patched(f, 32, &zero, 4); /* n_ceps */
    expect_model_error(b, f->len, EYNI_EFORMAT, "front-end");
    free(b);
    float nan = NAN;
    b = patched(f, f->len - 32 - 4, &nan, 4); /* last stored value */
    expect_model_error(b, f->len, EYNI_EFORMAT, "range");
    free(b);
}

static void reference_round_trip_and_rejections(void **state)
{
    fixture *f = *state;
    eyni_voice_ref *r = vt_enrol(f->m, "nicolas", 6);
    unsigned char *b, *b2;
    size_t len, len2;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_ref_save(r, &b, &len, &err), 0);
    eyni_voice_ref *r2 = NULL;
    assert_int_equal(eyni_voice_ref_load(f->m, b, len, "r.ref", &r2, &err), 0);
    assert_int_equal(eyni_voice_ref_save(r2, &b2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(b, b2, len);
    eyni_voice_probe *p = vt_probe(f->m, "nicolas", 3, 1);
    double s1, s2;
    assert_int_equal(eyni_voice_score(f->m, r, p, &s1, &err), 0);
    assert_int_equal(eyni_voice_score(f->m, r2, p, &s2, &err), 0);
    assert_true(fabs(s1 - s2) < 1e-4); /* statistics are stored as float32 */

    eyni_voice_ref *bad = NULL;
    b[len / 2] ^= 1;
    assert_int_equal(eyni_voice_ref_load(f->m, b, len, "r.ref", &bad, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, "checksum"));
    assert_int_equal(eyni_voice_ref_load(f->m, b2, len2 - 40, "r.ref", &bad, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_voice_ref_load(f->m, b2, 3, "r.ref", &bad, &err), EYNI_EFORMAT);
    assert_null(bad);

    /* A reference belongs to the model that made it. */
    eyni_voice_model *other = vt_train(4, 20, 2, 8);
    assert_int_equal(eyni_voice_ref_load(other, b2, len2, "r.ref", &bad, &err), EYNI_ECONFLICT);
    assert_int_equal(eyni_voice_score(other, r2, p, &s1, &err), EYNI_ECONFLICT);
    assert_null(bad);
    eyni_voice_ref *ro = vt_enrol(other, "nicolas", 6);
    assert_int_equal(eyni_voice_score(other, ro, p, &s1, &err), EYNI_ECONFLICT);
    assert_non_null(strstr(err.msg, "probe"));
    eyni_voice_ref_free(ro);
    eyni_voice_model_free(other);

    eyni_voice_probe_free(p);
    eyni_voice_ref_free(r);
    eyni_voice_ref_free(r2);
    free(b);
    free(b2);
}

/* The i-vector variant stores its extractor; its files round-trip like the default's and
 * still rank a speaker's own held-out recording first. */
static void ivector_model_round_trips_and_scores(void **state)
{
    eyni_voice_train_opts o;
    eyni_voice_train_opts_default(&o);
    o.components = 4;
    o.scoring = EYNI_VOICE_SCORE_IVEC;
    o.ivec_dim = 12;
    o.ivec_iters = 3;
    o.nap_rank = 2;
    eyni_voice_model *m = vt_train_with(&o, 20, 2);
    eyni_voice_model_info info;
    eyni_voice_model_get_info(m, &info);
    assert_int_equal(info.scoring, EYNI_VOICE_SCORE_IVEC);
    assert_int_equal(info.ivec_dim, 12);
    unsigned char *b, *b2;
    size_t len, len2;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_model_save(m, &b, &len, &err), 0);
    eyni_voice_model *m2 = NULL;
    assert_int_equal(eyni_voice_model_load(b, len, "iv.bin", &m2, &err), 0);
    assert_int_equal(eyni_voice_model_save(m2, &b2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(b, b2, len);
    eyni_voice_ref *r = vt_enrol(m2, "yweweler", 5);
    eyni_voice_probe *p = vt_probe(m2, "yweweler", 0, 0);
    double s;
    assert_int_equal(eyni_voice_score(m2, r, p, &s, &err), 0);
    assert_true(s >= -1.0 - 1e-9 && s <= 1.0 + 1e-9); /* a cosine */
    eyni_voice_probe_free(p);
    eyni_voice_ref_free(r);
    free(b);
    free(b2);
    eyni_voice_model_free(m);
    eyni_voice_model_free(m2);
}

static void bad_training_input_is_refused(void **state)
{
    eyni_voice_audio *a[4];
    int lab[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        a[i] = vt_audio("george", i, 30);
    eyni_voice_train_opts o;
    eyni_voice_train_opts_default(&o);
    o.components = 2;
    eyni_voice_model *m = NULL;
    eyni_error err = {0};
    /* One speaker cannot calibrate impostor scores. */
    assert_int_equal(eyni_voice_train((const eyni_voice_audio *const *)a, lab, 4, &o, &m, &err),
                     EYNI_EINVAL);
    o.components = 3;
    assert_int_equal(eyni_voice_train((const eyni_voice_audio *const *)a, lab, 4, &o, &m, &err),
                     EYNI_EINVAL);
    assert_null(m);
    for (int i = 0; i < 4; i++)
        eyni_voice_audio_free(a[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(training_is_deterministic),
        cmocka_unit_test(model_round_trip_is_exact),
        cmocka_unit_test(corrupt_models_are_rejected),
        cmocka_unit_test(reference_round_trip_and_rejections),
        cmocka_unit_test(ivector_model_round_trips_and_scores),
        cmocka_unit_test(bad_training_input_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
