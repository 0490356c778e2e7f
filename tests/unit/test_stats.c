/*
 * test_stats.c — unit tests for benchy/stats.h: numpy-linear percentiles of
 * kept samples, Welford moments and their merge, and the log-linear
 * histogram (exactness, error bound, exact merge, edges of the int64 range).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want, double rel) {
  double tol = rel * fmax(1.0, fabs(want));
  if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (rel %g)", got, want, rel);
}

/* ---- percentiles of kept samples (numpy method="linear") ---------------- */

static void test_percentile_known_values(void **state) {
  (void)state;
  const double a[] = {1, 2, 3, 4};
  /* numpy.percentile([1,2,3,4], p): virtual index p/100*3. */
  assert_close(benchy_percentile_sorted(a, 4, 0), 1.0, 0);
  assert_close(benchy_percentile_sorted(a, 4, 25), 1.75, 1e-15);
  assert_close(benchy_percentile_sorted(a, 4, 50), 2.5, 1e-15);
  assert_close(benchy_percentile_sorted(a, 4, 75), 3.25, 1e-15);
  assert_close(benchy_percentile_sorted(a, 4, 90), 3.7, 1e-15);
  assert_close(benchy_percentile_sorted(a, 4, 100), 4.0, 0);

  const double b[] = {10, 20, 30, 40, 50};
  assert_close(benchy_percentile_sorted(b, 5, 40), 26.0, 1e-15); /* index 1.6 */
  assert_close(benchy_percentile_sorted(b, 5, 99), 49.6, 1e-15); /* index 3.96 */
  assert_close(benchy_percentile_sorted(b, 5, 50), 30.0, 0);     /* exact middle */

  /* Values that are equal on both sides interpolate to themselves. */
  const double c[] = {7, 7, 7};
  assert_close(benchy_percentile_sorted(c, 3, 33.3), 7.0, 0);
}

static void test_percentile_edges(void **state) {
  (void)state;
  const double one[] = {42.5};
  assert_close(benchy_percentile_sorted(one, 1, 0), 42.5, 0);
  assert_close(benchy_percentile_sorted(one, 1, 50), 42.5, 0);
  assert_close(benchy_percentile_sorted(one, 1, 100), 42.5, 0);
  assert_true(isnan(benchy_percentile_sorted(one, 0, 50)));
  assert_true(isnan(benchy_percentile_sorted(NULL, 3, 50)));
  assert_true(isnan(benchy_percentile_sorted(one, 1, NAN)));

  const double a[] = {1, 2, 3, 4};
  /* Out-of-range p clamps to the ends. */
  assert_close(benchy_percentile_sorted(a, 4, -5), 1.0, 0);
  assert_close(benchy_percentile_sorted(a, 4, 250), 4.0, 0);

  /* NaN sorts last, and then numpy gives NaN for every percentile. */
  const double withnan[] = {1, 2, NAN};
  assert_true(isnan(benchy_percentile_sorted(withnan, 3, 10)));
}

static void test_percentiles_unsorted(void **state) {
  (void)state;
  double v[] = {5, 1, 4, 2, 3};
  const double ps[] = {50, 0, 100, 10, 90};
  double out[5];
  benchy_percentiles(v, 5, ps, 5, out);
  assert_close(out[0], 3.0, 0);
  assert_close(out[1], 1.0, 0);
  assert_close(out[2], 5.0, 0);
  assert_close(out[3], 1.4, 1e-15);
  assert_close(out[4], 4.6, 1e-15);
  for (size_t i = 0; i < 5; i++) assert_close(v[i], (double)(i + 1), 0); /* sorted in place */

  double w[] = {3, NAN, 1};
  double o2[1];
  const double p50[] = {50};
  benchy_percentiles(w, 3, p50, 1, o2);
  assert_true(isnan(o2[0]));
  assert_close(w[0], 1.0, 0);
  assert_close(w[1], 3.0, 0);
  assert_true(isnan(w[2]));
}

