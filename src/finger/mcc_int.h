/* Module-private layout of the binary Minutia Cylinder-Code. */
#ifndef EYNI_FINGER_MCC_INT_H
#define EYNI_FINGER_MCC_INT_H

#include <stdint.h>

#include "eyni/finger.h"

#define MCC_NS     16                     /* cells per side */
#define MCC_ND     6                      /* direction sections */
#define MCC_VWORDS (MCC_NS * MCC_NS / 64) /* words of one spatial layer */
#define MCC_WORDS  (MCC_VWORDS * MCC_ND)

typedef struct mcc_cyl {
    uint64_t bits[MCC_WORDS];   /* layer k occupies words k*MCC_VWORDS.. */
    uint64_t valid[MCC_VWORDS]; /* cells inside the disc and the enlarged hull */
    int minutia;                /* index into x/y/th */
} mcc_cyl;

struct eyni_finger_mcc {
    int n;         /* minutiae */
    int nc;        /* valid cylinders */
    int min_me;    /* matchable cells needed */
    uint64_t hash; /* orders the two sides of a comparison so the score is symmetric */
    float x[EYNI_FINGER_MAX_MINUTIAE], y[EYNI_FINGER_MAX_MINUTIAE], th[EYNI_FINGER_MAX_MINUTIAE];
    mcc_cyl *cyl; /* nc cylinders, allocated to size */
};

typedef struct pair {
    float s;
    int a, b; /* cylinder indices */
} pair;

/* Scratch for one comparison: at least 2 * a->nc * b->nc pairs. */
double mcc_score(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, pair *buf);

#endif
