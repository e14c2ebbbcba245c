/* `eyni voice train|enrol|verify|identify` end to end on real files: exit codes and the one
 * JSON object each prints. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vt.h"

typedef struct fixture {
    char *eyni, *dir;
} fixture;

static const char *const spk3[] = {"george", "jackson", "theo"};

/* Runs a command line; returns its exit code and its stdout parsed as one JSON object
 * (NULL when none was printed). */
static int run(const char *cmd, json_t **out)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    if (out) {
        eyni_error err = {0};
        *out = NULL;
        if (n && eyni_json_parse_object(buf, n, out, &err) != 0)
            fail_msg("%s printed non-JSON: %s", cmd, buf);
    }
    return WEXITSTATUS(st);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->eyni = eyni_test_program("eyni");
    f->dir = eyni_test_tmpdir("voice-cli");
    char path[4096], cmd[8192];
    for (int s = 0; s < 3; s++) {
        snprintf(path, sizeof path, "%s/train/%s", f->dir, spk3[s]);
        eyni_error err = {0};
        assert_int_equal(eyni_dir_make(path, &err), 0);
        for (int d = 0; d < 10; d++)
            for (int i = 20; i < 23; i++) {
                char *src = vt_fsdd(spk3[s], d, i);
                snprintf(path, sizeof path, "%s/train/%s/%d_%d.wav", f->dir, spk3[s], d, i);
                assert_int_equal(symlink(src, path), 0);
                free(src);
            }
    }
    snprintf(cmd, sizeof cmd,
             "'%s' voice train '%s/train' --out '%s/model.bin' --components 4 --json 2>/dev/null",
             f->eyni, f->dir, f->dir);
    json_t *j;
    assert_int_equal(run(cmd, &j), 0);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "speakers")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "recordings")), 90);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "id"))), 64);
    json_decref(j);
    snprintf(path, sizeof path, "%s/gallery", f->dir);
    eyni_error err = {0};
    assert_int_equal(eyni_dir_make(path, &err), 0);
    for (int s = 0; s < 3; s++) {
        int len = snprintf(cmd, sizeof cmd,
                           "'%s' voice enrol --model '%s/model.bin' --out '%s/gallery/%s.ref' "
                           "--json",
                           f->eyni, f->dir, f->dir, spk3[s]);
        for (int d = 0; d < 10; d++) {
            char *src = vt_fsdd(spk3[s], d, 5);
            len += snprintf(cmd + len, sizeof cmd - (size_t)len, " '%s'", src);
            free(src);
        }
        assert_int_equal(run(cmd, &j), 0);
        assert_int_equal(json_integer_value(json_object_get(j, "recordings")), 10);
        json_decref(j);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    free(f->eyni);
    free(f->dir);
    free(f);
    return 0;
}

static int verify(const fixture *f, const char *ref, const char *probe, json_t **j)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' voice verify --model '%s/model.bin' --ref '%s/gallery/%s.ref' '%s' --json "
             "2>/dev/null",
             f->eyni, f->dir, f->dir, ref, probe);
    return run(cmd, j);
}

static void verify_accepts_genuine_and_rejects_impostor(void **state)
{
    fixture *f = *state;
    char *probe = vt_fsdd("theo", 4, 0);
    json_t *j;
    assert_int_equal(verify(f, "theo", probe, &j), 0);
    assert_true(json_is_true(json_object_get(j, "match")));
    double genuine = json_real_value(json_object_get(j, "score"));
    json_decref(j);
    assert_int_equal(verify(f, "george", probe, &j), 1);
    assert_true(json_is_false(json_object_get(j, "match")));
    assert_true(json_real_value(json_object_get(j, "score")) < genuine);
    json_decref(j);
    free(probe);
}

static void identify_finds_the_speaker_in_a_gallery_folder(void **state)
{
    fixture *f = *state;
    char *probe = vt_fsdd("jackson", 6, 1);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' voice identify --model '%s/model.bin' --gallery '%s/gallery' '%s' --top 2 "
             "--json 2>/dev/null",
             f->eyni, f->dir, f->dir, probe);
    json_t *j;
    assert_int_equal(run(cmd, &j), 0);
    assert_string_equal(json_string_value(json_object_get(j, "best")), "jackson");
    assert_int_equal(json_array_size(json_object_get(j, "candidates")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "gallery")), 3);
    json_decref(j);
    free(probe);
}

static void unusable_audio_is_bad_input(void **state)
{
    fixture *f = *state;
    char path[4096];
    snprintf(path, sizeof path, "%s/silence.wav", f->dir);
    short zeros[8000] = {0};
    size_t len;
    unsigned char *wav = vt_wav(zeros, 8000, 8000, 1, &len);
    eyni_error err = {0};
    assert_int_equal(eyni_file_write_atomic(path, wav, len, 0600, &err), 0);
    free(wav);
    json_t *j;
    assert_int_equal(verify(f, "theo", path, &j), 2);
    assert_null(j);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' voice verify --ref x 2>/dev/null", f->eyni);
    assert_int_equal(run(cmd, NULL), 2);
}

/* The DESIGN.md section 4 contract of `eyni bench voice DIR` on a small FSDD-named set:
 * indices 0-4 scored, 5-6 enrolled, 7 trains the background model. */
static void bench_prints_the_contract_keys(void **state)
{
    fixture *f = *state;
    char path[4096], cmd[8192];
    for (int s = 0; s < 3; s++) {
        snprintf(path, sizeof path, "%s/bench/%s", f->dir, spk3[s]);
        eyni_error err = {0};
        assert_int_equal(eyni_dir_make(path, &err), 0);
        for (int d = 0; d < 10; d++)
            for (int i = 0; i < 8; i++) {
                char *src = vt_fsdd(spk3[s], d, i);
                snprintf(path, sizeof path, "%s/bench/%s/%d_%s_%d.wav", f->dir, spk3[s], d, spk3[s],
                         i);
                assert_int_equal(symlink(src, path), 0);
                free(src);
            }
    }
    snprintf(cmd, sizeof cmd, "'%s' bench voice '%s/bench' --components 4 --json 2>/dev/null",
             f->eyni, f->dir);
    json_t *j;
    assert_int_equal(run(cmd, &j), 0);
    assert_non_null(j);
    double eer = json_real_value(json_object_get(j, "eer"));
    assert_true(eer >= 0 && eer < 0.5);
    assert_int_equal(json_integer_value(json_object_get(j, "trials")), 150 * 3);
    assert_int_equal(json_integer_value(json_object_get(j, "genuine")), 150);
    assert_int_equal(json_integer_value(json_object_get(j, "ubm_recordings")), 30);
    assert_true(json_real_value(json_object_get(j, "ms_per_second_of_audio")) > 0);
    assert_non_null(json_object_get(j, "protocol_text"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verify_accepts_genuine_and_rejects_impostor),
        cmocka_unit_test(identify_finds_the_speaker_in_a_gallery_folder),
        cmocka_unit_test(unusable_audio_is_bad_input),
        cmocka_unit_test(bench_prints_the_contract_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
