/*
 * Audio in: WAV/FLAC bytes through libsndfile's virtual I/O, mono mix-down, resampling to
 * the working rate, the checks that refuse unusable recordings, and loudness
 * normalisation of the speech.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "voice_int.h"

#define MAX_CHANNELS     16
#define MIN_RATE         4000
#define MAX_RATE         192000
#define CLIP_MIN_PEAK    0.25  /* peaks below this cannot be a converter's limit */
#define CLIP_FRACTION    0.001 /* share of samples stuck at the peak that means clipped */
#define CLIP_MIN_SAMPLES 3
#define TARGET_RMS_DB    (-20.0)
#define MAX_GAIN_DB      40.0
#define READ_BLOCK       4096      /* frames decoded per call */
#define READ_START       (1 << 16) /* initial sample buffer, grown as data arrives */

const char *eyni_voice_reason_name(eyni_voice_reason r)
{
    switch (r) {
    case EYNI_VOICE_REASON_NOT_AUDIO:
        return "not_audio";
    case EYNI_VOICE_REASON_TRUNCATED:
        return "truncated";
    case EYNI_VOICE_REASON_TOO_SHORT:
        return "too_short";
    case EYNI_VOICE_REASON_TOO_LONG:
        return "too_long";
    case EYNI_VOICE_REASON_CLIPPED:
        return "clipped";
    case EYNI_VOICE_REASON_SILENCE:
        return "silence";
    default:
        return "none";
    }
}

/* ---- libsndfile virtual I/O over a memory buffer ------------------------------------ */

typedef struct membuf {
    const unsigned char *p;
    sf_count_t len, pos;
} membuf;

static sf_count_t mb_len(void *u)
{
    return ((membuf *)u)->len;
}

static sf_count_t mb_seek(sf_count_t off, int whence, void *u)
{
    membuf *m = u;
    sf_count_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    sf_count_t np = base + off;
    if (np < 0 || np > m->len)
        return -1;
    m->pos = np;
    return np;
}

