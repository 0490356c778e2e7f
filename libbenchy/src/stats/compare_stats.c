/*
 * compare_stats.c — see compare_stats.h. The incomplete beta is the
 * modified Lentz evaluation of its continued fraction (Numerical Recipes
 * §6.4), accurate to ~1e-12 over the range the t-test uses.
 */
#include "compare_stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

double cmp_normal_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

static double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 1000; m++) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1.0) < eps) break;
  }
  return h;
}

double cmp_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NAN;
  if (x == 0 || x == 1) return x;
  double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
  /* The fraction converges fast only on this side of the mean; use the
   * symmetry I_x(a,b) = 1 - I_{1-x}(b,a) on the other. */
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
  return 1.0 - front * beta_fraction(b, a, 1.0 - x) / b;
}

double cmp_t_cdf(double t, double df) {
  if (isnan(t) || !(df > 0)) return NAN;
  if (isinf(t)) return t > 0 ? 1.0 : 0.0;
  /* Past this the t is a normal to double precision, and the fraction
   * would need ever more terms. */
  if (df > 1e7) return cmp_normal_cdf(t);
  double tail = 0.5 * cmp_incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
  return t > 0 ? 1.0 - tail : tail;
}

double cmp_t_quantile(double p, double df) {
  if (!(p > 0) || !(p < 1) || !(df > 0)) return NAN;
  double lo = -1.0, hi = 1.0;
  while (cmp_t_cdf(lo, df) > p) lo *= 2.0;
  while (cmp_t_cdf(hi, df) < p) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * (1.0 + fabs(lo)); i++) {
    double mid = 0.5 * (lo + hi);
    if (cmp_t_cdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

int cmp_welch(double mean_base, double sd_base, double n_base, double mean_new, double sd_new,
              double n_new, double alpha, cmp_test *out) {
  if (!(n_base >= 2) || !(n_new >= 2)) return -1;
  memset(out, 0, sizeof *out);
  double vb = sd_base * sd_base / n_base, vn = sd_new * sd_new / n_new;
  double se = sqrt(vb + vn);
  out->diff = mean_new - mean_base;
  if (!(se > 0)) {
    out->p = out->diff == 0 ? 1.0 : 0.0;
    out->statistic = out->diff == 0 ? 0.0 : (out->diff > 0 ? INFINITY : -INFINITY);
    out->ci_low = out->ci_high = out->diff;
    return 0;
  }
  /* Welch–Satterthwaite; a side with no spread contributes no freedom. */
  double den = 0;
  if (vb > 0) den += vb * vb / (n_base - 1);
  if (vn > 0) den += vn * vn / (n_new - 1);
  out->df = (vb + vn) * (vb + vn) / den;
  out->statistic = out->diff / se;
  out->p = 2.0 * cmp_t_cdf(-fabs(out->statistic), out->df);
  if (out->p > 1) out->p = 1;
  double tq = cmp_t_quantile(1.0 - alpha / 2.0, out->df);
  out->ci_low = out->diff - tq * se;
  out->ci_high = out->diff + tq * se;
  return 0;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Hoare's selection: puts the k-th smallest at v[k]; O(n) on average, which
 * keeps a thousand bootstrap resamples of 100k requests affordable. */
static double select_kth(double *v, size_t n, size_t k) {
  ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, want = (ptrdiff_t)k;
  while (lo < hi) {
    double pivot = v[lo + (hi - lo) / 2];
    ptrdiff_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        double t = v[i];
        v[i++] = v[j];
        v[j--] = t;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else break; /* between the halves: equal to the pivot */
  }
  return v[k];
}

double cmp_percentile(double *v, size_t n, double q) {
  if (!n) return NAN;
  double pos = q / 100.0 * (double)(n - 1);
  size_t below = (size_t)floor(pos);
  if (below >= n - 1) return select_kth(v, n, n - 1);
  double lower = select_kth(v, n, below);
  /* After selection everything past `below` is >= lower: the next order
   * statistic is their minimum. */
  double upper = v[below + 1];
  for (size_t i = below + 2; i < n; i++)
    if (v[i] < upper) upper = v[i];
  return lower + (pos - (double)below) * (upper - lower);
}

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double resampled_percentile(const double *v, size_t n, double *scratch, double q,
                                   uint64_t *rng) {
  for (size_t i = 0; i < n; i++) scratch[i] = v[splitmix64(rng) % n];
  return cmp_percentile(scratch, n, q);
}

int cmp_bootstrap_percentile(const double *base, size_t n_base, const double *fresh, size_t n_new,
                             double q, double alpha, unsigned iterations, uint64_t seed,
                             cmp_test *out) {
  if (!n_base || !n_new || !iterations) return -1;
  size_t biggest = n_base > n_new ? n_base : n_new;
  double *scratch = malloc(biggest * sizeof *scratch);
  double *diffs = malloc(iterations * sizeof *diffs);
  if (!scratch || !diffs) {
    free(scratch);
    free(diffs);
    return -1;
  }
  memset(out, 0, sizeof *out);
  memcpy(scratch, base, n_base * sizeof *scratch);
  double own_base = cmp_percentile(scratch, n_base, q);
  memcpy(scratch, fresh, n_new * sizeof *scratch);
  out->diff = cmp_percentile(scratch, n_new, q) - own_base;
  uint64_t rng = seed;
  size_t at_or_below = 0, at_or_above = 0;
  for (unsigned i = 0; i < iterations; i++) {
    double b = resampled_percentile(base, n_base, scratch, q, &rng);
    double d = resampled_percentile(fresh, n_new, scratch, q, &rng) - b;
    diffs[i] = d;
    if (d <= 0) at_or_below++;
    if (d >= 0) at_or_above++;
  }
  qsort(diffs, iterations, sizeof *diffs, by_value);
  out->ci_low = cmp_percentile(diffs, iterations, 100.0 * alpha / 2.0);
  qsort(diffs, iterations, sizeof *diffs, by_value);
  out->ci_high = cmp_percentile(diffs, iterations, 100.0 * (1.0 - alpha / 2.0));
  size_t fewer = at_or_below < at_or_above ? at_or_below : at_or_above;
  out->p = 2.0 * (double)(fewer ? fewer : 1) / (double)iterations;
  if (out->p > 1) out->p = 1;
  free(scratch);
  free(diffs);
  return 0;
}
