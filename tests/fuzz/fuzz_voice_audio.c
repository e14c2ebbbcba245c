/* Fuzz the voice audio reader: WAV/FLAC bytes through libsndfile's virtual I/O, the RIFF
 * truncation walk, resampling, voice activity and the refusal checks. */
#include <stddef.h>
#include <stdint.h>

#include "eyni/voice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eyni_voice_audio *a = NULL;
    eyni_voice_reason why;
    eyni_error err;
    if (eyni_voice_audio_decode(data, size, "fuzz", &a, &why, &err) == 0) {
        size_t n;
        const float *x = eyni_voice_audio_samples(a, &n);
        volatile float sink = n ? x[n - 1] : 0;
        (void)sink;
        eyni_voice_audio_free(a);
    }
    return 0;
}