static sf_count_t mb_read(void *dst, sf_count_t n, void *u)
{
    membuf *m = u;
    sf_count_t left = m->len - m->pos;
    if (n > left)
        n = left;
    if (n <= 0)
        return 0;
    memcpy(dst, m->p + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t mb_write(const void *src, sf_count_t n, void *u)
{
    return 0; /* read-only */
}

static sf_count_t mb_tell(void *u)
{
    return ((membuf *)u)->pos;
}

/* ---- checks ------------------------------------------------------------------------ */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * libsndfile quietly shortens a WAV whose data chunk runs past the end of the file, so a
 * cut transfer would pass unnoticed: walk the RIFF chunks and compare. Only a file that
 * ends inside its format or data chunk (or after a format chunk) counts as truncated; one
 * whose first chunks are nonsense is simply not audio.
 */
static int wav_truncated(const unsigned char *p, size_t len)
{
    if (len < 12 || (memcmp(p, "RIFF", 4) && memcmp(p, "RIFX", 4)) || memcmp(p + 8, "WAVE", 4))
        return 0;
    size_t pos = 12;
    int seen_fmt = 0;
    for (int chunks = 0; chunks < 1024 && pos < len; chunks++) {
        if (len - pos < 8)
            return seen_fmt || (len - pos >= 4 && memcmp(p + pos, "fmt ", 4) == 0);
        uint32_t sz = le32(p + pos + 4);
        int is_data = memcmp(p + pos, "data", 4) == 0;
        if (is_data && (sz == 0 || sz == 0xffffffffu))
            return 0; /* streaming writers leave the length open */
        int known = is_data || memcmp(p + pos, "fmt ", 4) == 0;
        if ((uint64_t)sz > (uint64_t)(len - pos - 8))
            return known || seen_fmt;
        if (is_data)
            return 0;
        seen_fmt |= memcmp(p + pos, "fmt ", 4) == 0;
        pos += 8 + (size_t)sz + (sz & 1);
    }
    return seen_fmt && pos > len;
}

/* Digital clipping leaves runs of samples stuck at the converter's extreme value. */
static int is_clipped(const float *x, size_t n)
{
    float peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fmaxf(peak, fabsf(x[i]));
    if (peak < CLIP_MIN_PEAK)
        return 0;
    float lim = peak * (1.0f - 1e-4f);
    size_t stuck = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (fabsf(x[i]) >= lim && fabsf(x[i + 1]) >= lim && (x[i] > 0) == (x[i + 1] > 0))
            stuck++;
    return stuck >= CLIP_MIN_SAMPLES && (double)stuck >= CLIP_FRACTION * (double)n;
}

static int reject(eyni_voice_reason r, eyni_voice_reason *why, eyni_error *err, int code,
                  const char *name, const char *detail)
{
    if (why)
        *why = r;
    return eyni_error_set(err, code, "%s: %s: %s", name, eyni_voice_reason_name(r), detail);
}

/* Reads all frames and mixes the channels down to one. */
/* Reads all frames and mixes the channels down to one. The header's frame count is not
 * trusted for the allocation: the buffer grows with what actually decodes. */
static int read_mono(SNDFILE *sf, const SF_INFO *info, float **out, size_t *n_out, eyni_error *err)
{
    size_t frames = (size_t)info->frames, ch = (size_t)info->channels;
    size_t cap = frames < READ_START ? (frames ? frames : 1) : READ_START;
    float *buf = malloc(READ_BLOCK * ch * sizeof *buf);
    float *x = malloc(cap * sizeof *x);
    size_t got = 0;
    if (!buf || !x)
        goto oom;
    while (got < frames) {
        sf_count_t want = (sf_count_t)(frames - got < READ_BLOCK ? frames - got : READ_BLOCK);
        sf_count_t r = sf_readf_float(sf, buf, want);
        if (r <= 0)
            break;
        if (got + (size_t)r > cap) {
            size_t nc = cap * 2 < frames ? cap * 2 : frames;
            float *nx = realloc(x, nc * sizeof *nx);
            if (!nx)
                goto oom;
            x = nx;
            cap = nc;
        }
        for (sf_count_t i = 0; i < r; i++) {
            float s = 0;
            for (size_t c = 0; c < ch; c++)
                s += buf[(size_t)i * ch + c];
            x[got + (size_t)i] = s / (float)ch;
        }
        got += (size_t)r;
    }
    free(buf);
    *out = x;
    *n_out = got;
    return 0;
oom:
    free(buf);
    free(x);
    return eyni_error_set(err, EYNI_ENOMEM, "out of memory decoding audio");
}

static int decode(const void *bytes, size_t len, const char *name, float **x, size_t *n, int *rate,
                  eyni_voice_reason *why, eyni_error *err)
{
    if (len > EYNI_VOICE_MAX_FILE)
        return reject(EYNI_VOICE_REASON_TOO_LONG, why, err, EYNI_ELIMIT, name,
                      "file larger than EYNI_VOICE_MAX_FILE");
    if (wav_truncated(bytes, len))
        return reject(EYNI_VOICE_REASON_TRUNCATED, why, err, EYNI_EFORMAT, name,
                      "WAV data chunk runs past the end of the file");
    membuf mb = {bytes, (sf_count_t)len, 0};
    SF_VIRTUAL_IO io = {mb_len, mb_seek, mb_read, mb_write, mb_tell};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, &mb);
    if (!sf)
        return reject(EYNI_VOICE_REASON_NOT_AUDIO, why, err, EYNI_EFORMAT, name,
                      "not a WAV or FLAC file libsndfile can decode");
    int rc = 0;
    if (info.channels < 1 || info.channels > MAX_CHANNELS || info.samplerate < MIN_RATE ||
        info.samplerate > MAX_RATE || info.frames < 0) {
        rc = reject(EYNI_VOICE_REASON_NOT_AUDIO, why, err, EYNI_EFORMAT, name,
                    "unsupported channel count or sample rate");
        goto done;
    }
    if ((double)info.frames / info.samplerate > EYNI_VOICE_MAX_SECONDS) {
        rc = reject(EYNI_VOICE_REASON_TOO_LONG, why, err, EYNI_ELIMIT, name,
                    "longer than EYNI_VOICE_MAX_SECONDS");
        goto done;
    }
    rc = read_mono(sf, &info, x, n, err);
    if (rc == 0 && *n < (size_t)info.frames) {
        free(*x);
        *x = NULL;
        rc = reject(EYNI_VOICE_REASON_TRUNCATED, why, err, EYNI_EFORMAT, name,
                    "stream ends before the sample count in its header");
    }
    *rate = info.samplerate;
done:
    sf_close(sf);
    return rc;
}

/* Scales the samples so that the speech frames have TARGET_RMS_DB. */
static void normalise(eyni_voice_audio *a)
{
    double e = 0;
    size_t cnt = 0;
    for (size_t f = 0; f < a->n_frames; f++) {
        if (!a->speech[f])
            continue;
        const float *p = a->x + f * VHOP;
        for (size_t i = 0; i < VFRAME; i++)
            e += (double)p[i] * p[i];
        cnt += VFRAME;
    }
    if (!cnt || e <= 0)
        return;
    double rms_db = 10.0 * log10(e / (double)cnt);
    double g_db = fmin(TARGET_RMS_DB - rms_db, MAX_GAIN_DB);
    float g = (float)pow(10.0, g_db / 20.0);
    for (size_t i = 0; i < a->n; i++)
        a->x[i] *= g;
}

int eyni_voice_audio_decode(const void *buf, size_t len, const char *name, eyni_voice_audio **out,
                            eyni_voice_reason *why, eyni_error *err)
{
    return eyni_voice_audio_decode_vad(buf, len, name, NULL, out, why, err);
}

int eyni_voice_audio_decode_vad(const void *buf, size_t len, const char *name,
                                const eyni_voice_vad *vad, eyni_voice_audio **out,
                                eyni_voice_reason *why, eyni_error *err)
{
    if (why)
        *why = EYNI_VOICE_REASON_NONE;
    if (!buf && len)
        return eyni_error_set(err, EYNI_EINVAL, "%s: no audio buffer", name);
    float *raw = NULL;
    size_t n = 0;
    int rate = 0;
    eyni_voice_audio *a = NULL;
    int rc = decode(buf, len, name, &raw, &n, &rate, why, err);
    if (rc)
        return rc;
    double secs = (double)n / rate;
    if (secs < EYNI_VOICE_MIN_SECONDS) {
        rc = reject(EYNI_VOICE_REASON_TOO_SHORT, why, err, EYNI_EQUALITY, name,
                    "recording shorter than EYNI_VOICE_MIN_SECONDS");
        goto fail;
    }
    if (is_clipped(raw, n)) {
        rc = reject(EYNI_VOICE_REASON_CLIPPED, why, err, EYNI_EQUALITY, name,
                    "samples stuck at the peak level (clipping); record at a lower gain");
        goto fail;
    }
    a = calloc(1, sizeof *a);
    if (!a) {
        rc = eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    a->seconds = secs;
    if (rate == EYNI_VOICE_RATE) {
        a->x = raw;
        a->n = n;
        raw = NULL;
    } else if ((rc = resample(raw, n, rate, EYNI_VOICE_RATE, &a->x, &a->n, err)) != 0) {
        eyni_error_prefix(err, "%s: ", name);
        goto fail;
    }
    rc = vad ? vad_silero(vad, a->x, a->n, &a->speech, &a->n_frames, &a->n_speech, err)
             : vad_detect(a->x, a->n, &a->speech, &a->n_frames, &a->n_speech, err);
    if (rc) {
        eyni_error_prefix(err, "%s: ", name);
        goto fail;
    }
    if (a->n_speech == 0) {
        rc = reject(EYNI_VOICE_REASON_SILENCE, why, err, EYNI_EQUALITY, name,
                    "no speech found (silence or noise only)");
        goto fail;
    }
    if ((double)a->n_speech * VHOP / EYNI_VOICE_RATE < EYNI_VOICE_MIN_SPEECH) {
        rc = reject(EYNI_VOICE_REASON_TOO_SHORT, why, err, EYNI_EQUALITY, name,
                    "less speech than EYNI_VOICE_MIN_SPEECH");
        goto fail;
    }
    normalise(a);
    free(raw);
    *out = a;
    return 0;
fail:
    free(raw);
    eyni_voice_audio_free(a);
    return rc;
}

int eyni_voice_audio_read(const char *path, eyni_voice_audio **out, eyni_voice_reason *why,
                          eyni_error *err)
{
    return eyni_voice_audio_read_vad(path, NULL, out, why, err);
}

int eyni_voice_audio_read_vad(const char *path, const eyni_voice_vad *vad, eyni_voice_audio **out,
                              eyni_voice_reason *why, eyni_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    if (why)
        *why = EYNI_VOICE_REASON_NONE;
    int rc = eyni_file_read(path, EYNI_VOICE_MAX_FILE, &buf, &len, err);
    if (rc) {
        if (rc == EYNI_ELIMIT && why)
            *why = EYNI_VOICE_REASON_TOO_LONG;
        return rc;
    }
    rc = eyni_voice_audio_decode_vad(buf, len, path, vad, out, why, err);
    free(buf);
    return rc;
}

void eyni_voice_audio_free(eyni_voice_audio *a)
{
    if (!a)
        return;
    free(a->x);
    free(a->speech);
    free(a);
}

double eyni_voice_audio_seconds(const eyni_voice_audio *a)
{
    return a->seconds;
}

double eyni_voice_audio_speech_seconds(const eyni_voice_audio *a)
{
    return (double)a->n_speech * VHOP / EYNI_VOICE_RATE;
}

const float *eyni_voice_audio_samples(const eyni_voice_audio *a, size_t *n)
{
    if (n)
        *n = a->n;
    return a->x;
}