/* ---- moments ------------------------------------------------------------- */

#define NMOM 317

/* Latency-like values: a large offset that would swamp a naive sum of
 * squares, spread, and a drift so that the two halves of a merge test have
 * clearly different means. */
static void moment_sample(double *x, size_t n) {
  uint64_t seed = 20240601;
  for (size_t i = 0; i < n; i++) x[i] = 1e9 + 5e6 * benchy_rand_unit(&seed) + 3e4 * (double)i;
}

static void two_pass(const double *x, size_t n, double *mean, double *m2) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  *mean = s / (double)n;
  double q = 0;
  for (size_t i = 0; i < n; i++) q += (x[i] - *mean) * (x[i] - *mean);
  *m2 = q;
}

static void test_moments_two_pass(void **state) {
  (void)state;
  double x[NMOM];
  moment_sample(x, NMOM);
  benchy_moments m = BENCHY_MOMENTS_INIT;
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < NMOM; i++) {
    benchy_moments_add(&m, x[i]);
    lo = fmin(lo, x[i]);
    hi = fmax(hi, x[i]);
  }
  double mean, m2;
  two_pass(x, NMOM, &mean, &m2);
  assert_int_equal(m.n, NMOM);
  assert_close(benchy_moments_mean(&m), mean, 1e-12);
  assert_close(benchy_moments_stddev(&m, 0), sqrt(m2 / NMOM), 1e-9);
  assert_close(benchy_moments_stddev(&m, 1), sqrt(m2 / (NMOM - 1)), 1e-9);
  assert_true(m.min == lo);
  assert_true(m.max == hi);
}

static void test_moments_merge_halves(void **state) {
  (void)state;
  double x[NMOM];
  moment_sample(x, NMOM);
  const size_t cut = 101; /* uneven halves exercise the weighting */
  benchy_moments whole, a, b;
  benchy_moments_init(&whole);
  benchy_moments_init(&a);
  benchy_moments_init(&b);
  for (size_t i = 0; i < NMOM; i++) {
    benchy_moments_add(&whole, x[i]);
    benchy_moments_add(i < cut ? &a : &b, x[i]);
  }
  benchy_moments_merge(&a, &b);
  assert_int_equal(a.n, whole.n);
  assert_close(a.mean, whole.mean, 1e-12);
  assert_close(benchy_moments_stddev(&a, 0), benchy_moments_stddev(&whole, 0), 1e-12);
  assert_close(a.m2, whole.m2, 1e-12);
  assert_true(a.min == whole.min);
  assert_true(a.max == whole.max);

  /* Merging with an empty side changes nothing; into an empty one copies. */
  benchy_moments empty = BENCHY_MOMENTS_INIT, copy = whole;
  benchy_moments_merge(&copy, &empty);
  assert_memory_equal(&copy, &whole, sizeof copy);
  benchy_moments_merge(&empty, &whole);
  assert_memory_equal(&empty, &whole, sizeof empty);
}

static void test_moments_small(void **state) {
  (void)state;
  benchy_moments m = BENCHY_MOMENTS_INIT;
  assert_true(isnan(benchy_moments_mean(&m)));
  assert_true(isnan(benchy_moments_stddev(&m, 0)));
  benchy_moments_add(&m, -3.5);
  assert_close(benchy_moments_mean(&m), -3.5, 0);
  assert_close(benchy_moments_stddev(&m, 0), 0.0, 0);
  assert_true(isnan(benchy_moments_stddev(&m, 1))); /* n <= ddof */
  assert_true(isnan(benchy_moments_stddev(&m, -1)));
  assert_true(m.min == -3.5 && m.max == -3.5); /* negative first sample */
  /* 2, 4, 4, 4, 5, 5, 7, 9: the textbook population stddev of 2. */
  const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
  benchy_moments_init(&m);
  for (size_t i = 0; i < ARRAY_LEN(v); i++) benchy_moments_add(&m, v[i]);
  assert_close(benchy_moments_mean(&m), 5.0, 1e-15);
  assert_close(benchy_moments_stddev(&m, 0), 2.0, 1e-15);
  assert_close(benchy_moments_stddev(&m, 1), sqrt(32.0 / 7.0), 1e-15);
}

