/* Personal identification numbers: random over the configured alphabet, unique, and never
 * reused (the fins table keeps every FIN ever issued and refuses deletion). */
#include <string.h>

#include "register_int.h"

#define FIN_ATTEMPTS 32

int reg_fin_wellformed(const eyni_register *reg, const char *fin)
{
    if (!fin || strlen(fin) != (size_t)reg->fin_length)
        return 0;
    for (const char *p = fin; *p; p++)
        if (!strchr(reg->fin_alphabet, *p))
            return 0;
    return 1;
}

/* Uniform characters by rejection sampling, so no character is favoured. */
static int draw(const eyni_register *reg, char *fin, eyni_error *err)
{
    size_t n = strlen(reg->fin_alphabet);
    unsigned limit = 256 - 256 % (unsigned)n;
    int i = 0;
    while (i < reg->fin_length) {
        unsigned char b[16];
        int rc = eyni_random_bytes(b, sizeof b, err);
        if (rc)
            return rc;
        for (size_t k = 0; k < sizeof b && i < reg->fin_length; k++)
            if (b[k] < limit)
                fin[i++] = reg->fin_alphabet[b[k] % n];
    }
    fin[i] = '\0';
    return 0;
}

int reg_fin_allocate(eyni_register *reg, eyni_db *db, char fin[EYNI_FIN_MAX + 1], eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    for (int attempt = 0; attempt < FIN_ATTEMPTS; attempt++) {
        int rc = draw(reg, fin, err);
        if (rc)
            return rc;
        const char *vals[] = {fin, now};
        rc = reg_exec1(db, "INSERT INTO fins (fin, issued_at) VALUES (?, ?)", vals, 2, err);
        if (rc != EYNI_EEXIST)
            return rc;
    }
    return eyni_error_set(err, EYNI_ELIMIT,
                          "no free FIN after %d attempts: the FIN space is nearly exhausted",
                          FIN_ATTEMPTS);
}
