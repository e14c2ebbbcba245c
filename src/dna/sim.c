/* Simulation: a seeded generator, unrelated profiles from a frequency table, Mendelian
 * children and allele drop-out. */
#include <stdio.h>
#include <string.h>

#include "dna_int.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void eyni_dna_rng_seed(eyni_dna_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna). */
uint64_t eyni_dna_rng_next(eyni_dna_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double eyni_dna_rng_uniform(eyni_dna_rng *r)
{
    return (double)(eyni_dna_rng_next(r) >> 11) * 0x1.0p-53;
}

static eyni_dna_allele draw(const eyni_dna_freq *f, int l, size_t n, double total, eyni_dna_rng *r)
{
    double u = eyni_dna_rng_uniform(r) * total, acc = 0;
    eyni_dna_allele a = 0;
    double p;
    for (size_t i = 0; i < n; i++) {
        eyni_dna_freq_allele_at(f, l, i, &a, &p);
        acc += p;
        if (u < acc)
            return a;
    }
    return a; /* rounding left u at the very top: the last allele */
}

int eyni_dna_sim_unrelated(const eyni_dna_freq *f, eyni_dna_rng *r, uint64_t mask,
                           eyni_dna_profile *out, eyni_error *err)
{
    eyni_dna_profile_init(out);
    snprintf(out->population, sizeof out->population, "%s", eyni_dna_freq_population(f));
    int typed = 0;
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++) {
        size_t n = eyni_dna_freq_alleles(f, l);
        if (!(mask >> l & 1) || n == 0)
            continue;
        double total = 0, p;
        eyni_dna_allele a;
        for (size_t i = 0; i < n; i++) {
            eyni_dna_freq_allele_at(f, l, i, &a, &p);
            total += p;
        }
        out->loci[l] = dna_genotype_make(draw(f, l, n, total, r), draw(f, l, n, total, r));
        typed++;
    }
    if (!typed)
        return eyni_error_set(err, EYNI_EINVAL, "population %s has none of the requested loci",
                              eyni_dna_freq_population(f));
    return 0;
}

static eyni_dna_allele gamete(eyni_dna_rng *r, eyni_dna_genotype g)
{
    return eyni_dna_rng_next(r) >> 63 ? g.a : g.b;
}

void eyni_dna_sim_child(eyni_dna_rng *r, const eyni_dna_profile *mother,
                        const eyni_dna_profile *father, eyni_dna_profile *out)
{
    eyni_dna_profile c;
    eyni_dna_profile_init(&c);
    memcpy(c.population, mother->population, sizeof c.population);
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        eyni_dna_genotype m = mother->loci[l], f = father->loci[l];
        if (!m.a || !f.a || m.b == EYNI_DNA_ALLELE_DROPOUT || f.b == EYNI_DNA_ALLELE_DROPOUT)
            continue;
        if (l == EYNI_DNA_LOCUS_AMEL) {
            /* The mother gives X; the father X or Y. */
            c.loci[l] = dna_genotype_make(EYNI_DNA_ALLELE_X, gamete(r, f));
            continue;
        }
        c.loci[l] = dna_genotype_make(gamete(r, m), gamete(r, f));
    }
    *out = c;
}

void eyni_dna_sim_dropout(eyni_dna_rng *r, eyni_dna_profile *p, double rate)
{
    if (!(rate > 0))
        return;
    for (int l = 0; l < EYNI_DNA_NLOCI; l++) {
        eyni_dna_genotype g = p->loci[l];
        if (!g.a || g.b == EYNI_DNA_ALLELE_DROPOUT)
            continue;
        int lose_a = eyni_dna_rng_uniform(r) < rate, lose_b = eyni_dna_rng_uniform(r) < rate;
        if (lose_a && lose_b)
            p->loci[l].a = p->loci[l].b = 0;
        else if (lose_a || lose_b)
            p->loci[l] = dna_genotype_make(lose_a ? g.b : g.a, EYNI_DNA_ALLELE_DROPOUT);
    }
}
