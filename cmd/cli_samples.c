/* Samples named on a command line, read into memory (see cli_samples.h). */
#include <stdlib.h>

#include "cli_samples.h"

int cli_samples_add(cli_samples *s, const char *modality, int position, const char *path,
                    eyni_error *err)
{
    if (s->n == EYNI_IDENTITY_MAX_SAMPLES)
        return eyni_error_set(err, EYNI_ELIMIT, "more than %d samples", EYNI_IDENTITY_MAX_SAMPLES);
    size_t len;
    int rc = eyni_file_read(path, EYNI_IDENTITY_MAX_SAMPLE_BYTES, &s->bufs[s->n], &len, err);
    if (rc)
        return rc;
    s->v[s->n] = (eyni_sample_in){modality, position, s->bufs[s->n], len};
    s->n++;
    return 0;
}

int cli_samples_add_finger(cli_samples *s, const char *arg, eyni_error *err)
{
    char *end;
    long pos = strtol(arg, &end, 10);
    /* Out-of-range positions are the service's to name; this only keeps them in an int. */
    if (end == arg || *end != '=' || pos < 0 || pos > 99)
        return eyni_error_set(err, EYNI_EINVAL, "--finger needs POSITION=IMG, got '%.40s'", arg);
    return cli_samples_add(s, "finger", (int)pos, end + 1, err);
}

void cli_samples_free(cli_samples *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->bufs[i]);
    s->n = 0;
}
