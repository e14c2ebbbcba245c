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
    int nvalid;                 /* valid cells */
} mcc_cyl;

#define MCC_HULL    32 /* hull edges kept for the global score's overlap (mcc_global.c) */
#define MCC_ANCHORS 3  /* strongest relaxed pairs that propose an alignment */
#define MCC_G       16 /* cells per side of the grid index of the minutiae (mcc_global.c) */
#define MCC_GW      32 /* ... each this many pixels (beyond the grid: its last cells) */
#define MCC_PAD(n)  (((n) + 15) & ~15) /* room for whole 16-lane vectors */

struct eyni_finger_mcc {
    int n;         /* minutiae */
    int nc;        /* valid cylinders */
    int min_me;    /* matchable cells needed */
    uint64_t hash; /* orders the two sides of a comparison so the score is symmetric */
    /* What every comparison reads comes first (one or two cache lines to prefetch). */
    mcc_cyl *cyl; /* nc cylinders, allocated to size */
    float *cth;   /* direction of each cylinder's minutia, MCC_PAD(nc) (fast path) */
    uint16_t fullm[MCC_PAD(EYNI_FINGER_MAX_MINUTIAE) / 16]; /* bit j: cylinder j is full */
    int nh; /* edges of the minutiae's convex hull (0: fewer than 3 corners) */
    float hnx[MCC_HULL], hny[MCC_HULL], hc[MCC_HULL]; /* outward normal, offset per edge */
    uint8_t gs[EYNI_FINGER_MAX_MINUTIAE];             /* minutiae by grid cell (mcc_global.c) */
    uint8_t gfirst[MCC_G * MCC_G + 1];                /* position in gs of each cell's first */
    float x[EYNI_FINGER_MAX_MINUTIAE], y[EYNI_FINGER_MAX_MINUTIAE], th[EYNI_FINGER_MAX_MINUTIAE];
};

/* Asks the cache for what comparing m will read first: its header and cylinders. */
static inline void mcc_prefetch_head(const struct eyni_finger_mcc *m)
{
    __builtin_prefetch(m);
    __builtin_prefetch((const char *)m + 64);
}
static inline void mcc_prefetch_body(const struct eyni_finger_mcc *m)
{
    const char *p = (const char *)m->cyl, *end = p + sizeof(mcc_cyl) * (size_t)m->nc;
    for (; p < end; p += 64)
        __builtin_prefetch(p);
    __builtin_prefetch(m->cth);
}

typedef struct pair {
    float s;
    int key;  /* s quantised for the counting sort, best first */
    int a, b; /* cylinder indices */
} pair;

/* Scratch for one comparison (either path): MCC_SCRATCH(a->nc, b->nc) pairs. */
#define MCC_SCRATCH(na, nb) (3 * ((size_t)MCC_PAD(na) * (size_t)MCC_PAD(nb) + 16))
/* The score: the AVX-512 path where the CPU has it, else the portable one. */
double mcc_score(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, pair *buf);
/* The portable path alone: the reference the fast path must equal bit for bit. */
double mcc_score_reference(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b,
                           pair *buf);

/* Shared by both paths (mcc.c). */
void mcc_canonical(const struct eyni_finger_mcc **a, const struct eyni_finger_mcc **b);
int mcc_np(int na, int nb);
/* Compatibility of the minutia pairs (at, bt) and (ak, bk), in [0, 1]. */
float mcc_compat(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, int at, int ak,
                 int bt, int bk);
/* rho[t * MCC_MAX_NR + k]: compatibility of selected pairs t and k; rows 0..nr-1 filled,
 * zero on the diagonal and beyond nr. */
void mcc_rho(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, const pair *sel,
             int nr, float *rho);
/* LSS-R relaxation of the nr greedily selected pairs; the score before clamping. top gets
 * the indices (into sel) of the MCC_ANCHORS most efficient pairs, *ntop how many. */
double mcc_relax(const pair *sel, int nr, int np, const float *rho, int *top, int *ntop);
/* The score from the selected pairs and their compatibilities: LSS-R plus the global
 * score of mcc_global.c, clamped to [0, 1]. Both paths end here. */
double mcc_finish(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, const pair *sel,
                  int nr, const float *rho);
/* Global agreement g in [0, ~1] of the alignments proposed by sel[top[0..ntop)]. */
float mcc_global(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, const pair *sel,
                 int nr, const int *top, int ntop);
/* The overlap test's half-planes from the hull h[0..nh) (counter-clockwise, y down). */
void mcc_hull_lines(struct eyni_finger_mcc *m, const int *h, int nh);
/* m->gs and m->gfirst from the minutiae. */
void mcc_grid(struct eyni_finger_mcc *m);
int mcc_greedy(const pair *sorted, int n, int nr_max, pair *sel);
#define MCC_SORT_BINS 1024
#define MCC_MAX_NR    20 /* pairs relaxed: the strongest 20 carry the decision (and 2x faster) */
/* The best-first prefix of the pairs worth sorting: keys are counted in bins of MCC_COARSE
 * (hist has MCC_SORT_BINS / MCC_COARSE + 2 bins); lo is the lowest key present, lim the key
 * below which at least `want` pairs lie (MCC_SORT_BINS + 1 when fewer are there). */
#define MCC_COARSE 16
void mcc_prefix_cut(const int *hist, int want, int *lo, int *lim);
static inline int mcc_sort_key(float s)
{
    return MCC_SORT_BINS - (int)(s * (MCC_SORT_BINS - 1)); /* 1..MCC_SORT_BINS, best first */
}

/* First stage (prefilter.c): a copy of m with only its `keep` cylinders nearest the centre
 * of its minutiae, for a cheap comparison with the same arithmetic. */
#define MCC_PRE_CYL 16
int mcc_subset(const struct eyni_finger_mcc *m, int keep, struct eyni_finger_mcc **out,
               eyni_error *err);

/* The AVX-512 path (mcc_fast.c); 0 when the CPU or the compiler lacks it. */
int mcc_fast_available(void);
double mcc_score_fast(const struct eyni_finger_mcc *a, const struct eyni_finger_mcc *b, pair *buf);

#endif