/* ---- histogram ----------------------------------------------------------- */

static benchy_hist *hist_new(int bits) {
  benchy_hist *h = NULL;
  assert_int_equal(benchy_hist_new(&h, bits), BENCHY_OK);
  assert_non_null(h);
  return h;
}

static int cmp_i64(const void *pa, const void *pb) {
  int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
  return (a > b) - (a < b);
}

/* ps in hundredths of a percent, so the expected nearest rank is computed in
 * integers, independently of the library's floating-point rank. */
static const int64_t pcts_e4[] = {0,    1,    10,   100,  1000, 2500, 5000, 7500,
                                  9000, 9500, 9900, 9990, 9999, 10000, 3333, 6667};

static int64_t nearest_rank(const int64_t *sorted, uint64_t n, int64_t p_e4) {
  uint64_t rank = ((uint64_t)p_e4 * n + 9999) / 10000;
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

static void test_hist_precision_bounds(void **state) {
  (void)state;
  benchy_hist *keep = hist_new(7), *h = keep;
  assert_int_equal(benchy_hist_new(&h, 0), BENCHY_ERR_INVALID);
  assert_null(h); /* a failed new never leaves a stale handle behind */
  benchy_hist_free(keep);
  assert_int_equal(benchy_hist_new(&h, 13), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_hist_new(&h, -1), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_hist_new(NULL, 7), BENCHY_ERR_INVALID);
  for (int bits = 1; bits <= 12; bits++) {
    h = hist_new(bits);
    assert_int_equal(benchy_hist_precision_bits(h), bits);
    assert_true(benchy_hist_relative_error(h) == ldexp(1.0, -bits));
    benchy_hist_free(h);
  }
  h = hist_new(7);
  assert_close(benchy_hist_relative_error(h), 0.0078125, 0);
  benchy_hist_free(h);
  benchy_hist_free(NULL);
}

static void test_hist_empty_and_reset(void **state) {
  (void)state;
  benchy_hist *h = hist_new(7);
  assert_int_equal(benchy_hist_count(h), 0);
  assert_int_equal(benchy_hist_min(h), 0);
  assert_int_equal(benchy_hist_max(h), 0);
  assert_true(isnan(benchy_hist_mean(h)));
  assert_int_equal(benchy_hist_percentile(h, 50), 0);
  size_t it = 0;
  assert_int_equal(benchy_hist_next_bucket(h, &it, NULL, NULL, NULL), 0);
  for (int64_t v = 1000; v < 2000; v += 7) benchy_hist_add(h, v);
  benchy_hist_reset(h);
  assert_int_equal(benchy_hist_count(h), 0);
  it = 0;
  assert_int_equal(benchy_hist_next_bucket(h, &it, NULL, NULL, NULL), 0);
  benchy_hist_add(h, 5);
  assert_int_equal(benchy_hist_min(h), 5);
  assert_int_equal(benchy_hist_max(h), 5);
  assert_int_equal(benchy_hist_percentile(h, 50), 5);
  benchy_hist_free(h);
}

/* Every value below 2^precision has a bucket of its own: percentiles equal
 * the exact nearest-rank values, and buckets are one wide. */
static void test_hist_exact_small(void **state) {
  (void)state;
  for (int bits = 1; bits <= 12; bits++) {
    benchy_hist *h = hist_new(bits);
    int64_t lim = (int64_t)1 << bits;
    int64_t *all = malloc((size_t)lim * 3 * sizeof *all);
    assert_non_null(all);
    size_t n = 0;
    /* v appears (v % 3) + 1 times so ranks do not coincide with values. */
    for (int64_t v = 0; v < lim; v++)
      for (int64_t k = 0; k <= v % 3; k++) {
        benchy_hist_add(h, v);
        all[n++] = v;
      }
    for (size_t i = 0; i < ARRAY_LEN(pcts_e4); i++) {
      double p = (double)pcts_e4[i] / 100.0;
      assert_int_equal(benchy_hist_percentile(h, p), nearest_rank(all, n, pcts_e4[i]));
    }
    size_t it = 0;
    int64_t lo, hi, expect = 0;
    uint64_t c;
    while (benchy_hist_next_bucket(h, &it, &lo, &hi, &c)) {
      assert_int_equal(lo, expect);
      assert_int_equal(hi, expect);
      assert_int_equal(c, (uint64_t)(expect % 3) + 1);
      expect++;
    }
    assert_int_equal(expect, lim);
    free(all);
    benchy_hist_free(h);
  }
}

/* Buckets tile the integers with no gap or overlap, and no bucket is wider
 * than 2^-precision of its lowest value. */
static void test_hist_bucket_layout(void **state) {
  (void)state;
  const int bits_list[] = {1, 4, 7};
  for (size_t b = 0; b < ARRAY_LEN(bits_list); b++) {
    int bits = bits_list[b];
    benchy_hist *h = hist_new(bits);
    const int64_t top = 200000;
    for (int64_t v = 0; v < top; v++) benchy_hist_add(h, v);
    size_t it = 0;
    int64_t lo, hi, next = 0;
    uint64_t c, total = 0;
    while (benchy_hist_next_bucket(h, &it, &lo, &hi, &c)) {
      assert_int_equal(lo, next);
      assert_true(hi >= lo);
      if (hi < top) assert_int_equal(c, (uint64_t)(hi - lo + 1));
      if (lo >= ((int64_t)2 << bits)) assert_true((double)(hi - lo + 1) / (double)lo <= ldexp(1.0, -bits));
      else assert_int_equal(hi, lo);
      next = hi + 1;
      total += c;
    }
    assert_true(next >= top);
    assert_int_equal(total, (uint64_t)top);
    benchy_hist_free(h);
  }
}

#define NLOG 20000

/* Log-uniform over [1, 1e12): a ns latency spread from 1 ns to 17 min. */
static void log_uniform(int64_t *x, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; i++) x[i] = (int64_t)exp(benchy_rand_unit(&seed) * log(1e12));
}

