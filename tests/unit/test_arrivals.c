/*
 * test_arrivals.c — arrival schedules (workload/arrivals.h): the
 * inter-arrival times of seeded Poisson, gamma and constant processes have
 * the right mean and coefficient of variation; the ramp-up follows the
 * cumulative rate; a seed always gives the same schedule.
 *
 * The statistical bounds are about five standard errors wide for 20,000
 * gaps, and the seeds are fixed, so the tests are deterministic and would
 * only fail for a real change in the distribution.
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
#include "workload/arrivals.h"

#define N_GAPS 20000

typedef struct gap_stats {
  double mean, cv;
} gap_stats;

/* Mean and CV of the gaps (in seconds) of n + 1 arrivals. */
static gap_stats schedule_stats(const arrival_config *cfg, size_t n) {
  arrival_gen g;
  assert_int_equal(arrivals_init(&g, cfg, NULL, 0), BENCHY_OK);
  int64_t prev = arrivals_next(&g);
  assert_int_equal(prev, 0); /* the first request goes at once */
  benchy_moments m;
  benchy_moments_init(&m);
  for (size_t i = 0; i < n; i++) {
    int64_t t = arrivals_next(&g);
    assert_true(t >= prev);
    benchy_moments_add(&m, (double)(t - prev) / 1e9);
    prev = t;
  }
  gap_stats s = {benchy_moments_mean(&m), benchy_moments_stddev(&m, 1) / benchy_moments_mean(&m)};
  return s;
}

static void assert_within(double got, double want, double rel_tol, const char *what) {
  if (fabs(got - want) > rel_tol * fabs(want))
    fail_msg("%s: got %.6g, want %.6g within %.1f%%", what, got, want, rel_tol * 100);
}

static void test_poisson_mean_and_cv(void **state) {
  (void)state;
  arrival_config cfg = {ARRIVAL_POISSON, 10.0, 1.0, 0.0, 42};
  gap_stats s = schedule_stats(&cfg, N_GAPS);
  /* Exponential gaps: mean 1/rate, CV 1. SE of the mean is 0.7%; of the
   * CV about 1%. */
  assert_within(s.mean, 0.1, 0.035, "poisson mean gap");
  assert_within(s.cv, 1.0, 0.05, "poisson CV");

  /* Another seed, another rate: the same shape. */
  arrival_config cfg2 = {ARRIVAL_POISSON, 250.0, 1.0, 0.0, 7};
  s = schedule_stats(&cfg2, N_GAPS);
  assert_within(s.mean, 1.0 / 250.0, 0.035, "poisson mean gap at 250/s");
  assert_within(s.cv, 1.0, 0.05, "poisson CV at 250/s");
}

static void test_gamma_cv_is_one_over_sqrt_shape(void **state) {
  (void)state;
  const double shapes[] = {0.25, 0.5, 2.0, 4.0, 16.0};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    double k = shapes[i];
    arrival_config cfg = {ARRIVAL_GAMMA, 20.0, k, 0.0, 1000 + i};
    gap_stats s = schedule_stats(&cfg, N_GAPS);
    /* The mean stays 1/rate whatever the burstiness. SE of the mean is
     * CV/sqrt(n) (1.4% at k = 0.25); the CV's SE grows with the kurtosis
     * (6/k), about 3% at k = 0.25. */
    assert_within(s.mean, 1.0 / 20.0, k < 1 ? 0.08 : 0.03, "gamma mean gap");
    assert_within(s.cv, 1.0 / sqrt(k), k < 1 ? 0.15 : 0.05, "gamma CV");
  }
  /* Shape 1 is the exponential. */
  arrival_config one = {ARRIVAL_GAMMA, 5.0, 1.0, 0.0, 3};
  gap_stats s = schedule_stats(&one, N_GAPS);
  assert_within(s.cv, 1.0, 0.05, "gamma k=1 CV");
}

static void test_constant_has_no_variance(void **state) {
  (void)state;
  arrival_config cfg = {ARRIVAL_CONSTANT, 8.0, 1.0, 0.0, 1};
  arrival_gen g;
  assert_int_equal(arrivals_init(&g, &cfg, NULL, 0), BENCHY_OK);
  for (int i = 0; i < 1000; i++) {
    int64_t t = arrivals_next(&g);
    /* i / 8 s, to the nanosecond. */
    assert_true(llabs(t - (int64_t)i * 125000000) <= 1);
  }
  gap_stats s = schedule_stats(&cfg, 1000);
  assert_within(s.mean, 0.125, 1e-9, "constant gap");
  assert_true(s.cv < 1e-9);
}

