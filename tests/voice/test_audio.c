/* Audio in: decoding, resampling, voice activity and the named refusals. */
#include "vt.h"

static int decode(const unsigned char *b, size_t len, eyni_voice_audio **a, eyni_voice_reason *why,
                  eyni_error *err)
{
    return eyni_voice_audio_decode(b, len, "test.wav", a, why, err);
}

static void real_file_decodes_at_working_rate(void **state)
{
    size_t n;
    int rate;
    short *pcm = vt_pcm("george", 3, 0, &n, &rate);
    eyni_voice_audio *a = vt_audio("george", 3, 0);
    size_t m;
    const float *x = eyni_voice_audio_samples(a, &m);
    assert_int_equal(rate, EYNI_VOICE_RATE);
    assert_int_equal(m, n);
    assert_true(fabs(eyni_voice_audio_seconds(a) - (double)n / rate) < 1e-9);
    double speech = eyni_voice_audio_speech_seconds(a);
    assert_true(speech > 0.1 && speech <= eyni_voice_audio_seconds(a));
    /* Loudness normalisation scales every sample by one gain. */
    size_t peak = 0;
    for (size_t i = 1; i < n; i++)
        if (abs(pcm[i]) > abs(pcm[peak]))
            peak = i;
    double g = x[peak] / (pcm[peak] / 32768.0);
    assert_true(g > 0);
    for (size_t i = 0; i < n; i += 97)
        assert_true(fabs(x[i] - g * pcm[i] / 32768.0) < 1e-4 * fmax(1.0, g));
    free(pcm);
    eyni_voice_audio_free(a);
}

static double goertzel(const float *x, size_t n, double freq, double rate)
{
    double w = 2 * M_PI * freq / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / (double)n;
}

/* A 16 kHz stereo tone pair: 1 kHz must survive resampling, 6 kHz (above the 4 kHz
 * Nyquist limit of the working rate) must not alias to 2 kHz. */
static void resampling_keeps_band_and_blocks_aliases(void **state)
{
    int rates[] = {16000, 44100, 48000, 11025};
    for (int r = 0; r < 4; r++) {
        int rate = rates[r];
        size_t n = (size_t)rate; /* one second */
        short *x = malloc(n * 2 * sizeof *x);
        assert_non_null(x);
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / rate;
            double hi = rate > 12000 ? sin(2 * M_PI * 6000 * t) : 0;
            /* A syllable-like envelope so the detector sees speech and pauses. */
            double env = 0.5 - 0.5 * cos(2 * M_PI * 2 * t);
            short v = (short)(8000 * env * (sin(2 * M_PI * 1000 * t) + hi));
            x[2 * i] = v;
            x[2 * i + 1] = v;
        }
        size_t len;
        unsigned char *wav = vt_wav(x, n, rate, 2, &len);
        eyni_voice_audio *a = NULL;
        eyni_error err = {0};
        assert_int_equal(decode(wav, len, &a, NULL, &err), 0);
        size_t m;
        const float *y = eyni_voice_audio_samples(a, &m);
        assert_true(labs((long)m - EYNI_VOICE_RATE) <= 2);
        double keep = goertzel(y, m, 1000, EYNI_VOICE_RATE);
        double alias = goertzel(y, m, 2000, EYNI_VOICE_RATE);
        assert_true(keep > 0.01);
        assert_true(alias < keep * 0.01); /* at least 40 dB down */
        eyni_voice_audio_free(a);
        free(wav);
        free(x);
    }
}

static void flac_decodes_like_wav(void **state)
{
    size_t n;
    int rate;
    short *pcm = vt_pcm("lucas", 7, 1, &n, &rate);
    char *dir = eyni_test_tmpdir("voice-flac");
    char path[4096];
    snprintf(path, sizeof path, "%s/x.flac", dir);
    SF_INFO info = {.samplerate = rate, .channels = 1, .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    assert_int_equal(sf_write_short(sf, pcm, (sf_count_t)n), (sf_count_t)n);
    sf_close(sf);
    eyni_voice_audio *fa = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_audio_read(path, &fa, NULL, &err), 0);
    eyni_voice_audio *wa = vt_audio("lucas", 7, 1);
    size_t nf, nw;
    const float *xf = eyni_voice_audio_samples(fa, &nf), *xw = eyni_voice_audio_samples(wa, &nw);
    assert_int_equal(nf, nw);
    for (size_t i = 0; i < nf; i++)
        assert_true(fabs(xf[i] - xw[i]) < 1e-6);
    eyni_voice_audio_free(fa);
    eyni_voice_audio_free(wa);
    free(pcm);
    free(dir);
}

static void expect_refusal(const unsigned char *b, size_t len, eyni_voice_reason want, int code)
{
    eyni_voice_audio *a = NULL;
    eyni_error err = {0};
    eyni_voice_reason why = EYNI_VOICE_REASON_NONE;
    int rc = decode(b, len, &a, &why, &err);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_int_equal(why, want);
    assert_null(a);
    assert_non_null(strstr(err.msg, eyni_voice_reason_name(want)));
    assert_non_null(strstr(err.msg, "test.wav"));
}

