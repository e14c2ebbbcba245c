/* Samples named on a command line (--face IMG, --finger POSITION=IMG, --voice AUDIO), read
 * into memory for the identity service; shared by the identity and re-capture commands. */
#ifndef EYNI_CLI_SAMPLES_H
#define EYNI_CLI_SAMPLES_H

#include "eyni/identity.h"

typedef struct cli_samples {
    eyni_sample_in v[EYNI_IDENTITY_MAX_SAMPLES];
    unsigned char *bufs[EYNI_IDENTITY_MAX_SAMPLES];
    int n;
} cli_samples;

/* Reads the file at path as one sample (at most EYNI_IDENTITY_MAX_SAMPLE_BYTES). */
int cli_samples_add(cli_samples *s, const char *modality, int position, const char *path,
                    eyni_error *err);
/* --finger POSITION=IMG; the position itself is checked by the service. */
int cli_samples_add_finger(cli_samples *s, const char *arg, eyni_error *err);
void cli_samples_free(cli_samples *s);

#endif