static void test_ramp_up_follows_cumulative_rate(void **state) {
  (void)state;
  /* Constant arrivals make the count exact: during a linear ramp from 0 to
   * r over R seconds, the arrivals due by t are r t^2 / 2R (+1 for the
   * one at 0); after it they go at r. */
  const double r = 100.0, R = 10.0;
  arrival_config cfg = {ARRIVAL_CONSTANT, r, 1.0, R, 5};
  arrival_gen g;
  assert_int_equal(arrivals_init(&g, &cfg, NULL, 0), BENCHY_OK);
  size_t by5 = 0, by10 = 0, by20 = 0;
  int64_t prev = -1, first_gap = 0, last_gap = 0;
  for (;;) {
    int64_t t = arrivals_next(&g);
    if (t >= (int64_t)20e9) break;
    if (prev >= 0) {
      if (!first_gap) first_gap = t - prev;
      last_gap = t - prev;
    }
    prev = t;
    if (t < (int64_t)5e9) by5++;
    if (t < (int64_t)10e9) by10++;
    by20++;
  }
  assert_true(labs((long)by5 - 126) <= 1);   /* 100 * 25 / 20 + 1 */
  assert_true(labs((long)by10 - 501) <= 1);  /* 100 * 100 / 20 + 1 */
  assert_true(labs((long)by20 - 1501) <= 1); /* then 100/s for 10 s */
  /* Gaps shrink through the ramp and settle at 1/r. */
  assert_true(first_gap > 10 * last_gap);
  assert_true(llabs(last_gap - 10000000) <= 1);

  /* Poisson through a ramp: the expected count, within Poisson noise. */
  arrival_config pc = {ARRIVAL_POISSON, r, 1.0, R, 11};
  assert_int_equal(arrivals_init(&g, &pc, NULL, 0), BENCHY_OK);
  size_t n10 = 0;
  for (;;) {
    int64_t t = arrivals_next(&g);
    if (t >= (int64_t)10e9) break;
    n10++;
  }
  assert_within((double)n10, 500.0, 0.15, "poisson arrivals during the ramp");
}

static void test_same_seed_same_schedule(void **state) {
  (void)state;
  const int kinds[] = {ARRIVAL_POISSON, ARRIVAL_GAMMA};
  for (size_t k = 0; k < 2; k++) {
    arrival_config cfg = {kinds[k], 30.0, 0.5, 2.0, 1234};
    arrival_gen a, b, c;
    assert_int_equal(arrivals_init(&a, &cfg, NULL, 0), BENCHY_OK);
    assert_int_equal(arrivals_init(&b, &cfg, NULL, 0), BENCHY_OK);
    arrival_config other = cfg;
    other.seed = 1235;
    assert_int_equal(arrivals_init(&c, &other, NULL, 0), BENCHY_OK);
    int differ = 0;
    for (int i = 0; i < 500; i++) {
      int64_t ta = arrivals_next(&a), tb = arrivals_next(&b), tc = arrivals_next(&c);
      assert_int_equal(ta, tb);
      if (ta != tc) differ = 1;
    }
    assert_true(differ);
  }
}

static void test_infinite_rate_all_at_once(void **state) {
  (void)state;
  arrival_config cfg = {ARRIVAL_POISSON, INFINITY, 1.0, 5.0, 1};
  assert_true(arrivals_all_at_once(&cfg));
  arrival_gen g;
  assert_int_equal(arrivals_init(&g, &cfg, NULL, 0), BENCHY_OK);
  for (int i = 0; i < 100; i++) assert_int_equal(arrivals_next(&g), 0);
  cfg.rate = 3;
  assert_false(arrivals_all_at_once(&cfg));
}

static void test_parse_and_validate(void **state) {
  (void)state;
  double r = 0;
  assert_int_equal(arrivals_parse_rate("inf", &r), 0);
  assert_true(isinf(r));
  assert_int_equal(arrivals_parse_rate("INF", &r), 0);
  assert_int_equal(arrivals_parse_rate("12.5", &r), 0);
  assert_true(r == 12.5);
  assert_int_equal(arrivals_parse_rate("0", &r), -1);
  assert_int_equal(arrivals_parse_rate("-3", &r), -1);
  assert_int_equal(arrivals_parse_rate("ten", &r), -1);
  assert_int_equal(arrivals_parse_rate("5x", &r), -1);
  assert_int_equal(arrivals_parse_rate(NULL, &r), -1);

  assert_int_equal(arrivals_kind_from_name("gamma"), ARRIVAL_GAMMA);
  assert_int_equal(arrivals_kind_from_name("weibull"), -1);
  assert_string_equal(arrivals_kind_name(ARRIVAL_CONSTANT), "constant");

  arrival_gen g;
  char err[256];
  arrival_config bad = {ARRIVAL_GAMMA, 1.0, 0.0, 0.0, 1};
  assert_int_equal(arrivals_init(&g, &bad, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--burstiness"));
  arrival_config bad_ramp = {ARRIVAL_POISSON, 1.0, 1.0, -1.0, 1};
  assert_int_equal(arrivals_init(&g, &bad_ramp, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--ramp-up"));
  arrival_config nan_rate = {ARRIVAL_POISSON, NAN, 1.0, 0.0, 1};
  assert_int_equal(arrivals_init(&g, &nan_rate, err, sizeof err), BENCHY_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_poisson_mean_and_cv),
      cmocka_unit_test(test_gamma_cv_is_one_over_sqrt_shape),
      cmocka_unit_test(test_constant_has_no_variance),
      cmocka_unit_test(test_ramp_up_follows_cumulative_rate),
      cmocka_unit_test(test_same_seed_same_schedule),
      cmocka_unit_test(test_infinite_rate_all_at_once),
      cmocka_unit_test(test_parse_and_validate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
