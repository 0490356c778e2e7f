/*
 * moments.c — running count, mean, variance, min and max (benchy_moments).
 *
 * Welford's update keeps the sum of squared deviations (m2) instead of a sum
 * of squares, so a large common offset (timestamps, ns latencies around 1e9)
 * does not cancel away the variance. Merging uses the pairwise formula of
 * Chan, Golub and LeVeque, which is what adding every sample of one side to
 * the other would give, up to rounding.
 */
#include "benchy/benchy.h"

#include <math.h>

void benchy_moments_init(benchy_moments *m) {
  if (!m) return;
  m->n = 0;
  m->mean = 0.0;
  m->m2 = 0.0;
  m->min = 0.0;
  m->max = 0.0;
}

void benchy_moments_add(benchy_moments *m, double x) {
  if (!m) return;
  m->n++;
  if (m->n == 1) {
    /* min/max hold 0 while empty, so the first sample sets them outright. */
    m->mean = x;
    m->m2 = 0.0;
    m->min = x;
    m->max = x;
    return;
  }
  double delta = x - m->mean;
  m->mean += delta / (double)m->n;
  /* The second factor uses the updated mean: this is what makes the update
   * exact in m2 rather than an approximation. */
  m->m2 += delta * (x - m->mean);
  if (x < m->min) m->min = x;
  if (x > m->max) m->max = x;
}

void benchy_moments_merge(benchy_moments *into, const benchy_moments *from) {
  if (!into || !from || from->n == 0) return;
  if (into->n == 0) {
    *into = *from;
    return;
  }
  double na = (double)into->n, nb = (double)from->n;
  double n = na + nb;
  double delta = from->mean - into->mean;
  /* Weighting by the share of each side keeps the mean stable when one side
   * is much larger than the other. */
  into->mean += delta * (nb / n);
  into->m2 += from->m2 + delta * delta * (na * nb / n);
  into->n += from->n;
  if (from->min < into->min) into->min = from->min;
  if (from->max > into->max) into->max = from->max;
}

double benchy_moments_mean(const benchy_moments *m) {
  if (!m || m->n == 0) return NAN;
  return m->mean;
}

double benchy_moments_stddev(const benchy_moments *m, int ddof) {
  if (!m || ddof < 0 || m->n <= (uint64_t)ddof) return NAN;
  double var = m->m2 / (double)(m->n - (uint64_t)ddof);
  /* Rounding can leave m2 a hair below zero for constant input. */
  return var > 0.0 ? sqrt(var) : 0.0;
}