static void test_hist_relative_error(void **state) {
  (void)state;
  int64_t *x = malloc(NLOG * sizeof *x);
  assert_non_null(x);
  log_uniform(x, NLOG, 7);
  const int bits_list[] = {1, 3, 7, 10, 12};
  for (size_t b = 0; b < ARRAY_LEN(bits_list); b++) {
    benchy_hist *h = hist_new(bits_list[b]);
    for (size_t i = 0; i < NLOG; i++) benchy_hist_add(h, x[i]);
    int64_t *sorted = malloc(NLOG * sizeof *sorted);
    assert_non_null(sorted);
    memcpy(sorted, x, NLOG * sizeof *x);
    qsort(sorted, NLOG, sizeof *sorted, cmp_i64);
    double bound = benchy_hist_relative_error(h);
    double ps[ARRAY_LEN(pcts_e4)];
    int64_t batch[ARRAY_LEN(pcts_e4)];
    for (size_t i = 0; i < ARRAY_LEN(pcts_e4); i++) ps[i] = (double)pcts_e4[i] / 100.0;
    benchy_hist_percentiles(h, ps, ARRAY_LEN(ps), batch);
    for (size_t i = 0; i < ARRAY_LEN(pcts_e4); i++) {
      int64_t want = nearest_rank(sorted, NLOG, pcts_e4[i]);
      int64_t got = benchy_hist_percentile(h, ps[i]);
      assert_int_equal(batch[i], got);
      double err = fabs((double)got - (double)want);
      if (err > bound * (double)want)
        fail_msg("bits %d p %g: got %lld want %lld", bits_list[b], ps[i], (long long)got,
                 (long long)want);
    }
    /* Also every rank, not just the listed ps: p = 100 * r / n. */
    for (uint64_t r = 1; r <= NLOG; r += 37) {
      double p = 100.0 * (double)r / NLOG;
      int64_t want = sorted[r - 1];
      int64_t got = benchy_hist_percentile(h, p);
      assert_true(fabs((double)got - (double)want) <= bound * (double)want);
    }
    assert_int_equal(benchy_hist_min(h), sorted[0]);
    assert_int_equal(benchy_hist_max(h), sorted[NLOG - 1]);
    assert_int_equal(benchy_hist_percentile(h, 0), sorted[0]);
    assert_int_equal(benchy_hist_percentile(h, 100), sorted[NLOG - 1]);
    double sum = 0;
    for (size_t i = 0; i < NLOG; i++) sum += (double)x[i];
    assert_close(benchy_hist_mean(h), sum / NLOG, 1e-12);
    free(sorted);
    benchy_hist_free(h);
  }
  free(x);
}

