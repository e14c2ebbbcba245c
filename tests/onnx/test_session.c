/* ONNX Runtime wrapper: pinned loading, runs, and errors turned into eyni_error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/onnx.h"
#include "testutil.h"

#define EYE_SHA "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de"

static char *model_path(const char *file)
{
    char dir[4096];
    eyni_error err;
    assert_int_equal(eyni_onnx_model_dir(dir, sizeof dir, &err), 0);
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, file);
    return p;
}

static int setup(void **state)
{
    eyni_onnx_env *env = NULL;
    eyni_error err;
    if (eyni_onnx_env_new("test", &env, &err))
        fail_msg("%s", err.msg);
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    eyni_onnx_env_free(*state);
    return 0;
}

static void pinned_model_opens_and_runs(void **state)
{
    char *p = model_path("fr_eye.onnx");
    eyni_onnx_session *s = NULL;
    eyni_error err;
    eyni_onnx_opts o = {.intra_threads = 1, .inter_threads = 1};
    if (eyni_onnx_session_open(*state, p, EYE_SHA, &o, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(eyni_onnx_session_input_count(s), 1);
    assert_string_equal(eyni_onnx_session_input_name(s, 0), "input");
    assert_null(eyni_onnx_session_input_name(s, 1));
    float in[24 * 24], out[8];
    for (int i = 0; i < 24 * 24; i++)
        in[i] = (float)(i % 24) / 24.0f;
    eyni_onnx_tensor ti = {"input", EYNI_ONNX_FLOAT, in, 24 * 24, {1, 1, 24, 24}, 4};
    eyni_onnx_tensor to = {.name = eyni_onnx_session_output_name(s, 0),
                           .type = EYNI_ONNX_FLOAT,
                           .data = out,
                           .count = 8};
    assert_int_equal(eyni_onnx_run(s, &ti, 1, &to, 1, &err), 0);
    assert_int_equal(to.count, 2); /* eye open / closed */
    assert_int_equal(to.rank, 2);
    /* the same session gives the same answer again (sessions are reused) */
    float again[8];
    to.data = again;
    to.count = 8;
    assert_int_equal(eyni_onnx_run(s, &ti, 1, &to, 1, &err), 0);
    assert_memory_equal(out, again, 2 * sizeof(float));
    eyni_onnx_session_free(s);
    free(p);
}

static void wrong_pin_is_refused(void **state)
{
    char *p = model_path("fr_eye.onnx");
    eyni_onnx_session *s = NULL;
    eyni_error err;
    const char *bad = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(eyni_onnx_session_open(*state, p, bad, NULL, &s, &err), EYNI_ECRYPTO);
    assert_non_null(strstr(err.msg, "does not match"));
    assert_int_equal(eyni_onnx_session_open(*state, p, NULL, NULL, &s, &err), EYNI_EINVAL);
    assert_null(s);
    free(p);
}

static void missing_and_corrupt_models_are_errors(void **state)
{
    eyni_onnx_session *s = NULL;
    eyni_error err;
    assert_int_equal(
        eyni_onnx_session_open(*state, "/nonexistent/model.onnx", EYE_SHA, NULL, &s, &err),
        EYNI_ENOTFOUND);
    /* bytes that hash to their pin but are no model: the runtime's refusal is ours */
    char *dir = eyni_test_tmpdir("onnx");
    char path[4096];
    snprintf(path, sizeof path, "%s/junk.onnx", dir);
    const char junk[] = "this is not a protobuf model at all";
    assert_int_equal(eyni_file_write_atomic(path, junk, sizeof junk, 0600, &err), 0);
    unsigned char d[32];
    char hex[65];
    eyni_sha256(junk, sizeof junk, d);
    eyni_hex_encode(d, 32, hex);
    assert_int_equal(eyni_onnx_session_open(*state, path, hex, NULL, &s, &err), EYNI_EMODEL);
    assert_non_null(strstr(err.msg, "junk.onnx"));
    assert_null(s);
    free(dir);
}

static void bad_shapes_and_small_buffers_are_errors(void **state)
{
    char *p = model_path("fr_eye.onnx");
    eyni_onnx_session *s = NULL;
    eyni_error err;
    assert_int_equal(eyni_onnx_session_open(*state, p, EYE_SHA, NULL, &s, &err), 0);
    float in[32 * 32] = {0}, out[1];
    eyni_onnx_tensor ti = {"input", EYNI_ONNX_FLOAT, in, 32 * 32, {1, 1, 32, 32}, 4};
    eyni_onnx_tensor to = {.name = eyni_onnx_session_output_name(s, 0),
                           .type = EYNI_ONNX_FLOAT,
                           .data = out,
                           .count = 1};
    /* 32x32 into a 24x24 model: the runtime's error becomes EMODEL naming the model */
    assert_int_equal(eyni_onnx_run(s, &ti, 1, &to, 1, &err), EYNI_EMODEL);
    assert_non_null(strstr(err.msg, "fr_eye.onnx"));
    ti.shape[2] = ti.shape[3] = 24;
    ti.count = 24 * 24;
    assert_int_equal(eyni_onnx_run(s, &ti, 1, &to, 1, &err), EYNI_ELIMIT);
    to.name = "no_such_output";
    to.count = 1;
    assert_int_equal(eyni_onnx_run(s, &ti, 1, &to, 1, &err), EYNI_EMODEL);
    eyni_onnx_session_free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pinned_model_opens_and_runs),
        cmocka_unit_test(wrong_pin_is_refused),
        cmocka_unit_test(missing_and_corrupt_models_are_errors),
        cmocka_unit_test(bad_shapes_and_small_buffers_are_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
