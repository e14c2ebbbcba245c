/* silero-vad through ONNX Runtime as the voice activity detector: real speech is found,
 * silence around it and silence alone are not speech, a missing model is a named error. */
#include "eyni/onnx.h"
#include "vt.h"

typedef struct fx {
    eyni_onnx_env *env;
    eyni_voice_vad *vad;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    eyni_error err;
    if (eyni_onnx_env_new("test-vad", &f->env, &err) ||
        eyni_voice_vad_open(f->env, NULL, &f->vad, &err))
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    eyni_voice_vad_free(f->vad);
    eyni_onnx_env_free(f->env);
    free(f);
    return 0;
}

static eyni_voice_audio *decode(const eyni_voice_vad *v, const unsigned char *wav, size_t len,
                                eyni_voice_reason *why, int expect)
{
    eyni_voice_audio *a = NULL;
    eyni_error err = {0};
    int rc = eyni_voice_audio_decode_vad(wav, len, "test.wav", v, &a, why, &err);
    if (rc != expect)
        fail_msg("decode: rc %d, expected %d (%s)", rc, expect, err.msg);
    return a;
}

/* silero finds speech in nearly every FSDD word, and at least half the speech the energy
 * detector finds (it keeps fricatives such as the s of "six", which the flatness test drops,
 * so it may find more; on a few very short words it finds none). */
static void speech_is_found_like_the_energy_detector(void **state)
{
    fx *f = *state;
    int found = 0, tried = 0;
    for (int s = 0; s < VT_SPEAKERS; s++)
        for (int d = 0; d < 10; d += 3) {
            size_t n, len;
            int rate;
            short *x = vt_pcm(vt_speakers[s], d, 7, &n, &rate);
            unsigned char *wav = vt_wav(x, n, rate, 1, &len);
            free(x);
            eyni_voice_reason why;
            eyni_voice_audio *e = decode(NULL, wav, len, &why, 0), *v = NULL;
            eyni_error err;
            int rc = eyni_voice_audio_decode_vad(wav, len, "test.wav", f->vad, &v, &why, &err);
            free(wav);
            tried++;
            assert_true(rc == 0 || why == EYNI_VOICE_REASON_SILENCE ||
                        why == EYNI_VOICE_REASON_TOO_SHORT);
            double se = eyni_voice_audio_speech_seconds(e);
            double sv = rc ? 0 : eyni_voice_audio_speech_seconds(v);
            eyni_voice_audio_free(e);
            eyni_voice_audio_free(v);
            if (rc)
                continue;
            found++;
            if (sv < 0.5 * se)
                fail_msg("%s %d: energy %.2f s, silero %.2f s", vt_speakers[s], d, se, sv);
        }
    print_message("silero-vad found speech in %d of %d words\n", found, tried);
    assert_true(found >= tried - 2);
}

/* One second of digital silence, the word, one second of faint noise: only the word is
 * speech. */
static void silence_around_speech_is_dropped(void **state)
{
    fx *f = *state;
    size_t n, len;
    int rate;
    short *w = vt_pcm("lucas", 6, 8, &n, &rate);
    size_t pad = (size_t)rate, total = pad + n + pad;
    short *x = calloc(total, sizeof *x);
    assert_non_null(x);
    memcpy(x + pad, w, n * sizeof *x);
    uint64_t s = 99;
    for (size_t i = pad + n; i < total; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (short)((int)((s >> 33) % 101) - 50);
    }
    unsigned char *wav = vt_wav(x, total, rate, 1, &len);
    eyni_voice_reason why;
    eyni_voice_audio *a = decode(f->vad, wav, len, &why, 0);
    double word = (double)n / rate;
    assert_true(eyni_voice_audio_speech_seconds(a) >= 0.5 * word);
    assert_true(eyni_voice_audio_speech_seconds(a) <= word + 0.15);
    eyni_voice_audio_free(a);
    free(wav);
    free(x);
    free(w);
}

static void silence_only_is_refused(void **state)
{
    fx *f = *state;
    size_t len;
    short *x = calloc(EYNI_VOICE_RATE, sizeof *x);
    assert_non_null(x);
    unsigned char *wav = vt_wav(x, EYNI_VOICE_RATE, EYNI_VOICE_RATE, 1, &len);
    eyni_voice_reason why = EYNI_VOICE_REASON_NONE;
    assert_null(decode(f->vad, wav, len, &why, EYNI_EQUALITY));
    assert_int_equal(why, EYNI_VOICE_REASON_SILENCE);
    free(wav);
    free(x);
}

static void a_missing_model_is_a_named_error(void **state)
{
    fx *f = *state;
    eyni_voice_vad *v = NULL;
    eyni_error err = {0};
    assert_int_not_equal(eyni_voice_vad_open(f->env, "/nonexistent/silero_vad.onnx", &v, &err), 0);
    assert_null(v);
    assert_non_null(strstr(err.msg, "silero-vad"));
    /* another model's file is refused by the pin before the runtime sees it */
    char *dir = eyni_test_tmpdir("vad-wrong-model");
    char path[4200];
    snprintf(path, sizeof path, "%s/silero_vad.onnx", dir);
    free(dir);
    assert_int_equal(eyni_file_write_atomic(path, "not a model", 11, 0600, &err), 0);
    assert_int_equal(eyni_voice_vad_open(f->env, path, &v, &err), EYNI_ECRYPTO);
    assert_null(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(speech_is_found_like_the_energy_detector),
        cmocka_unit_test(silence_around_speech_is_dropped),
        cmocka_unit_test(silence_only_is_refused),
        cmocka_unit_test(a_missing_model_is_a_named_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