/* The batch call gives the same answers for ps in any order. */
static void test_hist_percentiles_unsorted(void **state) {
  (void)state;
  int64_t x[5000];
  log_uniform(x, ARRAY_LEN(x), 99);
  benchy_hist *h = hist_new(7);
  for (size_t i = 0; i < ARRAY_LEN(x); i++) benchy_hist_add(h, x[i]);
  const double ps[] = {99, 50, 50, 0, 99.9, 1, 75, 100, 25, 90, 10, 99.99, 5};
  int64_t out[ARRAY_LEN(ps)];
  benchy_hist_percentiles(h, ps, ARRAY_LEN(ps), out);
  for (size_t i = 0; i < ARRAY_LEN(ps); i++)
    assert_int_equal(out[i], benchy_hist_percentile(h, ps[i]));
  benchy_hist_free(h);
}

static void assert_hist_equal(const benchy_hist *a, const benchy_hist *b) {
  assert_int_equal(benchy_hist_count(a), benchy_hist_count(b));
  assert_int_equal(benchy_hist_min(a), benchy_hist_min(b));
  assert_int_equal(benchy_hist_max(a), benchy_hist_max(b));
  assert_true(benchy_hist_mean(a) == benchy_hist_mean(b));
  for (int p = 0; p <= 1000; p++)
    assert_int_equal(benchy_hist_percentile(a, p / 10.0), benchy_hist_percentile(b, p / 10.0));
  size_t ia = 0, ib = 0;
  int64_t la, ha, lb, hb;
  uint64_t ca, cb;
  for (;;) {
    int ra = benchy_hist_next_bucket(a, &ia, &la, &ha, &ca);
    int rb = benchy_hist_next_bucket(b, &ib, &lb, &hb, &cb);
    assert_int_equal(ra, rb);
    if (!ra) break;
    assert_int_equal(la, lb);
    assert_int_equal(ha, hb);
    assert_int_equal(ca, cb);
  }
}

