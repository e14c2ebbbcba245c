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
    int full;                   /* every cell of the disc is valid */
    int ones;                   /* set bits (all inside valid cells) */
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
    int key;  /* s quantised for the counting sort, best first */
    int a, b; /* cylinder indices */
} pair;

/* Scratch for one comparison: MCC_SCRATCH(a->nc, b->nc) pairs. */
#define MCC_SCRATCH(na, nb) (3 * ((size_t)(na) * (size_t)(nb) + 1))
double mcc_score(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, pair *buf);

#endif
