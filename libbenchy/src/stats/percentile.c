/*
 * percentile.c — exact percentiles of kept samples, matching
 * numpy.percentile(a, p) with its default method="linear" bit for bit:
 * the same virtual index, the same index clamping and the same two-sided
 * interpolation numpy's _lerp uses, so results compare with == against
 * Python-side analysis of the same samples.
 */
#include "benchy/benchy.h"

#include <math.h>
#include <stdlib.h>

double benchy_percentile_sorted(const double *sorted, size_t n, double p) {
  if (!sorted || n == 0 || isnan(p)) return NAN;
  /* numpy sorts NaN last and then any percentile is NaN. */
  if (isnan(sorted[n - 1])) return NAN;
  if (p < 0.0) p = 0.0;
  if (p > 100.0) p = 100.0;
  /* numpy divides first, then scales: keep that order so the rounding is the
   * same (p / 100 * (n - 1) and p * (n - 1) / 100 differ in the last bit). */
  double q = p / 100.0;
  double vi = (double)(n - 1) * q;
  if (vi >= (double)(n - 1)) return sorted[n - 1];
  double below = floor(vi);
  size_t i = (size_t)below;
  double t = vi - below;
  double a = sorted[i], b = sorted[i + 1];
  double diff = b - a;
  /* Interpolating from the nearer end is what numpy does; it keeps the
   * result monotonic in t and exact at t == 1. */
  if (t >= 0.5) return b - diff * (1.0 - t);
  return a + diff * t;
}

/* NaN sorts after every number, as in numpy.sort. */
static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  int na = isnan(a), nb = isnan(b);
  if (na || nb) return na - nb;
  return (a > b) - (a < b);
}

void benchy_percentiles(double *values, size_t n, const double *ps, size_t np, double *out) {
  if (!out) return;
  if (values && n > 1) qsort(values, n, sizeof *values, cmp_double);
  for (size_t k = 0; k < np; k++)
    out[k] = ps ? benchy_percentile_sorted(values, n, ps[k]) : NAN;
}