static void test_hist_merge(void **state) {
  (void)state;
  int64_t *x = malloc(NLOG * sizeof *x);
  assert_non_null(x);
  log_uniform(x, NLOG, 12345);
  benchy_hist *h1 = hist_new(7), *h2 = hist_new(7), *all = hist_new(7);
  for (size_t i = 0; i < NLOG; i++) {
    /* Split by value parity so both halves span the whole range. */
    benchy_hist_add(x[i] & 1 ? h1 : h2, x[i]);
    benchy_hist_add(all, x[i]);
  }
  assert_int_equal(benchy_hist_merge(h1, h2), BENCHY_OK);
  assert_hist_equal(h1, all);

  /* Disjoint ranges, merged in the other direction, and into an empty one. */
  benchy_hist *lo = hist_new(7), *hi = hist_new(7), *both = hist_new(7), *empty = hist_new(7);
  for (int64_t v = 0; v < 3000; v += 3) {
    benchy_hist_add(lo, v);
    benchy_hist_add(both, v);
  }
  for (int64_t v = 1000000; v < 9000000; v += 1001) {
    benchy_hist_add(hi, v);
    benchy_hist_add(both, v);
  }
  assert_int_equal(benchy_hist_merge(hi, lo), BENCHY_OK);
  assert_hist_equal(hi, both);
  assert_int_equal(benchy_hist_merge(empty, both), BENCHY_OK);
  assert_hist_equal(empty, both);
  benchy_hist *blank = hist_new(7);
  assert_int_equal(benchy_hist_merge(empty, blank), BENCHY_OK); /* from empty: no change */
  assert_hist_equal(empty, both);

  benchy_hist *other = hist_new(8);
  assert_int_equal(benchy_hist_merge(other, all), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_hist_count(other), 0);
  assert_int_equal(benchy_hist_merge(NULL, all), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_hist_merge(all, NULL), BENCHY_ERR_INVALID);

  benchy_hist_free(other);
  benchy_hist_free(blank);
  benchy_hist_free(empty);
  benchy_hist_free(both);
  benchy_hist_free(hi);
  benchy_hist_free(lo);
  benchy_hist_free(all);
  benchy_hist_free(h2);
  benchy_hist_free(h1);
  free(x);
}

static void test_hist_min_max_exact(void **state) {
  (void)state;
  benchy_hist *h = hist_new(3); /* coarse buckets: min/max must still be exact */
  const int64_t v[] = {123457, 999999999, 5000001, 123461, 77777777};
  for (size_t i = 0; i < ARRAY_LEN(v); i++) benchy_hist_add(h, v[i]);
  assert_int_equal(benchy_hist_min(h), 123457);
  assert_int_equal(benchy_hist_max(h), 999999999);
  assert_int_equal(benchy_hist_percentile(h, 0), 123457);
  assert_int_equal(benchy_hist_percentile(h, 100), 999999999);
  /* Reported values never leave [min, max] even when a bucket does. */
  for (int p = 0; p <= 100; p++) {
    int64_t q = benchy_hist_percentile(h, p);
    assert_true(q >= 123457 && q <= 999999999);
  }
  assert_close(benchy_hist_mean(h), (123457.0 + 999999999 + 5000001 + 123461 + 77777777) / 5, 1e-15);
  benchy_hist_free(h);
}

static void test_hist_huge_and_negative(void **state) {
  (void)state;
  benchy_hist *h = hist_new(12);
  benchy_hist_add(h, INT64_MAX);
  benchy_hist_add(h, INT64_MAX - 1);
  benchy_hist_add(h, (int64_t)1 << 62);
  benchy_hist_add_n(h, INT64_MAX, UINT64_C(1) << 40); /* the sum passes 2^64 */
  assert_int_equal(benchy_hist_max(h), INT64_MAX);
  assert_int_equal(benchy_hist_min(h), (int64_t)1 << 62);
  assert_int_equal(benchy_hist_percentile(h, 100), INT64_MAX);
  /* The top bucket is 2^50 wide here: its midpoint, within the bound. */
  int64_t p50 = benchy_hist_percentile(h, 50);
  assert_true((double)(INT64_MAX - p50) <= 0x1p-12 * 0x1p63);
  assert_close(benchy_hist_mean(h), 9.223372036854775807e18, 1e-12);
  size_t it = 0;
  int64_t lo, hi, last_hi = -1;
  uint64_t c, total = 0;
  while (benchy_hist_next_bucket(h, &it, &lo, &hi, &c)) {
    assert_true(lo > last_hi && hi >= lo);
    last_hi = hi;
    total += c;
  }
  assert_int_equal(last_hi, INT64_MAX);
  assert_int_equal(total, benchy_hist_count(h));
  benchy_hist_free(h);

  h = hist_new(1);
  benchy_hist_add(h, INT64_MAX);
  assert_int_equal(benchy_hist_percentile(h, 50), INT64_MAX);
  benchy_hist_free(h);

  h = hist_new(7);
  benchy_hist_add(h, -5);
  benchy_hist_add(h, INT64_MIN);
  benchy_hist_add_n(h, -1, 3);
  assert_int_equal(benchy_hist_count(h), 5);
  assert_int_equal(benchy_hist_min(h), 0);
  assert_int_equal(benchy_hist_max(h), 0);
  assert_close(benchy_hist_mean(h), 0.0, 0);
  it = 0;
  assert_int_equal(benchy_hist_next_bucket(h, &it, &lo, &hi, &c), 1);
  assert_int_equal(lo, 0);
  assert_int_equal(hi, 0);
  assert_int_equal(c, 5);
  assert_int_equal(benchy_hist_next_bucket(h, &it, &lo, &hi, &c), 0);
  benchy_hist_free(h);
}

