/*
 * compare_stats.h — the significance tests benchy compare uses: normal and
 * Student t distributions (our own, so no numerical library is needed),
 * Welch's t-test from summary statistics, and a seeded bootstrap of a
 * percentile's difference. No allocation except the bootstrap's scratch.
 */
#ifndef BENCHY_STATS_COMPARE_STATS_H
#define BENCHY_STATS_COMPARE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../util.h"

/* P(Z <= z) for a standard normal Z. */
BENCHY_INTERNAL double cmp_normal_cdf(double z);
/* The regularized incomplete beta function I_x(a, b), by its continued
 * fraction (Lentz); NaN for arguments outside a, b > 0, 0 <= x <= 1. */
BENCHY_INTERNAL double cmp_incomplete_beta(double a, double b, double x);
/* P(T <= t) for Student's t with df degrees of freedom (df > 0, not
 * necessarily integral: Welch's df is not). */
BENCHY_INTERNAL double cmp_t_cdf(double t, double df);
/* The t with P(T <= t) = p, by bisection on cmp_t_cdf. */
BENCHY_INTERNAL double cmp_t_quantile(double p, double df);

typedef struct cmp_test {
  double diff;         /* new - base, in the samples' unit */
  double ci_low, ci_high; /* confidence interval of diff at 1 - alpha */
  double p;            /* two-sided p-value */
  double statistic;    /* Welch's t; 0 for the bootstrap */
  double df;           /* Welch's degrees of freedom; 0 otherwise */
} cmp_test;

/* Welch's t-test of mean_new - mean_base from means, *sample* standard
 * deviations and counts (each n >= 2). Returns 0, or -1 when a count is
 * below 2. Both deviations 0: the means are exact; p is 1 when they are
 * equal and 0 when not. */
BENCHY_INTERNAL int cmp_welch(double mean_base, double sd_base, double n_base, double mean_new,
                              double sd_new, double n_new, double alpha, cmp_test *out);
/* numpy's default ("linear") percentile q (0..100) of v; v is reordered. */
BENCHY_INTERNAL double cmp_percentile(double *v, size_t n, double q);
/* Percentile bootstrap of percentile(new, q) - percentile(base, q):
 * iterations resamples of each side, seeded so a comparison is repeatable.
 * diff is the difference of the samples' own percentiles; p is twice the
 * smaller share of resampled differences on either side of 0 (at least
 * 1/iterations). -1 when a side is empty or out of memory. */
BENCHY_INTERNAL int cmp_bootstrap_percentile(const double *base, size_t n_base,
                                             const double *fresh, size_t n_new, double q,
                                             double alpha, unsigned iterations, uint64_t seed,
                                             cmp_test *out);

#endif