static void silence_only_is_refused(void **state)
{
    size_t n = EYNI_VOICE_RATE, len;
    short *x = calloc(n, sizeof *x);
    assert_non_null(x);
    unsigned char *wav = vt_wav(x, n, EYNI_VOICE_RATE, 1, &len);
    expect_refusal(wav, len, EYNI_VOICE_REASON_SILENCE, EYNI_EQUALITY);
    free(wav);
    /* Faint white noise (about -50 dBFS): energy but no speech. */
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (short)((int)((s >> 33) % 201) - 100);
    }
    wav = vt_wav(x, n, EYNI_VOICE_RATE, 1, &len);
    expect_refusal(wav, len, EYNI_VOICE_REASON_SILENCE, EYNI_EQUALITY);
    free(wav);
    free(x);
}

static void clipped_is_refused(void **state)
{
    size_t n, len;
    int rate;
    short *x = vt_pcm("nicolas", 4, 2, &n, &rate);
    unsigned char *wav = vt_wav(x, n, rate, 1, &len);
    eyni_voice_audio *a = NULL;
    eyni_error err = {0};
    assert_int_equal(decode(wav, len, &a, NULL, &err), 0); /* the original is fine */
    eyni_voice_audio_free(a);
    free(wav);
    for (size_t i = 0; i < n; i++) {
        int v = x[i] * 12;
        x[i] = (short)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    wav = vt_wav(x, n, rate, 1, &len);
    expect_refusal(wav, len, EYNI_VOICE_REASON_CLIPPED, EYNI_EQUALITY);
    free(wav);
    free(x);
}

static void tenth_of_a_second_is_too_short(void **state)
{
    size_t n, len;
    int rate;
    short *x = vt_pcm("jackson", 0, 3, &n, &rate);
    /* The loudest 0.1 s of a real recording. */
    size_t w = (size_t)rate / 10, best = 0;
    double be = -1;
    for (size_t s = 0; s + w <= n; s += 40) {
        double e = 0;
        for (size_t i = s; i < s + w; i++)
            e += (double)x[i] * x[i];
        if (e > be) {
            be = e;
            best = s;
        }
    }
    unsigned char *wav = vt_wav(x + best, w, rate, 1, &len);
    expect_refusal(wav, len, EYNI_VOICE_REASON_TOO_SHORT, EYNI_EQUALITY);
    free(wav);
    free(x);
}

static void non_audio_is_refused(void **state)
{
    char *p = eyni_test_path("fsdd-spoken-digits/SOURCE.md");
    unsigned char *buf;
    size_t len;
    eyni_error err = {0};
    assert_int_equal(eyni_file_read(p, 1 << 20, &buf, &len, &err), 0);
    expect_refusal(buf, len, EYNI_VOICE_REASON_NOT_AUDIO, EYNI_EFORMAT);
    expect_refusal(buf, 0, EYNI_VOICE_REASON_NOT_AUDIO, EYNI_EFORMAT);
    /* A RIFF/WAVE header followed by garbage instead of a format chunk. */
    memcpy(buf, "RIFF\x20\0\0\0WAVEjunk\xff\xff\xff\x7f", 20);
    expect_refusal(buf, 40, EYNI_VOICE_REASON_NOT_AUDIO, EYNI_EFORMAT);
    free(buf);
    free(p);
}

static void truncated_is_refused(void **state)
{
    char *p = vt_fsdd("theo", 9, 4);
    unsigned char *buf;
    size_t len;
    eyni_error err = {0};
    assert_int_equal(eyni_file_read(p, 1 << 24, &buf, &len, &err), 0);
    expect_refusal(buf, len / 2, EYNI_VOICE_REASON_TRUNCATED, EYNI_EFORMAT);
    expect_refusal(buf, len - 1, EYNI_VOICE_REASON_TRUNCATED, EYNI_EFORMAT);
    expect_refusal(buf, 30, EYNI_VOICE_REASON_TRUNCATED, EYNI_EFORMAT);
    free(buf);
    free(p);
}

static void missing_file_is_not_found(void **state)
{
    eyni_voice_audio *a = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_audio_read("/nonexistent/x.wav", &a, NULL, &err), EYNI_ENOTFOUND);
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_file_decodes_at_working_rate),
        cmocka_unit_test(resampling_keeps_band_and_blocks_aliases),
        cmocka_unit_test(flac_decodes_like_wav),
        cmocka_unit_test(silence_only_is_refused),
        cmocka_unit_test(clipped_is_refused),
        cmocka_unit_test(tenth_of_a_second_is_too_short),
        cmocka_unit_test(non_audio_is_refused),
        cmocka_unit_test(truncated_is_refused),
        cmocka_unit_test(missing_file_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
