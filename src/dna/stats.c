/* Random match probability (NRC II 4.1 and 4.10) and kinship indices. */
#include <math.h>
#include <string.h>

#include "dna_int.h"

static int check_theta(double theta, eyni_error *err)
{
    if (!(theta >= 0 && theta < 0.5))
        return eyni_error_set(err, EYNI_EINVAL, "theta %g outside [0, 0.5)", theta);
    return 0;
}

/* NRC II eq. 4.4a as used by recommendation 4.1: p^2 + p(1-p)theta; heterozygote 2pq. */
static double nrc41(double p, double q, int hom, double theta)
{
    return hom ? p * p + p * (1 - p) * theta : 2 * p * q;
}

/* NRC II eq. 4.10a/b (Balding & Nichols 1994): the match probability conditional on the
 * suspect's genotype in a subdivided population with co-ancestry theta. */
static double nrc410(double p, double q, int hom, double theta)
{
    double den = (1 + theta) * (1 + 2 * theta);
    if (hom)
        return (2 * theta + (1 - theta) * p) * (3 * theta + (1 - theta) * p) / den;
    return 2 * (theta + (1 - theta) * p) * (theta + (1 - theta) * q) / den;
}

int eyni_dna_genotype_freq(const eyni_dna_freq *f, int locus, eyni_dna_genotype g,
                           eyni_dna_formula formula, double theta, eyni_dna_locus_stat *out,
                           eyni_error *err)
{
    if (check_theta(theta, err))
        return EYNI_EINVAL;
    if (formula != EYNI_DNA_NRC_4_1 && formula != EYNI_DNA_NRC_4_10)
        return eyni_error_set(err, EYNI_EINVAL, "unknown formula %d (use 4.1 or 4.10)",
                              (int)formula);
    if (locus < 0 || locus >= EYNI_DNA_LOCUS_AMEL || !g.a)
        return eyni_error_set(err, EYNI_EINVAL, "no statistics for %s",
                              locus == EYNI_DNA_LOCUS_AMEL ? "Amelogenin" : "an untyped locus");
    eyni_dna_locus_stat s;
    memset(&s, 0, sizeof s);
    s.locus = locus;
    s.genotype = g;
    if (eyni_dna_freq_get(f, locus, g.a, &s.p, err))
        return err ? err->code : EYNI_ENOTFOUND;
    if (g.b == EYNI_DNA_ALLELE_DROPOUT) {
        /* One allele seen, the other may have dropped out: the 2p rule (NRC II 4.1's
         * conservative bound), whichever formula is chosen. */
        s.q = s.p;
        s.two_p = 1;
        s.value = 2 * s.p > 1 ? 1 : 2 * s.p;
    } else {
        if (eyni_dna_freq_get(f, locus, g.b, &s.q, err))
            return err ? err->code : EYNI_ENOTFOUND;
        int hom = g.a == g.b;
        s.value = formula == EYNI_DNA_NRC_4_1 ? nrc41(s.p, s.q, hom, theta)
                                              : nrc410(s.p, s.q, hom, theta);
    }
    *out = s;
    return 0;
}

int eyni_dna_rmp(const eyni_dna_freq *f, const eyni_dna_profile *p, uint64_t mask,
                 eyni_dna_formula formula, double theta, eyni_dna_stat *out, eyni_error *err)
{
    eyni_dna_stat r;
    memset(&r, 0, sizeof r);
    r.value = 1;
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++) {
        if (!(mask >> l & 1) || !p->loci[l].a)
            continue;
        eyni_dna_locus_stat *s = &r.loci[r.nloci];
        if (eyni_dna_genotype_freq(f, l, p->loci[l], formula, theta, s, err))
            return err ? err->code : EYNI_EINVAL;
        r.value *= s->value;
        r.log10 += log10(s->value);
        r.nloci++;
    }
    if (r.nloci == 0)
        return eyni_error_set(err, EYNI_EINVAL, "profile %s has no typed autosomal locus", p->id);
    *out = r;
    return 0;
}

const char *eyni_dna_relation_name(eyni_dna_relation r)
{
    switch (r) {
    case EYNI_DNA_PARENT_CHILD:
        return "parent-child";
    case EYNI_DNA_FULL_SIBLING:
        return "full-sibling";
    case EYNI_DNA_HALF_SIBLING:
        return "half-sibling";
    }
    return "?";
}

/* Probability that genotype (c,d) arises when allele t is inherited IBD and the other
 * allele is drawn from the population. */
static double transmit(eyni_dna_allele t, eyni_dna_genotype g, double pc, double pd)
{
    if (g.a == g.b)
        return t == g.a ? pc : 0;
    return (t == g.a ? pd : 0) + (t == g.b ? pc : 0);
}

/* LR at one locus: k0 + k1 * P(y | x, 1 IBD)/P(y) + k2 * [x == y]/P(y). */
int dna_kinship_locus(const eyni_dna_freq *f, int l, eyni_dna_genotype x, eyni_dna_genotype y,
                      eyni_dna_relation rel, eyni_dna_locus_stat *s, eyni_error *err)
{
    static const double k[3][3] = {{0, 1, 0}, {0.25, 0.5, 0.25}, {0.5, 0.5, 0}};
    double pc, pd;
    if (eyni_dna_freq_get(f, l, y.a, &pc, err) || eyni_dna_freq_get(f, l, y.b, &pd, err))
        return err ? err->code : EYNI_ENOTFOUND;
    double py = y.a == y.b ? pc * pc : 2 * pc * pd;
    double ibd1 = 0.5 * (transmit(x.a, y, pc, pd) + transmit(x.b, y, pc, pd));
    double same = x.a == y.a && x.b == y.b ? 1 : 0;
    memset(s, 0, sizeof *s);
    s->locus = l;
    s->genotype = y;
    s->p = pc;
    s->q = pd;
    s->value = k[rel][0] + k[rel][1] * ibd1 / py + k[rel][2] * same / py;
    return 0;
}

int eyni_dna_kinship(const eyni_dna_freq *f, const eyni_dna_profile *x, const eyni_dna_profile *y,
                     uint64_t mask, eyni_dna_relation rel, eyni_dna_stat *out, eyni_error *err)
{
    if (rel != EYNI_DNA_PARENT_CHILD && rel != EYNI_DNA_FULL_SIBLING &&
        rel != EYNI_DNA_HALF_SIBLING)
        return eyni_error_set(err, EYNI_EINVAL, "unknown relation %d", (int)rel);
    eyni_dna_stat r;
    memset(&r, 0, sizeof r);
    r.value = 1;
    for (int l = 0; l < EYNI_DNA_LOCUS_AMEL; l++) {
        eyni_dna_genotype gx = x->loci[l], gy = y->loci[l];
        if (!(mask >> l & 1) || !gx.a || !gy.a || gx.b == EYNI_DNA_ALLELE_DROPOUT ||
            gy.b == EYNI_DNA_ALLELE_DROPOUT)
            continue; /* a drop-out allele leaves the genotype unknown: uninformative */
        eyni_dna_locus_stat *s = &r.loci[r.nloci];
        if (dna_kinship_locus(f, l, gx, gy, rel, s, err))
            return err ? err->code : EYNI_EINVAL;
        r.value *= s->value;
        r.log10 += s->value > 0 ? log10(s->value) : -INFINITY;
        r.nloci++;
    }
    if (r.nloci == 0)
        return eyni_error_set(err, EYNI_EINVAL, "profiles %s and %s share no typed locus", x->id,
                              y->id);
    *out = r;
    return 0;
}
