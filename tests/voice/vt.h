/* Helpers shared by the voice tests: FSDD paths, PCM access and in-memory WAV files. */
#ifndef EYNI_VOICE_VT_H
#define EYNI_VOICE_VT_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "eyni/voice.h"
#include "testutil.h"

static const char *const vt_speakers[] = {"george",  "jackson", "lucas",
                                          "nicolas", "theo",    "yweweler"};
#define VT_SPEAKERS 6

/* Path of FSDD recording <digit>_<speaker>_<index>.wav (caller frees). */
static inline char *vt_fsdd(const char *spk, int digit, int index)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fsdd-spoken-digits/speakers/%s/%d_%s_%d.wav", spk, digit, spk,
             index);
    return eyni_test_path(rel);
}

static inline eyni_voice_audio *vt_audio(const char *spk, int digit, int index)
{
    char *p = vt_fsdd(spk, digit, index);
    eyni_voice_audio *a = NULL;
    eyni_error err = {0};
    eyni_voice_reason why;
    int rc = eyni_voice_audio_read(p, &a, &why, &err);
    if (rc != 0)
        fail_msg("%s: %s", p, err.msg);
    free(p);
    return a;
}

/* 16-bit PCM samples of an FSDD recording through libsndfile (caller frees). */
static inline short *vt_pcm(const char *spk, int digit, int index, size_t *n, int *rate)
{
    char *p = vt_fsdd(spk, digit, index);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(p, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.channels, 1);
    short *x = malloc((size_t)info.frames * sizeof *x);
    assert_non_null(x);
    assert_int_equal(sf_read_short(sf, x, info.frames), info.frames);
    sf_close(sf);
    free(p);
    *n = (size_t)info.frames;
    *rate = info.samplerate;
    return x;
}

static inline void vt_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* A canonical 16-bit PCM WAV of n frames x ch channels (caller frees). */
static inline unsigned char *vt_wav(const short *x, size_t n, int rate, int ch, size_t *len)
{
    size_t data = n * (size_t)ch * 2;
    unsigned char *b = malloc(44 + data);
    assert_non_null(b);
    memcpy(b, "RIFF", 4);
    vt_put32(b + 4, (uint32_t)(36 + data));
    memcpy(b + 8, "WAVEfmt ", 8);
    vt_put32(b + 16, 16);
    b[20] = 1;
    b[21] = 0;
    b[22] = (unsigned char)ch;
    b[23] = 0;
    vt_put32(b + 24, (uint32_t)rate);
    vt_put32(b + 28, (uint32_t)(rate * ch * 2));
    b[32] = (unsigned char)(ch * 2);
    b[33] = 0;
    b[34] = 16;
    b[35] = 0;
    memcpy(b + 36, "data", 4);
    vt_put32(b + 40, (uint32_t)data);
    for (size_t i = 0; i < n * (size_t)ch; i++) {
        b[44 + 2 * i] = (unsigned char)(x[i] & 0xff);
        b[45 + 2 * i] = (unsigned char)((unsigned short)x[i] >> 8);
    }
    *len = 44 + data;
    return b;
}

/* A small model on FSDD training recordings (indices first..first+per_digit-1 of every
 * digit of every speaker): enough for behaviour tests, quick under sanitizers. */
static inline eyni_voice_model *vt_train_with(const eyni_voice_train_opts *o, int first,
                                              int per_digit)
{
    size_t n = (size_t)VT_SPEAKERS * 10 * (size_t)per_digit, k = 0;
    eyni_voice_audio **a = calloc(n, sizeof *a);
    int *lab = calloc(n, sizeof *lab);
    assert_true(a && lab);
    for (int s = 0; s < VT_SPEAKERS; s++)
        for (int d = 0; d < 10; d++)
            for (int i = 0; i < per_digit; i++) {
                a[k] = vt_audio(vt_speakers[s], d, first + i);
                lab[k++] = s;
            }
    eyni_voice_model *m = NULL;
    eyni_error err = {0};
    int rc = eyni_voice_train((const eyni_voice_audio *const *)a, lab, n, o, &m, &err);
    if (rc)
        fail_msg("training: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        eyni_voice_audio_free(a[i]);
    free(a);
    free(lab);
    return m;
}

static inline eyni_voice_model *vt_train(int components, int first, int per_digit, uint64_t seed)
{
    eyni_voice_train_opts o;
    eyni_voice_train_opts_default(&o);
    o.components = components;
    o.nap_rank = 8;
    o.seed = seed;
    return vt_train_with(&o, first, per_digit);
}

/* Reference of a speaker from recordings index of every digit. */
static inline eyni_voice_ref *vt_enrol(const eyni_voice_model *m, const char *spk, int index)
{
    eyni_voice_audio *a[10];
    for (int d = 0; d < 10; d++)
        a[d] = vt_audio(spk, d, index);
    eyni_voice_ref *r = NULL;
    eyni_error err = {0};
    int rc = eyni_voice_enrol(m, (const eyni_voice_audio *const *)a, 10, &r, &err);
    if (rc)
        fail_msg("enrol %s: %s", spk, err.msg);
    for (int d = 0; d < 10; d++)
        eyni_voice_audio_free(a[d]);
    return r;
}

static inline eyni_voice_probe *vt_probe(const eyni_voice_model *m, const char *spk, int digit,
                                         int index)
{
    eyni_voice_audio *a = vt_audio(spk, digit, index);
    eyni_voice_probe *p = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_probe_new(m, a, &p, &err), 0);
    eyni_voice_audio_free(a);
    return p;
}

#endif