static void test_hist_add_n(void **state) {
  (void)state;
  benchy_hist *a = hist_new(5), *b = hist_new(5);
  const int64_t v[] = {3, 70000, 12, 999, 70001};
  const uint64_t n[] = {4, 2, 1, 9, 3};
  for (size_t i = 0; i < ARRAY_LEN(v); i++) {
    benchy_hist_add_n(a, v[i], n[i]);
    for (uint64_t k = 0; k < n[i]; k++) benchy_hist_add(b, v[i]);
  }
  benchy_hist_add_n(a, 1, 0); /* no-op: must not touch min */
  assert_hist_equal(a, b);
  benchy_hist_free(b);
  benchy_hist_free(a);
}

static void test_hist_next_bucket_sums(void **state) {
  (void)state;
  int64_t x[3000];
  log_uniform(x, ARRAY_LEN(x), 4242);
  benchy_hist *h = hist_new(7);
  for (size_t i = 0; i < ARRAY_LEN(x); i++) benchy_hist_add(h, x[i]);
  size_t it = 0, buckets = 0;
  int64_t lo, hi, prev_hi = -1;
  uint64_t c, total = 0;
  while (benchy_hist_next_bucket(h, &it, &lo, &hi, &c)) {
    assert_true(c > 0);
    assert_true(lo > prev_hi); /* ascending, disjoint */
    assert_true(hi >= lo);
    prev_hi = hi;
    total += c;
    buckets++;
  }
  assert_int_equal(total, benchy_hist_count(h));
  assert_true(buckets > 100);
  /* Once done it stays done. */
  assert_int_equal(benchy_hist_next_bucket(h, &it, &lo, &hi, &c), 0);
  assert_int_equal(benchy_hist_next_bucket(NULL, &it, &lo, &hi, &c), 0);
  benchy_hist_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_percentile_known_values),
      cmocka_unit_test(test_percentile_edges),
      cmocka_unit_test(test_percentiles_unsorted),
      cmocka_unit_test(test_moments_two_pass),
      cmocka_unit_test(test_moments_merge_halves),
      cmocka_unit_test(test_moments_small),
      cmocka_unit_test(test_hist_precision_bounds),
      cmocka_unit_test(test_hist_empty_and_reset),
      cmocka_unit_test(test_hist_exact_small),
      cmocka_unit_test(test_hist_bucket_layout),
      cmocka_unit_test(test_hist_relative_error),
      cmocka_unit_test(test_hist_percentiles_unsorted),
      cmocka_unit_test(test_hist_merge),
      cmocka_unit_test(test_hist_min_max_exact),
      cmocka_unit_test(test_hist_huge_and_negative),
      cmocka_unit_test(test_hist_add_n),
      cmocka_unit_test(test_hist_next_bucket_sums),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
